// SPDX-License-Identifier: MIT
#pragma once
// The weight quantizers: one function per method, each with a plain scalar reference
// (`...Reference`: one weight at a time, single-threaded, generic bit packing) and a fast path
// (oneTBB over row blocks, vectorizable per-row kernels). Both produce the same bytes: every
// decision uses the same float expressions, and reductions whose order could matter (ternary's
// absmean, nf4's mean of scales) are defined row by row in row order. test_quant_formats checks
// codes, scales and zeros for equality.
//
// w is row-major [rows x cols] float32. Params are validated first (validateQuantParams); a
// non-finite weight throws cwb::Error naming its row and column; the fast paths poll `job`
// between row blocks and throw cwb::Cancelled.

#include "formats/quant_params.h"
#include "formats/quantized_tensor.h"

#include <cstdint>

namespace cwb {

struct JobContext;

QuantizedTensor quantizeRtn(const float *w, int64_t rows, int64_t cols, const RtnParams &p,
                            const JobContext &job);
QuantizedTensor quantizeRtnReference(const float *w, int64_t rows, int64_t cols,
                                     const RtnParams &p);

QuantizedTensor quantizeNf4(const float *w, int64_t rows, int64_t cols, const Nf4Params &p,
                            const JobContext &job);
QuantizedTensor quantizeNf4Reference(const float *w, int64_t rows, int64_t cols,
                                     const Nf4Params &p);

QuantizedTensor quantizeFp8(const float *w, int64_t rows, int64_t cols, const Fp8Params &p,
                            const JobContext &job);
QuantizedTensor quantizeFp8Reference(const float *w, int64_t rows, int64_t cols,
                                     const Fp8Params &p);

QuantizedTensor quantizeMxFp4(const float *w, int64_t rows, int64_t cols, const MxFp4Params &p,
                              const JobContext &job);
QuantizedTensor quantizeMxFp4Reference(const float *w, int64_t rows, int64_t cols,
                                       const MxFp4Params &p);

QuantizedTensor quantizeNvFp4(const float *w, int64_t rows, int64_t cols, const NvFp4Params &p,
                              const JobContext &job);
QuantizedTensor quantizeNvFp4Reference(const float *w, int64_t rows, int64_t cols,
                                       const NvFp4Params &p);

QuantizedTensor quantizeTernary(const float *w, int64_t rows, int64_t cols,
                                const TernaryParams &p, const JobContext &job);
QuantizedTensor quantizeTernaryReference(const float *w, int64_t rows, int64_t cols,
                                         const TernaryParams &p);

// Dispatch on the variant (what the pipeline calls with a recipe's resolved settings).
QuantizedTensor quantize(const float *w, int64_t rows, int64_t cols, const QuantParams &p,
                         const JobContext &job);
QuantizedTensor quantizeReference(const float *w, int64_t rows, int64_t cols,
                                  const QuantParams &p);

// storedBytes() of the result, without quantizing: for dry runs and budget solvers.
[[nodiscard]] uint64_t quantizedStoredBytes(const QuantParams &p, int64_t rows, int64_t cols);

} // namespace cwb
