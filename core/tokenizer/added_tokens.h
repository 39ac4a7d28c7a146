// SPDX-License-Identifier: MIT
#pragma once
// Tokens matched verbatim in the text before any merging (SentencePiece user-defined pieces,
// Hugging Face added tokens that are not special). Control tokens (BOS, EOS, chat markers) are
// deliberately not matched: text that happens to contain "<s>" stays text, as in llama.cpp
// without parse_special.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cwb {

class AddedTokenMatcher {
public:
    struct Fragment {
        std::string_view text; // the raw text, or the matched token's text
        int32_t id = -1; // -1 for raw text
    };

    void add(std::string text, int32_t id);
    [[nodiscard]] bool empty() const { return count_ == 0; }

    // `text` cut into raw runs and tokens: at each position the longest token that starts
    // there wins, scanning left to right.
    [[nodiscard]] std::vector<Fragment> split(std::string_view text) const;

private:
    struct Entry {
        std::string text;
        int32_t id;
    };
    std::array<std::vector<Entry>, 256> byFirstByte_; // each list longest first
    size_t count_ = 0;
};

} // namespace cwb
