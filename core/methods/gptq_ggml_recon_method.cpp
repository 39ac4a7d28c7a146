// SPDX-License-Identifier: MIT
// gptq_ggml_recon: block-wise reconstruction onto a ggml block type's grid
// (compress/block_recon.h): gptq_ggml's codes and scales, fitted so that each projection fed the
// compressed prefix's inputs reproduces the ORIGINAL block's output. It needs the cross moment
// of the original and the compressed prefix's inputs, which only sequential calibration collects
// (MethodSpec::needsOriginalCross): the pipeline turns sequential calibration on for a plan that
// holds it, and refuses statistics collected before.
#include "compress/block_recon.h"
#include "methods/gptq_ggml_method.h"
#include "methods/method_support.h"

#include "util/error.h"

namespace cwb {

MethodSpec gptqGgmlReconMethod()
{
    MethodSpec m = gptqGgmlDescriptor(
        "gptq_ggml_recon",
        {floatRange("strength", 0.0, 1.0, 1.0,
                    "share of the least-squares correction toward the original block's output "
                    "(1: the full optimum; 0: gptq_ggml on the compressed prefix's inputs)")},
        "gptq_ggml fitted to the original block's output on the compressed prefix's inputs "
        "(block reconstruction); turns on sequential calibration",
        CWB_TRANSLATE_NOOP("cwb::methods", "GPTQ onto %1, block reconstruction"));
    m.needsOriginalCross = true;
    m.quantize = [](const ParamReader &p, const QuantizeInput &in) {
        BlockReconParams b;
        b.gptq = gptqGgmlParamsOf(p, "gptq_ggml_recon");
        b.strength = p.number("strength");
        const std::vector<double> &h = methoddetail::requireHessian(*in.in, "gptq_ggml_recon");
        if (!in.in->originalCross)
            throw Error("gptq_ggml_recon needs the cross moment of the original model's inputs "
                        "with the compressed prefix's, which only sequential calibration collects "
                        "(cwb compress turns it on for plans with this method; per-tensor "
                        "measurements and statistics collected before have none)");
        if (in.in->originalCross->size() != h.size())
            throw Error("gptq_ggml_recon: the cross moment and the Hessian differ in size");
        // One least-squares unknown per input channel and row: with few tokens per channel the
        // target fits the calibration text's noise (dev256: worse than gptq_ggml at 5 tokens per
        // channel, better at 21; README, issue 13 part 5).
        if (in.in->tokens < 20 * in.cols)
            in.notes->push_back("gptq_ggml_recon fitted its target on "
                                + std::to_string(in.in->tokens) + " calibration tokens for " + std::to_string(in.cols)
                                + " input channels (fewer than 20 per channel): it may overfit; "
                                  "more calibration sequences help");
        if (in.keepMask)
            in.notes->push_back("gptq_ggml_recon kept the pruning mask (pruned weights rounded to "
                                "the code nearest zero, their error compensated)");
        return blockReconQuantize(in.w, in.rows, in.cols, h.data(), in.in->originalCross->data(),
                                  in.in->tokens, b, *in.job, in.keepMask);
    };
    return m;
}

} // namespace cwb
