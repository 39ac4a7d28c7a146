// SPDX-License-Identifier: MIT
// gptq: error-compensating rounding with the calibration Hessian (compress/gptq.h); stores the
// rtn grid (static groups, no column-to-group map).
#include "compress/gptq.h"
#include "methods/int_grid.h"
#include "methods/method_support.h"
#include "methods/recipe_forms.h"

namespace cwb {

MethodSpec gptqMethod()
{
    using namespace methoddetail;
    MethodSpec m = quantizeMethod(
        "gptq",
        {bitsParam(4), groupParam(128), symParam(true), dampParam(),
         boolean("act_order", true, "quantize columns in order of decreasing Hessian diagonal"),
         blockSizeParam()},
        "GPTQ: error-compensating rounding with the calibration Hessian");
    m.needsCalibration = true;
    m.needsHessian = true;
    m.reportsMethodName = true;
    setIntGridStorage(m, false);
    m.checkParams = perTensorGroupProblem;
    m.recipeForms = [](const ParamReader &p, DType) {
        RecipeForms f = intGridRecipeForms(p, true, "gptq");
        const bool actOrder = p.flag("act_order");
        const double damp = p.number("damp");
        // Our act order keeps groups in column order (no g_idx): llm-compressor's "static"
        // (alias "weight"), GPTQModel's desc_act with static_groups. The modifier's actorder
        // applies to all its groups; null switches it off (its default is static).
        f.llmCompressor.algorithm = "GPTQModifier";
        f.llmCompressor.shared = {
            {"block_size", p.integer("block_size")},
            {"dampening_frac", damp},
            {"actorder", actOrder ? ToolValue(std::string("static")) : ToolValue()}};
        f.gptqModel.algorithm = "gptq";
        f.gptqModel.args = gptqModelGridArgs({p.integer("bits"), p.integer("group"), p.flag("sym")},
                                             actOrder);
        // act_group_aware is GPTQModel's own reordering (on by default without desc_act).
        f.gptqModel.shared = {{"damp_percent", damp},
                              {"static_groups", true},
                              {"act_group_aware", false}};
        f.gptqModel.exact = damp > 0.0 && damp < 1.0;
        if (!f.gptqModel.exact)
            f.gptqModel.note = "GPTQModel requires 0 < damp_percent < 1";
        return f;
    };
    m.quantize = [](const ParamReader &p, const QuantizeInput &in) {
        GptqParams g;
        g.bits = static_cast<int>(p.integer("bits"));
        g.group = rowGroupOf(p, "gptq");
        g.sym = p.flag("sym");
        g.damp = p.number("damp");
        g.actOrder = p.flag("act_order");
        g.blockSize = static_cast<int>(p.integer("block_size"));
        const std::vector<double> &h = requireHessian(*in.in, "gptq");
        if (in.keepMask)
            in.notes->push_back("gptq kept the pruning mask (pruned weights held at zero)");
        return StoredMatrix::fromQuantized(gptqQuantize(in.w, in.rows, in.cols, h.data(),
                                                        in.in->tokens, g, *in.job, in.keepMask));
    };
    return m;
}

} // namespace cwb
