// SPDX-License-Identifier: MIT
#include "methods/prune_support.h"

#include "methods/recipe_forms.h"

#include "methods/method_support.h"

namespace cwb::methoddetail {

std::pair<int, int> nmOf(const ParamReader &p)
{
    const std::string &nm = p.text("nm");
    if (nm == "none")
        return {0, 0};
    return {nm[0] - '0', nm[2] - '0'};
}

PruneParams pruneParamsOf(const ParamReader &p)
{
    const auto [n, m] = nmOf(p);
    PruneParams pp;
    pp.sparsity = p.number("sparsity");
    pp.nmN = n;
    pp.nmM = m;
    if (m > 0)
        pp.sparsity = 1.0 - double(n) / m;
    return pp;
}

PruneOutcome outcomeOf(PruneResult r, const ParamReader &p, int64_t rows, int64_t cols)
{
    PruneOutcome o;
    std::tie(o.nmN, o.nmM) = nmOf(p);
    o.weights = std::move(r.weights);
    o.keep = std::move(r.mask);
    o.nmIndices = std::move(r.nmIndices);
    o.sparsity = double(r.pruned) / double(rows * cols);
    o.maskBytes = r.maskBytes;
    return o;
}

RecipeForms pruneRecipeForms(const ParamReader &p, const std::string &modifier,
                             std::vector<ToolArg> extraShared, const std::string &llmCompressorNote)
{
    RecipeForms f = unsupportedRecipeForms(
        llmCompressorNote, "GPTQModel does not prune: the weights stay dense",
        "GGUF stores no sparsity: llama-quantize quantizes the dense weights");
    if (modifier.empty())
        return f;
    const PruneParams pp = pruneParamsOf(p);
    // llm-compressor's "N:M" names the weights it zeroes in every M (sparsegpt_sparsify.py
    // prunes the prune_n smallest); our nm names those kept.
    const std::string mask =
        pp.nmM > 0 ? std::to_string(pp.nmM - pp.nmN) + ":" + std::to_string(pp.nmM) : "0:0";
    f.llmCompressor.algorithm = modifier;
    f.llmCompressor.shared = {{"sparsity", pp.sparsity}, {"mask_structure", mask}};
    for (ToolArg &a : extraShared)
        f.llmCompressor.shared.push_back(std::move(a));
    f.llmCompressor.exact = true;
    return f;
}

MethodSpec pruneSkeleton(std::string name, std::vector<ParamSpec> params, std::string summary)
{
    MethodSpec m = pruneMethod(std::move(name), std::move(params), std::move(summary));
    m.maskBytes = [](const ParamReader &p, int64_t rows, int64_t cols) {
        return pruneMaskBytes(rows, cols, pruneParamsOf(p));
    };
    return m;
}

} // namespace cwb::methoddetail
