// SPDX-License-Identifier: MIT
#pragma once
// Merge-ranked BPE (bpe_vocab.h). Byte-level vocabularies (GPT-2, Llama 3, Qwen2): the text is
// cut by the pre-tokenizer regex, each piece's bytes become one symbol each (spelled in GPT-2's
// alphabet), and adjacent symbols merge by rank, the best-ranked pair first (leftmost on ties).
// SentencePiece-style vocabularies (byteLevel = false): spaces become U+2581, symbols are UTF-8
// characters, characters missing from the vocabulary become <0xXX> byte tokens.
// Non-special added tokens are matched verbatim first; special ones are never read from text.

#include "tokenizer/added_tokens.h"
#include "tokenizer/bpe_vocab.h"
#include "tokenizer/tokenizer.h"

#include <array>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace cwb {

class BpeTokenizer final : public Tokenizer {
public:
    // Throws cwb::Error naming the vocabulary's source for inconsistent arrays, a merge whose
    // parts or result are not tokens, or a special id out of range.
    BpeTokenizer(BpeVocab vocab, std::string kind);
    BpeTokenizer(const BpeTokenizer &) = delete;
    BpeTokenizer &operator=(const BpeTokenizer &) = delete;

    [[nodiscard]] std::vector<int32_t> encode(std::string_view text, bool addBos) const override;
    [[nodiscard]] std::string decode(std::span<const int32_t> ids) const override;
    [[nodiscard]] std::string tokenText(int32_t id) const override;
    [[nodiscard]] int32_t vocabSize() const override
    {
        return static_cast<int32_t>(v_.tokens.size());
    }
    [[nodiscard]] int32_t bos() const override { return v_.bos; }
    [[nodiscard]] int32_t eos() const override { return v_.eos; }
    [[nodiscard]] bool addsBos() const override { return v_.addBos && v_.bos >= 0; }
    [[nodiscard]] std::string kind() const override { return kind_; }

    [[nodiscard]] const BpeVocab &vocab() const { return v_; }

private:
    struct Merge {
        int32_t rank;
        int32_t result;
    };
    struct StringHash {
        using is_transparent = void;
        size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    // Ids of pre-tokens already encoded during one encode() call: words repeat a lot.
    using WordCache
        = std::unordered_map<std::string, std::vector<int32_t>, StringHash, std::equal_to<>>;

    void encodeFragment(std::string_view text, WordCache &cache, std::vector<int32_t> &out) const;
    void encodeWord(std::string_view word, std::vector<int32_t> &out) const;
    [[nodiscard]] int32_t idOf(std::string_view token) const;

    BpeVocab v_;
    std::string kind_;
    std::unordered_map<std::string_view, int32_t> ids_; // views into v_.tokens
    std::unordered_map<uint64_t, Merge> merges_; // (left id << 32 | right id) -> merge
    std::array<int32_t, 256> byteIds_{}; // the token for each byte, or -1
    AddedTokenMatcher added_;
};

} // namespace cwb
