// SPDX-License-Identifier: MIT
// Activation statistics from calibration text (core/analysis/activation_stats.h) on stories260K
// with the TinyStories text. Oracles: the input of layers.0.attn.q computed here in double
// (RMSNorm of the token embeddings with attn_norm weights: nothing runs before it), the scalar
// references of both accumulation kernels, and the engine's own logits (observing changes
// nothing). Coverage, progress, cancellation and every refusal are checked by message.

#include "analysis/activation_accumulate.h"
#include "analysis/activation_stats.h"
#include "eval/engine.h"
#include "io/open_model.h"
#include "tokenizer/tokenizer.h"
#include "test_support.h"
#include "util/error.h"

#include <QTemporaryDir>
#include <QTest>

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

Q_DECLARE_METATYPE(std::string)

namespace {

constexpr const char *kModel = "models/stories260K/stories260K.gguf";
constexpr const char *kText = "data/tinystories/tinystories_validation_head.txt";
constexpr const char *kWeights[] = {"attn.q", "attn.k",  "attn.v",   "attn.o",
                                    "mlp.gate", "mlp.up", "mlp.down"};

cwb::ActivationParams smallRun(bool hessians)
{
    cwb::ActivationParams p;
    p.sequences = 8;
    p.tokensPerSequence = 128;
    p.collectHessians = hessians;
    return p;
}

std::vector<float> randomRows(int64_t rows, int64_t cols, unsigned seed)
{
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> x(size_t(rows * cols));
    for (auto &v : x)
        v = normal(rng);
    // a few large channels, like real activation outliers
    for (int64_t r = 0; r < rows; ++r)
        x[size_t(r * cols + cols / 2)] *= 40.0f;
    return x;
}

double relDiff(double a, double b)
{
    const double scale = std::max(std::fabs(a), std::fabs(b));
    return scale == 0 ? 0 : std::fabs(a - b) / scale;
}

// Counts observer calls and rows per site; checks the shapes it is given.
class CountingObserver final : public cwb::LinearInputObserver {
public:
    void observe(const cwb::LinearInputSite &site, const float *x, int64_t nRows) override
    {
        ++calls;
        rows[site.name] += nRows;
        finite = finite && x != nullptr && std::isfinite(x[nRows * site.inFeatures - 1]);
        names.insert(site.name);
        for (const auto &w : site.weights)
            weights.insert(w);
    }
    int64_t calls = 0;
    bool finite = true;
    std::map<std::string, int64_t> rows;
    std::set<std::string> names, weights;
};

} // namespace

class TestActivationStats : public QObject {
    Q_OBJECT

private slots:
    void channelKernelMatchesReference_data();
    void channelKernelMatchesReference();
    void hessianKernelMatchesReference_data();
    void hessianKernelMatchesReference();
    void observerSeesEveryProjectionAndChangesNothing();
    void everyLinearSeesEveryToken();
    void layer0InputMatchesHandComputation();
    void hessiansAreSymmetricPositiveSemiDefinite();
    void outliersFollowTheMedianRule_data();
    void outliersFollowTheMedianRule();
    void shortTextGivesOneSequence();
    void progressAndCancellation();
    void refusals_data();
    void refusals();
};

void TestActivationStats::channelKernelMatchesReference_data()
{
    QTest::addColumn<qint64>("rows");
    QTest::addColumn<qint64>("cols");
    QTest::newRow("1 x 7") << qint64(1) << qint64(7);
    QTest::newRow("33 x 64") << qint64(33) << qint64(64);
    QTest::newRow("300 x 1000 (parallel blocks)") << qint64(300) << qint64(1000);
    QTest::newRow("129 x 4099 (ragged last block)") << qint64(129) << qint64(4099);
}

void TestActivationStats::channelKernelMatchesReference()
{
    QFETCH(qint64, rows);
    QFETCH(qint64, cols);
    const auto x = randomRows(rows, cols, 7);
    cwb::analysis::ChannelSums ref(cols), fast(cols);
    // two calls each: the sums must carry over between blocks of rows
    for (int pass = 0; pass < 2; ++pass) {
        cwb::analysis::accumulateChannelsReference(x.data(), rows, cols, ref);
        cwb::analysis::accumulateChannels(x.data(), rows, cols, fast);
    }
    QCOMPARE(fast.rows, 2 * rows);
    QCOMPARE(ref.rows, 2 * rows);
    QVERIFY(fast.absMax == ref.absMax);
    for (int64_t c = 0; c < cols; ++c) {
        QVERIFY(relDiff(fast.sumAbs[size_t(c)], ref.sumAbs[size_t(c)]) < 1e-13);
        QVERIFY(relDiff(fast.sumSquare[size_t(c)], ref.sumSquare[size_t(c)]) < 1e-13);
    }
    // the reference itself against a direct computation of one channel
    const int64_t c = cols / 2;
    double m = 0, sq = 0;
    for (int64_t r = 0; r < rows; ++r) {
        const double v = x[size_t(r * cols + c)];
        m = std::max(m, std::fabs(v));
        sq += v * v;
    }
    QCOMPARE(ref.absMax[size_t(c)], m);
    QVERIFY(relDiff(ref.sumSquare[size_t(c)], 2 * sq) < 1e-14);
}

void TestActivationStats::hessianKernelMatchesReference_data()
{
    QTest::addColumn<qint64>("rows");
    QTest::addColumn<qint64>("cols");
    QTest::newRow("1 x 1") << qint64(1) << qint64(1);
    QTest::newRow("17 x 64 (one panel)") << qint64(17) << qint64(64);
    QTest::newRow("200 x 300 (ragged panels)") << qint64(200) << qint64(300);
    QTest::newRow("64 x 700") << qint64(64) << qint64(700);
}

void TestActivationStats::hessianKernelMatchesReference()
{
    QFETCH(qint64, rows);
    QFETCH(qint64, cols);
    const auto x = randomRows(rows, cols, 11);
    std::vector<double> ref(size_t(cols * cols), 0.0), fast(size_t(cols * cols), 0.0);
    for (int pass = 0; pass < 2; ++pass) {
        cwb::analysis::accumulateHessianReference(x.data(), rows, cols, ref);
        cwb::analysis::accumulateHessian(x.data(), rows, cols, fast);
    }
    double worst = 0;
    for (int64_t i = 0; i < cols; ++i)
        for (int64_t j = 0; j <= i; ++j) {
            // relative to the Cauchy-Schwarz bound sqrt(H_ii H_jj): off-diagonal sums cancel
            const double scale = std::sqrt(ref[size_t(i * cols + i)] * ref[size_t(j * cols + j)]);
            worst = std::max(worst, std::fabs(fast[size_t(i * cols + j)]
                                              - ref[size_t(i * cols + j)]) / scale);
        }
    QVERIFY2(worst < 1e-13, qPrintable(QString::number(worst)));
    cwb::analysis::symmetrizeFromLower(fast, cols);
    for (int64_t i = 0; i < cols; ++i)
        for (int64_t j = 0; j < cols; ++j)
            QCOMPARE(fast[size_t(i * cols + j)], fast[size_t(j * cols + i)]);
}

void TestActivationStats::observerSeesEveryProjectionAndChangesNothing()
{
    CWB_SHARED_FILE(path, kModel);
    const cwb::Model model = cwb::io::openModel(path);
    const std::vector<int32_t> prompt = {1, 403, 407, 261, 378, 306, 270, 400};

    const auto plain = cwb::Engine::create(model, {});
    auto counter = std::make_shared<CountingObserver>();
    cwb::EngineOptions options;
    options.observer = counter;
    const auto observed = cwb::Engine::create(model, options);
    std::vector<float> a, b;
    for (auto *engine : {plain.get(), observed.get()})
        engine->reset(16);
    plain->eval(prompt, a, true);
    observed->eval(prompt, b, true);
    QVERIFY(a == b); // bit-identical: the observer only reads
    QCOMPARE(counter->calls, int64_t(4 * 5));

    // decode steps are observed too, one row per call
    plain->eval(std::vector<int32_t>{300}, a, false);
    observed->eval(std::vector<int32_t>{300}, b, false);
    QVERIFY(a == b);
    QCOMPARE(counter->calls, int64_t(2 * 4 * 5));
    QVERIFY(counter->finite);
    QCOMPARE(counter->names.size(), size_t(4 * 5));
    QCOMPARE(counter->weights.size(), size_t(7 * 5));
    for (const auto &[name, rows] : counter->rows)
        QCOMPARE(rows, int64_t(prompt.size() + 1));
    for (int l = 0; l < 5; ++l)
        for (const char *w : kWeights)
            QVERIFY(counter->weights.count("layers." + std::to_string(l) + "." + w));
}

void TestActivationStats::everyLinearSeesEveryToken()
{
    CWB_SHARED_FILE(path, kModel);
    CWB_SHARED_FILE(text, kText);
    const cwb::Model model = cwb::io::openModel(path);
    const cwb::ActivationStats s = cwb::collectActivationStats(model, text, smallRun(false));

    QCOMPARE(s.linears.size(), size_t(7 * 5));
    QVERIFY(!s.hasHessians);
    for (int l = 0; l < 5; ++l)
        for (const char *w : kWeights) {
            const std::string name = "layers." + std::to_string(l) + "." + w;
            const cwb::LinearActivationStats *st = s.find(name);
            QVERIFY2(st, name.c_str());
            QCOMPARE(st->tokens, int64_t(1024));
            QCOMPARE(st->layer, int64_t(l));
            const int64_t in = std::string(w) == "mlp.down" ? 172 : 64;
            QCOMPARE(st->inFeatures, in);
            QCOMPARE(st->absMax.size(), size_t(in));
            QCOMPARE(st->meanAbs.size(), size_t(in));
            QCOMPARE(st->meanSquare.size(), size_t(in));
            QVERIFY(!st->hessian);
            for (int64_t c = 0; c < in; ++c) {
                const double m = st->absMax[size_t(c)], ms = st->meanSquare[size_t(c)];
                QVERIFY(std::isfinite(m) && m > 0);
                QVERIFY(st->meanAbs[size_t(c)] <= m && ms <= m * m);
                // Jensen: (E|x|)^2 <= E[x^2]
                QVERIFY(st->meanAbs[size_t(c)] * st->meanAbs[size_t(c)] <= ms * (1 + 1e-12));
            }
        }
    // q/k/v read one input, gate/up another: identical statistics, one site name each
    const auto *q = s.find("layers.2.attn.q"), *k = s.find("layers.2.attn.k");
    QCOMPARE(q->input, std::string("layers.2.attn_norm.out"));
    QCOMPARE(k->input, q->input);
    QVERIFY(k->absMax == q->absMax && k->meanSquare == q->meanSquare);
    QCOMPARE(s.find("layers.2.mlp.up")->input, std::string("layers.2.mlp_norm.out"));
    QCOMPARE(s.find("layers.2.mlp.down")->input, std::string("layers.2.mlp.act"));
    QCOMPARE(s.find("layers.2.attn.o")->input, std::string("layers.2.attn.heads"));
    QVERIFY(!s.find("head"));

    const cwb::ActivationCoverage &c = s.coverage;
    QCOMPARE(c.source, text);
    QCOMPARE(c.sequences, int64_t(8));
    QCOMPARE(c.tokensPerSequence, int64_t(128));
    QCOMPARE(c.tokensEvaluated, int64_t(1024));
    QCOMPARE(c.streamTokensUsed, int64_t(8 * 127));
    QVERIFY(c.streamTokens > 100000);
    QVERIFY(c.bosPrepended);
    QVERIFY(c.shortWeights.empty());
    QVERIFY(std::find(c.notObserved.begin(), c.notObserved.end(), "head") != c.notObserved.end());
    QVERIFY(std::find(c.notObserved.begin(), c.notObserved.end(), "embed")
            != c.notObserved.end());
    QCOMPARE(c.notObserved.size(), size_t(2));
    const std::string report = cwb::coverageReport(s);
    QVERIFY2(report.find("8 sequences x 128 tokens (BOS first) = 1024 tokens per weight")
                 != std::string::npos,
             report.c_str());
    QVERIFY2(report.find("all 35 observed weights saw 1024 tokens") != std::string::npos,
             report.c_str());
    QVERIFY2(report.find("not observed: embed head") != std::string::npos, report.c_str());
}

void TestActivationStats::layer0InputMatchesHandComputation()
{
    CWB_SHARED_FILE(path, kModel);
    CWB_SHARED_FILE(textPath, kText);
    const cwb::Model model = cwb::io::openModel(path);
    const cwb::ActivationParams p = smallRun(true);
    const cwb::ActivationStats s = cwb::collectActivationStats(model, textPath, p);

    // The same sequences, cut here: [BOS] + 127 stream tokens, 8 times.
    std::ifstream in(textPath, std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto tok = cwb::loadTokenizer(model);
    const std::vector<int32_t> stream = tok->encode(text, false);
    std::vector<int32_t> tokens;
    for (int64_t seq = 0; seq < 8; ++seq) {
        tokens.push_back(tok->bos());
        tokens.insert(tokens.end(), stream.begin() + seq * 127, stream.begin() + (seq + 1) * 127);
    }
    QCOMPARE(tokens.size(), size_t(1024));

    const int64_t dim = 64;
    const std::vector<float> embed = model.findTensor("embed")->toFloat();
    const std::vector<float> norm = model.findTensor("layers.0.attn_norm")->toFloat();
    const double eps = model.hparams.normEps;
    Eigen::MatrixXd x(Eigen::Index(tokens.size()), dim);
    for (size_t t = 0; t < tokens.size(); ++t) {
        const float *e = embed.data() + int64_t(tokens[t]) * dim;
        double ss = 0;
        for (int64_t c = 0; c < dim; ++c)
            ss += double(e[c]) * e[c];
        const double scale = 1.0 / std::sqrt(ss / double(dim) + eps);
        for (int64_t c = 0; c < dim; ++c)
            x(Eigen::Index(t), c) = double(e[c]) * scale * double(norm[size_t(c)]);
    }
    const Eigen::MatrixXd h = x.transpose() * x;

    const cwb::LinearActivationStats *q = s.find("layers.0.attn.q");
    QVERIFY(q && q->hessian);
    QCOMPARE(q->hessian->tokens, int64_t(1024));
    QCOMPARE(q->hessian->inFeatures, dim);
    for (int64_t c = 0; c < dim; ++c) {
        const double absMax = x.col(c).cwiseAbs().maxCoeff();
        const double meanAbs = x.col(c).cwiseAbs().mean();
        const double meanSquare = x.col(c).squaredNorm() / double(tokens.size());
        QVERIFY2(relDiff(q->absMax[size_t(c)], absMax) < 1e-5, qPrintable(QString::number(c)));
        QVERIFY2(relDiff(q->meanAbs[size_t(c)], meanAbs) < 1e-5, qPrintable(QString::number(c)));
        QVERIFY2(relDiff(q->meanSquare[size_t(c)], meanSquare) < 1e-5,
                 qPrintable(QString::number(c)));
    }
    double worst = 0;
    for (int64_t i = 0; i < dim; ++i)
        for (int64_t j = 0; j < dim; ++j) {
            const double scale = std::sqrt(h(i, i) * h(j, j));
            worst = std::max(worst, std::fabs(q->hessian->sum[size_t(i * dim + j)] - h(i, j))
                                        / scale);
        }
    QVERIFY2(worst < 1e-6, qPrintable(QString::number(worst)));
}

void TestActivationStats::hessiansAreSymmetricPositiveSemiDefinite()
{
    CWB_SHARED_FILE(path, kModel);
    CWB_SHARED_FILE(text, kText);
    const cwb::Model model = cwb::io::openModel(path);
    const cwb::ActivationStats s = cwb::collectActivationStats(model, text, smallRun(true));
    QVERIFY(s.hasHessians);

    // weights sharing an input share the Hessian object
    QCOMPARE(s.find("layers.4.attn.q")->hessian, s.find("layers.4.attn.v")->hessian);
    QCOMPARE(s.find("layers.4.mlp.gate")->hessian, s.find("layers.4.mlp.up")->hessian);
    QVERIFY(s.find("layers.4.attn.q")->hessian != s.find("layers.4.mlp.up")->hessian);

    for (const auto &l : s.linears) {
        const cwb::ActivationHessian &h = *l.hessian;
        const int64_t n = h.inFeatures;
        QCOMPARE(n, l.inFeatures);
        QCOMPARE(h.tokens, l.tokens);
        QCOMPARE(h.sum.size(), size_t(n * n));
        Eigen::MatrixXd m(n, n);
        for (int64_t i = 0; i < n; ++i)
            for (int64_t j = 0; j < n; ++j) {
                QCOMPARE(h.sum[size_t(i * n + j)], h.sum[size_t(j * n + i)]);
                m(i, j) = h.sum[size_t(i * n + j)];
            }
        // the diagonal is the channel sums of squares, from the other kernel
        for (int64_t c = 0; c < n; ++c)
            QVERIFY(relDiff(m(c, c) / double(h.tokens), l.meanSquare[size_t(c)]) < 1e-12);
        const double eps = 1e-9 * m.diagonal().maxCoeff();
        const Eigen::LLT<Eigen::MatrixXd> llt(m + eps * Eigen::MatrixXd::Identity(n, n));
        QVERIFY2(llt.info() == Eigen::Success, l.weight.c_str());
    }
}

void TestActivationStats::outliersFollowTheMedianRule_data()
{
    QTest::addColumn<double>("factor");
    QTest::addColumn<int>("minimumOutliers"); // over all 35 weights
    QTest::newRow("k = 6 (default)") << 6.0 << 0;
    QTest::newRow("k = 2") << 2.0 << 50;
    QTest::newRow("k = 1.2") << 1.2 << 500;
}

void TestActivationStats::outliersFollowTheMedianRule()
{
    QFETCH(double, factor);
    QFETCH(int, minimumOutliers);
    CWB_SHARED_FILE(path, kModel);
    CWB_SHARED_FILE(text, kText);
    const cwb::Model model = cwb::io::openModel(path);
    cwb::ActivationParams p = smallRun(false);
    p.sequences = 2;
    p.outlierFactor = factor;
    const cwb::ActivationStats s = cwb::collectActivationStats(model, text, p);
    QCOMPARE(s.outlierFactor, factor);
    int total = 0;
    for (const auto &l : s.linears) {
        std::vector<double> sorted = l.absMax;
        std::sort(sorted.begin(), sorted.end());
        const size_t n = sorted.size();
        const double median = n % 2 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
        QCOMPARE(l.medianAbsMax, median);
        std::set<int64_t> expected;
        for (size_t c = 0; c < n; ++c)
            if (l.absMax[c] > factor * median)
                expected.insert(int64_t(c));
        std::set<int64_t> listed;
        for (const auto &o : l.outliers) {
            listed.insert(o.channel);
            QCOMPARE(o.ratio, l.absMax[size_t(o.channel)] / median);
        }
        QVERIFY2(listed == expected, l.weight.c_str());
        QCOMPARE(listed.size(), l.outliers.size());
        QVERIFY(std::is_sorted(l.outliers.begin(), l.outliers.end(),
                               [](const auto &x, const auto &y) { return x.ratio > y.ratio; }));
        total += int(l.outliers.size());
    }
    QVERIFY2(total >= minimumOutliers, qPrintable(QString::number(total)));
}

void TestActivationStats::shortTextGivesOneSequence()
{
    CWB_SHARED_FILE(path, kModel);
    const cwb::Model model = cwb::io::openModel(path);
    std::vector<int32_t> stream;
    for (int i = 0; i < 100; ++i)
        stream.push_back(int32_t(259 + (i * 37) % 250));
    cwb::ActivationParams p; // defaults: 128 x 512, far more than 100 tokens
    const cwb::ActivationStats s = cwb::collectActivationStats(model, stream, 1, p);
    QCOMPARE(s.coverage.sequences, int64_t(1));
    QCOMPARE(s.coverage.tokensPerSequence, int64_t(101));
    QCOMPARE(s.coverage.streamTokensUsed, int64_t(100));
    QCOMPARE(s.coverage.source, std::string("token ids"));
    for (const auto &l : s.linears)
        QCOMPARE(l.tokens, int64_t(101));

    // no BOS: pieces of the full length, the remainder left over
    p.tokensPerSequence = 30;
    const cwb::ActivationStats noBos = cwb::collectActivationStats(model, stream, -1, p);
    QCOMPARE(noBos.coverage.sequences, int64_t(3));
    QCOMPARE(noBos.coverage.tokensEvaluated, int64_t(90));
    QVERIFY(!noBos.coverage.bosPrepended);
    QCOMPARE(noBos.linears.front().tokens, int64_t(90));
}

void TestActivationStats::progressAndCancellation()
{
    CWB_SHARED_FILE(path, kModel);
    CWB_SHARED_FILE(text, kText);
    const cwb::Model model = cwb::io::openModel(path);

    std::vector<std::string> labels;
    cwb::JobContext ctx;
    ctx.progress = [&](double, const std::string &what) { labels.push_back(what); };
    (void)cwb::collectActivationStats(model, text, smallRun(false), ctx);
    QCOMPARE(labels.size(), size_t(8));
    QCOMPARE(labels.back(), std::string("sequence 8/8"));

    std::atomic<bool> cancel{false};
    int reports = 0;
    ctx.cancelFlag = &cancel;
    ctx.progress = [&](double, const std::string &) {
        if (++reports == 3)
            cancel = true;
    };
    bool cancelled = false;
    try {
        (void)cwb::collectActivationStats(model, text, smallRun(true), ctx);
    } catch (const cwb::Cancelled &) {
        cancelled = true;
    }
    QVERIFY(cancelled);
    QCOMPARE(reports, 3); // stopped before the fourth sequence
}

void TestActivationStats::refusals_data()
{
    QTest::addColumn<std::string>("what");
    QTest::addColumn<std::string>("expected");
    const auto row = [](const char *name, const char *what, const char *expected) {
        QTest::newRow(name) << std::string(what) << std::string(expected);
    };
    row("too short text", "short", "too short: it gives");
    row("no tokenizer", "notokenizer", "names no tokenizer");
    row("missing text", "missing", "no_such_text.txt");
    row("sequence past context", "context", "exceeds the model's context limit");
    row("zero sequences", "sequences", "sequences is 0");
    row("negative outlier factor", "factor", "outlier factor");
    row("token outside vocabulary", "vocab", "calibration token 5 has id 999");
    row("Hessians over budget", "budget", "more than the budget");
}

void TestActivationStats::refusals()
{
    QFETCH(std::string, what);
    QFETCH(std::string, expected);
    CWB_SHARED_FILE(path, kModel);
    CWB_SHARED_FILE(text, kText);
    cwb::Model model = cwb::io::openModel(path);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const std::string shortText = dir.filePath(QStringLiteral("short.txt")).toStdString();
    std::ofstream(shortText) << "Once upon a time.";

    cwb::ActivationParams p = smallRun(false);
    std::vector<int32_t> ids(200, 300);
    std::string textPath = text;
    if (what == "short")
        textPath = shortText;
    else if (what == "notokenizer")
        model.tokenizer = {};
    else if (what == "missing")
        textPath = dir.filePath(QStringLiteral("no_such_text.txt")).toStdString();
    else if (what == "context")
        p.tokensPerSequence = 4096; // the GGUF declares 2048
    else if (what == "sequences")
        p.sequences = 0;
    else if (what == "factor")
        p.outlierFactor = -1;
    else if (what == "vocab")
        ids[5] = 999;
    else if (what == "budget") {
        p.collectHessians = true;
        p.hessianBudgetBytes = 1000;
    }
    const std::string message = cwbtest::errorOf([&] {
        if (what == "vocab")
            (void)cwb::collectActivationStats(model, ids, 1, p);
        else
            (void)cwb::collectActivationStats(model, textPath, p);
    });
    QVERIFY2(message.find(expected) != std::string::npos, message.c_str());
}

QTEST_GUILESS_MAIN(TestActivationStats)
#include "test_activation_stats.moc"
