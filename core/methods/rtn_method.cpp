// SPDX-License-Identifier: MIT
// rtn: round to nearest on an integer grid (formats/quant_params.h RtnParams).
#include "compress/quant_methods.h"
#include "methods/int_grid.h"
#include "methods/method_support.h"

namespace cwb {

MethodSpec rtnMethod()
{
    using namespace methoddetail;
    MethodSpec m = quantizeMethod("rtn",
                                  {bitsParam(4), groupParam(128), symParam(true),
                                   boolean("f16_scales", true, "float16 scales (false: float32)")},
                                  "round to nearest on an integer grid");
    setIntGridStorage(m, true);
    m.quantize = [](const ParamReader &p, const QuantizeInput &in) {
        return StoredMatrix::fromQuantized(
            quantizeRtn(in.w, in.rows, in.cols, intGridOf(p, p.flag("f16_scales")), *in.job));
    };
    return m;
}

} // namespace cwb
