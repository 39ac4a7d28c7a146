// SPDX-License-Identifier: MIT
#pragma once
// One matrix as the compression pipeline stores it: plain floats (F32 / F16 / BF16 bytes), a
// QuantizedTensor of core/compress (rtn, gptq, awq, nf4, fp8, mxfp4, nvfp4, ternary) or ggml
// blocks (q4_0 ... q6_k, llama.cpp's bytes). AWQ adds a per-input-channel multiplier:
// the layer computes W (x / s), so `inputScales` holds s and the codes quantize W diag(s).
//
// linear() gives the engine's view of it (LinearWeights: dequantized a tile at a time, never
// expanded whole); dequantize() the dense float32 values of W itself (s already divided out),
// for error measurements and the histogram overlay.

#include "formats/dtype.h"
#include "formats/quantized_tensor.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace cwb {

class LinearWeights;

struct StoredMatrix {
    enum class Kind : uint8_t { Float, Quantized, Ggml };
    Kind kind = Kind::Float;
    int64_t rows = 0, cols = 0;
    DType type = DType::F32;        // Float: F32, F16 or BF16; Ggml: the block type
    std::vector<std::byte> bytes;   // Float and Ggml: rows x cols values as stored
    QuantizedTensor quant;          // Quantized
    std::vector<float> inputScales; // AWQ's s (cols values); empty: none

    // Float storage of `values` (rows x cols) in `type` (F32, F16 or BF16; others throw).
    static StoredMatrix fromFloats(const std::vector<float> &values, int64_t rows, int64_t cols,
                                   DType type);
    static StoredMatrix fromQuantized(QuantizedTensor q, std::vector<float> inputScales = {});
    static StoredMatrix fromGgml(DType type, std::vector<std::byte> bytes, int64_t rows,
                                 int64_t cols);

    // Exact bytes of the stored form: values / codes + scales + zeros + AWQ's fp32 multiplier.
    [[nodiscard]] uint64_t storedBytes() const;
    // "F16", "Q4_K", "rtn", "awq(rtn)", ...: the storage format's name
    [[nodiscard]] std::string format() const;
    // The same with its layout, for people: "int4 g32 asym", "int8 per-channel", "nf4 b64",
    // "fp8_e4m3 per-tensor", "Q4_K", "F16", and AWQ's "+ input scales".
    [[nodiscard]] std::string describe() const;
    // Throws cwb::Error naming `where` when sizes disagree with the shape or the type (what a
    // file read back must pass before anything decodes it).
    void check(const std::string &where) const;
    [[nodiscard]] std::shared_ptr<const LinearWeights> linear() const;
    [[nodiscard]] std::vector<float> dequantize() const;
    // Rows [firstRow, firstRow + nRows) of dequantize() into out[nRows * cols] (parallel
    // inside): a pass over a large matrix without its whole float copy. Throws cwb::Error for
    // rows outside the matrix.
    void dequantizeRows(int64_t firstRow, int64_t nRows, float *out) const;
};

} // namespace cwb
