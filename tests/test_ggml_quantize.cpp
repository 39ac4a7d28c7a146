// SPDX-License-Identifier: MIT
// ggml block quantizers against llama.cpp c392e509: byte equality on the reference vectors (with
// and without an importance vector), the oneTBB row path against the per-row reference on a
// generated matrix, the ggml-quant-zoo model against llama-quantize's own files, and the errors
// for bad arguments.

#include "formats/dtype.h"
#include "formats/ggml_quantize.h"
#include "io/readers.h"
#include "jobs/job_context.h"
#include "util/error.h"

#include "test_support.h"

#include <QTest>

#include <nlohmann/json.hpp>

#include <atomic>
#include <bit>
#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

Q_DECLARE_METATYPE(cwb::DType)

namespace {

struct TypeName {
    cwb::DType type;
    const char *vectorsKey; // key in ggml_quant_vectors.json
    const char *zooSuffix;  // zoo-<suffix>.gguf
};

constexpr TypeName kTypes[] = {
    {cwb::DType::Q4_0, "q4_0", "Q4_0"}, {cwb::DType::Q4_1, "q4_1", "Q4_1"},
    {cwb::DType::Q5_0, "q5_0", "Q5_0"}, {cwb::DType::Q5_1, "q5_1", "Q5_1"},
    {cwb::DType::Q8_0, "q8_0", "Q8_0"}, {cwb::DType::Q2_K, "q2_k", "Q2_K"},
    {cwb::DType::Q3_K, "q3_k", "Q3_K"}, {cwb::DType::Q4_K, "q4_k", "Q4_K"},
    {cwb::DType::Q5_K, "q5_k", "Q5_K"}, {cwb::DType::Q6_K, "q6_k", "Q6_K"},
};

std::vector<uint8_t> fromHex(const std::string &hex)
{
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9')
            return c - '0';
        if (c >= 'a' && c <= 'f')
            return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
            return c - 'A' + 10;
        return -1;
    };
    std::vector<uint8_t> out(hex.size() / 2);
    for (size_t i = 0; i < out.size(); ++i) {
        const int hi = nibble(hex[2 * i]);
        const int lo = nibble(hex[2 * i + 1]);
        if (hi < 0 || lo < 0 || hex.size() % 2 != 0)
            return {};
        out[i] = static_cast<uint8_t>(hi * 16 + lo);
    }
    return out;
}

// Little-endian float32 hex (the file's authoritative form of the inputs).
std::vector<float> floatsFromHex(const std::string &hex)
{
    const std::vector<uint8_t> b = fromHex(hex);
    std::vector<float> out(b.size() / 4);
    for (size_t i = 0; i < out.size(); ++i) {
        const uint32_t u = uint32_t(b[4 * i]) | uint32_t(b[4 * i + 1]) << 8
            | uint32_t(b[4 * i + 2]) << 16 | uint32_t(b[4 * i + 3]) << 24;
        out[i] = std::bit_cast<float>(u);
    }
    return out;
}

std::string toHex(const uint8_t *p, size_t n)
{
    static const char *digits = "0123456789abcdef";
    std::string s;
    for (size_t i = 0; i < n; ++i) {
        s += digits[p[i] >> 4];
        s += digits[p[i] & 15];
    }
    return s;
}

// Empty when equal; otherwise names the first differing byte and shows its whole block.
QString describeMismatch(cwb::DType t, const uint8_t *got, const uint8_t *want, size_t n)
{
    for (size_t i = 0; i < n; ++i) {
        if (got[i] == want[i])
            continue;
        const size_t blockBytes = static_cast<size_t>(cwb::dtypeInfo(t).blockBytes);
        const size_t block = i / blockBytes;
        const size_t len = std::min(blockBytes, n - block * blockBytes);
        return QStringLiteral("byte %1 (block %2, offset %3 in it) differs\n  got  %4\n  want %5")
            .arg(i)
            .arg(block)
            .arg(i % blockBytes)
            .arg(QString::fromStdString(toHex(got + block * blockBytes, len)),
                 QString::fromStdString(toHex(want + block * blockBytes, len)));
    }
    return {};
}

const uint8_t *asBytes(const std::vector<std::byte> &v)
{
    return reinterpret_cast<const uint8_t *>(v.data());
}

// A matrix with the cases that steer the searches: heavy tails, per-column scale, outliers,
// exact zeros, zero / constant / all-negative blocks, and values in the fp16-subnormal range.
std::vector<float> makeMatrix(int64_t rows, int64_t cols, uint32_t seed)
{
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::student_t_distribution<float> heavy(4.0f);
    std::vector<float> colScale(static_cast<size_t>(cols));
    for (auto &s : colScale)
        s = std::exp(0.3f * normal(rng));
    std::vector<float> m(static_cast<size_t>(rows * cols));
    for (int64_t r = 0; r < rows; ++r) {
        const float rowScale = r % 8 == 5 ? 2e-4f : (r % 8 == 6 ? 30.0f : 0.02f);
        for (int64_t c = 0; c < cols; ++c) {
            float v = (r % 2 ? heavy(rng) : normal(rng)) * rowScale * colScale[size_t(c)];
            const int64_t block = c / 32;
            if (block % 37 == 3)
                v = 0.0f; // whole zero block
            else if (block % 41 == 7)
                v = 0.25f * rowScale; // constant block
            else if (block % 29 == 11)
                v = -std::fabs(v) - 1e-3f * rowScale; // all negative
            else if (c % 7 == 0)
                v = 0.0f;
            if (c % 997 == 13)
                v = (c % 2 ? 40.0f : -25.0f) * rowScale; // outlier
            m[size_t(r * cols + c)] = v;
        }
        if (r % 16 == 9) // a whole zero super-block
            std::fill_n(m.begin() + r * cols + 512, 256, 0.0f);
    }
    return m;
}

std::vector<float> makeImportance(int64_t n)
{
    std::vector<float> w(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i)
        w[size_t(i)] = 0.05f + 4.0f * float(std::fabs(std::sin(0.37 * double(i))));
    return w;
}

// Runs fn and checks it throws cwb::Error whose message contains `needle`.
void expectError(const std::function<void()> &fn, const char *needle)
{
    try {
        fn();
    } catch (const cwb::Error &e) {
        QVERIFY2(std::string(e.what()).find(needle) != std::string::npos, e.what());
        return;
    }
    QFAIL(qPrintable(
        QStringLiteral("expected cwb::Error containing \"%1\"").arg(QLatin1String(needle))));
}

} // namespace

class TestGgmlQuantize : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void referenceVectors_data();
    void referenceVectors();
    void importanceVectorIsTheDocumentedFormula();
    void rowsMatchReference_data();
    void rowsMatchReference();
    void zooMatchesLlamaQuantize_data();
    void zooMatchesLlamaQuantize();
    void supportedTypes();
    void rejectsBadArguments();
    void cancellation();

private:
    nlohmann::json m_vectors;
    std::vector<std::vector<float>> m_inputs;
    std::vector<float> m_importance;
};

void TestGgmlQuantize::initTestCase()
{
    CWB_SHARED_FILE(path, "reference/ggml_quant_vectors.json");
    std::ifstream in(path);
    QVERIFY2(in, path.c_str());
    m_vectors = nlohmann::json::parse(in);
    const int nPerRow = m_vectors.at("n_per_row").get<int>();
    for (const auto &row : m_vectors.at("inputs").at("rows")) {
        m_inputs.push_back(floatsFromHex(row.at("f32_le_hex").get<std::string>()));
        QCOMPARE(int(m_inputs.back().size()), nPerRow);
    }
    QCOMPARE(int(m_inputs.size()), m_vectors.at("n_rows").get<int>());
    m_importance = floatsFromHex(m_vectors.at("imatrix").at("f32_le_hex").get<std::string>());
    QCOMPARE(int(m_importance.size()), nPerRow);
}

void TestGgmlQuantize::referenceVectors_data()
{
    QTest::addColumn<cwb::DType>("type");
    QTest::addColumn<QString>("key");
    QTest::addColumn<bool>("withImportance");
    for (const auto &t : kTypes) {
        for (const bool imp : {false, true}) {
            const QString key = QLatin1String(t.vectorsKey);
            QTest::addRow("%s/%s", t.vectorsKey, imp ? "with_imatrix" : "no_imatrix")
                << t.type << key << imp;
        }
    }
}

void TestGgmlQuantize::referenceVectors()
{
    QFETCH(cwb::DType, type);
    QFETCH(QString, key);
    QFETCH(bool, withImportance);
    const auto &entry = m_vectors.at("types").at(key.toStdString());
    const auto &info = cwb::dtypeInfo(type);
    QCOMPARE(entry.at("block_size").get<int>(), info.blockElems);
    QCOMPARE(entry.at("type_size").get<int>(), info.blockBytes);
    const auto &set = entry.at(withImportance ? "with_imatrix" : "no_imatrix").at("bytes_hex");
    QCOMPARE(set.size(), m_inputs.size());
    const float *imp = withImportance ? m_importance.data() : nullptr;
    const int64_t n = int64_t(m_inputs[0].size());
    const size_t rowBytes = size_t(*cwb::storageBytes(type, uint64_t(n)));

    std::vector<float> all;
    std::vector<uint8_t> allWant;
    for (size_t r = 0; r < m_inputs.size(); ++r) {
        const std::vector<uint8_t> want = fromHex(set[r].get<std::string>());
        QCOMPARE(want.size(), rowBytes);
        std::vector<std::byte> got(rowBytes);
        cwb::ggmlQuantizeRowReference(type, m_inputs[r].data(), got.data(), n, imp);
        const QString diff = describeMismatch(type, asBytes(got), want.data(), rowBytes);
        QVERIFY2(diff.isEmpty(), qPrintable(QStringLiteral("row %1: %2").arg(r).arg(diff)));
        all.insert(all.end(), m_inputs[r].begin(), m_inputs[r].end());
        allWant.insert(allWant.end(), want.begin(), want.end());
    }
    // The parallel path over all six rows at once gives the same bytes.
    const auto rows = cwb::ggmlQuantizeRows(type, all.data(), int64_t(m_inputs.size()), n, imp);
    QCOMPARE(rows.size(), allWant.size());
    const QString diff = describeMismatch(type, asBytes(rows), allWant.data(), allWant.size());
    QVERIFY2(diff.isEmpty(), qPrintable(diff));
}

void TestGgmlQuantize::importanceVectorIsTheDocumentedFormula()
{
    for (size_t i = 0; i < m_importance.size(); ++i) {
        const auto expected = static_cast<float>(1.0 + 10.0 * std::fabs(std::sin(double(i))));
        QCOMPARE(std::bit_cast<uint32_t>(m_importance[i]), std::bit_cast<uint32_t>(expected));
    }
}

void TestGgmlQuantize::rowsMatchReference_data()
{
    QTest::addColumn<cwb::DType>("type");
    QTest::addColumn<bool>("withImportance");
    for (const auto &t : kTypes)
        for (const bool imp : {false, true})
            QTest::addRow("%s/%s", t.zooSuffix, imp ? "importance" : "plain") << t.type << imp;
}

void TestGgmlQuantize::rowsMatchReference()
{
    QFETCH(cwb::DType, type);
    QFETCH(bool, withImportance);
    constexpr int64_t kRows = 64;
    constexpr int64_t kCols = 4096;
    static const std::vector<float> matrix = makeMatrix(kRows, kCols, 20250220);
    static const std::vector<float> importance = makeImportance(kCols);
    const float *imp = withImportance ? importance.data() : nullptr;

    const auto fast = cwb::ggmlQuantizeRows(type, matrix.data(), kRows, kCols, imp);
    const size_t rowBytes = size_t(*cwb::storageBytes(type, uint64_t(kCols)));
    QCOMPARE(fast.size(), size_t(kRows) * rowBytes);
    std::vector<std::byte> ref(rowBytes);
    for (int64_t r = 0; r < kRows; ++r) {
        cwb::ggmlQuantizeRowReference(type, matrix.data() + r * kCols, ref.data(), kCols, imp);
        const QString diff =
            describeMismatch(type, asBytes(fast) + size_t(r) * rowBytes, asBytes(ref), rowBytes);
        QVERIFY2(diff.isEmpty(), qPrintable(QStringLiteral("row %1: %2").arg(r).arg(diff)));
    }
    if (withImportance && type != cwb::DType::Q8_0) {
        // The importance path is a different search: it must change some bytes.
        const auto plain = cwb::ggmlQuantizeRows(type, matrix.data(), kRows, kCols, nullptr);
        QVERIFY(plain != fast);
    }
}

void TestGgmlQuantize::zooMatchesLlamaQuantize_data()
{
    QTest::addColumn<cwb::DType>("type");
    QTest::addColumn<QString>("suffix");
    for (const auto &t : kTypes)
        QTest::newRow(t.zooSuffix) << t.type << QString::fromLatin1(t.zooSuffix);
}

// llama-quantize --pure wrote every matrix of zoo-<T>.gguf as ggml_quantize_chunk(T, F32, no
// imatrix); quantizing zoo-f32.gguf's matrices must give the same bytes.
void TestGgmlQuantize::zooMatchesLlamaQuantize()
{
    QFETCH(cwb::DType, type);
    QFETCH(QString, suffix);
    CWB_SHARED_FILE(f32Path, "models/ggml-quant-zoo/zoo-f32.gguf");
    const std::string relative = "models/ggml-quant-zoo/zoo-" + suffix.toStdString() + ".gguf";
    CWB_SHARED_FILE(quantPath, relative.c_str());
    const cwb::Model f32 = cwb::io::readGguf(f32Path);
    const cwb::Model quantized = cwb::io::readGguf(quantPath);

    int matrices = 0;
    for (const cwb::Tensor &q : quantized.tensors) {
        if (q.dtype != type)
            continue;
        const cwb::Tensor *src = f32.findTensor(q.name);
        QVERIFY2(src, q.name.c_str());
        QCOMPARE(src->dtype, cwb::DType::F32);
        QVERIFY(src->shape == q.shape);
        const std::vector<std::byte> raw = src->copyBytes();
        std::vector<float> values(raw.size() / sizeof(float));
        std::memcpy(values.data(), raw.data(), values.size() * sizeof(float));
        const auto got = cwb::ggmlQuantizeRows(type, values.data(), src->rows(), src->rowLength(),
                                               nullptr);
        const std::vector<std::byte> want = q.copyBytes();
        QCOMPARE(got.size(), want.size());
        const QString diff = describeMismatch(type, asBytes(got), asBytes(want), want.size());
        QVERIFY2(diff.isEmpty(), qPrintable(QString::fromStdString(q.name) + QStringLiteral(": ")
                                            + diff));
        ++matrices;
    }
    QCOMPARE(matrices, 15); // every 2-D tensor; the five norm vectors stay F32
}

void TestGgmlQuantize::supportedTypes()
{
    for (const auto &t : kTypes)
        QVERIFY(cwb::ggmlCanQuantize(t.type));
    for (const auto t : {cwb::DType::F32, cwb::DType::F16, cwb::DType::Q8_1, cwb::DType::Q8_K,
                         cwb::DType::IQ4_NL, cwb::DType::TQ1_0, cwb::DType::Unknown})
        QVERIFY2(!cwb::ggmlCanQuantize(t), cwb::dtypeName(t).data());
}

void TestGgmlQuantize::rejectsBadArguments()
{
    std::vector<float> x(1024, 0.5f);
    std::vector<std::byte> out(4096);
    const float *xp = x.data();
    std::byte *op = out.data();
    using cwb::DType;

    expectError([&] { cwb::ggmlQuantizeRowReference(DType::Q4_K, xp, op, 300, nullptr); },
                "row length 300 is not a positive multiple of the Q4_K block size 256");
    expectError([&] { cwb::ggmlQuantizeRowReference(DType::Q4_0, xp, op, 48, nullptr); },
                "Q4_0 block size 32");
    expectError([&] { cwb::ggmlQuantizeRowReference(DType::Q8_0, xp, op, 0, nullptr); },
                "row length 0");
    expectError([&] { cwb::ggmlQuantizeRowReference(DType::F32, xp, op, 256, nullptr); },
                "type F32 is not supported");
    expectError([&] { cwb::ggmlQuantizeRowReference(DType::IQ4_NL, xp, op, 256, nullptr); },
                "type IQ4_NL is not supported");
    expectError([&] { cwb::ggmlQuantizeRowReference(DType::Q6_K, nullptr, op, 256, nullptr); },
                "null");
    expectError([&] { (void)cwb::ggmlQuantizeRows(DType::Q5_K, xp, 1, 255, nullptr); },
                "Q5_K block size 256");
    expectError([&] { (void)cwb::ggmlQuantizeRows(DType::Q2_K, xp, -1, 256, nullptr); },
                "negative row count");
    expectError(
        [&] { (void)cwb::ggmlQuantizeRows(DType::Q4_0, xp, int64_t(1) << 60, 1024, nullptr); },
        "overflow");

    // Non-finite values name the row and index instead of producing garbage scales.
    x[700] = std::numeric_limits<float>::quiet_NaN();
    expectError([&] { (void)cwb::ggmlQuantizeRows(DType::Q3_K, xp, 4, 256, nullptr); },
                "input value 188 of row 2 is not finite");
    x[700] = 0.5f;
    std::vector<float> imp(256, 1.0f);
    imp[17] = std::numeric_limits<float>::infinity();
    expectError([&] { cwb::ggmlQuantizeRowReference(DType::Q4_K, xp, op, 256, imp.data()); },
                "importance value 17 is not finite");

    // Scales that fp16 cannot hold are refused, as llama-quantize's row validation refuses them.
    std::vector<float> huge(32, 1.0e6f);
    expectError([&] { cwb::ggmlQuantizeRowReference(DType::Q4_0, huge.data(), op, 32, nullptr); },
                "block 0: the Q4_0 scale is not finite in fp16 (values too large");
    // Zero importance over a whole super-block: make_qp_quants divides 0/0 (c392e509 behaviour).
    std::vector<float> noisy = makeMatrix(1, 512, 3);
    std::vector<float> zeroSecond(512, 1.0f);
    std::fill(zeroSecond.begin() + 256, zeroSecond.end(), 0.0f);
    expectError(
        [&] {
            (void)cwb::ggmlQuantizeRows(DType::Q4_K, noisy.data(), 1, 512, zeroSecond.data());
        },
        "block 1 of row 0: the Q4_K scale is not finite in fp16 (NaN");

    // No rows is not an error: nothing to write.
    QVERIFY(cwb::ggmlQuantizeRows(DType::Q4_0, nullptr, 0, 32, nullptr).empty());
}

void TestGgmlQuantize::cancellation()
{
    const std::vector<float> m = makeMatrix(16, 1024, 7);
    std::atomic<bool> cancel{true};
    cwb::JobContext job;
    job.cancelFlag = &cancel;
    QVERIFY_THROWS_EXCEPTION(cwb::Cancelled,
                             (void)cwb::ggmlQuantizeRows(cwb::DType::Q4_K, m.data(), 16, 1024,
                                                         nullptr, job));
    cancel = false;
    const auto bytes = cwb::ggmlQuantizeRows(cwb::DType::Q4_K, m.data(), 16, 1024, nullptr, job);
    QCOMPARE(bytes, cwb::ggmlQuantizeRows(cwb::DType::Q4_K, m.data(), 16, 1024, nullptr));
}

QTEST_GUILESS_MAIN(TestGgmlQuantize)
#include "test_ggml_quantize.moc"
