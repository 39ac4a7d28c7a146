// SPDX-License-Identifier: MIT
#include "eval/kv_cache.h"

#include "formats/dtype.h"
#include "formats/float_formats.h"
#include "formats/ggml_dequant.h"
#include "formats/ggml_quantize.h"
#include "util/error.h"

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <string>

namespace cwb {
namespace {

// Values decoded per read() below which it runs on the calling thread alone.
constexpr int64_t kParallelValues = int64_t(1) << 15;

DType blockType(KvCacheType t)
{
    return t == KvCacheType::Q8_0 ? DType::Q8_0 : DType::Q4_0;
}

} // namespace

const char *kvCacheTypeName(KvCacheType t)
{
    switch (t) {
    case KvCacheType::F32: return "f32";
    case KvCacheType::F16: return "f16";
    case KvCacheType::Q8_0: return "q8_0";
    case KvCacheType::Q4_0: return "q4_0";
    }
    return "?";
}

std::optional<KvCacheType> kvCacheTypeFromName(std::string_view name)
{
    std::string lower(name);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return char(std::tolower(c)); });
    for (const KvCacheType t :
         {KvCacheType::F32, KvCacheType::F16, KvCacheType::Q8_0, KvCacheType::Q4_0})
        if (lower == kvCacheTypeName(t))
            return t;
    return std::nullopt;
}

int64_t kvCacheBlockValues(KvCacheType t)
{
    return t == KvCacheType::F32 || t == KvCacheType::F16 ? 1 : dtypeInfo(blockType(t)).blockElems;
}

uint64_t kvCacheRowBytes(KvCacheType t, int64_t width)
{
    switch (t) {
    case KvCacheType::F32: return uint64_t(width) * 4;
    case KvCacheType::F16: return uint64_t(width) * 2;
    default: {
        const DTypeInfo &info = dtypeInfo(blockType(t));
        return uint64_t(width / info.blockElems) * uint64_t(info.blockBytes);
    }
    }
}

uint64_t KvCache::bytesFor(int64_t layers, int64_t nCtx, int64_t kvDim, KvCacheType keyType,
                           KvCacheType valueType)
{
    return uint64_t(layers) * uint64_t(nCtx)
           * (kvCacheRowBytes(keyType, kvDim) + kvCacheRowBytes(valueType, kvDim));
}

void KvCache::reset(int64_t layers, int64_t nCtx, int64_t kvDim, KvCacheType keyType,
                    KvCacheType valueType)
{
    for (const auto &[side, type] : {std::pair{"K", keyType}, std::pair{"V", valueType}})
        if (kvDim % kvCacheBlockValues(type) != 0)
            throw Error(std::string("a ") + kvCacheTypeName(type) + " " + side
                        + " cache needs rows of whole blocks of "
                        + std::to_string(kvCacheBlockValues(type))
                        + " values; this model's KV width is " + std::to_string(kvDim));
    layers_ = layers;
    nCtx_ = nCtx;
    kvDim_ = kvDim;
    for (auto [s, type] : {std::pair{&keys_, keyType}, std::pair{&values_, valueType}}) {
        s->type = type;
        s->rowBytes = kvCacheRowBytes(type, kvDim);
        const size_t bytes = size_t(uint64_t(layers * nCtx) * s->rowBytes);
        if (s->data.size() != bytes)
            s->data.assign(bytes, std::byte{0});
        s->stagedLayer = -1;
    }
}

float *KvCache::rows(Side &s, int64_t layer, int64_t pos, int64_t n)
{
    if (s.type == KvCacheType::F32)
        return reinterpret_cast<float *>(row(s, layer, pos));
    if (s.staged.size() < size_t(n * kvDim_))
        s.staged.resize(size_t(n * kvDim_));
    s.stagedLayer = layer;
    s.stagedPos = pos;
    s.stagedRows = n;
    return s.staged.data();
}

float *KvCache::keyRows(int64_t layer, int64_t pos, int64_t n)
{
    return rows(keys_, layer, pos, n);
}

float *KvCache::valueRows(int64_t layer, int64_t pos, int64_t n)
{
    return rows(values_, layer, pos, n);
}

void KvCache::storeSide(Side &s, int64_t layer, int64_t pos, int64_t n)
{
    if (s.type == KvCacheType::F32)
        return;
    if (s.stagedLayer != layer || s.stagedPos != pos || s.stagedRows != n)
        throw Error("KvCache::store: rows " + std::to_string(pos) + " .. "
                    + std::to_string(pos + n - 1) + " of layer " + std::to_string(layer)
                    + " were not staged");
    for (int64_t t = 0; t < n; ++t) {
        const float *src = s.staged.data() + t * kvDim_;
        std::byte *dst = row(s, layer, pos + t);
        if (s.type == KvCacheType::F16) {
            for (int64_t i = 0; i < kvDim_; ++i) {
                const uint16_t h = floatToFp16(src[i]);
                std::memcpy(dst + 2 * i, &h, sizeof h);
            }
        } else {
            ggmlQuantizeRowReference(blockType(s.type), src, dst, kvDim_, nullptr);
        }
    }
    s.stagedLayer = -1;
}

void KvCache::store(int64_t layer, int64_t pos, int64_t n)
{
    storeSide(keys_, layer, pos, n);
    storeSide(values_, layer, pos, n);
}

const float *KvCache::read(Side &s, int64_t layer, int64_t count)
{
    if (s.type == KvCacheType::F32)
        return reinterpret_cast<const float *>(row(s, layer, 0));
    if (s.decoded.size() < size_t(count * kvDim_))
        s.decoded.resize(size_t(nCtx_ * kvDim_));
    const auto decodeRows = [&](int64_t t0, int64_t t1) {
        for (int64_t t = t0; t < t1; ++t) {
            const std::byte *src = row(s, layer, t);
            float *dst = s.decoded.data() + t * kvDim_;
            if (s.type == KvCacheType::F16) {
                for (int64_t i = 0; i < kvDim_; ++i) {
                    uint16_t h;
                    std::memcpy(&h, src + 2 * i, sizeof h);
                    dst[i] = fp16ToFloat(h);
                }
            } else {
                ggmlDequantizeRow(blockType(s.type), src, dst, kvDim_);
            }
        }
    };
    // Every value decodes on its own, so splitting the rows over the caller's arena changes no
    // bit; below a few blocks of work a fork/join costs more than it saves.
    if (count * kvDim_ < kParallelValues) {
        decodeRows(0, count);
    } else {
        const int64_t grain = std::max<int64_t>(1, kParallelValues / (2 * kvDim_));
        tbb::parallel_for(tbb::blocked_range<int64_t>(0, count, grain),
                          [&](const tbb::blocked_range<int64_t> &r) {
                              decodeRows(r.begin(), r.end());
                          });
    }
    return s.decoded.data();
}

const float *KvCache::keys(int64_t layer, int64_t count)
{
    return read(keys_, layer, count);
}

const float *KvCache::values(int64_t layer, int64_t count)
{
    return read(values_, layer, count);
}

} // namespace cwb
