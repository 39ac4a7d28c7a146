// SPDX-License-Identifier: MIT
// GGUF reader and writer: the real files (stories260K*, the ggml quant zoo) against
// reference/ggml_quant_zoo.json; generated v2/v3 files with every KV type and nested arrays
// through writer + reader; and every kind of malformed input, each of which must give a
// cwb::Error naming the file, the byte offset and the problem.

#include "io/gguf_reader.h"
#include "io/gguf_writer.h"
#include "io/readers.h"
#include "model/meta_value.h"
#include "test_support.h"
#include "util/error.h"

#include <QCryptographicHash>
#include <QTemporaryDir>
#include <QTest>

#include <nlohmann/json.hpp>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

Q_DECLARE_METATYPE(std::string)

Q_DECLARE_METATYPE(std::vector<std::byte>)

namespace {

using cwb::DType;
using cwb::MetaValue;
using cwb::io::GgufWriteOptions;
using cwb::io::GgufWriter;
using Bytes = std::vector<std::byte>;

const nlohmann::json &zooReference()
{
    static const nlohmann::json j = [] {
        const std::string path = cwbtest::sharedPath("reference/ggml_quant_zoo.json");
        std::ifstream in(path);
        return path.empty() ? nlohmann::json() : nlohmann::json::parse(in);
    }();
    return j;
}

MetaValue array(std::string typeName, std::vector<MetaValue> items)
{
    MetaValue v;
    v.kind = MetaValue::Kind::Array;
    v.typeName = std::move(typeName);
    v.array = std::move(items);
    return v;
}

Bytes randomBytes(size_t n, uint32_t seed)
{
    std::mt19937 rng(seed);
    Bytes b(n);
    for (auto &x : b)
        x = static_cast<std::byte>(rng() & 0xffu);
    return b;
}

Bytes floatBytes(const std::vector<float> &v)
{
    Bytes b(v.size() * sizeof(float));
    std::memcpy(b.data(), v.data(), b.size());
    return b;
}

// Every scalar type, strings (empty and non-ASCII), an empty typed array and nested arrays.
std::vector<std::pair<std::string, MetaValue>> allKinds()
{
    std::vector<std::pair<std::string, MetaValue>> kv{
        {"general.architecture", MetaValue::ofString("llama")},
        {"general.name", MetaValue::ofString("sample ünïcode")},
        {"test.u8", MetaValue::ofUInt(200, "u8")},
        {"test.i8", MetaValue::ofInt(-100, "i8")},
        {"test.u16", MetaValue::ofUInt(60000, "u16")},
        {"test.i16", MetaValue::ofInt(-30000, "i16")},
        {"test.u32", MetaValue::ofUInt(4000000000u, "u32")},
        {"test.i32", MetaValue::ofInt(-2000000000, "i32")},
        {"test.f32", MetaValue::ofFloat(1.25, "f32")},
        {"test.bool", MetaValue::ofBool(true, "bool")},
        {"test.empty_string", MetaValue::ofString("")},
        {"test.u64", MetaValue::ofUInt((uint64_t{1} << 63) + 5, "u64")},
        {"test.i64", MetaValue::ofInt(-(int64_t{1} << 62), "i64")},
        {"test.f64", MetaValue::ofFloat(3.141592653589793, "f64")},
        {"test.strings", array("array[string]", {MetaValue::ofString("a"), MetaValue::ofString(""),
                                                 MetaValue::ofString("ünï")})},
        {"test.empty", array("array[i32]", {})},
        {"test.bools", array("array[bool]", {MetaValue::ofBool(false), MetaValue::ofBool(true)})},
        {"test.nested",
         array("array[array]",
               {array("array[u32]", {MetaValue::ofUInt(1, "u32"), MetaValue::ofUInt(2, "u32")}),
                array("array[string]", {MetaValue::ofString("x")}),
                array("array[array]", {array("array[f64]", {MetaValue::ofFloat(2.5)})})})},
    };
    std::vector<MetaValue> scores;
    for (int i = 0; i < 16; ++i)
        scores.push_back(MetaValue::ofFloat(-0.5 * i, "f32"));
    kv.emplace_back("tokenizer.ggml.scores", array("array[f32]", scores));
    return kv;
}

// A small valid file: all KV kinds plus F32, Q8_0 and F16 tensors.
GgufWriter sampleWriter(uint32_t version = 3, uint32_t alignment = 32)
{
    GgufWriter w(GgufWriteOptions{.version = version, .alignment = alignment});
    for (auto &[key, value] : allKinds())
        w.addMeta(key, value);
    std::vector<float> a(3 * 32);
    for (size_t i = 0; i < a.size(); ++i)
        a[i] = 0.25f * static_cast<float>(i) - 3.0f;
    w.addTensor("a.weight", DType::F32, {3, 32}, floatBytes(a));
    w.addTensor("b.weight", DType::Q8_0, {2, 64}, randomBytes(2 * 2 * 34, 7));
    w.addTensor("c.weight", DType::F16, {32}, randomBytes(64, 8));
    return w;
}

bool sameMeta(const MetaValue &a, const MetaValue &b)
{
    if (a.kind != b.kind || a.typeName != b.typeName)
        return false;
    switch (a.kind) {
    case MetaValue::Kind::Bool: return a.b == b.b;
    case MetaValue::Kind::Int: return a.i == b.i;
    case MetaValue::Kind::UInt: return a.u == b.u;
    case MetaValue::Kind::Float: return a.f == b.f;
    case MetaValue::Kind::String: return a.s == b.s;
    case MetaValue::Kind::Array:
        if (a.array.size() != b.array.size())
            return false;
        for (size_t i = 0; i < a.array.size(); ++i)
            if (!sameMeta(a.array[i], b.array[i]))
                return false;
        return true;
    }
    return false;
}

template <typename T>
void poke(Bytes &b, uint64_t pos, T v)
{
    QVERIFY(pos + sizeof(T) <= b.size());
    std::memcpy(b.data() + pos, &v, sizeof(T));
}

// Position of the length field of a KV record whose key is `key`.
uint64_t keyPos(const Bytes &b, const std::string &key)
{
    Bytes pattern(8 + key.size());
    const uint64_t len = key.size();
    std::memcpy(pattern.data(), &len, 8);
    std::memcpy(pattern.data() + 8, key.data(), key.size());
    const auto it = std::search(b.begin(), b.end(), pattern.begin(), pattern.end());
    return it == b.end() ? 0 : static_cast<uint64_t>(it - b.begin());
}
uint64_t valuePos(const Bytes &b, const std::string &key)
{
    return keyPos(b, key) + 8 + key.size() + 4;
}

// Position of the u64 data-offset field of tensor record `index`.
uint64_t tensorOffsetField(const Bytes &b, size_t index)
{
    const auto f = cwb::io::parseGguf(b, "probe");
    const auto &t = f.tensors.at(index);
    return t.recordOffset + 8 + t.name.size() + 4 + 8 * t.ne.size() + 4;
}

// A file with one KV holding `levels` arrays nested in each other (innermost: empty u8 array).
Bytes nestedArrays(int levels)
{
    Bytes b;
    auto put = [&b](auto v) {
        const auto *p = reinterpret_cast<const std::byte *>(&v);
        b.insert(b.end(), p, p + sizeof v);
    };
    put(cwb::io::kGgufMagic);
    put(uint32_t{3});
    put(uint64_t{0});
    put(uint64_t{1});
    put(uint64_t{4});
    for (char c : std::string("deep"))
        b.push_back(static_cast<std::byte>(c));
    put(uint32_t{9});
    for (int i = 1; i < levels; ++i) {
        put(uint32_t{9});
        put(uint64_t{1});
    }
    put(uint32_t{0});
    put(uint64_t{0});
    return b;
}

std::string errorOf(const Bytes &bytes, const std::string &source)
{
    try {
        (void)cwb::io::parseGguf(bytes, source);
    } catch (const cwb::Error &e) {
        return e.what();
    }
    return {};
}

Bytes readFile(const std::string &path)
{
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    Bytes b(static_cast<size_t>(std::max<std::streamoff>(0, in.tellg())));
    in.seekg(0);
    in.read(reinterpret_cast<char *>(b.data()), static_cast<std::streamsize>(b.size()));
    return b;
}

std::string writeTemp(const QTemporaryDir &dir, const std::string &name, const GgufWriter &w)
{
    const std::string path = dir.filePath(QString::fromStdString(name)).toStdString();
    w.write(path);
    return path;
}

} // namespace

class TestGguf : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void realFiles_data();
    void realFiles();
    void stories260KModel();
    void zooHyperParams();
    void roundTrip_data();
    void roundTrip();
    void badInput_data();
    void badInput();
    void truncatedEverywhere();
    void arrayNestingLimit();
    void unknownTypeIsListed();
    void zeroDimensionalTensor();
    void hyperParamsAndRope_data();
    void hyperParamsAndRope();
    void writerRejects();
    void writeIsAtomic();

private:
    QTemporaryDir tmp_;
};

void TestGguf::realFiles_data()
{
    QTest::addColumn<std::string>("entry");
    const auto &ref = zooReference();
    QVERIFY2(ref.contains("files"), "reference/ggml_quant_zoo.json is missing (set CWB_SHARED)");
    QCOMPARE(ref["files"].size(), size_t{16});
    for (const auto &[name, _] : ref["files"].items())
        QTest::newRow(name.c_str()) << name;
}

// Every tensor's name, type, shape, size, offset and raw-bytes sha256 equal llama.cpp's.
void TestGguf::realFiles()
{
    QFETCH(std::string, entry);
    const auto &e = zooReference()["files"][entry];
    CWB_SHARED_FILE(path, e["path"].get<std::string>().c_str());

    const Bytes bytes = readFile(path);
    QCOMPARE(bytes.size(), e["size_bytes"].get<size_t>());
    const auto file = cwb::io::parseGguf(bytes, path);
    QCOMPARE(file.alignment, e["alignment"].get<uint64_t>());
    QCOMPARE(file.dataStart, e["tensor_data_start"].get<uint64_t>());
    if (e.contains("gguf_version"))
        QCOMPARE(file.version, e["gguf_version"].get<uint32_t>());
    else
        QCOMPARE(file.version, 3u);

    const cwb::Model model = cwb::io::readGguf(path);
    QCOMPARE(model.format, cwb::ModelFormat::Gguf);
    QCOMPARE(model.architecture, std::string("llama"));
    QCOMPARE(model.rope, cwb::RopeLayout::Interleaved);
    QCOMPARE(model.tokenizer.kind, std::string("gguf"));
    const auto &tensors = e["tensors"];
    QCOMPARE(model.tensors.size(), tensors.size());
    QCOMPARE(file.tensors.size(), tensors.size());
    if (e.contains("kv"))
        for (const auto &[key, value] : e["kv"].items()) {
            const MetaValue *m = model.findMeta(key);
            QVERIFY2(m, key.c_str());
            if (value.is_string())
                QCOMPARE(m->s, value.get<std::string>());
            else
                QCOMPARE(m->asInt(), value.get<int64_t>());
        }

    for (size_t i = 0; i < tensors.size(); ++i) {
        const auto &want = tensors[i];
        const cwb::Tensor &t = model.tensors[i];
        const auto &info = file.tensors[i];
        const std::string name = want["name"].get<std::string>();
        QCOMPARE(t.name, name);
        QCOMPARE(std::string(cwb::dtypeName(t.dtype)), want["ggml_type"].get<std::string>());
        QCOMPARE(t.dtypeLabel, want["ggml_type"].get<std::string>());
        QCOMPARE(info.ggmlType, want["ggml_type_id"].get<uint32_t>());
        std::vector<int64_t> shape;
        for (const auto &d : want["ne"])
            shape.insert(shape.begin(), d.get<int64_t>()); // our shape is ne reversed
        QCOMPARE(t.shape, shape);
        QCOMPARE(t.numel(), want["n_elements"].get<int64_t>());
        QCOMPARE(t.byteSize, want["n_bytes"].get<uint64_t>());
        QCOMPARE(info.offset, want["offset"].get<uint64_t>());
        QCOMPARE(t.fileOffset, want["file_offset"].get<uint64_t>());
        QCOMPARE(t.file, path);
        QCOMPARE(t.data.size(), t.byteSize);
        QVERIFY(t.data.data() == model.files.front()->bytes().data() + t.fileOffset);
        QVERIFY(t.keepAlive);
        const QByteArray raw(reinterpret_cast<const char *>(t.data.data()),
                             static_cast<qsizetype>(t.data.size()));
        const QByteArray sha = QCryptographicHash::hash(raw, QCryptographicHash::Sha256).toHex();
        QCOMPARE(sha.toStdString(), want["data_sha256"].get<std::string>());
    }
}

void TestGguf::stories260KModel()
{
    CWB_SHARED_FILE(path, "models/stories260K/stories260K.gguf");
    const cwb::Model m = cwb::io::readGguf(path);
    QCOMPARE(m.path, path);
    QCOMPARE(m.architecture, std::string("llama"));
    QCOMPARE(m.metadata.size(), size_t{19});
    QCOMPARE(m.tensors.size(), size_t{48});
    QCOMPARE(m.hparams.dim, int64_t{64});
    QCOMPARE(m.hparams.nLayers, int64_t{5});
    QCOMPARE(m.hparams.nHeads, int64_t{8});
    QCOMPARE(m.hparams.nKvHeads, int64_t{4});
    QCOMPARE(m.hparams.headDim, int64_t{8});
    QCOMPARE(m.hparams.hiddenDim, int64_t{172});
    QCOMPARE(m.hparams.vocabSize, int64_t{512});
    QCOMPARE(m.hparams.contextLength, int64_t{2048}); // convert-llama2c's default, as the file says
    QCOMPARE(m.hparams.normEps, static_cast<double>(1e-5f));
    QCOMPARE(m.hparams.ropeTheta, 10000.0);
    QVERIFY(!m.hparams.tiedEmbeddings); // output.weight is stored (as a copy)
    QCOMPARE(m.rope, cwb::RopeLayout::Interleaved);
    QCOMPARE(m.tokenizer.kind, std::string("gguf"));
    QVERIFY(m.tokenizer.files.empty());

    const MetaValue *tokens = m.findMeta("tokenizer.ggml.tokens");
    QVERIFY(tokens);
    QCOMPARE(tokens->typeName, std::string("array[string]"));
    QCOMPARE(tokens->array.size(), size_t{512});
    QCOMPARE(tokens->array[1].s, std::string("<s>"));
    QCOMPARE(m.findMeta("tokenizer.ggml.scores")->typeName, std::string("array[f32]"));
    QCOMPARE(m.findMeta("tokenizer.ggml.token_type")->typeName, std::string("array[i32]"));
    QCOMPARE(m.findMeta("tokenizer.ggml.seperator_token_id")->u, uint64_t{4294967295u});
    QCOMPARE(m.findMeta("llama.block_count")->typeName, std::string("u32"));

    const cwb::Tensor *embed = m.findTensor("token_embd.weight");
    QVERIFY(embed);
    QCOMPARE(embed->shape, (std::vector<int64_t>{512, 64}));
    const cwb::Tensor *wk = m.findTensor("blk.0.attn_k.weight");
    QVERIFY(wk);
    QCOMPARE(wk->shape, (std::vector<int64_t>{32, 64})); // n_kv_heads * head_dim rows
}

void TestGguf::zooHyperParams()
{
    CWB_SHARED_FILE(path, "models/ggml-quant-zoo/zoo-Q4_K_M.gguf");
    const cwb::Model m = cwb::io::readGguf(path);
    QCOMPARE(m.hparams.dim, int64_t{256});
    QCOMPARE(m.hparams.nLayers, int64_t{2});
    QCOMPARE(m.hparams.nHeads, int64_t{8});
    QCOMPARE(m.hparams.nKvHeads, int64_t{4});
    QCOMPARE(m.hparams.headDim, int64_t{32});
    QCOMPARE(m.hparams.hiddenDim, int64_t{512});
    QCOMPARE(m.hparams.vocabSize, int64_t{512});
    QCOMPARE(m.hparams.contextLength, int64_t{512});
    QVERIFY(m.hparams.tiedEmbeddings); // no output.weight in the zoo
}

void TestGguf::roundTrip_data()
{
    QTest::addColumn<uint32_t>("version");
    QTest::addColumn<uint32_t>("alignment");
    QTest::newRow("v2 align 32") << 2u << 32u;
    QTest::newRow("v3 align 32") << 3u << 32u;
    QTest::newRow("v3 align 64") << 3u << 64u;
    QTest::newRow("v2 align 1") << 2u << 1u;
    QTest::newRow("v3 align 4096") << 3u << 4096u;
}

void TestGguf::roundTrip()
{
    QFETCH(uint32_t, version);
    QFETCH(uint32_t, alignment);
    QVERIFY(tmp_.isValid());
    const GgufWriter w = sampleWriter(version, alignment);
    const std::string path = writeTemp(tmp_, "rt.gguf", w);

    const Bytes onDisk = readFile(path);
    QVERIFY(onDisk == w.toBytes()); // streamed and in-memory output agree
    QCOMPARE(onDisk.size() % alignment, size_t{0});

    const auto file = cwb::io::parseGguf(onDisk, path);
    QCOMPARE(file.version, version);
    QCOMPARE(file.alignment, uint64_t{alignment});
    QCOMPARE(file.dataStart % alignment, uint64_t{0});

    const cwb::Model m = cwb::io::readGguf(path);
    // general.alignment is written (first) only when it is not the default.
    const auto want = allKinds();
    const size_t extra = alignment != 32 ? 1 : 0;
    QCOMPARE(m.metadata.size(), want.size() + extra);
    if (extra) {
        QCOMPARE(m.metadata[0].first, std::string("general.alignment"));
        QCOMPARE(m.metadata[0].second.u, uint64_t{alignment});
        QCOMPARE(m.metadata[0].second.typeName, std::string("u32"));
    }
    for (size_t i = 0; i < want.size(); ++i) {
        QCOMPARE(m.metadata[i + extra].first, want[i].first);
        QVERIFY2(sameMeta(m.metadata[i + extra].second, want[i].second), want[i].first.c_str());
    }
    const MetaValue *nested = m.findMeta("test.nested");
    QVERIFY(nested);
    QCOMPARE(nested->typeName, std::string("array[array]"));
    QCOMPARE(nested->array.size(), size_t{3});
    QCOMPARE(nested->array[0].typeName, std::string("array[u32]"));
    QCOMPARE(nested->array[0].array[1].u, uint64_t{2});
    QCOMPARE(nested->array[2].array[0].array[0].f, 2.5);
    QCOMPARE(m.findMeta("test.u64")->u, (uint64_t{1} << 63) + 5);
    QCOMPARE(m.findMeta("test.i64")->i, -(int64_t{1} << 62));
    QCOMPARE(m.findMeta("test.i8")->i, int64_t{-100});
    QCOMPARE(m.findMeta("test.f64")->f, 3.141592653589793);
    QCOMPARE(m.findMeta("test.f32")->typeName, std::string("f32"));
    QCOMPARE(m.findMeta("test.empty")->typeName, std::string("array[i32]"));
    QVERIFY(m.findMeta("test.empty")->array.empty());
    QCOMPARE(m.findMeta("general.name")->s, std::string("sample ünïcode"));

    QCOMPARE(m.tensors.size(), size_t{3});
    QCOMPARE(m.tensors[0].shape, (std::vector<int64_t>{3, 32}));
    QCOMPARE(m.tensors[1].dtype, DType::Q8_0);
    QCOMPARE(m.tensors[1].byteSize, uint64_t{136});
    QCOMPARE(m.tensors[2].dtype, DType::F16);
    for (const auto &t : m.tensors)
        QCOMPARE(t.fileOffset % alignment, uint64_t{0});
    const auto a = m.tensors[0].toFloat();
    for (size_t i = 0; i < a.size(); ++i)
        QCOMPARE(a[i], 0.25f * static_cast<float>(i) - 3.0f);
    const Bytes q = m.tensors[1].copyBytes();
    QVERIFY(q == randomBytes(136, 7));
}

void TestGguf::badInput_data()
{
    QTest::addColumn<Bytes>("bytes");
    QTest::addColumn<QString>("problem");

    const Bytes good = sampleWriter().toBytes();
    QVERIFY(errorOf(good, "good").empty());
    auto row = [](const char *name, Bytes b, const char *problem) {
        QTest::newRow(name) << std::move(b) << QString::fromUtf8(problem);
    };
    Bytes b;

    b = good; poke<uint32_t>(b, 0, 0x46554748u);
    row("wrong magic", b, "not a GGUF file");
    b = good; poke<uint32_t>(b, 4, 1);
    row("version 1", b, "version 1 is not supported");
    b = good; poke<uint32_t>(b, 4, 4);
    row("version 4", b, "unsupported GGUF version 4");
    b = good; poke<uint32_t>(b, 4, 0x03000000u);
    row("big-endian", b, "big-endian");
    b = good; poke<uint64_t>(b, 8, uint64_t{1} << 60);
    row("2^60 tensors", b, "n_tensors 1152921504606846976 cannot fit");
    b = good; poke<uint64_t>(b, 16, uint64_t{1} << 60);
    row("2^60 kvs", b, "n_kv 1152921504606846976 cannot fit");
    b = good; poke<uint64_t>(b, 24, uint64_t{1} << 32);
    row("4 GB key", b, "length 4294967296 is larger than");
    b = good; poke<uint64_t>(b, valuePos(good, "general.name"), uint64_t{1} << 32);
    row("4 GB string value", b, "length 4294967296 is larger than");
    b = good; poke<uint64_t>(b, valuePos(good, "tokenizer.ggml.scores") + 4, uint64_t{1} << 40);
    row("array count past end", b, "array count 1099511627776 cannot fit");
    b = good; poke<uint64_t>(b, valuePos(good, "test.strings") + 4, uint64_t{1} << 62);
    row("string array count", b, "array count 4611686018427387904 cannot fit");
    {
        Bytes big = nestedArrays(1); // one KV holding an empty u8 array ...
        const uint64_t count = cwb::io::kGgufMaxMetaValues + 1;
        poke<uint64_t>(big, big.size() - 8, count); // ... now claiming 2^22 + 1 bytes
        big.resize(big.size() + count);
        row("too many metadata values", big, "takes the file past 4194304 metadata values");
    }
    b = good; poke<uint32_t>(b, keyPos(good, "test.u8") + 8 + 7, 13);
    row("unknown value type", b, "unknown value type 13");
    b = good; poke<uint32_t>(b, valuePos(good, "test.strings"), 99);
    row("unknown array type", b, "unknown array element type 99");
    b = good; std::memcpy(b.data() + keyPos(good, "test.i8") + 8, "test.u8", 7);
    row("duplicate key", b, "duplicate metadata key 'test.u8'");

    {
        GgufWriter w;
        w.addRawTensor("five", 0, {1, 1, 1, 1, 8}, Bytes(32));
        row("n_dims 5", w.toBytes(), "n_dims 5 is more than 4");
    }
    {
        GgufWriter w;
        w.addRawTensor("huge", 0, {uint64_t{1} << 32, uint64_t{1} << 32}, Bytes(32));
        row("ne product overflow", w.toBytes(), "element count overflows");
    }
    {
        // A NUL in a name quoted by the message used to end what() there, losing the reason.
        GgufWriter w;
        w.addRawTensor(std::string("a\0b\x1b[2J", 7), 0, {uint64_t{1} << 32, uint64_t{1} << 32},
                       Bytes(32));
        row("name with control bytes", w.toBytes(),
            "tensor 'a\\x00b\\x1b[2J': element count overflows");
    }
    {
        GgufWriter w;
        w.addRawTensor("neg", 0, {uint64_t{1} << 63}, Bytes(32));
        row("ne past int64", w.toBytes(), "is too large");
    }
    {
        GgufWriter w;
        w.addRawTensor("bytes", 0, {uint64_t{1} << 62}, Bytes(32));
        row("storage overflow", w.toBytes(), "stored size overflows");
    }
    {
        GgufWriter w;
        w.addRawTensor("q", 2, {33}, Bytes(64));
        row("partial block", w.toBytes(),
            "row length 33 is not a multiple of the Q4_0 block size 32");
    }

    b = good; poke<uint64_t>(b, tensorOffsetField(good, 1), 4);
    row("unaligned data offset", b, "data offset 4 is not a multiple of the alignment 32");
    b = good; poke<uint64_t>(b, tensorOffsetField(good, 2), uint64_t{1} << 40);
    row("data past end", b, "runs past the end of the file");
    b = good; poke<uint64_t>(b, tensorOffsetField(good, 2), (uint64_t{1} << 63) + 32);
    row("data offset wraps", b, "runs past the end of the file");
    b = good; poke<uint64_t>(b, tensorOffsetField(good, 1), 0);
    row("overlapping tensors", b, "overlaps tensor 'a.weight'");
    b = good;
    std::memcpy(b.data() + cwb::io::parseGguf(good, "p").tensors[2].recordOffset + 8, "a", 1);
    row("duplicate tensor name", b, "duplicate tensor name 'a.weight'");

    const Bytes aligned = sampleWriter(3, 64).toBytes();
    b = aligned; poke<uint32_t>(b, valuePos(aligned, "general.alignment"), 0);
    row("alignment 0", b, "general.alignment 0 is not a power of two");
    b = aligned; poke<uint32_t>(b, valuePos(aligned, "general.alignment"), 48);
    row("alignment 48", b, "general.alignment 48 is not a power of two");
    b = aligned; poke<uint32_t>(b, valuePos(aligned, "general.alignment") - 4, 6);
    row("alignment not an integer", b, "general.alignment has type");
}

void TestGguf::badInput()
{
    QFETCH(Bytes, bytes);
    QFETCH(QString, problem);
    const std::string source = "/models/bad-input.gguf";
    const std::string message = errorOf(bytes, source);
    QVERIFY2(!message.empty(), "malformed input was accepted");
    const QString m = QString::fromStdString(message);
    QVERIFY2(
        m.startsWith(QString::fromStdString(source) + QStringLiteral(": offset ")), qPrintable(m));
    QVERIFY2(m.contains(problem), qPrintable(m));
}

// Cutting a valid file anywhere before the end of its last tensor's data is an error.
void TestGguf::truncatedEverywhere()
{
    const Bytes good = sampleWriter().toBytes();
    const auto file = cwb::io::parseGguf(good, "good");
    uint64_t end = 0;
    for (const auto &t : file.tensors)
        end = std::max(end, file.dataStart + t.offset + t.byteSize);
    QVERIFY(end > file.dataStart);
    int failures = 0;
    for (uint64_t len = 0; len < end; ++len) {
        const Bytes cut(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(len));
        const std::string m = errorOf(cut, "cut.gguf");
        if (m.rfind("cut.gguf: offset ", 0) != 0) {
            ++failures;
            qWarning("length %llu: %s", static_cast<unsigned long long>(len),
                     m.empty() ? "accepted" : m.c_str());
        }
    }
    QCOMPARE(failures, 0);
    QVERIFY(
        errorOf(Bytes(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(end)), "x").empty());
}

void TestGguf::arrayNestingLimit()
{
    const int limit = cwb::io::kGgufMaxArrayDepth;
    QVERIFY(errorOf(nestedArrays(limit), "deep.gguf").empty());
    const std::string m = errorOf(nestedArrays(limit + 1), "deep.gguf");
    QVERIFY2(m.find("deep.gguf: offset ") == 0, m.c_str());
    QVERIFY2(m.find("nested more than 8 deep") != std::string::npos, m.c_str());
    // The parsed value keeps every level.
    const auto f = cwb::io::parseGguf(nestedArrays(limit), "deep.gguf");
    const MetaValue *v = &f.metadata.at(0).second;
    int depth = 0;
    while (v->kind == MetaValue::Kind::Array && !v->array.empty()) {
        v = &v->array.front();
        ++depth;
    }
    QCOMPARE(depth, limit - 1);
    QCOMPARE(v->typeName, std::string("array[u8]"));
}

// A type id we do not know is listed with its number, not fatal, and refuses to decode.
void TestGguf::unknownTypeIsListed()
{
    GgufWriter w;
    w.addMeta("general.architecture", MetaValue::ofString("llama"));
    w.addRawTensor("mystery", 200, {64, 2}, Bytes(64));
    w.addRawTensor("iq", 20, {64}, Bytes(36)); // IQ4_NL: size known, values not decoded
    w.addTensor("plain", DType::F32, {8}, floatBytes({1, 2, 3, 4, 5, 6, 7, 8}));
    const std::string path = writeTemp(tmp_, "unknown.gguf", w);
    const cwb::Model m = cwb::io::readGguf(path);
    QCOMPARE(m.tensors.size(), size_t{3});
    const cwb::Tensor &u = m.tensors[0];
    QCOMPARE(u.dtype, DType::Unknown);
    QCOMPARE(u.dtypeLabel, std::string("ggml type 200"));
    QCOMPARE(u.shape, (std::vector<int64_t>{2, 64}));
    QCOMPARE(u.byteSize, uint64_t{0});
    QVERIFY(!u.decodable());
    QVERIFY_THROWS_EXCEPTION(cwb::Error, (void)u.toFloat());
    QVERIFY(u.data.empty()); // its size is unknown, so no bytes are mapped
    QVERIFY_THROWS_EXCEPTION(cwb::Error, (void)u.copyBytes());
    const cwb::Tensor &iq = m.tensors[1];
    QCOMPARE(iq.dtype, DType::IQ4_NL);
    QCOMPARE(iq.byteSize, uint64_t{36});
    QVERIFY(!iq.decodable());
    QVERIFY_THROWS_EXCEPTION(cwb::Error, (void)iq.toFloat());
    QCOMPARE(m.tensors[2].toFloat()[7], 8.0f);
    bool noted = false;
    for (const auto &n : m.notes)
        noted = noted || n.find("ggml type 200") != std::string::npos;
    QVERIFY(noted);
}

void TestGguf::zeroDimensionalTensor()
{
    GgufWriter w;
    w.addTensor("scalar", DType::F32, {}, floatBytes({42.5f}));
    const cwb::Model m = cwb::io::readGguf(writeTemp(tmp_, "scalar.gguf", w));
    QCOMPARE(m.tensors.size(), size_t{1});
    QVERIFY(m.tensors[0].shape.empty());
    QCOMPARE(m.tensors[0].numel(), int64_t{1});
    QCOMPARE(m.tensors[0].toFloat(), std::vector<float>{42.5f});
}

void TestGguf::hyperParamsAndRope_data()
{
    QTest::addColumn<QString>("arch");
    QTest::addColumn<int>("rope");
    QTest::newRow("llama") << QStringLiteral("llama")
                           << static_cast<int>(cwb::RopeLayout::Interleaved);
    QTest::newRow("deepseek2") << QStringLiteral("deepseek2")
                               << static_cast<int>(cwb::RopeLayout::Interleaved);
    QTest::newRow("qwen2") << QStringLiteral("qwen2")
                           << static_cast<int>(cwb::RopeLayout::HalfSplit);
    QTest::newRow("gptneox") << QStringLiteral("gptneox")
                             << static_cast<int>(cwb::RopeLayout::HalfSplit);
    QTest::newRow("gpt2") << QStringLiteral("gpt2") << static_cast<int>(cwb::RopeLayout::None);
    QTest::newRow("unknown") << QStringLiteral("mystery")
                             << static_cast<int>(cwb::RopeLayout::None);
}

void TestGguf::hyperParamsAndRope()
{
    QFETCH(QString, arch);
    QFETCH(int, rope);
    const std::string a = arch.toStdString();
    GgufWriter w;
    w.addMeta("general.architecture", MetaValue::ofString(a));
    w.addMeta(a + ".embedding_length", MetaValue::ofUInt(96, "u32"));
    w.addMeta(a + ".block_count", MetaValue::ofString("three")); // wrong type: noted, ignored
    w.addMeta(a + ".attention.head_count",
              array("array[i32]", {MetaValue::ofInt(4, "i32"), MetaValue::ofInt(6, "i32")}));
    w.addMeta(a + ".attention.key_length", MetaValue::ofUInt(16, "u32"));
    w.addMeta(a + ".attention.layer_norm_epsilon", MetaValue::ofFloat(1e-6, "f32"));
    w.addMeta(a + ".rope.freq_base", MetaValue::ofFloat(500000.0, "f32"));
    w.addMeta(a + ".rope.dimension_count", MetaValue::ofUInt(8, "u32"));
    w.addMeta(a + ".vocab_size", MetaValue::ofUInt(1000, "u32"));
    w.addTensor("token_embd.weight", DType::F32, {2, 8}, Bytes(64));
    w.addTensor("output.weight", DType::F32, {2, 8}, Bytes(64));
    const cwb::Model m = cwb::io::readGguf(writeTemp(tmp_, "hp-" + a + ".gguf", w));
    QCOMPARE(static_cast<int>(m.rope), rope);
    QCOMPARE(m.architecture, a);
    QCOMPARE(m.hparams.dim, int64_t{96});
    QCOMPARE(m.hparams.nLayers, int64_t{0});
    QCOMPARE(m.hparams.nHeads, int64_t{6});
    QCOMPARE(m.hparams.nKvHeads, int64_t{6});
    QCOMPARE(m.hparams.headDim, int64_t{16});
    QCOMPARE(m.hparams.normEps, static_cast<double>(1e-6f));
    QCOMPARE(m.hparams.ropeTheta, 500000.0);
    QCOMPARE(m.hparams.vocabSize, int64_t{1000});
    QVERIFY(!m.hparams.tiedEmbeddings);
    QVERIFY(m.tokenizer.kind.empty());
    const auto noted = [&m](const char *text) {
        for (const auto &n : m.notes)
            if (n.find(text) != std::string::npos)
                return true;
        return false;
    };
    QVERIFY(noted("block_count has type string"));
    QVERIFY(noted("varies per layer"));
    QVERIFY(noted("RoPE rotates 8 of the 16"));
    QCOMPARE(noted("is not known here"), a == "mystery");
}

void TestGguf::writerRejects()
{
    GgufWriter w;
    w.addMeta("k", MetaValue::ofUInt(1, "u8"));
    QVERIFY_THROWS_EXCEPTION(cwb::Error, w.addMeta("k", MetaValue::ofUInt(2, "u8")));
    QVERIFY_THROWS_EXCEPTION(
        cwb::Error, w.addMeta("general.alignment", MetaValue::ofUInt(64, "u32")));
    QVERIFY_THROWS_EXCEPTION(cwb::Error, w.addMeta("big", MetaValue::ofUInt(300, "u8")));
    QVERIFY_THROWS_EXCEPTION(cwb::Error, w.addMeta("neg", MetaValue::ofInt(-1, "u32")));
    QVERIFY_THROWS_EXCEPTION(cwb::Error, w.addMeta("t", MetaValue::ofString("x", "u32")));
    QVERIFY_THROWS_EXCEPTION(cwb::Error, w.addMeta("odd", MetaValue::ofUInt(1, "u128")));
    QVERIFY_THROWS_EXCEPTION(cwb::Error, w.addMeta("e", array("", {})));
    QVERIFY_THROWS_EXCEPTION(
        cwb::Error, w.addMeta("mixed", array("array[u8]", {MetaValue::ofString("s")})));
    w.addTensor("t", DType::F32, {2}, Bytes(8));
    QVERIFY_THROWS_EXCEPTION(cwb::Error, w.addTensor("t", DType::F32, {2}, Bytes(8)));
    QVERIFY_THROWS_EXCEPTION(cwb::Error, w.addTensor("short", DType::F32, {2}, Bytes(7)));
    QVERIFY_THROWS_EXCEPTION(cwb::Error, w.addTensor("q", DType::Q4_0, {16}, Bytes(9)));
    QVERIFY_THROWS_EXCEPTION(cwb::Error, w.addTensor("5d", DType::F32, {1, 1, 1, 1, 1}, Bytes(4)));
    QVERIFY_THROWS_EXCEPTION(cwb::Error, w.addTensor("fp8", DType::F8_E4M3, {4}, Bytes(4)));
    QVERIFY_THROWS_EXCEPTION(cwb::Error, GgufWriter(GgufWriteOptions{.version = 1}));
    QVERIFY_THROWS_EXCEPTION(cwb::Error, GgufWriter(GgufWriteOptions{.alignment = 24}));
    // Untyped values fall back to the kind's widest type.
    GgufWriter plain;
    plain.addMeta("i", MetaValue::ofInt(-5, ""));
    plain.addMeta("list", array("", {MetaValue::ofString("a")}));
    const auto f = cwb::io::parseGguf(plain.toBytes(), "plain");
    QCOMPARE(f.metadata[0].second.typeName, std::string("i64"));
    QCOMPARE(f.metadata[1].second.typeName, std::string("array[string]"));
}

void TestGguf::writeIsAtomic()
{
    QTemporaryDir dir;
    const std::string path = dir.filePath(QStringLiteral("model.gguf")).toStdString();
    sampleWriter().write(path);
    sampleWriter(2, 64).write(path); // replaces the file whole
    QCOMPARE(cwb::io::readGguf(path).findMeta("general.alignment")->u, uint64_t{64});
    size_t entries = 0;
    for ([[maybe_unused]] const auto &e :
        std::filesystem::directory_iterator(dir.path().toStdString()))
        ++entries;
    QCOMPARE(entries, size_t{1}); // no temporary file left behind

    const std::string bad = dir.filePath(QStringLiteral("missing/dir/model.gguf")).toStdString();
    try {
        sampleWriter().write(bad);
        QFAIL("writing into a missing directory succeeded");
    } catch (const cwb::Error &e) {
        QVERIFY2(std::string(e.what()).find(bad) != std::string::npos, e.what());
    }
    QVERIFY(!std::filesystem::exists(bad));
}

QTEST_GUILESS_MAIN(TestGguf)
#include "test_gguf.moc"
