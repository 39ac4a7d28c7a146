// SPDX-License-Identifier: MIT
// safetensors reader and writer (single files, sharded sets, every dtype, lazy opening, every kind
// of bad header or index), the llama2.c reader on generated files and bad headers, the Hugging
// Face directory reader, the architecture adapter's names, tie detection and RoPE permutation,
// and the `cwb bench open` engine at a small size.

#include "test_support.h"

#include "bench/open_bench.h"
#include "host/memory_status.h"
#include "io/llama2c_reader.h"
#include "io/open_model.h"
#include "io/readers.h"
#include "io/safetensors_reader.h"
#include "io/safetensors_writer.h"
#include "model/architecture.h"
#include "model/model.h"
#include "util/error.h"

#include <QTemporaryDir>
#include <QTest>

#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sys/mman.h>
#include <unistd.h>

namespace fs = std::filesystem;
using cwb::DType;

namespace {

using cwbtest::errorOf;

void writeFile(const std::string &path, std::span<const std::byte> bytes)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char *>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
    QVERIFY(out.good());
}

void writeText(const std::string &path, const std::string &text)
{
    writeFile(path, std::as_bytes(std::span(text.data(), text.size())));
}

std::vector<std::byte> readAll(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    std::vector<char> c((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::byte> out(c.size());
    std::memcpy(out.data(), c.data(), c.size());
    return out;
}

// A safetensors image: u64 length (or `lengthOverride`), header text, `dataBytes` bytes 0,1,2,...
std::vector<std::byte> stImage(const std::string &header, size_t dataBytes,
                               uint64_t lengthOverride = UINT64_MAX)
{
    const uint64_t len = lengthOverride == UINT64_MAX ? header.size() : lengthOverride;
    std::vector<std::byte> out(8 + header.size() + dataBytes);
    std::memcpy(out.data(), &len, 8);
    std::memcpy(out.data() + 8, header.data(), header.size());
    for (size_t i = 0; i < dataBytes; ++i)
        out[8 + header.size() + i] = static_cast<std::byte>(i & 0xff);
    return out;
}

std::vector<std::byte> patternBytes(size_t n, unsigned seed)
{
    std::vector<std::byte> v(n);
    uint32_t x = seed * 2654435761u + 1;
    for (auto &b : v) {
        x = x * 1664525u + 1013904223u;
        b = static_cast<std::byte>(x >> 24);
    }
    return v;
}

std::vector<std::string> listDir(const std::string &dir)
{
    std::vector<std::string> names;
    for (const auto &e : fs::directory_iterator(dir))
        names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

const std::vector<DType> kAllDtypes{DType::F64,     DType::F32,     DType::F16, DType::BF16,
                                    DType::F8_E4M3, DType::F8_E5M2, DType::I64, DType::I32,
                                    DType::I16,     DType::I8,      DType::U8,  DType::BOOL};

// Byte-valid data for a dtype: BOOL must be 0/1, floats must not be NaN (so value checks work).
std::vector<std::byte> sampleBytes(DType t, int64_t numel, unsigned seed)
{
    auto bytes = patternBytes(static_cast<size_t>(numel) * cwb::dtypeInfo(t).blockBytes, seed);
    if (t == DType::BOOL)
        for (auto &b : bytes)
            b = static_cast<std::byte>(std::to_integer<int>(b) & 1);
    return bytes;
}

// A llama2.c file whose floats are 0, 1, 2, ... in file order (RoPE tables included).
std::vector<std::byte> llama2cImage(std::array<int32_t, 7> header, int64_t floats)
{
    std::vector<std::byte> out(28 + static_cast<size_t>(floats) * 4);
    std::memcpy(out.data(), header.data(), 28);
    for (int64_t i = 0; i < floats; ++i) {
        const float v = static_cast<float>(i);
        std::memcpy(out.data() + 28 + i * 4, &v, 4);
    }
    return out;
}

int64_t llama2cFloats(int32_t dim, int32_t hidden, int32_t layers, int32_t heads, int32_t kv,
                      int32_t vocab, int32_t seq)
{
    const int64_t hs = dim / heads, kvDim = hs * kv, v = std::abs(vocab);
    return v * dim + layers * (2 * dim + 2 * dim * dim + 2 * kvDim * dim + 3 * hidden * dim) + dim
           + seq * hs + (vocab < 0 ? v * dim : 0);
}

// Pages of [p, p + n) currently in the page cache / mapped (mincore).
size_t residentPages(const std::byte *p, size_t n)
{
    const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
    const auto start = reinterpret_cast<uintptr_t>(p) & ~(page - 1);
    const size_t len = reinterpret_cast<uintptr_t>(p) + n - start;
    std::vector<unsigned char> vec((len + page - 1) / page);
    if (::mincore(reinterpret_cast<void *>(start), len, vec.data()) != 0)
        return SIZE_MAX;
    size_t resident = 0;
    for (auto v : vec)
        resident += v & 1;
    return resident;
}

} // namespace

class TestSafetensors : public QObject {
    Q_OBJECT

private slots:
    // ---- safetensors: good files --------------------------------------------------------------

    void roundTripEveryDtype_data()
    {
        QTest::addColumn<int>("dtype");
        for (auto t : kAllDtypes)
            QTest::newRow(std::string(cwb::dtypeName(t)).c_str()) << static_cast<int>(t);
    }

    void roundTripEveryDtype()
    {
        QFETCH(int, dtype);
        const auto t = static_cast<DType>(dtype);
        QTemporaryDir tmp;
        const std::string path = tmp.filePath(QStringLiteral("one.safetensors")).toStdString();
        const auto bytes = sampleBytes(t, 15, 7);
        const std::vector<cwb::io::SafetensorsTensor> ts{
            cwb::io::tensorFromFloats("first", {2}, std::vector<float>{1.5f, -2.0f}),
            cwb::io::tensorFromBytes("x", t, {3, 5}, bytes)};
        cwb::io::writeSafetensors(path, ts, {{"format", "pt"}});

        const cwb::Model m = cwb::io::readSafetensors(path);
        QCOMPARE(m.format, cwb::ModelFormat::Safetensors);
        QCOMPARE(m.tensors.size(), size_t(2));
        const cwb::Tensor *x = m.findTensor("x");
        QVERIFY(x);
        QCOMPARE(x->dtype, t);
        QCOMPARE(x->dtypeLabel, std::string(cwb::dtypeName(t)));
        QCOMPARE(x->shape, (std::vector<int64_t>{3, 5}));
        QCOMPARE(x->byteSize, uint64_t(bytes.size()));
        QCOMPARE(x->file, path);
        QVERIFY(x->keepAlive);
        QVERIFY(std::equal(x->data.begin(), x->data.end(), bytes.begin(), bytes.end()));
        // fileOffset is absolute and 8-byte aligned (the writer pads the header).
        const auto file = readAll(path);
        QCOMPARE(x->fileOffset % 8, uint64_t(0));
        QVERIFY(std::equal(bytes.begin(), bytes.end(),
                           file.begin() + static_cast<long>(x->fileOffset)));
        QCOMPARE(m.findTensor("first")->toFloat(), (std::vector<float>{1.5f, -2.0f}));
        const auto *fmt = m.findMeta("safetensors.format");
        QVERIFY(fmt);
        QCOMPARE(fmt->s, std::string("pt"));
    }

    void floatEncodings_data()
    {
        QTest::addColumn<int>("dtype");
        for (auto t : {DType::F32, DType::F64, DType::F16, DType::BF16})
            QTest::newRow(std::string(cwb::dtypeName(t)).c_str()) << static_cast<int>(t);
    }

    // Values exactly representable in every float format survive write + read + toFloat.
    void floatEncodings()
    {
        QFETCH(int, dtype);
        QTemporaryDir tmp;
        const std::string path = tmp.filePath(QStringLiteral("f.safetensors")).toStdString();
        std::vector<float> values;
        for (int i = -20; i < 20; ++i)
            values.push_back(static_cast<float>(i) * 0.125f);
        const std::vector ts{
            cwb::io::tensorFromFloats("w", {8, 5}, values, static_cast<DType>(dtype))};
        cwb::io::writeSafetensors(path, ts);
        const auto m = cwb::io::readSafetensors(path);
        QCOMPARE(m.tensors.at(0).toFloat(), values);
    }

    // The span parser on a hand-made image: tensors sorted by offset, views into the span,
    // padding spaces and gaps between tensors tolerated.
    void parseFromSpan()
    {
        const std::string header = R"({"b":{"dtype":"I16","shape":[2],"data_offsets":[8,12]},)"
                                   R"("a":{"dtype":"U8","shape":[2,2],"data_offsets":[0,4]},)"
                                   R"("e":{"dtype":"F32","shape":[0],"data_offsets":[12,12]}}    )";
        const auto image = stImage(header, 12);
        const auto c = cwb::io::parseSafetensors(image, "mem");
        QCOMPARE(c.dataStart, uint64_t(8 + header.size()));
        QCOMPARE(c.tensors.size(), size_t(3));
        QCOMPARE(c.tensors[0].name, std::string("a"));
        QCOMPARE(c.tensors[1].name, std::string("b"));
        QCOMPARE(c.tensors[0].data.data(), image.data() + c.dataStart);
        QCOMPARE(c.tensors[1].data.data(), image.data() + c.dataStart + 8);
        QCOMPARE(c.tensors[1].fileOffset, c.dataStart + 8);
        QCOMPARE(c.tensors[2].numel(), int64_t(0));
        QCOMPARE(c.tensors[1].toFloat(),
                 (std::vector<float>{float(8 + 9 * 256), float(10 + 11 * 256)}));
        QVERIFY(c.metadata.empty());
    }

    void sharded()
    {
        QTemporaryDir tmp;
        const std::string dir = tmp.path().toStdString();
        std::vector<cwb::io::SafetensorsTensor> ts;
        std::vector<std::vector<std::byte>> expected;
        unsigned seed = 1;
        for (auto t : kAllDtypes) {
            expected.push_back(sampleBytes(t, 64, seed++));
            ts.push_back(cwb::io::tensorFromBytes("t." + std::string(cwb::dtypeName(t)), t, {8, 8},
                                                  expected.back()));
        }
        const auto res =
            cwb::io::writeSafetensorsSharded(dir, "model", ts, 600, {{"format", "pt"}});
        QVERIFY(res.shardPaths.size() >= 3);
        QCOMPARE(fs::path(res.shardPaths.front()).filename().string(),
                 "model-00001-of-0000" + std::to_string(res.shardPaths.size()) + ".safetensors");
        QCOMPARE(fs::path(res.indexPath).filename().string(),
                 std::string("model.safetensors.index.json"));

        const cwb::Model m = cwb::io::readSafetensors(res.indexPath);
        QCOMPARE(m.tensors.size(), kAllDtypes.size());
        QCOMPARE(m.files.size(), res.shardPaths.size());
        uint64_t total = 0;
        for (size_t i = 0; i < kAllDtypes.size(); ++i) {
            const auto *t = m.findTensor("t." + std::string(cwb::dtypeName(kAllDtypes[i])));
            QVERIFY(t);
            QCOMPARE(t->dtype, kAllDtypes[i]);
            QVERIFY(
                std::equal(t->data.begin(), t->data.end(), expected[i].begin(), expected[i].end()));
            QVERIFY(std::find(res.shardPaths.begin(), res.shardPaths.end(), t->file)
                    != res.shardPaths.end());
            total += t->byteSize;
        }
        QCOMPARE(res.totalTensorBytes, total);
        const auto *ts_ = m.findMeta("index.total_size");
        QVERIFY(ts_);
        QCOMPARE(uint64_t(ts_->asInt()), total);
        QVERIFY(m.notes.empty());
        // openModel detects the index by name and runs the adapter (names here have no role).
        const cwb::Model viaOpen = cwb::io::openModel(res.indexPath);
        QCOMPARE(viaOpen.tensors.size(), kAllDtypes.size());
        QCOMPARE(viaOpen.totals().unknownTensors, int64_t(kAllDtypes.size()));
    }

    // Headers with tens of thousands of names (MoE checkpoints) parse in linear time: nlohmann's
    // ordered_json and its callback parser were both quadratic in the key count (minutes here).
    void manyTensors()
    {
        const int n = 30000;
        std::string header = "{";
        for (int i = n - 1; i >= 0; --i) { // written in reverse: the reader sorts by offset
            const std::string at = std::to_string(i);
            header += i == n - 1 ? "\"t" : ",\"t";
            header += at;
            header += "\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[";
            header += at + "," + std::to_string(i + 1) + "]}";
        }
        header += "}";
        const auto image = stImage(header, n);
        const auto t0 = std::chrono::steady_clock::now();
        const auto c = cwb::io::parseSafetensors(image, "mem");
        qInfo("parsed a %zu-byte header with %d tensors in %.3f s", header.size(), n,
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        QCOMPARE(c.tensors.size(), size_t(n));
        for (int i = 0; i < n; i += 997) {
            QCOMPARE(c.tensors[size_t(i)].name, "t" + std::to_string(i));
            QCOMPARE(std::to_integer<int>(c.tensors[size_t(i)].data[0]), i & 0xff);
        }
        // A repeated name deep in a big header is still found, at its second occurrence.
        const std::string dup = header.substr(0, header.size() - 1)
                                + R"(,"t17":{"dtype":"U8","shape":[0],"data_offsets":[0,0]}})";
        const std::string err =
            errorOf([&] { (void)cwb::io::parseSafetensors(stImage(dup, n), "mem"); });
        QCOMPARE(err, "mem: offset " + std::to_string(8 + header.size())
                          + ": tensor name 't17' appears twice in the header");
    }

    // Opening reads the header only: a 4 GiB sparse tensor is mapped, not read.
    void lazyOpen()
    {
        QTemporaryDir tmp;
        const std::string path = tmp.filePath(QStringLiteral("huge.safetensors")).toStdString();
        const uint64_t big = 4ull << 30;
        std::string header =
            R"({"__metadata__":{"format":"pt"},"big":{"dtype":"U8","shape":[4,1073741824],)"
            R"("data_offsets":[0,)"
            + std::to_string(big) + "]}}";
        header.append((8 - header.size() % 8) % 8, ' ');
        {
            const auto image = stImage(header, 0);
            writeFile(path, image);
            QVERIFY(::truncate(path.c_str(), static_cast<off_t>(image.size() + big)) == 0);
        }
        const double rss0 = cwb::host::currentRssMiB();
        const auto t0 = std::chrono::steady_clock::now();
        const cwb::Model m = cwb::io::openModel(path);
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const double rss1 = cwb::host::currentRssMiB();
        qInfo("opened a 4 GiB sparse safetensors file in %.4f s, RSS +%.1f MiB", seconds,
              rss1 - rss0);
        QCOMPARE(m.tensors.size(), size_t(1));
        const auto &t = m.tensors[0];
        QCOMPARE(t.byteSize, big);
        QCOMPARE(t.data.size(), size_t(big));
        QCOMPARE(t.fileOffset, uint64_t(8 + header.size()));
        QVERIFY2(rss1 - rss0 < 64, "opening must not read tensor bytes");
        // Readahead around the header may pull in a few pages; the data region stays untouched.
        const size_t resident = residentPages(t.data.data(), t.data.size());
        QVERIFY2(resident * 4096 < (4u << 20), qPrintable(QString::number(resident)));
    }

    // ---- safetensors: bad files ---------------------------------------------------------------

    void badFile_data()
    {
        QTest::addColumn<QByteArray>("image");
        QTest::addColumn<QString>("expected");
        const auto row =
            [](const char *name, const std::vector<std::byte> &img, const char *expected) {
                QTest::newRow(name)
                    << QByteArray(reinterpret_cast<const char *>(img.data()), qsizetype(img.size()))
                    << QString::fromUtf8(expected);
            };
        const auto one = [](const std::string &entry) { return R"({"a":)" + entry + "}"; };
        row("shorter than the length field", std::vector<std::byte>(5),
            "unexpected end of file reading header length");
        row("header past the end", stImage("{}", 0, 1000), "header length 1000 runs past the end");
        row("absurd header length", stImage("{}", 0, 1ull << 40),
            "header length 1099511627776 is absurd");
        row("invalid JSON", stImage(R"({"a":{"dtype":"F32",)", 0), "offset 28: invalid JSON");
        row("header not an object", stImage("[1,2]", 0), "header is not a JSON object");
        row("entry not an object", stImage(one("5"), 0), "tensor 'a': entry is not a JSON object");
        row("missing dtype", stImage(one(R"({"shape":[1],"data_offsets":[0,4]})"), 4),
            "missing or non-string field 'dtype'");
        row("unknown dtype",
            stImage(one(R"({"dtype":"F128","shape":[1],"data_offsets":[0,16]})"), 16),
            "unknown dtype 'F128'");
        row("shape not an array",
            stImage(one(R"({"dtype":"F32","shape":3,"data_offsets":[0,4]})"), 4),
            "missing or non-array field 'shape'");
        row("negative dimension",
            stImage(one(R"({"dtype":"F32","shape":[-1],"data_offsets":[0,4]})"), 4),
            "shape[0] is not a non-negative integer");
        row("shape product overflows",
            stImage(one(R"({"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]})"),
                    4),
            "more elements than fit in 64 bits");
        row("byte size overflows",
            stImage(one(R"({"dtype":"F64","shape":[4294967296,1073741824],"data_offsets":[0,4]})"),
                    4),
            "needs more than 2^64 bytes");
        row("data_offsets not a pair",
            stImage(one(R"({"dtype":"F32","shape":[1],"data_offsets":[0]})"), 4),
            "'data_offsets' must be an array");
        row("data_offsets past the data",
            stImage(one(R"({"dtype":"F32","shape":[100],"data_offsets":[0,400]})"), 4),
            "data_offsets [0, 400] out of range: the data region holds 4 bytes");
        row("data_offsets reversed",
            stImage(one(R"({"dtype":"F32","shape":[1],"data_offsets":[4,0]})"), 4), "out of range");
        row("size does not match shape",
            stImage(one(R"({"dtype":"F32","shape":[2],"data_offsets":[0,4]})"), 8),
            "span 4 bytes but shape [2] of F32 needs 8");
        row("overlapping tensors",
            stImage(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                    R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                    12),
            "tensor 'b' overlaps tensor 'a'");
        row("duplicate tensor name",
            stImage(R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},)"
                    R"("a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}})",
                    2),
            "offset 61: tensor name 'a' appears twice");
        row("metadata value not a string", stImage(R"({"__metadata__":{"format":1}})", 0),
            "'__metadata__' value for 'format' is not a string");
    }

    void badFile()
    {
        QFETCH(QByteArray, image);
        QFETCH(QString, expected);
        const auto bytes = std::as_bytes(std::span(image.constData(), size_t(image.size())));
        const std::string fromSpan =
            errorOf([&] { (void)cwb::io::parseSafetensors(bytes, "mem.safetensors"); });
        QVERIFY2(fromSpan.starts_with("mem.safetensors: offset "), fromSpan.c_str());
        QVERIFY2(QString::fromStdString(fromSpan).contains(expected), fromSpan.c_str());

        QTemporaryDir tmp;
        const std::string path = tmp.filePath(QStringLiteral("bad.safetensors")).toStdString();
        writeFile(path, bytes);
        const std::string fromFile = errorOf([&] { (void)cwb::io::openModel(path); });
        QVERIFY2(fromFile.starts_with(path + ": offset "), fromFile.c_str());
        QVERIFY2(QString::fromStdString(fromFile).contains(expected), fromFile.c_str());
    }

    void badIndex_data()
    {
        QTest::addColumn<QString>("index");
        QTest::addColumn<QString>("expected");
        QTest::newRow("invalid JSON") << R"({"weight_map": {"t1": )"
                                      << "offset 22: invalid JSON in safetensors index";
        QTest::newRow("no weight_map") << R"({"metadata": {}})"
                                       << "missing or non-object field 'weight_map'";
        QTest::newRow("empty weight_map") << R"({"weight_map": {}})"
                                          << "weight_map lists no tensors";
        QTest::newRow("shard not a string") << R"({"weight_map": {"t1": 3}})"
                                            << "weight_map entry for tensor 't1' is not a string";
        QTest::newRow("shard outside the directory")
            << R"({"weight_map": {"t1": "../a.safetensors"}})"
            << "is not a file name inside the index's directory";
        QTest::newRow("missing shard")
            << R"({"weight_map": {"t1": "a.safetensors", "t2": "gone.safetensors"}})"
            << "names shard 'gone.safetensors' (for tensor 't2'), but";
        QTest::newRow("tensor absent from its shard")
            << R"({"weight_map": {"t3": "a.safetensors"}})"
            << "puts tensor 't3' in shard 'a.safetensors', but that shard";
        QTest::newRow("tensor in two shards")
            << R"({"weight_map": {"t1": "a.safetensors", "t9": "c.safetensors"}})"
            << "tensor 't1' is in shard 'a.safetensors' and again in shard 'c.safetensors'";
        QTest::newRow("corrupt shard")
            << R"({"weight_map": {"t1": "a.safetensors", "z": "d.safetensors"}})"
            << "d.safetensors: offset 0: header length";
    }

    void badIndex()
    {
        QFETCH(QString, index);
        QFETCH(QString, expected);
        QTemporaryDir tmp;
        const std::string dir = tmp.path().toStdString();
        const std::vector<float> v{1, 2};
        cwb::io::writeSafetensors(dir + "/a.safetensors",
                                  std::vector{cwb::io::tensorFromFloats("t1", {2}, v),
                                              cwb::io::tensorFromFloats("t2", {2}, v)});
        cwb::io::writeSafetensors(dir + "/b.safetensors",
                                  std::vector{cwb::io::tensorFromFloats("t3", {2}, v)});
        cwb::io::writeSafetensors(dir + "/c.safetensors",
                                  std::vector{cwb::io::tensorFromFloats("t1", {2}, v),
                                              cwb::io::tensorFromFloats("t9", {2}, v)});
        writeFile(dir + "/d.safetensors", stImage("{}", 0, 77777));
        const std::string indexPath = dir + "/model.safetensors.index.json";
        writeText(indexPath, index.toStdString());
        const std::string err = errorOf([&] { (void)cwb::io::readSafetensors(indexPath); });
        QVERIFY2(QString::fromStdString(err).contains(expected), err.c_str());
        QVERIFY2(err.find(dir) == 0, err.c_str()); // names the index or the shard, by path
    }

    // ---- safetensors writer -----------------------------------------------------------------

    void writerLeavesNoPartialFile()
    {
        QTemporaryDir tmp;
        const std::string dir = tmp.path().toStdString();
        const std::string path = dir + "/out.safetensors";
        const std::vector<float> v{1, 2, 3};

        // Wrong byte count: refused before anything is created.
        auto bad = cwb::io::tensorFromFloats("w", {3}, v);
        bad.shape = {4};
        QVERIFY(errorOf([&] { cwb::io::writeSafetensors(path, std::vector{bad}); }).find("need 16")
                != std::string::npos);
        QVERIFY(listDir(dir).empty());

        // A generator that fails half way: the temporary file is removed, an older file survives.
        cwb::io::writeSafetensors(path, std::vector{cwb::io::tensorFromFloats("old", {3}, v)});
        const auto before = readAll(path);
        cwb::io::SafetensorsTensor failing;
        failing.name = "g";
        failing.dtype = DType::U8;
        failing.shape = {20 << 20};
        failing.generate = [](uint64_t offset, std::span<std::byte> out) {
            if (offset > 0)
                throw cwb::Error("disk on fire");
            std::memset(out.data(), 1, out.size());
        };
        QCOMPARE(errorOf([&] { cwb::io::writeSafetensors(path, std::vector{failing}); }),
                 std::string("disk on fire"));
        QCOMPARE(listDir(dir), std::vector<std::string>{"out.safetensors"});
        QVERIFY(readAll(path) == before);

        // Sharded: a failure in the last shard leaves neither shards nor index.
        const std::string sub = dir + "/sharded";
        fs::create_directory(sub);
        std::vector ts{cwb::io::tensorFromFloats("a", {3}, v),
                       cwb::io::tensorFromFloats("b", {3}, v), failing};
        QVERIFY(!errorOf([&] {
                     (void)cwb::io::writeSafetensorsSharded(sub, "model", ts, 12);
                 }).empty());
        QVERIFY(listDir(sub).empty());

        // Unwritable destination.
        QVERIFY(errorOf([&] {
                    cwb::io::writeSafetensors(dir + "/no/such/dir/x.safetensors",
                                              std::vector{ts[0]});
                }).find("cannot create a temporary file")
                != std::string::npos);
        // Duplicate names and non-safetensors dtypes are refused.
        QVERIFY(errorOf([&] {
                    cwb::io::writeSafetensors(path, std::vector{ts[0], ts[0]});
                }).find("given twice")
                != std::string::npos);
        auto q = ts[0];
        q.dtype = DType::Q4_0;
        QVERIFY(errorOf([&] {
                    cwb::io::writeSafetensors(path, std::vector{q});
                }).find("no safetensors spelling")
                != std::string::npos);
        QCOMPARE(listDir(dir), (std::vector<std::string>{"out.safetensors", "sharded"}));
    }

    // ---- llama2.c -------------------------------------------------------------------------------

    void llama2cGenerated_data()
    {
        QTest::addColumn<int>("vocab");
        QTest::newRow("shared classifier") << 10;
        QTest::newRow("separate classifier") << -10;
    }

    void llama2cGenerated()
    {
        QFETCH(int, vocab);
        const int32_t dim = 8, hidden = 12, layers = 2, heads = 2, kv = 1, seq = 4;
        const int64_t floats = llama2cFloats(dim, hidden, layers, heads, kv, vocab, seq);
        QTemporaryDir tmp;
        const std::string path = tmp.filePath(QStringLiteral("m.bin")).toStdString();
        writeFile(path, llama2cImage({dim, hidden, layers, heads, kv, vocab, seq}, floats));
        writeFile(tmp.filePath(QStringLiteral("tok10.bin")).toStdString(),
                  std::vector<std::byte>(4));

        const cwb::Model m = cwb::io::openModel(path);
        QCOMPARE(m.format, cwb::ModelFormat::Llama2c);
        QCOMPARE(m.family, cwb::ArchFamily::Llama);
        QCOMPARE(m.rope, cwb::RopeLayout::Interleaved);
        QCOMPARE(m.hparams.dim, int64_t(8));
        QCOMPARE(m.hparams.headDim, int64_t(4));
        QCOMPARE(m.hparams.nKvHeads, int64_t(1));
        QCOMPARE(m.hparams.vocabSize, int64_t(10));
        QCOMPARE(m.hparams.contextLength, int64_t(4));
        QCOMPARE(m.hparams.tiedEmbeddings, vocab > 0);
        QCOMPARE(m.tokenizer.kind, std::string("llama2c-bin"));
        QCOMPARE(fs::path(m.tokenizer.files.at(0)).filename().string(), std::string("tok10.bin"));
        // 1 + 9 per layer + 1 (+ wcls), in file order; each starts at the running float index.
        QCOMPARE(m.tensors.size(), size_t(2 + 9 * layers + (vocab < 0 ? 1 : 0)));
        int64_t index = 0;
        for (const auto &t : m.tensors) {
            if (t.name == "wcls")
                index += seq * (dim / heads); // the RoPE tables sit before it
            QCOMPARE(t.fileOffset, uint64_t(28 + 4 * index));
            QCOMPARE(t.toFloat().front(), float(index));
            QVERIFY2(!t.canonical.empty(), t.name.c_str());
            index += t.numel();
        }
        QCOMPARE(m.findTensor("layers.1.wk")->shape, (std::vector<int64_t>{4, 8}));
        QCOMPARE(m.findTensor("layers.1.w2")->shape, (std::vector<int64_t>{8, 12}));
        QCOMPARE(m.findTensor("layers.1.mlp.gate")->name, std::string("layers.1.w1"));
        QCOMPARE(m.findTensor("head") != nullptr, vocab < 0);
        const int64_t params = floats - seq * (dim / heads);
        QCOMPARE(m.totals().parameters, params);
        QVERIFY(std::any_of(m.notes.begin(), m.notes.end(), [](const std::string &n) {
            return n.find("freq_cis_real") != std::string::npos;
        }));
    }

    void llama2cBad_data()
    {
        QTest::addColumn<QList<int>>("header");
        QTest::addColumn<int>("sizeDelta"); // bytes added to (or removed from) the implied size
        QTest::addColumn<QString>("expected");
        QTest::newRow("zero dim") << QList<int>{0, 12, 2, 2, 1, 10, 4} << 0
                                  << "offset 0: header field dim = 0: must be positive";
        QTest::newRow("negative layers")
            << QList<int>{8, 12, -2, 2, 1, 10, 4} << 0 << "n_layers = -2: must be positive";
        QTest::newRow("heads do not divide dim")
            << QList<int>{8, 12, 2, 3, 1, 10, 4} << 0 << "n_heads = 3: does not divide dim = 8";
        QTest::newRow("odd head size")
            << QList<int>{6, 12, 2, 2, 1, 10, 4} << 0 << "odd head size 3";
        QTest::newRow("more kv heads than heads")
            << QList<int>{8, 12, 2, 2, 4, 10, 4} << 0 << "n_kv_heads = 4: must divide n_heads = 2";
        QTest::newRow("zero vocab")
            << QList<int>{8, 12, 2, 2, 1, 0, 4} << 0 << "offset 20: header field vocab_size = 0";
        QTest::newRow("negative seq_len")
            << QList<int>{8, 12, 2, 2, 1, 10, -4} << 0 << "offset 24: header field seq_len = -4";
        QTest::newRow("truncated")
            << QList<int>{8, 12, 2, 2, 1, 10, 4} << -4 << "implies exactly 4412 bytes (truncated)";
        QTest::newRow("trailing bytes") << QList<int>{8, 12, 2, 2, 1, 10, 4} << 8
                                        << "implies exactly 4412 bytes (trailing bytes)";
        QTest::newRow("absurd sizes")
            << QList<int>{1 << 30, 1 << 30, 1 << 30, 2, 1, 1 << 30, 1 << 30} << 0 << "implies";
        QTest::newRow("shorter than the header")
            << QList<int>{8, 12, 2} << 0 << "unexpected end of file reading n_heads";
    }

    void llama2cBad()
    {
        QFETCH(QList<int>, header);
        QFETCH(int, sizeDelta);
        QFETCH(QString, expected);
        std::vector<std::byte> image(header.size() * 4);
        for (int i = 0; i < header.size(); ++i)
            std::memcpy(image.data() + 4 * i, &header[i], 4);
        if (header.size() == 7) {
            const int64_t floats = header[0] == 8 ? llama2cFloats(8, 12, 2, 2, 1, 10, 4) : 16;
            image.resize(static_cast<size_t>(28 + floats * 4 + sizeDelta));
        }
        QTemporaryDir tmp;
        const std::string path = tmp.filePath(QStringLiteral("bad.bin")).toStdString();
        writeFile(path, image);
        const std::string err = errorOf([&] { (void)cwb::io::readLlama2c(path); });
        QVERIFY2(err.starts_with(path + ": offset "), err.c_str());
        QVERIFY2(QString::fromStdString(err).contains(expected), err.c_str());
    }

    // ---- Hugging Face directory ----------------------------------------------------------------

    void hfDirectoryGpt2()
    {
        QTemporaryDir tmp;
        const std::string dir = tmp.path().toStdString();
        writeText(dir + "/config.json",
                  R"({"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"],
                      "n_embd": 4, "n_layer": 1, "n_head": 2, "n_positions": 16,
                      "n_inner": null, "vocab_size": 6, "layer_norm_epsilon": 1e-5,
                      "task_specific_params": {"text-generation": {"max_length": 50}}})");
        writeText(dir + "/vocab.json", "{}");
        writeText(dir + "/merges.txt", "#version: 0.2\n");
        std::vector<float> embed(24), pos(64), qkv(48), other(16), vec(4);
        for (size_t i = 0; i < embed.size(); ++i)
            embed[i] = float(i);
        using cwb::io::tensorFromFloats;
        cwb::io::writeSafetensors(
            dir + "/model.safetensors",
            std::vector{tensorFromFloats("wte.weight", {6, 4}, embed),
                        tensorFromFloats("wpe.weight", {16, 4}, pos),
                        tensorFromFloats("h.0.ln_1.weight", {4}, vec),
                        tensorFromFloats("h.0.ln_1.bias", {4}, vec),
                        tensorFromFloats("h.0.attn.c_attn.weight", {4, 12}, qkv),
                        tensorFromFloats("h.0.attn.c_proj.weight", {4, 4}, other),
                        tensorFromFloats("h.0.attn.bias", {1, 1, 4, 4}, other),
                        tensorFromFloats("h.0.mlp.c_fc.weight", {4, 4}, other),
                        tensorFromFloats("ln_f.bias", {4}, vec),
                        tensorFromFloats("lm_head.weight", {6, 4}, embed)});
        const cwb::Model m = cwb::io::openModel(dir);
        QCOMPARE(m.format, cwb::ModelFormat::HfDirectory);
        QCOMPARE(m.family, cwb::ArchFamily::Gpt2);
        QCOMPARE(m.architecture, std::string("gpt2"));
        QCOMPARE(m.rope, cwb::RopeLayout::None);
        QCOMPARE(m.hparams.dim, int64_t(4));
        QCOMPARE(m.hparams.nLayers, int64_t(1));
        QCOMPARE(m.hparams.nHeads, int64_t(2));
        QCOMPARE(m.hparams.nKvHeads, int64_t(2));
        QCOMPARE(m.hparams.headDim, int64_t(2));
        QCOMPARE(m.hparams.hiddenDim, int64_t(16));
        QCOMPARE(m.hparams.contextLength, int64_t(16));
        QCOMPARE(m.hparams.vocabSize, int64_t(6));
        QVERIFY(m.hparams.tiedEmbeddings);
        QCOMPARE(m.findMeta("config.n_embd")->asInt(), int64_t(4));
        QCOMPARE(m.findMeta("config.task_specific_params.text-generation.max_length")->asInt(),
                 int64_t(50));
        QCOMPARE(m.tokenizer.kind, std::string("vocab.json+merges.txt"));
        QCOMPARE(m.tokenizer.files.size(), size_t(2));
        QCOMPARE(m.findTensor("layers.0.attn.qkv")->name, std::string("h.0.attn.c_attn.weight"));
        QCOMPARE(m.findTensor("layers.0.attn_norm.bias")->name, std::string("h.0.ln_1.bias"));
        QCOMPARE(m.findTensor("pos_embed")->name, std::string("wpe.weight"));
        QCOMPARE(m.findTensor("final_norm.bias")->name, std::string("ln_f.bias"));
        QCOMPARE(m.findTensor("h.0.attn.bias")->canonical, std::string()); // the causal mask buffer
        QCOMPARE(m.findTensor("head")->tiedTo, std::string("wte.weight"));
        QCOMPARE(m.totals().parameters, int64_t(64 + 4 + 4 + 48 + 16 + 16 + 16 + 4 + 24));
    }

    void hfDirectoryErrors()
    {
        QTemporaryDir tmp;
        const std::string dir = tmp.path().toStdString();
        QVERIFY(errorOf([&] { (void)cwb::io::readHfDirectory(dir); }).find("no model.safetensors")
                != std::string::npos);
        writeText(dir + "/pytorch_model.bin", "x");
        QVERIFY(errorOf([&] { (void)cwb::io::readHfDirectory(dir); }).find("PyTorch pickle")
                != std::string::npos);
        cwb::io::writeSafetensors(
            dir + "/model.safetensors",
            std::vector{cwb::io::tensorFromFloats("x", {1}, std::vector<float>{1})});
        writeText(dir + "/config.json", "{\"hidden_size\": 64,\n \"num_hidden_layers\": }");
        const std::string err = errorOf([&] { (void)cwb::io::readHfDirectory(dir); });
        QVERIFY2(err.starts_with(dir + "/config.json: offset 42: invalid JSON in config.json"),
                 err.c_str());
        writeText(dir + "/config.json", R"({"hidden_size": -64})");
        QVERIFY(errorOf([&] {
                    (void)cwb::io::readHfDirectory(dir);
                }).find("'hidden_size' is not a sane")
                != std::string::npos);
        writeText(dir + "/config.json", R"({"hidden_size": 64})");
        const auto m = cwb::io::readHfDirectory(dir);
        QVERIFY(m.tokenizer.kind.empty());
        QVERIFY(std::any_of(m.notes.begin(), m.notes.end(), [](const std::string &n) {
            return n.find("no tokenizer files") != std::string::npos;
        }));
    }

    // ---- architecture adapter -------------------------------------------------------------------

    void canonicalNames_data()
    {
        QTest::addColumn<int>("format");
        QTest::addColumn<int>("family");
        QTest::addColumn<QString>("original");
        QTest::addColumn<QString>("canonical");
        const int hf = int(cwb::ModelFormat::HfDirectory), st = int(cwb::ModelFormat::Safetensors);
        const int gguf = int(cwb::ModelFormat::Gguf), l2c = int(cwb::ModelFormat::Llama2c);
        const int keras = int(cwb::ModelFormat::KerasH5);
        const int llama = int(cwb::ArchFamily::Llama), gpt2 = int(cwb::ArchFamily::Gpt2);
        const int generic = int(cwb::ArchFamily::Generic);
        const auto row = [](const char *tag, int fmt, int fam, const char *o, const char *c) {
            QTest::newRow(tag) << fmt << fam << QString::fromUtf8(o) << QString::fromUtf8(c);
        };
        row("hf embed", hf, llama, "model.embed_tokens.weight", "embed");
        row("hf q", hf, llama, "model.layers.7.self_attn.q_proj.weight", "layers.7.attn.q");
        row("hf q bias", hf, llama, "model.layers.7.self_attn.q_proj.bias", "layers.7.attn.q.bias");
        row("hf o", st, llama, "model.layers.12.self_attn.o_proj.weight", "layers.12.attn.o");
        row("hf gate", hf, llama, "model.layers.0.mlp.gate_proj.weight", "layers.0.mlp.gate");
        row("hf down", hf, llama, "model.layers.0.mlp.down_proj.weight", "layers.0.mlp.down");
        row("hf attn norm", hf, llama, "model.layers.3.input_layernorm.weight",
            "layers.3.attn_norm");
        row("hf mlp norm", hf, llama, "model.layers.3.post_attention_layernorm.weight",
            "layers.3.mlp_norm");
        row("hf final norm", hf, llama, "model.norm.weight", "final_norm");
        row("hf head", hf, llama, "lm_head.weight", "head");
        row("hf rotary buffer", hf, llama, "model.layers.0.self_attn.rotary_emb.inv_freq", "");
        row("hf bad layer", hf, llama, "model.layers.x.self_attn.q_proj.weight", "");
        row("gpt2 wte", hf, gpt2, "wte.weight", "embed");
        row("gpt2 prefixed", hf, gpt2, "transformer.h.11.mlp.c_proj.weight", "layers.11.mlp.down");
        row("gpt2 c_fc bias", st, gpt2, "h.0.mlp.c_fc.bias", "layers.0.mlp.up.bias");
        row("gpt2 ln_2", hf, gpt2, "h.2.ln_2.weight", "layers.2.mlp_norm");
        row("gpt2 under generic", st, generic, "h.0.attn.c_attn.weight", "layers.0.attn.qkv");
        row("gguf embed", gguf, llama, "token_embd.weight", "embed");
        row("gguf head", gguf, llama, "output.weight", "head");
        row("gguf final norm", gguf, llama, "output_norm.weight", "final_norm");
        row("gguf q", gguf, llama, "blk.4.attn_q.weight", "layers.4.attn.q");
        row("gguf o", gguf, llama, "blk.4.attn_output.weight", "layers.4.attn.o");
        row("gguf ffn_up", gguf, llama, "blk.0.ffn_up.weight", "layers.0.mlp.up");
        row("gguf ffn_norm", gguf, llama, "blk.0.ffn_norm.weight", "layers.0.mlp_norm");
        row("gguf k bias", gguf, generic, "blk.1.attn_k.bias", "layers.1.attn.k.bias");
        row("gguf rope freqs", gguf, llama, "rope_freqs.weight", "");
        row("llama2c wq", l2c, llama, "layers.3.wq", "layers.3.attn.q");
        row("llama2c w1", l2c, llama, "layers.3.w1", "layers.3.mlp.gate");
        row("llama2c w3", l2c, llama, "layers.3.w3", "layers.3.mlp.up");
        row("llama2c embed", l2c, llama, "token_embedding", "embed");
        row("llama2c wcls", l2c, llama, "wcls", "head");
        row("keras dense", keras, generic, "dense/dense_3/kernel:0", "dense.kernel");
        row("keras conv bias", keras, generic, "conv2d_1/conv2d_1/bias:0", "conv2d_1.bias");
        row("keras no group", keras, generic, "kernel:0", "");
    }

    void canonicalNames()
    {
        QFETCH(int, format);
        QFETCH(int, family);
        QFETCH(QString, original);
        QFETCH(QString, canonical);
        QCOMPARE(QString::fromStdString(cwb::canonicalName(static_cast<cwb::ModelFormat>(format),
                                                           static_cast<cwb::ArchFamily>(family),
                                                           original.toStdString())),
                 canonical);
    }

    void tiedHead_data()
    {
        QTest::addColumn<bool>("identical");
        QTest::newRow("copy") << true;
        QTest::newRow("different") << false;
    }

    void tiedHead()
    {
        QFETCH(bool, identical);
        QTemporaryDir tmp;
        const std::string path = tmp.filePath(QStringLiteral("t.safetensors")).toStdString();
        std::vector<float> e(32 * 8), h;
        for (size_t i = 0; i < e.size(); ++i)
            e[i] = std::sin(float(i));
        h = e;
        if (!identical)
            h.back() += 1.0f; // one value in the last page differs
        cwb::io::writeSafetensors(
            path, std::vector{cwb::io::tensorFromFloats("model.embed_tokens.weight", {32, 8}, e),
                              cwb::io::tensorFromFloats("lm_head.weight", {32, 8}, h)});
        const cwb::Model m = cwb::io::openModel(path);
        QCOMPARE(m.family, cwb::ArchFamily::Llama); // judged by the names: no architecture declared
        QCOMPARE(m.rope, cwb::RopeLayout::HalfSplit);
        QCOMPARE(m.findTensor("head")->tiedTo,
                 identical ? std::string("model.embed_tokens.weight") : std::string());
        QCOMPARE(m.hparams.tiedEmbeddings, identical);
        QCOMPARE(m.totals().parameters, int64_t(identical ? 256 : 512));
        QCOMPARE(m.hparams.vocabSize, int64_t(32));
        QCOMPARE(m.hparams.dim, int64_t(8));
    }

    // Above 256 MB the tie check samples 64 pages instead of reading both tensors (sparse files:
    // nothing is really written or read).
    void tiedHeadSampled_data()
    {
        QTest::addColumn<bool>("identical");
        QTest::newRow("copy") << true;
        QTest::newRow("last byte differs") << false;
    }

    void tiedHeadSampled()
    {
        QFETCH(bool, identical);
        QTemporaryDir tmp;
        const std::string path = tmp.filePath(QStringLiteral("big.safetensors")).toStdString();
        const uint64_t each = 300ull << 20;
        const std::string shape = R"("shape":[300,1048576])";
        std::string header = R"({"model.embed_tokens.weight":{"dtype":"U8",)" + shape
                             + R"(,"data_offsets":[0,)" + std::to_string(each)
                             + R"(]},"lm_head.weight":{"dtype":"U8",)" + shape
                             + R"(,"data_offsets":[)" + std::to_string(each) + ","
                             + std::to_string(2 * each) + "]}}";
        const auto image = stImage(header, 0);
        writeFile(path, image);
        QVERIFY(::truncate(path.c_str(), static_cast<off_t>(image.size() + 2 * each)) == 0);
        if (!identical) {
            std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
            f.seekp(static_cast<std::streamoff>(image.size() + 2 * each - 1));
            f.put('\x01');
            QVERIFY(f.good());
        }
        const cwb::Model m = cwb::io::openModel(path);
        QCOMPARE(m.findTensor("head")->tiedTo,
                 identical ? std::string("model.embed_tokens.weight") : std::string());
        QCOMPARE(m.totals().parameters, int64_t(identical ? each : 2 * each));
        QCOMPARE(std::any_of(m.notes.begin(), m.notes.end(),
                             [](const std::string &n) {
                                 return n.find("64 sampled 4 KiB pages") != std::string::npos;
                             }),
                 identical);
    }

    void permuteRope()
    {
        const int64_t heads = 3, headDim = 6, cols = 5;
        std::vector<float> w(size_t(heads * headDim * cols));
        for (size_t i = 0; i < w.size(); ++i)
            w[i] = float(i);
        const auto original = w;
        cwb::permuteRopeRows(w, heads, headDim, cols, cwb::RopeLayout::Interleaved,
                             cwb::RopeLayout::HalfSplit);
        QVERIFY(w != original);
        // Interleaved row 2i -> i, 2i+1 -> i + headDim/2, within each head.
        const auto row = [&](const std::vector<float> &m, int64_t h, int64_t r) {
            return m[size_t((h * headDim + r) * cols)];
        };
        for (int64_t h = 0; h < heads; ++h)
            for (int64_t i = 0; i < headDim / 2; ++i) {
                QCOMPARE(row(w, h, i), row(original, h, 2 * i));
                QCOMPARE(row(w, h, i + headDim / 2), row(original, h, 2 * i + 1));
            }
        cwb::permuteRopeRows(w, heads, headDim, cols, cwb::RopeLayout::HalfSplit,
                             cwb::RopeLayout::Interleaved);
        QVERIFY(w == original);
        cwb::permuteRopeRows(w, heads, headDim, cols, cwb::RopeLayout::HalfSplit,
                             cwb::RopeLayout::HalfSplit);
        QVERIFY(w == original);
        QVERIFY(!errorOf([&] {
                     cwb::permuteRopeRows(w, heads, headDim + 1, cols, cwb::RopeLayout::Interleaved,
                                          cwb::RopeLayout::HalfSplit);
                 }).empty());
        QVERIFY(!errorOf([&] {
                     cwb::permuteRopeRows(w, 5, 5, 5, cwb::RopeLayout::Interleaved,
                                          cwb::RopeLayout::HalfSplit);
                 }).empty());
        QVERIFY(!errorOf([&] {
                     cwb::permuteRopeRows(w, heads, headDim, cols, cwb::RopeLayout::None,
                                          cwb::RopeLayout::HalfSplit);
                 }).empty());
    }

    // ---- bench open
    // ------------------------------------------------------------------------------

    void openBenchSmall()
    {
        QTemporaryDir tmp;
        cwb::bench::OpenBenchParams p;
        p.modelBytes = 20u << 20;
        p.shards = 3;
        p.tempParent = tmp.path().toStdString();
        p.triadBytes = 48u << 20;
        p.triadRepeats = 2;
        std::vector<double> progress;
        cwb::JobContext ctx;
        ctx.progress = [&](double f, const std::string &) { progress.push_back(f); };
        const auto r = cwb::bench::runOpenBench(p, ctx);
        qInfo("bench open (20 MB): %llu bytes, %lld tensors, %d shards, write %.3f s, open %.4f s, "
              "RSS +%.1f MiB, "
              "convert %.3f s = %.2f GB/s, triad %.2f GB/s",
              static_cast<unsigned long long>(r.modelBytes), static_cast<long long>(r.tensors),
              r.shards, r.writeSeconds, r.openSeconds, r.rssGrowthOpenMiB, r.convertSeconds,
              r.convertGBps, r.triadGBps);
        QVERIFY(r.modelBytes > (14u << 20) && r.modelBytes < (26u << 20));
        QCOMPARE(r.shards, 3);
        QCOMPARE(uint64_t(r.parameters) * 2, r.modelBytes); // BF16, nothing tied
        QCOMPARE(r.tensors, 3 + 9 * r.layers);
        QVERIFY(r.openSeconds > 0 && r.openSeconds < 5);
        QVERIFY(r.rssGrowthOpenMiB < 32);
        QVERIFY(r.convertSeconds > 0 && r.convertGBps > 0.01);
        QVERIFY(std::isfinite(r.checksum) && r.checksum != 0);
        QVERIFY(r.triadGBps > 0.1 && r.triadSeconds > 0);
        QVERIFY(!progress.empty() && progress.back() == 1.0);
        QVERIFY(std::is_sorted(progress.begin(), progress.end()));
        QVERIFY(listDir(p.tempParent).empty()); // the generated model is gone

        // Cancellation stops it and still cleans up.
        std::atomic<bool> cancel{true};
        cwb::JobContext cancelled;
        cancelled.cancelFlag = &cancel;
        bool threw = false;
        try {
            (void)cwb::bench::runOpenBench(p, cancelled);
        } catch (const cwb::Cancelled &) {
            threw = true;
        }
        QVERIFY(threw);
        QVERIFY(listDir(p.tempParent).empty());
        p.dtype = DType::F32;
        QVERIFY(!errorOf([&] { (void)cwb::bench::runOpenBench(p); }).empty());
    }
};

QTEST_GUILESS_MAIN(TestSafetensors)
#include "test_safetensors.moc"
