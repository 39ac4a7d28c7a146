// SPDX-License-Identifier: MIT
// Histograms: the oneTBB fast path against the scalar reference (exact counts), a hand-worked
// example, Percentile clipping bounds, streaming over tensors by row blocks, cancellation.

#include "analysis/histogram.h"
#include "formats/float_formats.h"
#include "tensor/tensor.h"
#include "util/error.h"

#include <QTest>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <vector>

Q_DECLARE_METATYPE(cwb::HistogramRange)

namespace {

// Normal weights plus a few outliers, exact zeros and (optionally) NaN / ±Inf.
std::vector<float> makeValues(size_t n, bool specials, uint32_t seed)
{
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.01f, 0.05f);
    std::vector<float> v(n);
    for (auto &x : v)
        x = normal(rng);
    for (size_t i = 0; i < n; i += 97)
        v[i] = 0.0f;
    for (size_t i = 13; i < n; i += 1009)
        v[i] = (i % 2 ? 3.0f : -2.5f);
    if (specials) {
        for (size_t i = 5; i < n; i += 4099)
            v[i] = std::numeric_limits<float>::quiet_NaN();
        for (size_t i = 7; i < n; i += 7919)
            v[i] = (i % 2 ? 1.0f : -1.0f) * std::numeric_limits<float>::infinity();
    }
    return v;
}

void compareExact(const cwb::Histogram &got, const cwb::Histogram &want)
{
    QCOMPARE(got.counts.size(), want.counts.size());
    QVERIFY(got.counts == want.counts);
    QVERIFY(got.edges == want.edges);
    QCOMPARE(got.below, want.below);
    QCOMPARE(got.above, want.above);
    QCOMPARE(got.finite, want.finite);
    QCOMPARE(got.nan, want.nan);
    QCOMPARE(got.inf, want.inf);
    QCOMPARE(got.zeros, want.zeros);
    QCOMPARE(got.min, want.min);
    QCOMPARE(got.max, want.max);
    // Moments are summed in a different order: they agree to rounding, not bit for bit.
    QVERIFY2(std::abs(got.mean - want.mean) <= 1e-12 + 1e-9 * std::abs(want.mean),
             qPrintable(QStringLiteral("mean %1 vs %2").arg(got.mean).arg(want.mean)));
    QVERIFY2(std::abs(got.std - want.std) <= 1e-12 + 1e-9 * want.std,
             qPrintable(QStringLiteral("std %1 vs %2").arg(got.std).arg(want.std)));
}

uint64_t binned(const cwb::Histogram &h)
{
    uint64_t s = h.below + h.above;
    for (auto c : h.counts)
        s += c;
    return s;
}

// An F32 tensor with owned bytes (mapped view when !useLoader, loader otherwise).
cwb::Tensor makeF32Tensor(const std::vector<float> &values, int64_t rows, int64_t cols,
                          bool useLoader)
{
    auto bytes = std::make_shared<std::vector<std::byte>>(values.size() * sizeof(float));
    std::memcpy(bytes->data(), values.data(), bytes->size());
    cwb::Tensor t;
    t.name = "test.weight";
    t.dtype = cwb::DType::F32;
    t.dtypeLabel = "F32";
    t.shape = {rows, cols};
    t.byteSize = bytes->size();
    if (useLoader) {
        t.loader = [bytes] { return *bytes; };
    } else {
        t.data = std::span<const std::byte>(*bytes);
        t.keepAlive = bytes;
    }
    return t;
}

} // namespace

class TestHistogram : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void fastMatchesReference_data()
    {
        QTest::addColumn<int>("n");
        QTest::addColumn<cwb::HistogramRange>("range");
        QTest::addColumn<int>("bins");
        QTest::addColumn<bool>("specials");
        using R = cwb::HistogramRange;
        QTest::newRow("small min-max") << 1000 << R::MinMax << 128 << false;
        QTest::newRow("1M symmetric") << (1 << 20) << R::Symmetric << 128 << false;
        QTest::newRow("1M symmetric, NaN/Inf") << (1 << 20) << R::Symmetric << 128 << true;
        QTest::newRow("300k percentile, NaN/Inf") << 300'000 << R::Percentile << 256 << true;
        QTest::newRow("200k min-max, 1 bin") << 200'000 << R::MinMax << 1 << false;
        QTest::newRow("200k min-max, 100k bins") << 200'000 << R::MinMax << 100'000 << true;
        QTest::newRow("empty") << 0 << R::Symmetric << 128 << false;
    }
    void fastMatchesReference()
    {
        QFETCH(int, n);
        QFETCH(cwb::HistogramRange, range);
        QFETCH(int, bins);
        QFETCH(bool, specials);
        const auto v = makeValues(static_cast<size_t>(n), specials, 42u + static_cast<uint32_t>(n));
        const cwb::HistogramParams p{.bins = bins, .range = range};
        const auto ref = cwb::computeHistogramReference(v, p);
        const auto fast = cwb::computeHistogram(v, p);
        compareExact(fast, ref);
        QCOMPARE(ref.total(), static_cast<uint64_t>(n));
        QCOMPARE(binned(ref), ref.finite);
        QCOMPARE(ref.edges.size(), static_cast<size_t>(bins) + 1);
        QVERIFY(std::is_sorted(ref.edges.begin(), ref.edges.end()));
    }

    // Bins worked out by hand: [-1,-0.5) [-0.5,0) [0,0.5) [0.5,1], the last bin closed.
    void handExample()
    {
        const float nan = std::numeric_limits<float>::quiet_NaN();
        const float inf = std::numeric_limits<float>::infinity();
        const std::vector<float> v{-1.0f, -0.5f, 0.0f, -0.0f, 0.25f, 1.0f, nan, inf, -inf};
        const auto h
            = cwb::computeHistogramReference(v, {.bins = 4, .range = cwb::HistogramRange::MinMax});
        QCOMPARE(h.edges, (std::vector<double>{-1.0, -0.5, 0.0, 0.5, 1.0}));
        QCOMPARE(h.counts, (std::vector<uint64_t>{1, 1, 3, 1}));
        QCOMPARE(h.finite, uint64_t{6});
        QCOMPARE(h.nan, uint64_t{1});
        QCOMPARE(h.inf, uint64_t{2});
        QCOMPARE(h.zeros, uint64_t{2});
        QCOMPARE(h.min, -1.0);
        QCOMPARE(h.max, 1.0);
        const double mean = -0.25 / 6.0;
        double ss = 0;
        for (double x : {-1.0, -0.5, 0.0, 0.0, 0.25, 1.0})
            ss += (x - mean) * (x - mean);
        QVERIFY(std::abs(h.mean - mean) < 1e-15);
        QVERIFY(std::abs(h.std - std::sqrt(ss / 6.0)) < 1e-15);
        compareExact(cwb::computeHistogram(v, {.bins = 4, .range = cwb::HistogramRange::MinMax}),
                     h);
    }

    void symmetricRangeCentersZero()
    {
        const std::vector<float> v{0.5f, 2.0f, 1.0f};
        const auto h
            = cwb::computeHistogram(v, {.bins = 4, .range = cwb::HistogramRange::Symmetric});
        QCOMPARE(h.edges.front(), -2.0);
        QCOMPARE(h.edges.back(), 2.0);
        QCOMPARE(h.counts, (std::vector<uint64_t>{0, 0, 1, 2}));
    }

    // A constant tensor (norm weights start at 1.0) must not give a zero-width range.
    void constantValuesWiden_data()
    {
        QTest::addColumn<float>("value");
        QTest::newRow("ones") << 1.0f;
        QTest::newRow("zeros") << 0.0f;
        QTest::newRow("negative") << -3.0f;
    }
    void constantValuesWiden()
    {
        QFETCH(float, value);
        const std::vector<float> v(64, value);
        for (auto range : {cwb::HistogramRange::MinMax, cwb::HistogramRange::Symmetric,
                           cwb::HistogramRange::Percentile}) {
            const auto h = cwb::computeHistogram(v, {.bins = 9, .range = range});
            QVERIFY(h.edges.back() > h.edges.front());
            QCOMPARE(binned(h), uint64_t{64});
            QCOMPARE(h.below + h.above, uint64_t{0});
            QCOMPARE(h.std, 0.0);
            compareExact(h, cwb::computeHistogramReference(v, {.bins = 9, .range = range}));
        }
    }

    void allNonFinite()
    {
        const std::vector<float> v(10, std::numeric_limits<float>::quiet_NaN());
        const auto h = cwb::computeHistogram(v, {});
        QCOMPARE(h.nan, uint64_t{10});
        QCOMPARE(h.finite, uint64_t{0});
        QCOMPARE(binned(h), uint64_t{0});
        QCOMPARE(h.counts.size(), size_t{128});
    }

    // Clip points snap outwards: at most floor((1 - p) * n) values are clipped on each side, and
    // the range still covers the true quantiles.
    void percentileClipBounds_data()
    {
        QTest::addColumn<double>("pct");
        QTest::newRow("99.9") << 99.9;
        QTest::newRow("99") << 99.0;
        QTest::newRow("100") << 100.0;
    }
    void percentileClipBounds()
    {
        QFETCH(double, pct);
        auto v = makeValues(100'000, false, 7);
        for (size_t i = 0; i < 50; ++i)
            v[i * 1999] = (i % 2 ? 1000.0f : -800.0f);
        const auto h = cwb::computeHistogram(
            v, {.bins = 64, .range = cwb::HistogramRange::Percentile, .clipPercentile = pct});
        const auto allowed = static_cast<uint64_t>(std::floor((1.0 - pct / 100.0) * 100'000));
        QVERIFY(h.below <= allowed);
        QVERIFY(h.above <= allowed);
        QCOMPARE(binned(h), h.finite);
        auto sorted = v;
        std::sort(sorted.begin(), sorted.end());
        const double tol = 1e-9 * (h.max - h.min);
        QVERIFY(h.edges.front() <= sorted[allowed] + tol);
        QVERIFY(h.edges.back() >= sorted[sorted.size() - 1 - allowed] - tol);
        if (pct < 100.0)
            QVERIFY(h.edges.back() < 1000.0); // the outliers are clipped, not binned
        else
            QCOMPARE(h.edges.back(), 1000.0);
    }

    void badParams_data()
    {
        QTest::addColumn<int>("bins");
        QTest::addColumn<double>("pct");
        QTest::newRow("zero bins") << 0 << 99.9;
        QTest::newRow("too many bins") << 2'000'000 << 99.9;
        QTest::newRow("percentile below 50") << 16 << 40.0;
        QTest::newRow("percentile above 100") << 16 << 100.5;
    }
    void badParams()
    {
        QFETCH(int, bins);
        QFETCH(double, pct);
        const std::vector<float> v{1.0f, 2.0f};
        const cwb::HistogramParams p{.bins = bins, .clipPercentile = pct};
        QVERIFY_THROWS_EXCEPTION(cwb::Error, (void)cwb::computeHistogram(v, p));
        QVERIFY_THROWS_EXCEPTION(cwb::Error, (void)cwb::computeHistogramReference(v, p));
    }

    // Streaming by row blocks gives exactly the histogram of the whole float vector.
    void tensorStreamingMatchesSpan_data()
    {
        QTest::addColumn<cwb::HistogramRange>("range");
        QTest::addColumn<qint64>("blockValues");
        QTest::addColumn<bool>("useLoader");
        using R = cwb::HistogramRange;
        QTest::newRow("symmetric, 1 row per block") << R::Symmetric << qint64(1) << false;
        QTest::newRow("min-max, 7 rows per block") << R::MinMax << qint64(7 * 300) << false;
        QTest::newRow("percentile, big blocks") << R::Percentile << qint64(1 << 20) << false;
        QTest::newRow("percentile, loader, 50 rows") << R::Percentile << qint64(50 * 300) << true;
    }
    void tensorStreamingMatchesSpan()
    {
        QFETCH(cwb::HistogramRange, range);
        QFETCH(qint64, blockValues);
        QFETCH(bool, useLoader);
        const int64_t rows = 1001, cols = 300;
        const auto v = makeValues(static_cast<size_t>(rows * cols), true, 3);
        const auto t = makeF32Tensor(v, rows, cols, useLoader);
        const cwb::HistogramParams p{.bins = 100, .range = range, .blockValues = blockValues};
        compareExact(cwb::tensorHistogram(t, p), cwb::computeHistogramReference(v, p));
    }

    void tensorF16()
    {
        const auto v = makeValues(64 * 48, false, 11);
        auto bytes = std::make_shared<std::vector<std::byte>>(v.size() * 2);
        std::vector<float> rounded(v.size());
        for (size_t i = 0; i < v.size(); ++i) {
            const uint16_t h = cwb::floatToFp16(v[i]);
            std::memcpy(bytes->data() + 2 * i, &h, 2);
            rounded[i] = cwb::fp16ToFloat(h);
        }
        cwb::Tensor t;
        t.name = "f16";
        t.dtype = cwb::DType::F16;
        t.dtypeLabel = "F16";
        t.shape = {64, 48};
        t.byteSize = bytes->size();
        t.data = std::span<const std::byte>(*bytes);
        t.keepAlive = bytes;
        const cwb::HistogramParams p{.bins = 32, .blockValues = 48 * 5};
        compareExact(cwb::tensorHistogram(t, p), cwb::computeHistogramReference(rounded, p));
    }

    void tensorErrors()
    {
        auto t = makeF32Tensor(std::vector<float>(12, 1.0f), 3, 4, false);
        t.dtype = cwb::DType::IQ2_XXS;
        t.dtypeLabel = "IQ2_XXS";
        try {
            (void)cwb::tensorHistogram(t, {});
            QFAIL("undecodable tensor was accepted");
        } catch (const cwb::Error &e) {
            QVERIFY(QString::fromUtf8(e.what()).contains(QStringLiteral("test.weight")));
        }
        // Fewer bytes than the shape needs: an error, never a read past the end.
        auto shortT = makeF32Tensor(std::vector<float>(12, 1.0f), 3, 4, false);
        shortT.shape = {4, 4};
        QVERIFY_THROWS_EXCEPTION(cwb::Error, (void)cwb::tensorHistogram(shortT, {}));
        auto shortLoader = makeF32Tensor(std::vector<float>(12, 1.0f), 3, 4, true);
        shortLoader.shape = {3, 5};
        QVERIFY_THROWS_EXCEPTION(cwb::Error, (void)cwb::tensorHistogram(shortLoader, {}));
    }

    void progressAndCancel()
    {
        const auto v = makeValues(200 * 100, false, 5);
        const auto t = makeF32Tensor(v, 200, 100, false);
        std::vector<double> fractions;
        cwb::JobContext ctx;
        ctx.progress = [&](double f, const std::string &) { fractions.push_back(f); };
        (void)cwb::tensorHistogram(t, {.blockValues = 1000}, ctx);
        QCOMPARE(fractions.size(), size_t{2 * 20}); // 20 blocks, two passes
        QVERIFY(std::is_sorted(fractions.begin(), fractions.end()));
        QCOMPARE(fractions.back(), 1.0);

        // A flag raised during the first block stops the job before the next one starts.
        std::atomic<bool> cancel{false};
        int calls = 0;
        cwb::JobContext cancelling;
        cancelling.cancelFlag = &cancel;
        cancelling.progress = [&](double, const std::string &) {
            ++calls;
            cancel = true;
        };
        QVERIFY_THROWS_EXCEPTION(cwb::Cancelled,
                                 (void)cwb::tensorHistogram(t, {.blockValues = 1000}, cancelling));
        QCOMPARE(calls, 1);
        QVERIFY_THROWS_EXCEPTION(cwb::Cancelled, (void)cwb::computeHistogram(v, {}, cancelling));
    }
};

QTEST_GUILESS_MAIN(TestHistogram)
#include "test_histogram.moc"
