// SPDX-License-Identifier: MIT
#pragma once
// SentencePiece .model files (tokenizer.model) through the SentencePiece library itself, so any
// model type it knows (BPE, unigram) and its normalizer work exactly as upstream. BOS is added
// on request when the model defines one (Llama convention); the library never adds it itself.

#include "tokenizer/scored_vocab.h"
#include "tokenizer/tokenizer.h"

#include <memory>
#include <string>

namespace cwb {

// Throws cwb::Error naming the file when it is missing or the library rejects it.
[[nodiscard]] std::unique_ptr<Tokenizer> openSentencePieceModel(const std::string &path);

// The pieces, scores, types and special ids of a .model file, in GGUF's spelling (the library
// already spells spaces U+2581), for writing it as a GGUF "llama" vocabulary. Throws cwb::Error
// naming the file like openSentencePieceModel.
[[nodiscard]] ScoredVocab readSentencePieceVocab(const std::string &path);

} // namespace cwb
