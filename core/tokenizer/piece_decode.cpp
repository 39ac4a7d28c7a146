// SPDX-License-Identifier: MIT
#include "tokenizer/piece_decode.h"

#include "tokenizer/byte_level.h"

namespace cwb {

std::string decodePieces(const PieceVocabView &vocab, std::span<const int32_t> ids)
{
    const bool byteLevel = vocab.spelling == PieceSpelling::ByteLevel;
    const auto vocabSize = static_cast<int32_t>(vocab.pieces.size());
    std::string out;
    bool stripSpace = !byteLevel && vocab.stripFirstSpace;
    for (size_t k = 0; k < ids.size(); ++k) {
        const int32_t id = ids[k];
        requireDecodableId(vocab.source, id, k, vocabSize);
        const std::string &piece = vocab.pieces[static_cast<size_t>(id)];
        switch (vocab.types[static_cast<size_t>(id)]) {
        case TokenType::Control:
        case TokenType::Unknown: continue;
        case TokenType::UserDefined: out += piece; break;
        case TokenType::Byte:
            if (!byteLevel) {
                // A byte token not spelled <0xXX> (GGUF's token_type may say so) is its text.
                if (const int b = byteTokenValue(piece); b >= 0)
                    out += static_cast<char>(b);
                else
                    out += piece;
                break;
            }
            [[fallthrough]];
        case TokenType::Normal:
        case TokenType::Unused:
            if (byteLevel)
                bytelevel::appendDecoded(out, piece);
            else
                appendUnescapedPiece(out, piece, stripSpace);
            break;
        }
        stripSpace = false;
    }
    return out;
}

} // namespace cwb
