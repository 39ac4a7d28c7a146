// SPDX-License-Identifier: MIT
#pragma once
// Integer dot products of ggml weight rows with activations quantized to 8 bits, as llama.cpp's
// CPU backend computes them (ggml_vec_dot_<type>_q8_<k>): per block, the integer sum of weight
// quants times activation quants, scaled by the two block scales; min/offset terms through the
// activations' block sums. The activations are quantized once per matmul input
// (formats/q8_activations.h: Q8_0 for the 32-value types, Q8_K for the K-quants).
//
// Every kernel exists as a scalar reference (int_dot_scalar.cpp, written in llama.cpp's scalar
// order) and per instruction set (int_dot_avx2.cpp, int_dot_avx512.cpp: one shared source
// compiled twice, the second with AVX-512 VNNI's vpdpbusd). The integer part of every block is
// exact on every level; the float sums over blocks differ in order only (tests pin both:
// exactly equal where all scales are powers of two, a relative tolerance otherwise).
//
// A kernel takes one weight row and 1..kIntDotMaxRows activation rows: each weight block is
// unpacked once and multiplied with every activation row (the prefill tiling).

#include "formats/dtype.h"

#include <cstddef>
#include <cstdint>

namespace cwb {

enum class CpuLevel; // util/cpu_features.h (not included: the per-ISA files include this header)

inline constexpr int kIntDotMaxRows = 4;

// Activation rows quantized for one weight type, structure of arrays (plain pointers: the
// per-ISA translation units see no std:: templates). Row i of `len` values:
//   qs   + i * len                 int8 quants
//   d    + i * len / block         block scales (block = 32 for Q8_0, 256 for Q8_K), as float
//   s    + i * len / 32            Q8_0 only: Q8_1's term fp16(d * sum q), for Q4_1 / Q5_1
//   sums + i * len / sumBlock      integer sums of the quants per 32 (Q8_0) or 16 (Q8_K: bsums),
//                                  int16 as llama.cpp's block_q8_K (|sum| <= 32 * 127)
struct Q8View {
    const int8_t *qs = nullptr;
    const float *d = nullptr;
    const float *s = nullptr;
    const int16_t *sums = nullptr;
    int64_t len = 0;
};

// y[r * yStride] = dot(weight row w, activation row row0 + r) for r < nRows (1..kIntDotMaxRows).
using IntDotFn = void (*)(const std::byte *w, const Q8View &x, int64_t row0, int nRows, float *y,
                          int64_t yStride);

// Types with an integer kernel: Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q2_K Q3_K Q4_K Q5_K Q6_K.
[[nodiscard]] bool intDotSupported(DType t);
// The kernel of `level` for `t` (nullptr when intDotSupported(t) is false).
[[nodiscard]] IntDotFn intDotKernel(DType t, CpuLevel level);
// The kernel of activeCpuLevel(), chosen once.
[[nodiscard]] IntDotFn intDotKernel(DType t);

// ---- rows interleaved by eight ----------------------------------------------------------
// The integer path's layout for Q4_0 and Q8_0 matrices (llama.cpp repacks Q4_0 for its x86
// kernels too): a group of 8 consecutive rows stored block by block, the 8 rows' blocks of one
// index together (8 x 18 bytes for Q4_0, 8 x 34 for Q8_0): the 8 fp16 scales in
// kInterleavedLaneRows order, then for each pair of rows (2p, 2p+1) and each 16 bytes c of the
// block's quants (Q4_0: one, its nibbles; Q8_0: two) row 2p's bytes 16c..16c+15 followed by row
// 2p+1's. A kernel then unpacks two rows per 32-byte load, multiplies both with the activation
// block at once, and reduces the 8 rows' sums into one vector of 8 lanes (rows in
// kInterleavedLaneRows order) that the per-row scales multiply directly: a third of the vector
// instructions per weight of the row kernels. Same bytes, so the memory is unchanged; the values
// are the rows', so results equal the row kernels' within float summation order.
inline constexpr int kInterleavedRows = 8;
inline constexpr int kInterleavedLaneRows[kInterleavedRows] = {0, 2, 4, 6, 1, 3, 5, 7};

// Whether `t` has an interleaved layout (Q4_0, Q8_0).
[[nodiscard]] bool interleavable(DType t);
// rows: 8 rows of `len` values (whole blocks), `rowBytes` apart; group: 8 row sizes.
void interleaveRows(DType t, const std::byte *rows, int64_t rowBytes, int64_t len,
                    std::byte *group);
// Row k (0..7) of an interleaved group back in the type's own layout (one row size).
void deinterleaveRow(DType t, const std::byte *group, int64_t len, int k, std::byte *row);

// y[r * yStride + k] = dot(row k of the group, activation row row0 + r), k < 8, r < nRows
// (1..kIntDotMaxRows).
using IntDotGroupFn = void (*)(const std::byte *group, const Q8View &x, int64_t row0, int nRows,
                               float *y, int64_t yStride);
// The group kernel of `level` for `t` (nullptr unless interleavable); the scalar level's is the
// reference (rows de-interleaved, then the scalar row kernel).
[[nodiscard]] IntDotGroupFn intDotGroupKernel(DType t, CpuLevel level);
// The active level's, or nullptr where interleaving does not pay (the scalar level, other types):
// the one place that decides whether a matrix is stored interleaved.
[[nodiscard]] IntDotGroupFn intDotGroupKernel(DType t);

// ---- packed 2-, 4- and 8-bit codes (rtn / gptq / awq, ternary), eight rows interleaved ----
// The integer path's layout for QuantizedTensor codes in groups of G values (a multiple of 32):
// per group of 8 rows and per weight group, a 40-byte header (the 8 rows' float scales in
// kInterleavedLaneRows order, then their int8 zero points in the same order; unused for 8-bit),
// then G / 32 blocks laid out as an interleaved group's quants:
//   2-bit: 64 bytes, two 32-byte halves, half h for the row pairs 2h and 2h + 1: byte 16 L + j
//          of half h holds, for pair P = 2h + e (e = 0, 1) and its row 2P + L, value j in bits
//          4e..4e+1 and value j + 16 in bits 4e+2..4e+3 (so shifts of 0, 2, 4, 6 give the
//          4-bit layout's two vectors of each pair);
//   4-bit: as Q4_0 (per row pair, row 2p's 16 nibble bytes then row 2p+1's; byte j holds value j
//          low and j + 16 high), 128 bytes per block;
//   8-bit: as Q8_0, the signed values u - 128, 256 bytes; the zero-point byte holds 127 - z
//          (z in 0..255; -1 for symmetric 8-bit codes, whose z is 128), so codes of 5 to 8
//          bits, symmetric or not, fit.
// Activations are Q8_0. Per block and row: isum = sum v q (v = u - z: exact integers; the z
// part through the activations' block sum); per weight group y += s * sum_b d_b isum.
inline constexpr int64_t kPackedGroupHeaderBytes = 40;
[[nodiscard]] constexpr int64_t packedBlockBytes(int bits) { return 8 * 32 * bits / 8; }
[[nodiscard]] constexpr int64_t packedGroupBytes(int64_t len, int64_t groupSize, int bits)
{
    return len / groupSize * (kPackedGroupHeaderBytes + groupSize / 32 * packedBlockBytes(bits));
}
// y[r * yStride + k] = dot(row k, activation row row0 + r), k < 8, r < nRows (1..4).
using PackedGroupFn = void (*)(const std::byte *group, int64_t groupSize, const Q8View &x,
                               int64_t row0, int nRows, float *y, int64_t yStride);
// The kernel of `level` for 2-, 4- or 8-bit codes (nullptr for other widths).
[[nodiscard]] PackedGroupFn packedGroupKernel(int bits, CpuLevel level);
// The active level's; nullptr at the scalar level (interleaving does not pay there).
[[nodiscard]] PackedGroupFn packedGroupKernel(int bits);

// ---- 4-bit codes indexing 16 levels (nf4, mxfp4), eight rows interleaved ----------------
// The layout of packed 4-bit groups above (the zero-point bytes unused). Each code u stands for
// an integer level L[u] = value[u] - offset with value[u] in 0..127; the weight is
// s * unit * L[u] for the group's float scale s. Unsigned values need no sign trick and, below
// 128, a pair of byte products stays inside int16 (2 * 127 * 127 < 2^15), so a row pair costs
// two byte products and two pair sums (Q4_0's: the same products, one pair sum). Per block and row isum = sum value[u] q -
// offset sum q (exact integers; sum q is the activations' block sum); y += unit * s * sum_b
// d_b isum. mxfp4's e2m1 values times 2 are integers (unit 1/2: exact); nf4's levels are
// rounded to 1/63.5 of the block's absmax (each within 1/127 of it, twice the Q8_0
// activations' own rounding of up to 1/254 of theirs), see makeLevelCodes.
// Until 2026-12-07 the levels were 12-bit (1/2047) in two 6-bit parts: four byte products per
// row pair, 0.6x of Q4_0's speed, for a mean KL divergence 1.4 % lower on dev256 nf4.
struct LevelCodes {
    uint8_t value[16];
    int32_t offset;
    float unit;
    [[nodiscard]] constexpr int level(int u) const { return int(value[u]) - offset; }
};
// The integer levels of 16 real levels: exact when levels * 2^k are integers spanning at most
// 127 for some k in 0..6 (unit 2^-k), otherwise L[u] = round(levels[u] * c) with the largest c
// whose levels span at most 127 (unit 1 / c). Throws cwb::Error for levels that are not finite.
[[nodiscard]] LevelCodes makeLevelCodes(const float *levels);
using PackedLevelGroupFn = void (*)(const std::byte *group, int64_t groupSize,
                                    const LevelCodes &levels, const Q8View &x, int64_t row0,
                                    int nRows, float *y, int64_t yStride);
// The kernel of `level`; the active level's (nullptr at the scalar level).
[[nodiscard]] PackedLevelGroupFn packedLevelGroupKernel(CpuLevel level);
[[nodiscard]] PackedLevelGroupFn packedLevelGroupKernel();

// ---- 4-bit level codes with a scale per 16 values (nvfp4), eight rows interleaved --------
// nvfp4 scales every 16 values (an fp8 E4M3 scale, times a tensor scale), so an activation
// block of 32 meets two weight scales per row. Per group of 8 rows and block of 32: the 8 rows'
// scales of values 0..15 as fp16 (E4M3 values are exact in fp16) in kInterleavedLaneRows order,
// then those of values 16..31, then the 128 code bytes of the 4-bit layout above: 160 bytes,
// 5 bits per weight (4.5 stored). The two halves of a pair are exactly the layout's two
// vectors, so isum_lo = sum_{j<16} value q - offset sum_{j<16} q and isum_hi likewise, each
// from its own half sums of the activations (halfBlockSums); y += unit * d_b * (s_lo isum_lo
// + s_hi isum_hi), where unit carries the tensor scale.
inline constexpr int64_t kPackedHalfBlockBytes = 32 + 128;
// Sums of the activation quants per 16 (rows * len / 16 values, row-major).
void halfBlockSums(const Q8View &x, int64_t rows, int16_t *out);
using PackedHalfBlockLevelFn = void (*)(const std::byte *group, const LevelCodes &levels,
                                        const Q8View &x, const int16_t *halfSums, int64_t row0,
                                        int nRows, float *y, int64_t yStride);
// The kernel of `level`; the active level's (nullptr at the scalar level).
[[nodiscard]] PackedHalfBlockLevelFn packedHalfBlockLevelKernel(CpuLevel level);
[[nodiscard]] PackedHalfBlockLevelFn packedHalfBlockLevelKernel();

// The per-level tables (each defined in its own translation unit).
namespace intdot {
struct Table {
    IntDotFn q4_0, q4_1, q5_0, q5_1, q8_0, q2_k, q3_k, q4_k, q5_k, q6_k;
    IntDotGroupFn q4_0x8, q8_0x8;
    PackedGroupFn packed2x8, packed4x8, packed8x8;
    PackedLevelGroupFn levels4x8;
    PackedHalfBlockLevelFn halfLevels4x8;
};
const Table &scalarTable();
const Table &avx2Table();
const Table &avx2vnniTable();
const Table &avx512Table();
} // namespace intdot

} // namespace cwb
