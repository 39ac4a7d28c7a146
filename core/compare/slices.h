// SPDX-License-Identifier: MIT
#pragma once
// The slices of a slice-aware comparison: an evaluation text cut into documents (separated by
// blank lines, or by a separator the user names), or one slice per file the user gives. A
// perplexity window never crosses a slice, so each slice must hold at least one window:
// documents shorter than that are merged with the ones after them (the comparison says so),
// while a slice file that is too short is an error naming the file (the user chose it).

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace cwb {

struct SliceParams {
    // Empty (the default): documents are separated by blank lines, i.e. two or more newlines
    // with nothing but spaces, tabs or CRs between them. Else every occurrence of this string
    // separates two documents (e.g. "<|endoftext|>").
    std::string separator;
};

struct TextSlice {
    std::string name;        // "doc 12", "docs 12-14" after a merge, or the slice file's name
    std::string source;      // the file it was read from
    std::string text;        // without the separators and surrounding whitespace around it
    uint64_t byteOffset = 0; // of text's first byte in source
    uint64_t byteEnd = 0;    // one past text's last byte in source
    int64_t line = 1;        // 1-based line of text's first byte in source
    int64_t firstDocument = 1; // 1-based numbers of the documents it holds
    int64_t lastDocument = 1;
};

// Cuts `text` (read from `source`, which names the slices' origin) into documents, in order.
// Pieces holding only whitespace are dropped. Deterministic; reads nothing but `text`.
[[nodiscard]] std::vector<TextSlice> splitIntoSlices(std::string_view text,
                                                     const SliceParams &params,
                                                     const std::string &source = {});

// One slice per file, each the whole file (eval/perplexity.h's checks: missing, empty, binary or
// invalid UTF-8 files throw cwb::Error naming the file and offset), named by the file name.
[[nodiscard]] std::vector<TextSlice> slicesFromFiles(const std::vector<std::string> &paths);

// Merges every slice of `slices` (cut from `text` by splitIntoSlices) whose token count is below
// `minTokens` with the slices after it until it reaches it; a short last slice joins the one
// before. A merged slice is the source text from its first document to its last, separators
// included. Returns how many documents were merged into others. Throws cwb::Error naming
// `source` when the whole text holds fewer than `minTokens` tokens.
int64_t mergeShortSlices(std::vector<TextSlice> &slices, std::string_view text,
                         const std::function<int64_t(std::string_view)> &countTokens,
                         int64_t minTokens);

// Throws cwb::Error naming the first slice (its file) with fewer than `minTokens` tokens.
void requireSliceTokens(const std::vector<TextSlice> &slices,
                        const std::function<int64_t(std::string_view)> &countTokens,
                        int64_t minTokens, const std::string &why);

} // namespace cwb
