// SPDX-License-Identifier: MIT
#pragma once
// ggml's block layouts (ggml-common.h) and the byte readers / writers every ggml codec shares:
// the reference decoders (formats/ggml_dequant.cpp), the encoders (formats/ggml_quant_*.cpp) and
// the dot-product kernels (formats/ggml_dot.cpp). Every block is little-endian and packed; `d`,
// `m`, `dmin` are IEEE fp16 except Q8_K's `d`, which is fp32.
//
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

#include "formats/float_formats.h"

#include <cstdint>
#include <cstring>

namespace cwb::ggmlblocks {

using Byte = unsigned char;

inline constexpr int kQk = 32;   // values per legacy block
inline constexpr int kQkK = 256; // values per K-quant super-block

inline float halfAt(const Byte *p)
{
    return fp16ToFloat(static_cast<uint16_t>(p[0] | (p[1] << 8)));
}

inline uint32_t u32At(const Byte *p)
{
    return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8)
        | (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

inline void putU16(uint8_t *p, uint16_t v)
{
    p[0] = static_cast<uint8_t>(v & 0xffu);
    p[1] = static_cast<uint8_t>(v >> 8);
}

inline void putU32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; ++i)
        p[i] = static_cast<uint8_t>(v >> (8 * i));
}

// ggml's get_scale_min_k4: 8 (scale, min) pairs of 6 bits packed in 12 bytes. Pairs 0..3 are the
// low 6 bits of bytes 0..3 / 4..7; pairs 4..7 take their low 4 bits from the nibbles of bytes
// 8..11 and their top 2 bits from the spare top bits of bytes 0..3 / 4..7.
inline void scaleMinK4(int j, const Byte *q, int &sc, int &mn)
{
    if (j < 4) {
        sc = q[j] & 63;
        mn = q[j + 4] & 63;
    } else {
        sc = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
        mn = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
    }
}

} // namespace cwb::ggmlblocks
