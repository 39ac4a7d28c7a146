// SPDX-License-Identifier: MIT
#include "io/safetensors_reader.h"

#include "io/byte_reader.h"
#include "io/json_meta.h"
#include "io/readers.h"
#include "util/error.h"
#include "util/mapped_file.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

namespace cwb::io {
namespace fs = std::filesystem;
using Json = nlohmann::json; // key-sorted: headers can hold tens of thousands of names

namespace {

std::string_view asText(std::span<const std::byte> bytes)
{
    return {reinterpret_cast<const char *>(bytes.data()), bytes.size()};
}

// Where `"key"` first occurs in `text`, as an absolute offset; `base` when not found (names with
// JSON escapes are spelled differently in the text). Only computed when an error is reported:
// doing it for every entry would make parsing quadratic in the header size.
uint64_t keyOffset(std::string_view text, uint64_t base, const std::string &key, size_t from = 0)
{
    const auto pos = text.find('"' + key + '"', from);
    return pos == std::string_view::npos ? base : base + pos;
}

// Reports errors about one named entry of a JSON text at the entry's offset.
struct Entry {
    const std::string &source;
    std::string_view text;
    uint64_t base;
    const std::string &name;

    [[noreturn]] void fail(const std::string &what) const
    {
        throwAt(source, keyOffset(text, base, name), what);
    }
};

// nlohmann keeps only the last of repeated keys, and two tensors with one name would hide a
// corrupt header: repeated top-level keys are refused.
Json parseHeaderJson(std::string_view text, const std::string &source, uint64_t base)
{
    std::unordered_set<std::string> seen;
    std::string duplicate;
    Json j =
        parseJsonTextSorted(text, source, base, "safetensors header", [&](const std::string &key) {
            if (duplicate.empty() && !seen.insert(key).second)
                duplicate = key;
        });
    if (!duplicate.empty()) {
        const auto first = text.find('"' + duplicate + '"');
        const uint64_t at =
            first == std::string_view::npos ? base : keyOffset(text, base, duplicate, first + 1);
        throwAt(source, at, "tensor name '" + duplicate + "' appears twice in the header");
    }
    return j;
}

uint64_t requireUInt(const Json &v, const Entry &where, const std::string &what)
{
    if (v.is_number_unsigned())
        return v.get<uint64_t>();
    if (v.is_number_integer() && v.get<int64_t>() >= 0)
        return static_cast<uint64_t>(v.get<int64_t>());
    where.fail(what + " is not a non-negative integer (" + v.dump() + ")");
}

Tensor parseEntry(const std::string &name, const Json &entry, std::string_view header,
                  const std::string &source, uint64_t dataStart, uint64_t dataSize)
{
    const Entry where{source, header, 8, name};
    const std::string who = "tensor '" + name + "'";
    if (!entry.is_object())
        where.fail(who + ": entry is not a JSON object");

    const auto dtypeIt = entry.find("dtype");
    if (dtypeIt == entry.end() || !dtypeIt->is_string())
        where.fail(who + ": missing or non-string field 'dtype'");
    const auto dtypeText = dtypeIt->get<std::string>();
    const auto dtype = dtypeFromSafetensors(dtypeText);
    if (!dtype)
        where.fail(who + ": unknown dtype '" + dtypeText + "'");

    const auto shapeIt = entry.find("shape");
    if (shapeIt == entry.end() || !shapeIt->is_array())
        where.fail(who + ": missing or non-array field 'shape'");
    Tensor t;
    t.name = name;
    t.dtype = *dtype;
    t.dtypeLabel = std::string(dtypeName(*dtype));
    t.file = source;
    // `spread` (the product of the non-zero dimensions) must fit as well: a zero dimension
    // empties the tensor, but code that multiplies some of the others must not overflow.
    int64_t numel = 1, spread = 1;
    for (size_t k = 0; k < shapeIt->size(); ++k) {
        const uint64_t d =
            requireUInt((*shapeIt)[k], where, who + ": shape[" + std::to_string(k) + "]");
        if (d > static_cast<uint64_t>(INT64_MAX)
            || __builtin_mul_overflow(spread, d != 0 ? static_cast<int64_t>(d) : 1, &spread))
            where.fail(who + ": shape " + shapeIt->dump()
                       + " has more elements than fit in 64 bits");
        numel *= static_cast<int64_t>(d); // |numel| <= spread
        t.shape.push_back(static_cast<int64_t>(d));
    }
    const auto need = storageBytes(*dtype, static_cast<uint64_t>(numel));
    if (!need)
        where.fail(who + ": shape " + shapeIt->dump() + " of " + dtypeText
                   + " needs more than 2^64 bytes");

    const auto offIt = entry.find("data_offsets");
    if (offIt == entry.end() || !offIt->is_array() || offIt->size() != 2)
        where.fail(who + ": 'data_offsets' must be an array [begin, end]");
    const uint64_t begin = requireUInt((*offIt)[0], where, who + ": data_offsets[0]");
    const uint64_t end = requireUInt((*offIt)[1], where, who + ": data_offsets[1]");
    if (begin > end || end > dataSize)
        where.fail(who + ": data_offsets [" + std::to_string(begin) + ", " + std::to_string(end)
                   + "] out of range: the data region holds " + std::to_string(dataSize)
                   + " bytes (from offset " + std::to_string(dataStart) + ")");
    if (end - begin != *need)
        where.fail(who + ": data_offsets [" + std::to_string(begin) + ", " + std::to_string(end)
                   + "] span " + std::to_string(end - begin) + " bytes but shape " + shapeIt->dump()
                   + " of " + dtypeText + " needs " + std::to_string(*need));
    t.fileOffset = dataStart + begin;
    t.byteSize = end - begin;
    return t;
}

void checkNoOverlap(const std::vector<Tensor> &sorted, const std::string &source)
{
    const Tensor *prev = nullptr;
    for (const auto &t : sorted) {
        if (t.byteSize == 0)
            continue;
        if (prev && t.fileOffset < prev->fileOffset + prev->byteSize)
            throwAt(source, t.fileOffset,
                    "tensor '" + t.name + "' overlaps tensor '" + prev->name + "' (bytes "
                        + std::to_string(t.fileOffset) + ".."
                        + std::to_string(t.fileOffset + t.byteSize) + " vs "
                        + std::to_string(prev->fileOffset) + ".."
                        + std::to_string(prev->fileOffset + prev->byteSize) + ")");
        prev = &t;
    }
}

void attachFile(std::vector<Tensor> &tensors, const std::shared_ptr<const MappedFile> &file)
{
    for (auto &t : tensors) {
        t.keepAlive = file;
        t.mappedFrom = file.get();
    }
}

void addPrefixed(Model &m, const std::vector<std::pair<std::string, MetaValue>> &meta,
                 const std::string &prefix)
{
    for (const auto &[k, v] : meta) {
        const std::string key = prefix + k;
        if (!m.findMeta(key))
            m.metadata.emplace_back(key, v);
    }
}

// A shard name must stay inside the index's directory.
void checkShardName(const std::string &shard, const Entry &where)
{
    const fs::path p(shard);
    bool escapes = shard.empty() || p.is_absolute();
    for (const auto &part : p)
        escapes = escapes || part == "..";
    if (escapes)
        where.fail("weight_map shard name '" + shard
                   + "' is not a file name inside the index's directory");
}

} // namespace

SafetensorsContents parseSafetensors(std::span<const std::byte> bytes, const std::string &source)
{
    ByteReader r(bytes, source);
    const auto headerLen = r.read<uint64_t>("header length (u64)");
    if (headerLen > kMaxSafetensorsHeaderBytes)
        throwAt(source, 0,
                "header length " + std::to_string(headerLen) + " is absurd (limit "
                    + std::to_string(kMaxSafetensorsHeaderBytes) + " bytes)");
    if (headerLen > r.remaining())
        throwAt(source, 0,
                "header length " + std::to_string(headerLen) + " runs past the end of the file ("
                    + std::to_string(r.remaining()) + " bytes follow the length field)");
    const auto header = asText(r.readSpan(headerLen, "JSON header"));
    SafetensorsContents out;
    out.dataStart = r.offset();
    const uint64_t dataSize = r.remaining();

    const Json j = parseHeaderJson(header, source, 8);
    if (!j.is_object())
        throwAt(source, 8, "header is not a JSON object");
    for (const auto &[key, value] : j.items()) {
        if (key == "__metadata__") {
            if (!value.is_object())
                throwAt(source, keyOffset(header, 8, key), "'__metadata__' is not a JSON object");
            for (const auto &[mk, mv] : value.items()) {
                if (!mv.is_string())
                    throwAt(source, keyOffset(header, 8, mk),
                            "'__metadata__' value for '" + mk + "' is not a string");
                out.metadata.emplace_back(mk, MetaValue::ofString(mv.get<std::string>()));
            }
            continue;
        }
        out.tensors.push_back(parseEntry(key, value, header, source, out.dataStart, dataSize));
    }
    std::stable_sort(out.tensors.begin(), out.tensors.end(),
                     [](const Tensor &a, const Tensor &b) { return a.fileOffset < b.fileOffset; });
    checkNoOverlap(out.tensors, source);
    for (auto &t : out.tensors)
        t.data = bytes.subspan(static_cast<size_t>(t.fileOffset), static_cast<size_t>(t.byteSize));
    return out;
}

Model readSafetensorsFile(const std::string &path)
{
    const auto file = MappedFile::open(path);
    auto contents = parseSafetensors(file->bytes(), path);
    attachFile(contents.tensors, file);
    Model m;
    m.path = path;
    m.format = ModelFormat::Safetensors;
    addPrefixed(m, contents.metadata, "safetensors.");
    m.tensors = std::move(contents.tensors);
    m.files.push_back(file);
    return m;
}

Model readSafetensorsIndex(const std::string &indexPath)
{
    const auto indexFile = MappedFile::open(indexPath);
    if (indexFile->size() > kMaxSafetensorsHeaderBytes)
        throwAt(indexPath, 0,
                "index file is " + std::to_string(indexFile->size()) + " bytes, more than the "
                    + std::to_string(kMaxSafetensorsHeaderBytes) + "-byte limit");
    const auto text = asText(indexFile->bytes());
    const Json j = parseJsonTextSorted(text, indexPath, 0, "safetensors index");
    if (!j.is_object())
        throwAt(indexPath, 0, "index is not a JSON object");
    const auto mapIt = j.find("weight_map");
    if (mapIt == j.end() || !mapIt->is_object())
        throwAt(indexPath, keyOffset(text, 0, "weight_map"),
                "missing or non-object field 'weight_map'");

    Model m;
    m.path = indexPath;
    m.format = ModelFormat::Safetensors;
    if (const auto metaIt = j.find("metadata"); metaIt != j.end() && metaIt->is_object())
        appendJsonMeta(*metaIt, "index", m.metadata);

    // shard -> tensors the index promises it holds, shards in name order (model-00001-of-...
    // first).
    std::map<std::string, std::vector<std::string>> wanted;
    for (const auto &[tensor, shard] : mapIt->items()) {
        const Entry where{indexPath, text, 0, tensor};
        if (!shard.is_string())
            where.fail("weight_map entry for tensor '" + tensor + "' is not a string");
        checkShardName(shard.get<std::string>(), where);
        wanted[shard.get<std::string>()].push_back(tensor);
    }
    if (wanted.empty())
        throwAt(indexPath, keyOffset(text, 0, "weight_map"), "weight_map lists no tensors");

    const fs::path dir = fs::path(indexPath).parent_path();
    std::unordered_map<std::string, std::string> shardOf; // tensor -> shard file, across all shards
    std::vector<std::string> unlisted;
    for (const auto &[shard, tensors] : wanted) {
        const std::string shardPath = (dir / shard).string();
        std::error_code ec;
        if (!fs::is_regular_file(shardPath, ec))
            throwAt(indexPath, keyOffset(text, 0, tensors.front()),
                    "weight_map names shard '" + shard + "' (for tensor '" + tensors.front()
                        + "'), but " + shardPath + " does not exist");
        const auto file = MappedFile::open(shardPath);
        auto contents = parseSafetensors(file->bytes(), shardPath);
        attachFile(contents.tensors, file);
        std::set<std::string> present;
        for (const auto &t : contents.tensors)
            present.insert(t.name);
        for (const auto &name : tensors)
            if (!present.count(name))
                throwAt(indexPath, keyOffset(text, 0, name),
                        "weight_map puts tensor '" + name + "' in shard '" + shard
                            + "', but that shard's header has no such tensor");
        const std::set<std::string> listed(tensors.begin(), tensors.end());
        for (auto &t : contents.tensors) {
            const auto [it, fresh] = shardOf.emplace(t.name, shard);
            if (!fresh)
                throwAt(shardPath, t.fileOffset,
                        "tensor '" + t.name + "' is in shard '" + it->second
                            + "' and again in shard '" + shard + "'");
            if (!listed.count(t.name))
                unlisted.push_back(t.name);
            m.tensors.push_back(std::move(t));
        }
        addPrefixed(m, contents.metadata, "safetensors.");
        m.files.push_back(file);
    }
    if (!unlisted.empty())
        m.notes.push_back(std::to_string(unlisted.size())
                          + " tensor(s) in the shards are not listed in "
                            "weight_map (first: '"
                          + unlisted.front() + "'); they are shown anyway");
    if (const auto *total = m.findMeta("index.total_size")) {
        uint64_t sum = 0;
        for (const auto &t : m.tensors)
            sum += t.byteSize;
        if (total->asInt() != static_cast<int64_t>(sum))
            m.notes.push_back("index metadata total_size is " + total->toDisplay()
                              + " but the tensors hold " + std::to_string(sum) + " bytes");
    }
    return m;
}

Model readSafetensors(const std::string &path)
{
    if (path.ends_with(".json"))
        return readSafetensorsIndex(path);
    return readSafetensorsFile(path);
}

} // namespace cwb::io
