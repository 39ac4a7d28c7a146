// SPDX-License-Identifier: MIT
#pragma once
// SentencePiece .model files (tokenizer.model) through the SentencePiece library itself, so any
// model type it knows (BPE, unigram) and its normalizer work exactly as upstream. BOS is added
// on request when the model defines one (Llama convention); the library never adds it itself.

#include "tokenizer/tokenizer.h"

#include <memory>
#include <string>

namespace cwb {

// Throws cwb::Error naming the file when it is missing or the library rejects it.
[[nodiscard]] std::unique_ptr<Tokenizer> openSentencePieceModel(const std::string &path);

} // namespace cwb
