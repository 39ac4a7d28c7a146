// SPDX-License-Identifier: MIT
#pragma once
// Writes safetensors files (layout in safetensors_reader.h): one file, or a sharded set
// "<base>-0000i-of-0000n.safetensors" plus "<base>.safetensors.index.json". Every file is written
// to a temporary name in its destination directory and renamed into place only when complete, so
// a failure (bad input, full disk) leaves no partial file behind. The header is padded with spaces
// to a multiple of 8 bytes so every tensor starts 8-byte aligned. Tensors are written in the
// order given, back to back. No fsync: "atomic" here means all-or-nothing against errors, not
// durability across a power cut.

#include "formats/dtype.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace cwb::io {

// One tensor to write. Its bytes come either from `bytes` (raw, already in `dtype`'s layout) or,
// for data too large to hold, from `generate`, called with consecutive byte ranges to fill.
struct SafetensorsTensor {
    std::string name;
    DType dtype = DType::F32; // a safetensors dtype (F64 … BOOL); ggml block types are refused
    std::vector<int64_t> shape;
    std::span<const std::byte> bytes;
    std::function<void(uint64_t offset, std::span<std::byte> out)> generate;
    std::shared_ptr<const void> owner; // keeps `bytes` alive (set by tensorFromFloats)
};

// Converts float values to `dtype` (F32, F64, F16 or BF16, round-to-nearest-even) and owns them.
[[nodiscard]] SafetensorsTensor tensorFromFloats(std::string name, std::vector<int64_t> shape,
                                                 std::span<const float> values,
                                                 DType dtype = DType::F32);
// Copies raw bytes (already laid out in `dtype`) and owns them.
[[nodiscard]] SafetensorsTensor tensorFromBytes(std::string name, DType dtype,
                                                std::vector<int64_t> shape,
                                                std::span<const std::byte> bytes);

using SafetensorsMetadata = std::vector<std::pair<std::string, std::string>>;

// Writes one .safetensors file. Throws cwb::Error naming the path (and tensor) on failure.
void writeSafetensors(const std::string &path, std::span<const SafetensorsTensor> tensors,
                      const SafetensorsMetadata &metadata = {});

struct ShardedWriteResult {
    std::vector<std::string> shardPaths;
    std::string indexPath;
    uint64_t totalTensorBytes = 0;
};

// Splits `tensors` (in order) into shards of at most `maxShardBytes` tensor bytes (a larger tensor
// gets a shard of its own) and writes them with an index into `dir`. The index is renamed into
// place last, so a reader never sees an index naming missing shards.
ShardedWriteResult writeSafetensorsSharded(const std::string &dir, const std::string &baseName,
                                           std::span<const SafetensorsTensor> tensors,
                                           uint64_t maxShardBytes,
                                           const SafetensorsMetadata &metadata = {});

} // namespace cwb::io
