// SPDX-License-Identifier: MIT
// Pruning (core/compress/pruning.h) and low-rank factorization (core/compress/low_rank.h) on
// generated matrices: exact sparsity and N:M patterns, fast path == scalar reference bit for bit
// (on data with many tied scores), Wanda against magnitude where a few input channels carry most
// of the activation norm, SVD truncation error against Eigen::JacobiSVD, energy-based rank
// choice, SVD-LLM whitening against plain SVD on correlated inputs, bad parameters, cancellation.
//
// Measured on this implementation (deterministic data; printed by the tests):
//   relative output error ||X (W - W')^T|| / ||X W^T||, 512 x 128 X with 8 channels x 30,
//   64 x 128 W: 50% unstructured magnitude 0.287, wanda 0.039; 2:4 magnitude 0.396, wanda 0.052
//   rank 16 of 48 x 64 W, X with decaying correlated channels: output error svd 0.537,
//   asvd 0.119 (weight-space error svd 0.561, asvd 0.701: each is best in its own norm)
//   SVD truncation error vs JacobiSVD: within 1e-12 (singular values), 1e-5 (f32 factors)

#include "compress/low_rank.h"
#include "compress/pruning.h"
#include "jobs/job_context.h"
#include "util/error.h"

#include "test_support.h"

#include <QTest>

#include <Eigen/Dense>
#include <Eigen/SVD>

#include <atomic>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace {

using MatrixD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

std::vector<float> gaussian(int64_t rows, int64_t cols, uint64_t seed)
{
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> w(size_t(rows * cols));
    for (auto &v : w)
        v = normal(rng);
    return w;
}

MatrixD toMatrix(const std::vector<float> &w, int64_t rows, int64_t cols)
{
    MatrixD m(rows, cols);
    for (int64_t i = 0; i < rows * cols; ++i)
        m(i / cols, i % cols) = w[size_t(i)];
    return m;
}

// X: tokens x cols, normal, with every 16th channel scaled by 30 (Wanda's outlier features).
MatrixD outlierInputs(int64_t tokens, int64_t cols)
{
    MatrixD x = toMatrix(gaussian(tokens, cols, 7), tokens, cols);
    for (int64_t j = 0; j < cols; j += 16)
        x.col(j) *= 30.0;
    return x;
}

std::vector<double> columnNorms(const MatrixD &x)
{
    std::vector<double> n(size_t(x.cols()));
    for (Eigen::Index j = 0; j < x.cols(); ++j)
        n[size_t(j)] = x.col(j).norm();
    return n;
}

double outputError(const MatrixD &x, const MatrixD &w, const MatrixD &approx)
{
    return (x * (w - approx).transpose()).norm() / (x * w.transpose()).norm();
}

bool throwsCancelled(const std::function<void()> &f)
{
    try {
        f();
    } catch (const cwb::Cancelled &) {
        return true;
    } catch (...) {
        return false;
    }
    return false;
}

} // namespace

class TestPruningLowRank : public QObject {
    Q_OBJECT

private slots:
    void sparsityExact_data();
    void sparsityExact();
    void nmPattern_data();
    void nmPattern();
    void fastEqualsReference_data();
    void fastEqualsReference();
    void wandaBeatsMagnitude();
    void svdMatchesJacobi_data();
    void svdMatchesJacobi();
    void energyPicksRank_data();
    void energyPicksRank();
    void asvdBeatsSvd();
    void badParams();
    void cancellation();
};

void TestPruningLowRank::sparsityExact_data()
{
    QTest::addColumn<double>("sparsity");
    QTest::addColumn<qint64>("cols");
    QTest::addColumn<qint64>("zerosPerRow");
    QTest::addColumn<bool>("wanda");
    QTest::newRow("0% x 100") << 0.0 << qint64(100) << qint64(0) << false;
    QTest::newRow("29% x 100 (0.29*100 < 29 in double)") << 0.29 << qint64(100) << qint64(29)
                                                          << false;
    QTest::newRow("50% x 101") << 0.5 << qint64(101) << qint64(50) << false;
    QTest::newRow("90% x 64") << 0.9 << qint64(64) << qint64(57) << false;
    QTest::newRow("75% x 7 wanda") << 0.75 << qint64(7) << qint64(5) << true;
    QTest::newRow("50% x 101 wanda") << 0.5 << qint64(101) << qint64(50) << true;
}

void TestPruningLowRank::sparsityExact()
{
    QFETCH(double, sparsity);
    QFETCH(qint64, cols);
    QFETCH(qint64, zerosPerRow);
    QFETCH(bool, wanda);
    const int64_t rows = 9;
    const auto w = gaussian(rows, cols, 1);
    std::vector<double> norm(static_cast<size_t>(cols));
    for (int64_t j = 0; j < cols; ++j)
        norm[size_t(j)] = 1.0 + double((j * 37) % 11);
    cwb::PruneParams p;
    p.sparsity = sparsity;
    const auto r = wanda ? cwb::pruneWanda(w, rows, cols, norm, p)
                         : cwb::pruneMagnitude(w, rows, cols, p);
    QCOMPARE(r.pruned, rows * zerosPerRow);
    QCOMPARE(r.maskBytes, quint64((rows * cols + 7) / 8));
    QCOMPARE(r.mask.size(), size_t(r.maskBytes));
    for (int64_t i = 0; i < rows; ++i) {
        int64_t zeros = 0;
        double maxPruned = -1, minKept = std::numeric_limits<double>::infinity();
        for (int64_t j = 0; j < cols; ++j) {
            const float v = w[size_t(i * cols + j)];
            const double score = std::abs(double(v)) * (wanda ? norm[size_t(j)] : 1.0);
            if (r.kept(i, j)) {
                QCOMPARE(r.weights[size_t(i * cols + j)], v);
                minKept = std::min(minKept, score);
            } else {
                QCOMPARE(r.weights[size_t(i * cols + j)], 0.0f);
                maxPruned = std::max(maxPruned, score);
                ++zeros;
            }
        }
        QCOMPARE(zeros, zerosPerRow);
        QVERIFY(maxPruned <= minKept);
    }
}

void TestPruningLowRank::nmPattern_data()
{
    QTest::addColumn<int>("n");
    QTest::addColumn<int>("m");
    QTest::addColumn<int>("indexBits");
    QTest::addColumn<bool>("wanda");
    QTest::newRow("2:4 magnitude") << 2 << 4 << 2 << false;
    QTest::newRow("2:4 wanda") << 2 << 4 << 2 << true;
    QTest::newRow("4:8 magnitude") << 4 << 8 << 3 << false;
    QTest::newRow("1:4 wanda") << 1 << 4 << 2 << true;
}

void TestPruningLowRank::nmPattern()
{
    QFETCH(int, n);
    QFETCH(int, m);
    QFETCH(int, indexBits);
    QFETCH(bool, wanda);
    const int64_t rows = 16, cols = 64;
    const auto w = gaussian(rows, cols, 2);
    std::vector<double> norm(static_cast<size_t>(cols));
    for (int64_t j = 0; j < cols; ++j)
        norm[size_t(j)] = 0.5 + double((j * 13) % 7);
    cwb::PruneParams p;
    p.nmN = n;
    p.nmM = m;
    const auto r = wanda ? cwb::pruneWanda(w, rows, cols, norm, p)
                         : cwb::pruneMagnitude(w, rows, cols, p);
    QCOMPARE(r.indexBits, indexBits);
    const uint64_t expectedBytes = uint64_t(rows * cols / m * n * indexBits + 7) / 8;
    QCOMPARE(r.maskBytes, expectedBytes);
    QCOMPARE(r.nmIndices.size(), size_t(expectedBytes));
    QCOMPARE(cwb::pruneMaskBytes(rows, cols, p), expectedBytes);
    QCOMPARE(r.pruned, rows * cols / m * (m - n));
    uint64_t bit = 0;
    for (int64_t i = 0; i < rows; ++i) {
        for (int64_t g0 = 0; g0 < cols; g0 += m) {
            int kept = 0;
            double maxPruned = -1, minKept = std::numeric_limits<double>::infinity();
            for (int c = 0; c < m; ++c) {
                const double score = std::abs(double(w[size_t(i * cols + g0 + c)]))
                                     * (wanda ? norm[size_t(g0 + c)] : 1.0);
                if (!r.kept(i, g0 + c)) {
                    maxPruned = std::max(maxPruned, score);
                    QCOMPARE(r.weights[size_t(i * cols + g0 + c)], 0.0f);
                    continue;
                }
                minKept = std::min(minKept, score);
                ++kept;
                int index = 0; // the packed in-group index must name this kept column
                for (int b = 0; b < indexBits; ++b, ++bit)
                    index |= ((r.nmIndices[bit / 8] >> (bit % 8)) & 1) << b;
                QCOMPARE(index, c);
            }
            QCOMPARE(kept, n);
            QVERIFY(maxPruned <= minKept);
        }
    }
}

void TestPruningLowRank::fastEqualsReference_data()
{
    QTest::addColumn<bool>("wanda");
    QTest::addColumn<double>("sparsity");
    QTest::addColumn<int>("n");
    QTest::addColumn<int>("m");
    for (const bool wanda : {false, true}) {
        const char *name = wanda ? "wanda" : "magnitude";
        QTest::addRow("%s 50%%", name) << wanda << 0.5 << 0 << 0;
        QTest::addRow("%s 37%%", name) << wanda << 0.37 << 0 << 0;
        QTest::addRow("%s 2:4", name) << wanda << 0.5 << 2 << 4;
        QTest::addRow("%s 4:8", name) << wanda << 0.5 << 4 << 8;
    }
}

void TestPruningLowRank::fastEqualsReference()
{
    QFETCH(bool, wanda);
    QFETCH(double, sparsity);
    QFETCH(int, n);
    QFETCH(int, m);
    const int64_t rows = 300, cols = 264;
    // Values on a 0.25 grid and norms from {1, 2, 4}: most scores tie, so the tie rule decides.
    auto w = gaussian(rows, cols, 3);
    for (auto &v : w)
        v = std::round(v * 4.0f) / 4.0f;
    std::vector<double> norm(static_cast<size_t>(cols));
    for (int64_t j = 0; j < cols; ++j)
        norm[size_t(j)] = double(1 << (j % 3));
    cwb::PruneParams p;
    p.sparsity = sparsity;
    p.nmN = n;
    p.nmM = m;
    const auto fast = wanda ? cwb::pruneWanda(w, rows, cols, norm, p)
                            : cwb::pruneMagnitude(w, rows, cols, p);
    const auto ref = wanda ? cwb::pruneWandaReference(w, rows, cols, norm, p)
                           : cwb::pruneMagnitudeReference(w, rows, cols, p);
    QCOMPARE(fast.mask, ref.mask);
    QCOMPARE(fast.nmIndices, ref.nmIndices);
    QCOMPARE(fast.pruned, ref.pruned);
    QCOMPARE(fast.maskBytes, ref.maskBytes);
    QVERIFY(std::memcmp(fast.weights.data(), ref.weights.data(), w.size() * sizeof(float)) == 0);
    // The tie rule itself: among equal scores the lower column goes first.
    for (int64_t i = 0; i < rows; ++i)
        for (int64_t a = 0; a < cols; ++a)
            for (int64_t b = a + 1; b < cols && !n; ++b) {
                const double sa = std::abs(w[size_t(i * cols + a)]) * (wanda ? norm[a] : 1.0);
                const double sb = std::abs(w[size_t(i * cols + b)]) * (wanda ? norm[b] : 1.0);
                if (sa == sb && !ref.kept(i, b))
                    QVERIFY(!ref.kept(i, a));
            }
}

void TestPruningLowRank::wandaBeatsMagnitude()
{
    const int64_t tokens = 512, rows = 64, cols = 128;
    const MatrixD x = outlierInputs(tokens, cols);
    const auto w = gaussian(rows, cols, 4);
    const MatrixD wm = toMatrix(w, rows, cols);
    const auto norm = columnNorms(x);
    for (const int nm : {0, 1}) {
        cwb::PruneParams p;
        p.nmN = nm ? 2 : 0;
        p.nmM = nm ? 4 : 0;
        const auto mag = cwb::pruneMagnitude(w, rows, cols, p);
        const auto wan = cwb::pruneWanda(w, rows, cols, norm, p);
        QCOMPARE(mag.pruned, wan.pruned);
        const double magErr = outputError(x, wm, toMatrix(mag.weights, rows, cols));
        const double wanErr = outputError(x, wm, toMatrix(wan.weights, rows, cols));
        qInfo("%s: output error magnitude %.3f wanda %.3f", nm ? "2:4" : "50%", magErr, wanErr);
        QVERIFY(wanErr < 0.6 * magErr);
    }
}

void TestPruningLowRank::svdMatchesJacobi_data()
{
    QTest::addColumn<qint64>("rows");
    QTest::addColumn<qint64>("cols");
    QTest::addColumn<qint64>("rank");
    QTest::newRow("60x40 r10") << qint64(60) << qint64(40) << qint64(10);
    QTest::newRow("40x70 r25") << qint64(40) << qint64(70) << qint64(25);
    QTest::newRow("33x33 r1") << qint64(33) << qint64(33) << qint64(1);
    QTest::newRow("20x30 full") << qint64(20) << qint64(30) << qint64(20);
}

void TestPruningLowRank::svdMatchesJacobi()
{
    QFETCH(qint64, rows);
    QFETCH(qint64, cols);
    QFETCH(qint64, rank);
    const auto w = gaussian(rows, cols, 5);
    const MatrixD wm = toMatrix(w, rows, cols);
    const Eigen::JacobiSVD<Eigen::MatrixXd> jacobi(wm);
    const Eigen::VectorXd s = jacobi.singularValues();
    const double expected = std::sqrt(s.tail(s.size() - rank).squaredNorm()) / wm.norm();
    for (const auto type : {cwb::FactorType::F32, cwb::FactorType::F16}) {
        cwb::LowRankParams p;
        p.rank = rank;
        p.factorType = type;
        const auto r = cwb::svdLowRank(w, rows, cols, p);
        QCOMPARE(r.rank, rank);
        QCOMPARE(r.a.size(), size_t(rows * rank));
        QCOMPARE(r.b.size(), size_t(rank * cols));
        const uint64_t bytes = type == cwb::FactorType::F16 ? 2 : 4;
        QCOMPARE(r.storedBytes, uint64_t(rows + cols) * uint64_t(rank) * bytes);
        QVERIFY(std::abs(r.truncationError - expected) < 1e-12);
        const double tol = type == cwb::FactorType::F32 ? 1e-5 : 2e-3;
        QVERIFY2(std::abs(r.relativeError - expected) < tol,
                 (std::to_string(r.relativeError) + " vs " + std::to_string(expected)).c_str());
        // The split: A = U sqrt(S), B = sqrt(S) V^T have equal column / row norms.
        const MatrixD a = toMatrix(r.a, rows, rank);
        const MatrixD b = toMatrix(r.b, rank, cols);
        QVERIFY(std::abs(a.col(0).norm() - b.row(0).norm()) < 1e-3 * b.row(0).norm());
    }
}

void TestPruningLowRank::energyPicksRank_data()
{
    QTest::addColumn<double>("energy");
    QTest::addColumn<qint64>("rank");
    // sigma_i = 8 * 2^-i, i = 0..15: sigma^2 = 64, 16, 4, 1, ... of total 85.333, so the
    // cumulative fractions are 0.75, 0.9375, 0.984, 0.996, 0.999, ...
    QTest::newRow("0.5") << 0.5 << qint64(1);
    QTest::newRow("0.9") << 0.9 << qint64(2);
    QTest::newRow("0.93") << 0.93 << qint64(2);
    QTest::newRow("0.95") << 0.95 << qint64(3);
    QTest::newRow("0.99") << 0.99 << qint64(4);
    QTest::newRow("0.999") << 0.999 << qint64(5);
    QTest::newRow("1.0") << 1.0 << qint64(16);
}

void TestPruningLowRank::energyPicksRank()
{
    QFETCH(double, energy);
    QFETCH(qint64, rank);
    const int64_t rows = 20, cols = 16;
    const Eigen::HouseholderQR<Eigen::MatrixXd> q1(toMatrix(gaussian(rows, rows, 8), rows, rows));
    const Eigen::HouseholderQR<Eigen::MatrixXd> q2(toMatrix(gaussian(cols, cols, 9), cols, cols));
    Eigen::MatrixXd sigma = Eigen::MatrixXd::Zero(rows, cols);
    for (int64_t i = 0; i < cols; ++i)
        sigma(i, i) = 8.0 * std::pow(2.0, -double(i));
    const Eigen::MatrixXd wm = Eigen::MatrixXd(q1.householderQ()) * sigma
                               * Eigen::MatrixXd(q2.householderQ()).transpose();
    std::vector<float> w(size_t(rows * cols));
    for (int64_t i = 0; i < rows * cols; ++i)
        w[size_t(i)] = float(wm(i / cols, i % cols));
    cwb::LowRankParams p;
    p.energy = energy;
    p.factorType = cwb::FactorType::F32;
    const auto r = cwb::svdLowRank(w, rows, cols, p);
    QCOMPARE(r.rank, rank);
    QCOMPARE(r.singularValues.size(), size_t(cols));
    QVERIFY(std::abs(r.singularValues[1] - 4.0) < 1e-5);
}

void TestPruningLowRank::asvdBeatsSvd()
{
    const int64_t tokens = 1024, rows = 48, cols = 64, rank = 16;
    // Correlated inputs: X = Z diag(0.9^i) R, R a random mixing matrix.
    MatrixD z = toMatrix(gaussian(tokens, cols, 10), tokens, cols);
    for (int64_t i = 0; i < cols; ++i)
        z.col(i) *= std::pow(0.9, double(i));
    const MatrixD x = z * toMatrix(gaussian(cols, cols, 11), cols, cols);
    const Eigen::MatrixXd h = x.transpose() * x;
    std::vector<double> hs(size_t(cols * cols));
    for (int64_t i = 0; i < cols * cols; ++i)
        hs[size_t(i)] = h(i / cols, i % cols);
    const auto w = gaussian(rows, cols, 12);
    const MatrixD wm = toMatrix(w, rows, cols);

    cwb::LowRankParams p;
    p.rank = rank;
    p.factorType = cwb::FactorType::F32;
    const auto svd = cwb::svdLowRank(w, rows, cols, p);
    const auto asvd = cwb::asvdLowRank(w, rows, cols, hs, tokens, p);
    const double svdErr =
        outputError(x, wm, toMatrix(svd.a, rows, rank) * toMatrix(svd.b, rank, cols));
    const double asvdErr =
        outputError(x, wm, toMatrix(asvd.a, rows, rank) * toMatrix(asvd.b, rank, cols));
    qInfo("rank %lld output error: svd %.3f asvd %.3f (weight error svd %.3f asvd %.3f)",
          static_cast<long long>(rank), svdErr, asvdErr, svd.relativeError,
          asvd.relativeError);
    QVERIFY(asvdErr < 0.5 * svdErr);
    QVERIFY(asvd.relativeError > svd.relativeError); // Eckart-Young: SVD is best in weight space

    // Undamped, the whitened truncation error IS the output error on the calibration data.
    p.dampFraction = 0.0;
    const auto exact = cwb::asvdLowRank(w, rows, cols, hs, tokens, p);
    const double exactErr =
        outputError(x, wm, toMatrix(exact.a, rows, rank) * toMatrix(exact.b, rank, cols));
    QVERIFY2(std::abs(exactErr - exact.truncationError) < 1e-5,
             (std::to_string(exactErr) + " vs " + std::to_string(exact.truncationError)).c_str());
}

void TestPruningLowRank::badParams()
{
    const auto w = gaussian(4, 12, 13);
    auto nanW = w;
    nanW[2 * 12 + 3] = std::numeric_limits<float>::quiet_NaN();
    const std::vector<double> norm(12, 1.0);
    const auto expectError = [](const std::function<void()> &f, const char *part) {
        const std::string msg = cwbtest::errorOf(f);
        QVERIFY2(msg.find(part) != std::string::npos, (msg + " lacks " + part).c_str());
    };
    cwb::PruneParams p;
    p.sparsity = -0.1;
    expectError([&] { (void)cwb::pruneMagnitude(w, 4, 12, p); }, "sparsity");
    p.sparsity = 1.0;
    expectError([&] { (void)cwb::pruneMagnitude(w, 4, 12, p); }, "outside [0, 1)");
    p.sparsity = std::nan("");
    expectError([&] { (void)cwb::pruneWanda(w, 4, 12, norm, p); }, "sparsity");
    p = {};
    p.nmN = 2;
    p.nmM = 8;
    expectError([&] { (void)cwb::pruneMagnitude(w, 4, 12, p); }, "multiple of 8");
    p.nmN = 4;
    p.nmM = 4;
    expectError([&] { (void)cwb::pruneMagnitude(w, 4, 12, p); }, "N:M pattern 4:4");
    p = {};
    expectError([&] { (void)cwb::pruneMagnitude(nanW, 4, 12, p); }, "row 2, col 3");
    expectError([&] { (void)cwb::pruneWanda(nanW, 4, 12, norm, p); }, "row 2, col 3");
    expectError([&] { (void)cwb::pruneMagnitude(w, 4, 13, p); }, "needs 52");
    expectError([&] { (void)cwb::pruneWanda(w, 4, 12, std::vector<double>(11, 1.0), p); },
                "input norms hold 11");
    auto badNorm = norm;
    badNorm[5] = -1.0;
    expectError([&] { (void)cwb::pruneWanda(w, 4, 12, badNorm, p); }, "channel 5");

    cwb::LowRankParams lp;
    lp.rank = 5;
    expectError([&] { (void)cwb::svdLowRank(w, 4, 12, lp); }, "rank 5 is outside");
    lp.rank = -1;
    expectError([&] { (void)cwb::svdLowRank(w, 4, 12, lp); }, "rank -1");
    lp = {};
    lp.energy = 0.0;
    expectError([&] { (void)cwb::svdLowRank(w, 4, 12, lp); }, "energy");
    lp.energy = 1.5;
    expectError([&] { (void)cwb::svdLowRank(w, 4, 12, lp); }, "outside (0, 1]");
    lp = {};
    expectError([&] { (void)cwb::svdLowRank(nanW, 4, 12, lp); }, "row 2, col 3");
    const std::vector<double> h(144, 0.0);
    expectError([&] { (void)cwb::asvdLowRank(w, 4, 12, std::vector<double>(143), 10, lp); },
                "hessian holds 143");
    expectError([&] { (void)cwb::asvdLowRank(w, 4, 12, h, 0, lp); }, "tokens");
    lp.dampFraction = 0.0;
    expectError([&] { (void)cwb::asvdLowRank(w, 4, 12, h, 10, lp); }, "positive definite");
}

void TestPruningLowRank::cancellation()
{
    const auto w = gaussian(8, 16, 14);
    const std::vector<double> norm(16, 1.0);
    std::vector<double> h(256, 0.0);
    for (int i = 0; i < 16; ++i)
        h[size_t(i * 17)] = 1.0;
    std::atomic<bool> flag {true};
    cwb::JobContext ctx;
    ctx.cancelFlag = &flag;
    QVERIFY(throwsCancelled([&] { (void)cwb::pruneMagnitude(w, 8, 16, {}, ctx); }));
    QVERIFY(throwsCancelled([&] { (void)cwb::pruneWanda(w, 8, 16, norm, {}, ctx); }));
    QVERIFY(throwsCancelled([&] { (void)cwb::svdLowRank(w, 8, 16, {}, ctx); }));
    QVERIFY(throwsCancelled([&] { (void)cwb::asvdLowRank(w, 8, 16, h, 1, {}, ctx); }));
    // Not cancelled: runs through and reports completion.
    flag = false;
    double last = -1;
    ctx.progress = [&](double f, const std::string &) { last = f; };
    QCOMPARE(cwb::pruneMagnitude(w, 8, 16, {}, ctx).pruned, int64_t(8 * 8));
    QCOMPARE(last, 1.0);
    QCOMPARE(cwb::asvdLowRank(w, 8, 16, h, 1, {}, ctx).rank > 0, true);
}

QTEST_GUILESS_MAIN(TestPruningLowRank)
#include "test_pruning_lowrank.moc"
