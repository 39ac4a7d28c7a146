// SPDX-License-Identifier: MIT
#pragma once
// Block encoders of the ggml quantizers (internal to core/formats): one function per type and
// path, each writing one block in ggml's byte layout (formats/ggml_blocks.h).
//   *Plain     quantize_row_<type>_ref of llama.cpp c392e509 (no importance)
//   *Weighted  quantize_row_<type>_impl with importance weights `imp` (the block's values of the
//              imatrix row). Legacy types also take sigma2, the mean x^2 of the whole row.
// Q8_0 has no weighted form: ggml ignores the imatrix for it. Callers validate the arguments.

#include "formats/float_formats.h"
#include "formats/ggml_blocks.h"
#include "formats/ggml_quant_search.h"

#include <cstdint>

namespace cwb::ggmlq {

using ggmlblocks::kQk;
using ggmlblocks::kQkK;
using ggmlblocks::putU16;
using ggmlblocks::putU32;

// Stores `v` as fp16 and returns the value ggml computes with afterwards (its fp16 table lookup).
inline float putFp16(uint8_t *p, float v)
{
    const uint16_t h = floatToFp16(v);
    putU16(p, h);
    return fp16ToFloat(h);
}

// `(int8_t)(v)` / `(uint8_t)(v)` as ggml's x86-64 build evaluates them (see truncateLikeX86).
inline int toInt8(float v) { return static_cast<int8_t>(truncateLikeX86(v)); }
inline int toUint8(float v) { return static_cast<uint8_t>(truncateLikeX86(v)); }

void q4_0Plain(const float *x, uint8_t *y);
void q4_0Weighted(const float *x, uint8_t *y, const float *imp, float sigma2);
void q4_1Plain(const float *x, uint8_t *y);
void q4_1Weighted(const float *x, uint8_t *y, const float *imp, float sigma2);
void q5_0Plain(const float *x, uint8_t *y);
void q5_0Weighted(const float *x, uint8_t *y, const float *imp, float sigma2);
void q5_1Plain(const float *x, uint8_t *y);
void q5_1Weighted(const float *x, uint8_t *y, const float *imp, float sigma2);
void q8_0Plain(const float *x, uint8_t *y);

void q2KPlain(const float *x, uint8_t *y);
void q2KWeighted(const float *x, uint8_t *y, const float *imp);
void q3KPlain(const float *x, uint8_t *y);
void q3KWeighted(const float *x, uint8_t *y, const float *imp);
void q4KPlain(const float *x, uint8_t *y);
void q4KWeighted(const float *x, uint8_t *y, const float *imp);
void q5KPlain(const float *x, uint8_t *y);
void q5KWeighted(const float *x, uint8_t *y, const float *imp);
void q6KPlain(const float *x, uint8_t *y);
void q6KWeighted(const float *x, uint8_t *y, const float *imp);

} // namespace cwb::ggmlq
