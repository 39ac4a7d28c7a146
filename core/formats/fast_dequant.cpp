// SPDX-License-Identifier: MIT
#include "formats/fast_dequant.h"

#include "formats/float_formats.h"
#include "formats/ggml_dequant.h"

#include <cstdint>

namespace cwb {
namespace {

constexpr int64_t kQ6KValues = 256;
constexpr int64_t kQ6KBytes = 210;

// Q6_K super-block (layout in formats/ggml_dequant.cpp): per 128-value half, value 32k + l
// (k = 0..3, l = 0..31) takes its low nibble from ql[l + 32 * (k & 1)] (high nibble when k >= 2)
// and two high bits from qh[l] >> 2k; scale sc[l / 16 + 2k]. Same products as the reference:
// (d * sc) * (q - 32), written in output order, 16 values per scale.
void q6kBlock(const unsigned char *blk, float *y)
{
    const unsigned char *ql = blk;
    const unsigned char *qh = blk + 128;
    const signed char *sc = reinterpret_cast<const signed char *>(blk + 192);
    const float d = fp16ToFloat(uint16_t(blk[208] | (blk[209] << 8)));
    for (int half = 0; half < 2; ++half) {
        for (int k = 0; k < 4; ++k) {
            const unsigned char *low = ql + 32 * (k & 1);
            const int nibbleShift = k >= 2 ? 4 : 0;
            const int highShift = 2 * k;
            for (int part = 0; part < 2; ++part) {
                const float ds = d * float(sc[part + 2 * k]);
                float *out = y + 32 * k + 16 * part;
                for (int j = 0; j < 16; ++j) {
                    const int l = 16 * part + j;
                    const int lowBits = (low[l] >> nibbleShift) & 0xF;
                    const int highBits = (qh[l] >> highShift) & 3;
                    const int q = (lowBits | (highBits << 4)) - 32;
                    out[j] = ds * float(q);
                }
            }
        }
        y += 128;
        ql += 64;
        qh += 32;
        sc += 8;
    }
}

} // namespace

void dequantizeRowFast(DType t, const std::byte *src, float *dst, int64_t n)
{
    if (t != DType::Q6_K || n % kQ6KValues != 0) {
        ggmlDequantizeRow(t, src, dst, n); // also reports bad arguments
        return;
    }
    const auto *p = reinterpret_cast<const unsigned char *>(src);
    for (int64_t b = 0; b < n / kQ6KValues; ++b)
        q6kBlock(p + b * kQ6KBytes, dst + b * kQ6KValues);
}

} // namespace cwb
