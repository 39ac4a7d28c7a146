// SPDX-License-Identifier: MIT
// The engine's views of compressed tensors: MaskedLinear (pruned weights in an offset ggml type)
// and LowRankLinear (A B factors, each quantized) — tiled forward against the row-by-row double
// reference within 1e-5 of the sum's magnitude, for decode (1 row) and prefill (37 rows) — and
// StoredMatrix's float storage (F32 exact, F16 / BF16 within their rounding), its layout checks,
// and CompressedTensor::reconstruct() agreeing with what linear() multiplies.

#include "compress/compressed_model.h"
#include "compress/quant_methods.h"
#include "compress/stored_matrix.h"
#include "eval/low_rank_linear.h"
#include "eval/masked_linear.h"
#include "formats/ggml_quantize.h"
#include "jobs/job_context.h"
#include "test_support.h"
#include "util/error.h"

#include <QTest>

#include <cmath>
#include <functional>
#include <random>

namespace {

std::vector<float> randomValues(size_t n, uint32_t seed)
{
    std::mt19937 rng(seed);
    std::normal_distribution<float> d(0.0f, 1.0f);
    std::vector<float> v(n);
    for (float &x : v)
        x = d(rng);
    return v;
}

// Fast forward vs reference, tolerance scaled by each sum's magnitude.
void compareForward(const cwb::LinearWeights &w, const std::function<void(const float *, int64_t, float *)> &reference)
{
    for (int64_t n : {int64_t(1), int64_t(37)}) {
        const std::vector<float> x = randomValues(size_t(n * w.inFeatures()), 7);
        std::vector<float> y(size_t(n * w.outFeatures())), yRef(y.size());
        w.forward(x.data(), n, y.data());
        reference(x.data(), n, yRef.data());
        std::vector<float> row(static_cast<size_t>(w.inFeatures()));
        for (int64_t o = 0; o < w.outFeatures(); ++o) {
            w.row(o, row.data());
            for (int64_t i = 0; i < n; ++i) {
                double magnitude = 0;
                for (int64_t k = 0; k < w.inFeatures(); ++k)
                    magnitude += std::abs(double(x[size_t(i * w.inFeatures() + k)]) * row[size_t(k)]);
                const size_t at = size_t(i * w.outFeatures() + o);
                if (std::abs(y[at] - yRef[at]) > 1e-5 * std::max(1.0, magnitude))
                    QFAIL(qPrintable(QStringLiteral("n %1, y[%2][%3] = %4, reference %5")
                                         .arg(n).arg(i).arg(o).arg(y[at]).arg(yRef[at])));
            }
        }
    }
}

} // namespace

class TestCompressedWeights : public QObject {
    Q_OBJECT

private slots:
    void maskedLinearMatchesReference()
    {
        const int64_t rows = 300, cols = 256;
        const std::vector<float> w = randomValues(size_t(rows * cols), 1);
        auto inner = std::make_shared<cwb::StoredMatrix>(cwb::StoredMatrix::fromGgml(
            cwb::DType::Q4_1, cwb::ggmlQuantizeRows(cwb::DType::Q4_1, w.data(), rows, cols, nullptr),
            rows, cols));
        std::vector<uint8_t> keep(size_t(rows * cols + 7) / 8, 0);
        for (size_t i = 0; i < size_t(rows * cols); i += 3)
            keep[i / 8] |= uint8_t(1u << (i % 8));
        const cwb::MaskedLinear masked(inner->linear(), keep, keep.size());
        QCOMPARE(masked.storedBytes(), inner->storedBytes() + keep.size());
        std::vector<float> row(static_cast<size_t>(cols));
        masked.row(5, row.data());
        for (int64_t c = 0; c < cols; ++c) {
            const size_t i = size_t(5 * cols + c);
            if (!((keep[i / 8] >> (i % 8)) & 1u))
                QCOMPARE(row[size_t(c)], 0.0f);
        }
        compareForward(masked, [&](const float *x, int64_t n, float *y) { masked.forwardReference(x, n, y); });
        const std::string e = cwbtest::errorOf([&] {
            cwb::MaskedLinear bad(inner->linear(), std::vector<uint8_t>(3), 3);
        });
        QVERIFY2(e.find("mask holds 3 bytes") != std::string::npos, e.c_str());
    }

    void lowRankLinearMatchesReference()
    {
        const int64_t rows = 200, cols = 128, rank = 32;
        const std::vector<float> a = randomValues(size_t(rows * rank), 2), b = randomValues(size_t(rank * cols), 3);
        cwb::RtnParams p;
        p.bits = 8;
        p.groupSize = 32;
        const auto qa = cwb::StoredMatrix::fromQuantized(cwb::quantizeRtn(a.data(), rows, rank, p, {}));
        const auto qb = cwb::StoredMatrix::fromFloats(b, rank, cols, cwb::DType::F16);
        const cwb::LowRankLinear lr(qa.linear(), qb.linear());
        QCOMPARE(lr.rank(), rank);
        QCOMPARE(lr.storedBytes(), qa.storedBytes() + qb.storedBytes());
        compareForward(lr, [&](const float *x, int64_t n, float *y) { lr.forwardReference(x, n, y); });

        // CompressedTensor: reconstruct() is what the engine multiplies.
        cwb::CompressedTensor t;
        t.canonical = "layers.0.attn.q";
        t.shape = {rows, cols};
        t.rows = rows;
        t.cols = cols;
        t.factorA = qa;
        t.factorB = qb;
        const std::vector<float> w = t.reconstruct();
        std::vector<float> row(static_cast<size_t>(cols));
        lr.row(17, row.data());
        for (int64_t c = 0; c < cols; ++c)
            QVERIFY(std::abs(row[size_t(c)] - w[size_t(17 * cols + c)]) <= 1e-4f * (1.0f + std::abs(row[size_t(c)])));
        t.factorB->rows = rank + 1; // inner dimensions disagree
        const std::string e = cwbtest::errorOf([&] { (void)t.linear(); });
        QVERIFY2(e.find("layers.0.attn.q") != std::string::npos, e.c_str());
    }

    void floatStorage()
    {
        const std::vector<float> v = randomValues(64 * 32, 4);
        for (const cwb::DType t : {cwb::DType::F32, cwb::DType::F16, cwb::DType::BF16}) {
            const auto m = cwb::StoredMatrix::fromFloats(v, 64, 32, t);
            QCOMPARE(m.storedBytes(), uint64_t(v.size()) * (t == cwb::DType::F32 ? 4 : 2));
            const std::vector<float> back = m.dequantize();
            const float tol = t == cwb::DType::F32 ? 0.0f : t == cwb::DType::F16 ? 1e-3f : 8e-3f;
            for (size_t i = 0; i < v.size(); ++i)
                QVERIFY(std::abs(back[i] - v[i]) <= tol * std::max(1.0f, std::abs(v[i])));
        }
        auto m = cwb::StoredMatrix::fromFloats(v, 64, 32, cwb::DType::F16);
        m.bytes.pop_back();
        const std::string e = cwbtest::errorOf([&] { m.check("tensor x"); });
        QVERIFY2(e.find("tensor x") != std::string::npos && e.find("4095 bytes") != std::string::npos, e.c_str());
        QVERIFY(!cwbtest::errorOf([&] { (void)cwb::StoredMatrix::fromFloats(v, 64, 32, cwb::DType::Q4_0); }).empty());
    }
};

QTEST_GUILESS_MAIN(TestCompressedWeights)
#include "test_compressed_weights.moc"
