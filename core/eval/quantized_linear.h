// SPDX-License-Identifier: MIT
#pragma once
// Weights kept in a compressed form of core/compress (QuantizedTensor: rtn, gptq, nf4, fp8,
// mxfp4, nvfp4, ternary). The matrix is never expanded. Decode (up to four input rows) of 4- and
// 8-bit rtn / gptq / awq codes and of nf4 / mxfp4 / fp8 in groups of a multiple of 32 runs the
// fused dequantize-dot kernel (formats/packed_dot.h: codes read once, straight from the packed
// row); everything else dequantizes tiles of output rows (at most ~256 KiB of floats, as
// GgmlLinear does) into a per-thread buffer and multiplies each tile with the float GEMM, tiles
// in parallel. storedBytes() and format() describe the packed tensor.
// With integer activations (withIntegerActivations(), the engine's integer mode), rtn / gptq /
// awq codes of 2 to 8 bits (symmetric or not) in groups of a multiple of 32, and ternary trits,
// run as W2A8 / W4A8 / W8A8, and so do nf4, mxfp4 and nvfp4 (4-bit codes indexing levels:
// integer levels, exact for mxfp4 and nvfp4, nf4's rounded to 1/63.5 of the block scale;
// formats/int_dot.h LevelCodes; nvfp4's scales per 16 values in a layout of their own). 2-bit codes and trits (zero point 1, the tensor scale) keep 2 bits, 3-bit codes
// are held as nibbles, 5- to 7-bit ones in the 8-bit layout: for those the runtime holds 4 or 8
// bits per weight where fewer are stored, the price of running on the 4- and 8-bit kernels.
// The input rows are quantized to Q8_0 once, the matrix held as groups of 8 interleaved rows
// (formats/int_dot.h; fp scales widened to float, so ~4-13 % more memory than stored for 4- and
// 8-bit codes) and multiplied with the
// integer group kernel, decode and prefill alike; forwardReference then rounds its input to
// Q8_0 first. The codes are then held once, interleaved: the tensor's own vectors are freed and
// row() decodes from the interleaved layout (the same values, tested).
// Symmetric 4-bit codes in groups of 32 with fp16 scales (rtn / gptq / awq at group 32, the
// GPTQ default layout) are exactly Q4_0 blocks (value = d * (u - 8), d the fp16 scale): in
// integer mode they are repacked as Q4_0 and run as a Q4_0 GgmlLinear, whose interleaved
// layout carries 8 fp16 scales per block of 8 rows x 32 where the group layout carries 40 bytes
// of float scales and zero points (17 % more bytes to read per weight, so 0.84-0.86x of Q4_0's
// decode before).
// forwardReference is the scalar reference the fast path is tested against: every row decoded
// by the tensor's reference dequantizer and dot products accumulated in double.

#include "eval/linear_weights.h"
#include "formats/int_dot.h"
#include "formats/quantized_tensor.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace cwb {

class GgmlLinear;

class QuantizedLinear final : public LinearWeights {
public:
    // Takes the tensor; throws cwb::Error when its layout is inconsistent (checkLayout) or empty.
    explicit QuantizedLinear(QuantizedTensor tensor, bool intActivations = false);

    [[nodiscard]] int64_t outFeatures() const override { return q_.rows; }
    [[nodiscard]] int64_t inFeatures() const override { return q_.cols; }
    [[nodiscard]] uint64_t storedBytes() const override { return storedBytes_; }
    [[nodiscard]] std::string format() const override { return q_.method; }
    void forward(const float *x, int64_t nRows, float *y) const override;
    void row(int64_t r, float *out) const override;
    // The W2A8 / W4A8 / W8A8 variant (nullptr unless integerLayoutBits() finds a layout: rtn
    // codes of 2 to 8 bits and ternary trits, nf4 / mxfp4 codes in groups of a multiple of 32,
    // nvfp4's blocks of 16; and an integer kernel exists at the active level).
    [[nodiscard]] std::shared_ptr<const LinearWeights> withIntegerActivations() const override;

    void forwardReference(const float *x, int64_t nRows, float *y) const;
    // The stored tensor. In integer mode its codes, scales and zero points live only in the
    // interleaved layout (the vectors here are empty); row() decodes from there.
    [[nodiscard]] const QuantizedTensor &tensor() const { return q_; }
    // Rows per dequantized tile in forward.
    [[nodiscard]] int64_t tileRows() const { return tileRows_; }

    // Whether decode runs the fused kernel.
    [[nodiscard]] bool fusedDecode() const { return fused_; }
    // Whether forward runs the integer (W4A8) kernels.
    [[nodiscard]] bool integerKernels() const { return !interleaved_.empty() || asQ4_0_; }
    // Whether it does so as Q4_0 blocks (symmetric 4-bit codes, groups of 32, fp16 scales).
    [[nodiscard]] bool runsAsQ4_0() const { return asQ4_0_ != nullptr; }
    // The interleaved groups the integer kernels read (empty unless integerKernels()).
    [[nodiscard]] const std::vector<std::byte> &interleavedBytes() const { return interleaved_; }

private:
    void forwardFused(const float *x, int64_t nRows, float *y) const;
    void forwardInteger(const float *x, int64_t nRows, float *y) const;
    // The integer layout's code width (4 or 8; formats/int_dot.h), 0 when the tensor has none.
    [[nodiscard]] int integerLayoutBits() const;
    [[nodiscard]] bool q4_0Layout() const;
    [[nodiscard]] std::vector<std::byte> q4_0Blocks() const;
    [[nodiscard]] int64_t groupSize() const { return q_.groupSize > 0 ? q_.groupSize : q_.cols; }
    void interleave();
    // nvfp4's scales per 16 values: the half-block layout (formats/int_dot.h).
    [[nodiscard]] bool halfBlockScales() const;
    void interleaveHalfBlocks();
    [[nodiscard]] LevelCodes integerLevels() const;
    [[nodiscard]] float levelOf(int u, bool integerLevels) const;

    QuantizedTensor q_;
    int64_t tileRows_ = 0;
    bool fused_ = false;
    bool levels_ = false; // nf4 / mxfp4 / fp8: the codes index levelTable_
    std::array<float, 256> levelTable_{};
    int fp8Codes_ = 0;    // fp8: 1 E4M3, 2 E5M2 (PackedRow::fp8)
    LevelCodes levelCodes_{}; // integer mode of level codes (formats/int_dot.h)
    std::vector<std::byte> interleaved_; // groups of 8 rows (formats/int_dot.h), integer mode
    int layoutBits_ = 0;                 // its code width, 4 or 8
    std::shared_ptr<const GgmlLinear> asQ4_0_; // integer mode of q4_0Layout() tensors
    uint64_t storedBytes_ = 0;            // the stored tensor's, kept when its vectors are freed
    void rowFromInterleaved(int64_t r, float *out, bool integerLevels = false) const;
};

} // namespace cwb
