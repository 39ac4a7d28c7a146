// SPDX-License-Identifier: MIT
#include "model/model.h"

#include <limits>

namespace cwb {

std::string_view formatName(ModelFormat f)
{
    switch (f) {
    case ModelFormat::Gguf: return "gguf";
    case ModelFormat::Safetensors: return "safetensors";
    case ModelFormat::HfDirectory: return "hf-directory";
    case ModelFormat::Llama2c: return "llama2c";
    case ModelFormat::KerasH5: return "keras-h5";
    }
    return "unknown";
}

std::string_view familyName(ArchFamily f)
{
    switch (f) {
    case ArchFamily::Llama: return "llama";
    case ArchFamily::Gpt2: return "gpt2";
    case ArchFamily::Generic: return "generic";
    }
    return "generic";
}

std::string_view ropeLayoutName(RopeLayout r)
{
    switch (r) {
    case RopeLayout::None: return "none";
    case RopeLayout::Interleaved: return "interleaved";
    case RopeLayout::HalfSplit: return "half-split";
    }
    return "none";
}

const Tensor *Model::findTensor(std::string_view nameOrCanonical) const
{
    for (const auto &t : tensors)
        if (t.canonical == nameOrCanonical)
            return &t;
    for (const auto &t : tensors)
        if (t.name == nameOrCanonical)
            return &t;
    return nullptr;
}

const MetaValue *Model::findMeta(std::string_view key) const
{
    for (const auto &[k, v] : metadata)
        if (k == key)
            return &v;
    return nullptr;
}

ModelTotals Model::totals() const
{
    ModelTotals t;
    t.tensors = static_cast<int64_t>(tensors.size());
    for (const auto &x : tensors) {
        if (x.canonical.empty())
            ++t.unknownTensors;
        if (!x.tiedTo.empty())
            continue;
        // Saturating: a hostile file may declare shapes whose counts each fit int64 but whose
        // sum does not (fuzz_gguf found two tensors of ~5e18 values).
        if (__builtin_add_overflow(t.parameters, x.numel(), &t.parameters))
            t.parameters = std::numeric_limits<int64_t>::max();
        if (__builtin_add_overflow(t.bytes, x.byteSize, &t.bytes))
            t.bytes = std::numeric_limits<uint64_t>::max();
    }
    t.bitsPerWeight = t.parameters > 0 ? 8.0 * static_cast<double>(t.bytes) / static_cast<double>(t.parameters) : 0.0;
    return t;
}

} // namespace cwb
