// SPDX-License-Identifier: MIT
// Tensor statistics, outlier channels and singular-value spectra: the streaming oneTBB path
// against the scalar reference and against straight long-double loops on stories260K; singular
// values against Eigen's JacobiSVD; energy ranks and truncation errors against explicit
// low-rank reconstructions; Keras matrix views; the power-law fit on a known Pareto spectrum;
// NaN/Inf tensors, bad views and cancellation.

#include "test_support.h"

#include "analysis/histogram.h"
#include "analysis/matrix_view.h"
#include "analysis/spectrum.h"
#include "analysis/tensor_stats.h"
#include "formats/float_formats.h"
#include "io/open_model.h"
#include "tensor/tensor.h"
#include "util/error.h"

#include <Eigen/Dense>
#include <Eigen/SVD>
#include <QTest>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <set>
#include <vector>

using cwb::DType;
using cwb::MatrixView;
using cwb::Tensor;

Q_DECLARE_METATYPE(cwb::Tensor)

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

// A tensor holding `v` encoded as `dtype` (F32, F16 or BF16), mapped or behind a loader.
Tensor makeTensor(const std::string &name, std::vector<int64_t> shape, const std::vector<float> &v,
                  DType dtype = DType::F32, bool viaLoader = false)
{
    auto bytes = std::make_shared<std::vector<std::byte>>();
    const size_t width = dtype == DType::F32 ? 4 : 2;
    bytes->resize(v.size() * width);
    for (size_t i = 0; i < v.size(); ++i) {
        if (dtype == DType::F32) {
            std::memcpy(bytes->data() + 4 * i, &v[i], 4);
        } else {
            const uint16_t h
                = dtype == DType::F16 ? cwb::floatToFp16(v[i]) : cwb::floatToBf16(v[i]);
            std::memcpy(bytes->data() + 2 * i, &h, 2);
        }
    }
    Tensor t;
    t.name = name;
    t.dtype = dtype;
    t.shape = std::move(shape);
    t.byteSize = bytes->size();
    if (viaLoader)
        t.loader = [bytes] { return *bytes; };
    else {
        t.data = std::span<const std::byte>(*bytes);
        t.keepAlive = bytes;
    }
    return t;
}

std::vector<float> heavyTailed(size_t n, uint32_t seed, float scale = 0.02f, float mean = 0.0f)
{
    std::mt19937 rng(seed);
    std::student_t_distribution<float> t(4.0f);
    std::vector<float> v(n);
    for (auto &x : v)
        x = mean + scale * t(rng);
    return v;
}

void compareChannels(const cwb::ChannelStats &got, const cwb::ChannelStats &want)
{
    QCOMPARE(got.absMax.size(), want.absMax.size());
    QVERIFY(got.absMax == want.absMax); // maxima are exact
    for (size_t i = 0; i < want.l2Norm.size(); ++i) {
        VERIFY_NEAR(got.l2Norm[i], want.l2Norm[i], 2e-6, 1e-30);
        VERIFY_NEAR(got.std[i], want.std[i], 1e-5, 1e-7 * want.l2Norm[i] + 1e-30);
    }
}

void compareOutliers(const cwb::OutlierReport &got, const cwb::OutlierReport &want)
{
    QCOMPARE(got.count, want.count);
    QCOMPARE(got.median, want.median);
    QCOMPARE(got.channels.size(), want.channels.size());
    for (size_t i = 0; i < got.channels.size(); ++i)
        QCOMPARE(got.channels[i].index, want.channels[i].index);
}

void compareStats(const cwb::TensorStats &got, const cwb::TensorStats &want)
{
    QCOMPARE(got.count, want.count);
    QCOMPARE(got.finite, want.finite);
    QCOMPARE(got.nan, want.nan);
    QCOMPARE(got.posInf, want.posInf);
    QCOMPARE(got.negInf, want.negInf);
    QCOMPARE(got.zeros, want.zeros);
    QCOMPARE(got.nearZeros, want.nearZeros);
    QCOMPARE(got.min, want.min);
    QCOMPARE(got.max, want.max);
    QCOMPARE(got.absMax, want.absMax);
    VERIFY_NEAR(got.mean, want.mean, 1e-11, 1e-13 * want.std + 1e-300);
    VERIFY_NEAR(got.std, want.std, 1e-10, 0);
    VERIFY_NEAR(got.skewness, want.skewness, 1e-8, 1e-9);
    VERIFY_NEAR(got.kurtosis, want.kurtosis, 1e-8, 1e-8);
    compareChannels(got.rowStats, want.rowStats);
    compareChannels(got.colStats, want.colStats);
    compareOutliers(got.rowOutliers, want.rowOutliers);
    compareOutliers(got.colOutliers, want.colOutliers);
}

// ||W - W_r||_F / ||W||_F by reconstructing W_r from JacobiSVD's U, S, V.
double truncationByReconstruction(const Eigen::MatrixXd &w, int r)
{
    Eigen::JacobiSVD<Eigen::MatrixXd> svd(w, Eigen::ComputeThinU | Eigen::ComputeThinV);
    const Eigen::MatrixXd wr = svd.matrixU().leftCols(r) * svd.singularValues().head(r).asDiagonal()
        * svd.matrixV().leftCols(r).transpose();
    return (w - wr).norm() / w.norm();
}

Eigen::MatrixXd viewMatrix(const Tensor &t, const MatrixView &v)
{
    std::vector<float> m(static_cast<size_t>(v.rows * v.cols));
    cwb::readViewRows(t, v, 0, v.rows, m);
    return Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
               m.data(), v.rows, v.cols)
        .cast<double>();
}

// Random orthonormal columns (rows x cols) from the QR of a Gaussian matrix.
Eigen::MatrixXd orthonormal(int rows, int cols, std::mt19937 &rng)
{
    std::normal_distribution<double> g;
    Eigen::MatrixXd a(rows, cols);
    for (Eigen::Index i = 0; i < a.size(); ++i)
        a.data()[i] = g(rng);
    Eigen::HouseholderQR<Eigen::MatrixXd> qr(a);
    return qr.householderQ() * Eigen::MatrixXd::Identity(rows, cols);
}

} // namespace

class TestAnalysis : public QObject {
    Q_OBJECT

private slots:
    void statsMatchLongDoubleOnStories260K();
    void fastMatchesReference_data();
    void fastMatchesReference();
    void nanAndInfAreCountedNotFatal();
    void plantedOutlierChannels();
    void matrixViews();
    void kerasModels_data();
    void kerasModels();
    void singularValuesMatchJacobi();
    void energyRankAndTruncation();
    void powerLawRecoversParetoAlpha_data();
    void powerLawRecoversParetoAlpha();
    void modelSweepsStreamResults();
    void cancellation();
    void badInput();
};

void TestAnalysis::statsMatchLongDoubleOnStories260K()
{
    CWB_SHARED_FILE(path, "models/stories260K/stories260K.bin");
    const cwb::Model model = cwb::io::openModel(path);
    QVERIFY(model.tensors.size() > 20);
    cwb::TensorStatsParams p;
    p.blockValues = 1000; // many blocks, so the merges are exercised
    int matrices = 0;
    for (const Tensor &t : model.tensors) {
        const MatrixView view = cwb::matrixView(t, model.format);
        const cwb::TensorStats s = cwb::tensorStats(t, view, p);
        const std::vector<float> v = t.toFloat();
        QCOMPARE(s.count, v.size());

        long double sum = 0, mn = INFINITY, mx = -INFINITY;
        for (float x : v) {
            sum += x;
            mn = std::min<long double>(mn, x);
            mx = std::max<long double>(mx, x);
        }
        const long double n = v.size(), mean = sum / n;
        long double m2 = 0, m3 = 0, m4 = 0;
        for (float x : v) {
            const long double d = x - mean;
            m2 += d * d;
            m3 += d * d * d;
            m4 += d * d * d * d;
        }
        const long double var = m2 / n;
        const long double absMax = std::max(std::abs(mn), std::abs(mx));
        uint64_t nearZero = 0, zeros = 0;
        for (float x : v) {
            nearZero += std::abs(static_cast<long double>(x)) < 1e-3L * absMax || x == 0.0f;
            zeros += x == 0.0f;
        }
        QCOMPARE(s.min, static_cast<double>(mn));
        QCOMPARE(s.max, static_cast<double>(mx));
        QCOMPARE(s.zeros, zeros);
        QCOMPARE(s.nearZeros, nearZero);
        VERIFY_NEAR(s.mean, static_cast<double>(mean), 1e-11, 1e-13 * std::sqrt(double(var)));
        VERIFY_NEAR(s.std, static_cast<double>(std::sqrt(var)), 1e-11, 0);
        if (var > 0) {
            VERIFY_NEAR(s.skewness, static_cast<double>(m3 / n / std::pow(var, 1.5L)), 1e-9, 1e-10);
            VERIFY_NEAR(s.kurtosis, static_cast<double>(m4 / n / (var * var) - 3), 1e-9, 1e-9);
        }
        if (!view.perChannel)
            continue;
        ++matrices;
        // Channels along both axes of the (untransposed) llama2.c matrix.
        const int64_t R = view.rows, C = view.cols;
        QCOMPARE(s.rowStats.absMax.size(), size_t(R));
        QCOMPARE(s.colStats.absMax.size(), size_t(C));
        auto check = [&](const cwb::ChannelStats &cs, int64_t count, int64_t len, auto at) {
            for (int64_t i = 0; i < count; ++i) {
                long double am = 0, sq = 0, sm = 0;
                for (int64_t j = 0; j < len; ++j) {
                    const long double x = at(i, j);
                    am = std::max(am, std::abs(x));
                    sq += x * x;
                    sm += x;
                }
                const long double mu = sm / len;
                long double dev = 0;
                for (int64_t j = 0; j < len; ++j)
                    dev += (at(i, j) - mu) * (at(i, j) - mu);
                const size_t k = static_cast<size_t>(i);
                QCOMPARE(cs.absMax[k], static_cast<float>(am));
                VERIFY_NEAR(cs.l2Norm[k], static_cast<double>(std::sqrt(sq)), 1e-6, 0);
                VERIFY_NEAR(cs.std[k], static_cast<double>(std::sqrt(dev / len)), 1e-5, 0);
            }
        };
        check(s.rowStats, R, C, [&](int64_t i, int64_t j) { return v[size_t(i * C + j)]; });
        check(s.colStats, C, R, [&](int64_t i, int64_t j) { return v[size_t(j * C + i)]; });
    }
    QVERIFY(matrices >= 30); // 5 layers x 7 matrices + the embedding
}

void TestAnalysis::fastMatchesReference_data()
{
    QTest::addColumn<Tensor>("tensor");
    QTest::addColumn<bool>("keras");
    QTest::addColumn<qlonglong>("blockValues");

    auto specials = [](std::vector<float> v) {
        for (size_t i = 3; i < v.size(); i += 997)
            v[i] = kNaN;
        for (size_t i = 11; i < v.size(); i += 1499)
            v[i] = (i % 2 ? 1 : -1) * kInf;
        for (size_t i = 5; i < v.size(); i += 89)
            v[i] = 0.0f;
        return v;
    };
    auto planted = [](std::vector<float> v, int64_t cols) {
        for (size_t i = 17; i < v.size(); i += static_cast<size_t>(cols))
            v[i] *= 40.0f; // column 17 is an outlier
        return v;
    };
    QTest::newRow("f32 300x700 outlier column")
        << makeTensor("a", {300, 700}, planted(heavyTailed(300 * 700, 1), 700)) << false << 5000LL;
    QTest::newRow("f32 300x700 NaN/Inf/zeros")
        << makeTensor("b", {300, 700}, specials(heavyTailed(300 * 700, 2))) << false << 5000LL;
    QTest::newRow("bf16 40x9000 rows longer than a piece")
        << makeTensor("c", {40, 9000}, heavyTailed(40 * 9000, 3, 0.5f, 3.0f), DType::BF16) << false
        << (1LL << 20);
    QTest::newRow("f16 3-D 12x16x50 via loader")
        << makeTensor("d", {12, 16, 50}, heavyTailed(12 * 16 * 50, 4), DType::F16, true) << false
        << 700LL;
    QTest::newRow("1-D 10000 offset mean")
        << makeTensor("e", {10000}, heavyTailed(10000, 5, 1e-3f, 100.0f)) << false << 999LL;
    QTest::newRow("keras 700x33 transposed")
        << makeTensor("k:0", {700, 33}, specials(heavyTailed(700 * 33, 6))) << true << 1000LL;
    QTest::newRow("keras conv 3x3x8x16")
        << makeTensor("conv/kernel:0", {3, 3, 8, 16}, heavyTailed(3 * 3 * 8 * 16, 7)) << true
        << 64LL;
    // Values on and one float step either side of every bin edge of [-1, 1] / 128 bins, where
    // the vectorised float binning has to defer to the exact double one.
    std::vector<float> edges;
    for (int k = -64; k <= 64; ++k) {
        const float e = static_cast<float>(k) / 64.0f;
        edges.insert(edges.end(), {e, std::nextafter(e, -2.0f), std::nextafter(e, 2.0f)});
    }
    edges[0] = -1.0f; // keep the range exactly [-1, 1]
    edges[edges.size() - 1] = 1.0f;
    for (int rep = 0; rep < 6; ++rep) // long enough for the vectorised batches
        edges.insert(edges.end(), edges.begin(), edges.begin() + 387);
    QTest::newRow("values on bin edges")
        << makeTensor("edges", {int64_t(edges.size())}, edges) << false << 1000LL;
    QTest::newRow("constant") << makeTensor("f", {20, 30}, std::vector<float>(600, 0.25f)) << false
                              << 100LL;
    QTest::newRow("all zero") << makeTensor("g", {20, 30}, std::vector<float>(600, 0.0f)) << false
                              << 100LL;
    QTest::newRow("all NaN") << makeTensor("h", {4, 5}, std::vector<float>(20, kNaN)) << false
                             << 7LL;
}

void TestAnalysis::fastMatchesReference()
{
    QFETCH(Tensor, tensor);
    QFETCH(bool, keras);
    QFETCH(qlonglong, blockValues);
    const MatrixView view
        = cwb::matrixView(tensor, keras ? cwb::ModelFormat::KerasH5 : cwb::ModelFormat::Gguf);
    cwb::TensorStatsParams p;
    p.blockValues = blockValues;
    const cwb::TensorStats fast = cwb::tensorStats(tensor, view, p);
    const cwb::TensorStats ref = cwb::tensorStatsReference(tensor, view, p);
    compareStats(fast, ref);

    // The fused histogram equals tensorHistogram's, for both ranges it supports.
    for (cwb::HistogramRange range :
         {cwb::HistogramRange::Symmetric, cwb::HistogramRange::MinMax}) {
        cwb::HistogramParams hp;
        hp.range = range;
        hp.bins = range == cwb::HistogramRange::MinMax ? 37 : 128;
        cwb::Histogram fused;
        const cwb::TensorStats withHist = cwb::tensorStatsWithHistogram(tensor, view, p, hp, fused);
        compareStats(withHist, ref);
        const cwb::Histogram alone = cwb::tensorHistogram(tensor, hp);
        const cwb::Histogram scalar = cwb::computeHistogramReference(tensor.toFloat(), hp);
        QVERIFY(fused.edges == scalar.edges);
        QVERIFY(fused.counts == scalar.counts); // the vectorised binning against the scalar one
        QVERIFY(fused.edges == alone.edges);
        QVERIFY(fused.counts == alone.counts);
        QCOMPARE(fused.below, alone.below);
        QCOMPARE(fused.above, alone.above);
        QCOMPARE(fused.finite, alone.finite);
        QCOMPARE(fused.nan, alone.nan);
        QCOMPARE(fused.inf, alone.inf);
        QCOMPARE(fused.zeros, alone.zeros);
        VERIFY_NEAR(fused.mean, alone.mean, 1e-9, 1e-12);
        VERIFY_NEAR(fused.std, alone.std, 1e-9, 1e-12);
    }
    cwb::HistogramParams percentile;
    percentile.range = cwb::HistogramRange::Percentile;
    cwb::Histogram unused;
    QVERIFY(!cwbtest::errorOf([&] {
                 (void)cwb::tensorStatsWithHistogram(tensor, view, p, percentile, unused);
             }).empty());

    QCOMPARE(fast.rowStats.absMax.size(), size_t(view.perChannel ? view.rows : 0));
    QCOMPARE(fast.colStats.absMax.size(), size_t(view.perChannel ? view.cols : 0));
    QCOMPARE(fast.count, fast.finite + fast.nan + fast.posInf + fast.negInf);
}

void TestAnalysis::nanAndInfAreCountedNotFatal()
{
    std::vector<float> v = heavyTailed(64 * 80, 11);
    v[5] = kNaN;
    v[100] = kInf;
    v[101] = -kInf;
    v[102] = -kInf;
    const Tensor t = makeTensor("bad", {64, 80}, v);
    const MatrixView view = cwb::matrixView(t, cwb::ModelFormat::Safetensors);
    const cwb::TensorStats s = cwb::tensorStats(t, view);
    QCOMPARE(s.nan, uint64_t {1});
    QCOMPARE(s.posInf, uint64_t {1});
    QCOMPARE(s.negInf, uint64_t {2});
    QCOMPARE(s.finite, uint64_t {64 * 80 - 4});
    QVERIFY(std::isfinite(s.mean) && std::isfinite(s.std) && std::isfinite(s.kurtosis));
    QVERIFY(std::isfinite(s.rowStats.l2Norm[1]));

    const cwb::Spectrum sp = cwb::tensorSpectrum(t, view);
    QVERIFY(sp.singularValues.empty());
    QVERIFY2(sp.skipped.find("NaN/Inf") != std::string::npos, sp.skipped.c_str());
}

void TestAnalysis::plantedOutlierChannels()
{
    const int rows = 256, cols = 512;
    std::mt19937 rng(7);
    std::normal_distribution<float> g(0.0f, 0.02f);
    std::vector<float> v(size_t(rows) * cols);
    for (auto &x : v)
        x = g(rng);
    const std::vector<int64_t> plantedCols {7, 100, 301};
    const std::vector<float> gains {25.0f, 40.0f, 12.0f};
    for (size_t k = 0; k < plantedCols.size(); ++k)
        for (int r = 0; r < rows; ++r)
            v[size_t(r) * cols + size_t(plantedCols[k])] *= gains[k];
    const Tensor t = makeTensor("planted", {rows, cols}, v);

    const cwb::TensorStats s = cwb::tensorStats(t, cwb::matrixView(t, cwb::ModelFormat::Gguf));
    QCOMPARE(s.colOutliers.count, int64_t(3));
    QCOMPARE(s.colOutliers.channels.size(), size_t(3));
    // largest ratio first: gains 40, 25, 12
    QCOMPARE(s.colOutliers.channels[0].index, int64_t(100));
    QCOMPARE(s.colOutliers.channels[1].index, int64_t(7));
    QCOMPARE(s.colOutliers.channels[2].index, int64_t(301));
    for (const auto &o : s.colOutliers.channels) {
        QVERIFY(o.ratio > 6.0);
        QCOMPARE(o.absMax, double(s.colStats.absMax[size_t(o.index)]));
        VERIFY_NEAR(o.ratio, o.absMax / s.colOutliers.median, 1e-12, 0);
    }
    QCOMPARE(s.rowOutliers.count, int64_t(0));
    // median of 512 column abs-maxes of N(0, 0.02) over 256 rows: about 2.9 sigma
    QVERIFY(s.colOutliers.median > 0.04 && s.colOutliers.median < 0.08);

    // The same matrix seen through a Keras (transposed) view: the planted columns become rows.
    const Tensor k = makeTensor("dense/kernel:0", {rows, cols}, v);
    const cwb::TensorStats sk = cwb::tensorStats(k, cwb::matrixView(k, cwb::ModelFormat::KerasH5));
    QCOMPARE(sk.rowOutliers.count, int64_t(3));
    QCOMPARE(sk.rowOutliers.channels[0].index, int64_t(100));
    QCOMPARE(sk.colOutliers.count, int64_t(0));

    // k and listing cap
    cwb::TensorStatsParams p;
    p.outlierFactor = 30.0;
    QCOMPARE(cwb::tensorStats(t, cwb::matrixView(t, cwb::ModelFormat::Gguf), p).colOutliers.count,
             int64_t(1));
    p.outlierFactor = 6.0;
    p.maxOutliersListed = 2;
    const auto capped = cwb::tensorStats(t, cwb::matrixView(t, cwb::ModelFormat::Gguf), p);
    QCOMPARE(capped.colOutliers.count, int64_t(3));
    QCOMPARE(capped.colOutliers.channels.size(), size_t(2));

    // Hand-worked median (even count: mean of the two middle values) and strict threshold.
    const std::vector<float> am {1, 2, 3, 4, 100, 15};
    const cwb::OutlierReport r = cwb::findOutliers(am, 5.0, 10);
    QCOMPARE(r.median, 3.5);
    QCOMPARE(r.threshold, 17.5);
    QCOMPARE(r.count, int64_t(1));
    QCOMPARE(r.channels[0].index, int64_t(4));
    QCOMPARE(cwb::findOutliers(std::vector<float> {0, 0, 0, 9}, 6.0, 10).count, int64_t(0));
}

void TestAnalysis::matrixViews()
{
    const std::vector<float> v = heavyTailed(2 * 3 * 4 * 5, 9);
    // PyTorch conv OIHW (5, 4, 3, 2)... here (2, 3, 4, 5): rows = 2, cols = 60, stored as is.
    const Tensor pt = makeTensor("conv.weight", {2, 3, 4, 5}, v);
    const MatrixView a = cwb::matrixView(pt, cwb::ModelFormat::Safetensors);
    QCOMPARE(a.rows, int64_t(2));
    QCOMPARE(a.cols, int64_t(60));
    QVERIFY(!a.transposed);
    QVERIFY(a.reshape.find("2 x 60") != std::string::npos);
    const Eigen::MatrixXd ma = viewMatrix(pt, a);
    QCOMPARE(ma(1, 7), double(v[60 + 7]));

    // Keras HWIO (kh=2, kw=3, in=4, out=5): rows = out, column (h*kw + w)*in + i.
    const Tensor k = makeTensor("conv2d/kernel:0", {2, 3, 4, 5}, v);
    const MatrixView b = cwb::matrixView(k, cwb::ModelFormat::KerasH5);
    QCOMPARE(b.rows, int64_t(5));
    QCOMPARE(b.cols, int64_t(24));
    QVERIFY(b.transposed);
    QVERIFY2(b.reshape.find("HWIO") != std::string::npos, b.reshape.c_str());
    QVERIFY2(b.reshape.find("5 x 24") != std::string::npos, b.reshape.c_str());
    const Eigen::MatrixXd mb = viewMatrix(k, b);
    for (int h = 0; h < 2; ++h)
        for (int w = 0; w < 3; ++w)
            for (int i = 0; i < 4; ++i)
                for (int o = 0; o < 5; ++o)
                    QCOMPARE(mb(o, (h * 3 + w) * 4 + i),
                             double(v[size_t(((h * 3 + w) * 4 + i) * 5 + o)]));
    // Blocked gathering of a few rows equals the whole view.
    std::vector<float> two(2 * 24);
    cwb::readViewRows(k, b, 3, 2, two, 7);
    for (int j = 0; j < 24; ++j)
        QCOMPARE(double(two[size_t(24 + j)]), mb(4, j));

    // Keras Dense (in, out) is transposed; a Keras embedding table is not; 1-D has no channels.
    const Tensor dense = makeTensor("dense/kernel:0", {6, 20}, heavyTailed(120, 1));
    QCOMPARE(cwb::matrixView(dense, cwb::ModelFormat::KerasH5).rows, int64_t(20));
    const Tensor emb = makeTensor("embedding/embeddings:0", {6, 20}, heavyTailed(120, 1));
    QCOMPARE(cwb::matrixView(emb, cwb::ModelFormat::KerasH5).rows, int64_t(6));
    const Tensor bias = makeTensor("bias", {20}, heavyTailed(20, 1));
    QVERIFY(!cwb::matrixView(bias, cwb::ModelFormat::KerasH5).perChannel);
    const cwb::TensorStats sb
        = cwb::tensorStats(bias, cwb::matrixView(bias, cwb::ModelFormat::Gguf));
    QVERIFY(sb.rowStats.absMax.empty() && sb.colStats.absMax.empty());
    QCOMPARE(sb.count, uint64_t {20});
}

void TestAnalysis::kerasModels_data()
{
    QTest::addColumn<QString>("asset");
    QTest::addColumn<QStringList>("expected"); // "name-fragment rows cols" per kernel
    auto list = [](std::initializer_list<const char *> items) {
        QStringList l;
        for (const char *i : items)
            l << QString::fromLatin1(i);
        return l;
    };
    QTest::newRow("mlp") << QStringLiteral("models/keras-mnist-mlp/mnist_mlp.h5")
                         << list({"dense_3/kernel 128 784", "dense_1_1/kernel 10 128"});
    QTest::newRow("cnn") << QStringLiteral("models/keras-mnist-cnn/mnist_cnn.h5")
                         << list({"32 9", "32 288", "64 288", "64 576", "200 1024", "200 200",
                                  "10 200"});
}

void TestAnalysis::kerasModels()
{
    QFETCH(QString, asset);
    QFETCH(QStringList, expected);
    CWB_SHARED_FILE(path, asset.toUtf8().constData());
    const cwb::Model model = cwb::io::openModel(path);
    QVERIFY(model.format == cwb::ModelFormat::KerasH5);

    std::atomic<int> callbacks {0};
    const auto spectra
        = cwb::spectraForModel(model, {}, {}, [&](size_t, const cwb::Spectrum &) { ++callbacks; });
    const auto stats = cwb::statsForModel(model, {});
    QStringList seen;
    for (size_t i = 0; i < model.tensors.size(); ++i) {
        const Tensor &t = model.tensors[i];
        const cwb::Spectrum &sp = spectra[i];
        if (t.shape.size() < 2) {
            QVERIFY(!sp.skipped.empty());
            continue;
        }
        QVERIFY2(sp.skipped.empty(), sp.skipped.c_str());
        QVERIFY(sp.view.transposed);
        QCOMPARE(sp.view.rows, t.shape.back()); // rows are output channels
        QVERIFY(!sp.view.reshape.empty());
        if (t.shape.size() == 4)
            QVERIFY2(sp.view.reshape.find("HWIO") != std::string::npos, sp.view.reshape.c_str());
        QCOMPARE(sp.singularValues.size(), size_t(std::min(sp.view.rows, sp.view.cols)));
        QVERIFY(sp.singularValues.front() > 0);
        QVERIFY(sp.stableRank >= 1.0 && sp.stableRank <= double(sp.singularValues.size()));
        QVERIFY(sp.energyRank90 <= sp.energyRank95 && sp.energyRank95 <= sp.energyRank99);
        seen << QStringLiteral("%1 %2 %3")
                    .arg(QString::fromStdString(t.name))
                    .arg(sp.view.rows)
                    .arg(sp.view.cols);

        // Channel stats follow the view: row r is output channel r = stored column r.
        const cwb::TensorStats &s = stats[i];
        QCOMPARE(s.rowStats.absMax.size(), size_t(sp.view.rows));
        QCOMPARE(s.colStats.absMax.size(), size_t(sp.view.cols));
        const std::vector<float> v = t.toFloat();
        const int64_t out = t.shape.back();
        for (int64_t r = 0; r < out; r += 7) {
            float am = 0;
            for (size_t j = size_t(r); j < v.size(); j += size_t(out))
                am = std::max(am, std::abs(v[j]));
            QCOMPARE(s.rowStats.absMax[size_t(r)], am);
        }
        QVERIFY(s.rowOutliers.median > 0 && s.colOutliers.median > 0);
    }
    QCOMPARE(callbacks.load(), int(expected.size()));
    for (const QString &e : expected) {
        const QStringList parts = e.split(QLatin1Char(' '));
        const QString dims = parts.mid(parts.size() - 2).join(QLatin1Char(' '));
        const QString name = parts.size() > 2 ? parts.front() : QString();
        const bool found = std::any_of(seen.begin(), seen.end(), [&](const QString &s) {
            return s.endsWith(QLatin1Char(' ') + dims) && s.contains(name);
        });
        QVERIFY2(found,
                 qPrintable(e + QStringLiteral(" not in ") + seen.join(QStringLiteral(", "))));
    }
}

void TestAnalysis::singularValuesMatchJacobi()
{
    CWB_SHARED_FILE(path, "models/stories260K/stories260K.gguf");
    const cwb::Model model = cwb::io::openModel(path);
    int checked = 0;
    for (const Tensor &t : model.tensors) {
        if (t.shape.size() != 2)
            continue;
        const MatrixView view = cwb::matrixView(t, model.format);
        std::vector<float> w(size_t(view.rows * view.cols));
        cwb::readViewRows(t, view, 0, view.rows, w);
        const std::vector<double> ref = cwb::singularValuesReference(w, view.rows, view.cols);
        for (cwb::SvdMethod m : {cwb::SvdMethod::Gram, cwb::SvdMethod::Bdc}) {
            cwb::SpectrumParams p;
            p.method = m;
            cwb::SvdMethod used = cwb::SvdMethod::Auto;
            const std::vector<double> got = cwb::singularValues(w, view.rows, view.cols, p, &used);
            QVERIFY(used == m);
            QCOMPARE(got.size(), ref.size());
            for (size_t i = 0; i < ref.size(); ++i)
                QVERIFY2(cwbtest::near(got[i], ref[i], 1e-5, 1e-9 * ref[0]),
                         qPrintable(QStringLiteral("%1 sigma_%2 = %3 vs %4")
                                        .arg(QString::fromStdString(t.name))
                                        .arg(i)
                                        .arg(got[i], 0, 'g', 12)
                                        .arg(ref[i], 0, 'g', 12)));
        }
        ++checked;
    }
    QVERIFY(checked >= 30);

    // A rank-deficient matrix: the Gram path returns ~0 (sqrt(eps) sigma_1) for the null part.
    std::mt19937 rng(3);
    const Eigen::MatrixXd low = orthonormal(300, 5, rng) * orthonormal(200, 5, rng).transpose();
    const Eigen::MatrixXf lowF = low.cast<float>();
    std::vector<float> lw(size_t(lowF.size()));
    Eigen::Map<Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(lw.data(),
                                                                                      300, 200)
        = lowF;
    cwb::SpectrumParams gp;
    gp.method = cwb::SvdMethod::Gram;
    const std::vector<double> sv = cwb::singularValues(lw, 300, 200, gp);
    QCOMPARE(sv.size(), size_t(200));
    for (int i = 0; i < 5; ++i)
        VERIFY_NEAR(sv[size_t(i)], 1.0, 1e-6, 0);
    QVERIFY(sv[5] < 1e-6);
}

void TestAnalysis::energyRankAndTruncation()
{
    CWB_SHARED_FILE(path, "models/stories260K/stories260K.bin");
    const cwb::Model model = cwb::io::openModel(path);
    int checked = 0;
    for (const Tensor &t : model.tensors) {
        if (t.shape.size() != 2 || checked >= 3)
            continue;
        const MatrixView view = cwb::matrixView(t, model.format);
        const cwb::Spectrum s = cwb::tensorSpectrum(t, view);
        const size_t n = s.singularValues.size();
        QCOMPARE(n, size_t(std::min(view.rows, view.cols)));
        QVERIFY(std::is_sorted(s.singularValues.rbegin(), s.singularValues.rend()));
        QCOMPARE(s.truncationError.size(), n + 1);
        QCOMPARE(s.truncationError.front(), 1.0);
        QCOMPARE(s.truncationError.back(), 0.0);
        for (size_t r = 0; r < n; ++r)
            QVERIFY(s.truncationError[r + 1] <= s.truncationError[r]);

        const Eigen::MatrixXd w = viewMatrix(t, view);
        VERIFY_NEAR(s.frobeniusSq, w.squaredNorm(), 1e-10, 0);
        for (int r : {1, int(n / 3), int(n / 2), int(n - 1)})
            VERIFY_NEAR(s.truncationError[size_t(r)], truncationByReconstruction(w, r), 1e-7, 1e-9);

        // energy ranks: the first r keeping 90/95/99 %, and r - 1 does not
        for (auto [q, r] : {std::pair {0.90, s.energyRank90}, std::pair {0.95, s.energyRank95},
                            std::pair {0.99, s.energyRank99}}) {
            QVERIFY(r >= 1 && r <= int64_t(n));
            const double kept = 1 - std::pow(s.truncationError[size_t(r)], 2);
            const double keptBefore = 1 - std::pow(s.truncationError[size_t(r - 1)], 2);
            QVERIFY(kept >= q - 1e-12);
            QVERIFY(keptBefore < q + 1e-12);
        }
        VERIFY_NEAR(s.stableRank, w.squaredNorm() / std::pow(s.singularValues[0], 2), 1e-10, 0);
        QVERIFY(s.entropyRank >= 1 && s.entropyRank <= double(n));
        ++checked;
    }
    QCOMPARE(checked, 3);

    // Hand-worked spectrum: sigma = (3, 4)... sorted (4, 3): ||W||^2 = 25, stable rank 25/16,
    // p = (4/7, 3/7), truncation after rank 1 = 3/5.
    cwb::Spectrum s;
    s.view.rows = 2;
    s.view.cols = 2;
    s.singularValues = {4.0, 3.0};
    cwb::deriveSpectrum(s, {});
    QCOMPARE(s.frobeniusSq, 25.0);
    QCOMPARE(s.stableRank, 25.0 / 16.0);
    VERIFY_NEAR(s.truncationError[1], 0.6, 1e-15, 0);
    const double h = -(4.0 / 7) * std::log(4.0 / 7) - (3.0 / 7) * std::log(3.0 / 7);
    VERIFY_NEAR(s.entropyRank, std::exp(h), 1e-14, 0);
    QCOMPARE(s.energyRank90, int64_t(2)); // 16/25 = 64 % after one
    QVERIFY(!s.powerLaw.valid); // two eigenvalues are no tail
    // Zero matrix: nothing divides by zero.
    s.singularValues = {0.0, 0.0};
    cwb::deriveSpectrum(s, {});
    QCOMPARE(s.stableRank, 0.0);
    QCOMPARE(s.truncationError[0], 0.0);
}

void TestAnalysis::powerLawRecoversParetoAlpha_data()
{
    QTest::addColumn<double>("alpha");
    QTest::addColumn<uint>("seed");
    QTest::newRow("alpha 2.0") << 2.0 << 1u;
    QTest::newRow("alpha 2.5") << 2.5 << 2u;
    QTest::newRow("alpha 3.5") << 3.5 << 3u;
    QTest::newRow("alpha 4.5") << 4.5 << 4u;
}

void TestAnalysis::powerLawRecoversParetoAlpha()
{
    QFETCH(double, alpha);
    QFETCH(uint, seed);
    // Eigenvalues from a Pareto law p(l) ~ l^-alpha, l >= 1, built into W = U diag(sqrt(N l)) V^T
    // so that the ESD of W^T W / N is exactly those eigenvalues.
    const int n = 400, big = 600;
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    Eigen::VectorXd lambda(n);
    for (int i = 0; i < n; ++i)
        lambda(i) = std::pow(1.0 - u(rng), -1.0 / (alpha - 1.0));
    const Eigen::MatrixXd w = orthonormal(big, n, rng)
        * (lambda * double(big)).cwiseSqrt().asDiagonal() * orthonormal(n, n, rng).transpose();

    const cwb::PowerLawFit direct
        = cwb::fitPowerLaw(std::vector<double>(lambda.data(), lambda.data() + n), 10);
    QVERIFY(direct.valid);
    QVERIFY2(std::abs(direct.alpha - alpha) < 0.2,
             qPrintable(QStringLiteral("alpha %1 fitted as %2").arg(alpha).arg(direct.alpha)));

    const Eigen::MatrixXf wf = w.cast<float>();
    std::vector<float> values(size_t(w.size()));
    Eigen::Map<Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(values.data(),
                                                                                      big, n)
        = wf;
    const Tensor t = makeTensor("pareto", {big, n}, values);
    const cwb::Spectrum s = cwb::tensorSpectrum(t, cwb::matrixView(t, cwb::ModelFormat::Gguf));
    QVERIFY(s.powerLaw.valid);
    QVERIFY2(std::abs(s.powerLaw.alpha - alpha) < 0.2,
             qPrintable(QStringLiteral("alpha %1 fitted as %2 (xmin %3, tail %4, KS %5)")
                            .arg(alpha)
                            .arg(s.powerLaw.alpha)
                            .arg(s.powerLaw.xmin)
                            .arg(s.powerLaw.nTail)
                            .arg(s.powerLaw.ks)));
    QVERIFY(s.powerLaw.nTail >= 10 && s.powerLaw.nTail <= n);
    QVERIFY(s.powerLaw.xmin >= 0.99 && s.powerLaw.ks > 0 && s.powerLaw.ks < 0.1);
    VERIFY_NEAR(s.powerLaw.alpha, direct.alpha, 1e-3, 0); // same eigenvalues to float precision
}

void TestAnalysis::modelSweepsStreamResults()
{
    CWB_SHARED_FILE(path, "models/stories260K/stories260K.gguf");
    const cwb::Model model = cwb::io::openModel(path);
    std::vector<int> calls(model.tensors.size(), 0);
    double lastProgress = 0;
    cwb::JobContext ctx;
    ctx.progress = [&](double f, const std::string &) { lastProgress = f; };
    const auto spectra
        = cwb::spectraForModel(model, {}, ctx, [&](size_t i, const cwb::Spectrum &s) {
              ++calls[i];
              QVERIFY(!s.singularValues.empty());
          });
    QCOMPARE(spectra.size(), model.tensors.size());
    QCOMPARE(lastProgress, 1.0);
    for (size_t i = 0; i < model.tensors.size(); ++i) {
        const bool matrix = model.tensors[i].shape.size() == 2;
        QCOMPARE(calls[i], matrix ? 1 : 0);
        QCOMPARE(spectra[i].skipped.empty(), matrix);
    }
    const size_t pick = size_t(std::find(calls.begin(), calls.end(), 1) - calls.begin());
    const cwb::Spectrum one = cwb::tensorSpectrum(
        model.tensors[pick], cwb::matrixView(model.tensors[pick], model.format));
    QVERIFY(one.singularValues == spectra[pick].singularValues);

    std::vector<int> statCalls(model.tensors.size(), 0);
    const auto stats = cwb::statsForModel(
        model, {}, {}, [&](size_t i, const cwb::TensorStats &) { ++statCalls[i]; });
    for (size_t i = 0; i < model.tensors.size(); ++i) {
        QCOMPARE(statCalls[i], 1);
        QCOMPARE(stats[i].name, model.tensors[i].name);
        QCOMPARE(stats[i].count, uint64_t(model.tensors[i].numel()));
    }
}

void TestAnalysis::cancellation()
{
    CWB_SHARED_FILE(path, "models/stories260K/stories260K.gguf");
    const cwb::Model model = cwb::io::openModel(path);
    std::atomic<bool> cancel {true};
    cwb::JobContext ctx;
    ctx.cancelFlag = &cancel;
    const Tensor &t = model.tensors.front();
    const MatrixView view = cwb::matrixView(t, model.format);
    QVERIFY_THROWS_EXCEPTION(cwb::Cancelled, (void)cwb::tensorStats(t, view, {}, ctx));
    QVERIFY_THROWS_EXCEPTION(cwb::Cancelled, (void)cwb::tensorSpectrum(t, view, {}, ctx));
    QVERIFY_THROWS_EXCEPTION(cwb::Cancelled, (void)cwb::spectraForModel(model, {}, ctx));

    // Cancelled from inside, after the first finished tensor: the sweep stops and says so.
    cancel = false;
    int finished = 0;
    QVERIFY_THROWS_EXCEPTION(cwb::Cancelled,
                             (void)cwb::statsForModel(model, {}, ctx, [&](size_t, const auto &) {
                                 ++finished;
                                 cancel = true;
                             }));
    QVERIFY(finished >= 1 && finished < int(model.tensors.size()));

    // A large tensor cancelled mid-way through its blocks.
    cancel = false;
    const Tensor big = makeTensor("big", {2000, 1000}, heavyTailed(2'000'000, 5));
    cwb::JobContext mid;
    mid.cancelFlag = &cancel;
    mid.progress = [&](double f, const std::string &) {
        if (f > 0.2)
            cancel = true;
    };
    cwb::TensorStatsParams p;
    p.blockValues = 10'000;
    QVERIFY_THROWS_EXCEPTION(
        cwb::Cancelled,
        (void)cwb::tensorStats(big, cwb::matrixView(big, cwb::ModelFormat::Gguf), p, mid));
}

void TestAnalysis::badInput()
{
    const Tensor t = makeTensor("w", {10, 20}, heavyTailed(200, 1));
    MatrixView wrong = cwb::matrixView(t, cwb::ModelFormat::Gguf);
    wrong.storedRows = 11;
    QVERIFY(!cwbtest::errorOf([&] { (void)cwb::tensorStats(t, wrong); }).empty());

    Tensor shortData = t;
    shortData.data = t.data.first(100);
    const std::string e = cwbtest::errorOf(
        [&] { (void)cwb::tensorStats(shortData, cwb::matrixView(t, cwb::ModelFormat::Gguf)); });
    QVERIFY2(e.find("w:") == 0 && e.find("800") != std::string::npos, e.c_str());

    Tensor unknown = t;
    unknown.dtype = DType::IQ2_XXS;
    QVERIFY(!cwbtest::errorOf([&] {
                 (void)cwb::tensorStats(unknown, cwb::matrixView(t, cwb::ModelFormat::Gguf));
             }).empty());
    Tensor overflow = t;
    overflow.shape = {int64_t {1} << 40, int64_t {1} << 40};
    QVERIFY(cwbtest::errorOf([&] {
                (void)cwb::matrixView(overflow, cwb::ModelFormat::Gguf);
            }).find("overflows")
            != std::string::npos);

    cwb::TensorStatsParams p;
    p.nearZero = -1;
    QVERIFY(!cwbtest::errorOf([&] {
                 (void)cwb::tensorStats(t, cwb::matrixView(t, cwb::ModelFormat::Gguf), p);
             }).empty());
    QVERIFY(!cwbtest::errorOf([&] {
                 std::vector<float> few(5);
                 (void)cwb::singularValuesReference(few, 2, 3);
             }).empty());
    std::vector<float> out(3);
    QVERIFY(!cwbtest::errorOf([&] {
                 cwb::readViewRows(t, cwb::matrixView(t, cwb::ModelFormat::Gguf), 9, 2, out);
             }).empty());
}

QTEST_GUILESS_MAIN(TestAnalysis)
#include "test_analysis.moc"
