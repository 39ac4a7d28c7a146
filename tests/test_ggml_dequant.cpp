// SPDX-License-Identifier: MIT
// ggml block dequantizers against llama.cpp's own output: every tensor of every file in
// reference/ggml_quant_zoo.json read through the GGUF reader (first values exact, sums to 1e-9),
// and reference/ggml_quant_vectors.json (quantized bytes -> dequantized values, bit for bit, with
// and without imatrix). The TBB fast path (convertToFloat) must equal the scalar reference
// (convertRowReference) bit for bit on large generated buffers of every type. Finally the
// quantizers (formats/ggml_quantize.h) round-trip through the GGUF writer and reader: block
// sizes per the GGUF spec, scales at their documented byte offsets, and a bounded error.

#include "formats/float_formats.h"
#include "formats/ggml_dequant.h"
#include "formats/ggml_quantize.h"
#include "io/gguf_writer.h"
#include "io/readers.h"
#include "tensor/dequantize.h"
#include "test_support.h"
#include "util/error.h"

#include <QTemporaryDir>
#include <QTest>

#include <nlohmann/json.hpp>

#include <bit>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

Q_DECLARE_METATYPE(std::string)
Q_DECLARE_METATYPE(cwb::DType)


namespace {

using cwb::DType;
using Bytes = std::vector<std::byte>;

const nlohmann::json &loadReference(const char *relative)
{
    static std::map<std::string, nlohmann::json> cache;
    auto it = cache.find(relative);
    if (it == cache.end()) {
        const std::string path = cwbtest::sharedPath(relative);
        nlohmann::json j;
        if (!path.empty()) {
            std::ifstream in(path);
            j = nlohmann::json::parse(in);
        }
        it = cache.emplace(relative, std::move(j)).first;
    }
    return it->second;
}

const nlohmann::json &zoo() { return loadReference("reference/ggml_quant_zoo.json"); }
const nlohmann::json &vectors() { return loadReference("reference/ggml_quant_vectors.json"); }

Bytes fromHex(const std::string &hex)
{
    Bytes b(hex.size() / 2);
    for (size_t i = 0; i < b.size(); ++i)
        b[i] = static_cast<std::byte>(std::stoi(hex.substr(2 * i, 2), nullptr, 16));
    return b;
}

uint32_t bits(float f) { return std::bit_cast<uint32_t>(f); }

// "value (0xBITS)": distinguishes -0.0 from 0.0 and last-bit differences in messages.
QString show(float f)
{
    return QStringLiteral("%1 (0x%2)")
        .arg(double(f), 0, 'g', 9)
        .arg(bits(f), 8, 16, QLatin1Char('0'));
}

// Index of the first value whose bits differ, or -1.
int64_t firstMismatch(const std::vector<float> &a, const std::vector<float> &b)
{
    if (a.size() != b.size())
        return 0;
    for (size_t i = 0; i < a.size(); ++i)
        if (bits(a[i]) != bits(b[i]))
            return static_cast<int64_t>(i);
    return -1;
}

Bytes randomBytes(size_t n, uint32_t seed)
{
    std::mt19937 rng(seed);
    Bytes b(n);
    for (auto &x : b)
        x = static_cast<std::byte>(rng() & 0xffu);
    return b;
}

// Deterministic weights on any platform: SplitMix64 + Box-Muller, scale 0.02 like real weights,
// with every 61st value a 6-sigma outlier (what makes per-block scales matter).
std::vector<float> syntheticWeights(int64_t n, uint64_t seed)
{
    uint64_t state = seed;
    auto next = [&state] {
        uint64_t z = (state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    };
    auto uniform = [&next] { return static_cast<double>(next() >> 11) * 0x1p-53; };
    std::vector<float> v(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
        const double g
            = std::sqrt(-2.0 * std::log(1.0 - uniform())) * std::cos(2.0 * M_PI * uniform());
        v[static_cast<size_t>(i)] = static_cast<float>(0.02 * (i % 61 == 0 ? 6.0 : g));
    }
    return v;
}

// GGUF spec facts (ggml.h type ids, ggml-common.h block structs) and where each block keeps its
// fp16 super-scale `d` and, for types with a minimum, `m` / `dmin`; plus the relative RMS error
// sqrt(sum (y - x)^2 / sum x^2) the quantizers must stay under on syntheticWeights (16 x 1024),
// without and with the importance vector. Bounds are 1.25x the larger of the two figures
// measured with the byte-exact ports of llama.cpp's quantizers; a wrong bit layout or scale gives
// errors of 50-100 %.
struct RoundTripCase {
    DType type;
    int ggmlId;
    int blockElems;
    int blockBytes;
    int dOffset;
    int minOffset; // -1: symmetric type
    double maxRelRms;
};

//  type        id  block bytes  d@  min@  bound    measured: plain / imatrix
constexpr RoundTripCase kRoundTrip[] = {
    {DType::Q4_0, 2, 32, 18, 0, -1, 0.165},      // 0.1305 / 0.1276
    {DType::Q4_1, 3, 32, 20, 0, 2, 0.125},       // 0.0978 / 0.0897
    {DType::Q5_0, 6, 32, 22, 0, -1, 0.083},      // 0.0658 / 0.0645
    {DType::Q5_1, 7, 32, 24, 0, 2, 0.059},       // 0.0468 / 0.0430
    {DType::Q8_0, 8, 32, 34, 0, -1, 0.0105},     // 0.00825 / 0.00825 (ignores importance)
    {DType::Q2_K, 10, 256, 84, 80, 82, 0.425},   // 0.3393 / 0.3056
    {DType::Q3_K, 11, 256, 110, 108, -1, 0.251}, // 0.2007 / 0.1950
    {DType::Q4_K, 12, 256, 144, 0, 2, 0.112},    // 0.0887 / 0.0891
    {DType::Q5_K, 13, 256, 176, 0, 2, 0.056},    // 0.0442 / 0.0438
    {DType::Q6_K, 14, 256, 210, 208, -1, 0.031}, // 0.0245 / 0.0243
};

float halfAt(const Bytes &b, size_t at)
{
    return cwb::fp16ToFloat(static_cast<uint16_t>(static_cast<unsigned>(b[at])
                                                  | (static_cast<unsigned>(b[at + 1]) << 8)));
}

} // namespace

class TestGgmlDequant : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void zooTensors_data();
    void zooTensors();
    void quantVectors_data();
    void quantVectors();
    void undecodableTypesThrow();
    void handBuiltBlocks();
    void fastPathMatchesReference_data();
    void fastPathMatchesReference();
    void quantizeRoundTrip_data();
    void quantizeRoundTrip();
};

void TestGgmlDequant::zooTensors_data()
{
    QTest::addColumn<std::string>("entry");
    QVERIFY2(zoo().contains("files"), "reference/ggml_quant_zoo.json is missing (set CWB_SHARED)");
    for (const auto &[name, _] : zoo()["files"].items())
        QTest::newRow(name.c_str()) << name;
}

// Every tensor through readGguf + Tensor::toFloat: llama.cpp's first 8 values exactly, and its
// float64 sum and sum of squares to 1e-9 relative (its sums are pairwise, ours sequential).
void TestGgmlDequant::zooTensors()
{
    QFETCH(std::string, entry);
    const auto &e = zoo()["files"][entry];
    CWB_SHARED_FILE(path, e["path"].get<std::string>().c_str());
    const cwb::Model m = cwb::io::readGguf(path);
    const auto &tensors = e["tensors"];
    QCOMPARE(m.tensors.size(), tensors.size());
    for (size_t i = 0; i < tensors.size(); ++i) {
        const auto &want = tensors[i];
        const cwb::Tensor &t = m.tensors[i];
        QCOMPARE(t.name, want["name"].get<std::string>());
        const std::vector<float> v = t.toFloat();
        QCOMPARE(static_cast<int64_t>(v.size()), want["n_elements"].get<int64_t>());
        const auto &first8 = want["dequant_first8"];
        for (size_t k = 0; k < first8.size(); ++k) {
            const float w = static_cast<float>(first8[k].get<double>());
            QVERIFY2(bits(v[k]) == bits(w), qPrintable(QStringLiteral("%1 [%2]: %3 != %4")
                                                           .arg(QString::fromStdString(t.name))
                                                           .arg(k)
                                                           .arg(show(v[k]), show(w))));
        }
        double sum = 0, sumsq = 0;
        for (float x : v) {
            sum += x;
            sumsq += static_cast<double>(x) * x;
        }
        const double refSum = want["dequant_sum"].get<double>();
        const double refSq = want["dequant_sumsq"].get<double>();
        QVERIFY2(std::abs(sum - refSum) <= 1e-9 * std::abs(refSum),
                 qPrintable(QStringLiteral("%1: sum %2 vs %3").arg(QString::fromStdString(t.name))
                                .arg(sum, 0, 'g', 17).arg(refSum, 0, 'g', 17)));
        QVERIFY2(std::abs(sumsq - refSq) <= 1e-9 * std::abs(refSq),
                 qPrintable(QStringLiteral("%1: sumsq %2 vs %3").arg(QString::fromStdString(t.name))
                                .arg(sumsq, 0, 'g', 17).arg(refSq, 0, 'g', 17)));
    }
}

void TestGgmlDequant::quantVectors_data()
{
    QTest::addColumn<std::string>("type");
    QTest::addColumn<std::string>("set");
    QVERIFY2(vectors().contains("types"), "reference/ggml_quant_vectors.json is missing");
    for (const char *t : {"q4_0", "q4_1", "q5_0", "q5_1", "q8_0", "q2_k", "q3_k", "q4_k", "q5_k",
                          "q6_k", "f16", "bf16"})
        for (const char *set : {"no_imatrix", "with_imatrix"})
            QTest::addRow("%s %s", t, set) << std::string(t) << std::string(set);
}

// llama.cpp's quantized bytes -> our values == llama.cpp's dequantized values, bit for bit.
void TestGgmlDequant::quantVectors()
{
    QFETCH(std::string, type);
    QFETCH(std::string, set);
    const auto &entry = vectors()["types"][type];
    const auto dtype = cwb::dtypeFromName(entry["ggml_type"].get<std::string>());
    QVERIFY(dtype.has_value());
    const auto &info = cwb::dtypeInfo(*dtype);
    QCOMPARE(info.ggmlType, entry["ggml_type_id"].get<int>());
    QCOMPARE(info.blockElems, entry["block_size"].get<int>());
    QCOMPARE(info.blockBytes, entry["type_size"].get<int>());
    const int64_t n = vectors()["n_per_row"].get<int64_t>();
    const auto &rows = entry[set]["bytes_hex"];
    const auto &values = entry[set]["dequant"];
    QCOMPARE(rows.size(), vectors()["n_rows"].get<size_t>());
    for (size_t r = 0; r < rows.size(); ++r) {
        const Bytes q = fromHex(rows[r].get<std::string>());
        QCOMPARE(q.size(), entry["row_size"].get<size_t>());
        std::vector<float> want;
        for (const auto &x : values[r])
            want.push_back(static_cast<float>(x.get<double>()));
        QCOMPARE(static_cast<int64_t>(want.size()), n);
        std::vector<float> ref(static_cast<size_t>(n)), fast(static_cast<size_t>(n));
        cwb::convertRowReference(*dtype, q.data(), ref.data(), n);
        cwb::convertToFloat(*dtype, q, fast);
        const int64_t bad = firstMismatch(ref, want);
        QVERIFY2(bad < 0, qPrintable(QStringLiteral("row %1 value %2: %3 != llama.cpp %4")
                                         .arg(r).arg(bad)
                                         .arg(show(ref[bad < 0 ? 0 : bad]),
                                              show(want[bad < 0 ? 0 : bad]))));
        QCOMPARE(firstMismatch(fast, want), int64_t{-1});
    }
    // The imatrix set is a different set of bytes wherever the type uses the imatrix.
    if (entry["imatrix_used"].get<bool>() && set == "with_imatrix")
        QVERIFY(entry["no_imatrix"]["bytes_hex"] != entry["with_imatrix"]["bytes_hex"]);
}

// The extras in the vectors file have known sizes but no decoder here: a clear error.
void TestGgmlDequant::undecodableTypesThrow()
{
    for (const char *t : {"iq4_nl", "tq1_0", "tq2_0"}) {
        const auto &entry = vectors()["types"][t];
        const auto dtype = cwb::dtypeFromName(entry["ggml_type"].get<std::string>());
        QVERIFY2(dtype.has_value(), t);
        QCOMPARE(cwb::dtypeInfo(*dtype).blockBytes, entry["type_size"].get<int>());
        QVERIFY(!cwb::ggmlCanDequantize(*dtype));
        const Bytes q = fromHex(entry["no_imatrix"]["bytes_hex"][0].get<std::string>());
        std::vector<float> out(512);
        QVERIFY_THROWS_EXCEPTION(
            cwb::Error, cwb::convertRowReference(*dtype, q.data(), out.data(), 512));
        QVERIFY_THROWS_EXCEPTION(
            cwb::Error, cwb::ggmlDequantizeRow(*dtype, q.data(), out.data(), 512));
    }
    std::vector<float> out(32);
    const Bytes q(34);
    QVERIFY_THROWS_EXCEPTION(
        cwb::Error, cwb::ggmlDequantizeRow(DType::Q8_0, q.data(), out.data(), 31));
    QVERIFY_THROWS_EXCEPTION(
        cwb::Error, cwb::ggmlDequantizeRow(DType::F32, q.data(), out.data(), 8));
}

// Blocks written by hand from the layout table in ggml_dequant.cpp, including Q8_1 and Q8_K,
// which no reference file covers.
void TestGgmlDequant::handBuiltBlocks()
{
    auto put16 = [](Bytes &b, size_t at, uint16_t v) {
        b[at] = static_cast<std::byte>(v & 0xff);
        b[at + 1] = static_cast<std::byte>(v >> 8);
    };
    std::vector<float> out(256);

    Bytes q4(18);
    put16(q4, 0, cwb::floatToFp16(0.5f));
    for (int j = 0; j < 16; ++j)
        q4[2 + j] = static_cast<std::byte>(j | ((15 - j) << 4));
    cwb::ggmlDequantizeRow(DType::Q4_0, q4.data(), out.data(), 32);
    for (int j = 0; j < 16; ++j) {
        QCOMPARE(out[j], 0.5f * static_cast<float>(j - 8));
        QCOMPARE(out[j + 16], 0.5f * static_cast<float>(7 - j));
    }

    Bytes q5(22); // value j = 31 for even j (5th bit set), 0 for odd j
    put16(q5, 0, cwb::floatToFp16(1.0f));
    const uint32_t qh = 0x55555555u;
    std::memcpy(q5.data() + 2, &qh, 4);
    for (int j = 0; j < 16; ++j)
        q5[6 + j] = static_cast<std::byte>(j % 2 ? 0x00 : 0xff);
    cwb::ggmlDequantizeRow(DType::Q5_0, q5.data(), out.data(), 32);
    for (int j = 0; j < 32; ++j)
        QCOMPARE(out[j], j % 2 ? -16.0f : 15.0f);

    Bytes q81(36);
    put16(q81, 0, cwb::floatToFp16(0.5f));
    put16(q81, 2, cwb::floatToFp16(1234.0f)); // the sum field does not enter the values
    for (int j = 0; j < 32; ++j)
        q81[4 + j] = static_cast<std::byte>(static_cast<int8_t>(j - 16));
    cwb::ggmlDequantizeRow(DType::Q8_1, q81.data(), out.data(), 32);
    for (int j = 0; j < 32; ++j)
        QCOMPARE(out[j], 0.5f * static_cast<float>(j - 16));

    Bytes q8k(292);
    const float d = 0.25f;
    std::memcpy(q8k.data(), &d, 4); // Q8_K's scale is a float32
    for (int j = 0; j < 256; ++j)
        q8k[4 + j] = static_cast<std::byte>(static_cast<int8_t>(j - 128));
    for (int j = 260; j < 292; ++j)
        q8k[j] = std::byte{0x7f}; // bsums: not part of the values
    cwb::ggmlDequantizeRow(DType::Q8_K, q8k.data(), out.data(), 256);
    for (int j = 0; j < 256; ++j)
        QCOMPARE(out[j], 0.25f * static_cast<float>(j - 128));

    Bytes q6k(210); // every q = 63 - 32 = 31, scale of sub-block s = s - 8, d = 2
    for (int j = 0; j < 192; ++j)
        q6k[j] = std::byte{0xff};
    for (int s = 0; s < 16; ++s)
        q6k[192 + s] = static_cast<std::byte>(static_cast<int8_t>(s - 8));
    put16(q6k, 208, cwb::floatToFp16(2.0f));
    cwb::ggmlDequantizeRow(DType::Q6_K, q6k.data(), out.data(), 256);
    for (int j = 0; j < 256; ++j)
        QCOMPARE(out[j], 2.0f * static_cast<float>(j / 16 - 8) * 31.0f);
}

void TestGgmlDequant::fastPathMatchesReference_data()
{
    QTest::addColumn<DType>("type");
    for (DType t : {DType::Q4_0, DType::Q4_1, DType::Q5_0, DType::Q5_1, DType::Q8_0, DType::Q8_1,
                    DType::Q2_K, DType::Q3_K, DType::Q4_K, DType::Q5_K, DType::Q6_K, DType::Q8_K,
                    DType::F16, DType::BF16, DType::F32})
        QTest::newRow(std::string(cwb::dtypeName(t)).c_str()) << t;
}

// convertToFloat splits the work over TBB tasks of whole blocks; its output must be the scalar
// reference's, bit for bit. 786432 values (12 x the 65536-value grain) force the parallel path.
void TestGgmlDequant::fastPathMatchesReference()
{
    QFETCH(DType, type);
    const int64_t n = 3072 * 256;
    const auto size = cwb::storageBytes(type, static_cast<uint64_t>(n));
    QVERIFY(size.has_value());
    const Bytes src = randomBytes(static_cast<size_t>(*size), static_cast<uint32_t>(type) + 17);
    std::vector<float> ref(static_cast<size_t>(n)), fast(static_cast<size_t>(n), -1.0f);
    cwb::convertRowReference(type, src.data(), ref.data(), n);
    cwb::convertToFloat(type, src, fast);
    QCOMPARE(std::memcmp(ref.data(), fast.data(), ref.size() * sizeof(float)), 0);
    // Random bytes must have produced ordinary values too, or the comparison proves little.
    int64_t finite = 0;
    for (float x : ref)
        finite += std::isfinite(x) && x != 0.0f ? 1 : 0;
    QVERIFY(finite > n / 2);
}

void TestGgmlDequant::quantizeRoundTrip_data()
{
    QTest::addColumn<int>("index");
    QTest::addColumn<bool>("withImportance");
    for (int i = 0; i < static_cast<int>(std::size(kRoundTrip)); ++i)
        for (bool imp : {false, true})
            QTest::addRow("%s%s", std::string(cwb::dtypeName(kRoundTrip[i].type)).c_str(),
                          imp ? " imatrix" : "")
                << i << imp;
}

void TestGgmlDequant::quantizeRoundTrip()
{
    QFETCH(int, index);
    QFETCH(bool, withImportance);
    const RoundTripCase &c = kRoundTrip[index];
    const auto &info = cwb::dtypeInfo(c.type);
    QCOMPARE(info.ggmlType, c.ggmlId);
    QCOMPARE(info.blockElems, c.blockElems);
    QCOMPARE(info.blockBytes, c.blockBytes);

    const int64_t rows = 16, rowLength = 1024;
    const std::vector<float> x = syntheticWeights(rows * rowLength, 0x5eed0000u + index);
    std::vector<float> importance(static_cast<size_t>(rowLength));
    for (int64_t i = 0; i < rowLength; ++i)
        importance[static_cast<size_t>(i)]
            = static_cast<float>(1.0 + 10.0 * std::abs(std::sin(double(i))));
    const Bytes q = cwb::ggmlQuantizeRows(c.type, x.data(), rows, rowLength,
                                          withImportance ? importance.data() : nullptr);
    const int64_t blocksPerRow = rowLength / c.blockElems;
    QCOMPARE(static_cast<int64_t>(q.size()), rows * blocksPerRow * c.blockBytes);

    QTemporaryDir dir;
    const std::string path = dir.filePath(QStringLiteral("q.gguf")).toStdString();
    cwb::io::GgufWriter w;
    w.addMeta("general.architecture", cwb::MetaValue::ofString("llama"));
    w.addTensor("blk.0.ffn_up.weight", c.type, {rows, rowLength}, q);
    w.write(path);
    const cwb::Model m = cwb::io::readGguf(path);
    QCOMPARE(m.tensors.size(), size_t{1});
    const cwb::Tensor &t = m.tensors[0];
    QCOMPARE(t.dtype, c.type);
    QCOMPARE(t.shape, (std::vector<int64_t>{rows, rowLength}));
    QCOMPARE(t.byteSize, static_cast<uint64_t>(q.size()));
    QVERIFY(t.copyBytes() == q);
    const std::vector<float> y = t.toFloat();

    // Layout: in every block the fp16 scale at its documented offset is finite and non-zero, and
    // clearing it (and the min) silences exactly the terms it scales.
    std::vector<float> block(static_cast<size_t>(c.blockElems));
    for (int64_t b = 0; b < rows * blocksPerRow; ++b) {
        Bytes blk(q.begin() + b * c.blockBytes, q.begin() + (b + 1) * c.blockBytes);
        const float d = halfAt(blk, static_cast<size_t>(c.dOffset));
        QVERIFY2(std::isfinite(d) && d != 0.0f,
            qPrintable(QStringLiteral("block %1: d = %2").arg(b).arg(d)));
        blk[c.dOffset] = blk[c.dOffset + 1] = std::byte{0};
        if (c.minOffset >= 0 && c.blockElems == 256) // K-quants subtract dmin * m: clear it too
            blk[c.minOffset] = blk[c.minOffset + 1] = std::byte{0};
        cwb::ggmlDequantizeRow(c.type, blk.data(), block.data(), c.blockElems);
        // Legacy Q4_1/Q5_1 add the min m to every value: with d cleared, every value is m.
        const float expect = c.minOffset >= 0 && c.blockElems == 32 ? halfAt(blk, 2) : 0.0f;
        for (float v : block)
            QCOMPARE(v, expect);
    }

    double err = 0, ref = 0;
    for (size_t i = 0; i < x.size(); ++i) {
        const double e = static_cast<double>(y[i]) - x[i];
        err += e * e;
        ref += static_cast<double>(x[i]) * x[i];
    }
    const double relRms = std::sqrt(err / ref);
    qInfo("%s%s: relative RMS error %.5f (bound %.4f)", std::string(info.name).c_str(),
          withImportance ? " imatrix" : "", relRms, c.maxRelRms);
    QVERIFY2(relRms <= c.maxRelRms,
        qPrintable(QStringLiteral("relative RMS %1 > %2").arg(relRms).arg(c.maxRelRms)));
    QVERIFY(relRms > 0); // it was quantized, not copied
}

QTEST_GUILESS_MAIN(TestGgmlDequant)
#include "test_ggml_dequant.moc"
