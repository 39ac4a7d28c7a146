// SPDX-License-Identifier: MIT
#pragma once
// safetensors reader (single file and sharded index). readSafetensors() is declared in readers.h.
//
// Single file (all integers little-endian):
//   u64  N                      header length in bytes (we refuse N > 100 MB or N > file - 8)
//   u8   header[N]              UTF-8 JSON object, possibly padded with trailing spaces:
//        { "__metadata__": { "<key>": "<string>", ... },            (optional, strings only)
//          "<tensor>": { "dtype": "F32", "shape": [d0, d1, ...],
//                        "data_offsets": [begin, end] }, ... }
//   u8   data[]                 tensor bytes; begin/end are relative to the first byte after the
//                               header, row-major, end - begin == numel * sizeof(dtype)
// dtypes: F64 F32 F16 BF16 F8_E4M3 F8_E5M2 I64 I32 I16 I8 U8 BOOL.
// Tensors must not overlap; gaps are tolerated (the reference implementation forbids them, but
// nothing is lost by reading such a file).
//
// Sharded model: "<name>.safetensors.index.json" =
//   { "metadata": { "total_size": N, ... }, "weight_map": { "<tensor>": "<shard file>", ... } }
// with shard files beside the index. Every weight_map entry must be in the shard it names, and no
// tensor may appear in two shards.
//
// Only headers are parsed: tensors are views into memory-mapped files.

#include "model/model.h"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace cwb::io {

// Refuse headers larger than this: real ones are kilobytes to a few megabytes.
inline constexpr uint64_t kMaxSafetensorsHeaderBytes = 100ull * 1000 * 1000;

struct SafetensorsContents {
    uint64_t dataStart = 0; // byte offset of the data region (8 + N)
    std::vector<std::pair<std::string, MetaValue>> metadata; // "__metadata__" entries, header order
    std::vector<Tensor> tensors; // sorted by data offset; `data` views into the parsed span
};

// Parses the bytes of one .safetensors file. `source` names it in errors and becomes each
// tensor's `file`. Tensor views point into `bytes`; keepAlive is left empty.
[[nodiscard]] SafetensorsContents parseSafetensors(std::span<const std::byte> bytes,
                                                   const std::string &source);

// Maps and parses one file; tensors keep the mapping alive.
[[nodiscard]] Model readSafetensorsFile(const std::string &path);

// Maps every shard named by a "*.safetensors.index.json" and joins their tensors.
[[nodiscard]] Model readSafetensorsIndex(const std::string &indexPath);

} // namespace cwb::io
