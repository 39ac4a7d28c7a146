// SPDX-License-Identifier: MIT
#pragma once
// A merge-ranked BPE vocabulary (GPT-2 family) as its three sources describe it:
//  - vocab.json ({"token": id}) + merges.txt (optional "#version" line, then one "a b" per
//    line, best merge first);
//  - tokenizer.json (Hugging Face tokenizers: model.type "BPE", model.vocab, model.merges as
//    "a b" strings or ["a", "b"] pairs, added_tokens, pre_tokenizer, post_processor), with an
//    optional tokenizer_config.json beside it (add_bos_token);
//  - GGUF metadata with tokenizer.ggml.model = "gpt2" (tokens, token_type, merges, pre).
// Byte-level vocabularies spell bytes in GPT-2's alphabet (byte_level.h). SentencePiece-style
// tokenizer.json files (Llama 2 converted by Hugging Face) instead spell spaces as U+2581 and
// fall back to <0xXX> byte tokens; `byteLevel` = false selects that reading.

#include "model/model.h"
#include "tokenizer/pretokenize.h"
#include "tokenizer/token_type.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace cwb {

struct BpeVocab {
    std::string source; // file (or model file) it came from, for messages
    std::vector<std::string> tokens;
    std::vector<TokenType> types; // Control: special; UserDefined: matched verbatim in text
    std::vector<std::pair<std::string, std::string>> merges; // best first
    PreTokenizer pre = PreTokenizer::Gpt2;
    bool byteLevel = true;
    bool addPrefixSpace = false; // prepend a space (or U+2581) to the text before splitting
    bool ignoreMerges = false; // a pre-token that is itself a token is taken whole (Llama 3)
    int32_t bos = -1;
    int32_t eos = -1;
    int32_t unk = -1;
    bool addBos = false; // GPT-2 puts no BOS first; formats that want one say so
};

// vocab.json + merges.txt. Throws cwb::Error naming the file and the byte offset (merges.txt
// line, JSON parse position) or the JSON entry that is wrong.
[[nodiscard]] BpeVocab readVocabJsonMerges(const std::string &vocabJson,
                                           const std::string &mergesTxt);

// tokenizer.json (and tokenizer_config.json when its path is not empty).
[[nodiscard]] BpeVocab readTokenizerJson(const std::string &tokenizerJson,
                                         const std::string &configJson);

// From a GGUF model whose tokenizer.ggml.model is "gpt2".
[[nodiscard]] BpeVocab bpeVocabFromGguf(const Model &model);

} // namespace cwb
