// SPDX-License-Identifier: MIT
#include "formats/quant_packing.h"

#include <array>
#include <cstring>

namespace cwb::quantpack {
namespace {

// 8 codes of `bits` bits fill exactly `bits` bytes: pack them through one 64-bit word.
void packGeneric(const uint8_t *codes, int64_t n, int bits, uint8_t *out)
{
    const int64_t whole = n / 8;
    for (int64_t k = 0; k < whole; ++k) {
        uint64_t word = 0;
        for (int i = 0; i < 8; ++i)
            word |= static_cast<uint64_t>(codes[8 * k + i]) << (i * bits);
        for (int b = 0; b < bits; ++b)
            out[k * bits + b] = static_cast<uint8_t>(word >> (8 * b));
    }
    const int64_t tail = streamBytes(n, bits) - whole * bits;
    std::memset(out + whole * bits, 0, static_cast<size_t>(tail));
    for (int64_t j = whole * 8; j < n; ++j)
        putCode(out, j, bits, codes[j]);
}

void unpackGeneric(const uint8_t *in, int64_t n, int bits, uint8_t *codes)
{
    const int64_t whole = n / 8;
    const uint64_t mask = (uint64_t(1) << bits) - 1;
    for (int64_t k = 0; k < whole; ++k) {
        uint64_t word = 0;
        for (int b = 0; b < bits; ++b)
            word |= static_cast<uint64_t>(in[k * bits + b]) << (8 * b);
        for (int i = 0; i < 8; ++i)
            codes[8 * k + i] = static_cast<uint8_t>((word >> (i * bits)) & mask);
    }
    for (int64_t j = whole * 8; j < n; ++j)
        codes[j] = static_cast<uint8_t>(getCode(in, j, bits));
}

struct Base3Table {
    // Bytes 243..255 never occur in packed data; they decode digit by digit like getBase3.
    std::array<std::array<uint8_t, 5>, 256> trits{};
    Base3Table()
    {
        for (int v = 0; v < 256; ++v) {
            int x = v;
            for (int i = 0; i < 5; ++i) {
                trits[v][i] = static_cast<uint8_t>(x % 3);
                x /= 3;
            }
        }
    }
};

const Base3Table &base3Table()
{
    static const Base3Table table;
    return table;
}

} // namespace

void packCodes(const uint8_t *codes, int64_t n, int bits, uint8_t *out)
{
    switch (bits) {
    case 8:
        std::memcpy(out, codes, static_cast<size_t>(n));
        return;
    case 4: {
        const int64_t pairs = n / 2;
        for (int64_t k = 0; k < pairs; ++k)
            out[k] = static_cast<uint8_t>(codes[2 * k] | (codes[2 * k + 1] << 4));
        if (n % 2)
            out[pairs] = codes[n - 1];
        return;
    }
    case 2: {
        const int64_t quads = n / 4;
        for (int64_t k = 0; k < quads; ++k)
            out[k] = static_cast<uint8_t>(codes[4 * k] | (codes[4 * k + 1] << 2)
                                          | (codes[4 * k + 2] << 4) | (codes[4 * k + 3] << 6));
        if (n % 4) {
            out[quads] = 0;
            for (int64_t j = quads * 4; j < n; ++j)
                putCode(out, j, 2, codes[j]);
        }
        return;
    }
    default:
        packGeneric(codes, n, bits, out);
    }
}

void unpackCodes(const uint8_t *in, int64_t n, int bits, uint8_t *codes)
{
    switch (bits) {
    case 8:
        std::memcpy(codes, in, static_cast<size_t>(n));
        return;
    case 4: {
        const int64_t pairs = n / 2;
        for (int64_t k = 0; k < pairs; ++k) {
            codes[2 * k] = in[k] & 0x0fu;
            codes[2 * k + 1] = in[k] >> 4;
        }
        if (n % 2)
            codes[n - 1] = in[pairs] & 0x0fu;
        return;
    }
    case 2: {
        const int64_t quads = n / 4;
        for (int64_t k = 0; k < quads; ++k) {
            codes[4 * k] = in[k] & 3u;
            codes[4 * k + 1] = (in[k] >> 2) & 3u;
            codes[4 * k + 2] = (in[k] >> 4) & 3u;
            codes[4 * k + 3] = in[k] >> 6;
        }
        for (int64_t j = quads * 4; j < n; ++j)
            codes[j] = static_cast<uint8_t>(getCode(in, j, 2));
        return;
    }
    default:
        unpackGeneric(in, n, bits, codes);
    }
}

void packBase3(const uint8_t *trits, int64_t n, uint8_t *out)
{
    const int64_t bytes = base3Bytes(n);
    for (int64_t k = 0; k < bytes; ++k) {
        unsigned v = 0;
        for (int i = 4; i >= 0; --i) {
            const int64_t j = 5 * k + i;
            v = v * 3u + (j < n ? trits[j] : 0u);
        }
        out[k] = static_cast<uint8_t>(v);
    }
}

void unpackBase3(const uint8_t *in, int64_t n, uint8_t *trits)
{
    const auto &table = base3Table().trits;
    const int64_t whole = n / 5;
    for (int64_t k = 0; k < whole; ++k)
        std::memcpy(trits + 5 * k, table[in[k]].data(), 5);
    for (int64_t j = whole * 5; j < n; ++j)
        trits[j] = table[in[whole]][static_cast<size_t>(j - whole * 5)];
}

uint32_t getBase3(const uint8_t *stream, int64_t j)
{
    unsigned v = stream[j / 5];
    for (int64_t i = 0; i < j % 5; ++i)
        v /= 3u;
    return v % 3u;
}

} // namespace cwb::quantpack
