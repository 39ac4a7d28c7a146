// SPDX-License-Identifier: MIT
// Dispatch from a QuantParams variant to the method's quantizer, and the dry-run size.

#include "compress/quant_methods.h"

#include "formats/quant_common.h"

#include <type_traits>
#include <variant>

namespace cwb {

QuantizedTensor quantize(const float *w, int64_t rows, int64_t cols, const QuantParams &p,
                         const JobContext &job)
{
    return std::visit(
        [&](const auto &params) -> QuantizedTensor {
            using P = std::decay_t<decltype(params)>;
            if constexpr (std::is_same_v<P, RtnParams>)
                return quantizeRtn(w, rows, cols, params, job);
            else if constexpr (std::is_same_v<P, Nf4Params>)
                return quantizeNf4(w, rows, cols, params, job);
            else if constexpr (std::is_same_v<P, Fp8Params>)
                return quantizeFp8(w, rows, cols, params, job);
            else if constexpr (std::is_same_v<P, MxFp4Params>)
                return quantizeMxFp4(w, rows, cols, params, job);
            else if constexpr (std::is_same_v<P, NvFp4Params>)
                return quantizeNvFp4(w, rows, cols, params, job);
            else
                return quantizeTernary(w, rows, cols, params, job);
        },
        p);
}

QuantizedTensor quantizeReference(const float *w, int64_t rows, int64_t cols, const QuantParams &p)
{
    return std::visit(
        [&](const auto &params) -> QuantizedTensor {
            using P = std::decay_t<decltype(params)>;
            if constexpr (std::is_same_v<P, RtnParams>)
                return quantizeRtnReference(w, rows, cols, params);
            else if constexpr (std::is_same_v<P, Nf4Params>)
                return quantizeNf4Reference(w, rows, cols, params);
            else if constexpr (std::is_same_v<P, Fp8Params>)
                return quantizeFp8Reference(w, rows, cols, params);
            else if constexpr (std::is_same_v<P, MxFp4Params>)
                return quantizeMxFp4Reference(w, rows, cols, params);
            else if constexpr (std::is_same_v<P, NvFp4Params>)
                return quantizeNvFp4Reference(w, rows, cols, params);
            else
                return quantizeTernaryReference(w, rows, cols, params);
        },
        p);
}

uint64_t quantizedStoredBytes(const QuantParams &p, int64_t rows, int64_t cols)
{
    validateQuantParams(p, rows, cols);
    const QuantizedTensor q = quantdetail::describeLayout(p, rows, cols);
    uint64_t bytes = uint64_t(rows) * uint64_t(q.rowCodeBytes()) + uint64_t(q.scaleBytes())
        + uint64_t(q.zeroBytes());
    if (q.scaleType == ScaleType::DoubleQuant8)
        bytes += 4 * uint64_t((q.scaleCount() + q.dqBlockSize - 1) / q.dqBlockSize) + 4;
    if (q.hasTensorScale)
        bytes += 4;
    return bytes;
}

} // namespace cwb
