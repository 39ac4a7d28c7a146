// SPDX-License-Identifier: MIT
// Same model, text and thread count give the same bits: perplexity, KL divergence and the
// activation statistics (channel sums, Hessians), run after run, and while another evaluation
// competes for oneTBB's workers (work stealing then splits and schedules differently). Every
// reduction in these paths has a fixed order (a per-item sum in one task, or per-chunk partials
// added in chunk order), so scheduling must not change a bit.

#include "analysis/activation_stats.h"
#include "analysis/matrix_view.h"
#include "analysis/tensor_stats.h"
#include "eval/evaluation.h"
#include "io/open_model.h"
#include "test_support.h"

#include <QTemporaryDir>
#include <QTest>

#include <cstring>
#include <thread>

namespace {

template <class T>
bool sameBits(const T &a, const T &b)
{
    return std::memcmp(&a, &b, sizeof(T)) == 0;
}

bool sameBits(const std::vector<double> &a, const std::vector<double> &b)
{
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

// Runs f three times: alone, then twice at once on two threads (competing arenas).
template <class F>
auto threeRuns(F f)
{
    auto first = f();
    decltype(first) second, third;
    std::thread other([&] { third = f(); });
    second = f();
    other.join();
    return std::array{std::move(first), std::move(second), std::move(third)};
}

} // namespace

class TestReproducibility : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void perplexityAndKld_data();
    void perplexityAndKld();
    void activationStatistics();
    void tensorStatistics();
};

void TestReproducibility::perplexityAndKld_data()
{
    QTest::addColumn<int>("threads");
    QTest::newRow("1 thread") << 1;
    QTest::newRow("2 threads") << 2;
}

void TestReproducibility::perplexityAndKld()
{
    QFETCH(int, threads);
    CWB_SHARED_FILE(model, "models/dev256/dev256-f32.gguf");
    CWB_SHARED_FILE(text, "data/dev256/eval.txt");
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const std::string base = dir.filePath(QStringLiteral("base.logits")).toStdString();
    cwb::EvalParams p;
    p.modelPath = model;
    p.textPath = text;
    p.nCtx = 128;
    p.chunks = 4;
    p.threads = threads;
    p.saveLogitsPath = base;
    const double basePpl = cwb::runEvaluation(p).ppl;
    p.saveLogitsPath.clear();
    p.kldBasePath = base;
    p.emulateQ8 = true; // a different run than the base, so the KLD is not 0
    p.cacheTypeK = cwb::KvCacheType::Q8_0;
    const auto runs = threeRuns([&] { return cwb::runEvaluation(p); });
    QVERIFY(runs[0].kld.mean > 0);
    QVERIFY(runs[0].ppl != basePpl);
    for (size_t i = 1; i < runs.size(); ++i) {
        QVERIFY2(sameBits(runs[i].ppl, runs[0].ppl),
                 qPrintable(QString::number(runs[i].ppl, 'g', 17) + QStringLiteral(" vs ")
                            + QString::number(runs[0].ppl, 'g', 17)));
        QVERIFY(sameBits(runs[i].meanNll, runs[0].meanNll));
        QVERIFY(sameBits(runs[i].pplStderr, runs[0].pplStderr));
        QVERIFY2(sameBits(runs[i].kld.mean, runs[0].kld.mean),
                 qPrintable(QString::number(runs[i].kld.mean, 'g', 17) + QStringLiteral(" vs ")
                            + QString::number(runs[0].kld.mean, 'g', 17)));
        QVERIFY(sameBits(runs[i].kld.p99, runs[0].kld.p99));
        QVERIFY(sameBits(runs[i].kld.max, runs[0].kld.max));
        QVERIFY(sameBits(runs[i].kld.top1AgreementPct, runs[0].kld.top1AgreementPct));
    }
}

// Regression: the calibration statistics (and with them an imatrix.dat) differed by ~3e-7
// from one run to the next.
void TestReproducibility::activationStatistics()
{
    CWB_SHARED_FILE(modelPath, "models/dev256/dev256-f32.gguf");
    CWB_SHARED_FILE(calib, "data/dev256/calib.txt");
    const cwb::Model model = cwb::io::openModel(modelPath);
    cwb::ActivationParams p;
    p.sequences = 3;
    p.tokensPerSequence = 128;
    p.collectHessians = true;
    p.threads = 2;
    const auto runs = threeRuns([&] { return cwb::collectActivationStats(model, calib, p); });
    QVERIFY(!runs[0].linears.empty());
    for (size_t i = 1; i < runs.size(); ++i) {
        QCOMPARE(runs[i].linears.size(), runs[0].linears.size());
        for (size_t l = 0; l < runs[0].linears.size(); ++l) {
            const auto &a = runs[0].linears[l], &b = runs[i].linears[l];
            QVERIFY2(sameBits(a.absMax, b.absMax), a.weight.c_str());
            QVERIFY2(sameBits(a.meanAbs, b.meanAbs), a.weight.c_str());
            QVERIFY2(sameBits(a.meanSquare, b.meanSquare), a.weight.c_str());
            QVERIFY(a.hessian && b.hessian);
            QVERIFY2(sameBits(a.hessian->sum, b.hessian->sum), a.weight.c_str());
        }
    }
}

// Tensor statistics sum many blocks in parallel: fixed chunks merged in order (they were merged
// per thread, in whatever order the threads came, before).
void TestReproducibility::tensorStatistics()
{
    const int64_t rows = 600, cols = 1000;
    auto bytes = std::make_shared<std::vector<std::byte>>(size_t(rows * cols) * sizeof(float));
    uint64_t state = 12345;
    for (int64_t i = 0; i < rows * cols; ++i) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        const float u = float(state >> 40) * 0x1p-24f;
        const float v = (u - 0.5f) * (1.0f + 20.0f * u * u * u * u); // heavy-ish tails
        std::memcpy(bytes->data() + i * 4, &v, 4);
    }
    cwb::Tensor t;
    t.name = "w";
    t.dtype = cwb::DType::F32;
    t.shape = {rows, cols};
    t.byteSize = bytes->size();
    t.data = std::span<const std::byte>(*bytes);
    t.keepAlive = bytes;
    const cwb::MatrixView view = cwb::matrixView(t, cwb::ModelFormat::Gguf);
    cwb::TensorStatsParams p;
    p.blockValues = 4000; // 150 blocks of 4 rows
    const auto runs = threeRuns([&] { return cwb::tensorStats(t, view, p); });
    for (size_t i = 1; i < runs.size(); ++i) {
        const cwb::TensorStats &a = runs[0], &b = runs[i];
        QVERIFY(sameBits(a.mean, b.mean) && sameBits(a.std, b.std));
        QVERIFY(sameBits(a.skewness, b.skewness) && sameBits(a.kurtosis, b.kurtosis));
        QVERIFY(a.colStats.std.size() == size_t(cols) && b.colStats.std == a.colStats.std);
        QVERIFY(b.colStats.l2Norm == a.colStats.l2Norm && b.rowStats.std == a.rowStats.std);
    }
}

QTEST_GUILESS_MAIN(TestReproducibility)
#include "test_reproducibility.moc"
