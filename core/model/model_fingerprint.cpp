// SPDX-License-Identifier: MIT
#include "model/model_fingerprint.h"

#include "util/mapped_file.h"

#include <array>
#include <cstdio>

namespace cwb {
namespace {

constexpr uint64_t kFnvPrime = 0x100000001b3ull;
constexpr size_t kHeadBytes = size_t{1} << 20;
constexpr size_t kPageBytes = 4096;
constexpr size_t kPages = 64;

uint64_t hashFile(std::span<const std::byte> bytes, uint64_t hash)
{
    const uint64_t size = bytes.size();
    std::array<std::byte, 8> sizeBytes{};
    for (size_t i = 0; i < 8; ++i)
        sizeBytes[i] = static_cast<std::byte>((size >> (8 * i)) & 0xff);
    hash = fnv1a64(sizeBytes, hash);
    if (size <= kHeadBytes + kPages * kPageBytes)
        return fnv1a64(bytes, hash);
    hash = fnv1a64(bytes.first(kHeadBytes), hash);
    const uint64_t span = size - kHeadBytes - kPageBytes;
    for (uint64_t i = 0; i < kPages; ++i) {
        const uint64_t offset = kHeadBytes + i * span / (kPages - 1);
        hash = fnv1a64(bytes.subspan(offset, kPageBytes), hash);
    }
    return hash;
}

} // namespace

uint64_t fnv1a64(std::span<const std::byte> bytes, uint64_t hash)
{
    for (std::byte b : bytes) {
        hash ^= static_cast<uint64_t>(b);
        hash *= kFnvPrime;
    }
    return hash;
}

std::string ModelFingerprint::hashHex() const
{
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(contentHash));
    return buf;
}

ModelFingerprint fingerprintModel(const Model &model)
{
    ModelFingerprint f;
    f.path = model.path;
    f.format = std::string(formatName(model.format));
    std::vector<std::shared_ptr<const io::MappedFile>> files;
    for (const auto &file : model.files)
        if (file)
            files.push_back(file);
    if (files.empty())
        files.push_back(io::MappedFile::open(model.path));
    uint64_t hash = kFnvOffsetBasis;
    for (const auto &file : files) {
        hash = hashFile(file->bytes(), hash);
        f.fileSize += file->size();
        ++f.fileCount;
    }
    f.contentHash = hash;
    return f;
}

} // namespace cwb
