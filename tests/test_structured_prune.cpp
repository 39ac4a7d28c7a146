// SPDX-License-Identifier: MIT
// Structured pruning: the matrix algorithms of compress/structured_prune.h against their
// references and definitions, the plan checks of prune/structured_plan.h, and on stories260K
// the scores, the pruned model the engine runs (per-layer FFN widths, fewer KV groups, a dropped
// block), the repair lowering output errors, and the GGUF export of a pruned model.

#include "analysis/activation_stats.h"
#include "compress/structured_prune.h"
#include "eval/engine.h"
#include "export/export.h"
#include "io/open_model.h"
#include "prune/pruned_model.h"
#include "prune/structure_scores.h"
#include "prune/structured_plan.h"
#include "support/test_support.h"

#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <numeric>
#include <random>

namespace {

constexpr const char *kModel = "models/stories260K/stories260K.gguf";
constexpr const char *kText = "data/tinystories/tinystories_validation_head.txt";

// X [rows x in] with correlated channels (a random mixing of fewer sources), W [out x in].
struct Problem {
    int64_t rows = 0, out = 0, in = 0;
    std::vector<float> x, w;
    std::vector<double> gram;
};

Problem makeProblem(int64_t rows, int64_t out, int64_t in, unsigned seed)
{
    std::mt19937 rng(seed);
    std::normal_distribution<float> n(0.0f, 1.0f);
    Problem p{rows, out, in, {}, {}, {}};
    const int64_t sources = in * 3 / 4;
    std::vector<float> mix(size_t(sources * in));
    for (auto &v : mix)
        v = n(rng);
    p.x.assign(size_t(rows * in), 0.0f);
    for (int64_t r = 0; r < rows; ++r) {
        std::vector<float> s(static_cast<size_t>(sources));
        for (auto &v : s)
            v = n(rng);
        for (int64_t c = 0; c < in; ++c) {
            float acc = 0.1f * n(rng);
            for (int64_t k = 0; k < sources; ++k)
                acc += s[size_t(k)] * mix[size_t(k * in + c)];
            p.x[size_t(r * in + c)] = acc * (c % 5 == 0 ? 3.0f : 1.0f);
        }
    }
    p.w.resize(size_t(out * in));
    for (auto &v : p.w)
        v = n(rng);
    p.gram.assign(size_t(in * in), 0.0);
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t i = 0; i < in; ++i)
            for (int64_t j = 0; j < in; ++j)
                p.gram[size_t(i * in + j)] += double(p.x[size_t(r * in + i)]) * p.x[size_t(r * in + j)];
    return p;
}

cwb::ConsumerView viewOf(const Problem &p)
{
    return {p.w, p.out, p.in, p.gram, p.rows, {}};
}

} // namespace

class TestStructuredPrune : public QObject {
    Q_OBJECT

private slots:
    void repairMatchesReference();
    void repairLowersOutputError();
    void keepingEveryChannelRepairsToTheOriginal();
    void scoresFollowTheirDefinitions();
    void keepHighestPicksTheLargest();
    void absorbResidualErrorMatchesItsDefinition();
    void ggufRefusesNonUniformWidths();
    void prunedModelRunsInTheEngine();
    void prunedGgufExportReadsBack();
};

void TestStructuredPrune::repairMatchesReference()
{
    const Problem p = makeProblem(300, 7, 24, 1);
    const std::vector<int64_t> keep{0, 2, 3, 5, 8, 9, 11, 14, 15, 17, 20, 23};
    const auto fast = cwb::repairKeptColumns(viewOf(p), keep);
    const auto ref = cwb::repairKeptColumnsReference(viewOf(p), p.x, p.rows, keep);
    QCOMPARE(fast.size(), ref.size());
    double maxAbs = 0, maxDiff = 0;
    for (size_t i = 0; i < fast.size(); ++i) {
        maxAbs = std::max(maxAbs, double(std::abs(ref[i])));
        maxDiff = std::max(maxDiff, double(std::abs(fast[i] - ref[i])));
    }
    QVERIFY2(maxDiff <= 1e-4 * std::max(1.0, maxAbs), qPrintable(QString::number(maxDiff)));
}

void TestStructuredPrune::repairLowersOutputError()
{
    const Problem p = makeProblem(400, 6, 32, 2);
    const auto scores = cwb::channelScores(cwb::StructureScore::Activation, viewOf(p));
    const auto keep = cwb::keepHighest(scores, 16);
    const double plain = cwb::relativeOutputError(viewOf(p), keep, cwb::keptColumns(viewOf(p), keep));
    const double repaired =
        cwb::relativeOutputError(viewOf(p), keep, cwb::repairKeptColumns(viewOf(p), keep));
    QVERIFY2(plain > 0.05, qPrintable(QString::number(plain)));
    QVERIFY2(repaired < 0.5 * plain, qPrintable(QStringLiteral("%1 vs %2").arg(repaired).arg(plain)));
    // Least squares: no other matrix on the kept channels does better (a nudged one is worse).
    auto nudged = cwb::repairKeptColumns(viewOf(p), keep);
    nudged[3] += 0.05f;
    QVERIFY(cwb::relativeOutputError(viewOf(p), keep, nudged) > repaired);
}

void TestStructuredPrune::keepingEveryChannelRepairsToTheOriginal()
{
    const Problem p = makeProblem(200, 5, 12, 3);
    std::vector<int64_t> all(12);
    std::iota(all.begin(), all.end(), 0);
    cwb::RepairParams tiny;
    tiny.ridge = 1e-9;
    const auto w = cwb::repairKeptColumns(viewOf(p), all, tiny);
    for (size_t i = 0; i < w.size(); ++i)
        QVERIFY2(std::abs(w[i] - p.w[i]) < 1e-3, qPrintable(QString::number(i)));
    QVERIFY(cwb::relativeOutputError(viewOf(p), all, w) < 1e-8);
}

void TestStructuredPrune::scoresFollowTheirDefinitions()
{
    const Problem p = makeProblem(100, 4, 8, 4);
    const auto act = cwb::channelScores(cwb::StructureScore::Activation, viewOf(p));
    const auto mag = cwb::channelScores(cwb::StructureScore::Magnitude, viewOf(p));
    for (int64_t j = 0; j < p.in; ++j) {
        double colSq = 0;
        for (int64_t r = 0; r < p.out; ++r)
            colSq += double(p.w[size_t(r * p.in + j)]) * p.w[size_t(r * p.in + j)];
        QVERIFY(std::abs(mag[size_t(j)] - colSq) <= 1e-9 * colSq);
        const double expected = colSq * p.gram[size_t(j * p.in + j)] / double(p.rows);
        QVERIFY(std::abs(act[size_t(j)] - expected) <= 1e-9 * expected);
    }
    // A group's activation score is its output energy, cross terms included.
    const std::vector<std::vector<int64_t>> groups{{0, 1}, {2, 3, 4}};
    const auto g = cwb::groupScores(cwb::StructureScore::Activation, viewOf(p), groups);
    double energy = 0;
    for (int64_t r = 0; r < p.rows; ++r)
        for (int64_t o = 0; o < p.out; ++o) {
            double y = 0;
            for (const int64_t c : groups[0])
                y += double(p.x[size_t(r * p.in + c)]) * p.w[size_t(o * p.in + c)];
            energy += y * y;
        }
    QVERIFY(std::abs(g[0] - energy / double(p.rows)) <= 1e-6 * energy / double(p.rows));
    // OBS per channel is the OBS of singleton groups.
    const auto obs = cwb::channelScores(cwb::StructureScore::Obs, viewOf(p));
    const auto obsGroups = cwb::groupScores(cwb::StructureScore::Obs, viewOf(p), {{3}, {6}});
    QVERIFY(std::abs(obs[3] - obsGroups[0]) <= 1e-9 * obs[3]);
    QVERIFY(std::abs(obs[6] - obsGroups[1]) <= 1e-9 * obs[6]);
    // Calibrated scores need the Gram matrix.
    cwb::ConsumerView noGram = viewOf(p);
    noGram.gram = {};
    QVERIFY(!cwbtest::errorOf([&] { (void)cwb::channelScores(cwb::StructureScore::Obs, noGram); })
                 .empty());
}

void TestStructuredPrune::keepHighestPicksTheLargest()
{
    const std::vector<double> s{0.5, 3.0, 1.0, 3.0, 0.1};
    QCOMPARE(cwb::keepHighest(s, 2), (std::vector<int64_t>{1, 3}));
    QCOMPARE(cwb::keepHighest(s, 3), (std::vector<int64_t>{1, 2, 3}));
    QVERIFY(cwbtest::errorOf([&] { (void)cwb::keepHighest(s, 0); }).find("keep 0 of 5")
            != std::string::npos);
}

void TestStructuredPrune::absorbResidualErrorMatchesItsDefinition()
{
    Problem p = makeProblem(250, 6, 10, 5);
    std::mt19937 rng(9);
    std::normal_distribution<double> n(0.0, 1.0);
    // D: partly explained by X, partly not.
    std::vector<double> d(size_t(p.rows * p.out)), cross(size_t(p.in * p.out), 0.0);
    double dSq = 0;
    for (int64_t r = 0; r < p.rows; ++r)
        for (int64_t o = 0; o < p.out; ++o) {
            double v = 0.3 * n(rng);
            for (int64_t c = 0; c < 3; ++c)
                v += 0.5 * p.x[size_t(r * p.in + c + o % 4)];
            d[size_t(r * p.out + o)] = v;
            dSq += v * v;
            for (int64_t i = 0; i < p.in; ++i)
                cross[size_t(i * p.out + o)] += double(p.x[size_t(r * p.in + i)]) * v;
        }
    double after = -1;
    const auto w2 = cwb::absorbResidual(viewOf(p), cross, dSq, {}, after);
    double direct = 0;
    for (int64_t r = 0; r < p.rows; ++r)
        for (int64_t o = 0; o < p.out; ++o) {
            double y = 0;
            for (int64_t i = 0; i < p.in; ++i)
                y += double(p.x[size_t(r * p.in + i)])
                     * (double(w2[size_t(o * p.in + i)]) - p.w[size_t(o * p.in + i)]);
            direct += (y - d[size_t(r * p.out + o)]) * (y - d[size_t(r * p.out + o)]);
        }
    QVERIFY2(std::abs(after - direct) <= 1e-3 * dSq, qPrintable(QStringLiteral("%1 vs %2").arg(after).arg(direct)));
    QVERIFY(after < 0.5 * dSq);
}

void TestStructuredPrune::ggufRefusesNonUniformWidths()
{
    CWB_SHARED_FILE(path, kModel);
    const cwb::Model model = cwb::io::openModel(path);
    cwb::StructuredPlan plan;
    plan.ffnKeep = {100, 100, 120, 100, 100};
    QVERIFY(cwb::planRefusals(model, plan, cwb::PruneTarget::Engine).empty());
    const auto refusals = cwb::planRefusals(model, plan, cwb::PruneTarget::Gguf);
    QCOMPARE(refusals.size(), size_t(1));
    QVERIFY2(refusals[0].find("layers.2.mlp") != std::string::npos
                 && refusals[0].find("llama.cpp") != std::string::npos,
             refusals[0].c_str());
    QVERIFY(!cwb::planRefusals(model, plan, cwb::PruneTarget::Safetensors).empty());
    plan.ffnKeep = {100, 100, 100, 100, 100};
    QVERIFY(cwb::planRefusals(model, plan, cwb::PruneTarget::Gguf).empty());
    plan.ffnKeep = {100, 100, 200, 100, 100};
    QVERIFY(cwb::planRefusals(model, plan, cwb::PruneTarget::Engine)[0].find("keep 200 channels of 172")
            != std::string::npos);
    plan.ffnKeep.clear();
    plan.dropBlocks = {1, 1};
    QVERIFY(!cwb::planRefusals(model, plan, cwb::PruneTarget::Engine).empty());
}

namespace {

cwb::ActivationStats smallStats(const cwb::Model &model, const std::string &text)
{
    cwb::ActivationParams p;
    p.sequences = 8;
    p.tokensPerSequence = 128;
    p.collectHessians = true;
    p.threads = 2;
    return cwb::collectActivationStats(model, text, p);
}

std::vector<float> logitsOf(const cwb::Model &model)
{
    cwb::EngineOptions o;
    o.threads = 2;
    const auto engine = cwb::Engine::create(model, o);
    const std::vector<int32_t> tokens{1, 403, 261, 378, 290, 94, 287, 322};
    engine->reset(16);
    std::vector<float> logits;
    engine->eval(tokens, logits, true);
    return logits;
}

} // namespace

void TestStructuredPrune::prunedModelRunsInTheEngine()
{
    CWB_SHARED_FILE(path, kModel);
    CWB_SHARED_FILE(text, kText);
    const cwb::Model model = cwb::io::openModel(path);
    const cwb::ActivationStats stats = smallStats(model, text);
    cwb::StructureScores scores =
        cwb::scoreChannelsAndGroups(model, stats, cwb::StructureScore::Activation);
    QCOMPARE(scores.layers.size(), size_t(5));
    QCOMPARE(scores.layers[0].ffnChannels.size(), size_t(172));
    QCOMPARE(scores.layers[0].kvGroups.size(), size_t(4));

    // Nothing removed: the same model, the same logits.
    {
        cwb::StructuredPlan none;
        const cwb::StructuredOutcome same = cwb::applyStructuredPlan(model, stats, scores, none);
        QCOMPARE(same.parametersAfter, same.parametersBefore);
        QCOMPARE(logitsOf(same.model), logitsOf(model));
    }

    // Blocks: angular distance and dKLD for every block, the absorb moments of block 2.
    cwb::BlockPassParams bp;
    bp.windows.windows = 6;
    bp.windows.tokensPerWindow = 128;
    bp.absorbLayers = {2};
    bp.threads = 2;
    cwb::scoreBlocks(model, text, bp, scores);
    QCOMPARE(scores.blocks.size(), size_t(5));
    QVERIFY(scores.baseKld < 1e-6);
    for (const auto &b : scores.blocks) {
        QVERIFY(b.angularDistance > 0 && b.angularDistance < 1);
        QVERIFY(b.deltaKld > 0);
    }
    QVERIFY(scores.absorb.contains(2));
    QCOMPARE(scores.absorb.at(2).fit.tokens, int64_t(3 * 128));
    QCOMPARE(scores.absorb.at(2).heldOut.tokens, int64_t(3 * 128));

    // Non-uniform FFN widths, one KV group of four gone, block 2 dropped and absorbed.
    cwb::StructuredPlan plan;
    plan.ffnKeep = {120, 86, 100, 140, 60};
    plan.kvGroupsKeep = 3;
    plan.dropBlocks = {2};
    const cwb::StructuredOutcome out = cwb::applyStructuredPlan(model, stats, scores, plan);
    const cwb::HyperParams &h = out.model.hparams;
    QCOMPARE(h.nLayers, int64_t(4));
    QCOMPARE(h.nKvHeads, int64_t(3));
    QCOMPARE(h.nHeads, int64_t(6));
    QCOMPARE(h.hiddenDim, int64_t(140));
    QCOMPARE(out.model.findTensor("layers.2.mlp.down")->shape, (std::vector<int64_t>{64, 140}));
    QCOMPARE(out.model.findTensor("layers.1.mlp.gate")->shape, (std::vector<int64_t>{86, 64}));
    QCOMPARE(out.model.findTensor("layers.0.attn.k")->shape, (std::vector<int64_t>{24, 64}));
    QCOMPARE(out.model.findTensor("layers.0.attn.o")->shape, (std::vector<int64_t>{64, 48}));
    QVERIFY(out.model.findTensor("layers.4.mlp.down") == nullptr);
    QVERIFY(out.parametersAfter < out.parametersBefore);
    QCOMPARE(out.parametersBefore - out.parametersAfter, cwb::parametersRemoved(model, plan));
    // Every FFN and attention refit lowers the output error; the block before the dropped one
    // carries part of its update.
    int repairedBlocks = 0;
    for (const auto &r : out.layers) {
        QVERIFY2(r.errorRepaired >= 0 && r.errorRepaired < r.errorRemoved,
                 qPrintable(QString::fromStdString(r.tensor)));
        repairedBlocks += r.what == "block";
    }
    QCOMPARE(repairedBlocks, 1);
    const std::vector<float> logits = logitsOf(out.model);
    QCOMPARE(logits.size(), size_t(8 * 512));
    for (const float v : logits)
        QVERIFY(std::isfinite(v));
}

void TestStructuredPrune::prunedGgufExportReadsBack()
{
    CWB_SHARED_FILE(path, kModel);
    CWB_SHARED_FILE(text, kText);
    const cwb::Model model = cwb::io::openModel(path);
    const cwb::ActivationStats stats = smallStats(model, text);
    const cwb::StructureScores scores =
        cwb::scoreChannelsAndGroups(model, stats, cwb::StructureScore::Obs);
    cwb::StructuredPlan plan;
    plan.ffnKeep = cwb::uniformFfnKeep(cwb::ffnWidths(model), 0.5);
    plan.kvGroupsKeep = 2;
    const cwb::StructuredOutcome out = cwb::applyStructuredPlan(model, stats, scores, plan);
    QTemporaryDir dir;
    cwb::ExportRequest request;
    request.model = &out.model;
    request.outPath = dir.filePath(QStringLiteral("pruned.gguf")).toStdString();
    const cwb::ExportResult r = cwb::runExport(request);
    QVERIFY(r.verified);
    const cwb::Model back = cwb::io::openModel(request.outPath);
    QCOMPARE(back.hparams.hiddenDim, int64_t(86));
    QCOMPARE(back.hparams.nHeads, int64_t(4));
    QCOMPARE(back.hparams.nKvHeads, int64_t(2));
    QCOMPARE(back.hparams.headDim, int64_t(8));
    // The file runs as the in-memory model does.
    const std::vector<float> a = logitsOf(out.model), b = logitsOf(back);
    QCOMPARE(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i)
        QVERIFY2(std::abs(a[i] - b[i]) < 1e-4, qPrintable(QString::number(i)));
}

QTEST_GUILESS_MAIN(TestStructuredPrune)
#include "test_structured_prune.moc"
