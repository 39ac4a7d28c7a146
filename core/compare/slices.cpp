// SPDX-License-Identifier: MIT
#include "compare/slices.h"

#include "eval/perplexity.h"
#include "util/error.h"

#include <algorithm>
#include <filesystem>

namespace cwb {

namespace {

bool blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// The end of a blank-line separator starting at the newline at `at`, or `at` when the
// whitespace run from there holds fewer than two newlines.
size_t blankLineSeparatorEnd(std::string_view text, size_t at)
{
    size_t end = at;
    int newlines = 0;
    while (end < text.size() && blank(text[end])) {
        newlines += text[end] == '\n';
        ++end;
    }
    return newlines >= 2 ? end : at;
}

// The line of byte `end`, counting on from byte `from` on line `lineAtFrom` (end >= from).
int64_t lineAt(std::string_view text, size_t end, size_t from, int64_t lineAtFrom)
{
    return lineAtFrom + std::count(text.begin() + static_cast<ptrdiff_t>(from),
                                   text.begin() + static_cast<ptrdiff_t>(end), '\n');
}

std::string documentName(int64_t first, int64_t last)
{
    return first == last ? "doc " + std::to_string(first)
                         : "docs " + std::to_string(first) + "-" + std::to_string(last);
}

} // namespace

std::vector<TextSlice> splitIntoSlices(std::string_view text, const SliceParams &params,
                                       const std::string &source)
{
    // Pieces [begin, end) between separators, before trimming.
    std::vector<std::pair<size_t, size_t>> pieces;
    size_t begin = 0;
    if (params.separator.empty()) {
        for (size_t i = 0; i < text.size(); ++i) {
            if (text[i] != '\n')
                continue;
            const size_t end = blankLineSeparatorEnd(text, i);
            if (end == i)
                continue;
            pieces.emplace_back(begin, i);
            begin = end;
            i = end - 1;
        }
    } else {
        for (size_t at = text.find(params.separator); at != std::string_view::npos;
             at = text.find(params.separator, begin)) {
            pieces.emplace_back(begin, at);
            begin = at + params.separator.size();
        }
    }
    pieces.emplace_back(begin, text.size());

    std::vector<TextSlice> slices;
    size_t counted = 0; // lines are counted incrementally: `line` is the line at `counted`
    int64_t line = 1;
    for (auto [b, e] : pieces) {
        while (b < e && blank(text[b]))
            ++b;
        while (e > b && blank(text[e - 1]))
            --e;
        if (b == e)
            continue;
        line = lineAt(text, b, counted, line);
        counted = b;
        TextSlice s;
        const auto number = static_cast<int64_t>(slices.size()) + 1;
        s.name = documentName(number, number);
        s.source = source;
        s.text = std::string(text.substr(b, e - b));
        s.byteOffset = b;
        s.byteEnd = e;
        s.line = line;
        s.firstDocument = s.lastDocument = number;
        slices.push_back(std::move(s));
    }
    return slices;
}

std::vector<TextSlice> slicesFromFiles(const std::vector<std::string> &paths)
{
    std::vector<TextSlice> slices;
    for (const auto &path : paths) {
        TextSlice s;
        s.text = eval::loadEvalText(path);
        s.name = std::filesystem::path(path).filename().string();
        s.source = path;
        s.byteEnd = s.text.size();
        s.firstDocument = s.lastDocument = static_cast<int64_t>(slices.size()) + 1;
        slices.push_back(std::move(s));
    }
    return slices;
}

int64_t mergeShortSlices(std::vector<TextSlice> &slices, std::string_view text,
                         const std::function<int64_t(std::string_view)> &countTokens,
                         int64_t minTokens)
{
    if (slices.empty())
        return 0;
    const std::string source = slices.front().source;
    auto join = [&](const TextSlice &first, const TextSlice &last) {
        TextSlice s = first;
        s.byteEnd = last.byteEnd;
        s.lastDocument = last.lastDocument;
        s.text = std::string(text.substr(s.byteOffset, s.byteEnd - s.byteOffset));
        s.name = documentName(s.firstDocument, s.lastDocument);
        return s;
    };
    std::vector<TextSlice> merged;
    for (size_t i = 0; i < slices.size();) {
        TextSlice current = slices[i++];
        while (countTokens(current.text) < minTokens && i < slices.size()) {
            current = join(current, slices[i++]);
        }
        if (countTokens(current.text) < minTokens) {
            if (merged.empty())
                throwIn(source, "holds " + std::to_string(countTokens(current.text))
                                    + " tokens, fewer than one window of "
                                    + std::to_string(minTokens));
            merged.back() = join(merged.back(), current);
            continue;
        }
        merged.push_back(std::move(current));
    }
    const auto absorbed = static_cast<int64_t>(slices.size() - merged.size());
    slices = std::move(merged);
    return absorbed;
}

void requireSliceTokens(const std::vector<TextSlice> &slices,
                        const std::function<int64_t(std::string_view)> &countTokens,
                        int64_t minTokens, const std::string &why)
{
    for (const auto &s : slices) {
        const int64_t n = countTokens(s.text);
        if (n < minTokens)
            throwIn(s.source, "holds " + std::to_string(n) + " tokens, fewer than " + why);
    }
}

} // namespace cwb
