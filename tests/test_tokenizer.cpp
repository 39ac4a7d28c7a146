// SPDX-License-Identifier: MIT
// Tokenizers: the SentencePiece-style BPE (llama2.c tokenizer.bin and GGUF vocabularies) against
// the oracles in reference/stories260K_reference.json, against llama2.c's own algorithm
// (spm_reference.h) and against the real SentencePiece library on whole WikiText-2; byte-level
// BPE on a hand-made GPT-2 vocabulary whose ids are derived by hand, in all three file forms;
// round trips; and bad input of every kind, each a cwb::Error naming file, field or offset.

#include "io/open_model.h"
#include "model/model.h"
#include "test_support.h"
#include "tokenizer/bpe_tokenizer.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/pretokenize.h"
#include "tokenizer/scored_vocab.h"
#include "tokenizer/spm_reference.h"
#include "tokenizer/spm_tokenizer.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/unicode_class.h"
#include "tokenizer/utf8.h"
#include "util/error.h"

#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QTest>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

Q_DECLARE_METATYPE(std::string)
Q_DECLARE_METATYPE(std::vector<int32_t>)
Q_DECLARE_METATYPE(std::vector<std::string>)

namespace {

using Ids = std::vector<int32_t>;
using cwb::MetaValue;

std::string readFile(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void writeFile(const std::string &path, std::string_view bytes)
{
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

const nlohmann::json &reference()
{
    static const nlohmann::json j = [] {
        const std::string path = cwbtest::sharedPath("reference/stories260K_reference.json");
        return path.empty() ? nlohmann::json() : nlohmann::json::parse(readFile(path));
    }();
    return j;
}

cwb::Model modelWithTokenizer(std::string kind, std::vector<std::string> files)
{
    cwb::Model m;
    m.path = files.empty() ? std::string("synthetic model") : files.front();
    m.tokenizer.kind = std::move(kind);
    m.tokenizer.files = std::move(files);
    return m;
}

std::unique_ptr<cwb::Tokenizer> openKind(const std::string &kind, std::vector<std::string> files)
{
    return cwb::loadTokenizer(modelWithTokenizer(kind, std::move(files)));
}

// The first `n` Unicode characters of `text`.
std::string firstChars(const std::string &text, size_t n)
{
    size_t pos = 0;
    for (size_t i = 0; i < n && pos < text.size(); ++i)
        pos += cwb::utf8::sequenceLength(static_cast<unsigned char>(text[pos]));
    return text.substr(0, pos);
}

MetaValue arrayOf(std::string typeName, std::vector<MetaValue> items)
{
    MetaValue v;
    v.kind = MetaValue::Kind::Array;
    v.typeName = std::move(typeName);
    v.array = std::move(items);
    return v;
}

MetaValue stringArray(const std::vector<std::string> &items)
{
    std::vector<MetaValue> v;
    for (const auto &s : items)
        v.push_back(MetaValue::ofString(s));
    return arrayOf("array[string]", std::move(v));
}

MetaValue intArray(const std::vector<int> &items)
{
    std::vector<MetaValue> v;
    for (const int x : items)
        v.push_back(MetaValue::ofInt(x, "i32"));
    return arrayOf("array[i32]", std::move(v));
}

// ---- A tiny GPT-2 style vocabulary, written independently of core/tokenizer/byte_level ----
// Ids 0..255 are the 256 byte symbols in GPT-2's order: printable bytes '!'..'~', 0xA1..0xAC,
// 0xAE..0xFF (each spelled as itself), then the remaining bytes ascending, spelled U+0100,
// U+0101, ... So 'a' = 64, 't' = 83, ' ' ("Ġ") = 220, '\n' ("Ċ") = 198, 0xC3 = 127, 0xA9 = 102.
// Ids 256.. are the merge results below, in rank order; 276 is <|endoftext|>.
struct TinyGpt2 {
    std::vector<std::string> tokens;
    std::vector<std::pair<std::string, std::string>> merges;
};

std::string utf8Of(char32_t cp)
{
    std::string s;
    cwb::utf8::append(s, cp);
    return s;
}

const TinyGpt2 &tinyGpt2()
{
    static const TinyGpt2 t = [] {
        TinyGpt2 g;
        std::vector<int> order;
        std::vector<bool> used(256, false);
        for (int b = 0; b < 256; ++b)
            if ((b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255))
                order.push_back(b), used[b] = true;
        std::vector<std::string> spelled(256);
        for (int b : order)
            spelled[b] = utf8Of(static_cast<char32_t>(b));
        char32_t next = 0x100;
        for (int b = 0; b < 256; ++b)
            if (!used[b])
                order.push_back(b), spelled[b] = utf8Of(next++);
        for (int b : order)
            g.tokens.push_back(spelled[b]);
        const std::string G = utf8Of(0x120), C = utf8Of(0x10A); // "Ġ" space, "Ċ" newline
        g.merges = {{G, "t"},        {"h", "e"},      {G + "t", "he"}, {"i", "n"},  {G, "c"},
                    {"a", "t"},      {G + "c", "at"}, {"o", "n"},      {"'", "s"},  {G, "s"},
                    {G + "s", "at"}, {G, "on"},       {"1", "2"},      {"12", "3"}, {G, "123"},
                    {C, C},          {G, G},          {"t", "h"},      {"a", "a"},  {"aa", "a"}};
        for (const auto &[a, b] : g.merges)
            g.tokens.push_back(a + b);
        g.tokens.push_back("<|endoftext|>");
        return g;
    }();
    return t;
}

// Hand-derived ids (see the comments on each row in gpt2Ids_data).
struct Gpt2Files {
    std::string vocabJson, mergesTxt, tokenizerJsonStrings, tokenizerJsonPairs;
};

Gpt2Files writeTinyGpt2(const QString &dir)
{
    const auto &g = tinyGpt2();
    nlohmann::json vocab = nlohmann::json::object();
    for (size_t i = 0; i < g.tokens.size(); ++i)
        vocab[g.tokens[i]] = i;
    std::string merges = "#version: 0.2\n";
    nlohmann::json mergeStrings = nlohmann::json::array(), mergePairs = nlohmann::json::array();
    for (const auto &[a, b] : g.merges) {
        merges += a + " " + b + "\n";
        mergeStrings.push_back(a + " " + b);
        mergePairs.push_back({a, b});
    }
    Gpt2Files f;
    const std::string base = dir.toStdString() + "/";
    f.vocabJson = base + "vocab.json";
    f.mergesTxt = base + "merges.txt";
    writeFile(f.vocabJson, vocab.dump());
    writeFile(f.mergesTxt, merges);

    nlohmann::json tj;
    tj["version"] = "1.0";
    tj["added_tokens"] = {{{"id", 276}, {"content", "<|endoftext|>"}, {"special", true}},
                          {{"id", 277}, {"content", "<sep>"}, {"special", false}}};
    tj["normalizer"] = nullptr;
    tj["pre_tokenizer"] = {{"type", "ByteLevel"},
                           {"add_prefix_space", false},
                           {"trim_offsets", true},
                           {"use_regex", true}};
    tj["post_processor"]
        = {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", false}};
    tj["decoder"] = {{"type", "ByteLevel"}};
    tj["model"] = {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", nullptr}, {"vocab", vocab}};
    tj["model"]["merges"] = mergeStrings;
    f.tokenizerJsonStrings = base + "tokenizer-strings.json";
    writeFile(f.tokenizerJsonStrings, tj.dump(1));
    tj["model"]["merges"] = mergePairs;
    f.tokenizerJsonPairs = base + "tokenizer-pairs.json";
    writeFile(f.tokenizerJsonPairs, tj.dump());
    return f;
}

cwb::Model tinyGpt2Gguf()
{
    const auto &g = tinyGpt2();
    std::vector<std::string> merges;
    for (const auto &[a, b] : g.merges)
        merges.push_back(a + " " + b);
    std::vector<int> types(g.tokens.size(), 1);
    types.back() = 3; // <|endoftext|> is a control token
    cwb::Model m = modelWithTokenizer("gguf", {});
    m.path = "tiny-gpt2.gguf";
    m.metadata = {{"tokenizer.ggml.model", MetaValue::ofString("gpt2")},
                  {"tokenizer.ggml.pre", MetaValue::ofString("gpt2")},
                  {"tokenizer.ggml.tokens", stringArray(g.tokens)},
                  {"tokenizer.ggml.token_type", intArray(types)},
                  {"tokenizer.ggml.merges", stringArray(merges)},
                  {"tokenizer.ggml.bos_token_id", MetaValue::ofUInt(276, "u32")},
                  {"tokenizer.ggml.eos_token_id", MetaValue::ofUInt(276, "u32")}};
    return m;
}

// A SentencePiece-style GGUF vocabulary with a deliberately broken field (or none).
cwb::Model llamaGguf(const std::string &breakWhat)
{
    std::vector<std::string> tokens{"<unk>", "<s>", "</s>"};
    for (int b = 0; b < 256; ++b) {
        char name[8];
        std::snprintf(name, sizeof name, "<0x%02X>", b);
        tokens.push_back(name);
    }
    tokens.push_back("\xE2\x96\x81");
    tokens.push_back("a");
    std::vector<MetaValue> scores(tokens.size(), MetaValue::ofFloat(0.0, "f32"));
    std::vector<int> types(tokens.size(), 1);
    types[0] = 2, types[1] = types[2] = 3;
    for (int b = 0; b < 256; ++b)
        types[3 + b] = 6;
    if (breakWhat == "scores-length")
        scores.pop_back();
    if (breakWhat == "type-value")
        types[5] = 9;
    cwb::Model m = modelWithTokenizer("gguf", {});
    m.path = "broken.gguf";
    m.metadata = {
        {"tokenizer.ggml.model", MetaValue::ofString(breakWhat == "model" ? "bert" : "llama")},
        {"tokenizer.ggml.scores", arrayOf("array[f32]", scores)},
        {"tokenizer.ggml.token_type", intArray(types)},
        {"tokenizer.ggml.bos_token_id", MetaValue::ofUInt(breakWhat == "bos" ? 4000 : 1, "u32")}};
    if (breakWhat != "tokens-missing")
        m.metadata.push_back({"tokenizer.ggml.tokens",
                              breakWhat == "tokens-type"
                                  ? intArray(std::vector<int>(tokens.size(), 1))
                                  : stringArray(tokens)});
    return m;
}

} // namespace

class TestTokenizer : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void utf8Validation_data();
    void utf8Validation();
    void unicodeClasses();
    void spm32kOracle_data();
    void spm32kOracle();
    void tok512TinyStoriesOracle();
    void spmMatchesSentencePieceOnWikiText();
    void byteLevelBpeOnWikiText();
    void pieceSpellingMatchesSentencePiece();
    void pieceAcrossSpaceKeepsWholeTextMerging();
    void roundTrip_data();
    void roundTrip();
    void emptyText();
    void preTokenizer_data();
    void preTokenizer();
    void byteLevelAlphabet();
    void gpt2Ids_data();
    void gpt2Ids();
    void gpt2AddedTokens();
    void llama3PreTokenizerFromFiles();
    void metaspaceTokenizerJson();
    void invalidUtf8IsAnError();
    void decodeOutOfRange();
    void badLlama2cFiles_data();
    void badLlama2cFiles();
    void badGgufVocabulary_data();
    void badGgufVocabulary();
    void badHfFiles_data();
    void badHfFiles();
    void badSentencePieceFile();
    void missingTokenizer();
};

void TestTokenizer::utf8Validation_data()
{
    QTest::addColumn<std::string>("text");
    QTest::addColumn<qint64>("badAt"); // -1: valid
    QTest::newRow("ascii") << std::string("hello") << qint64(-1);
    QTest::newRow("mixed") << std::string("h\xC3\xA9llo \xE2\x98\x83 \xF0\x9F\x98\x80 \xE4\xB8\xAD")
                           << qint64(-1);
    QTest::newRow("max code point") << std::string("\xF4\x8F\xBF\xBF") << qint64(-1);
    QTest::newRow("truncated 2-byte") << std::string("ab\xC3(") << qint64(2);
    QTest::newRow("truncated at end") << std::string("abc\xE2\x82") << qint64(3);
    QTest::newRow("overlong slash") << std::string("\xC0\xAF") << qint64(0);
    QTest::newRow("overlong 3-byte") << std::string("x\xE0\x80\xAF") << qint64(1);
    QTest::newRow("surrogate") << std::string("ok\xED\xA0\x80") << qint64(2);
    QTest::newRow("beyond U+10FFFF") << std::string("\xF4\x90\x80\x80") << qint64(0);
    QTest::newRow("stray continuation") << std::string("a\x80") << qint64(1);
    QTest::newRow("0xFF") << std::string("abcd\xFF") << qint64(4);
}

void TestTokenizer::utf8Validation()
{
    QFETCH(std::string, text);
    QFETCH(qint64, badAt);
    const size_t bad = cwb::utf8::firstInvalid(text);
    QCOMPARE(bad == std::string_view::npos ? qint64(-1) : qint64(bad), badAt);
    const std::string err = cwbtest::errorOf([&] { cwb::utf8::requireValid(text, "sample"); });
    if (badAt < 0) {
        QVERIFY2(err.empty(), err.c_str());
    } else {
        QVERIFY2(err.find("sample: offset " + std::to_string(badAt) + ": invalid UTF-8 byte 0x")
                     == 0,
                 err.c_str());
    }
}

void TestTokenizer::unicodeClasses()
{
    using namespace cwb::unicode;
    for (const char32_t c :
         {U'a', U'Z', U'é', U'ß', U'Ω', U'ж', U'א', U'ع', U'中', U'あ', U'한', U'ǅ', U'\U00020000'})
        QVERIFY2(isLetter(c) && !isNumber(c) && !isWhitespace(c),
                 qPrintable(QString::number(uint(c), 16)));
    for (const char32_t c : {U'0', U'9', U'٣', U'½', U'Ⅻ', U'①', U'\U0001D7CE'})
        QVERIFY2(isNumber(c) && !isLetter(c), qPrintable(QString::number(uint(c), 16)));
    for (const char32_t c : {U' ', U'\t', U'\n', U'\r', U'\u00A0', U'\u2003', U'\u3000'})
        QVERIFY2(isWhitespace(c) && !isLetter(c), qPrintable(QString::number(uint(c), 16)));
    // Punctuation, symbols, combining marks and emoji are none of the three.
    for (const char32_t c : {U'!', U'\'', U'€', U'☃', U'\u0301', U'\U0001F600', U'\u200B'})
        QVERIFY2(!isLetter(c) && !isNumber(c) && !isWhitespace(c),
                 qPrintable(QString::number(uint(c), 16)));
}

void TestTokenizer::spm32kOracle_data()
{
    QTest::addColumn<std::string>("text");
    QTest::addColumn<Ids>("expected");
    const auto &rows = reference()["tokenizer_32k"];
    if (!rows.is_array() || rows.empty())
        QTest::newRow("missing reference") << std::string() << Ids{-1};
    for (const auto &row : rows)
        QTest::newRow(row["text"].get<std::string>().c_str())
            << row["text"].get<std::string>() << row["sentencepiece_ids"].get<Ids>();
}

void TestTokenizer::spm32kOracle()
{
    QFETCH(std::string, text);
    QFETCH(Ids, expected);
    CWB_SHARED_FILE(bin, "models/llama2c-tokenizer-32k/tokenizer.bin");
    CWB_SHARED_FILE(model, "models/llama2c-tokenizer-32k/tokenizer.model");
    QVERIFY2(expected != Ids{-1}, "reference/stories260K_reference.json has no tokenizer_32k rows");

    const auto spm = openKind("llama2c-bin", {bin});
    QCOMPARE(spm->kind(), std::string("llama2c-bin"));
    QCOMPARE(spm->vocabSize(), 32000);
    QCOMPARE(spm->encode(text, false), expected);
    Ids withBos{1};
    withBos.insert(withBos.end(), expected.begin(), expected.end());
    QCOMPARE(spm->encode(text, true), withBos);
    QCOMPARE(spm->decode(withBos), text);

    // llama2.c's own algorithm on the same vocabulary.
    const cwb::ScoredVocab vocab = cwb::readLlama2cVocab(bin);
    QCOMPARE(cwb::encodeLlama2cStyle(vocab, text, false), expected);

    // The real SentencePiece library on tokenizer.model.
    const auto lib = openKind("sentencepiece", {model});
    QCOMPARE(lib->kind(), std::string("sentencepiece"));
    QCOMPARE(lib->encode(text, false), expected);
    QCOMPARE(lib->encode(text, true), withBos);
    QCOMPARE(lib->decode(withBos), text);
}

void TestTokenizer::tok512TinyStoriesOracle()
{
    CWB_SHARED_FILE(tok512, "models/stories260K/tok512.bin");
    CWB_SHARED_FILE(gguf, "models/stories260K/stories260K.gguf");
    CWB_SHARED_FILE(stories, "data/tinystories/tinystories_validation_head.txt");
    const auto &oracle = reference()["stories260K_ppl_tinystories_head"];
    QVERIFY2(oracle.is_object(),
             "reference/stories260K_reference.json lacks stories260K_ppl_tinystories_head");
    const std::string text = firstChars(readFile(stories), 20000);

    const auto bin = openKind("llama2c-bin", {tok512});
    const Ids ids = bin->encode(text, true);
    QCOMPARE(qint64(ids.size()), oracle["n_tokens"].get<qint64>());
    const auto first24 = oracle["first_24_ids"].get<Ids>();
    QCOMPARE(Ids(ids.begin(), ids.begin() + 24), first24);
    QCOMPARE(bin->decode(ids), text);

    // The GGUF copy of the vocabulary, through the model reader.
    const cwb::Model model = cwb::io::openModel(gguf);
    QCOMPARE(model.tokenizer.kind, std::string("gguf"));
    const auto fromGguf = cwb::loadTokenizer(model);
    QCOMPARE(fromGguf->kind(), std::string("spm-gguf"));
    QCOMPARE(fromGguf->vocabSize(), 512);
    QCOMPARE(fromGguf->bos(), 1);
    QCOMPARE(fromGguf->eos(), 2);
    QVERIFY(fromGguf->addsBos());
    QCOMPARE(fromGguf->encode(text, true), ids);

    // llama2.c's quadratic algorithm: same ids.
    QCOMPARE(cwb::encodeLlama2cStyle(cwb::readLlama2cVocab(tok512), text, true), ids);
}

void TestTokenizer::spmMatchesSentencePieceOnWikiText()
{
    CWB_SHARED_FILE(bin, "models/llama2c-tokenizer-32k/tokenizer.bin");
    CWB_SHARED_FILE(model, "models/llama2c-tokenizer-32k/tokenizer.model");
    CWB_SHARED_FILE(wiki, "data/wikitext-2/wiki.test.raw");
    const std::string text = readFile(wiki);
    QCOMPARE(text.size(), size_t(1290590));
    const auto spm = openKind("llama2c-bin", {bin});
    const auto lib = openKind("sentencepiece", {model});

    QElapsedTimer timer;
    timer.start();
    const Ids ours = spm->encode(text, true);
    const double oursSeconds = timer.nsecsElapsed() * 1e-9;
    timer.restart();
    const Ids theirs = lib->encode(text, true);
    const double libSeconds = timer.nsecsElapsed() * 1e-9;
    qInfo("WikiText-2 test raw (%zu bytes), 32k vocabulary: %zu tokens; SpmTokenizer %.3f s "
          "(%.1f MB/s), SentencePiece library %.3f s",
          text.size(), ours.size(), oursSeconds, text.size() / oursSeconds / 1e6, libSeconds);

    QCOMPARE(ours.size(), theirs.size());
    for (size_t i = 0; i < ours.size(); ++i)
        if (ours[i] != theirs[i])
            QFAIL(qPrintable(QStringLiteral("first difference at token %1: %2 vs %3")
                                 .arg(i)
                                 .arg(ours[i])
                                 .arg(theirs[i])));
    QCOMPARE(spm->decode(ours), text);
}

void TestTokenizer::byteLevelBpeOnWikiText()
{
    // The whole file through the pre-tokenizer and the merge loop of the tiny GPT-2 vocabulary:
    // every byte must come back, and a repeated word gets the same ids as on its own.
    CWB_SHARED_FILE(wiki, "data/wikitext-2/wiki.test.raw");
    const std::string text = readFile(wiki);
    const auto t = cwb::loadTokenizer(tinyGpt2Gguf());
    QElapsedTimer timer;
    timer.start();
    const Ids ids = t->encode(text, false);
    const double seconds = timer.nsecsElapsed() * 1e-9;
    qInfo("WikiText-2 test raw through the tiny GPT-2 vocabulary: %zu tokens in %.3f s (%.1f MB/s)",
          ids.size(), seconds, text.size() / seconds / 1e6);
    QCOMPARE(t->decode(ids), text);
    QVERIFY(ids.size() > text.size() / 2); // a 20-merge vocabulary barely compresses
    const Ids word = t->encode(" the", false);
    QCOMPARE(word, Ids{258});
    const Ids twice = t->encode("the cat the cat", false);
    QCOMPARE(twice, (Ids{83, 257, 262, 258, 262}));
}

void TestTokenizer::pieceSpellingMatchesSentencePiece()
{
    CWB_SHARED_FILE(bin, "models/llama2c-tokenizer-32k/tokenizer.bin");
    CWB_SHARED_FILE(model, "models/llama2c-tokenizer-32k/tokenizer.model");
    const auto spm = openKind("llama2c-bin", {bin});
    const auto lib = openKind("sentencepiece", {model});
    QCOMPARE(spm->vocabSize(), lib->vocabSize());
    for (int32_t id = 0; id < spm->vocabSize(); ++id)
        if (spm->tokenText(id) != lib->tokenText(id))
            QFAIL(qPrintable(QStringLiteral("piece %1: \"%2\" vs \"%3\"")
                                 .arg(id)
                                 .arg(QString::fromStdString(spm->tokenText(id)),
                                      QString::fromStdString(lib->tokenText(id)))));
    QCOMPARE(spm->tokenText(13), std::string("<0x0A>"));
    QCOMPARE(spm->tokenText(1), std::string("<s>"));
    QCOMPARE(spm->tokenText(29871), std::string("\xE2\x96\x81"));
    QCOMPARE(spm->bos(), lib->bos());
    QCOMPARE(spm->eos(), lib->eos());
}

void TestTokenizer::pieceAcrossSpaceKeepsWholeTextMerging()
{
    // "a▁" and "a▁b" let a merge cross the space, so the text must not be cut into words there:
    // "▁a▁b" -> (a,▁) scores -1, better than (▁,a) at -2 -> [▁, a▁, b] -> (a▁,b) -> [▁, a▁b].
    // Cutting before the second ▁ would give [▁a, ▁, b] instead.
    const std::string S = "\xE2\x96\x81";
    cwb::ScoredVocab v;
    v.source = "hand-made vocabulary";
    v.pieces = {"<unk>", "<s>", "</s>", S, "a", "b", S + "a", "a" + S, "a" + S + "b"};
    v.scores = {0, 0, 0, -5, -5, -5, -2, -1, 0};
    v.types = {cwb::TokenType::Unknown, cwb::TokenType::Control, cwb::TokenType::Control};
    v.types.resize(v.pieces.size(), cwb::TokenType::Normal);
    v.unk = 0, v.bos = 1, v.eos = 2;
    const cwb::SpmTokenizer t(v, "spm-test");
    QCOMPARE(t.encode("a b", false), (Ids{3, 8}));
    QCOMPARE(cwb::encodeLlama2cStyle(v, "a b", false), (Ids{3, 8}));
    QCOMPARE(t.decode(Ids{3, 8}), std::string("a b"));
    // Without those two pieces the same text is cut into words, with the same ids as before.
    v.pieces.resize(7), v.scores.resize(7), v.types.resize(7);
    const cwb::SpmTokenizer words(v, "spm-test");
    QCOMPARE(words.encode("a b a", false), (Ids{6, 3, 5, 6}));
    QCOMPARE(cwb::encodeLlama2cStyle(v, "a b a", false), (Ids{6, 3, 5, 6}));
}

void TestTokenizer::roundTrip_data()
{
    QTest::addColumn<std::string>("text");
    QTest::newRow("ascii") << std::string("Once upon a time, there was a little girl named Lily.");
    QTest::newRow("spaces") << std::string("  leading, double  inner and trailing  ");
    QTest::newRow("newlines and tabs") << std::string("line one\n\nline\ttwo\r\n = heading = \n");
    QTest::newRow("latin accents")
        << std::string("h\xC3\xA9llo na\xC3\xAFve caf\xC3\xA9 \xC3\x85ngstr\xC3\xB6m");
    QTest::newRow("snowman") << std::string("snow \xE2\x98\x83 man");
    QTest::newRow("cjk") << std::string(
        "\xE4\xB8\xAD\xE6\x96\x87\xE6\xB5\x8B\xE8\xAF\x95 \xE3\x81\x82\xE3\x81\x84");
    QTest::newRow("emoji") << std::string("smile \xF0\x9F\x98\x80\xF0\x9F\x8E\x89!");
    QTest::newRow("special-looking text") << std::string("<s> is text, so is </s> and <0x41>");
    QTest::newRow("digits and punctuation") << std::string("1,234.5e-6 -- it's (ok)? [yes]!");
    QTest::newRow("single space") << std::string(" ");
}

void TestTokenizer::roundTrip()
{
    QFETCH(std::string, text);
    CWB_SHARED_FILE(tok512, "models/stories260K/tok512.bin");
    CWB_SHARED_FILE(bin, "models/llama2c-tokenizer-32k/tokenizer.bin");
    CWB_SHARED_FILE(model, "models/llama2c-tokenizer-32k/tokenizer.model");
    CWB_SHARED_FILE(gguf, "models/stories260K/stories260K.gguf");
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const Gpt2Files files = writeTinyGpt2(dir.path());

    std::vector<std::unique_ptr<cwb::Tokenizer>> all;
    all.push_back(openKind("llama2c-bin", {tok512}));
    all.push_back(openKind("llama2c-bin", {bin}));
    all.push_back(openKind("sentencepiece", {model}));
    all.push_back(cwb::loadTokenizer(cwb::io::openModel(gguf)));
    all.push_back(openKind("vocab.json+merges.txt", {files.vocabJson, files.mergesTxt}));
    all.push_back(cwb::loadTokenizer(tinyGpt2Gguf()));
    for (const auto &t : all) {
        for (const bool bos : {false, true}) {
            const Ids ids = t->encode(text, bos);
            QVERIFY(!ids.empty());
            QCOMPARE(!ids.empty() && ids.front() == t->bos(), bos && t->addsBos());
            QCOMPARE(t->decode(ids), text);
        }
    }
    // Characters missing from the 512-token vocabulary come back through byte tokens.
    const Ids small = all[0]->encode(text, false);
    for (const int32_t id : small)
        QVERIFY(id != 0); // never <unk>
}

void TestTokenizer::emptyText()
{
    CWB_SHARED_FILE(tok512, "models/stories260K/tok512.bin");
    CWB_SHARED_FILE(model, "models/llama2c-tokenizer-32k/tokenizer.model");
    const auto spm = openKind("llama2c-bin", {tok512});
    QCOMPARE(spm->encode("", true), Ids{1});
    QCOMPARE(spm->encode("", false), Ids{});
    QCOMPARE(spm->decode(Ids{}), std::string());
    QCOMPARE(spm->decode(Ids{1}), std::string());
    const auto lib = openKind("sentencepiece", {model});
    QCOMPARE(lib->encode("", true), Ids{1});
    QCOMPARE(lib->encode("", false), Ids{});
    const auto gpt2 = cwb::loadTokenizer(tinyGpt2Gguf());
    QVERIFY(!gpt2->addsBos());
    QCOMPARE(gpt2->encode("", true), Ids{});
}

void TestTokenizer::preTokenizer_data()
{
    QTest::addColumn<int>("kind");
    QTest::addColumn<std::string>("text");
    QTest::addColumn<std::vector<std::string>>("pieces");
    const int gpt2 = int(cwb::PreTokenizer::Gpt2), llama3 = int(cwb::PreTokenizer::Llama3),
              qwen2 = int(cwb::PreTokenizer::Qwen2);
    using V = std::vector<std::string>;
    QTest::newRow("gpt2 words") << gpt2 << std::string("Hello world") << V{"Hello", " world"};
    QTest::newRow("gpt2 contractions")
        << gpt2 << std::string("it's we'll I'M") << V{"it", "'s", " we", "'ll", " I", "'", "M"};
    QTest::newRow("gpt2 spaces before word") << gpt2 << std::string("a   b") << V{"a", "  ", " b"};
    QTest::newRow("gpt2 trailing spaces") << gpt2 << std::string("a  ") << V{"a", "  "};
    QTest::newRow("gpt2 numbers") << gpt2 << std::string("abc123 4567") << V{"abc", "123", " 4567"};
    QTest::newRow("gpt2 punctuation")
        << gpt2 << std::string("wait... (yes)!") << V{"wait", "...", " (", "yes", ")!"};
    QTest::newRow("gpt2 newlines")
        << gpt2 << std::string("a\n\nb\n") << V{"a", "\n", "\n", "b", "\n"};
    QTest::newRow("gpt2 tab before word") << gpt2 << std::string("\tx") << V{"\t", "x"};
    QTest::newRow("gpt2 unicode letters")
        << gpt2
        << std::string(
               "caf\xC3\xA9 \xCE\xA9\xCE\xBC\xCE\xAD\xCE\xB3\xCE\xB1 \xE4\xB8\xAD\xE6\x96\x87")
        << V{"caf\xC3\xA9", " \xCE\xA9\xCE\xBC\xCE\xAD\xCE\xB3\xCE\xB1",
             " \xE4\xB8\xAD\xE6\x96\x87"};
    QTest::newRow("gpt2 emoji is punctuation")
        << gpt2 << std::string("hi \xF0\x9F\x98\x80\xF0\x9F\x98\x80 x")
        << V{"hi", " \xF0\x9F\x98\x80\xF0\x9F\x98\x80", " x"};
    QTest::newRow("llama3 digits in threes")
        << llama3 << std::string("12345 x") << V{"123", "45", " x"};
    QTest::newRow("llama3 contractions any case")
        << llama3 << std::string("I'M it's") << V{"I", "'M", " it", "'s"};
    QTest::newRow("llama3 punctuation prefix")
        << llama3 << std::string("\"quoted\"") << V{"\"quoted", "\""};
    QTest::newRow("llama3 newline runs")
        << llama3 << std::string("a.\n\n  b") << V{"a", ".\n\n", " ", " b"};
    QTest::newRow("llama3 space then newline")
        << llama3 << std::string("a \n b") << V{"a", " \n", " b"};
    QTest::newRow("qwen2 single digits") << qwen2 << std::string("2024") << V{"2", "0", "2", "4"};
}

void TestTokenizer::preTokenizer()
{
    QFETCH(int, kind);
    QFETCH(std::string, text);
    QFETCH(std::vector<std::string>, pieces);
    std::vector<std::string> got;
    for (const auto p : cwb::preTokenize(text, static_cast<cwb::PreTokenizer>(kind)))
        got.emplace_back(p);
    QCOMPARE(got, pieces);
}

void TestTokenizer::byteLevelAlphabet()
{
    QCOMPARE(cwb::bytelevel::toCodePoint(' '), char32_t(0x120));
    QCOMPARE(cwb::bytelevel::toCodePoint('\n'), char32_t(0x10A));
    QCOMPARE(cwb::bytelevel::toCodePoint('a'), char32_t('a'));
    QCOMPARE(cwb::bytelevel::toCodePoint(0xAD), char32_t(0x143)); // the last of the 68 remapped
    for (int b = 0; b < 256; ++b)
        QCOMPARE(cwb::bytelevel::toByte(cwb::bytelevel::toCodePoint(static_cast<uint8_t>(b))), b);
    QCOMPARE(cwb::bytelevel::toByte(0x2581), -1);
    // Independent spelling in the test's own vocabulary: byte b sits at the id GPT-2 gives it.
    const auto &g = tinyGpt2();
    QCOMPARE(g.tokens[220], cwb::bytelevel::encode(" "));
    QCOMPARE(g.tokens[198], cwb::bytelevel::encode("\n"));
    QCOMPARE(g.tokens[127], cwb::bytelevel::encode("\xC3"));
}

void TestTokenizer::gpt2Ids_data()
{
    QTest::addColumn<std::string>("text");
    QTest::addColumn<Ids>("expected");
    // "the" -> t h e: (h,e) rank 1 beats (t,h) rank 17 -> [t, he]; " cat": (Ġ,c) r4, (a,t) r5,
    // (Ġc,at) r6 -> Ġcat; " sat": at, Ġs, Ġsat; " on": on, Ġon; " the": Ġt, he, Ġthe;
    // " mat": at only -> [Ġ, m, at].
    QTest::newRow("words") << std::string("the cat sat on the mat")
                           << Ids{83, 257, 262, 266, 267, 258, 220, 76, 261};
    // "it" (no merge), "'s" (r8), " " (two spaces before a digit: the first stands alone),
    // " 123": 12 (r12), 123 (r13), Ġ123 (r14); "\n\n": ĊĊ (r15).
    QTest::newRow("contraction digits newlines")
        << std::string("it's  123\n\n") << Ids{72, 83, 264, 220, 270, 271};
    // Ties go to the leftmost pair: "aaa" -> [aa, a] -> aaa; " aaaaa" -> Ġ aa a a a ->
    // Ġ aa aa a -> Ġ aa aaa. (Rightmost-first would leave "aaa" as [a, aa].)
    QTest::newRow("leftmost on ties") << std::string("aaa aaaaa") << Ids{275, 220, 274, 275};
    // Bytes of é (C3 A9) are their own symbols: 0xC3 -> 127, 0xA9 -> 102.
    QTest::newRow("non-ascii bytes") << std::string("caf\xC3\xA9") << Ids{66, 64, 69, 127, 102};
    // Control tokens are not read from text: <|endoftext|> is spelled out byte by byte.
    QTest::newRow("control token stays text")
        << std::string("<|endoftext|>") << Ids{27, 91, 68, 77, 67, 78, 69, 83, 68, 87, 83, 91, 29};
}

void TestTokenizer::gpt2Ids()
{
    QFETCH(std::string, text);
    QFETCH(Ids, expected);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const Gpt2Files f = writeTinyGpt2(dir.path());

    const auto fromFiles = openKind("vocab.json+merges.txt", {f.vocabJson, f.mergesTxt});
    const auto fromJsonStrings = openKind("tokenizer.json", {f.tokenizerJsonStrings});
    const auto fromJsonPairs = openKind("tokenizer.json", {f.tokenizerJsonPairs});
    const auto fromGguf = cwb::loadTokenizer(tinyGpt2Gguf());
    for (const auto *t :
         {fromFiles.get(), fromJsonStrings.get(), fromJsonPairs.get(), fromGguf.get()}) {
        QCOMPARE(t->kind(), std::string("bpe-gpt2"));
        QVERIFY(!t->addsBos());
        QCOMPARE(t->encode(text, true), expected); // the format says no BOS: the request is ignored
        QCOMPARE(t->decode(expected), text);
    }
    QCOMPARE(fromFiles->vocabSize(), 277);
    QCOMPARE(fromJsonStrings->vocabSize(), 278); // + the added <sep>
    QCOMPARE(fromFiles->bos(), 276);
    QCOMPARE(fromFiles->eos(), 276);
    QCOMPARE(fromGguf->eos(), 276);
    QCOMPARE(fromJsonStrings->eos(), 276);
    QCOMPARE(fromFiles->tokenText(262),
             std::string("\xC4\xA0"
                         "cat"));
}

void TestTokenizer::gpt2AddedTokens()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const Gpt2Files f = writeTinyGpt2(dir.path());
    const auto t = openKind("tokenizer.json", {f.tokenizerJsonStrings});
    // The non-special added token is cut out before pre-tokenization; around it: "the" = [t, he],
    // "cat" = [c, at].
    const Ids ids = t->encode("the<sep>cat", false);
    QCOMPARE(ids, (Ids{83, 257, 277, 66, 261}));
    QCOMPARE(t->decode(ids), std::string("the<sep>cat"));
    // The special one decodes to nothing, as BOS/EOS do.
    QCOMPARE(t->decode(Ids{276, 83, 257, 276}), std::string("the"));

    // A BOS template in the post-processor (as Llama 3's tokenizer.json has) makes BOS default.
    nlohmann::json j = nlohmann::json::parse(readFile(f.tokenizerJsonStrings));
    j["post_processor"] = {{"type", "TemplateProcessing"},
                           {"single",
                            {{{"SpecialToken", {{"id", "<|endoftext|>"}, {"type_id", 0}}}},
                             {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}}}};
    const std::string withBos = dir.path().toStdString() + "/with-bos.json";
    writeFile(withBos, j.dump());
    const auto b = openKind("tokenizer.json", {withBos});
    QVERIFY(b->addsBos());
    QCOMPARE(b->bos(), 276);
    QCOMPARE(b->encode("the", true), (Ids{276, 83, 257}));
    QCOMPARE(b->encode("the", false), (Ids{83, 257}));
    // tokenizer_config.json can switch it off again.
    const std::string config = dir.path().toStdString() + "/tokenizer_config.json";
    writeFile(config, R"({"add_bos_token": false})");
    QVERIFY(!openKind("tokenizer.json", {withBos, config})->addsBos());
}

void TestTokenizer::llama3PreTokenizerFromFiles()
{
    // Llama 3 cuts " 123" into " " and "123" (digits never take a space): with the tiny GPT-2
    // vocabulary "x 123" is then [x, Ġ, 123] instead of GPT-2's [x, Ġ123].
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const Gpt2Files f = writeTinyGpt2(dir.path());
    nlohmann::json j = nlohmann::json::parse(readFile(f.tokenizerJsonStrings));
    const std::string llama3
        = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?"
          "[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    j["pre_tokenizer"]
        = {{"type", "Sequence"},
           {"pretokenizers",
            {{{"type", "Split"},
              {"pattern", {{"Regex", llama3}}},
              {"behavior", "Isolated"},
              {"invert", false}},
             {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}}}}};
    j["model"]["ignore_merges"] = true;
    const std::string path = dir.path().toStdString() + "/llama3.json";
    writeFile(path, j.dump());
    const auto fromJson = openKind("tokenizer.json", {path});
    QCOMPARE(fromJson->encode("x 123", false), (Ids{87, 220, 269}));
    QCOMPARE(openKind("tokenizer.json", {f.tokenizerJsonStrings})->encode("x 123", false),
             (Ids{87, 270}));

    cwb::Model gguf = tinyGpt2Gguf();
    for (auto &[key, value] : gguf.metadata)
        if (key == "tokenizer.ggml.pre")
            value = MetaValue::ofString("llama-bpe");
    QCOMPARE(cwb::loadTokenizer(gguf)->encode("x 123", false), (Ids{87, 220, 269}));
    for (auto &[key, value] : gguf.metadata)
        if (key == "tokenizer.ggml.pre")
            value = MetaValue::ofString("deepseek-coder");
    const std::string err = cwbtest::errorOf([&] { (void)cwb::loadTokenizer(gguf); });
    QVERIFY2(err.find("tiny-gpt2.gguf: metadata tokenizer.ggml.pre is \"deepseek-coder\"") == 0,
             err.c_str());
}

void TestTokenizer::metaspaceTokenizerJson()
{
    // SentencePiece-style BPE as Hugging Face stores converted Llama tokenizers: U+2581 for
    // spaces, merges by rank, <0xXX> byte fallback, BOS from the post-processor template.
    std::vector<std::string> tokens{"<unk>", "<s>", "</s>"};
    for (int b = 0; b < 256; ++b) {
        char name[8];
        std::snprintf(name, sizeof name, "<0x%02X>", b);
        tokens.push_back(name);
    }
    const std::string S = "\xE2\x96\x81";
    for (const std::string &t :
         {S, std::string("h"), std::string("e"), std::string("l"), std::string("o"), S + "h",
          std::string("ll"), S + "he", std::string("llo"), S + "hello"})
        tokens.push_back(t); // ids 259..268
    nlohmann::json vocab = nlohmann::json::object();
    for (size_t i = 0; i < tokens.size(); ++i)
        vocab[tokens[i]] = i;
    nlohmann::json j;
    j["added_tokens"] = {{{"id", 0}, {"content", "<unk>"}, {"special", true}},
                         {{"id", 1}, {"content", "<s>"}, {"special", true}},
                         {{"id", 2}, {"content", "</s>"}, {"special", true}}};
    j["normalizer"] = {{"type", "Sequence"},
                       {"normalizers",
                        {{{"type", "Prepend"}, {"prepend", S}},
                         {{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", S}}}}};
    j["pre_tokenizer"] = nullptr;
    j["post_processor"] = {{"type", "TemplateProcessing"},
                           {"single",
                            {{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}},
                             {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}}}};
    j["model"] = {{"type", "BPE"},
                  {"byte_fallback", true},
                  {"unk_token", "<unk>"},
                  {"vocab", vocab},
                  {"merges", {S + " h", "l l", S + "h e", "ll o", S + "he llo"}}};
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const std::string path = dir.path().toStdString() + "/tokenizer.json";
    writeFile(path, j.dump());

    const auto t = openKind("tokenizer.json", {path});
    QCOMPARE(t->kind(), std::string("bpe-metaspace"));
    QVERIFY(t->addsBos());
    // "▁hello▁hello▁é": ▁hello twice, then ▁ and é's two bytes (0xC3 -> 3 + 195, 0xA9 -> 3 + 169).
    const Ids ids = t->encode("hello hello \xC3\xA9", true);
    QCOMPARE(ids, (Ids{1, 268, 268, 259, 198, 172}));
    QCOMPARE(t->decode(ids), std::string("hello hello \xC3\xA9"));
    QCOMPARE(t->encode("", true), Ids{1});
}

void TestTokenizer::invalidUtf8IsAnError()
{
    CWB_SHARED_FILE(tok512, "models/stories260K/tok512.bin");
    CWB_SHARED_FILE(model, "models/llama2c-tokenizer-32k/tokenizer.model");
    std::vector<std::unique_ptr<cwb::Tokenizer>> all;
    all.push_back(openKind("llama2c-bin", {tok512}));
    all.push_back(openKind("sentencepiece", {model}));
    all.push_back(cwb::loadTokenizer(tinyGpt2Gguf()));
    const std::string text = "fine text \xE2\x98\x83 then \xE2\x98 broken";
    for (const auto &t : all) {
        const std::string err = cwbtest::errorOf([&] { (void)t->encode(text, true); });
        QVERIFY2(err.find("offset 19: invalid UTF-8 byte 0xE2") != std::string::npos, err.c_str());
    }
    const std::string ref = cwbtest::errorOf(
        [&] { (void)cwb::encodeLlama2cStyle(cwb::readLlama2cVocab(tok512), text, true); });
    QVERIFY2(ref.find("offset 19") != std::string::npos, ref.c_str());
}

void TestTokenizer::decodeOutOfRange()
{
    CWB_SHARED_FILE(tok512, "models/stories260K/tok512.bin");
    CWB_SHARED_FILE(model, "models/llama2c-tokenizer-32k/tokenizer.model");
    std::vector<std::unique_ptr<cwb::Tokenizer>> all;
    all.push_back(openKind("llama2c-bin", {tok512}));
    all.push_back(openKind("sentencepiece", {model}));
    all.push_back(cwb::loadTokenizer(tinyGpt2Gguf()));
    for (const auto &t : all) {
        for (const int32_t bad : {-1, t->vocabSize(), 1 << 30}) {
            const std::string err = cwbtest::errorOf([&] { (void)t->decode(Ids{5, 6, bad}); });
            QVERIFY2(err.find("id " + std::to_string(bad) + " at position 2") != std::string::npos,
                     err.c_str());
            const std::string text = cwbtest::errorOf([&] { (void)t->tokenText(bad); });
            QVERIFY2(text.find(std::to_string(bad)) != std::string::npos, text.c_str());
        }
    }
}

void TestTokenizer::badLlama2cFiles_data()
{
    QTest::addColumn<std::string>("bytes");
    QTest::addColumn<std::string>("expected"); // part of the message, after the path
    const auto i32 = [](int32_t v) { return std::string(reinterpret_cast<const char *>(&v), 4); };
    const auto f32 = [](float v) { return std::string(reinterpret_cast<const char *>(&v), 4); };
    const std::string head = i32(7);
    const std::string three
        = f32(0) + i32(5) + "<unk>" + f32(0) + i32(5) + "\n<s>\n" + f32(0) + i32(6) + "\n</s>\n";
    QTest::newRow("empty") << std::string()
                           << std::string(
                                  ": offset 0: unexpected end of file reading max_token_length");
    QTest::newRow("short header") << std::string("\x07\x00", 2)
                                  << std::string(": offset 0: unexpected end of file");
    QTest::newRow("zero max length")
        << i32(0) + three << std::string(": offset 0: max_token_length is 0");
    QTest::newRow("negative length") << head + three + f32(-1) + i32(-5)
                                     << std::string(": offset 48: length of token 3 is negative");
    QTest::newRow("length past end") << head + three + f32(-1) + i32(1000)
            + "abc" << std::string(": offset 52: unexpected end of file reading text of token 3");
    QTest::newRow("cut inside score")
        << head + three + std::string("\x00\x00", 2)
        << std::string(": offset 44: unexpected end of file reading score of token 3");
    QTest::newRow("too few tokens")
        << head + f32(0) + i32(1) + "x" << std::string(": offset 13: only 1 tokens");
    QTest::newRow("NaN score") << head + three + f32(std::nanf("")) + i32(1) + "x"
                               << std::string(": offset 44: score of token 3 is NaN");
}

void TestTokenizer::badLlama2cFiles()
{
    QFETCH(std::string, bytes);
    QFETCH(std::string, expected);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const std::string path = dir.path().toStdString() + "/tokenizer.bin";
    writeFile(path, bytes);
    const std::string err = cwbtest::errorOf([&] { (void)openKind("llama2c-bin", {path}); });
    QVERIFY2(err.find(path + expected) == 0, err.c_str());
}

void TestTokenizer::badGgufVocabulary_data()
{
    QTest::addColumn<std::string>("breakWhat");
    QTest::addColumn<std::string>("expected");
    QTest::newRow("intact") << std::string() << std::string();
    QTest::newRow("tokens missing")
        << std::string("tokens-missing")
        << std::string("broken.gguf: metadata tokenizer.ggml.tokens is missing");
    QTest::newRow("tokens not strings")
        << std::string("tokens-type")
        << std::string(
               "broken.gguf: metadata tokenizer.ggml.tokens[0] is a i32, expected a string");
    QTest::newRow("scores shorter")
        << std::string("scores-length")
        << std::string("broken.gguf: metadata tokenizer.ggml.scores has 260 entries but "
                       "tokenizer.ggml.tokens has 261");
    QTest::newRow("token type out of range")
        << std::string("type-value")
        << std::string("broken.gguf: metadata tokenizer.ggml.token_type[5] is 9");
    QTest::newRow("bos out of range")
        << std::string("bos")
        << std::string("broken.gguf: metadata tokenizer.ggml.bos_token_id is 4000, outside the "
                       "vocabulary of 261 tokens");
    QTest::newRow("unknown model")
        << std::string("model")
        << std::string("broken.gguf: metadata tokenizer.ggml.model is \"bert\"");
}

void TestTokenizer::badGgufVocabulary()
{
    QFETCH(std::string, breakWhat);
    QFETCH(std::string, expected);
    const cwb::Model m = llamaGguf(breakWhat);
    std::unique_ptr<cwb::Tokenizer> t;
    const std::string err = cwbtest::errorOf([&] { t = cwb::loadTokenizer(m); });
    if (expected.empty()) {
        QVERIFY2(err.empty(), err.c_str());
        QCOMPARE(t->encode("aa a", true), (Ids{1, 259, 260, 260, 259, 260}));
        QCOMPARE(t->decode(t->encode("a\xC3\xA9", false)), std::string("a\xC3\xA9"));
    } else {
        QVERIFY2(err.find(expected) == 0, err.c_str());
    }
}

void TestTokenizer::badHfFiles_data()
{
    QTest::addColumn<std::string>("kind");
    QTest::addColumn<std::string>("file"); // which file gets `content`
    QTest::addColumn<std::string>("content");
    QTest::addColumn<std::string>("expected"); // after the path
    const std::string vocab = R"({"a": 0, "b": 1, "ab": 2})";
    QTest::newRow("vocab.json syntax")
        << std::string("vocab.json+merges.txt") << std::string("vocab.json")
        << std::string("{\"a\": 0, \"b\" 1}") << std::string(": offset 13: invalid JSON");
    QTest::newRow("vocab.json gap")
        << std::string("vocab.json+merges.txt") << std::string("vocab.json")
        << std::string(R"({"a": 0, "b": 2})")
        << std::string(": vocab.json entry \"b\" has id 2, outside 0..1");
    QTest::newRow("vocab.json id type")
        << std::string("vocab.json+merges.txt") << std::string("vocab.json")
        << std::string(R"({"a": "zero"})")
        << std::string(": vocab.json entry \"a\" id is string, expected an integer");
    QTest::newRow("vocab.json not object")
        << std::string("vocab.json+merges.txt") << std::string("vocab.json")
        << std::string("[1, 2]") << std::string(": expected a JSON object");
    QTest::newRow("merges.txt bad line")
        << std::string("vocab.json+merges.txt") << std::string("merges.txt")
        << std::string("#version: 0.2\na b\nab\n")
        << std::string(": offset 18: line 3: expected two tokens separated by one space");
    QTest::newRow("merges.txt unknown token")
        << std::string("vocab.json+merges.txt") << std::string("merges.txt") << std::string("a c\n")
        << std::string(": merge 0 (\"a\" \"c\"): \"c\" is not in the vocabulary");
    QTest::newRow("tokenizer.json syntax")
        << std::string("tokenizer.json") << std::string("tokenizer.json")
        << std::string("{\"model\": ") << std::string(": offset 10: invalid JSON");
    QTest::newRow("tokenizer.json no vocab")
        << std::string("tokenizer.json") << std::string("tokenizer.json")
        << std::string(R"({"model": {"type": "BPE", "merges": []}})")
        << std::string(": field \"model.vocab\" is missing");
    QTest::newRow("tokenizer.json wordpiece")
        << std::string("tokenizer.json") << std::string("tokenizer.json")
        << std::string(R"({"model": {"type": "WordPiece", "vocab": {}}})")
        << std::string(": model.type is \"WordPiece\"");
    QTest::newRow("tokenizer.json bad merge")
        << std::string("tokenizer.json") << std::string("tokenizer.json")
        << R"({"model": {"type": "BPE", "vocab": )" + vocab + R"(, "merges": ["a b", 7]},
              "pre_tokenizer": {"type": "ByteLevel"}})"
        << std::string(": model.merges[1] is neither \"a b\" nor [\"a\", \"b\"]");
    QTest::newRow("tokenizer.json duplicate id")
        << std::string("tokenizer.json") << std::string("tokenizer.json")
        << R"({"model": {"type": "BPE", "vocab": )" + vocab + R"(, "merges": []},
              "added_tokens": [{"id": 1, "content": "<x>", "special": true}],
              "pre_tokenizer": {"type": "ByteLevel"}})"
        << std::string(": added_tokens[0] has id 1, already taken by \"b\"");
    QTest::newRow("tokenizer.json unknown split")
        << std::string("tokenizer.json") << std::string("tokenizer.json")
        << R"({"model": {"type": "BPE", "vocab": )" + vocab + R"(, "merges": []},
              "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
                {"type": "Split", "pattern": {"Regex": "\\d+"}},
                {"type": "ByteLevel", "use_regex": false}]}})"
        << std::string(": pre_tokenizer: Split pattern \"\\d+\" is not one");
}

void TestTokenizer::badHfFiles()
{
    QFETCH(std::string, kind);
    QFETCH(std::string, file);
    QFETCH(std::string, content);
    QFETCH(std::string, expected);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const std::string base = dir.path().toStdString() + "/";
    writeFile(base + "vocab.json", R"({"a": 0, "b": 1, "ab": 2})");
    writeFile(base + "merges.txt", "#version: 0.2\na b\n");
    writeFile(base + file, content);
    const std::vector<std::string> files = kind == "tokenizer.json"
        ? std::vector<std::string>{base + "tokenizer.json"}
        : std::vector<std::string>{base + "vocab.json", base + "merges.txt"};
    const std::string err = cwbtest::errorOf([&] { (void)openKind(kind, files); });
    const std::string path = kind == "tokenizer.json" || file == "vocab.json" ? base + file
        : expected.find("merge 0") != std::string::npos                       ? base + "vocab.json"
                                                                              : base + file;
    QVERIFY2(err.find(path + expected) == 0, err.c_str());
}

void TestTokenizer::badSentencePieceFile()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const std::string path = dir.path().toStdString() + "/tokenizer.model";
    writeFile(path, "this is not a protobuf");
    const std::string err = cwbtest::errorOf([&] { (void)openKind("sentencepiece", {path}); });
    QVERIFY2(err.find(path + ": not a SentencePiece model") == 0, err.c_str());
    const std::string missing
        = cwbtest::errorOf([&] { (void)openKind("sentencepiece", {path + ".gone"}); });
    QVERIFY2(missing.find(path + ".gone: no such file") == 0, missing.c_str());
}

void TestTokenizer::missingTokenizer()
{
    const std::string none = cwbtest::errorOf([&] { (void)openKind("", {}); });
    QVERIFY2(none.find("names no tokenizer") != std::string::npos, none.c_str());
    const std::string unknown = cwbtest::errorOf([&] { (void)openKind("wordpiece", {"x"}); });
    QVERIFY2(unknown.find("unknown tokenizer kind \"wordpiece\"") != std::string::npos,
             unknown.c_str());
    const std::string fewFiles
        = cwbtest::errorOf([&] { (void)openKind("vocab.json+merges.txt", {"/tmp/v.json"}); });
    QVERIFY2(fewFiles.find("needs 2 file(s), the model lists 1") != std::string::npos,
             fewFiles.c_str());
    const std::string gone
        = cwbtest::errorOf([&] { (void)openKind("llama2c-bin", {"/nonexistent/tok.bin"}); });
    QVERIFY2(gone.find("/nonexistent/tok.bin") == 0, gone.c_str());
}

QTEST_GUILESS_MAIN(TestTokenizer)
#include "test_tokenizer.moc"
