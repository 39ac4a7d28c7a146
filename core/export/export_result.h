// SPDX-License-Identifier: MIT
#pragma once
// What every export reports, whatever its target: per tensor (or per plan entry, for recipe
// exports) what it was, what the target got, and whether that is exact, converted (with the
// largest error measured by reading the written file back), stored dense (sparsity the target
// cannot hold; values exact) or not expressible (the target has no way to say it; the row's note
// says what was done instead, and a model export that cannot proceed throws instead). The GUI's
// preview and verification tables and `cwb export` print these rows.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cwb {

enum class ExportFate : uint8_t {
    Exact,          // the target decodes (or the consumer applies) exactly the source's values
    Converted,      // re-quantized, rounded or dequantized: maxAbsError says by how much
    Dense,          // values exact, but stored dense: the target cannot keep the sparsity
    NotExpressible, // the target cannot say this; the note says what it gets instead
};

// "exact", "converted", "dense", "not expressible"
[[nodiscard]] std::string_view exportFateName(ExportFate f);

struct ExportedTensor {
    std::string name;        // the name in the target ("blk.0.attn_q.weight", a module name)
    std::string source;      // what it was: "F32", "Q4_K (q4_k)", "rtn int4 g32 sym", ...
    std::string written;     // what the target got: "Q4_K", "F16", "pack-quantized int4 g32"
    ExportFate fate = ExportFate::Exact;
    double maxAbsError = 0;  // max |target value - source value| (0 when exact or not measured)
    std::string note;        // why it was converted, permuted, stored dense ...
    [[nodiscard]] bool exact() const { return fate == ExportFate::Exact; }
};

struct ExportResult {
    std::string target;              // "gguf", "safetensors", "compressed-tensors", ...
    std::string path;                // the file or directory the user named
    std::vector<std::string> files;  // every file written (empty for a preview)
    uint64_t fileBytes = 0;          // their total size
    bool written = false;            // false: a preview, nothing was written
    bool verified = false;           // the written files were read back and compared
    std::vector<ExportedTensor> tensors; // in target order
    std::vector<std::string> notes;      // model-wide: skipped tensors, tied head, tokenizer
    [[nodiscard]] int64_t count(ExportFate f) const;
    [[nodiscard]] int64_t exactCount() const { return count(ExportFate::Exact); }
};

// The per-tensor table and notes for people, and the same as JSON ("schema": "cwb.export/1").
[[nodiscard]] std::string exportText(const ExportResult &r);
[[nodiscard]] std::string exportJson(const ExportResult &r);

} // namespace cwb
