// SPDX-License-Identifier: MIT
// Scalar reference dequantizers for ggml block types, bit-exact with ggml's dequantize_row_*
// (ggml-quants.c; block structs in ggml-common.h). Every block is little-endian and packed; `d`,
// `m`, `dmin` are IEEE fp16 except Q8_K's `d`, which is fp32.
//
// Legacy 32-value blocks (value index j = 0..31; "low nibble" holds j < 16, "high nibble" j + 16):
//   type  bytes  layout (byte offsets)                       value
//   Q4_0   18    d@0  qs[16]@2                               (nib - 8) * d
//   Q4_1   20    d@0  m@2  qs[16]@4                          nib * d + m
//   Q5_0   22    d@0  qh[4]@2  qs[16]@6                      ((nib | hbit << 4) - 16) * d
//   Q5_1   24    d@0  m@2  qh[4]@4  qs[16]@8                 (nib | hbit << 4) * d + m
//   Q8_0   34    d@0  qs[32] int8 @2                         q * d
//   Q8_1   36    d@0  s@2 (= d * sum q, unused)  qs[32]@4    q * d
//   Q5_x: qh is a little-endian u32; bit j is the 5th bit of value j (j = 0..31).
//
// K-quant 256-value super-blocks:
//   Q2_K   84    scales[16]@0  qs[64]@16  d@80  dmin@82
//          16 sub-blocks of 16; scales[s]: low nibble = scale, high nibble = min.
//          value = d*sc * q - dmin*mn, q = 2 bits: for half h (128 values, qs[32h..32h+31]),
//          shift 2k covers values 128h + 32k + l (l = 0..31) from byte qs[32h + l].
//   Q3_K  110    hmask[32]@0  qs[64]@32  scales[12]@96  d@108
//          16 sub-blocks of 16 with 6-bit signed scales (stored +32): sub-block s takes its low
//          4 bits from scales[s] (s < 8) or scales[s-8] >> 4, its top 2 bits from
//          scales[8 + s%4] >> (2*(s/4)). q = 2 low bits (as Q2_K) minus 4 unless the hmask bit is
//          set; hmask bit b of byte l belongs to value 32b + l.   value = d * (sc - 32) * q
//   Q4_K  144    d@0  dmin@2  scales[12]@4  qs[128]@16
//          8 sub-blocks of 32 with 6-bit scale/min pairs (get_scale_min_k4 below).
//          64 values per 32 bytes: low nibbles first, then high nibbles.
//          value = d*sc * q - dmin*mn
//   Q5_K  176    d@0  dmin@2  scales[12]@4  qh[32]@16  qs[128]@48
//          as Q4_K plus a 5th bit: bit (2p) / (2p+1) of qh[l] for the low / high nibble of
//          pair p (p = 0..3) of 32-value groups.
//   Q6_K  210    ql[128]@0  qh[64]@128  scales[16] int8 @192  d@208
//          per 128-value half: ql[0..63], qh[0..31], 8 scales; value n = 32k + l (k = 0..3) takes
//          low 4 bits from ql[l + 32*(k&1)] (nibble k>>1) and 2 high bits from qh[l] >> 2k;
//          q - 32, scale index l/16 + 2k.        value = d * sc * q
//   Q8_K  292    d (fp32) @0  qs[256] int8 @4  bsums[16] int16 @260 (unused)   value = d * q
//
// Rounding: ggml computes in float, multiply then add, in the operand order kept below. For most
// types every product is exact (an 11-bit fp16 scale times a <= 6-bit sub-scale times a <= 5-bit
// quant fits float's 24 bits), so neither order nor FMA contraction can change a value. Q6_K is
// the exception: (d * sc) * q can round, and d * (sc * q) differs from it in the last bit and in
// the sign of zero (q = 0 with sc < 0 gives -0.0); tests/test_ggml_dequant.cpp pins both.

#include "tensor/ggml_dequant.h"

#include "tensor/float_formats.h"
#include "util/error.h"

#include <cstring>
#include <string>

namespace cwb {
namespace {

using Byte = unsigned char;

inline const Byte *bytesOf(const std::byte *p) { return reinterpret_cast<const Byte *>(p); }

inline float halfAt(const Byte *p)
{
    return fp16ToFloat(static_cast<uint16_t>(p[0] | (p[1] << 8)));
}

inline float mulAdd(float a, float b, float c)
{
    const float prod = a * b;
    return prod + c;
}

inline float mulSub(float a, float b, float c)
{
    const float prod = a * b;
    return prod - c;
}

void dequantQ4_0(const Byte *blk, float *y)
{
    const float d = halfAt(blk);
    const Byte *qs = blk + 2;
    for (int j = 0; j < 16; ++j) {
        y[j] = static_cast<float>((qs[j] & 0x0F) - 8) * d;
        y[j + 16] = static_cast<float>((qs[j] >> 4) - 8) * d;
    }
}

void dequantQ4_1(const Byte *blk, float *y)
{
    const float d = halfAt(blk);
    const float m = halfAt(blk + 2);
    const Byte *qs = blk + 4;
    for (int j = 0; j < 16; ++j) {
        y[j] = mulAdd(static_cast<float>(qs[j] & 0x0F), d, m);
        y[j + 16] = mulAdd(static_cast<float>(qs[j] >> 4), d, m);
    }
}

uint32_t u32At(const Byte *p)
{
    return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8)
        | (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

void dequantQ5_0(const Byte *blk, float *y)
{
    const float d = halfAt(blk);
    const uint32_t qh = u32At(blk + 2);
    const Byte *qs = blk + 6;
    for (int j = 0; j < 16; ++j) {
        const int hi0 = static_cast<int>((qh >> j) & 1u) << 4;
        const int hi1 = static_cast<int>((qh >> (j + 16)) & 1u) << 4;
        y[j] = static_cast<float>(((qs[j] & 0x0F) | hi0) - 16) * d;
        y[j + 16] = static_cast<float>(((qs[j] >> 4) | hi1) - 16) * d;
    }
}

void dequantQ5_1(const Byte *blk, float *y)
{
    const float d = halfAt(blk);
    const float m = halfAt(blk + 2);
    const uint32_t qh = u32At(blk + 4);
    const Byte *qs = blk + 8;
    for (int j = 0; j < 16; ++j) {
        const int hi0 = static_cast<int>((qh >> j) & 1u) << 4;
        const int hi1 = static_cast<int>((qh >> (j + 16)) & 1u) << 4;
        y[j] = mulAdd(static_cast<float>((qs[j] & 0x0F) | hi0), d, m);
        y[j + 16] = mulAdd(static_cast<float>((qs[j] >> 4) | hi1), d, m);
    }
}

void dequantQ8(const Byte *qs, float d, float *y, int n)
{
    for (int j = 0; j < n; ++j)
        y[j] = static_cast<float>(static_cast<int8_t>(qs[j])) * d;
}

void dequantQ2_K(const Byte *blk, float *y)
{
    const Byte *scales = blk;
    const Byte *q = blk + 16;
    const float d = halfAt(blk + 80);
    const float dmin = halfAt(blk + 82);
    int is = 0;
    for (int half = 0; half < 2; ++half) {
        for (int shift = 0; shift < 8; shift += 2) {
            for (int part = 0; part < 2; ++part) { // 16 values from q[0..15], then q[16..31]
                const Byte sc = scales[is++];
                const float dl = d * static_cast<float>(sc & 0xF);
                const float ml = dmin * static_cast<float>(sc >> 4);
                for (int l = 0; l < 16; ++l)
                    *y++ = mulSub(dl, static_cast<float>((q[l + 16 * part] >> shift) & 3), ml);
            }
        }
        q += 32;
    }
}

// The 6-bit signed scale of Q3_K sub-block s (0..15), still biased by +32.
int q3kScale(const Byte *scales, int s)
{
    const int low = s < 8 ? (scales[s] & 0xF) : (scales[s - 8] >> 4);
    const int high = (scales[8 + s % 4] >> (2 * (s / 4))) & 3;
    return low | (high << 4);
}

void dequantQ3_K(const Byte *blk, float *y)
{
    const Byte *hmask = blk;
    const Byte *q = blk + 32;
    const Byte *scales = blk + 96;
    const float d = halfAt(blk + 108);
    int is = 0;
    Byte m = 1;
    for (int half = 0; half < 2; ++half) {
        for (int shift = 0; shift < 8; shift += 2) {
            for (int part = 0; part < 2; ++part) {
                const float dl = d * static_cast<float>(q3kScale(scales, is++) - 32);
                for (int l = 16 * part; l < 16 * part + 16; ++l) {
                    const int v = ((q[l] >> shift) & 3) - ((hmask[l] & m) ? 0 : 4);
                    *y++ = dl * static_cast<float>(v);
                }
            }
            m = static_cast<Byte>(m << 1);
        }
        q += 32;
    }
}

// ggml's get_scale_min_k4: 8 (scale, min) pairs of 6 bits packed in 12 bytes. Pairs 0..3 are the
// low 6 bits of bytes 0..3 / 4..7; pairs 4..7 take their low 4 bits from the nibbles of bytes
// 8..11 and their top 2 bits from the spare top bits of bytes 0..3 / 4..7.
void scaleMinK4(int j, const Byte *q, int &sc, int &mn)
{
    if (j < 4) {
        sc = q[j] & 63;
        mn = q[j + 4] & 63;
    } else {
        sc = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
        mn = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
    }
}

void dequantQ4_K(const Byte *blk, float *y)
{
    const float d = halfAt(blk);
    const float dmin = halfAt(blk + 2);
    const Byte *scales = blk + 4;
    const Byte *q = blk + 16;
    for (int is = 0; is < 8; is += 2) {
        int sc = 0, mn = 0;
        scaleMinK4(is, scales, sc, mn);
        const float d1 = d * static_cast<float>(sc);
        const float m1 = dmin * static_cast<float>(mn);
        scaleMinK4(is + 1, scales, sc, mn);
        const float d2 = d * static_cast<float>(sc);
        const float m2 = dmin * static_cast<float>(mn);
        for (int l = 0; l < 32; ++l)
            *y++ = mulSub(d1, static_cast<float>(q[l] & 0xF), m1);
        for (int l = 0; l < 32; ++l)
            *y++ = mulSub(d2, static_cast<float>(q[l] >> 4), m2);
        q += 32;
    }
}

void dequantQ5_K(const Byte *blk, float *y)
{
    const float d = halfAt(blk);
    const float dmin = halfAt(blk + 2);
    const Byte *scales = blk + 4;
    const Byte *qh = blk + 16;
    const Byte *ql = blk + 48;
    Byte u1 = 1, u2 = 2;
    for (int is = 0; is < 8; is += 2) {
        int sc = 0, mn = 0;
        scaleMinK4(is, scales, sc, mn);
        const float d1 = d * static_cast<float>(sc);
        const float m1 = dmin * static_cast<float>(mn);
        scaleMinK4(is + 1, scales, sc, mn);
        const float d2 = d * static_cast<float>(sc);
        const float m2 = dmin * static_cast<float>(mn);
        for (int l = 0; l < 32; ++l)
            *y++ = mulSub(d1, static_cast<float>((ql[l] & 0xF) + ((qh[l] & u1) ? 16 : 0)), m1);
        for (int l = 0; l < 32; ++l)
            *y++ = mulSub(d2, static_cast<float>((ql[l] >> 4) + ((qh[l] & u2) ? 16 : 0)), m2);
        ql += 32;
        u1 = static_cast<Byte>(u1 << 2);
        u2 = static_cast<Byte>(u2 << 2);
    }
}

void dequantQ6_K(const Byte *blk, float *y)
{
    const Byte *ql = blk;
    const Byte *qh = blk + 128;
    const Byte *sc = blk + 192;
    const float d = halfAt(blk + 208);
    for (int half = 0; half < 2; ++half) {
        for (int l = 0; l < 32; ++l) {
            const int is = l / 16;
            const int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
            const int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
            const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
            const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
            // ggml evaluates d * sc * q left to right: (d * sc) * q.
            const auto scaled = [&](int k, int q) {
                const float ds = d * static_cast<float>(static_cast<int8_t>(sc[is + 2 * k]));
                return ds * static_cast<float>(q);
            };
            y[l] = scaled(0, q1);
            y[l + 32] = scaled(1, q2);
            y[l + 64] = scaled(2, q3);
            y[l + 96] = scaled(3, q4);
        }
        y += 128;
        ql += 64;
        qh += 32;
        sc += 8;
    }
}

void dequantQ8_K(const Byte *blk, float *y)
{
    float d;
    std::memcpy(&d, blk, sizeof d);
    dequantQ8(blk + 4, d, y, 256);
}

using BlockFn = void (*)(const Byte *, float *);

void q8_0Block(const Byte *blk, float *y) { dequantQ8(blk + 2, halfAt(blk), y, 32); }
void q8_1Block(const Byte *blk, float *y) { dequantQ8(blk + 4, halfAt(blk), y, 32); }

BlockFn blockFunction(DType t)
{
    switch (t) {
    case DType::Q4_0: return dequantQ4_0;
    case DType::Q4_1: return dequantQ4_1;
    case DType::Q5_0: return dequantQ5_0;
    case DType::Q5_1: return dequantQ5_1;
    case DType::Q8_0: return q8_0Block;
    case DType::Q8_1: return q8_1Block;
    case DType::Q2_K: return dequantQ2_K;
    case DType::Q3_K: return dequantQ3_K;
    case DType::Q4_K: return dequantQ4_K;
    case DType::Q5_K: return dequantQ5_K;
    case DType::Q6_K: return dequantQ6_K;
    case DType::Q8_K: return dequantQ8_K;
    default: return nullptr;
    }
}

} // namespace

bool ggmlCanDequantize(DType t) { return blockFunction(t) != nullptr; }

void ggmlDequantizeRow(DType t, const std::byte *src, float *dst, int64_t n)
{
    const BlockFn fn = blockFunction(t);
    if (!fn)
        throw Error("ggml dequantizer: no decoder for type " + std::string(dtypeName(t)));
    const auto &info = dtypeInfo(t);
    if (n < 0 || n % info.blockElems != 0)
        throw Error("ggml dequantizer: " + std::to_string(n) + " values are not a whole number of "
                    + std::string(info.name) + " blocks of " + std::to_string(info.blockElems));
    const Byte *p = bytesOf(src);
    const int64_t blocks = n / info.blockElems;
    for (int64_t b = 0; b < blocks; ++b)
        fn(p + b * info.blockBytes, dst + b * info.blockElems);
}

} // namespace cwb
