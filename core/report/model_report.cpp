// SPDX-License-Identifier: MIT
#include "report/model_report.h"

#include "util/text_format.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <sstream>

namespace cwb {
namespace {

using nlohmann::ordered_json;

ordered_json metaToJson(const MetaValue &v, size_t maxItems)
{
    switch (v.kind) {
    case MetaValue::Kind::Bool: return v.b;
    case MetaValue::Kind::Int: return v.i;
    case MetaValue::Kind::UInt: return v.u;
    case MetaValue::Kind::Float: return v.f;
    case MetaValue::Kind::String: return v.s;
    case MetaValue::Kind::Array: {
        ordered_json a = ordered_json::array();
        for (size_t k = 0; k < v.array.size() && k < maxItems; ++k)
            a.push_back(metaToJson(v.array[k], maxItems));
        if (v.array.size() <= maxItems)
            return a;
        ordered_json s;
        s["count"] = v.array.size();
        s["first"] = std::move(a);
        return s;
    }
    }
    return nullptr;
}

} // namespace

std::string inspectJson(const Model &m, const InspectOptions &opts)
{
    ordered_json j;
    j["schema"] = "cwb.inspect/1";
    j["path"] = m.path;
    j["format"] = std::string(formatName(m.format));
    j["architecture"] = m.architecture;
    j["family"] = std::string(familyName(m.family));
    j["rope_layout"] = std::string(ropeLayoutName(m.rope));
    const auto &h = m.hparams;
    j["hyperparameters"] = {
        {"dim", h.dim}, {"n_layers", h.nLayers}, {"n_heads", h.nHeads}, {"n_kv_heads", h.nKvHeads},
        {"head_dim", h.headDim}, {"hidden_dim", h.hiddenDim}, {"vocab_size", h.vocabSize},
        {"context_length", h.contextLength}, {"norm_eps", h.normEps}, {"rope_theta", h.ropeTheta},
        {"tied_embeddings", h.tiedEmbeddings},
    };
    j["tokenizer"] = {{"kind", m.tokenizer.kind}, {"files", m.tokenizer.files}};
    ordered_json meta = ordered_json::array();
    for (const auto &[k, v] : m.metadata)
        meta.push_back({{"key", k}, {"type", v.typeName}, {"value", metaToJson(v, opts.maxArrayItems)}});
    j["metadata"] = std::move(meta);
    ordered_json tensors = ordered_json::array();
    for (const auto &t : m.tensors) {
        ordered_json e;
        e["name"] = t.name;
        e["canonical"] = t.canonical.empty() ? ordered_json(nullptr) : ordered_json(t.canonical);
        e["shape"] = t.shape;
        e["dtype"] = t.typeLabel();
        e["parameters"] = t.numel();
        e["bytes"] = t.byteSize;
        e["bits_per_weight"] = t.numel() > 0 ? 8.0 * static_cast<double>(t.byteSize) / static_cast<double>(t.numel()) : 0.0;
        e["file"] = t.file;
        e["offset"] = t.fileOffset;
        e["tied_to"] = t.tiedTo.empty() ? ordered_json(nullptr) : ordered_json(t.tiedTo);
        tensors.push_back(std::move(e));
    }
    j["tensors"] = std::move(tensors);
    const auto tot = m.totals();
    j["totals"] = {{"tensors", tot.tensors}, {"parameters", tot.parameters}, {"bytes", tot.bytes},
                   {"bits_per_weight", tot.bitsPerWeight}, {"unknown_tensors", tot.unknownTensors}};
    j["notes"] = m.notes;
    return j.dump(2) + "\n";
}

std::string inspectText(const Model &m, const InspectOptions &opts)
{
    std::ostringstream o;
    const auto &h = m.hparams;
    o << "model         " << m.path << "\n"
      << "format        " << formatName(m.format) << "\n"
      << "architecture  " << m.architecture << " (family " << familyName(m.family) << ", RoPE layout "
      << ropeLayoutName(m.rope) << ")\n";
    if (h.dim > 0)
        o << "hparams       dim " << h.dim << ", layers " << h.nLayers << ", heads " << h.nHeads << " (kv "
          << h.nKvHeads << ", head_dim " << h.headDim << "), ffn " << h.hiddenDim << ", vocab " << h.vocabSize
          << ", context " << h.contextLength << ", eps " << h.normEps << ", rope theta " << h.ropeTheta
          << (h.tiedEmbeddings ? ", tied embeddings" : "") << "\n";
    if (!m.tokenizer.kind.empty())
        o << "tokenizer     " << m.tokenizer.kind << "\n";
    o << "\nmetadata (" << m.metadata.size() << ")\n";
    for (const auto &[k, v] : m.metadata)
        o << "  " << k << " [" << v.typeName << "] = " << v.toDisplay(opts.maxArrayItems) << "\n";

    size_t wName = 4, wCanon = 9, wShape = 5, wType = 5;
    for (const auto &t : m.tensors) {
        wName = std::max(wName, t.name.size());
        wCanon = std::max(wCanon, t.canonical.size());
        wShape = std::max(wShape, t.shapeString().size());
        wType = std::max(wType, t.typeLabel().size());
    }
    auto pad = [](const std::string &s, size_t w) { return s + std::string(w > s.size() ? w - s.size() : 0, ' '); };
    o << "\n" << pad("name", wName) << "  " << pad("canonical", wCanon) << "  " << pad("shape", wShape) << "  "
      << pad("dtype", wType) << "  " << pad("params", 12) << "  " << pad("bytes", 12) << "  offset\n";
    for (const auto &t : m.tensors) {
        std::string canon = t.canonical.empty() ? "(unknown)" : t.canonical;
        if (!t.tiedTo.empty())
            canon += " (tied)";
        o << pad(t.name, wName) << "  " << pad(canon, wCanon) << "  " << pad(t.shapeString(), wShape) << "  "
          << pad(t.typeLabel(), wType) << "  " << pad(groupThousands(t.numel()), 12) << "  "
          << pad(groupThousands(static_cast<int64_t>(t.byteSize)), 12) << "  " << t.fileOffset << "\n";
    }
    const auto tot = m.totals();
    o << "\ntotals        " << tot.tensors << " tensors, " << groupThousands(tot.parameters) << " parameters, "
      << humanBytes(tot.bytes) << ", " << fixed(tot.bitsPerWeight, 3) << " bits/weight";
    if (tot.unknownTensors)
        o << ", " << tot.unknownTensors << " without a canonical role";
    o << "\n";
    for (const auto &n : m.notes)
        o << "note          " << n << "\n";
    return o.str();
}

} // namespace cwb
