// SPDX-License-Identifier: MIT
#pragma once
// llama.cpp's legacy importance-matrix file (`imatrix.dat`: examples/imatrix/imatrix.cpp writes
// it, llama-quantize --imatrix reads it; layout in ../shared/FORMATS.md). All integers int32
// little-endian:
//   n_entries
//   per entry: name length, name bytes (a GGUF tensor name, no NUL), ncall, nval,
//              float32[nval] = the sum over ncall calls of mean(x^2) per input channel
//              (llama-quantize divides by ncall, so ncall 1 with the mean itself is valid)
//   optional trailer: last_call (chunks the matrix was computed on), dataset-name length, name
// Every value must be finite (llama-quantize rejects non-finite ones) and every entry non-empty.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace cwb::io {

struct ImatrixEntry {
    std::string name;          // "blk.0.attn_q.weight"
    int32_t ncall = 1;
    std::vector<float> values; // one per input channel (the tensor's ne[0])
};

struct ImatrixFile {
    std::vector<ImatrixEntry> entries;
    bool hasTrailer = true;
    int32_t lastCall = 0;
    std::string dataset; // the calibration text it came from
};

// The file's bytes. Throws cwb::Error naming the entry for an empty name or value list, a
// non-finite value, or a count that does not fit an int32.
[[nodiscard]] std::vector<std::byte> serializeImatrix(const ImatrixFile &f);
// Parses the bytes; cwb::Error "<source>: offset N: ..." for a truncated or malformed file.
[[nodiscard]] ImatrixFile parseImatrix(std::span<const std::byte> bytes, const std::string &source);
// Reads and parses `path`.
[[nodiscard]] ImatrixFile readImatrixFile(const std::string &path);

} // namespace cwb::io
