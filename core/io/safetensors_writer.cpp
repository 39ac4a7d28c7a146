// SPDX-License-Identifier: MIT
#include "io/safetensors_writer.h"

#include "formats/float_formats.h"
#include "util/error.h"
#include "util/write_steps.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <set>
#include <unistd.h>

namespace cwb::io {
namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

namespace {

constexpr size_t kChunkBytes = 8u << 20; // generator chunk: big writes, bounded memory

// A file written under a temporary name beside its destination; removed unless committed.
class TempFile {
public:
    explicit TempFile(std::string finalPath) : final_(std::move(finalPath))
    {
        std::string pattern = final_ + ".tmp-XXXXXX";
        const int fd = ::mkstemp(pattern.data());
        if (fd < 0)
            throwIn(final_, std::string("cannot create a temporary file beside it: ")
                                + std::strerror(errno));
        temp_ = pattern;
        file_ = ::fdopen(fd, "wb");
        if (!file_) {
            ::close(fd);
            std::remove(temp_.c_str());
            throwIn(final_, "cannot open the temporary file for writing");
        }
    }
    ~TempFile()
    {
        if (file_)
            std::fclose(file_);
        if (!committed_)
            std::remove(temp_.c_str());
    }
    TempFile(const TempFile &) = delete;
    TempFile &operator=(const TempFile &) = delete;

    void write(const void *data, size_t n)
    {
        if (n > 0)
            writeStep(WriteStepKind::Write, temp_);
        if (n > 0 && std::fwrite(data, 1, n, file_) != n)
            throwIn(final_, std::string("write failed: ") + std::strerror(errno));
        written_ += n;
    }
    [[nodiscard]] uint64_t written() const { return written_; }
    [[nodiscard]] const std::string &finalPath() const { return final_; }

    void close()
    {
        // Synced before the rename: after a power loss the name holds the old file or the whole
        // new one, never an empty or partial one.
        bool ok = std::fflush(file_) == 0 && !std::ferror(file_);
        if (ok) {
            writeStep(WriteStepKind::Sync, temp_);
            ok = ::fsync(::fileno(file_)) == 0;
        }
        const int e = errno;
        const bool closed = std::fclose(file_) == 0;
        file_ = nullptr;
        if (!ok || !closed)
            throwIn(final_, std::string("write failed: ") + std::strerror(e));
    }
    void commit()
    {
        writeStep(WriteStepKind::Rename, final_);
        if (std::rename(temp_.c_str(), final_.c_str()) != 0)
            throwIn(final_, std::string("cannot rename the finished temporary file into place: ")
                                + std::strerror(errno));
        committed_ = true;
    }

private:
    std::string final_;
    std::string temp_;
    std::FILE *file_ = nullptr;
    uint64_t written_ = 0;
    bool committed_ = false;
};

uint64_t checkedBytes(const SafetensorsTensor &t, const std::string &path)
{
    const std::string who = "tensor '" + t.name + "'";
    if (t.name.empty() || t.name == "__metadata__")
        throwIn(path, "invalid tensor name '" + t.name + "'");
    if (dtypeFromSafetensors(dtypeName(t.dtype)) != t.dtype)
        throwIn(path, who + ": dtype " + std::string(dtypeName(t.dtype))
                          + " has no safetensors spelling");
    int64_t numel = 1;
    for (int64_t d : t.shape)
        if (d < 0 || __builtin_mul_overflow(numel, d, &numel))
            throwIn(path, who + ": invalid shape");
    const auto need = storageBytes(t.dtype, static_cast<uint64_t>(numel));
    if (!need)
        throwIn(path, who + ": shape too large");
    if (!t.generate && t.bytes.size() != *need)
        throwIn(path, who + ": has " + std::to_string(t.bytes.size())
                          + " bytes, its shape and dtype need " + std::to_string(*need));
    return *need;
}

std::string headerText(std::span<const SafetensorsTensor> tensors, std::span<const uint64_t> sizes,
                       const SafetensorsMetadata &metadata)
{
    Json h = Json::object();
    if (!metadata.empty()) {
        Json meta = Json::object();
        for (const auto &[k, v] : metadata)
            meta[k] = v;
        h["__metadata__"] = meta;
    }
    uint64_t offset = 0;
    for (size_t i = 0; i < tensors.size(); ++i) {
        h[tensors[i].name] = {{"dtype", std::string(dtypeName(tensors[i].dtype))},
                              {"shape", tensors[i].shape},
                              {"data_offsets", {offset, offset + sizes[i]}}};
        offset += sizes[i];
    }
    std::string text = h.dump();
    text.append((8 - text.size() % 8) % 8, ' ');
    return text;
}

// Writes one complete file under a temporary name; the caller commits it.
std::unique_ptr<TempFile> writeToTemp(const std::string &path,
                                      std::span<const SafetensorsTensor> tensors,
                                      const SafetensorsMetadata &metadata)
{
    std::vector<uint64_t> sizes;
    std::set<std::string> names;
    for (const auto &t : tensors) {
        sizes.push_back(checkedBytes(t, path));
        if (!names.insert(t.name).second)
            throwIn(path, "tensor '" + t.name + "' is given twice");
    }
    const std::string header = headerText(tensors, sizes, metadata);
    auto file = std::make_unique<TempFile>(path);
    const uint64_t headerLen = header.size();
    file->write(&headerLen, sizeof headerLen);
    file->write(header.data(), header.size());
    std::vector<std::byte> chunk;
    for (size_t i = 0; i < tensors.size(); ++i) {
        const auto &t = tensors[i];
        if (!t.generate) {
            file->write(t.bytes.data(), t.bytes.size());
            continue;
        }
        chunk.resize(static_cast<size_t>(std::min<uint64_t>(sizes[i], kChunkBytes)));
        for (uint64_t done = 0; done < sizes[i];) {
            const size_t n = static_cast<size_t>(std::min<uint64_t>(sizes[i] - done, chunk.size()));
            t.generate(done, std::span(chunk).first(n));
            file->write(chunk.data(), n);
            done += n;
        }
    }
    file->close();
    return file;
}

// A tensor whose bytes live in `owned`, which it keeps alive.
SafetensorsTensor ownedTensor(std::string name, DType dtype, std::vector<int64_t> shape,
                              std::shared_ptr<std::vector<std::byte>> owned)
{
    SafetensorsTensor t;
    t.name = std::move(name);
    t.dtype = dtype;
    t.shape = std::move(shape);
    t.bytes = *owned;
    t.owner = std::move(owned);
    return t;
}

} // namespace

SafetensorsTensor tensorFromFloats(std::string name, std::vector<int64_t> shape,
                                   std::span<const float> values, DType dtype)
{
    auto owned = std::make_shared<std::vector<std::byte>>();
    const auto put = [&](const auto &v) {
        const auto *p = reinterpret_cast<const std::byte *>(&v);
        owned->insert(owned->end(), p, p + sizeof v);
    };
    owned->reserve(values.size() * static_cast<size_t>(dtypeInfo(dtype).blockBytes));
    for (float f : values) {
        switch (dtype) {
        case DType::F32: put(f); break;
        case DType::F64: put(static_cast<double>(f)); break;
        case DType::F16: put(floatToFp16(f)); break;
        case DType::BF16: put(floatToBf16(f)); break;
        default:
            throw Error("tensorFromFloats: tensor '" + name + "': cannot encode floats as "
                        + std::string(dtypeName(dtype)));
        }
    }
    return ownedTensor(std::move(name), dtype, std::move(shape), std::move(owned));
}

SafetensorsTensor tensorFromBytes(std::string name, DType dtype, std::vector<int64_t> shape,
                                  std::span<const std::byte> bytes)
{
    return ownedTensor(std::move(name), dtype, std::move(shape),
                       std::make_shared<std::vector<std::byte>>(bytes.begin(), bytes.end()));
}

void writeSafetensors(const std::string &path, std::span<const SafetensorsTensor> tensors,
                      const SafetensorsMetadata &metadata)
{
    writeToTemp(path, tensors, metadata)->commit();
}

ShardedWriteResult writeSafetensorsSharded(const std::string &dir, const std::string &baseName,
                                           std::span<const SafetensorsTensor> tensors,
                                           uint64_t maxShardBytes,
                                           const SafetensorsMetadata &metadata)
{
    const std::string indexPath = (fs::path(dir) / (baseName + ".safetensors.index.json")).string();
    if (tensors.empty())
        throwIn(indexPath, "no tensors to write");
    // Group consecutive tensors into shards.
    std::vector<std::pair<size_t, size_t>> ranges; // [first, last) per shard
    uint64_t shardBytes = 0;
    ShardedWriteResult result;
    for (size_t i = 0; i < tensors.size(); ++i) {
        const uint64_t n = checkedBytes(tensors[i], indexPath);
        if (ranges.empty() || (shardBytes > 0 && shardBytes + n > maxShardBytes)) {
            ranges.emplace_back(i, i);
            shardBytes = 0;
        }
        ranges.back().second = i + 1;
        shardBytes += n;
        result.totalTensorBytes += n;
    }

    std::vector<std::unique_ptr<TempFile>> files;
    Json weightMap = Json::object();
    char buf[64];
    for (size_t s = 0; s < ranges.size(); ++s) {
        std::snprintf(buf, sizeof buf, "-%05zu-of-%05zu.safetensors", s + 1, ranges.size());
        const std::string shardName = baseName + buf;
        const auto path = (fs::path(dir) / shardName).string();
        const auto part = tensors.subspan(ranges[s].first, ranges[s].second - ranges[s].first);
        files.push_back(writeToTemp(path, part, metadata));
        for (const auto &t : part) {
            if (weightMap.contains(t.name))
                throwIn(indexPath, "tensor '" + t.name + "' is given twice");
            weightMap[t.name] = shardName;
        }
        result.shardPaths.push_back(path);
    }
    Json meta = {{"total_size", result.totalTensorBytes}};
    for (const auto &[k, v] : metadata)
        meta[k] = v;
    const std::string indexText =
        Json{{"metadata", meta}, {"weight_map", weightMap}}.dump(2) + "\n";
    auto index = std::make_unique<TempFile>(indexPath);
    index->write(indexText.data(), indexText.size());
    index->close();

    std::vector<std::string> committed;
    try {
        for (auto &f : files) {
            f->commit();
            committed.push_back(f->finalPath());
        }
        index->commit();
    } catch (...) {
        for (const auto &p : committed)
            std::remove(p.c_str());
        throw;
    }
    result.indexPath = indexPath;
    return result;
}

} // namespace cwb::io
