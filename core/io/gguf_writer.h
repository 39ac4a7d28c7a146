// SPDX-License-Identifier: MIT
#pragma once
// Writes GGUF v2/v3 files in the layout gguf_reader.h documents: metadata KVs of every GGUF type
// and tensors of any DType that has a ggml type id, given as their raw stored bytes. Tensor data
// follows the records in insertion order, each tensor aligned and padded to `alignment` (as
// ggml writes it). write() goes through a temporary file in the same directory and renames it,
// so a failed or interrupted write never leaves a half-written file under the target name.
//
// A MetaValue's typeName picks the stored type: "u8" "i8" "u16" "i16" "u32" "i32" "u64" "i64"
// "f32" "f64" "bool" "string" and "array[<element type>]" (elements of "array[array]" carry
// their own typeName). An empty typeName falls back to the kind: i64, u64, f64, bool, string,
// or an array typed by its first element.

#include "formats/dtype.h"
#include "jobs/job_context.h"
#include "model/meta_value.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace cwb::io {

struct GgufWriteOptions {
    uint32_t version = 3;    // 2 or 3: identical little-endian layouts
    uint32_t alignment = 32; // a power of two; when not 32 also written as general.alignment
};

class GgufWriter {
public:
    explicit GgufWriter(GgufWriteOptions options = {});

    // Throws cwb::Error for a duplicate key, "general.alignment" (set it in the options), or a
    // value that cannot be stored as its typeName.
    void addMeta(std::string key, MetaValue value);

    // `shape` is outermost-first (as cwb::Tensor); `bytes` must be exactly storageBytes(dtype,
    // numel) and the row length a whole number of blocks. Throws cwb::Error otherwise, for a
    // duplicate name, more than 4 dimensions, or a dtype GGUF has no type id for.
    void addTensor(std::string name, DType dtype, std::vector<int64_t> shape,
                   std::vector<std::byte> bytes);
    // The same without copying: `bytes` must stay valid (keepAlive may own it) until written.
    void addTensorView(std::string name, DType dtype, std::vector<int64_t> shape,
                       std::span<const std::byte> bytes,
                       std::shared_ptr<const void> keepAlive = {});
    // A record written exactly as given — any type id, ne[] innermost-first, any byte count —
    // with no checks. Tests use it to write types we do not know and malformed files.
    void addRawTensor(std::string name, uint32_t ggmlType, std::vector<uint64_t> ne,
                      std::vector<std::byte> bytes);

    // The whole file in memory (for tests and small files).
    [[nodiscard]] std::vector<std::byte> toBytes() const;
    // Streams the file to `path` via a temporary file + rename. Throws cwb::Error naming the path.
    // Polls `job` before each tensor: cwb::Cancelled removes the temporary file, so a cancelled
    // write leaves nothing behind and the previous file under `path` untouched.
    void write(const std::string &path, const JobContext &job = {}) const;

private:
    struct PendingTensor {
        std::string name;
        uint32_t ggmlType = 0;
        std::vector<uint64_t> ne; // innermost first, as stored
        std::span<const std::byte> bytes;
        std::shared_ptr<const void> keepAlive;
    };

    void addChecked(std::string name, DType dtype, std::vector<int64_t> shape,
                    std::span<const std::byte> bytes, std::shared_ptr<const void> keepAlive);
    void checkNewName(const std::string &name) const;
    [[nodiscard]] std::vector<std::byte> header() const; // everything before the data section
    [[nodiscard]] uint64_t padTo(uint64_t n) const;

    GgufWriteOptions options_;
    std::vector<std::pair<std::string, MetaValue>> metadata_;
    std::vector<PendingTensor> tensors_;
};

} // namespace cwb::io
