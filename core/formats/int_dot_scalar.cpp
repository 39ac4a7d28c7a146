// SPDX-License-Identifier: MIT
// The scalar references of formats/int_dot.h, in llama.cpp's scalar order (ggml-cpu/quants.c):
// per block an exact integer sum, scaled in float and added to one float sum. Block layouts:
// formats/ggml_blocks.h. Every K-quant is written as an unsigned code u per value with an integer
// offset (value = u - offset) and an integer scale per sub-block, so that
//   block = d_w * d_x * sum_j sc_j * (sum u*q - offset * bsum_j) - dmin_w * d_x * sum_j mn_j * bsum_j
// and the SIMD kernels can use the same decomposition with unsigned x signed byte products.

#include "formats/ggml_block_codes.h"
#include "formats/ggml_blocks.h"
#include "formats/int_dot.h"

#include <cstring>
#include <vector>

namespace cwb::intdot {
namespace {

using namespace ggmlblocks;

// Q4_0 Q4_1 Q5_0 Q5_1 (low nibble = value j, high nibble = j + 16, 5th bit from qh).
template <bool withMin, bool withHigh>
float dotLegacyRow(const Byte *w, const Q8View &x, int64_t row)
{
    constexpr int blockBytes = 18 + (withMin ? 2 : 0) + (withHigh ? 4 : 0);
    constexpr int qsAt = blockBytes - 16;
    constexpr int offset = withMin ? 0 : (withHigh ? 16 : 8);
    const int64_t nb = x.len / kQk;
    const int8_t *q = x.qs + row * x.len;
    float sum = 0;
    for (int64_t b = 0; b < nb; ++b, w += blockBytes, q += kQk) {
        const uint32_t qh = withHigh ? u32At(w + (withMin ? 4 : 2)) : 0;
        int32_t isum = 0;
        for (int j = 0; j < 16; ++j) {
            int lo = w[qsAt + j] & 0xF, hi = w[qsAt + j] >> 4;
            if (withHigh) {
                lo |= int((qh >> j) & 1) << 4;
                hi |= int((qh >> (j + 16)) & 1) << 4;
            }
            isum += (lo - offset) * q[j] + (hi - offset) * q[j + 16];
        }
        const float dd = halfAt(w) * x.d[row * nb + b];
        sum += dd * float(isum);
        if (withMin)
            sum += halfAt(w + 2) * x.s[row * nb + b];
    }
    return sum;
}

float dotQ8_0Row(const Byte *w, const Q8View &x, int64_t row)
{
    const int64_t nb = x.len / kQk;
    const int8_t *q = x.qs + row * x.len;
    float sum = 0;
    for (int64_t b = 0; b < nb; ++b, w += 34, q += kQk) {
        int32_t isum = 0;
        for (int j = 0; j < kQk; ++j)
            isum += int(static_cast<int8_t>(w[2 + j])) * q[j];
        sum += halfAt(w) * x.d[row * nb + b] * float(isum);
    }
    return sum;
}

template <void (*unpack)(const Byte *, KBlock &), int blockBytes>
float dotKRow(const Byte *w, const Q8View &x, int64_t row)
{
    const int64_t nb = x.len / kQkK;
    const int8_t *q = x.qs + row * x.len;
    const int16_t *bsums = x.sums + row * (x.len / 16);
    float sum = 0;
    KBlock k;
    for (int64_t b = 0; b < nb; ++b, w += blockBytes, q += kQkK, bsums += 16) {
        unpack(w, k);
        int32_t isum = 0, imin = 0;
        for (int s = 0; s < 16; ++s) {
            int32_t part = 0;
            for (int l = 0; l < 16; ++l)
                part += k.u[16 * s + l] * q[16 * s + l];
            isum += k.sc[s] * (part - k.offset * bsums[s]);
            imin += k.mn[s] * bsums[s];
        }
        const float dx = x.d[row * nb + b];
        sum += k.d * dx * float(isum) - k.dmin * dx * float(imin);
    }
    return sum;
}

template <float (*rowDot)(const Byte *, const Q8View &, int64_t)>
void kernel(const std::byte *w, const Q8View &x, int64_t row0, int nRows, float *y,
            int64_t yStride)
{
    for (int r = 0; r < nRows; ++r)
        y[r * yStride] = rowDot(reinterpret_cast<const Byte *>(w), x, row0 + r);
}

// The interleaved groups' reference: each row back in its own layout, then the row kernel.
template <DType type, float (*rowDot)(const Byte *, const Q8View &, int64_t)>
void groupReference(const std::byte *group, const Q8View &x, int64_t row0, int nRows, float *y,
                    int64_t yStride)
{
    std::vector<std::byte> row(static_cast<size_t>(*storageBytes(type, uint64_t(x.len))));
    for (int k = 0; k < kInterleavedRows; ++k) {
        deinterleaveRow(type, group, x.len, k, row.data());
        for (int r = 0; r < nRows; ++r)
            y[r * yStride + k] = rowDot(reinterpret_cast<const Byte *>(row.data()), x, row0 + r);
    }
}

// The packed groups (formats/int_dot.h), read value by value from the layout: per weight group
// and row, s * sum_b d_b * sum_j v_j q_j; for level codes (`levels`: 4-bit codes indexing
// integer levels, LevelCodes::level) v_j = L[u_j] and the sum is scaled
// by levels->unit, for rtn codes v_j = u_j - z (4-bit) or the stored signed value (8-bit).
template <int bits>
void packedGroupReference(const std::byte *groupBytes, int64_t groupSize, const Q8View &x,
                          int64_t row0, int nRows, float *y, int64_t yStride,
                          const LevelCodes *levels)
{
    const auto *g = reinterpret_cast<const Byte *>(groupBytes);
    const int64_t nb = x.len / kQk, blocksPerGroup = groupSize / kQk;
    const int64_t blockBytes = packedBlockBytes(bits);
    const int64_t groupBytesEach = kPackedGroupHeaderBytes + blocksPerGroup * blockBytes;
    for (int lane = 0; lane < kInterleavedRows; ++lane) {
        const int k = kInterleavedLaneRows[lane];
        for (int r = 0; r < nRows; ++r) {
            float sum = 0;
            for (int64_t gi = 0; gi < x.len / groupSize; ++gi) {
                const Byte *h = g + gi * groupBytesEach;
                float s;
                std::memcpy(&s, h + 4 * lane, 4);
                const int z = int(static_cast<int8_t>(h[32 + lane]));
                const auto value = [&](int u) {
                    if (!levels)
                        return u - z;
                    return levels->level(u);
                };
                float part = 0;
                for (int64_t bi = 0; bi < blocksPerGroup; ++bi) {
                    const int64_t b = gi * blocksPerGroup + bi;
                    const Byte *block = h + kPackedGroupHeaderBytes + bi * blockBytes;
                    const Byte *pair = block + (k / 2) * (blockBytes / 4);
                    const int8_t *q = x.qs + ((row0 + r) * nb + b) * kQk;
                    int32_t isum = 0;
                    for (int j = 0; j < 16; ++j) {
                        if (bits == 2) {
                            const int p = k / 2, shift = 4 * (p % 2);
                            const Byte c = block[32 * (p / 2) + 16 * (k % 2) + j];
                            isum += value((c >> shift) & 3) * q[j]
                                    + value((c >> (shift + 2)) & 3) * q[j + 16];
                        } else if (bits == 8) { // u - 128 stored, 127 - z in the byte
                            const int lo = static_cast<int8_t>(pair[(k % 2) * 16 + j]) + z + 1;
                            const int hi = static_cast<int8_t>(pair[32 + (k % 2) * 16 + j]) + z + 1;
                            isum += lo * q[j] + hi * q[j + 16];
                        } else {
                            const Byte c = pair[(k % 2) * 16 + j];
                            isum += value(c & 0xF) * q[j] + value(c >> 4) * q[j + 16];
                        }
                    }
                    part += x.d[(row0 + r) * nb + b] * float(isum);
                }
                sum += s * part;
            }
            y[r * yStride + k] = levels ? levels->unit * sum : sum;
        }
    }
}

template <int bits>
void packedCodesReference(const std::byte *group, int64_t groupSize, const Q8View &x,
                          int64_t row0, int nRows, float *y, int64_t yStride)
{
    packedGroupReference<bits>(group, groupSize, x, row0, nRows, y, yStride, nullptr);
}

void packedLevelGroupReference(const std::byte *group, int64_t groupSize,
                               const LevelCodes &levels, const Q8View &x, int64_t row0, int nRows,
                               float *y, int64_t yStride)
{
    packedGroupReference<4>(group, groupSize, x, row0, nRows, y, yStride, &levels);
}

// nvfp4's layout (formats/int_dot.h), value by value: per block and row, the two halves'
// integer sums of L[u] q, each times its fp16 scale; y = unit * sum_b d_b (s_lo isum_lo + s_hi
// isum_hi). The half sums of the activations are not needed here: the levels are taken whole.
void packedHalfBlockLevelReference(const std::byte *groupBytes, const LevelCodes &levels,
                                   const Q8View &x, const int16_t * /*halfSums*/, int64_t row0,
                                   int nRows, float *y, int64_t yStride)
{
    const auto *g = reinterpret_cast<const Byte *>(groupBytes);
    const int64_t nb = x.len / kQk;
    for (int lane = 0; lane < kInterleavedRows; ++lane) {
        const int k = kInterleavedLaneRows[lane];
        for (int r = 0; r < nRows; ++r) {
            const int8_t *q = x.qs + (row0 + r) * x.len;
            float sum = 0;
            for (int64_t b = 0; b < nb; ++b, q += kQk) {
                const Byte *block = g + b * kPackedHalfBlockBytes;
                const Byte *pair = block + 32 + (k / 2) * 32 + (k % 2) * 16;
                int32_t lo = 0, hi = 0;
                for (int j = 0; j < 16; ++j) {
                    lo += levels.level(pair[j] & 0xF) * q[j];
                    hi += levels.level(pair[j] >> 4) * q[j + 16];
                }
                sum += x.d[(row0 + r) * nb + b]
                       * (halfAt(block + 2 * lane) * float(lo)
                          + halfAt(block + 16 + 2 * lane) * float(hi));
            }
            y[r * yStride + k] = levels.unit * sum;
        }
    }
}

} // namespace

const Table &scalarTable()
{
    static const Table t{
        kernel<dotLegacyRow<false, false>>, kernel<dotLegacyRow<true, false>>,
        kernel<dotLegacyRow<false, true>>,  kernel<dotLegacyRow<true, true>>,
        kernel<dotQ8_0Row>,
        kernel<dotKRow<unpackQ2_K, 84>>,    kernel<dotKRow<unpackQ3_K, 110>>,
        kernel<dotKRow<unpackQ4_K, 144>>,   kernel<dotKRow<unpackQ5_K, 176>>,
        kernel<dotKRow<unpackQ6_K, 210>>,
        groupReference<DType::Q4_0, dotLegacyRow<false, false>>,
        groupReference<DType::Q8_0, dotQ8_0Row>,
        packedCodesReference<2>,
        packedCodesReference<4>,
        packedCodesReference<8>,
        packedLevelGroupReference,
        packedHalfBlockLevelReference,
    };
    return t;
}

} // namespace cwb::intdot
