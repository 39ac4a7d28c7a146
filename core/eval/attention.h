// SPDX-License-Identifier: MIT
#pragma once
// Causal multi-head attention with grouped KV heads (GQA), over the KV cache. Query head h reads
// KV head h / (nHeads / nKvHeads), as llama.cpp and Hugging Face's repeat_kv do. Query row t of
// a call sits at position firstPos + t and sees cache positions 0 .. firstPos + t. Scores are
// scaled by 1/sqrt(headDim); the softmax is float with the row maximum subtracted.
//
// Layouts (row-major floats): q and out [n x nHeads*headDim]; keys and values are the layer's
// cache rows [firstPos + n x nKvHeads*headDim].
//
// attentionReference is the plain scalar loop in double; attention is the fast path: one task per
// (KV head, block of query rows) on the current oneTBB arena, the query heads sharing a KV head
// stacked into one Eigen GEMM against that head's keys, and only the keys the block can see.

#include <cstdint>

namespace cwb {

struct AttentionShape {
    int64_t nHeads = 0;
    int64_t nKvHeads = 0;
    int64_t headDim = 0;
};

void attentionReference(const AttentionShape &s, const float *q, int64_t n, int64_t firstPos,
                        const float *keys, const float *values, float *out);

void attention(const AttentionShape &s, const float *q, int64_t n, int64_t firstPos,
               const float *keys, const float *values, float *out);

} // namespace cwb
