// SPDX-License-Identifier: MIT
#pragma once
// What a vocabulary entry is, with GGUF's numbering (tokenizer.ggml.token_type, which follows
// SentencePiece's piece types). It decides how a token is matched in text and how it decodes.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace cwb {

enum class TokenType : int32_t {
    Normal = 1, // ordinary piece, found by merging
    Unknown = 2, // <unk>: decodes to nothing
    Control = 3, // BOS/EOS and other special tokens: never matched in text, decode to nothing
    UserDefined = 4, // matched verbatim in text before merging, decodes to its own text
    Unused = 5, // reserved: never produced, decodes to its text
    Byte = 6, // <0xXX> byte fallback: decodes to that byte
};

// The byte a "<0xXX>" piece stands for (hex digits in either case), or -1 for any other piece.
[[nodiscard]] int byteTokenValue(std::string_view piece);

// SentencePiece's visible space U+2581, which vocabularies use in place of ' '.
inline constexpr std::string_view kSpaceMark = "\xE2\x96\x81";

// Appends `text` to `out` with every space spelled U+2581 (the vocabulary's spelling).
void appendSpaceMarked(std::string &out, std::string_view text);

// Appends `piece` to `out` with every U+2581 turned back into a space; with `stripLeading`, a
// leading U+2581 (the dummy prefix added when encoding) is dropped instead.
void appendUnescapedPiece(std::string &out, std::string_view piece, bool stripLeading);

// The checks every vocabulary passes before a tokenizer is built on it; each throws cwb::Error
// naming `source`. Size: not empty and every id fits an int32. Special ids (BOS, EOS, <unk>):
// -1 (none) or an id of the vocabulary.
void requireVocabularySize(std::string_view source, size_t nTokens);
void requireSpecialIds(std::string_view source, size_t nTokens, int32_t bos, int32_t eos,
                       int32_t unk);

// Throws cwb::Error naming `source` when id is not in [0, vocabSize) (tokenText's check).
void requireTokenId(std::string_view source, int32_t id, int32_t vocabSize);

// Throws cwb::Error naming `source` when ids[position] = id is not in [0, vocabSize) (decode's
// check: the message says which id of the sequence is wrong).
void requireDecodableId(std::string_view source, int32_t id, size_t position, int32_t vocabSize);

} // namespace cwb
