// SPDX-License-Identifier: MIT
#include "eval/quantized_linear.h"

#include "eval/ggml_linear.h"
#include "eval/matmul.h"
#include "eval/row_tiles.h"
#include "formats/float_formats.h"
#include "formats/int_dot.h"
#include "formats/packed_dot.h"
#include "formats/q8_activations.h"
#include "formats/quant_grids.h"
#include "formats/quant_packing.h"
#include "util/error.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>
#include <variant>
#include <vector>

namespace cwb {
namespace {

// 32 codes (0..15, one per byte) in Q4_0's nibble order: 16 bytes, byte j = code j | code j+16
// << 4. Both integer layouts (Q4_0 blocks, interleaved 4-bit groups) use it.
void q4_0Nibbles(const uint8_t *codes, std::byte *out)
{
    for (int j = 0; j < 16; ++j)
        out[j] = std::byte(codes[j] | (codes[j + 16] << 4));
}

// Calls f(rowGroup, lane, row, codes) for every row of q in groups of 8 (lane: its place in
// kInterleavedLaneRows), with the row's codes unpacked one per byte.
template <class F>
void forEachInterleavedRow(const QuantizedTensor &q, const F &f)
{
    const int64_t rowGroups = (q.rows + kInterleavedRows - 1) / kInterleavedRows;
    const int64_t rowBytes = q.rowCodeBytes();
    std::vector<uint8_t> u(static_cast<size_t>(q.cols));
    for (int64_t rg = 0; rg < rowGroups; ++rg)
        for (int lane = 0; lane < kInterleavedRows; ++lane) {
            const int64_t r = rg * kInterleavedRows + kInterleavedLaneRows[lane];
            if (r >= q.rows)
                continue;
            const uint8_t *rowCodes = q.codes.data() + r * rowBytes;
            if (q.packing == CodePacking::Base3)
                quantpack::unpackBase3(rowCodes, q.cols, u.data());
            else
                quantpack::unpackCodes(rowCodes, q.cols, q.codeBits, u.data());
            f(rg, lane, r, u.data());
        }
}

// Calls kernel(group bytes, input row0, input rows, y, yStride) for every group of 8
// interleaved rows (perGroup bytes each) and every run of up to kIntDotMaxRows input rows, in
// row tiles (multiples of 16 rows, so a group is never split); the last group may hold fewer
// than 8 rows and goes through a small buffer.
template <class Kernel>
void forEachInterleavedGroup(const std::byte *bytes, int64_t perGroup, int64_t nRows, int64_t out,
                             int64_t cols, float *y, const Kernel &kernel)
{
    forEachRowTile(nRows, out, cols, [&](int64_t r0, int64_t r1) {
        float tail[kIntDotMaxRows * kInterleavedRows];
        for (int64_t r = r0; r < r1; r += kInterleavedRows) {
            const std::byte *g = bytes + (r / kInterleavedRows) * perGroup;
            for (int64_t i = 0; i < nRows; i += kIntDotMaxRows) {
                const int rows = int(std::min<int64_t>(kIntDotMaxRows, nRows - i));
                if (r + kInterleavedRows <= out) {
                    kernel(g, i, rows, y + i * out + r, out);
                    continue;
                }
                kernel(g, i, rows, tail, kInterleavedRows);
                for (int a = 0; a < rows; ++a)
                    for (int64_t k = 0; k < out - r; ++k)
                        y[(i + a) * out + r + k] = tail[a * kInterleavedRows + k];
            }
        }
    });
}

} // namespace

QuantizedLinear::QuantizedLinear(QuantizedTensor tensor, bool intActivations)
    : q_(std::move(tensor))
{
    q_.checkLayout();
    if (q_.rows <= 0 || q_.cols <= 0)
        throw Error("QuantizedLinear: tensor '" + q_.method + "' has shape "
                    + std::to_string(q_.rows) + " x " + std::to_string(q_.cols)
                    + ", expected a non-empty matrix");
    tileRows_ = l2TileRows(q_.cols);
    // The fused decode kernel takes rtn codes of 4 or 8 bits and the level indices of nf4,
    // mxfp4 / nvfp4 (4-bit e2m1 values; e8m0 block scales, or fp8 scales of 16 values times a
    // tensor scale) and fp8 (8-bit), in groups of a multiple of 32 (or nvfp4's 16) dividing the
    // row.
    const auto *rtn = std::get_if<RtnParams>(&q_.params);
    if (std::holds_alternative<Nf4Params>(q_.params) && q_.codeBits == 4) {
        std::copy(kNf4Levels.begin(), kNf4Levels.end(), levelTable_.begin());
        levels_ = true;
    } else if (std::holds_alternative<MxFp4Params>(q_.params) && q_.codeBits == 4) {
        for (int u = 0; u < 16; ++u)
            levelTable_[size_t(u)] = e2m1ToFloat(uint8_t(u));
        levels_ = true;
    } else if (std::holds_alternative<NvFp4Params>(q_.params) && q_.codeBits == 4) {
        for (int u = 0; u < 16; ++u)
            levelTable_[size_t(u)] = e2m1ToFloat(uint8_t(u));
        levels_ = true;
    } else if (const auto *fp8 = std::get_if<Fp8Params>(&q_.params); fp8 && q_.codeBits == 8) {
        for (int u = 0; u < 256; ++u)
            levelTable_[size_t(u)] = fp8->format == Fp8Format::E5M2 ? fp8E5M2ToFloat(uint8_t(u))
                                                                    : fp8E4M3ToFloat(uint8_t(u));
        levels_ = true;
        fp8Codes_ = fp8->format == Fp8Format::E5M2 ? 2 : 1;
    }
    const int64_t group = q_.groupSize > 0 ? q_.groupSize : q_.cols;
    const bool groupFits = group % 32 == 0 || (levels_ && q_.codeBits == 4 && group == 16);
    fused_ = (rtn || levels_) && q_.packing == CodePacking::Bits
             && (q_.codeBits == 4 || q_.codeBits == 8) && groupFits && q_.cols % group == 0
             && q_.cols % 32 == 0;
    storedBytes_ = q_.storedBytes();
    if (intActivations && integerLayoutBits() != 0) {
        if (q4_0Layout())
            asQ4_0_ = std::make_shared<GgmlLinear>(DType::Q4_0, q4_0Blocks(), q_.rows, q_.cols, true);
        else if (levels_)
            levelCodes_ = integerLevels();
        if (!asQ4_0_) {
            layoutBits_ = integerLayoutBits();
            if (halfBlockScales())
                interleaveHalfBlocks();
            else
                interleave();
        }
        // Held once: the interleaved layout has every code, scale and zero point.
        q_.codes = {};
        q_.scales = {};
        q_.zeros = {};
    }
}

int QuantizedLinear::integerLayoutBits() const
{
    // nvfp4: 4-bit level codes with a scale per 16 values (the half-block layout).
    if (halfBlockScales())
        return fused_ && q_.cols % 32 == 0 && packedHalfBlockLevelKernel() ? 4 : 0;
    // Whole blocks of 32 in whole groups along the row.
    const int64_t group = groupSize();
    if (q_.cols % 32 != 0 || group % 32 != 0 || q_.cols % group != 0)
        return 0;
    // 4-bit codes indexing levels (nf4, mxfp4; not nvfp4's blocks of 16 or tensor scale),
    // through integer levels (formats/int_dot.h LevelCodes).
    if (levels_)
        return fused_ && q_.codeBits == 4 && !q_.hasTensorScale && packedLevelGroupKernel() ? 4
                                                                                             : 0;
    // Ternary trits (either packing) are 2-bit codes with the zero point 1 and the tensor scale.
    if (std::holds_alternative<TernaryParams>(q_.params))
        return packedGroupKernel(2) ? 2 : 0;
    const auto *rtn = std::get_if<RtnParams>(&q_.params);
    if (!rtn || q_.packing != CodePacking::Bits || q_.hasTensorScale)
        return 0;
    // rtn / gptq / awq codes of 2 and 4 bits keep their width, 3-bit ones go into nibbles, 5-
    // to 8-bit ones into the 8-bit layout (u - 128 and the zero point apart).
    const int bits = q_.codeBits == 2 ? 2 : q_.codeBits <= 4 ? 4 : 8;
    return q_.codeBits >= 2 && q_.codeBits <= 8 && packedGroupKernel(bits) ? bits : 0;
}

bool QuantizedLinear::q4_0Layout() const
{
    const auto *rtn = std::get_if<RtnParams>(&q_.params);
    return fused_ && !levels_ && rtn && rtn->symmetric && q_.codeBits == 4 && q_.groupSize == 32
           && q_.scaleType == ScaleType::F16 && !q_.hasTensorScale;
}

std::vector<std::byte> QuantizedLinear::q4_0Blocks() const
{
    // Per block of 32: the group's fp16 scale as stored, then byte j = code j | code j+16 << 4.
    const int64_t blocks = q_.cols / 32, rowBytes = q_.rowCodeBytes();
    std::vector<std::byte> out(size_t(q_.rows * blocks * 18));
    std::vector<uint8_t> u(static_cast<size_t>(q_.cols));
    for (int64_t r = 0; r < q_.rows; ++r) {
        quantpack::unpackCodes(q_.codes.data() + r * rowBytes, q_.cols, 4, u.data());
        for (int64_t b = 0; b < blocks; ++b) {
            std::byte *block = out.data() + (r * blocks + b) * 18;
            const int64_t group = r * blocks + b; // groups of 32 run along the row
            block[0] = std::byte(q_.scales[size_t(2 * group)]);
            block[1] = std::byte(q_.scales[size_t(2 * group + 1)]);
            q4_0Nibbles(u.data() + b * 32, block + 2);
        }
    }
    return out;
}

std::shared_ptr<const LinearWeights> QuantizedLinear::withIntegerActivations() const
{
    if (integerKernels() || integerLayoutBits() == 0)
        return nullptr;
    return std::make_shared<QuantizedLinear>(q_, true);
}

LevelCodes QuantizedLinear::integerLevels() const
{
    // mxfp4's e2m1 values times 2 are the integers 0 1 2 3 4 6 8 12 (and negatives): exact.
    // nf4's levels (in [-1, 1]) in units of 1/63.5: each within 1/127 of its value
    // (formats/int_dot.h, LevelCodes).
    return makeLevelCodes(levelTable_.data());
}

void QuantizedLinear::interleave()
{
    // Groups of 8 rows (the last one padded with zero scales), per weight group a header of the
    // 8 scales and zero points, then per block of 32 the rows' codes: in the 4-bit layout as
    // nibbles in Q4_0's order (byte j: value j low, j + 16 high), two rows per 32 bytes; in the
    // 8-bit layout the values u - 128 as int8 in Q8_0's pair order (bytes 0..15 of both rows,
    // then 16..31) and 127 - z in the zero-point byte; in the 2-bit layout four codes a byte
    // (formats/int_dot.h). 3-bit codes take nibbles (the runtime holds 4 bits per weight where 3
    // are stored), 5 to 7 bits a byte.
    const int bits = layoutBits_;
    const int64_t cols = q_.cols, group = groupSize(), groups = cols / group;
    const int64_t perGroup = packedGroupBytes(cols, group, bits);
    const int64_t blockBytes = packedBlockBytes(bits);
    const int64_t rowGroups = (q_.rows + kInterleavedRows - 1) / kInterleavedRows;
    interleaved_.assign(size_t(rowGroups * perGroup), std::byte{0});
    const bool ternary = std::holds_alternative<TernaryParams>(q_.params);
    const auto *rtn = std::get_if<RtnParams>(&q_.params);
    forEachInterleavedRow(q_, [&](int64_t rg, int lane, int64_t r, const uint8_t *u) {
        const int k = kInterleavedLaneRows[lane];
        for (int64_t g = 0; g < groups; ++g) {
            std::byte *h = interleaved_.data() + rg * perGroup
                           + g * (kPackedGroupHeaderBytes + group / 32 * blockBytes);
            const int64_t i = q_.groupSize == 0 ? 0 : (r * cols + g * group) / q_.groupSize;
            // Level codes have no zero point (the byte stays 0); trits are u - 1.
            const float s = ternary ? q_.tensorScale : q_.scaleAt(i);
            const int z = levels_          ? 0
                          : ternary        ? 1
                          : rtn->symmetric ? 1 << (q_.codeBits - 1)
                                           : int(q_.zeroAt(i));
            std::memcpy(h + 4 * lane, &s, 4);
            h[32 + lane] = std::byte(uint8_t(bits == 8 ? 127 - z : z));
            for (int64_t b = 0; b < group / 32; ++b) {
                std::byte *block = h + kPackedGroupHeaderBytes + b * blockBytes;
                std::byte *pair = block + (k / 2) * (blockBytes / 4);
                const uint8_t *c = u + g * group + b * 32;
                if (bits == 2) { // pair P's bits 4 (P % 2) of half P / 2 (rows' bytes 16 apart)
                    const int p = k / 2, shift = 4 * (p % 2);
                    std::byte *bytes = block + 32 * (p / 2) + 16 * (k % 2);
                    for (int j = 0; j < 16; ++j)
                        bytes[j] |= std::byte((c[j] | (c[j + 16] << 2)) << shift);
                    continue;
                }
                if (bits == 8) {
                    for (int j = 0; j < 16; ++j) {
                        pair[(k % 2) * 16 + j] = std::byte(uint8_t(c[j] - 128));
                        pair[32 + (k % 2) * 16 + j] = std::byte(uint8_t(c[j + 16] - 128));
                    }
                    continue;
                }
                q4_0Nibbles(c, pair + (k % 2) * 16);
            }
        }
    });
}

bool QuantizedLinear::halfBlockScales() const
{
    return std::holds_alternative<NvFp4Params>(q_.params) && q_.codeBits == 4
           && q_.groupSize == 16 && q_.hasTensorScale;
}

void QuantizedLinear::interleaveHalfBlocks()
{
    // Groups of 8 rows (the last one padded with zero scales), per block of 32 the 8 rows' fp16
    // scales of values 0..15, those of 16..31, then the codes as in the 4-bit layout
    // (formats/int_dot.h, kPackedHalfBlockBytes). The E4M3 scales are exact in fp16; the tensor
    // scale goes into the kernel's unit.
    const int64_t cols = q_.cols, blocks = cols / 32;
    const int64_t rowGroups = (q_.rows + kInterleavedRows - 1) / kInterleavedRows;
    interleaved_.assign(size_t(rowGroups * blocks * kPackedHalfBlockBytes), std::byte{0});
    forEachInterleavedRow(q_, [&](int64_t rg, int lane, int64_t r, const uint8_t *u) {
        const int k = kInterleavedLaneRows[lane];
        for (int64_t b = 0; b < blocks; ++b) {
            std::byte *block = interleaved_.data() + (rg * blocks + b) * kPackedHalfBlockBytes;
            for (int half = 0; half < 2; ++half) {
                const uint16_t h = floatToFp16(q_.scaleAt((r * cols + b * 32) / 16 + half));
                block[16 * half + 2 * lane] = std::byte(h & 0xFF);
                block[16 * half + 2 * lane + 1] = std::byte(h >> 8);
            }
            q4_0Nibbles(u + b * 32, block + 32 + (k / 2) * 32 + (k % 2) * 16);
        }
    });
}

void QuantizedLinear::forwardInteger(const float *x, int64_t nRows, float *y) const
{
    if (asQ4_0_) {
        asQ4_0_->forward(x, nRows, y);
        return;
    }
    Q8Activations q;
    quantizeActivations(ActivationRounding::Q8_0, x, nRows, q_.cols, q);
    const Q8View view = q.view();
    const int64_t group = groupSize();
    if (halfBlockScales()) { // nvfp4: the half-block layout, its kernel and half sums
        std::vector<int16_t> halfSums(static_cast<size_t>(nRows * q_.cols / 16));
        halfBlockSums(view, nRows, halfSums.data());
        LevelCodes levels = levelCodes_;
        levels.unit *= q_.tensorScale;
        const PackedHalfBlockLevelFn kernel = packedHalfBlockLevelKernel();
        forEachInterleavedGroup(
            interleaved_.data(), q_.cols / 32 * kPackedHalfBlockBytes, nRows, q_.rows, q_.cols, y,
            [&](const std::byte *g, int64_t row0, int rows, float *yOut, int64_t yStride) {
                kernel(g, levels, view, halfSums.data(), row0, rows, yOut, yStride);
            });
    } else if (levels_) {
        const PackedLevelGroupFn kernel = packedLevelGroupKernel();
        forEachInterleavedGroup(
            interleaved_.data(), packedGroupBytes(q_.cols, group, layoutBits_), nRows, q_.rows,
            q_.cols, y,
            [&](const std::byte *g, int64_t row0, int rows, float *yOut, int64_t yStride) {
                kernel(g, group, levelCodes_, view, row0, rows, yOut, yStride);
            });
    } else {
        const PackedGroupFn kernel = packedGroupKernel(layoutBits_);
        forEachInterleavedGroup(
            interleaved_.data(), packedGroupBytes(q_.cols, group, layoutBits_), nRows, q_.rows,
            q_.cols, y,
            [&](const std::byte *g, int64_t row0, int rows, float *yOut, int64_t yStride) {
                kernel(g, group, view, row0, rows, yOut, yStride);
            });
    }
}

void QuantizedLinear::row(int64_t r, float *out) const
{
    if (r < 0 || r >= q_.rows)
        throw Error("QuantizedLinear: row " + std::to_string(r) + " out of range ("
                    + std::to_string(q_.rows) + " rows)");
    if (asQ4_0_)
        asQ4_0_->row(r, out);
    else if (integerKernels())
        rowFromInterleaved(r, out);
    else
        q_.dequantizeRows(r, 1, out);
}

void QuantizedLinear::rowFromInterleaved(int64_t r, float *out, bool integerLevels) const
{
    // As QuantizedTensor decodes rtn codes: float(u - z) * s, z = 2^(b-1) when symmetric (the
    // 8-bit layout holds u - 128 and 127 - z); level codes as level[u] * s, or with `integerLevels`
    // as the integer kernels see them, (L[u] * unit) * s.
    const int bits = layoutBits_;
    const int64_t cols = q_.cols, group = groupSize(), groups = cols / group;
    const int64_t blockBytes = packedBlockBytes(bits);
    const int64_t perGroup = packedGroupBytes(cols, group, bits);
    const int k = int(r % kInterleavedRows);
    int lane = 0;
    while (kInterleavedLaneRows[lane] != k)
        ++lane;
    if (halfBlockScales()) { // nvfp4: level[u] * (scale * tensor scale), as stored
        const int64_t blocks = cols / 32;
        const auto *rowGroup = reinterpret_cast<const uint8_t *>(interleaved_.data())
                               + (r / kInterleavedRows) * blocks * kPackedHalfBlockBytes;
        for (int64_t b = 0; b < blocks; ++b) {
            const uint8_t *block = rowGroup + b * kPackedHalfBlockBytes;
            const uint8_t *codes = block + 32 + (k / 2) * 32 + (k % 2) * 16;
            float s[2];
            for (int half = 0; half < 2; ++half)
                s[half] = fp16ToFloat(uint16_t(block[16 * half + 2 * lane]
                                               | (block[16 * half + 2 * lane + 1] << 8)))
                          * q_.tensorScale;
            for (int j = 0; j < 16; ++j) {
                out[b * 32 + j] = levelOf(codes[j] & 0xF, integerLevels) * s[0];
                out[b * 32 + j + 16] = levelOf(codes[j] >> 4, integerLevels) * s[1];
            }
        }
        return;
    }
    const std::byte *rowGroup = interleaved_.data() + (r / kInterleavedRows) * perGroup;
    for (int64_t g = 0; g < groups; ++g) {
        const std::byte *h = rowGroup + g * (kPackedGroupHeaderBytes + group / 32 * blockBytes);
        float s;
        std::memcpy(&s, h + 4 * lane, 4);
        const int z = int(static_cast<int8_t>(h[32 + lane]));
        for (int64_t b = 0; b < group / 32; ++b) {
            const auto *block =
                reinterpret_cast<const uint8_t *>(h + kPackedGroupHeaderBytes + b * blockBytes);
            const uint8_t *pair = block + (k / 2) * (blockBytes / 4);
            float *o = out + g * group + b * 32;
            for (int j = 0; j < 16; ++j) {
                if (bits == 2) {
                    const int p = k / 2, shift = 4 * (p % 2);
                    const uint8_t c = block[32 * (p / 2) + 16 * (k % 2) + j];
                    o[j] = float(int((c >> shift) & 3) - z) * s;
                    o[j + 16] = float(int((c >> (shift + 2)) & 3) - z) * s;
                } else if (bits == 8) { // u - 128 stored, 127 - z in the byte
                    o[j] = float(static_cast<int8_t>(pair[(k % 2) * 16 + j]) + z + 1) * s;
                    o[j + 16] = float(static_cast<int8_t>(pair[32 + (k % 2) * 16 + j]) + z + 1) * s;
                } else if (levels_) {
                    const uint8_t c = pair[(k % 2) * 16 + j];
                    o[j] = levelOf(c & 0xF, integerLevels) * s;
                    o[j + 16] = levelOf(c >> 4, integerLevels) * s;
                } else {
                    const uint8_t c = pair[(k % 2) * 16 + j];
                    o[j] = float(int(c & 0xF) - z) * s;
                    o[j + 16] = float(int(c >> 4) - z) * s;
                }
            }
        }
    }
}

float QuantizedLinear::levelOf(int u, bool integerLevels) const
{
    if (!integerLevels)
        return levelTable_[size_t(u)];
    return float(levelCodes_.level(u)) * levelCodes_.unit;
}

void QuantizedLinear::forward(const float *x, int64_t nRows, float *y) const
{
    if (integerKernels()) {
        forwardInteger(x, nRows, y);
        return;
    }
    if (fused_ && nRows <= kPackedDotMaxRows) {
        forwardFused(x, nRows, y);
        return;
    }
    forwardInRowTiles(
        x, nRows, q_.rows, q_.cols, tileRows_,
        [&](int64_t first, int64_t count, float *w) { q_.dequantizeRows(first, count, w); }, y);
}

void QuantizedLinear::forwardFused(const float *x, int64_t nRows, float *y) const
{
    // Decode: every code is read once, straight from the packed row (formats/packed_dot.h).
    const int64_t cols = q_.cols;
    const int64_t group = q_.groupSize > 0 ? q_.groupSize : cols;
    const int64_t groups = cols / group;
    std::vector<float> xsum(size_t(nRows * groups));
    for (int64_t i = 0; i < nRows; ++i)
        for (int64_t g = 0; g < groups; ++g) {
            float s = 0;
            for (int64_t j = g * group; j < (g + 1) * group; ++j)
                s += x[i * cols + j];
            xsum[size_t(i * groups + g)] = s;
        }
    const bool symmetric = levels_ || std::get<RtnParams>(q_.params).symmetric;
    const float half = float(1 << (q_.codeBits - 1));
    const int64_t rowBytes = q_.rowCodeBytes();
    const PackedDotFn kernel = packedDotKernel();
    const float *levels = levels_ ? levelTable_.data() : nullptr;
    forEachRowTile(nRows, q_.rows, cols, [&](int64_t r0, int64_t r1) {
        std::vector<float> scale(static_cast<size_t>(groups)), zero(static_cast<size_t>(groups));
        for (int64_t r = r0; r < r1; ++r) {
            for (int64_t g = 0; g < groups; ++g) {
                const int64_t i = q_.groupSize == 0 ? 0 : (r * cols + g * group) / q_.groupSize;
                // nvfp4: value = e2m1(u) * (block scale * tensor scale), as the tensor decodes.
                scale[size_t(g)] =
                    q_.hasTensorScale ? q_.scaleAt(i) * q_.tensorScale : q_.scaleAt(i);
                zero[size_t(g)] = symmetric ? half : float(q_.zeroAt(i));
            }
            const PackedRow row{q_.codes.data() + r * rowBytes, scale.data(), zero.data(),
                                q_.codeBits, cols, group, levels, fp8Codes_};
            kernel(row, x, cols, xsum.data(), int(nRows), y + r, q_.rows);
        }
    });
}

void QuantizedLinear::forwardReference(const float *x, int64_t nRows, float *y) const
{
    if (asQ4_0_) {
        asQ4_0_->forwardReference(x, nRows, y);
        return;
    }
    const int64_t in = q_.cols;
    std::vector<float> rounded;
    if (integerKernels()) {
        rounded.assign(x, x + nRows * in);
        roundActivations(ActivationRounding::Q8_0, rounded.data(), nRows, in);
        x = rounded.data();
    }
    std::vector<float> w(static_cast<size_t>(in));
    for (int64_t o = 0; o < q_.rows; ++o) {
        if (integerKernels()) // the tensor's vectors are freed in integer mode
            rowFromInterleaved(o, w.data(), true);
        else
            q_.dequantizeRowsReference(o, 1, w.data());
        for (int64_t i = 0; i < nRows; ++i) {
            double acc = 0;
            for (int64_t k = 0; k < in; ++k)
                acc += double(x[i * in + k]) * double(w[size_t(k)]);
            y[i * q_.rows + o] = float(acc);
        }
    }
}

} // namespace cwb
