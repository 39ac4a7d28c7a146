// SPDX-License-Identifier: MIT
#pragma once
// Text <-> token ids for the evaluation engine. One interface, several implementations:
//  - SentencePiece-style BPE driven by a scored vocabulary (GGUF tokenizer.ggml.model = "llama",
//    llama2.c tokenizer.bin) with byte fallback, matching llama.cpp's SPM tokenizer;
//  - SentencePiece .model files through the real SentencePiece library;
//  - byte-level BPE (GPT-2: vocab.json + merges.txt, tokenizer.json, GGUF "gpt2").
// BOS/EOS handling follows what each format specifies (addBos below is the caller's request;
// a tokenizer whose format says "never add BOS" ignores it and says so via addsBos()).

#include "model/model.h"

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cwb {

class Tokenizer {
public:
    virtual ~Tokenizer() = default;

    // Token ids for `text` (UTF-8; invalid UTF-8 is an error naming the byte offset).
    [[nodiscard]] virtual std::vector<int32_t> encode(std::string_view text, bool addBos) const = 0;
    [[nodiscard]] virtual std::string decode(std::span<const int32_t> ids) const = 0;
    // The text of one token as a user should read it (byte tokens as "<0x0A>").
    [[nodiscard]] virtual std::string tokenText(int32_t id) const = 0;
    [[nodiscard]] virtual int32_t vocabSize() const = 0;
    [[nodiscard]] virtual int32_t bos() const = 0; // -1 when the vocabulary has none
    [[nodiscard]] virtual int32_t eos() const = 0;
    [[nodiscard]] virtual bool addsBos() const = 0; // does this format put BOS first by default
    // "spm-gguf", "llama2c-bin", "sentencepiece", "bpe-gpt2", "bpe-metaspace"
    [[nodiscard]] virtual std::string kind() const = 0;
};

// The tokenizer recorded for `model` (Model::tokenizer). Throws cwb::Error naming the file or
// metadata key when it is missing or malformed.
[[nodiscard]] std::unique_ptr<Tokenizer> loadTokenizer(const Model &model);

} // namespace cwb
