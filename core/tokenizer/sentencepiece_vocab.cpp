// SPDX-License-Identifier: MIT
// readSentencePieceVocab: a SentencePiece .model as a scored vocabulary (what GGUF stores as
// tokenizer.ggml.tokens / scores / token_type), read through the library itself.
#include "tokenizer/sentencepiece_tokenizer.h"

#include "util/error.h"

#include <sentencepiece_processor.h>

#include <filesystem>

namespace cwb {

ScoredVocab readSentencePieceVocab(const std::string &path)
{
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
        throwIn(path, "no such file");
    sentencepiece::SentencePieceProcessor sp;
    if (const auto status = sp.Load(path); !status.ok())
        throwIn(path, "not a SentencePiece model: " + status.ToString());
    const int n = sp.GetPieceSize();
    requireVocabularySize(path, n > 0 ? static_cast<size_t>(n) : 0);
    ScoredVocab v;
    v.source = path;
    v.pieces.reserve(static_cast<size_t>(n));
    for (int id = 0; id < n; ++id) {
        v.pieces.push_back(sp.IdToPiece(id));
        v.scores.push_back(sp.GetScore(id));
        // The library exposes these four kinds; user-defined pieces read as normal ones.
        TokenType t = TokenType::Normal;
        if (sp.IsControl(id))
            t = TokenType::Control;
        else if (sp.IsUnknown(id))
            t = TokenType::Unknown;
        else if (sp.IsUnused(id))
            t = TokenType::Unused;
        else if (sp.IsByte(id))
            t = TokenType::Byte;
        v.types.push_back(t);
    }
    v.bos = sp.bos_id();
    v.eos = sp.eos_id();
    v.unk = sp.unk_id();
    requireSpecialIds(path, v.pieces.size(), v.bos, v.eos, v.unk);
    return v;
}

} // namespace cwb
