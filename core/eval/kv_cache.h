// SPDX-License-Identifier: MIT
#pragma once
// The key/value cache: per layer, nCtx rows of kvDim values for keys and the same for values,
// each stored as its KvCacheType (eval/kv_cache_type.h). A projection of n new tokens writes
// float rows (the cache itself for f32, a staging area otherwise), store() rounds them into the
// cache as ggml's cpy into an f16 / q8_0 / q4_0 cache tensor does (round to nearest even for f16;
// ggml's reference block quantizers, blocks of 32 along the row, for q8_0 / q4_0), and
// attention reads rows 0 .. count-1 back as floats: the cache itself for f32, else decoded into
// a scratch buffer — so the new tokens, too, attend to the rounded keys and values, as in ggml.
// What is not emulated: ggml also rounds the query (to f16 / Q8_0) for its dot products with an
// f16 / quantized K; here the dot products stay float.

#include "eval/aligned_buffer.h"
#include "eval/kv_cache_type.h"

#include <cstddef>
#include <cstdint>

namespace cwb {

class KvCache {
public:
    // Reserves nCtx positions of the given types (reallocating only when the size changes);
    // contents undefined. Throws cwb::Error when kvDim is not whole blocks of a block type.
    void reset(int64_t layers, int64_t nCtx, int64_t kvDim, KvCacheType keyType = KvCacheType::F32,
               KvCacheType valueType = KvCacheType::F32);
    [[nodiscard]] static uint64_t bytesFor(int64_t layers, int64_t nCtx, int64_t kvDim,
                                           KvCacheType keyType = KvCacheType::F32,
                                           KvCacheType valueType = KvCacheType::F32);
    [[nodiscard]] int64_t capacity() const { return nCtx_; }

    // Float rows [n x kvDim] for positions pos .. pos+n-1 of `layer`, to be filled and then
    // passed through store() before they are read. Valid until the next call of these two.
    [[nodiscard]] float *keyRows(int64_t layer, int64_t pos, int64_t n);
    [[nodiscard]] float *valueRows(int64_t layer, int64_t pos, int64_t n);
    // Rounds the rows filled through keyRows/valueRows into the cache (nothing to do for f32).
    void store(int64_t layer, int64_t pos, int64_t n);
    // Rows 0 .. count-1 of `layer` as floats, [count x kvDim]; valid until the next call.
    [[nodiscard]] const float *keys(int64_t layer, int64_t count);
    [[nodiscard]] const float *values(int64_t layer, int64_t count);

private:
    struct Side {
        KvCacheType type = KvCacheType::F32;
        uint64_t rowBytes = 0;
        AlignedVector<std::byte> data; // [layers][nCtx] rows of rowBytes
        AlignedVector<float> staged;   // non-f32: new rows before store()
        AlignedVector<float> decoded;  // non-f32: rows read back as floats
        int64_t stagedLayer = -1, stagedPos = 0, stagedRows = 0;
    };
    float *rows(Side &s, int64_t layer, int64_t pos, int64_t n);
    void storeSide(Side &s, int64_t layer, int64_t pos, int64_t n);
    const float *read(Side &s, int64_t layer, int64_t count);
    std::byte *row(Side &s, int64_t layer, int64_t pos)
    {
        return s.data.data() + uint64_t(layer * nCtx_ + pos) * s.rowBytes;
    }

    int64_t layers_ = 0;
    int64_t nCtx_ = 0;
    int64_t kvDim_ = 0;
    Side keys_, values_;
};

} // namespace cwb
