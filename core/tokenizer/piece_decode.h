// SPDX-License-Identifier: MIT
#pragma once
// Token ids back to text, for the vocabularies whose pieces this workbench spells itself (BPE and
// the SentencePiece-style scored vocabularies): the token type decides what a piece contributes,
// the spelling how an ordinary piece's text reads. One function, so that both tokenizers decode
// special, unknown, byte and user-defined tokens the same way.

#include "tokenizer/token_type.h"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cwb {

// How a vocabulary spells the text of its ordinary (Normal, Unused) pieces.
enum class PieceSpelling {
    SpaceMark, // SentencePiece: U+2581 stands for a space; bytes come from <0xXX> byte tokens
    ByteLevel, // GPT-2: every byte is spelled in the byte-level alphabet (byte_level.h)
};

// A vocabulary as decoding sees it; the spans must outlive the call.
struct PieceVocabView {
    std::string_view source; // file the vocabulary came from, for messages
    std::span<const std::string> pieces;
    std::span<const TokenType> types; // one per piece
    PieceSpelling spelling = PieceSpelling::SpaceMark;
    // Drop a leading U+2581 of the first ordinary piece: the dummy prefix the encoder added is
    // not part of the text (SpaceMark spelling only).
    bool stripFirstSpace = false;
};

// Control and Unknown tokens decode to nothing, UserDefined ones to their own text. A Byte
// token gives the byte its <0xXX> spelling names (in the ByteLevel spelling it is read like an
// ordinary piece). Throws cwb::Error naming the source and the position of an id outside the
// vocabulary.
[[nodiscard]] std::string decodePieces(const PieceVocabView &vocab,
                                       std::span<const int32_t> ids);

} // namespace cwb
