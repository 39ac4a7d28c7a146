// SPDX-License-Identifier: MIT
#pragma once
// Bit packing of quantization codes (see quantized_tensor.h for the layout): LSB-first bit
// streams of 1..8-bit codes, and base-3 packing of ternary digits, 5 per byte.
// putCode/getCode address one code and are what the reference paths use; packCodes/unpackCodes
// move a byte-aligned run at a time and are what the fast paths use. Both give the same bytes.

#include <cstdint>

namespace cwb::quantpack {

// ORs `code` (< 2^bits) into code slot j of an LSB-first stream; the stream must start zeroed.
inline void putCode(uint8_t *stream, int64_t j, int bits, uint32_t code)
{
    const uint64_t bit = static_cast<uint64_t>(j) * static_cast<uint64_t>(bits);
    uint8_t *p = stream + bit / 8;
    const unsigned shift = bit % 8;
    const uint32_t v = code << shift;
    p[0] = static_cast<uint8_t>(p[0] | v);
    if (shift + static_cast<unsigned>(bits) > 8)
        p[1] = static_cast<uint8_t>(p[1] | (v >> 8));
}

[[nodiscard]] inline uint32_t getCode(const uint8_t *stream, int64_t j, int bits)
{
    const uint64_t bit = static_cast<uint64_t>(j) * static_cast<uint64_t>(bits);
    const uint8_t *p = stream + bit / 8;
    const unsigned shift = bit % 8;
    uint32_t v = p[0];
    if (shift + static_cast<unsigned>(bits) > 8)
        v |= static_cast<uint32_t>(p[1]) << 8;
    return (v >> shift) & ((1u << bits) - 1u);
}

// Bytes of a stream of n codes.
[[nodiscard]] inline int64_t streamBytes(int64_t n, int bits) { return (n * bits + 7) / 8; }

// codes[0..n) (each < 2^bits) -> out[0..streamBytes(n, bits)), overwriting it.
void packCodes(const uint8_t *codes, int64_t n, int bits, uint8_t *out);
// in (a stream starting at code 0) -> codes[0..n).
void unpackCodes(const uint8_t *in, int64_t n, int bits, uint8_t *codes);

// Base-3: byte k holds trits 5k..5k+4, t0 + 3 t1 + 9 t2 + 27 t3 + 81 t4 (each trit 0..2).
[[nodiscard]] inline int64_t base3Bytes(int64_t n) { return (n + 4) / 5; }
void packBase3(const uint8_t *trits, int64_t n, uint8_t *out);
void unpackBase3(const uint8_t *in, int64_t n, uint8_t *trits); // n from a byte boundary
// Trit j of a base-3 stream (reference path).
[[nodiscard]] uint32_t getBase3(const uint8_t *stream, int64_t j);

} // namespace cwb::quantpack
