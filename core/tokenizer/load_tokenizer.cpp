// SPDX-License-Identifier: MIT
// loadTokenizer: Model::tokenizer (kind + files) to the matching implementation.
#include "tokenizer/tokenizer.h"

#include "tokenizer/bpe_tokenizer.h"
#include "tokenizer/scored_vocab.h"
#include "tokenizer/sentencepiece_tokenizer.h"
#include "tokenizer/spm_tokenizer.h"
#include "util/error.h"

namespace cwb {

namespace {

void requireFiles(const Model &model, size_t n)
{
    const auto &t = model.tokenizer;
    if (t.files.size() < n)
        throwIn(model.path,
                "tokenizer \"" + t.kind + "\" needs " + std::to_string(n)
                    + " file(s), the model lists " + std::to_string(t.files.size()));
}

std::unique_ptr<Tokenizer> makeBpe(BpeVocab v)
{
    std::string kind = v.byteLevel ? "bpe-gpt2" : "bpe-metaspace";
    return std::make_unique<BpeTokenizer>(std::move(v), std::move(kind));
}

std::unique_ptr<Tokenizer> fromGguf(const Model &model)
{
    const MetaValue *m = model.findMeta("tokenizer.ggml.model");
    if (!m || m->kind != MetaValue::Kind::String)
        throwIn(model.path, "metadata tokenizer.ggml.model is missing or not a string");
    if (m->s == "llama")
        return std::make_unique<SpmTokenizer>(scoredVocabFromGguf(model), "spm-gguf");
    if (m->s == "gpt2")
        return makeBpe(bpeVocabFromGguf(model));
    throwIn(model.path,
            "metadata tokenizer.ggml.model is \"" + m->s
                + "\"; supported: llama (SentencePiece BPE), gpt2 (byte-level BPE)");
}

} // namespace

std::unique_ptr<Tokenizer> loadTokenizer(const Model &model)
{
    const auto &t = model.tokenizer;
    if (t.kind == "gguf")
        return fromGguf(model);
    if (t.kind == "llama2c-bin") {
        requireFiles(model, 1);
        return std::make_unique<SpmTokenizer>(readLlama2cVocab(t.files[0]), "llama2c-bin");
    }
    if (t.kind == "sentencepiece") {
        requireFiles(model, 1);
        return openSentencePieceModel(t.files[0]);
    }
    if (t.kind == "tokenizer.json") {
        requireFiles(model, 1);
        return makeBpe(
            readTokenizerJson(t.files[0], t.files.size() > 1 ? t.files[1] : std::string()));
    }
    if (t.kind == "vocab.json+merges.txt") {
        requireFiles(model, 2);
        return makeBpe(readVocabJsonMerges(t.files[0], t.files[1]));
    }
    if (t.kind.empty())
        throwIn(model.path, "the model names no tokenizer");
    throwIn(model.path, "unknown tokenizer kind \"" + t.kind + "\"");
}

} // namespace cwb
