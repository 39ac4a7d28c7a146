// SPDX-License-Identifier: MIT
// BPE vocabularies from Hugging Face files: vocab.json + merges.txt, tokenizer.json
// (+ tokenizer_config.json). Layouts in bpe_vocab.h.
#include "tokenizer/bpe_vocab.h"

#include "io/json_meta.h"
#include "util/error.h"
#include "util/mapped_file.h"

#include <nlohmann/json.hpp>

#include <initializer_list>

namespace cwb {

namespace {

using nlohmann::json;


// Split patterns of tokenizer.json pre-tokenizers this workbench implements (pretokenize.h).
constexpr std::string_view kGpt2Pattern
    = R"re('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)re";
constexpr std::string_view kLlama3Pattern
    = R"re((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+)re"
      R"re(|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)re";
constexpr std::string_view kQwen2Pattern
    = R"re((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+)re"
      R"re(|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)re";

json parseFile(const std::string &path, std::string_view what)
{
    const auto file = io::MappedFile::open(path);
    const auto bytes = file->bytes();
    const std::string_view text(reinterpret_cast<const char *>(bytes.data()), bytes.size());
    return io::parseJsonTextSorted(text, path, 0, what);
}

// Tokens by id, filled from a vocabulary object and added tokens; ids must end up 0..n-1.
class TokenTable {
public:
    TokenTable(std::string source, size_t maxEntries) : source_(std::move(source)), max_(maxEntries)
    {
    }

    void put(const json &idValue, const std::string &text, TokenType type, const std::string &field)
    {
        if (!idValue.is_number_integer())
            throwIn(source_,
                    field + " id is " + std::string(idValue.type_name()) + ", expected an integer");
        const auto id = idValue.get<int64_t>();
        // Every id below the number of entries must be used, so no id can exceed it.
        if (id < 0 || static_cast<uint64_t>(id) >= max_)
            throwIn(source_,
                    field + " has id " + std::to_string(id) + ", outside 0.."
                        + std::to_string(max_ == 0 ? 0 : max_ - 1));
        const auto i = static_cast<size_t>(id);
        if (i >= tokens_.size()) {
            tokens_.resize(i + 1);
            types_.resize(i + 1, TokenType::Normal);
            present_.resize(i + 1, false);
        }
        if (present_[i]) {
            if (tokens_[i] != text)
                throwIn(source_,
                        field + " has id " + std::to_string(id) + ", already taken by \""
                            + tokens_[i] + "\"");
        }
        tokens_[i] = text;
        present_[i] = true;
        if (type != TokenType::Normal)
            types_[i] = type;
    }

    void finish(BpeVocab &v)
    {
        for (size_t i = 0; i < present_.size(); ++i)
            if (!present_[i])
                throwIn(source_,
                        "no token has id " + std::to_string(i) + " (ids must be 0.."
                            + std::to_string(present_.size() - 1) + " without gaps)");
        v.tokens = std::move(tokens_);
        v.types = std::move(types_);
    }

private:
    std::string source_;
    size_t max_;
    std::vector<std::string> tokens_;
    std::vector<TokenType> types_;
    std::vector<bool> present_;
};

void putVocab(TokenTable &table, const json &vocab, const std::string &field)
{
    for (auto it = vocab.begin(); it != vocab.end(); ++it)
        table.put(it.value(), it.key(), TokenType::Normal, field + " entry \"" + it.key() + "\"");
}

int32_t findToken(const BpeVocab &v, std::string_view text)
{
    for (size_t i = 0; i < v.tokens.size(); ++i)
        if (v.tokens[i] == text)
            return static_cast<int32_t>(i);
    return -1;
}

int32_t firstPresent(const BpeVocab &v, std::initializer_list<std::string_view> names)
{
    for (const auto name : names)
        if (const int32_t id = findToken(v, name); id >= 0)
            return id;
    return -1;
}

const json *member(const json &object, const char *key)
{
    if (!object.is_object())
        return nullptr;
    const auto it = object.find(key);
    return it == object.end() || it->is_null() ? nullptr : &*it;
}

std::string stringMember(const json &object, const char *key, const std::string &fallback = {})
{
    const json *v = member(object, key);
    return v && v->is_string() ? v->get<std::string>() : fallback;
}

bool boolMember(const json &object, const char *key, bool fallback)
{
    const json *v = member(object, key);
    return v && v->is_boolean() ? v->get<bool>() : fallback;
}

// A component and, for a {"type": "Sequence"}, its parts, flattened.
void flatten(const json *node, const char *listKey, std::vector<const json *> &out)
{
    if (!node)
        return;
    if (stringMember(*node, "type") == "Sequence") {
        if (const json *list = member(*node, listKey); list && list->is_array())
            for (const json &part : *list)
                flatten(&part, listKey, out);
        return;
    }
    out.push_back(node);
}

// Byte-level: ByteLevel (its own GPT-2 regex) or Split(known regex) + ByteLevel(use_regex false).
// SentencePiece-style: Metaspace, or no pre-tokenizer with Prepend/Replace normalizers.
void readPipeline(const json &root, const std::string &path, BpeVocab &v)
{
    std::vector<const json *> pre;
    flatten(member(root, "pre_tokenizer"), "pretokenizers", pre);
    std::vector<const json *> norm;
    flatten(member(root, "normalizer"), "normalizers", norm);

    bool byteLevel = false;
    for (const json *p : pre)
        byteLevel = byteLevel || stringMember(*p, "type") == "ByteLevel";
    v.byteLevel = byteLevel;

    if (byteLevel) {
        bool split = false;
        v.pre = PreTokenizer::None;
        for (const json *p : pre) {
            const std::string type = stringMember(*p, "type");
            if (type == "ByteLevel") {
                v.addPrefixSpace = boolMember(*p, "add_prefix_space", false);
                if (boolMember(*p, "use_regex", true) && !split)
                    v.pre = PreTokenizer::Gpt2, split = true;
            } else if (type == "Split") {
                const json *pattern = member(*p, "pattern");
                const std::string regex = pattern ? stringMember(*pattern, "Regex") : std::string();
                if (regex == kGpt2Pattern)
                    v.pre = PreTokenizer::Gpt2;
                else if (regex == kLlama3Pattern)
                    v.pre = PreTokenizer::Llama3;
                else if (regex == kQwen2Pattern)
                    v.pre = PreTokenizer::Qwen2;
                else
                    throwIn(
                        path,
                        "pre_tokenizer: Split pattern \"" + regex
                            + "\" is not one this workbench implements (GPT-2, Llama 3, Qwen2)");
                if (split)
                    throwIn(path, "pre_tokenizer: more than one splitting step");
                split = true;
            } else {
                throwIn(path, "pre_tokenizer: \"" + type + "\" is not supported with ByteLevel");
            }
        }
        for (const json *n : norm)
            throwIn(path,
                    "normalizer: \"" + stringMember(*n, "type")
                        + "\" is not supported with ByteLevel");
        return;
    }

    v.pre = PreTokenizer::None;
    bool escapesSpaces = false;
    for (const json *p : pre) {
        const std::string type = stringMember(*p, "type");
        if (type != "Metaspace")
            throwIn(path,
                    "pre_tokenizer: \"" + type
                        + "\" is not supported (expected ByteLevel or Metaspace)");
        if (stringMember(*p, "replacement", std::string(kSpaceMark)) != kSpaceMark)
            throwIn(path, "pre_tokenizer.replacement: only U+2581 is supported");
        const std::string scheme = stringMember(*p, "prepend_scheme", "always");
        v.addPrefixSpace = boolMember(*p, "add_prefix_space", scheme != "never");
        if (boolMember(*p, "split", true))
            v.pre = PreTokenizer::MetaspaceSplit;
        escapesSpaces = true;
    }
    for (const json *n : norm) {
        const std::string type = stringMember(*n, "type");
        const json *pattern = member(*n, "pattern");
        if (type == "Prepend" && stringMember(*n, "prepend") == kSpaceMark) {
            v.addPrefixSpace = true;
        } else if (type == "Replace" && pattern && stringMember(*pattern, "String") == " "
                   && stringMember(*n, "content") == kSpaceMark) {
            escapesSpaces = true;
        } else {
            throwIn(path, "normalizer: \"" + type + "\" is not supported");
        }
    }
    if (!escapesSpaces)
        throwIn(path,
                "pre_tokenizer: neither ByteLevel nor Metaspace (nor a normalizer that turns "
                "spaces into U+2581): not a BPE layout this workbench reads");
}

// The token a JSON value names: "text" or {"content": "text"}.
std::string tokenName(const json &value)
{
    if (value.is_string())
        return value.get<std::string>();
    return stringMember(value, "content");
}

void readSpecialIds(const json &root, const json *config, const std::string &path, BpeVocab &v)
{
    // BOS that the post-processor puts first: {"single": [{"SpecialToken": {"id": "<s>"}}, ...]}.
    std::vector<const json *> post;
    flatten(member(root, "post_processor"), "processors", post);
    for (const json *p : post) {
        if (stringMember(*p, "type") != "TemplateProcessing")
            continue;
        const json *single = member(*p, "single");
        if (!single || !single->is_array() || single->empty())
            continue;
        if (const json *special = member(single->front(), "SpecialToken")) {
            const std::string name = stringMember(*special, "id");
            v.bos = findToken(v, name);
            if (v.bos < 0)
                throwIn(path,
                        "post_processor: template token \"" + name + "\" is not in the vocabulary");
            v.addBos = true;
        }
    }
    if (config) {
        if (const json *b = member(*config, "bos_token")) {
            if (const int32_t id = findToken(v, tokenName(*b)); id >= 0)
                v.bos = id;
        }
        if (const json *e = member(*config, "eos_token")) {
            if (const int32_t id = findToken(v, tokenName(*e)); id >= 0)
                v.eos = id;
        }
        v.addBos = boolMember(*config, "add_bos_token", v.addBos);
    }
    if (v.bos < 0)
        v.bos = firstPresent(v, {"<s>", "<|begin_of_text|>", "<|endoftext|>"});
    if (v.eos < 0)
        v.eos = firstPresent(v, {"</s>", "<|end_of_text|>", "<|endoftext|>"});
}

} // namespace

BpeVocab readVocabJsonMerges(const std::string &vocabJson, const std::string &mergesTxt)
{
    BpeVocab v;
    v.source = vocabJson;
    const json vocab = parseFile(vocabJson, "vocab.json");
    if (!vocab.is_object())
        throwIn(vocabJson,
                "expected a JSON object {\"token\": id}, found " + std::string(vocab.type_name()));
    TokenTable table(vocabJson, vocab.size());
    putVocab(table, vocab, "vocab.json");
    table.finish(v);

    const auto file = io::MappedFile::open(mergesTxt);
    const auto bytes = file->bytes();
    const std::string_view text(reinterpret_cast<const char *>(bytes.data()), bytes.size());
    size_t lineNo = 0;
    for (size_t at = 0; at < text.size();) {
        size_t end = text.find('\n', at);
        if (end == std::string_view::npos)
            end = text.size();
        std::string_view line = text.substr(at, end - at);
        ++lineNo;
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        if (!line.empty() && !line.starts_with("#version")) {
            const size_t space = line.find(' ');
            if (space == 0 || space == std::string_view::npos || space + 1 == line.size()
                || line.find(' ', space + 1) != std::string_view::npos)
                throwAt(mergesTxt, at,
                        "line " + std::to_string(lineNo)
                            + ": expected two tokens separated by one space");
            v.merges.emplace_back(std::string(line.substr(0, space)),
                                  std::string(line.substr(space + 1)));
        }
        at = end + 1;
    }

    // GPT-2's one special token is both the start and the end of a document.
    if (const int32_t eot = findToken(v, "<|endoftext|>"); eot >= 0) {
        v.bos = v.eos = eot;
        v.types[static_cast<size_t>(eot)] = TokenType::Control;
    }
    return v;
}

BpeVocab readTokenizerJson(const std::string &tokenizerJson, const std::string &configJson)
{
    const std::string &path = tokenizerJson;
    const json root = parseFile(path, "tokenizer.json");
    const json *model = member(root, "model");
    if (!model || !model->is_object())
        throwIn(path, "field \"model\" is missing or not an object");
    const std::string type = stringMember(*model, "type", "BPE");
    if (type != "BPE")
        throwIn(path, "model.type is \"" + type + "\"; only BPE is supported here");
    const json *vocab = member(*model, "vocab");
    if (!vocab || !vocab->is_object())
        throwIn(path, "field \"model.vocab\" is missing or not an object {\"token\": id}");
    const json *merges = member(*model, "merges");
    if (!merges || !merges->is_array())
        throwIn(path, "field \"model.merges\" is missing or not an array");
    const json *added = member(root, "added_tokens");
    if (added && !added->is_array())
        throwIn(path, "field \"added_tokens\" is not an array");

    BpeVocab v;
    v.source = path;
    TokenTable table(path, vocab->size() + (added ? added->size() : 0));
    putVocab(table, *vocab, "model.vocab");
    if (added) {
        for (size_t i = 0; i < added->size(); ++i) {
            const json &t = (*added)[i];
            const std::string field = "added_tokens[" + std::to_string(i) + "]";
            const json *content = member(t, "content");
            const json *id = member(t, "id");
            if (!content || !content->is_string() || !id)
                throwIn(path, field + " needs a string \"content\" and an \"id\"");
            table.put(*id, content->get<std::string>(),
                      boolMember(t, "special", false) ? TokenType::Control : TokenType::UserDefined,
                      field);
        }
    }
    table.finish(v);

    v.merges.reserve(merges->size());
    for (size_t i = 0; i < merges->size(); ++i) {
        const json &m = (*merges)[i];
        const std::string field = "model.merges[" + std::to_string(i) + "]";
        if (m.is_string()) {
            const auto s = m.get<std::string>();
            const size_t space = s.find(' ');
            if (space == 0 || space == std::string::npos || space + 1 == s.size()
                || s.find(' ', space + 1) != std::string::npos)
                throwIn(path,
                        field + " is \"" + s + "\", expected two tokens separated by one space");
            v.merges.emplace_back(s.substr(0, space), s.substr(space + 1));
        } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
            v.merges.emplace_back(m[0].get<std::string>(), m[1].get<std::string>());
        } else {
            throwIn(path, field + " is neither \"a b\" nor [\"a\", \"b\"]");
        }
    }
    v.ignoreMerges = boolMember(*model, "ignore_merges", false);
    if (const std::string unk = stringMember(*model, "unk_token"); !unk.empty())
        v.unk = findToken(v, unk);
    if (v.unk >= 0)
        v.types[static_cast<size_t>(v.unk)] = TokenType::Unknown;

    readPipeline(root, path, v);
    if (!v.byteLevel) // byte-fallback pieces decode to their byte
        for (size_t i = 0; i < v.tokens.size(); ++i)
            if (v.types[i] == TokenType::Normal && byteTokenValue(v.tokens[i]) >= 0)
                v.types[i] = TokenType::Byte;

    json config;
    if (!configJson.empty())
        config = parseFile(configJson, "tokenizer_config.json");
    readSpecialIds(root, configJson.empty() ? nullptr : &config, path, v);
    return v;
}

} // namespace cwb
