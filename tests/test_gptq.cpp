// SPDX-License-Identifier: MIT
// GPTQ and SparseGPT (core/compress/gptq.h, sparsegpt.h) on generated calibration data: inputs X
// [2048 tokens x cols] = Z L with Z standard normal and L random (correlated channels with
// spread-out scales), weights N(0, 0.02^2), and the raw Hessian sum X^T X as ActivationHessian
// holds it. The quality measure is the layer's output error ||X W^T - X W'^T||_F, computed as
// sqrt(sum_r d_r^T (X^T X) d_r) with d = W - W'.
//
// Measured (128 x 256 weights, correlated data), output error relative to ||X W^T||_F (the
// tests require GPTQ < 0.9 RTN and SparseGPT < 0.9 magnitude pruning on every row):
//   w4 g32          rtn 0.0980  gptq 0.0774 (act-order off)  0.0561 (on)
//   w4 per-channel  rtn 0.1253  gptq 0.0982                  0.0698
//   w3 g32          rtn 0.2233  gptq 0.1908                  0.1329
//   w3 per-channel  rtn 0.2929  gptq 0.2297                  0.1653
//   w4 asym g32     rtn 0.0801  gptq 0.0473 (act-order on)
//   50%             magnitude 0.2708  sparsegpt 0.1237
//   2:4             magnitude 0.3669  sparsegpt 0.1972
//   4:8             magnitude 0.3172  sparsegpt 0.1563

#include "compress/gptq.h"
#include "compress/obs_common.h"
#include "compress/quant_methods.h"
#include "compress/sparsegpt.h"
#include "jobs/job_context.h"
#include "calibrated_layer.h"
#include "test_support.h"
#include "util/error.h"

#include <QTest>

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include <atomic>
#include <cmath>
#include <random>
#include <vector>

namespace {

using Mat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

using Layer = cwbtest::CalibratedLayer;

// correlation 0: X = Z (well conditioned); otherwise X = Z (I + correlation G / sqrt(cols)) S
// with G standard normal and S a diagonal of log-normal channel scales.
Layer makeLayer(int64_t rows, int64_t cols, double correlation, uint64_t seed,
                int64_t tokens = 2048)
{
    return cwbtest::makeCalibratedLayer(rows, cols, {correlation, 0.7, 0}, seed, tokens);
}

template <class T>
double outputError(const Layer &l, const std::vector<T> &approx)
{
    return cwbtest::relativeOutputError(l, approx);
}

cwb::RtnParams rtnOf(const cwb::GptqParams &p)
{
    cwb::RtnParams r;
    r.bits = p.bits;
    r.symmetric = p.sym;
    r.granularity = p.group == 0 ? cwb::Granularity::PerChannel : cwb::Granularity::Group;
    if (p.group)
        r.groupSize = p.group;
    return r;
}

// Per-row magnitude pruning: the baseline SparseGPT must beat.
std::vector<float> magnitudePrune(const Layer &l, int n, int m, double sparsity)
{
    std::vector<float> out = l.w;
    const int64_t span = m > 0 ? m : l.cols;
    const int64_t count = m > 0 ? n : int64_t(std::llround(sparsity * double(l.cols)));
    for (int64_t r = 0; r < l.rows; ++r)
        for (int64_t j0 = 0; j0 < l.cols; j0 += span) {
            float *x = out.data() + r * l.cols + j0;
            std::vector<int64_t> idx(static_cast<size_t>(span));
            for (int64_t k = 0; k < span; ++k)
                idx[size_t(k)] = k;
            std::stable_sort(idx.begin(), idx.end(), [&](int64_t a, int64_t b) {
                return std::fabs(x[a]) < std::fabs(x[b]);
            });
            for (int64_t k = 0; k < count; ++k)
                x[idx[size_t(k)]] = 0.0f;
        }
    return out;
}

} // namespace

class TestGptq : public QObject {
    Q_OBJECT

private slots:
    void upperCholeskyOfInverseFactorsTheInverse();
    void gptqBeatsRtn_data();
    void gptqBeatsRtn();
    void gptqFastMatchesReference_data();
    void gptqFastMatchesReference();
    void sparseGptBeatsMagnitude_data();
    void sparseGptBeatsMagnitude();
    void sparseGptFastMatchesReference();
    void deadColumns();
    void nonPositiveDefinite();
    void badArguments();
    void cancellation();
};

void TestGptq::gptqBeatsRtn_data()
{
    QTest::addColumn<int>("bits");
    QTest::addColumn<int>("group");
    QTest::addColumn<bool>("sym");
    QTest::addColumn<bool>("actOrder");
    for (int bits : {4, 3})
        for (int group : {32, 0})
            for (bool act : {false, true})
                QTest::addRow("w%d %s act%d", bits, group ? "g32" : "per-channel", int(act))
                    << bits << group << true << act;
    QTest::addRow("w4 asym g32 act1") << 4 << 32 << false << true;
}

void TestGptq::gptqBeatsRtn()
{
    QFETCH(int, bits);
    QFETCH(int, group);
    QFETCH(bool, sym);
    QFETCH(bool, actOrder);
    const Layer l = makeLayer(128, 256, 1.0, 7);
    cwb::GptqParams p;
    p.bits = bits;
    p.group = group;
    p.sym = sym;
    p.actOrder = actOrder;
    const cwb::JobContext job;
    const cwb::QuantizedTensor g =
        cwb::gptqQuantize(l.w.data(), l.rows, l.cols, l.h.data(), l.tokens, p, job);
    const cwb::QuantizedTensor r = cwb::quantizeRtn(l.w.data(), l.rows, l.cols, rtnOf(p), job);
    QCOMPARE(g.method, r.method);
    QCOMPARE(g.storedBytes(), r.storedBytes());
    // Scales fixed before the loop (per channel, or static groups under act-order) are rtn's.
    if (group == 0 || actOrder) {
        QVERIFY(g.scales == r.scales);
        QVERIFY(g.zeros == r.zeros);
    }
    const double eg = outputError(l, g.dequantize());
    const double er = outputError(l, r.dequantize());
    qDebug("output error: gptq %.4f  rtn %.4f  (ratio %.3f)", eg, er, eg / er);
    QVERIFY2(eg < 0.9 * er, qPrintable(QStringLiteral("gptq %1 rtn %2").arg(eg).arg(er)));
}

void TestGptq::gptqFastMatchesReference_data()
{
    QTest::addColumn<double>("correlation");
    QTest::addColumn<int>("group");
    QTest::addColumn<bool>("sym");
    QTest::addColumn<bool>("actOrder");
    QTest::addColumn<int>("blockSize");
    QTest::addRow("iid g32 act0 b128") << 0.0 << 32 << true << false << 128;
    QTest::addRow("iid g64 act1 b48") << 0.0 << 64 << true << true << 48;
    QTest::addRow("iid per-channel asym b16") << 0.0 << 0 << false << true << 16;
    QTest::addRow("iid g128 asym act0 b40") << 0.0 << 128 << false << false << 40;
    QTest::addRow("correlated g32 act1 b128") << 1.0 << 32 << true << true << 128;
    QTest::addRow("correlated per-channel act0 b32") << 1.0 << 0 << true << false << 32;
}

// Same codes and scales on well-conditioned data; on correlated data summation order can flip a
// code at a rounding midpoint, so there the dequantized weights must agree to 1e-3 of ||W||.
void TestGptq::gptqFastMatchesReference()
{
    QFETCH(double, correlation);
    QFETCH(int, group);
    QFETCH(bool, sym);
    QFETCH(bool, actOrder);
    QFETCH(int, blockSize);
    const Layer l = makeLayer(48, 256, correlation, 11);
    cwb::GptqParams p;
    p.group = group;
    p.sym = sym;
    p.actOrder = actOrder;
    p.blockSize = blockSize;
    const cwb::QuantizedTensor fast = cwb::gptqQuantize(l.w.data(), l.rows, l.cols, l.h.data(),
                                                        l.tokens, p, cwb::JobContext{});
    const cwb::QuantizedTensor ref =
        cwb::gptqQuantizeReference(l.w.data(), l.rows, l.cols, l.h.data(), l.tokens, p);
    if (correlation == 0.0) {
        QVERIFY(fast.codes == ref.codes);
        QVERIFY(fast.scales == ref.scales);
        QVERIFY(fast.zeros == ref.zeros);
        return;
    }
    const std::vector<float> a = fast.dequantize(), b = ref.dequantize();
    double diff = 0, norm = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        diff += double(a[i] - b[i]) * double(a[i] - b[i]);
        norm += double(l.w[i]) * double(l.w[i]);
    }
    qDebug("fast vs reference: relative difference %.2e", std::sqrt(diff / norm));
    QVERIFY(std::sqrt(diff / norm) < 1e-3);
}

void TestGptq::sparseGptBeatsMagnitude_data()
{
    QTest::addColumn<int>("n");
    QTest::addColumn<int>("m");
    QTest::addColumn<double>("sparsity");
    QTest::addRow("50%%") << 0 << 0 << 0.5;
    QTest::addRow("2:4") << 2 << 4 << 0.0;
    QTest::addRow("4:8") << 4 << 8 << 0.0;
    QTest::addRow("30%% b96") << 0 << 0 << 0.3;
}

void TestGptq::sparseGptBeatsMagnitude()
{
    QFETCH(int, n);
    QFETCH(int, m);
    QFETCH(double, sparsity);
    const Layer l = makeLayer(128, 256, 1.0, 5);
    cwb::SparseGptParams p;
    p.nmN = n;
    p.nmM = m;
    p.sparsity = sparsity;
    if (sparsity == 0.3)
        p.blockSize = 96;
    const cwb::SparseGptResult s =
        cwb::sparseGptPrune(l.w.data(), l.rows, l.cols, l.h.data(), l.tokens, p, {});
    // Exact pattern: every row round(sparsity cols) zeros, or n of every m.
    const int64_t span = m > 0 ? m : l.cols;
    const int64_t want = m > 0 ? n : int64_t(std::llround(sparsity * double(l.cols)));
    for (int64_t r = 0; r < l.rows; ++r)
        for (int64_t j0 = 0; j0 < l.cols; j0 += span) {
            int64_t pruned = 0;
            for (int64_t k = j0; k < j0 + span; ++k) {
                const size_t at = size_t(r * l.cols + k);
                pruned += s.pruned[at];
                if (s.pruned[at])
                    QCOMPARE(s.weights[at], 0.0f);
            }
            QCOMPARE(pruned, want);
        }
    const double es = outputError(l, s.weights);
    const double em = outputError(l, magnitudePrune(l, n, m, sparsity));
    qDebug("output error: sparsegpt %.4f  magnitude %.4f  (ratio %.3f)", es, em, es / em);
    QVERIFY2(es < 0.9 * em,
             qPrintable(QStringLiteral("sparsegpt %1 magnitude %2").arg(es).arg(em)));
}

void TestGptq::sparseGptFastMatchesReference()
{
    const Layer l = makeLayer(40, 192, 0.0, 3);
    for (const auto &[n, m, block] : {std::tuple{0, 0, 128}, std::tuple{2, 4, 50}}) {
        cwb::SparseGptParams p;
        p.nmN = n;
        p.nmM = m;
        p.blockSize = block;
        const auto fast =
            cwb::sparseGptPrune(l.w.data(), l.rows, l.cols, l.h.data(), l.tokens, p, {});
        const auto ref =
            cwb::sparseGptPruneReference(l.w.data(), l.rows, l.cols, l.h.data(), l.tokens, p);
        QVERIFY(fast.pruned == ref.pruned);
        double diff = 0;
        for (size_t i = 0; i < fast.weights.size(); ++i)
            diff = std::max(diff, double(std::fabs(fast.weights[i] - ref.weights[i])));
        QVERIFY2(diff < 1e-6, qPrintable(QString::number(diff)));
    }
}

// An input channel that never fires (H row and column 0): its weights become 0 (they cannot
// affect the output) and the rest is still quantized / pruned better than the baselines.
void TestGptq::deadColumns()
{
    Layer l = makeLayer(32, 128, 1.0, 9);
    for (int64_t dead : {int64_t(5), int64_t(77)})
        for (int64_t k = 0; k < l.cols; ++k)
            l.h[size_t(dead * l.cols + k)] = l.h[size_t(k * l.cols + dead)] = 0.0;
    for (bool act : {false, true}) {
        cwb::GptqParams p;
        p.group = 32;
        p.actOrder = act;
        const std::vector<float> q = cwb::gptqQuantize(l.w.data(), l.rows, l.cols, l.h.data(),
                                                       l.tokens, p, {})
                                         .dequantize();
        const std::vector<float> ref = cwb::gptqQuantizeReference(l.w.data(), l.rows, l.cols,
                                                                  l.h.data(), l.tokens, p)
                                           .dequantize();
        for (int64_t r = 0; r < l.rows; ++r) {
            QCOMPARE(q[size_t(r * l.cols + 5)], 0.0f);
            QCOMPARE(q[size_t(r * l.cols + 77)], 0.0f);
            QCOMPARE(ref[size_t(r * l.cols + 77)], 0.0f);
        }
        const auto rtn = cwb::quantizeRtn(l.w.data(), l.rows, l.cols, rtnOf(p), {}).dequantize();
        QVERIFY(outputError(l, q) < outputError(l, rtn));
    }
    const auto s =
        cwb::sparseGptPrune(l.w.data(), l.rows, l.cols, l.h.data(), l.tokens, {}, {});
    for (int64_t r = 0; r < l.rows; ++r)
        QCOMPARE(s.weights[size_t(r * l.cols + 5)], 0.0f);
}

void TestGptq::nonPositiveDefinite()
{
    // Fewer tokens than columns: X^T X is singular. damp = 0 must fail loudly, the default
    // damp must make it solvable.
    const Layer l = makeLayer(16, 64, 1.0, 13, 16);
    cwb::GptqParams p;
    p.group = 32;
    p.damp = 0.0;
    try {
        (void)cwb::gptqQuantize(l.w.data(), l.rows, l.cols, l.h.data(), l.tokens, p, {});
        // Rounding can leave a singular matrix numerically positive; an indefinite one cannot.
    } catch (const cwb::Error &e) {
        QVERIFY2(QString::fromUtf8(e.what()).contains(QStringLiteral("increase damp")), e.what());
    }
    p.damp = 0.01;
    const auto q = cwb::gptqQuantize(l.w.data(), l.rows, l.cols, l.h.data(), l.tokens, p, {});
    QCOMPARE(q.rows, l.rows);

    // An indefinite "Hessian" (eigenvalue -1) fails with and without damp.
    std::vector<double> h(size_t(64 * 64), 0.0);
    for (int64_t i = 0; i < 64; ++i)
        h[size_t(i * 64 + i)] = 1.0;
    h[1] = h[64] = 2.0;
    for (double damp : {0.0, 0.01}) {
        p.damp = damp;
        try {
            (void)cwb::gptqQuantize(l.w.data(), l.rows, l.cols, h.data(), 2, p, {});
            QFAIL("indefinite Hessian accepted");
        } catch (const cwb::Error &e) {
            const QString message = QString::fromUtf8(e.what());
            QVERIFY2(message.contains(QStringLiteral("not positive definite")), e.what());
        }
        cwb::SparseGptParams sp;
        sp.damp = damp;
        QVERIFY_THROWS_EXCEPTION(
            cwb::Error, cwb::sparseGptPrune(l.w.data(), l.rows, l.cols, h.data(), 2, sp, {}));
    }
}

void TestGptq::badArguments()
{
    const Layer l = makeLayer(8, 64, 0.0, 1, 128);
    const cwb::JobContext job;
    auto gptq = [&](const cwb::GptqParams &p, int64_t tokens = 128) {
        (void)cwb::gptqQuantize(l.w.data(), l.rows, l.cols, l.h.data(), tokens, p, job);
    };
    cwb::GptqParams p;
    p.group = 48; // does not divide 64
    QVERIFY_THROWS_EXCEPTION(cwb::Error, gptq(p));
    p.group = 32;
    p.bits = 9;
    QVERIFY_THROWS_EXCEPTION(cwb::Error, gptq(p));
    p.bits = 4;
    QVERIFY_THROWS_EXCEPTION(cwb::Error, gptq(p, 0));
    p.damp = -1;
    QVERIFY_THROWS_EXCEPTION(cwb::Error, gptq(p));
    p.damp = 0.01;
    p.blockSize = 0;
    QVERIFY_THROWS_EXCEPTION(cwb::Error, gptq(p));
    p.blockSize = 128;
    std::vector<float> bad = l.w;
    bad[70] = NAN;
    QVERIFY_THROWS_EXCEPTION(cwb::Error, (void)cwb::gptqQuantize(bad.data(), l.rows, l.cols,
                                                                 l.h.data(), 128, p, job));
    QVERIFY_THROWS_EXCEPTION(cwb::Error, (void)cwb::gptqQuantize(l.w.data(), l.rows, l.cols,
                                                                 nullptr, 128, p, job));
    for (const auto &[n, m, s] : {std::tuple{3, 3, 0.0}, std::tuple{2, 5, 0.0},
                                  std::tuple{0, 0, 1.0}, std::tuple{0, 0, -0.1}}) {
        cwb::SparseGptParams sp;
        sp.nmN = n;
        sp.nmM = m;
        sp.sparsity = s;
        QVERIFY_THROWS_EXCEPTION(cwb::Error, (void)cwb::sparseGptPrune(l.w.data(), l.rows, l.cols,
                                                                       l.h.data(), 128, sp, job));
    }
}

void TestGptq::cancellation()
{
    const Layer l = makeLayer(64, 128, 0.0, 2, 256);
    std::atomic<bool> flag{true};
    cwb::JobContext job;
    job.cancelFlag = &flag;
    QVERIFY_THROWS_EXCEPTION(cwb::Cancelled,
                             (void)cwb::gptqQuantize(l.w.data(), l.rows, l.cols, l.h.data(),
                                                     l.tokens, cwb::GptqParams{}, job));
    QVERIFY_THROWS_EXCEPTION(cwb::Cancelled,
                             (void)cwb::sparseGptPrune(l.w.data(), l.rows, l.cols, l.h.data(),
                                                       l.tokens, cwb::SparseGptParams{}, job));
}

// The preparation's shortcut U = J L^-1 J (J H J = L L^T) against the definition: the upper
// Cholesky factor of H^-1 computed by inverting H and factoring the inverse (gptq.py's way).
void TestGptq::upperCholeskyOfInverseFactorsTheInverse()
{
    using RowMatrix = cwb::obsdetail::RowMatrix;
    for (int64_t n : {int64_t(7), int64_t(200), int64_t(300)}) { // one, several and ragged blocks
        std::mt19937 rng(static_cast<uint32_t>(n));
        std::normal_distribution<double> d(0.0, 1.0);
        RowMatrix x(2 * n, n);
        for (int64_t i = 0; i < x.size(); ++i)
            x.data()[i] = d(rng);
        RowMatrix h = x.transpose() * x;
        h.diagonal().array() += 0.01 * h.diagonal().mean();
        const RowMatrix u = cwb::obsdetail::upperCholeskyOfInverse("test", h, 0.01, {});
        const RowMatrix inverse = h.llt().solve(RowMatrix::Identity(n, n));
        const RowMatrix expected = inverse.llt().matrixU();
        QVERIFY(u.isUpperTriangular());
        const double diff = (u - expected).cwiseAbs().maxCoeff() / expected.cwiseAbs().maxCoeff();
        QVERIFY2(diff < 1e-9, qPrintable(QStringLiteral("n %1: relative difference %2").arg(n).arg(diff)));
    }
    RowMatrix notDefinite = RowMatrix::Identity(4, 4);
    notDefinite(2, 2) = -1.0;
    const std::string e = cwbtest::errorOf([&] { (void)cwb::obsdetail::upperCholeskyOfInverse("gptq", notDefinite, 0.0, {}); });
    QVERIFY2(e.find("gptq") != std::string::npos && e.find("increase damp") != std::string::npos, e.c_str());
}

QTEST_GUILESS_MAIN(TestGptq)
#include "test_gptq.moc"
