// SPDX-License-Identifier: MIT
#include "formats/ggml_block_codes.h"

#include "formats/ggml_blocks.h"
#include "util/error.h"

#include <string>
#include <utility>

namespace cwb {

namespace ggmlblocks {

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

namespace {

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

} // namespace

void unpackQ4_K(const Byte *w, KBlock &k) { unpackQ4_5_K(w, k, false); }
void unpackQ5_K(const Byte *w, KBlock &k) { unpackQ4_5_K(w, k, true); }

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

} // namespace ggmlblocks

namespace {

using namespace ggmlblocks;

// Legacy 32-value blocks: where the codes start, whether a 5th bit and a minimum are stored.
struct LegacyLayout {
    int qsAt = 0;
    int qhAt = -1; // -1: no 5th bit
    int minAt = -1; // -1: no minimum (value = d * (u - offset))
    int offset = 0;
    int codeMax = 15;
};

LegacyLayout legacyLayout(DType t)
{
    switch (t) {
    case DType::Q4_0: return {2, -1, -1, 8, 15};
    case DType::Q4_1: return {4, -1, 2, 0, 15};
    case DType::Q5_0: return {6, 2, -1, 16, 31};
    case DType::Q5_1: return {8, 4, 2, 0, 31};
    default: return {};
    }
}

void readLegacy(DType t, const Byte *w, GgmlBlockGrid &g)
{
    const LegacyLayout l = legacyLayout(t);
    g.values = kQk;
    g.codeMax = l.codeMax;
    g.offset = l.offset;
    const float d = halfAt(w);
    const float m = l.minAt >= 0 ? halfAt(w + l.minAt) : 0.0f;
    const uint32_t qh = l.qhAt >= 0 ? u32At(w + l.qhAt) : 0;
    for (int j = 0; j < 16; ++j) {
        int lo = w[l.qsAt + j] & 0xF, hi = w[l.qsAt + j] >> 4;
        lo |= int((qh >> j) & 1) << 4;
        hi |= int((qh >> (j + 16)) & 1) << 4;
        g.code[j] = uint8_t(lo);
        g.code[j + 16] = uint8_t(hi);
    }
    for (int j = 0; j < kQk; ++j) {
        g.step[j] = d;
        g.base[j] = m;
    }
}

void writeLegacy(DType t, Byte *w, const uint8_t *u)
{
    const LegacyLayout l = legacyLayout(t);
    uint32_t qh = 0;
    for (int j = 0; j < 16; ++j) {
        w[l.qsAt + j] = Byte((u[j] & 0xF) | ((u[j + 16] & 0xF) << 4));
        qh |= uint32_t((u[j] >> 4) & 1) << j;
        qh |= uint32_t((u[j + 16] >> 4) & 1) << (j + 16);
    }
    if (l.qhAt >= 0)
        putU32(w + l.qhAt, qh);
}

// One K-quant super-block of type t unpacked, and the largest code of the type.
void unpackK(DType t, const Byte *w, KBlock &k)
{
    switch (t) {
    case DType::Q2_K: unpackQ2_K(w, k); return;
    case DType::Q3_K: unpackQ3_K(w, k); return;
    case DType::Q4_K: unpackQ4_K(w, k); return;
    case DType::Q5_K: unpackQ5_K(w, k); return;
    default: unpackQ6_K(w, k); return;
    }
}

int kCodeMax(DType t)
{
    switch (t) {
    case DType::Q2_K: return 3;
    case DType::Q3_K: return 7;
    case DType::Q4_K: return 15;
    case DType::Q5_K: return 31;
    default: return 63;
    }
}

void readKBlock(DType t, const Byte *w, GgmlBlockGrid &g)
{
    KBlock k;
    unpackK(t, w, k);
    g.codeMax = kCodeMax(t);
    g.values = kQkK;
    g.offset = k.offset;
    for (int s = 0; s < 16; ++s) {
        // The decoders' products: d * sc (Q3_K's sc already has its 32 taken off) and dmin * mn.
        const float step = k.d * float(k.sc[s]);
        const float base = k.dmin * float(k.mn[s]);
        for (int l = 0; l < 16; ++l) {
            g.code[16 * s + l] = uint8_t(k.u[16 * s + l]);
            g.step[16 * s + l] = step;
            g.base[16 * s + l] = -base;
        }
    }
}

void writeQ2_3_K(Byte *w, const uint8_t *u, bool three)
{
    Byte *qs = w + (three ? 32 : 16);
    for (int h = 0; h < 2; ++h)
        for (int l = 0; l < 32; ++l) {
            int byte = 0;
            for (int sh = 0; sh < 4; ++sh)
                byte |= (u[128 * h + 32 * sh + l] & 3) << (2 * sh);
            qs[32 * h + l] = Byte(byte);
        }
    if (!three)
        return;
    for (int l = 0; l < 32; ++l) {
        int mask = 0;
        for (int g = 0; g < 8; ++g)
            mask |= ((u[32 * g + l] >> 2) & 1) << g; // value 128h + 32sh + l has g = 4h + sh
        w[l] = Byte(mask);
    }
}

void writeQ4_5_K(Byte *w, const uint8_t *u, bool five)
{
    Byte *qh = w + 16;
    Byte *qs = w + (five ? 48 : 16);
    if (five)
        for (int l = 0; l < 32; ++l)
            qh[l] = 0;
    for (int c = 0; c < 4; ++c)
        for (int l = 0; l < 32; ++l) {
            const int lo = u[64 * c + l], hi = u[64 * c + 32 + l];
            qs[32 * c + l] = Byte((lo & 0xF) | ((hi & 0xF) << 4));
            if (five)
                qh[l] = Byte(qh[l] | (((lo >> 4) & 1) << (2 * c)) | (((hi >> 4) & 1) << (2 * c + 1)));
        }
}

void writeQ6_K(Byte *w, const uint8_t *u)
{
    Byte *ql = w, *qh = w + 128;
    for (int h = 0; h < 2; ++h)
        for (int l = 0; l < 32; ++l) {
            int high = 0;
            for (int kk = 0; kk < 4; ++kk)
                high |= ((u[128 * h + 32 * kk + l] >> 4) & 3) << (2 * kk);
            qh[32 * h + l] = Byte(high);
            for (int half = 0; half < 2; ++half) {
                // ql[64h + l + 32*half] holds value kk = half (low nibble) and kk = half + 2.
                const int lo = u[128 * h + 32 * half + l] & 0xF;
                const int hi = u[128 * h + 32 * (half + 2) + l] & 0xF;
                ql[64 * h + l + 32 * half] = Byte(lo | (hi << 4));
            }
        }
}

[[noreturn]] void unsupported(DType t)
{
    throw Error("ggml block codes: type " + std::string(dtypeName(t))
                + " is not one of Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q2_K Q3_K Q4_K Q5_K Q6_K");
}

// Byte offsets of the fp16 d and minimum (-1: none).
std::pair<int, int> scaleOffsets(DType t)
{
    switch (t) {
    case DType::Q4_0: case DType::Q5_0: case DType::Q8_0: return {0, -1};
    case DType::Q4_1: case DType::Q5_1: return {0, 2};
    case DType::Q2_K: return {80, 82};
    case DType::Q3_K: return {108, -1};
    case DType::Q4_K: case DType::Q5_K: return {0, 2};
    case DType::Q6_K: return {208, -1};
    default: unsupported(t);
    }
}

} // namespace

void readGgmlBlockScales(DType t, const std::byte *block, GgmlBlockScales &s)
{
    const auto *w = reinterpret_cast<const Byte *>(block);
    const auto [dAt, minAt] = scaleOffsets(t);
    s.d = halfAt(w + dAt);
    s.hasMin = minAt >= 0;
    s.min = s.hasMin ? halfAt(w + minAt) : 0.0f;
    GgmlBlockGrid g;
    readGgmlBlock(t, block, g);
    const bool kQuant = g.values == kQkK;
    KBlock k;
    if (kQuant)
        unpackK(t, w, k);
    for (int e = 0; e < g.values; ++e) {
        const int q = int(g.code[e]) - g.offset;
        s.alpha[e] = float(kQuant ? k.sc[e / 16] * q : q);
        s.beta[e] = kQuant ? float(-k.mn[e / 16]) : (s.hasMin ? 1.0f : 0.0f);
    }
}

void writeGgmlBlockScales(DType t, std::byte *block, float d, float min)
{
    auto *w = reinterpret_cast<Byte *>(block);
    const auto [dAt, minAt] = scaleOffsets(t);
    putU16(w + dAt, floatToFp16(d));
    if (minAt >= 0)
        putU16(w + minAt, floatToFp16(min));
}

bool ggmlBlockCodesSupported(DType t)
{
    switch (t) {
    case DType::Q4_0: case DType::Q4_1: case DType::Q5_0: case DType::Q5_1: case DType::Q8_0:
    case DType::Q2_K: case DType::Q3_K: case DType::Q4_K: case DType::Q5_K: case DType::Q6_K:
        return true;
    default: return false;
    }
}

void readGgmlBlock(DType t, const std::byte *block, GgmlBlockGrid &g)
{
    const auto *w = reinterpret_cast<const Byte *>(block);
    switch (t) {
    case DType::Q4_0: case DType::Q4_1: case DType::Q5_0: case DType::Q5_1:
        readLegacy(t, w, g);
        return;
    case DType::Q8_0: {
        g.values = kQk;
        g.codeMax = 255;
        g.offset = 128;
        const float d = halfAt(w);
        for (int j = 0; j < kQk; ++j) {
            g.code[j] = uint8_t(int(static_cast<signed char>(w[2 + j])) + 128);
            g.step[j] = d;
            g.base[j] = 0.0f;
        }
        return;
    }
    case DType::Q2_K: case DType::Q3_K: case DType::Q4_K: case DType::Q5_K: case DType::Q6_K:
        readKBlock(t, w, g);
        return;
    default: unsupported(t);
    }
}

void writeGgmlBlockCodes(DType t, std::byte *block, const uint8_t *codes)
{
    auto *w = reinterpret_cast<Byte *>(block);
    switch (t) {
    case DType::Q4_0: case DType::Q4_1: case DType::Q5_0: case DType::Q5_1:
        writeLegacy(t, w, codes);
        return;
    case DType::Q8_0:
        for (int j = 0; j < kQk; ++j)
            w[2 + j] = Byte(uint8_t(codes[j] - 128));
        return;
    case DType::Q2_K: writeQ2_3_K(w, codes, false); return;
    case DType::Q3_K: writeQ2_3_K(w, codes, true); return;
    case DType::Q4_K: writeQ4_5_K(w, codes, false); return;
    case DType::Q5_K: writeQ4_5_K(w, codes, true); return;
    case DType::Q6_K: writeQ6_K(w, codes); return;
    default: unsupported(t);
    }
}

} // namespace cwb
