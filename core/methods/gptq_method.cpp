// SPDX-License-Identifier: MIT
// gptq: error-compensating rounding with the calibration Hessian (compress/gptq.h); stores the
// rtn grid (static groups, no column-to-group map).
#include "compress/gptq.h"
#include "methods/int_grid.h"
#include "methods/method_support.h"

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
