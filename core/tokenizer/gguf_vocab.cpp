// SPDX-License-Identifier: MIT
// Tokenizer vocabularies from GGUF metadata (llama.cpp's tokenizer.ggml.* keys).
#include "tokenizer/bpe_vocab.h"
#include "tokenizer/scored_vocab.h"

#include "util/error.h"

#include <cmath>

namespace cwb {

namespace {

// Reads tokenizer.ggml.* keys of one model; every error names the model file and the key.
class GgufTokenizerMeta {
public:
    explicit GgufTokenizerMeta(const Model &m) : m_(m) { }

    [[noreturn]] void fail(const std::string &key, const std::string &what) const
    {
        throwIn(m_.path, "metadata " + key + " " + what);
    }

    const std::vector<MetaValue> *array(const std::string &key, bool required) const
    {
        const MetaValue *v = m_.findMeta(key);
        if (!v) {
            if (required)
                fail(key, "is missing");
            return nullptr;
        }
        if (v->kind != MetaValue::Kind::Array)
            fail(key, "is a " + v->typeName + ", expected an array");
        return &v->array;
    }

    std::vector<std::string> strings(const std::string &key) const
    {
        const auto &arr = *array(key, true);
        std::vector<std::string> out;
        out.reserve(arr.size());
        for (size_t i = 0; i < arr.size(); ++i) {
            if (arr[i].kind != MetaValue::Kind::String)
                fail(key + "[" + std::to_string(i) + "]",
                     "is a " + arr[i].typeName + ", expected a string");
            out.push_back(arr[i].s);
        }
        return out;
    }

    // tokenizer.ggml.tokens: required, non-empty strings.
    std::vector<std::string> tokens() const
    {
        std::vector<std::string> out = strings("tokenizer.ggml.tokens");
        if (out.empty())
            fail("tokenizer.ggml.tokens", "is empty");
        return out;
    }

    // An optional per-token array: absent, or exactly one entry per token.
    const std::vector<MetaValue> *perToken(const std::string &key, size_t nTokens) const
    {
        const auto *arr = array(key, false);
        if (arr && arr->size() != nTokens)
            fail(key,
                 "has " + std::to_string(arr->size()) + " entries but tokenizer.ggml.tokens has "
                     + std::to_string(nTokens));
        return arr;
    }

    std::vector<TokenType> types(size_t nTokens, const std::vector<std::string> &tokens) const
    {
        const std::string key = "tokenizer.ggml.token_type";
        std::vector<TokenType> out(nTokens, TokenType::Normal);
        const auto *arr = perToken(key, nTokens);
        for (size_t i = 0; i < nTokens; ++i) {
            if (!arr) { // no types recorded: byte tokens are still recognisable by their spelling
                if (byteTokenValue(tokens[i]) >= 0)
                    out[i] = TokenType::Byte;
                continue;
            }
            const MetaValue &e = (*arr)[i];
            const std::string at = key + "[" + std::to_string(i) + "]";
            if (e.kind != MetaValue::Kind::Int && e.kind != MetaValue::Kind::UInt)
                fail(at, "is a " + e.typeName + ", expected an integer");
            const int64_t t = e.asInt();
            if (t < 0 || t > 6 || (e.kind == MetaValue::Kind::UInt && e.u > 6))
                fail(at, "is " + std::to_string(t) + ", not a token type (0..6)");
            out[i] = t == 0 ? TokenType::Normal : static_cast<TokenType>(t); // 0 = undefined
        }
        return out;
    }

    // A token id key; `fallback` when absent. Must name a token.
    int32_t tokenId(const std::string &key, int32_t fallback, size_t nTokens) const
    {
        const MetaValue *v = m_.findMeta(key);
        if (!v)
            return fallback < static_cast<int64_t>(nTokens) ? fallback : -1;
        if (v->kind != MetaValue::Kind::Int && v->kind != MetaValue::Kind::UInt)
            fail(key, "is a " + v->typeName + ", expected an integer");
        const bool negative = v->kind == MetaValue::Kind::Int && v->i < 0;
        const uint64_t id
            = negative ? 0 : (v->kind == MetaValue::Kind::Int ? static_cast<uint64_t>(v->i) : v->u);
        if (negative || id >= nTokens)
            fail(key,
                 "is "
                     + (v->kind == MetaValue::Kind::Int ? std::to_string(v->i)
                                                        : std::to_string(v->u))
                     + ", outside the vocabulary of " + std::to_string(nTokens) + " tokens");
        return static_cast<int32_t>(id);
    }

    bool flag(const std::string &key, bool fallback) const
    {
        const MetaValue *v = m_.findMeta(key);
        if (!v)
            return fallback;
        if (v->kind != MetaValue::Kind::Bool)
            fail(key, "is a " + v->typeName + ", expected a bool");
        return v->b;
    }

    std::string text(const std::string &key) const
    {
        const MetaValue *v = m_.findMeta(key);
        if (!v)
            return {};
        if (v->kind != MetaValue::Kind::String)
            fail(key, "is a " + v->typeName + ", expected a string");
        return v->s;
    }

private:
    const Model &m_;
};

void markSpecial(std::vector<TokenType> &types, int32_t id, TokenType type)
{
    if (id >= 0 && types[static_cast<size_t>(id)] == TokenType::Normal)
        types[static_cast<size_t>(id)] = type;
}

} // namespace

ScoredVocab scoredVocabFromGguf(const Model &model)
{
    const GgufTokenizerMeta g(model);
    ScoredVocab v;
    v.source = model.path;
    v.pieces = g.tokens();
    const size_t n = v.pieces.size();

    v.scores.assign(n, 0.0f);
    if (const auto *scores = g.perToken("tokenizer.ggml.scores", n)) {
        for (size_t i = 0; i < n; ++i) {
            const MetaValue &e = (*scores)[i];
            const std::string at = "tokenizer.ggml.scores[" + std::to_string(i) + "]";
            if (e.kind != MetaValue::Kind::Float && e.kind != MetaValue::Kind::Int
                && e.kind != MetaValue::Kind::UInt)
                g.fail(at, "is a " + e.typeName + ", expected a number");
            v.scores[i] = static_cast<float>(e.asDouble());
            if (std::isnan(v.scores[i]))
                g.fail(at, "is NaN");
        }
    }
    v.types = g.types(n, v.pieces);
    // llama.cpp's defaults for SentencePiece vocabularies: <unk> 0, BOS 1, EOS 2.
    v.unk = g.tokenId("tokenizer.ggml.unknown_token_id", 0, n);
    v.bos = g.tokenId("tokenizer.ggml.bos_token_id", 1, n);
    v.eos = g.tokenId("tokenizer.ggml.eos_token_id", 2, n);
    markSpecial(v.types, v.unk, TokenType::Unknown);
    markSpecial(v.types, v.bos, TokenType::Control);
    markSpecial(v.types, v.eos, TokenType::Control);
    v.addBos = g.flag("tokenizer.ggml.add_bos_token", true);
    v.addSpacePrefix = g.flag("tokenizer.ggml.add_space_prefix", true);
    return v;
}

BpeVocab bpeVocabFromGguf(const Model &model)
{
    const GgufTokenizerMeta g(model);
    BpeVocab v;
    v.source = model.path;
    v.tokens = g.tokens();
    const size_t n = v.tokens.size();
    v.types = g.types(n, v.tokens);

    const std::vector<std::string> merges = g.strings("tokenizer.ggml.merges");
    v.merges.reserve(merges.size());
    for (size_t i = 0; i < merges.size(); ++i) {
        const size_t space = merges[i].find(' ', 1);
        if (space == std::string::npos)
            g.fail("tokenizer.ggml.merges[" + std::to_string(i) + "]",
                   "is \"" + merges[i] + "\", expected two tokens separated by a space");
        v.merges.emplace_back(merges[i].substr(0, space), merges[i].substr(space + 1));
    }

    const std::string pre = g.text("tokenizer.ggml.pre");
    if (pre.empty() || pre == "default" || pre == "gpt2" || pre == "gpt-2")
        v.pre = PreTokenizer::Gpt2;
    else if (pre == "llama3" || pre == "llama-bpe" || pre == "llama-v3" || pre == "dbrx"
             || pre == "smaug-bpe")
        v.pre = PreTokenizer::Llama3;
    else if (pre == "qwen2" || pre == "stablelm2")
        v.pre = PreTokenizer::Qwen2;
    else
        g.fail("tokenizer.ggml.pre",
               "is \"" + pre
                   + "\", a pre-tokenizer this workbench does not implement "
                     "(known: gpt2, llama-bpe, qwen2)");

    v.bos = g.tokenId("tokenizer.ggml.bos_token_id", -1, n);
    v.eos = g.tokenId("tokenizer.ggml.eos_token_id", -1, n);
    v.unk = g.tokenId("tokenizer.ggml.unknown_token_id", -1, n);
    markSpecial(v.types, v.bos, TokenType::Control);
    markSpecial(v.types, v.eos, TokenType::Control);
    v.addBos = g.flag("tokenizer.ggml.add_bos_token", false);
    v.addPrefixSpace = g.flag("tokenizer.ggml.add_space_prefix", false);
    return v;
}

} // namespace cwb
