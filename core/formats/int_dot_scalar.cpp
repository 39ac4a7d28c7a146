// SPDX-License-Identifier: MIT
// The scalar references of formats/int_dot.h, in llama.cpp's scalar order (ggml-cpu/quants.c):
// per block an exact integer sum, scaled in float and added to one float sum. Block layouts:
// formats/ggml_blocks.h. Every K-quant is written as an unsigned code u per value with an integer
// offset (value = u - offset) and an integer scale per sub-block, so that
//   block = d_w * d_x * sum_j sc_j * (sum u*q - offset * bsum_j) - dmin_w * d_x * sum_j mn_j * bsum_j
// and the SIMD kernels can use the same decomposition with unsigned x signed byte products.

#include "formats/ggml_blocks.h"
#include "formats/int_dot.h"

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

// One K-quant super-block unpacked: u[256] codes, offset, 16 scales per 16 values (sub-blocks
// of 32 repeat their scale) and 16 mins (0 for types without).
struct KBlock {
    int u[kQkK];
    int offset = 0;
    int sc[16];
    int mn[16];
    float d = 0;
    float dmin = 0;
};

void unpackQ2_K(const Byte *w, KBlock &k)
{
    for (int s = 0; s < 16; ++s) {
        k.sc[s] = w[s] & 0xF;
        k.mn[s] = w[s] >> 4;
    }
    const Byte *qs = w + 16;
    for (int h = 0; h < 2; ++h)
        for (int sh = 0; sh < 4; ++sh)
            for (int l = 0; l < 32; ++l)
                k.u[128 * h + 32 * sh + l] = (qs[32 * h + l] >> (2 * sh)) & 3;
    k.offset = 0;
    k.d = halfAt(w + 80);
    k.dmin = halfAt(w + 82);
}

void unpackQ3_K(const Byte *w, KBlock &k)
{
    const Byte *hm = w, *qs = w + 32, *sc = w + 96;
    for (int s = 0; s < 16; ++s) {
        const int low = s < 8 ? sc[s] & 0xF : sc[s - 8] >> 4;
        const int high = (sc[8 + s % 4] >> (2 * (s / 4))) & 3;
        k.sc[s] = (low | (high << 4)) - 32;
        k.mn[s] = 0;
    }
    for (int h = 0; h < 2; ++h)
        for (int sh = 0; sh < 4; ++sh)
            for (int l = 0; l < 32; ++l) {
                const int g = 4 * h + sh;
                k.u[128 * h + 32 * sh + l] =
                    ((qs[32 * h + l] >> (2 * sh)) & 3) | (((hm[l] >> g) & 1) << 2);
            }
    k.offset = 4;
    k.d = halfAt(w + 108);
    k.dmin = 0;
}

void unpackQ4_5_K(const Byte *w, KBlock &k, bool five)
{
    for (int s = 0; s < 8; ++s) {
        int sc = 0, mn = 0;
        scaleMinK4(s, w + 4, sc, mn);
        k.sc[2 * s] = k.sc[2 * s + 1] = sc;
        k.mn[2 * s] = k.mn[2 * s + 1] = mn;
    }
    const Byte *qh = w + 16;
    const Byte *qs = w + (five ? 48 : 16);
    for (int c = 0; c < 4; ++c)
        for (int l = 0; l < 32; ++l) {
            int lo = qs[32 * c + l] & 0xF, hi = qs[32 * c + l] >> 4;
            if (five) {
                lo |= ((qh[l] >> (2 * c)) & 1) << 4;
                hi |= ((qh[l] >> (2 * c + 1)) & 1) << 4;
            }
            k.u[64 * c + l] = lo;
            k.u[64 * c + 32 + l] = hi;
        }
    k.offset = 0;
    k.d = halfAt(w);
    k.dmin = halfAt(w + 2);
}

void unpackQ6_K(const Byte *w, KBlock &k)
{
    const Byte *ql = w, *qh = w + 128;
    const auto *sc = reinterpret_cast<const signed char *>(w + 192);
    for (int s = 0; s < 16; ++s) {
        k.sc[s] = sc[s];
        k.mn[s] = 0;
    }
    for (int h = 0; h < 2; ++h)
        for (int kk = 0; kk < 4; ++kk)
            for (int l = 0; l < 32; ++l) {
                const int low = (ql[64 * h + l + 32 * (kk & 1)] >> (kk >= 2 ? 4 : 0)) & 0xF;
                const int high = (qh[32 * h + l] >> (2 * kk)) & 3;
                k.u[128 * h + 32 * kk + l] = low | (high << 4);
            }
    k.offset = 32;
    k.d = halfAt(w + 208);
    k.dmin = 0;
}

template <void (*unpack)(const Byte *, KBlock &), int blockBytes>
float dotKRow(const Byte *w, const Q8View &x, int64_t row)
{
    const int64_t nb = x.len / kQkK;
    const int8_t *q = x.qs + row * x.len;
    const int32_t *bsums = x.sums + row * (x.len / 16);
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

void unpackQ4_K(const Byte *w, KBlock &k) { unpackQ4_5_K(w, k, false); }
void unpackQ5_K(const Byte *w, KBlock &k) { unpackQ4_5_K(w, k, true); }

template <float (*rowDot)(const Byte *, const Q8View &, int64_t)>
void kernel(const std::byte *w, const Q8View &x, int64_t row0, int nRows, float *y,
            int64_t yStride)
{
    for (int r = 0; r < nRows; ++r)
        y[r * yStride] = rowDot(reinterpret_cast<const Byte *>(w), x, row0 + r);
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
    };
    return t;
}

} // namespace cwb::intdot
