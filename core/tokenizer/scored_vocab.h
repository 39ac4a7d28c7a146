// SPDX-License-Identifier: MIT
#pragma once
// A SentencePiece-style vocabulary: pieces with scores, in the spelling SentencePiece and GGUF
// use (U+2581 "▁" for a space). Both sources of it feed SpmTokenizer:
//  - GGUF metadata (tokenizer.ggml.model = "llama"): tokens, scores, token_type, special ids,
//    add_bos_token, add_space_prefix;
//  - llama2.c's tokenizer.bin, whose layout is
//        int32 max_token_length
//        then for each token, to the end of the file: float32 score, int32 len, len bytes
//    (little-endian) with spaces instead of U+2581 and BOS/EOS spelled "\n<s>\n"/"\n</s>\n";
//    ids 0, 1, 2 are <unk>, BOS, EOS. The reader converts it to the GGUF spelling.

#include "model/model.h"
#include "tokenizer/token_type.h"

#include <cstdint>
#include <string>
#include <vector>

namespace cwb {

struct ScoredVocab {
    std::string source; // where it came from, for messages
    std::vector<std::string> pieces;
    std::vector<float> scores;
    std::vector<TokenType> types;
    int32_t bos = -1;
    int32_t eos = -1;
    int32_t unk = -1;
    bool addBos = true; // llama vocabularies put BOS first unless the file says otherwise
    bool addSpacePrefix = true; // SentencePiece's dummy prefix: "Hello" is encoded as " Hello"
};

// Throws cwb::Error naming the file and byte offset for a truncated or malformed file.
[[nodiscard]] ScoredVocab readLlama2cVocab(const std::string &path);

// From a GGUF model whose tokenizer.ggml.model is "llama". Throws cwb::Error naming the model
// file and the metadata key (and index) that is missing, mistyped or inconsistent.
[[nodiscard]] ScoredVocab scoredVocabFromGguf(const Model &model);

} // namespace cwb
