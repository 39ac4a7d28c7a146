// SPDX-License-Identifier: MIT
#pragma once
// The 2-D "matrix view" every per-channel statistic and every spectrum works on: rows are output
// channels, columns are input features, whatever the file's own layout.
//
//   PyTorch / safetensors / GGUF / llama2.c   (out, in, ...)  stored as is: rows = shape[0],
//                                               cols = product of the other dims (a reshape of
//                                               contiguous memory: conv OIHW -> out x in*kh*kw)
//   Keras Dense kernel                          (in, out)       transposed: rows = out, cols = in
//   Keras Conv kernel (HWIO)                    (kh, kw, in, out) transposed: rows = out,
//                                               cols = kh*kw*in, column c = (h*kw + w)*in + i
//
// Both Keras cases are "the stored (product of leading dims) x (last dim) matrix, transposed".
// 1-D and 0-D tensors have a 1 x n view with `perChannel == false`: their per-channel statistics
// would be the values themselves, so they are omitted.

#include "model/model.h"
#include "tensor/tensor.h"

#include <cstdint>
#include <span>
#include <string>

namespace cwb {

struct MatrixView {
    int64_t rows = 0; // output channels
    int64_t cols = 0; // input features
    // true: view = transpose of the stored (storedRows x storedCols) matrix (Keras kernels)
    bool transposed = false;
    int64_t storedRows = 0; // the stored matrix, row-major and contiguous
    int64_t storedCols = 0;
    bool perChannel = true; // false for 0-D / 1-D tensors
    // Empty when the tensor is already an out x in matrix; otherwise how it was reshaped, for the
    // UI: "Keras Dense kernel (in, out) transposed to out x in",
    // "conv kernel HWIO (3, 3, 16, 32) reshaped to out x kh*kw*in = 32 x 144".
    std::string reshape;
};

// The view of `tensor` for a model in `format` (Keras layouts apply only to ModelFormat::KerasH5).
// Throws cwb::Error for a shape with a negative dimension or a product that overflows.
[[nodiscard]] MatrixView matrixView(const Tensor &tensor, ModelFormat format);

// A copy of `tensor` whose bytes are in memory: runs `loader` once (compressed storage) so that
// block-wise readers do not re-run it per block. Checks the stored size against the shape and
// throws cwb::Error naming the tensor when it is short or the dtype cannot be decoded.
[[nodiscard]] Tensor tensorWithBytes(const Tensor &tensor);

// Rows [firstRow, firstRow + nRows) of the view as float32, row-major into `out`
// (nRows * view.cols values). A transposed view gathers columns of the stored matrix, reading
// it in stored-row blocks of about `blockValues` values: O(numel) reads per call, so callers
// wanting the whole matrix ask for all rows at once. Throws cwb::Error for a wrong `out` size,
// rows out of range or an undecodable tensor.
void readViewRows(const Tensor &tensor, const MatrixView &view, int64_t firstRow, int64_t nRows,
                  std::span<float> out, int64_t blockValues = int64_t {1} << 20);

} // namespace cwb
