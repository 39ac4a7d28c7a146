// SPDX-License-Identifier: MIT
#pragma once
// A cheap identity of a model's bytes, so a project file can tell whether it still belongs to
// the model that is open. Hashing a 14 GB model in full would take longer than opening it, so
// the hash samples:
//   for each file of the model (Model::files, in order; the model path itself when empty):
//     its size as 8 little-endian bytes,
//     then, when size <= 1 MiB + 64 x 4 KiB: every byte of the file;
//     else: the first 1 MiB (headers, metadata, the first tensors), then 64 pages of 4 KiB at
//           offsets 1 MiB + i * (size - 1 MiB - 4 KiB) / 63, i = 0..63 (spread to the end).
//   hash = 64-bit FNV-1a (offset basis 0xcbf29ce484222325, prime 0x100000001b3) over that stream.
// So any change of size, header or metadata is always seen, and any change of a small model;
// in a large model a change confined to unsampled pages (e.g. one retouched weight) is not.

#include "model/model.h"

#include <cstdint>
#include <span>
#include <string>

namespace cwb {

struct ModelFingerprint {
    std::string path;          // Model::path as opened
    std::string format;        // formatName(): "gguf", "keras-h5", ...
    uint64_t fileSize = 0;     // all files together
    int64_t fileCount = 0;
    uint64_t contentHash = 0;  // see above

    [[nodiscard]] std::string hashHex() const; // 16 lowercase hex digits
};

// 64-bit FNV-1a, continuing from `hash` (start with kFnvOffsetBasis).
inline constexpr uint64_t kFnvOffsetBasis = 0xcbf29ce484222325ull;
[[nodiscard]] uint64_t fnv1a64(std::span<const std::byte> bytes, uint64_t hash = kFnvOffsetBasis);

// Hashes the model's mapped files (reopening the path when the reader kept none). Throws
// cwb::Error naming a file that cannot be read.
[[nodiscard]] ModelFingerprint fingerprintModel(const Model &model);

} // namespace cwb
