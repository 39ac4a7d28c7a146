// SPDX-License-Identifier: MIT
#pragma once
// A ggml block seen as codes on a grid: what an algorithm that chooses codes itself (GPTQ onto
// ggml grids, compress/gptq_ggml.h) needs to keep a block's scales as llama.cpp's search chose
// them and write its own codes into the same bytes.
//
// Every type Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q2_K Q3_K Q4_K Q5_K Q6_K is read as one unsigned code u per
// value (0..codeMax) and an affine map per value,
//   value = step * (u - offset) + base,
// with step and base the float products the decoder forms (d, d*sc, d*(sc-32); base = m or
// -dmin*mn, else 0), so step * (u - offset) + base is exactly what formats/ggml_dequant.h gives.
// Q8_0's signed int8 codes are stored as u = q + 128 (offset 128).
//
// The K-quant unpackers (KBlock: integer scales and codes) are shared with the scalar integer
// dot-product references (formats/int_dot_scalar.cpp). Layouts: formats/ggml_blocks.h.

#include "formats/dtype.h"

#include <cstddef>
#include <cstdint>

namespace cwb {

namespace ggmlblocks {

// One K-quant super-block unpacked: u[256] codes, offset, 16 scales per 16 values (sub-blocks
// of 32 repeat their scale) and 16 mins (0 for types without).
//   value = d * sc[s] * (u - offset) - dmin * mn[s],  s = index / 16
struct KBlock {
    int u[256];
    int offset = 0;
    int sc[16];
    int mn[16];
    float d = 0;
    float dmin = 0;
};

void unpackQ2_K(const unsigned char *w, KBlock &k);
void unpackQ3_K(const unsigned char *w, KBlock &k);
void unpackQ4_K(const unsigned char *w, KBlock &k);
void unpackQ5_K(const unsigned char *w, KBlock &k);
void unpackQ6_K(const unsigned char *w, KBlock &k);

} // namespace ggmlblocks

struct GgmlBlockGrid {
    int values = 0;  // 32 (legacy types) or 256 (K-quants)
    int codeMax = 0; // codes 0..codeMax
    int offset = 0;  // value = step * (u - offset) + base
    uint8_t code[256];
    float step[256];
    float base[256];
};

// True for the ten types above.
[[nodiscard]] bool ggmlBlockCodesSupported(DType t);

// Reads one block (dtypeInfo(t).blockBytes bytes). Throws cwb::Error for another type.
void readGgmlBlock(DType t, const std::byte *block, GgmlBlockGrid &g);

// The block's fp16 scale d and minimum (dmin for Q2_K / Q4_K / Q5_K, m for Q4_1 / Q5_1) with
// each value's multiplier of them: value = d * alpha + min * beta, where alpha is the value's
// integer sub-scale times (u - offset) (1 times it for the legacy types) and beta is -mn (the
// K-quants' integer sub-block minimum), 1 (Q4_1 / Q5_1) or 0 (types without a minimum). What a
// least-squares refit of the scales for fixed codes solves for.
struct GgmlBlockScales {
    float d = 0;
    float min = 0;
    bool hasMin = false;
    float alpha[256];
    float beta[256];
};
void readGgmlBlockScales(DType t, const std::byte *block, GgmlBlockScales &s);
// Stores d and min (when the type has one) as fp16, leaving codes and sub-scales as they are.
void writeGgmlBlockScales(DType t, std::byte *block, float d, float min);

// Replaces the codes of one block by `codes` (values of them, each 0..codeMax of the type;
// larger values are masked to the code's bits), leaving its scales and mins as they are.
void writeGgmlBlockCodes(DType t, std::byte *block, const uint8_t *codes);

} // namespace cwb
