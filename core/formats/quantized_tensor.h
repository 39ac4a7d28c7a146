// SPDX-License-Identifier: MIT
#pragma once
// QuantizedTensor: the packed form of one 2-D weight W [rows x cols] (PyTorch Linear layout, a row
// per output channel) under one method of quant_params.h. It is what the compression pipeline
// stores and what the engine reads a block of rows at a time, so the model is never expanded.
//
// Layout (little-endian; every row's codes start on a byte boundary, so any row range can be
// decoded alone):
//   codes    rows x rowCodeBytes().
//            Bits packing: a row is an LSB-first bit stream, code j in bits [j b, j b + b) with
//            b = codeBits: 4-bit puts weight 2k in the low nibble of byte k and 2k+1 in the high
//            nibble (ModelOpt's and ggml's order); 2-bit packs 4 per byte; 3/5/6/7-bit codes
//            straddle bytes. Base3 packing (ternary): 5 weights per byte, t0 + 3 t1 + ... + 81 t4.
//   scales   scaleCount() entries in scaleType, row-major over (row, group); entry i covers
//            weights [g i, g i + g) of the row-major tensor where g = groupSize (groupSize 0:
//            one entry for the whole tensor).
//   zeros    asymmetric rtn only: one zero point of codeBits per scale entry, one LSB-first bit
//            stream over all entries (ceil(scaleCount() codeBits / 8) bytes).
//   secondScales, scaleOffset   nf4 double quantization: fp32 absmax per dqBlockSize scale
//            entries, and the fp32 mean subtracted before quantizing the scales.
//   tensorScale   fp32, when hasTensorScale: nvfp4's global scale, ternary's absmean scale.
//
// What a code means, per method:
//   rtn symmetric   u = q + 2^(b-1) (0 unused), w = (u - 2^(b-1)) s
//   rtn asymmetric  u = q in 0..2^b-1,          w = (u - zero) s
//   nf4             index into kNf4Levels,      w = level[u] absmax
//   fp8_*           the fp8 byte,               w = fp8(u) s
//   mxfp4, nvfp4    E2M1 nibble (bit 3 sign, bits 0-2 index into 0,.5,1,1.5,2,3,4,6),
//                   w = e2m1(u) X (mxfp4: X = 2^(e - 127) from the E8M0 byte; nvfp4: X = fp8 scale
//                   times tensorScale)
//   ternary         t = q + 1 in 0..2,          w = (t - 1) tensorScale
// storedBytes() counts exactly the bytes above; the fixed codebooks (16 NF4 levels, the 256-entry
// dynamic map) are constants of the format, not per-tensor data, and are not counted.

#include "formats/quant_params.h"
#include "util/default_init_allocator.h"

#include <cstdint>
#include <string>
#include <vector>

namespace cwb {

struct JobContext;

enum class ScaleType : uint8_t {
    None,         // no per-group scales (ternary)
    F32,          // IEEE binary32
    F16,          // IEEE binary16
    E8M0,         // OCP MX shared exponent: 2^(byte - 127); 0xff is NaN
    Fp8E4M3,      // OCP E4M3FN
    DoubleQuant8, // nf4 double quantization: index into the dynamic map (quant_grids.h);
                  // absmax = fma(map[u], secondScales[i / dqBlockSize], scaleOffset)
};

enum class CodePacking : uint8_t { Bits, Base3 };

struct QuantizedTensor {
    std::string method; // methodName(params)
    QuantParams params;
    int64_t rows = 0, cols = 0;
    int codeBits = 0; // bits per code (Bits packing); 2 for Base3, the width of one trit's value
    CodePacking packing = CodePacking::Bits;
    int64_t groupSize = 0; // consecutive weights of a row per scale; 0: one for the tensor
    ScaleType scaleType = ScaleType::None;
    int64_t dqBlockSize = 0; // DoubleQuant8: scale entries per secondScales entry
    ByteBuffer codes; // not zeroed by resize(): makeLayout zeroes it where a path needs that
    std::vector<uint8_t> scales;
    std::vector<uint8_t> zeros;
    std::vector<float> secondScales;
    float scaleOffset = 0.0f;
    bool hasTensorScale = false;
    float tensorScale = 0.0f;

    [[nodiscard]] int64_t rowCodeBytes() const;
    [[nodiscard]] int64_t scaleCount() const;
    [[nodiscard]] int64_t scaleBytes() const; // bytes of `scales` the layout requires
    [[nodiscard]] int64_t zeroBytes() const;  // bytes of `zeros` the layout requires
    // codes + scales + zeros + second-level scales and offset + tensor scale, in bytes.
    [[nodiscard]] uint64_t storedBytes() const;
    [[nodiscard]] double bitsPerWeight() const; // storedBytes * 8 / (rows * cols)

    // Throws cwb::Error naming the first field whose size or value disagrees with the layout
    // (e.g. a tensor read back from a file). The dequantizers call it first.
    void checkLayout() const;

    // Rows [firstRow, firstRow + nRows) as floats into out[nRows * cols]. Single-threaded (engine
    // threads call it per row block) and bitwise equal to the reference. Checks the layout first
    // (O(1)); throws cwb::Error for a range outside the tensor.
    void dequantizeRows(int64_t firstRow, int64_t nRows, float *out) const;
    // Plain scalar reference: one weight at a time through scaleAt() and codeAt().
    void dequantizeRowsReference(int64_t firstRow, int64_t nRows, float *out) const;
    // Rows [firstRow, firstRow + nRows) into out[nRows * cols], parallel over row blocks
    // (oneTBB); polls `job` between blocks (cwb::Cancelled). Same values as dequantizeRows.
    void dequantizeRowsParallel(int64_t firstRow, int64_t nRows, float *out,
                                const JobContext &job) const;
    void dequantizeRowsParallel(int64_t firstRow, int64_t nRows, float *out) const;
    // The whole tensor, parallel over row blocks; polls `job` between blocks.
    [[nodiscard]] std::vector<float> dequantize(const JobContext &job) const;
    [[nodiscard]] std::vector<float> dequantize() const;

    // Decoded value of scale entry i (absmax for nf4, 2^(e-127) for mxfp4, the fp8 block scale
    // for nvfp4 without the tensor scale).
    [[nodiscard]] float scaleAt(int64_t i) const;
    // Code of weight (r, c) as stored (see the table above); zero point of scale entry i.
    [[nodiscard]] uint32_t codeAt(int64_t r, int64_t c) const;
    [[nodiscard]] uint32_t zeroAt(int64_t i) const;
};

} // namespace cwb
