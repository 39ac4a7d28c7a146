// SPDX-License-Identifier: MIT
// awq: activation-aware per-input-channel scales, then the rtn grid (compress/awq.h). Stored as
// the grid plus the float32 scales s, unless the pipeline folds s into the preceding norm
// (pipeline/awq_fold.h: the projections then store the grid alone and the norm is stored).
#include "methods/awq_method.h"

#include "methods/int_grid.h"
#include "methods/method_support.h"
#include "methods/recipe_forms.h"
#include "util/error.h"

#include <cstdio>

namespace cwb {

AwqParams awqParamsOf(const ParamReader &p)
{
    AwqParams a;
    a.bits = static_cast<int>(p.integer("bits"));
    a.group = methoddetail::rowGroupOf(p, "awq");
    a.sym = p.flag("sym");
    a.alphaGrid = static_cast<int>(p.integer("alpha_grid"));
    return a;
}

MethodSpec awqMethod()
{
    using namespace methoddetail;
    MethodSpec m = quantizeMethod(
        "awq",
        {bitsParam(4), groupParam(128), symParam(false),
         intRange("alpha_grid", 1, 100, 20,
                  "points of the search over the activation scale exponent")},
        "AWQ: activation-aware per-channel scales, then the integer grid");
    m.needsCalibration = true;
    m.needsHessian = true;
    m.reportsMethodName = true;
    m.awqFold = awqParamsOf;
    setIntGridStorage(m, false);
    m.checkParams = perTensorGroupProblem;
    m.storedSize = [](const ParamReader &p, const StoredShape &s) {
        ByteEstimate e = intGridBytes(p, s, true);
        e.extra += 4 * s.cols; // s: one float32 per input channel
        return e;
    };
    m.exportForms = [](const ParamReader &p, DType) {
        ExportForms f;
        f.note = "the per-input-channel scales have no GGUF or compressed-tensors field; folded "
                 "into a norm, the projections are the plain grid ("
                 + intGridExportForms(p, true).gguf + ", "
                 + intGridExportForms(p, true).compressedTensors + ")";
        return f;
    };
    m.recipeForms = [](const ParamReader &p, DType) {
        RecipeForms f = intGridRecipeForms(p, true, "awq");
        // The grid is expressible; the activation-aware scales chosen per tensor are not.
        f.llmCompressor.exact = false;
        f.llmCompressor.note = "llm-compressor's AWQModifier smooths the model's whole layer "
                               "mappings at once, not chosen tensors: written as a plain "
                               "QuantizationModifier grid, without the activation-aware scales";
        f.gptqModel.algorithm.clear();
        f.gptqModel.exact = false;
        f.gptqModel.note = "GPTQModel runs AWQ only for a whole model (quant_method awq): the "
                           "grid is quantized with the model's algorithm, without the "
                           "activation-aware scales";
        return f;
    };
    m.quantize = [](const ParamReader &p, const QuantizeInput &in) {
        const AwqParams a = awqParamsOf(p);
        const std::vector<double> &h = requireHessian(*in.in, "awq");
        if (in.in->meanAbs.empty())
            throw Error("awq needs the mean |x| of this tensor's input channels");
        AwqResult r = awqQuantize(in.w, in.rows, in.cols, in.in->meanAbs, h.data(), in.in->tokens,
                                  a, *in.job);
        char buf[128];
        std::snprintf(buf, sizeof buf, "awq alpha %.3g: output error %.4g (plain rtn %.4g)",
                      r.alpha, r.outputError, r.plainRtnError);
        in.notes->emplace_back(buf);
        return awqStoredMatrix(std::move(r), a, in.rows, in.cols);
    };
    return m;
}

} // namespace cwb
