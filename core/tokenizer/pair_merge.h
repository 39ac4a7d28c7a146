// SPDX-License-Identifier: MIT
#pragma once
// The merge loop shared by the SentencePiece-style and the byte-level BPE tokenizers: symbols
// (adjacent byte ranges of one piece of text) are merged pairwise, always the adjacent pair
// with the highest priority first, the leftmost one on ties, until no pair can merge.
// A heap of candidate pairs with lazy invalidation makes it O(n log n) (llama.cpp's SPM
// session works the same way); the scan-everything-each-round loop of llama2.c is the
// O(n^2) reference it is tested against (spm_reference.h).

#include <cstdint>
#include <queue>
#include <vector>

namespace cwb {

struct MergeSymbol {
    uint32_t begin = 0; // byte range in the text being encoded
    uint32_t len = 0; // 0 once merged into its left neighbour
    int32_t prev = -1;
    int32_t next = -1;
    int32_t id = -1; // token id of the range, -1 when the vocabulary has none
};

// Symbols for consecutive ranges of the given lengths, linked in order, ids unset.
inline std::vector<MergeSymbol> linkSymbols(const std::vector<uint32_t> &lengths)
{
    std::vector<MergeSymbol> syms(lengths.size());
    uint32_t at = 0;
    for (size_t i = 0; i < lengths.size(); ++i) {
        syms[i].begin = at;
        syms[i].len = lengths[i];
        syms[i].prev = static_cast<int32_t>(i) - 1;
        syms[i].next = i + 1 < lengths.size() ? static_cast<int32_t>(i) + 1 : -1;
        at += lengths[i];
    }
    return syms;
}

// `lookup(left, right, priority, id)` says whether the adjacent pair may merge, with what
// priority (higher first) and into which token id. Merged symbols keep their place in `syms`
// with len = 0; walk the survivors from index 0 through `next`.
template <typename Lookup> void mergePairs(std::vector<MergeSymbol> &syms, Lookup &&lookup)
{
    struct Candidate {
        double priority;
        int32_t left;
        int32_t right;
        uint32_t size; // len(left) + len(right) when queued: stale if either changed since
        int32_t id;
    };
    const auto lower = [](const Candidate &a, const Candidate &b) {
        return a.priority < b.priority || (a.priority == b.priority && a.left > b.left);
    };
    std::vector<Candidate> storage;
    storage.reserve(syms.size());
    std::priority_queue<Candidate, std::vector<Candidate>, decltype(lower)> queue(
        lower, std::move(storage));

    const auto consider = [&](int32_t left, int32_t right) {
        if (left < 0 || right < 0)
            return;
        double priority = 0;
        int32_t id = -1;
        if (lookup(syms[left], syms[right], priority, id))
            queue.push({priority, left, right, syms[left].len + syms[right].len, id});
    };

    for (size_t i = 1; i < syms.size(); ++i)
        consider(static_cast<int32_t>(i) - 1, static_cast<int32_t>(i));

    while (!queue.empty()) {
        const Candidate c = queue.top();
        queue.pop();
        MergeSymbol &left = syms[c.left];
        MergeSymbol &right = syms[c.right];
        // A symbol only changes by absorbing its right neighbour or being absorbed, so equal
        // lengths mean the pair is still adjacent and unchanged.
        if (left.len == 0 || right.len == 0 || left.len + right.len != c.size)
            continue;
        left.len += right.len;
        left.id = c.id;
        right.len = 0;
        left.next = right.next;
        if (right.next >= 0)
            syms[right.next].prev = c.left;
        consider(left.prev, c.left);
        consider(c.left, left.next);
    }
}

} // namespace cwb
