// SPDX-License-Identifier: MIT
// svd (truncated SVD) and asvd (activation-aware SVD, SVD-LLM whitening): W ~ A B
// (compress/low_rank.h). The quantize slot then stores both factors.
#include "compress/low_rank.h"
#include "methods/method_support.h"
#include "methods/recipe_forms.h"

#include <vector>

namespace cwb {

namespace {

LowRankParams lowRankOf(const ParamReader &p)
{
    LowRankParams lp;
    lp.rank = p.integer("rank");
    lp.energy = p.number("energy");
    lp.factorType = FactorType::F32; // the quantize stage decides how the factors are stored
    return lp;
}

LowRankOutcome outcomeOf(LowRankResult r)
{
    LowRankOutcome o;
    o.a = std::move(r.a);
    o.b = std::move(r.b);
    o.rank = r.rank;
    o.truncationError = r.truncationError;
    return o;
}

MethodSpec svdMethod()
{
    MethodSpec m = methoddetail::lowRankMethod(
        "svd", {methoddetail::rankParam(), methoddetail::energyParam()}, "truncated SVD: W ~ A B");
    m.plannedRank = [](const ParamReader &p) { return p.integer("rank"); };
    m.lowRank = [](const ParamReader &p, const std::vector<float> &w, int64_t rows, int64_t cols,
                   const InputStats &, const JobContext &job) {
        return outcomeOf(svdLowRank(w, rows, cols, lowRankOf(p), job));
    };
    return m;
}

MethodSpec asvdMethod()
{
    using namespace methoddetail;
    MethodSpec m = lowRankMethod("asvd", {rankParam(), energyParam(), dampParam()},
                                 "activation-aware SVD (SVD-LLM): whiten by the Cholesky factor "
                                 "of the calibration covariance, truncate, un-whiten");
    m.needsCalibration = true;
    m.needsHessian = true;
    m.plannedRank = [](const ParamReader &p) { return p.integer("rank"); };
    m.lowRank = [](const ParamReader &p, const std::vector<float> &w, int64_t rows, int64_t cols,
                   const InputStats &in, const JobContext &job) {
        LowRankParams lp = lowRankOf(p);
        lp.dampFraction = p.number("damp");
        const std::vector<double> &h = requireHessian(in, "asvd");
        return outcomeOf(asvdLowRank(w, rows, cols, h, in.tokens, lp, job));
    };
    return m;
}

// No recipe tool factorizes: each quantizes the full matrix.
RecipeForms lowRankRecipeForms()
{
    const std::string why = " has no low-rank factorization: the full matrix is quantized";
    return methoddetail::unsupportedRecipeForms("llm-compressor" + why, "GPTQModel" + why,
                                                "llama.cpp" + why);
}

} // namespace

std::vector<MethodSpec> svdMethods()
{
    std::vector<MethodSpec> out{svdMethod(), asvdMethod()};
    for (MethodSpec &m : out)
        m.recipeForms = [](const ParamReader &, DType) { return lowRankRecipeForms(); };
    return out;
}

} // namespace cwb
