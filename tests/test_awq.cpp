// SPDX-License-Identifier: MIT
// AWQ (core/compress/awq.h) and the layer that runs its result (core/eval/scaled_input_linear.h).
// Generated calibration data: X [tokens x cols] = Z (I + 0.5 G / sqrt(cols)) S with Z, G standard
// normal and S a diagonal of log-normal channel scales, and with `outliers` channels multiplied
// by 25 (the activation outliers AWQ is built for); meanAbs and h = X^T X are computed here from
// X, weights are N(0, 0.02^2). The quality measure is the layer's output error ||X (W - W')^T||_F
// relative to ||X W^T||_F, computed here independently of the library through h.
//
// Checked: fast path vs reference (same alpha, same codes / scales / zeros / input scales, grid
// errors within a relative 1e-9); AWQ <= RTN always and < RTN with outlier channels; alpha = 0 is
// exactly quantizeRtn; unstorable alphas (fp16 scale overflow) are skipped; ScaledInputLinear
// against x / s through QuantizedLinear and against the naive product W' x; argument errors name
// the field; cancellation; the ggml grids (AwqParams::ggml): fast = reference bytes, alpha = 0 is
// llama.cpp's quantizer with the imatrix diag(H) / tokens, AWQ below it with outliers, the
// reported error recomputed independently, the stored matrix and awqGrid; on stories260K (layers.0.attn.q, 3 bits, group 32) AWQ's error is
// below RTN's, and the engine runs the ScaledInputLinear replacement like the dense W'.

#include "analysis/activation_stats.h"
#include "compress/awq.h"
#include "compress/quant_methods.h"
#include "eval/dense_linear.h"
#include "eval/engine.h"
#include "eval/quantized_linear.h"
#include "eval/scaled_input_linear.h"
#include "formats/ggml_quantize.h"
#include "io/open_model.h"
#include "jobs/job_context.h"
#include "tensor/dequantize.h"
#include "tensor/tensor.h"
#include "calibrated_layer.h"
#include "test_support.h"
#include "util/error.h"

#include <QTest>

#include <Eigen/Core>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace {

using Mat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

constexpr const char *kModel = "models/stories260K/stories260K.gguf";
constexpr const char *kText = "data/tinystories/tinystories_validation_head.txt";

using Layer = cwbtest::CalibratedLayer;

// AWQ's data: correlated channels with log-normal scales and `outliers` large channels.
Layer makeLayer(int64_t rows, int64_t cols, int outliers, uint64_t seed, int64_t tokens = 1024)
{
    return cwbtest::makeCalibratedLayer(rows, cols, {0.5, 0.5, outliers}, seed, tokens);
}

using cwbtest::relativeOutputError;

// W' = dequant(q) diag(1/s) in double, from the reference dequantizer.
std::vector<double> awqWeights(const cwb::AwqResult &a)
{
    const int64_t rows = a.q.rows, cols = a.q.cols;
    std::vector<float> deq(size_t(rows * cols));
    a.q.dequantizeRowsReference(0, rows, deq.data());
    std::vector<double> out(deq.size());
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t j = 0; j < cols; ++j)
            out[size_t(r * cols + j)] =
                double(deq[size_t(r * cols + j)]) / double(a.inputScales[size_t(j)]);
    return out;
}

cwb::RtnParams rtnOf(const cwb::AwqParams &p)
{
    cwb::RtnParams r;
    r.bits = p.bits;
    r.symmetric = p.sym;
    r.granularity = p.group == 0 ? cwb::Granularity::PerChannel : cwb::Granularity::Group;
    if (p.group)
        r.groupSize = p.group;
    r.f16Scales = p.f16Scales;
    return r;
}

cwb::AwqResult awq(const Layer &l, const cwb::AwqParams &p, const cwb::JobContext &job = {})
{
    return cwb::awqQuantize(l.w.data(), l.rows, l.cols, l.meanAbs, l.h.data(), l.tokens, p, job);
}

double relDiff(double a, double b)
{
    return a == b ? 0.0 : std::abs(a - b) / std::max(std::abs(a), std::abs(b));
}

using cwbtest::logitsOf;
using cwbtest::tensorOf;

} // namespace

class TestAwq : public QObject {
    Q_OBJECT

private slots:
    void fastMatchesReference_data();
    void fastMatchesReference();
    void awqBeatsRtn_data();
    void awqBeatsRtn();
    void alphaZeroIsRtn();
    void ggmlGrid_data();
    void ggmlGrid();
    void ggmlGridWithGptq();
    void unstorableAlphaIsSkipped();
    void scaledInputLinear();
    void badArguments();
    void cancellation();
    void stories260K();
};

void TestAwq::fastMatchesReference_data()
{
    QTest::addColumn<int>("bits");
    QTest::addColumn<int>("group");
    QTest::addColumn<bool>("sym");
    QTest::addColumn<bool>("f16");
    QTest::addColumn<int>("grid");
    QTest::addRow("w4 asym g128 (defaults)") << 4 << 128 << false << true << 20;
    QTest::addRow("w3 sym g32") << 3 << 32 << true << true << 20;
    QTest::addRow("w4 asym per-channel fp32 scales") << 4 << 0 << false << false << 20;
    QTest::addRow("w2 asym g64 grid 7") << 2 << 64 << false << true << 7;
}

void TestAwq::fastMatchesReference()
{
    QFETCH(int, bits);
    QFETCH(int, group);
    QFETCH(bool, sym);
    QFETCH(bool, f16);
    QFETCH(int, grid);
    const Layer l = makeLayer(64, 256, 4, 11);
    cwb::AwqParams p;
    p.bits = bits;
    p.group = group;
    p.sym = sym;
    p.f16Scales = f16;
    p.alphaGrid = grid;
    const cwb::AwqResult fast = awq(l, p);
    const cwb::AwqResult ref = cwb::awqQuantizeReference(l.w.data(), l.rows, l.cols, l.meanAbs,
                                                         l.h.data(), l.tokens, p);
    QCOMPARE(fast.gridErrors.size(), size_t(grid));
    QCOMPARE(ref.gridErrors.size(), size_t(grid));
    double worst = 0;
    for (int k = 0; k < grid; ++k) {
        QVERIFY(std::isfinite(fast.gridErrors[size_t(k)]));
        worst = std::max(worst, relDiff(fast.gridErrors[size_t(k)], ref.gridErrors[size_t(k)]));
    }
    qDebug("alpha %.2f, error %.5f (rtn %.5f); fast vs reference grid errors: max relative "
           "difference %.2e",
           fast.alpha, fast.outputError, fast.plainRtnError, worst);
    QVERIFY2(worst < 1e-9, qPrintable(QString::number(worst)));
    QCOMPARE(fast.alpha, ref.alpha);
    QVERIFY(fast.q.codes == ref.q.codes);
    QVERIFY(fast.q.scales == ref.q.scales);
    QVERIFY(fast.q.zeros == ref.q.zeros);
    QVERIFY(fast.inputScales == ref.inputScales);
    QCOMPARE(fast.q.method, std::string("rtn"));
    QVERIFY(relDiff(fast.outputError, ref.outputError) < 1e-9);
    QVERIFY(relDiff(fast.plainRtnError, ref.plainRtnError) < 1e-9);

    // The reported errors are what an independent computation gives for W' and for plain RTN.
    const double mine = relativeOutputError(l.w, l.h, l.rows, l.cols, awqWeights(fast));
    QVERIFY2(relDiff(mine, fast.outputError) < 1e-9,
             qPrintable(QStringLiteral("%1 vs %2").arg(mine).arg(fast.outputError)));
    const std::vector<float> rtn =
        cwb::quantizeRtnReference(l.w.data(), l.rows, l.cols, rtnOf(p)).dequantize();
    const double rtnErr =
        relativeOutputError(l.w, l.h, l.rows, l.cols, rtn);
    QVERIFY(relDiff(rtnErr, fast.plainRtnError) < 1e-9);
}

void TestAwq::awqBeatsRtn_data()
{
    QTest::addColumn<int>("outliers");
    QTest::addColumn<int>("bits");
    QTest::addColumn<int>("group");
    QTest::addColumn<bool>("sym");
    for (int outliers : {0, 6})
        for (int bits : {4, 3}) {
            QTest::addRow("outliers %d w%d asym g128", outliers, bits)
                << outliers << bits << 128 << false;
            QTest::addRow("outliers %d w%d sym per-channel", outliers, bits)
                << outliers << bits << 0 << true;
        }
}

// Never worse than RTN (alpha = 0 is in the grid); with outlier channels strictly better.
void TestAwq::awqBeatsRtn()
{
    QFETCH(int, outliers);
    QFETCH(int, bits);
    QFETCH(int, group);
    QFETCH(bool, sym);
    const Layer l = makeLayer(128, 256, outliers, 5);
    cwb::AwqParams p;
    p.bits = bits;
    p.group = group;
    p.sym = sym;
    const cwb::AwqResult a = awq(l, p);
    qDebug("alpha %.2f: awq %.5f  rtn %.5f  (ratio %.3f)", a.alpha, a.outputError,
           a.plainRtnError, a.outputError / a.plainRtnError);
    QCOMPARE(a.plainRtnError, a.gridErrors[0]);
    QCOMPARE(a.outputError, *std::min_element(a.gridErrors.begin(), a.gridErrors.end()));
    QCOMPARE(a.outputError, a.gridErrors[size_t(std::lround(a.alpha * p.alphaGrid))]);
    QVERIFY(a.outputError <= a.plainRtnError);
    QCOMPARE(a.inputScales.size(), size_t(l.cols));
    if (outliers > 0) {
        QVERIFY2(a.alpha > 0.0 && a.outputError < 0.95 * a.plainRtnError,
                 qPrintable(QStringLiteral("awq %1 rtn %2").arg(a.outputError)
                                .arg(a.plainRtnError)));
        // The outlier channels get the largest scales.
        const size_t top = size_t(std::max_element(a.inputScales.begin(), a.inputScales.end())
                                  - a.inputScales.begin());
        bool isOutlier = false;
        for (int k = 0; k < outliers; ++k)
            isOutlier = isOutlier || top == size_t((k * 37 + 5) % l.cols);
        QVERIFY(isOutlier);
    }
}

void TestAwq::alphaZeroIsRtn()
{
    const Layer l = makeLayer(32, 128, 3, 4);
    cwb::AwqParams p;
    p.bits = 3;
    p.group = 32;
    p.alphaGrid = 1; // only alpha = 0
    const cwb::AwqResult a = awq(l, p);
    const cwb::QuantizedTensor r = cwb::quantizeRtn(l.w.data(), l.rows, l.cols, rtnOf(p), {});
    QCOMPARE(a.alpha, 0.0);
    QVERIFY(a.q.codes == r.codes);
    QVERIFY(a.q.scales == r.scales);
    QVERIFY(a.q.zeros == r.zeros);
    QVERIFY(std::all_of(a.inputScales.begin(), a.inputScales.end(),
                        [](float s) { return s == 1.0f; }));
    QCOMPARE(a.outputError, a.plainRtnError);
    QVERIFY(a.outputError > 0.0);

    // The scale formula: meanAbs^alpha, clamped to 1e-4, over sqrt(max min).
    const std::vector<double> m{4.0, 1.0, 0.0, 0.25};
    const std::vector<float> s = cwb::awqInputScales(m, 0.5);
    const double norm = std::sqrt(2.0 * 1e-4);
    QCOMPARE(s[0], float(2.0 / norm));
    QCOMPARE(s[1], float(1.0 / norm));
    QCOMPARE(s[2], float(1e-4 / norm));
    QCOMPARE(s[3], float(0.5 / norm));
}

void TestAwq::ggmlGrid_data()
{
    QTest::addColumn<int>("type");
    QTest::addColumn<bool>("importance");
    QTest::addRow("q4_0") << int(cwb::DType::Q4_0) << true;
    QTest::addRow("q4_k") << int(cwb::DType::Q4_K) << true;
    QTest::addRow("q3_k") << int(cwb::DType::Q3_K) << true;
    QTest::addRow("q6_k no imatrix") << int(cwb::DType::Q6_K) << false;
}

// AWQ's scales followed by a ggml block type's own grid.
void TestAwq::ggmlGrid()
{
    QFETCH(int, type);
    QFETCH(bool, importance);
    const auto t = cwb::DType(type);
    const Layer l = makeLayer(64, 256, 6, 21);
    cwb::AwqParams p;
    p.ggml = t;
    p.importance = importance;
    p.alphaGrid = 10;
    const cwb::AwqResult fast = awq(l, p);
    const cwb::AwqResult ref = cwb::awqQuantizeReference(l.w.data(), l.rows, l.cols, l.meanAbs,
                                                         l.h.data(), l.tokens, p);
    QCOMPARE(fast.alpha, ref.alpha);
    QVERIFY(fast.ggmlBytes == ref.ggmlBytes);
    QVERIFY(fast.q.codes.empty());
    QVERIFY(fast.inputScales == ref.inputScales);
    for (int k = 0; k < p.alphaGrid; ++k)
        QVERIFY(relDiff(fast.gridErrors[size_t(k)], ref.gridErrors[size_t(k)]) < 1e-9);

    // alpha = 0 is llama-quantize's result with the imatrix of the inputs, mean x^2.
    std::vector<float> imatrix(size_t(l.cols));
    for (int64_t j = 0; j < l.cols; ++j)
        imatrix[size_t(j)] = float(l.h[size_t(j * l.cols + j)] / double(l.tokens));
    const std::vector<std::byte> plain = cwb::ggmlQuantizeRows(
        t, l.w.data(), l.rows, l.cols, importance ? imatrix.data() : nullptr);
    cwb::AwqParams zero = p;
    zero.alphaGrid = 1;
    QVERIFY(awq(l, zero).ggmlBytes == plain);

    // The reported errors are what an independent computation gives; with outlier channels
    // AWQ is clearly below the plain grid.
    std::vector<float> deq(size_t(l.rows * l.cols));
    cwb::convertToFloat(t, fast.ggmlBytes, deq);
    std::vector<double> wq(deq.size());
    for (int64_t r = 0; r < l.rows; ++r)
        for (int64_t j = 0; j < l.cols; ++j)
            wq[size_t(r * l.cols + j)] =
                double(deq[size_t(r * l.cols + j)]) / double(fast.inputScales[size_t(j)]);
    QVERIFY(relDiff(relativeOutputError(l.w, l.h, l.rows, l.cols, wq), fast.outputError) < 1e-9);
    const std::vector<float> deqAwq = deq;
    cwb::convertToFloat(t, plain, deq);
    const double plainErr = relativeOutputError(l.w, l.h, l.rows, l.cols, deq);
    QVERIFY(relDiff(plainErr, fast.plainRtnError) < 1e-9);
    qDebug("%s: alpha %.2f, awq %.5f, plain grid %.5f", cwb::dtypeName(t).data(), fast.alpha,
           fast.outputError, plainErr);
    QVERIFY2(fast.alpha > 0 && fast.outputError < 0.97 * plainErr,
             qPrintable(QStringLiteral("awq %1, plain %2").arg(fast.outputError).arg(plainErr)));

    // Stored: the type's blocks with s as the input multiplier; awqGrid remakes the blocks.
    std::vector<float> ws(l.w.size());
    for (int64_t r = 0; r < l.rows; ++r)
        for (int64_t j = 0; j < l.cols; ++j)
            ws[size_t(r * l.cols + j)] = l.w[size_t(r * l.cols + j)] * fast.inputScales[size_t(j)];
    const cwb::StoredMatrix grid = cwb::awqGrid(ws.data(), l.rows, l.cols, fast.inputScales,
                                                l.h.data(), l.tokens, p, {});
    QCOMPARE(grid.kind, cwb::StoredMatrix::Kind::Ggml);
    QVERIFY(grid.bytes == fast.ggmlBytes && grid.inputScales.empty());
    cwb::AwqResult moved = fast;
    const cwb::StoredMatrix stored = cwb::awqStoredMatrix(std::move(moved), p, l.rows, l.cols);
    QCOMPARE(stored.type, t);
    QVERIFY(stored.inputScales == fast.inputScales);
    const std::vector<float> back = stored.dequantize(); // W' = blocks / s
    for (int64_t r = 0; r < l.rows; ++r)
        for (int64_t j = 0; j < l.cols; ++j) {
            const size_t i = size_t(r * l.cols + j);
            QCOMPARE(back[i], deqAwq[i] / fast.inputScales[size_t(j)]);
        }

    // A row length that is not a multiple of the block is refused naming it.
    cwb::AwqParams k = p;
    k.ggml = cwb::DType::Q4_K;
    const Layer narrow = makeLayer(8, 96, 0, 3);
    try {
        (void)awq(narrow, k);
        QFAIL("96 columns accepted for Q4_K");
    } catch (const cwb::Error &e) {
        QVERIFY2(std::string(e.what()).find("block of 256") != std::string::npos, e.what());
    }
}

// AWQ's scales, then GPTQ onto the ggml grid with the scaled inputs' Hessian: below plain
// rounding at the same alpha, the reported error is the final codes', awqGrid remakes them.
void TestAwq::ggmlGridWithGptq()
{
    const Layer l = makeLayer(64, 256, 6, 23);
    cwb::AwqParams p;
    p.ggml = cwb::DType::Q4_K;
    p.alphaGrid = 10;
    p.gptq = true;
    const cwb::AwqResult a = awq(l, p);
    const double rounded = a.gridErrors[size_t(std::lround(a.alpha * p.alphaGrid))];
    std::vector<float> deq(size_t(l.rows * l.cols));
    cwb::convertToFloat(cwb::DType::Q4_K, a.ggmlBytes, deq);
    std::vector<double> wq(deq.size());
    for (int64_t r = 0; r < l.rows; ++r)
        for (int64_t j = 0; j < l.cols; ++j)
            wq[size_t(r * l.cols + j)] =
                double(deq[size_t(r * l.cols + j)]) / double(a.inputScales[size_t(j)]);
    const double mine = relativeOutputError(l.w, l.h, l.rows, l.cols, wq);
    qDebug("alpha %.2f: awq + gptq %.5f, awq rounded %.5f, plain grid %.5f", a.alpha,
           a.outputError, rounded, a.plainRtnError);
    QVERIFY(relDiff(mine, a.outputError) < 1e-9);
    QVERIFY2(a.outputError < 0.95 * rounded,
             qPrintable(QStringLiteral("gptq %1, rounded %2").arg(a.outputError).arg(rounded)));

    std::vector<float> ws(l.w.size());
    for (int64_t r = 0; r < l.rows; ++r)
        for (int64_t j = 0; j < l.cols; ++j)
            ws[size_t(r * l.cols + j)] = l.w[size_t(r * l.cols + j)] * a.inputScales[size_t(j)];
    QVERIFY(cwb::awqGrid(ws.data(), l.rows, l.cols, a.inputScales, l.h.data(), l.tokens, p, {})
                .bytes
            == a.ggmlBytes);
    // The reference path runs gptq_ggml's reference: same alpha, near-equal error.
    const cwb::AwqResult ref = cwb::awqQuantizeReference(l.w.data(), l.rows, l.cols, l.meanAbs,
                                                         l.h.data(), l.tokens, p);
    QCOMPARE(ref.alpha, a.alpha);
    QVERIFY2(relDiff(ref.outputError, a.outputError) < 1e-3,
             qPrintable(QStringLiteral("%1 vs %2").arg(ref.outputError).arg(a.outputError)));

    cwb::AwqParams intGrid;
    intGrid.gptq = true;
    try {
        (void)awq(l, intGrid);
        QFAIL("gptq on the integer grid accepted");
    } catch (const cwb::Error &e) {
        QVERIFY2(std::string(e.what()).find("gptq needs a ggml grid") != std::string::npos,
                 e.what());
    }
}

// Weights of magnitude 1e3 under channel scales up to ~3e3: from some alpha on, a group's scale
// no longer fits fp16. Those alphas are skipped (+inf), the others still searched.
void TestAwq::unstorableAlphaIsSkipped()
{
    const int64_t rows = 16, cols = 64;
    Layer l;
    l.rows = rows;
    l.cols = cols;
    l.tokens = 100;
    l.w.resize(size_t(rows * cols));
    std::mt19937_64 rng(3);
    std::normal_distribution<double> n01(0.0, 1.0);
    for (auto &v : l.w)
        v = float(1e3 * n01(rng));
    l.meanAbs.resize(size_t(cols));
    l.h.assign(size_t(cols * cols), 0.0);
    for (int64_t j = 0; j < cols; ++j) {
        l.meanAbs[size_t(j)] = std::pow(10.0, -4.0 + 8.0 * double(j) / double(cols - 1));
        l.h[size_t(j * cols + j)] = 100.0 * l.meanAbs[size_t(j)] * l.meanAbs[size_t(j)];
    }
    cwb::AwqParams p;
    p.group = 32;
    const cwb::AwqResult a = awq(l, p);
    const cwb::AwqResult ref = cwb::awqQuantizeReference(l.w.data(), l.rows, l.cols, l.meanAbs,
                                                         l.h.data(), l.tokens, p);
    QVERIFY(std::isfinite(a.gridErrors[0]));
    QVERIFY(std::isinf(a.gridErrors.back()));
    QVERIFY(std::isinf(ref.gridErrors.back()));
    QVERIFY(std::isfinite(a.outputError) && a.outputError <= a.plainRtnError);
    QCOMPARE(a.alpha, ref.alpha);
    int skipped = 0;
    for (size_t k = 0; k < a.gridErrors.size(); ++k) {
        QCOMPARE(std::isinf(a.gridErrors[k]), std::isinf(ref.gridErrors[k]));
        skipped += std::isinf(a.gridErrors[k]) ? 1 : 0;
    }
    qDebug("alpha %.2f, %d of %d grid points skipped, error %.4f (rtn %.4f)", a.alpha, skipped,
           int(a.gridErrors.size()), a.outputError, a.plainRtnError);
    // With fp32 scales nothing overflows.
    p.f16Scales = false;
    const cwb::AwqResult f32 = awq(l, p);
    QVERIFY(std::all_of(f32.gridErrors.begin(), f32.gridErrors.end(),
                        [](double e) { return std::isfinite(e); }));
}

void TestAwq::scaledInputLinear()
{
    const Layer l = makeLayer(96, 256, 4, 21);
    cwb::AwqParams p;
    p.group = 64;
    cwb::AwqResult a = awq(l, p);
    QVERIFY(a.alpha > 0.0);
    const uint64_t qBytes = a.q.storedBytes();
    const auto inner = std::make_shared<cwb::QuantizedLinear>(std::move(a.q));
    const cwb::ScaledInputLinear lin(inner, a.inputScales);
    QCOMPARE(lin.outFeatures(), l.rows);
    QCOMPARE(lin.inFeatures(), l.cols);
    QCOMPARE(lin.storedBytes(), qBytes + uint64_t(4 * l.cols));
    QCOMPARE(lin.format(), std::string("awq(rtn)"));

    std::vector<float> deq(size_t(l.rows * l.cols));
    inner->tensor().dequantizeRowsReference(0, l.rows, deq.data());
    std::mt19937 rng(8);
    std::normal_distribution<float> n01(0.0f, 1.0f);
    for (int64_t nRows : {int64_t(1), int64_t(7)}) {
        std::vector<float> x(size_t(nRows * l.cols)), xs(x.size());
        for (size_t i = 0; i < x.size(); ++i) {
            x[i] = n01(rng) * float(l.meanAbs[i % size_t(l.cols)]);
            xs[i] = x[i] / a.inputScales[i % size_t(l.cols)];
        }
        std::vector<float> y(size_t(nRows * l.rows)), yq(y.size()), yRef(y.size());
        lin.forward(x.data(), nRows, y.data());
        inner->forward(xs.data(), nRows, yq.data());
        lin.forwardReference(x.data(), nRows, yRef.data());
        double worst = 0;
        for (int64_t i = 0; i < nRows; ++i)
            for (int64_t o = 0; o < l.rows; ++o) {
                double naive = 0, magnitude = 0;
                for (int64_t k = 0; k < l.cols; ++k) {
                    const double t = double(x[size_t(i * l.cols + k)])
                                     * double(deq[size_t(o * l.cols + k)])
                                     / double(a.inputScales[size_t(k)]);
                    naive += t;
                    magnitude += std::abs(t);
                }
                const size_t at = size_t(i * l.rows + o);
                // x / s through the QuantizedLinear: the same product up to Eigen's order.
                QVERIFY2(std::abs(y[at] - yq[at]) <= 1e-6 * magnitude,
                         qPrintable(QStringLiteral("%1 vs %2").arg(y[at]).arg(yq[at])));
                const double e = std::max(std::abs(y[at] - naive), std::abs(yRef[at] - naive));
                worst = std::max(worst, e / magnitude);
                if (e > 1e-5 * magnitude)
                    QFAIL(qPrintable(QStringLiteral("y[%1][%2] = %3 (reference %4), naive %5")
                                         .arg(i).arg(o).arg(y[at]).arg(yRef[at]).arg(naive)));
            }
        qDebug("nRows %lld: max |y - W' x| / sum |terms| = %.2e", (long long)nRows, worst);
    }
    std::vector<float> r(size_t(l.cols));
    lin.row(l.rows - 1, r.data());
    for (int64_t k = 0; k < l.cols; ++k)
        QCOMPARE(r[size_t(k)],
                 deq[size_t((l.rows - 1) * l.cols + k)] / a.inputScales[size_t(k)]);

    // Refusals.
    std::string e = cwbtest::errorOf([&] { lin.row(l.rows, r.data()); });
    QVERIFY2(e.find("row 96") != std::string::npos, e.c_str());
    e = cwbtest::errorOf([&] { cwb::ScaledInputLinear bad(nullptr, a.inputScales); });
    QVERIFY2(e.find("null") != std::string::npos, e.c_str());
    e = cwbtest::errorOf([&] {
        cwb::ScaledInputLinear bad(inner, std::vector<float>(size_t(l.cols - 1), 1.0f));
    });
    QVERIFY2(e.find("inputScales") != std::string::npos && e.find("255") != std::string::npos,
             e.c_str());
    std::vector<float> zero = a.inputScales;
    zero[17] = 0.0f;
    e = cwbtest::errorOf([&] { cwb::ScaledInputLinear bad(inner, zero); });
    QVERIFY2(e.find("channel 17") != std::string::npos, e.c_str());
}

void TestAwq::badArguments()
{
    const Layer l = makeLayer(8, 64, 1, 1, 128);
    const auto message = [&](const cwb::AwqParams &p, const float *w, const double *h,
                             std::span<const double> meanAbs, int64_t tokens) {
        return cwbtest::errorOf([&] {
            (void)cwb::awqQuantize(w, l.rows, l.cols, meanAbs, h, tokens, p, {});
        });
    };
    const auto expect = [&](const std::string &e, std::initializer_list<const char *> parts) {
        QVERIFY2(!e.empty(), "no error");
        for (const char *part : parts)
            QVERIFY2(e.find(part) != std::string::npos, qPrintable(QString::fromStdString(
                                                            e + "  [missing: " + part + "]")));
    };
    cwb::AwqParams p;
    p.group = 32;
    QVERIFY(message(p, l.w.data(), l.h.data(), l.meanAbs, 128).empty());
    p.bits = 9;
    p.alphaGrid = 0;
    expect(message(p, l.w.data(), l.h.data(), l.meanAbs, 128), {"awq", "bits = 9", "alphaGrid"});
    p = {};
    p.group = 48;
    expect(message(p, l.w.data(), l.h.data(), l.meanAbs, 128), {"group = 48"});
    p.group = 128; // does not divide 64
    expect(message(p, l.w.data(), l.h.data(), l.meanAbs, 128), {"group = 128", "divide"});
    p.group = 32;
    expect(message(p, l.w.data(), l.h.data(), l.meanAbs, 0), {"tokens"});
    expect(message(p, l.w.data(), l.h.data(),
                   std::span<const double>(l.meanAbs.data(), l.meanAbs.size() - 1), 128),
           {"meanAbs", "63"});
    std::vector<double> m = l.meanAbs;
    m[3] = -1.0;
    expect(message(p, l.w.data(), l.h.data(), m, 128), {"meanAbs", "channel 3"});
    m[3] = NAN;
    expect(message(p, l.w.data(), l.h.data(), m, 128), {"meanAbs", "channel 3"});
    std::vector<float> w = l.w;
    w[70] = INFINITY;
    expect(message(p, w.data(), l.h.data(), l.meanAbs, 128), {"row 1", "col 6"});
    std::vector<double> h = l.h;
    h[65] = NAN;
    expect(message(p, l.w.data(), h.data(), l.meanAbs, 128), {"Hessian", "(1, 1)"});
    h = l.h;
    h[65] = -1.0;
    expect(message(p, l.w.data(), h.data(), l.meanAbs, 128), {"Hessian", "negative"});
    // Indefinite: diag 1, one off-diagonal pair 2 (eigenvalue -1); W loads that direction.
    h.assign(size_t(64 * 64), 0.0);
    for (int64_t i = 0; i < 64; ++i)
        h[size_t(i * 64 + i)] = 1.0;
    h[1] = h[64] = 2.0;
    std::vector<float> w2(size_t(8 * 64), 0.0f);
    for (int64_t r = 0; r < 8; ++r) {
        w2[size_t(r * 64)] = 0.3f;
        w2[size_t(r * 64 + 1)] = -0.3f;
    }
    expect(message(p, w2.data(), h.data(), l.meanAbs, 128), {"positive semidefinite"});
    expect(message(p, nullptr, l.h.data(), l.meanAbs, 128), {"weights"});
    expect(message(p, l.w.data(), nullptr, l.meanAbs, 128), {"Hessian"});
    expect(cwbtest::errorOf([&] { (void)cwb::awqInputScales(l.meanAbs, -0.5); }), {"alpha"});
}

void TestAwq::cancellation()
{
    const Layer l = makeLayer(64, 128, 2, 2, 256);
    std::atomic<bool> flag{true};
    cwb::JobContext job;
    job.cancelFlag = &flag;
    QVERIFY_THROWS_EXCEPTION(cwb::Cancelled, (void)awq(l, cwb::AwqParams{}, job));
    flag = false;
    QVERIFY(std::isfinite(awq(l, cwb::AwqParams{}, job).outputError));
}

// stories260K, layers.0.attn.q at 3 bits, group 32, with Hessians from TinyStories text.
void TestAwq::stories260K()
{
    CWB_SHARED_FILE(path, kModel);
    CWB_SHARED_FILE(text, kText);
    const cwb::Model m = cwb::io::openModel(path);
    cwb::ActivationParams ap;
    ap.sequences = 8;
    ap.tokensPerSequence = 128;
    ap.collectHessians = true;
    const cwb::ActivationStats stats = cwb::collectActivationStats(m, text, ap);
    const char *name = "layers.0.attn.q";
    const cwb::LinearActivationStats *s = stats.find(name);
    QVERIFY(s && s->hessian);
    const cwb::Tensor &t = tensorOf(m, name);
    const std::vector<float> w = t.toFloat();
    const int64_t rows = t.shape[0], cols = t.shape[1];
    cwb::AwqParams p;
    p.bits = 3;
    p.group = 32;
    const cwb::AwqResult a = cwb::awqQuantize(w.data(), rows, cols, s->meanAbs,
                                              s->hessian->sum.data(), s->hessian->tokens, p, {});
    const cwb::AwqResult ref = cwb::awqQuantizeReference(
        w.data(), rows, cols, s->meanAbs, s->hessian->sum.data(), s->hessian->tokens, p);
    std::printf("stories260K %s [%lld x %lld], %lld tokens, 3-bit asym g32: awq alpha %.2f "
                "error %.5f, rtn %.5f (ratio %.3f)\n",
                name, (long long)rows, (long long)cols, (long long)s->hessian->tokens, a.alpha,
                a.outputError, a.plainRtnError, a.outputError / a.plainRtnError);
    std::fflush(stdout);
    QVERIFY2(a.outputError < a.plainRtnError,
             qPrintable(QStringLiteral("awq %1 rtn %2").arg(a.outputError).arg(a.plainRtnError)));
    QCOMPARE(a.alpha, ref.alpha);
    QVERIFY(a.q.codes == ref.q.codes);
    QVERIFY(relDiff(a.outputError, ref.outputError) < 1e-9);

    // The layer the engine runs: its rows give the error AWQ reported (float W' = deq / s).
    const auto lin = std::make_shared<cwb::ScaledInputLinear>(
        std::make_shared<cwb::QuantizedLinear>(a.q), a.inputScales);
    std::vector<float> wf(size_t(rows * cols));
    for (int64_t r = 0; r < rows; ++r)
        lin->row(r, wf.data() + r * cols);
    const double viaRows =
        relativeOutputError(w, s->hessian->sum, rows, cols, wf);
    QVERIFY2(relDiff(viaRows, a.outputError) < 1e-5,
             qPrintable(QStringLiteral("%1 vs %2").arg(viaRows).arg(a.outputError)));

    // In the engine: the same logits as the dense W' up to float rounding.
    cwb::EngineOptions scaled, dense;
    scaled.replacements[name] = lin;
    dense.replacements[name] = std::make_shared<cwb::DenseLinear>(wf, rows, cols);
    const std::vector<float> ls = logitsOf(m, scaled), ld = logitsOf(m, dense),
                             base = logitsOf(m, {});
    QCOMPARE(ls.size(), ld.size());
    double maxDiff = 0, maxAbs = 0, moved = 0;
    for (size_t i = 0; i < ls.size(); ++i) {
        maxDiff = std::max(maxDiff, double(std::abs(ls[i] - ld[i])));
        maxAbs = std::max(maxAbs, double(std::abs(ld[i])));
        moved = std::max(moved, double(std::abs(ls[i] - base[i])));
    }
    std::printf("  engine: max |logit(awq layer) - logit(dense W')| %.3g (max |logit| %.3g, "
                "change from the original %.3g)\n",
                maxDiff, maxAbs, moved);
    std::fflush(stdout);
    QVERIFY2(maxDiff <= 1e-4 * maxAbs, qPrintable(QString::number(maxDiff)));
    QVERIFY(moved > 0.0);
    QCOMPARE(cwb::Engine::create(m, scaled)->weightBytes(),
             cwb::Engine::create(m, {})->weightBytes() - t.byteSize + lin->storedBytes());
}

QTEST_GUILESS_MAIN(TestAwq)
#include "test_awq.moc"
