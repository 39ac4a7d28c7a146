// SPDX-License-Identifier: MIT
// Scalar reference dequantizers for ggml block types, bit-exact with ggml's dequantize_row_*
// (ggml-quants.c). The block layouts are in formats/ggml_blocks.h.

#include "formats/ggml_dequant.h"

#include "formats/float_formats.h"
#include "formats/ggml_blocks.h"
#include "util/error.h"

#include <cstring>
#include <string>

namespace cwb {
namespace {

using namespace ggmlblocks;

inline const Byte *bytesOf(const std::byte *p) { return reinterpret_cast<const Byte *>(p); }

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
