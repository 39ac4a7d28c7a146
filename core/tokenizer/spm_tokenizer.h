// SPDX-License-Identifier: MIT
#pragma once
// SentencePiece-style BPE over a scored vocabulary, as llama.cpp's SPM tokenizer does it:
// optional dummy-prefix space, spaces escaped to U+2581, the text split into UTF-8 characters,
// adjacent symbols merged while their concatenation is a vocabulary piece, the highest-scoring
// pair first (leftmost on ties), then characters the vocabulary lacks fall back to <0xXX> byte
// tokens (or <unk> when there are none). llama.cpp runs one heap over the whole text; here the
// text is cut before every U+2581 that follows another character when no mergeable piece has a
// U+2581 after its leading run of them (true of SentencePiece vocabularies trained with
// split_by_whitespace, like Llama's): no merge can then cross such a cut, so the ids are the
// same, and repeated words are encoded once per call.
// Differences from llama.cpp, both towards SentencePiece: control, byte, unknown and unused
// pieces are never formed by merging (text "<s>" stays text), and decode strips the dummy
// prefix space after a BOS too (llama.cpp keeps it when BOS is first).

#include "tokenizer/added_tokens.h"
#include "tokenizer/scored_vocab.h"
#include "tokenizer/tokenizer.h"

#include <array>
#include <string_view>
#include <unordered_map>

namespace cwb {

class SpmTokenizer final : public Tokenizer {
public:
    // `kind` is what kind() reports ("spm-gguf", "llama2c-bin"). Throws cwb::Error naming the
    // vocabulary's source when the piece, score and type arrays disagree or a special id is out
    // of range.
    SpmTokenizer(ScoredVocab vocab, std::string kind);
    SpmTokenizer(const SpmTokenizer &) = delete;
    SpmTokenizer &operator=(const SpmTokenizer &) = delete;

    [[nodiscard]] std::vector<int32_t> encode(std::string_view text, bool addBos) const override;
    [[nodiscard]] std::string decode(std::span<const int32_t> ids) const override;
    [[nodiscard]] std::string tokenText(int32_t id) const override;
    [[nodiscard]] int32_t vocabSize() const override
    {
        return static_cast<int32_t>(v_.pieces.size());
    }
    [[nodiscard]] int32_t bos() const override { return v_.bos; }
    [[nodiscard]] int32_t eos() const override { return v_.eos; }
    [[nodiscard]] bool addsBos() const override { return v_.addBos && v_.bos >= 0; }
    [[nodiscard]] std::string kind() const override { return kind_; }

    [[nodiscard]] const ScoredVocab &vocab() const { return v_; }

private:
    using WordCache = std::unordered_map<std::string_view, std::vector<int32_t>>;

    void encodeFragment(std::string_view text, bool prefixSpace, std::vector<int32_t> &out) const;
    void encodeWord(std::string_view word, std::vector<int32_t> &out) const;
    void appendBytes(std::string_view bytes, std::vector<int32_t> &out) const;

    ScoredVocab v_;
    std::string kind_;
    std::unordered_map<std::string_view, int32_t> mergeable_; // views into v_.pieces
    std::array<int32_t, 256> byteIds_{};
    AddedTokenMatcher userDefined_;
    bool wordsAreIndependent_ = true; // see the class comment
};

} // namespace cwb
