// SPDX-License-Identifier: MIT
// Sequential ("true sequential") calibration on stories260K (TinyStories text, 8 x 128 tokens):
// the layer-by-layer collector gives the one-pass statistics bit for bit when nothing is
// replaced or the replacement is lossless; layer 0 never sees a compressed prefix; a lossy
// prefix changes the statistics (and the GPTQ result) of the layers after it; the pipeline's
// sequential mode with a lossless prefix gives the one-pass result bit for bit; AWQ folding
// runs in it; coverage (tokens per tensor) is reported and stored in the archive; cancelling
// throws Cancelled mid-way and leaves nothing.

#include "analysis/activation_stats.h"
#include "analysis/layerwise_activations.h"
#include "compress/compressed_model.h"
#include "eval/dense_linear.h"
#include "io/open_model.h"
#include "model/canonical_name.h"
#include "jobs/job_context.h"
#include "pipeline/archive.h"
#include "pipeline/pipeline.h"
#include "recipe/recipe.h"
#include "recipe/resolve.h"
#include "test_support.h"
#include "util/error.h"

#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace {

constexpr const char *kModel = "models/stories260K/stories260K.gguf";
constexpr const char *kText = "data/tinystories/tinystories_validation_head.txt";
constexpr int64_t kSequences = 8;
constexpr int64_t kLength = 128;

cwb::ActivationParams smallParams()
{
    cwb::ActivationParams p;
    p.sequences = kSequences;
    p.tokensPerSequence = kLength;
    p.collectHessians = true;
    return p;
}

cwb::CompressParams compressParams(const std::string &text, bool sequential)
{
    cwb::CompressParams p;
    p.calibrationPath = text;
    p.calibration.sequences = kSequences;
    p.calibration.tokensPerSequence = kLength;
    p.sequentialCalibration = sequential;
    return p;
}

cwb::Plan planOf(const std::string &json, const cwb::Model &m)
{
    cwb::PlanOptions o;
    o.calibration = true;
    return cwb::resolvePlan(cwb::parseRecipeLenient(json, "test recipe"), m, o);
}

// The records of one layer, in forward order.
std::vector<const cwb::LinearActivationStats *> layerRecords(const cwb::ActivationStats &s,
                                                            int64_t layer)
{
    std::vector<const cwb::LinearActivationStats *> out;
    for (const auto &l : s.linears)
        if (l.layer == layer)
            out.push_back(&l);
    return out;
}

bool sameRecord(const cwb::LinearActivationStats &a, const cwb::LinearActivationStats &b)
{
    return a.weight == b.weight && a.input == b.input && a.tokens == b.tokens
           && a.absMax == b.absMax && a.meanAbs == b.meanAbs && a.meanSquare == b.meanSquare
           && a.hessian && b.hessian && a.hessian->sum == b.hessian->sum
           && a.hessian->tokens == b.hessian->tokens;
}

// Every record of the layer equal bit for bit to the one-pass record of the same weight.
bool layerMatches(const cwb::ActivationStats &layerStats, const cwb::ActivationStats &onePass,
                  int64_t layer)
{
    const auto mine = layerRecords(layerStats, layer);
    const auto theirs = layerRecords(onePass, layer);
    if (mine.empty() || mine.size() != theirs.size() || mine.size() != layerStats.linears.size())
        return false;
    for (size_t i = 0; i < mine.size(); ++i)
        if (!sameRecord(*mine[i], *theirs[i]))
            return false;
    return true;
}

// A copy of a projection's weights with every value's low mantissa bits cut: lossy.
std::shared_ptr<const cwb::LinearWeights> coarsened(const cwb::Model &m, const std::string &name)
{
    const cwb::Tensor *t = m.findTensor(name);
    std::vector<float> w = t->toFloat();
    for (float &v : w)
        v = float(int(v * 8.0f)) / 8.0f;
    return std::make_shared<cwb::DenseLinear>(std::move(w), t->shape[0], t->rowLength());
}

std::shared_ptr<const cwb::LinearWeights> copied(const cwb::Model &m, const std::string &name)
{
    const cwb::Tensor *t = m.findTensor(name);
    return std::make_shared<cwb::DenseLinear>(t->toFloat(), t->shape[0], t->rowLength());
}

const std::vector<std::string> kProjections = {"attn.q", "attn.k",   "attn.v",  "attn.o",
                                                "mlp.gate", "mlp.up", "mlp.down"};

} // namespace

class TestSequentialCalibration : public QObject {
    Q_OBJECT

private slots:
    void collectorEqualsOnePassWhenNothingChanges();
    void lossyPrefixChangesOnlyLaterLayers();
    void pipelineWithLosslessPrefixEqualsOnePass();
    void pipelineWithLossyPrefix();
    void awqFoldRunsSequentially();
    void coverageIsReportedAndStored();
    void cancellingStopsMidway();
};

void TestSequentialCalibration::collectorEqualsOnePassWhenNothingChanges()
{
    CWB_SHARED_FILE(path, kModel);
    CWB_SHARED_FILE(text, kText);
    const cwb::Model m = cwb::io::openModel(path);
    const cwb::ActivationStats onePass = cwb::collectActivationStats(m, text, smallParams());
    cwb::LayerwiseActivations layers(m, text, smallParams());
    QCOMPARE(layers.layerCount(), m.hparams.nLayers);
    QCOMPARE(layers.streamBytes(), uint64_t(kSequences * kLength * m.hparams.dim * 4));
    for (int64_t k = 0; k < layers.layerCount(); ++k) {
        QCOMPARE(layers.nextLayer(), k);
        const cwb::ActivationStats s = layers.collectLayer();
        QVERIFY2(layerMatches(s, onePass, k), qPrintable(QStringLiteral("layer %1").arg(k)));
        QCOMPARE(s.coverage.tokensEvaluated, onePass.coverage.tokensEvaluated);
        QCOMPARE(s.coverage.source, text);
        // A lossless replacement (the same floats in a new object) changes nothing either.
        for (const std::string &p : kProjections)
            layers.replaceWeights(cwb::layerTensorName(k, p), copied(m, cwb::layerTensorName(k, p)));
        layers.advance();
    }
    QCOMPARE(layers.nextLayer(), layers.layerCount());
    QVERIFY(!cwbtest::errorOf([&] { (void)layers.collectLayer(); }).empty());
}

void TestSequentialCalibration::lossyPrefixChangesOnlyLaterLayers()
{
    CWB_SHARED_FILE(path, kModel);
    CWB_SHARED_FILE(text, kText);
    const cwb::Model m = cwb::io::openModel(path);
    const cwb::ActivationStats onePass = cwb::collectActivationStats(m, text, smallParams());
    cwb::LayerwiseActivations layers(m, text, smallParams());
    // Layer 0 sees no compressed prefix: its statistics are the one-pass ones even though its
    // own weights are then replaced lossily.
    QVERIFY(layerMatches(layers.collectLayer(), onePass, 0));
    for (const std::string &p : kProjections)
        layers.replaceWeights(cwb::layerTensorName(0, p), coarsened(m, cwb::layerTensorName(0, p)));
    layers.advance();
    for (int64_t k = 1; k < layers.layerCount(); ++k) {
        const cwb::ActivationStats s = layers.collectLayer();
        QVERIFY2(!layerMatches(s, onePass, k), qPrintable(QStringLiteral("layer %1").arg(k)));
        const auto mine = layerRecords(s, k);
        const auto theirs = layerRecords(onePass, k);
        QCOMPARE(mine.size(), theirs.size());
        for (size_t i = 0; i < mine.size(); ++i) {
            QCOMPARE(mine[i]->weight, theirs[i]->weight);
            QCOMPARE(mine[i]->tokens, theirs[i]->tokens); // same rows, other values
            QVERIFY(mine[i]->meanSquare != theirs[i]->meanSquare);
        }
        layers.advance();
    }
}

void TestSequentialCalibration::pipelineWithLosslessPrefixEqualsOnePass()
{
    CWB_SHARED_FILE(path, kModel);
    CWB_SHARED_FILE(text, kText);
    const cwb::Model m = cwb::io::openModel(path);
    // Layers 0..3 re-stored as F32 (the same values: a lossless prefix), layer 4 by GPTQ, whose
    // result depends on every bit of its Hessian.
    const cwb::Plan plan = planOf(R"({"version": 1, "rules": [
        {"match": "layers.*", "methods": [{"method": "f32"}]},
        {"match": "layers.4.*", "methods": [{"method": "gptq", "params": {"bits": 3, "group": -1}}]}]})",
                                  m);
    QVERIFY(plan.valid());
    const cwb::CompressedModel a = cwb::compressModel(m, plan, compressParams(text, false));
    const cwb::CompressedModel b = cwb::compressModel(m, plan, compressParams(text, true));
    QVERIFY(!a.calibrationSequential);
    QVERIFY(b.calibrationSequential);
    QCOMPARE(a.tensors.size(), size_t(35));
    QCOMPARE(b.tensors.size(), a.tensors.size());
    for (size_t i = 0; i < a.tensors.size(); ++i) {
        const cwb::CompressedTensor &x = a.tensors[i], &y = b.tensors[i];
        QCOMPARE(y.canonical, x.canonical);
        QVERIFY2(y.reconstruct() == x.reconstruct(), x.canonical.c_str());
        QCOMPARE(y.report.outputError, x.report.outputError);
        QCOMPARE(y.report.calibrationTokens, x.report.calibrationTokens);
    }
    QCOMPARE(b.totals.compressedBytes, a.totals.compressedBytes);
}

void TestSequentialCalibration::pipelineWithLossyPrefix()
{
    CWB_SHARED_FILE(path, kModel);
    CWB_SHARED_FILE(text, kText);
    const cwb::Model m = cwb::io::openModel(path);
    const cwb::Plan plan = planOf(R"({"version": 1, "rules": [
        {"match": "layers.*", "methods": [{"method": "gptq", "params": {"bits": 2, "group": -1}}]}]})",
                                  m);
    const cwb::CompressedModel a = cwb::compressModel(m, plan, compressParams(text, false));
    const cwb::CompressedModel b = cwb::compressModel(m, plan, compressParams(text, true));
    QCOMPARE(b.tensors.size(), a.tensors.size());
    size_t laterDiffer = 0, later = 0;
    for (size_t i = 0; i < a.tensors.size(); ++i) {
        const cwb::CompressedTensor &x = a.tensors[i], &y = b.tensors[i];
        QCOMPARE(y.canonical, x.canonical);
        if (x.canonical.starts_with("layers.0.")) {
            // Layer 0's inputs come from the embedding alone: the same result bit for bit.
            QVERIFY2(y.reconstruct() == x.reconstruct(), x.canonical.c_str());
            QCOMPARE(y.report.outputError, x.report.outputError);
        } else {
            ++later;
            laterDiffer += y.reconstruct() != x.reconstruct() ? 1 : 0;
        }
    }
    QCOMPARE(later, size_t(28));
    QCOMPARE(laterDiffer, later); // every later GPTQ saw other Hessians
}

void TestSequentialCalibration::awqFoldRunsSequentially()
{
    CWB_SHARED_FILE(path, kModel);
    CWB_SHARED_FILE(text, kText);
    const cwb::Model m = cwb::io::openModel(path);
    // gate/up of every layer fold their joint AWQ scale into mlp_norm; q/k/v/o by rtn.
    const cwb::Plan plan = planOf(R"({"version": 1, "rules": [
        {"match": "layers.*", "methods": [{"method": "rtn", "params": {"bits": 4, "group": -1}}]},
        {"match": "layers.*.mlp.*", "methods": [{"method": "awq", "params": {"bits": 3, "group": -1, "alpha_grid": 5}}]}]})",
                                  m);
    QVERIFY(plan.valid());
    const cwb::CompressedModel a = cwb::compressModel(m, plan, compressParams(text, false));
    size_t streamed = 0, lastTotal = 0;
    const cwb::CompressedModel b = cwb::compressModel(
        m, plan, compressParams(text, true), {},
        [&](const cwb::CompressedTensor &, size_t done, size_t total) {
            QCOMPARE(done, ++streamed);
            QVERIFY(lastTotal == 0 || total == lastTotal);
            lastTotal = total;
        });
    // 35 matrices and 5 mlp_norms holding the folded scales, in both modes.
    QCOMPARE(a.tensors.size(), size_t(40));
    QCOMPARE(b.tensors.size(), a.tensors.size());
    QCOMPARE(streamed, b.tensors.size());
    QCOMPARE(lastTotal, b.tensors.size());
    for (size_t i = 0; i < a.tensors.size(); ++i) {
        QCOMPARE(b.tensors[i].canonical, a.tensors[i].canonical);
        QCOMPARE(b.tensors[i].foldedScales.empty(), a.tensors[i].foldedScales.empty());
        if (a.tensors[i].canonical.starts_with("layers.0."))
            QVERIFY(b.tensors[i].reconstruct() == a.tensors[i].reconstruct());
    }
    // Layer 1's MLP sees layer 0's folded, quantized MLP: other inputs, another AWQ scale.
    QVERIFY(b.find("layers.1.mlp.gate")->foldedScales
            != a.find("layers.1.mlp.gate")->foldedScales);
}

void TestSequentialCalibration::coverageIsReportedAndStored()
{
    CWB_SHARED_FILE(path, kModel);
    CWB_SHARED_FILE(text, kText);
    const cwb::Model m = cwb::io::openModel(path);
    const cwb::Plan plan = planOf(R"({"version": 1, "rules": [
        {"match": "layers.*", "methods": [{"method": "q8_0", "params": {"imatrix": true}}]},
        {"match": "layers.*.mlp.down", "methods": [{"method": "rtn", "params": {"bits": 8, "group": -1}}]}],
        "overrides": {"embed": {"methods": [{"method": "q8_0"}]}}})",
                                  m);
    QVERIFY2(plan.valid(), plan.errors.empty() ? "" : plan.errors[0].text().c_str());
    QTemporaryDir dir;
    for (const bool sequential : {false, true}) {
        const cwb::CompressedModel c = cwb::compressModel(m, plan, compressParams(text, sequential));
        QCOMPARE(c.calibrationTokens, kSequences * kLength);
        for (const cwb::CompressedTensor &t : c.tensors)
            QCOMPARE(t.report.calibrationTokens,
                     t.canonical == "embed" ? int64_t(0) : kSequences * kLength);
        const std::string archive =
            dir.filePath(QString::fromUtf8(sequential ? "s.cwbarchive" : "o.cwbarchive")).toStdString();
        cwb::writeArchive(archive, c);
        const cwb::CompressedModel back = cwb::readArchive(archive);
        QCOMPARE(back.calibrationSequential, sequential);
        QCOMPARE(back.tensors.size(), c.tensors.size());
        for (size_t i = 0; i < c.tensors.size(); ++i)
            QCOMPARE(back.tensors[i].report.calibrationTokens, c.tensors[i].report.calibrationTokens);
    }
    // Precomputed statistics cannot stand in for layer-by-layer ones.
    cwb::ActivationParams ap = smallParams();
    const cwb::ActivationStats stats = cwb::collectActivationStats(m, text, ap);
    cwb::CompressParams p = compressParams(text, true);
    p.calibrationStats = &stats;
    QVERIFY(cwbtest::errorOf([&] { (void)cwb::compressModel(m, plan, p); }).find("sequential")
            != std::string::npos);
}

void TestSequentialCalibration::cancellingStopsMidway()
{
    CWB_SHARED_FILE(path, kModel);
    CWB_SHARED_FILE(text, kText);
    const cwb::Model m = cwb::io::openModel(path);
    const cwb::Plan plan = planOf(R"({"version": 1, "rules": [
        {"match": "layers.*", "methods": [{"method": "gptq", "params": {"bits": 4, "group": -1}}]}]})",
                                  m);
    QTemporaryDir dir;
    const std::string archive = dir.filePath(QStringLiteral("c.cwbarchive")).toStdString();
    // Cancelled during the calibration passes of layer 2 (after layers 0 and 1 are compressed)
    // and again while layer 3's tensors run.
    for (const std::string &when : {std::string("calibration, layer 2"), std::string("tensor")}) {
        std::atomic<bool> cancel{false};
        cwb::JobContext job;
        job.cancelFlag = &cancel;
        size_t tensors = 0;
        job.progress = [&](double, const std::string &what) {
            if (when == "tensor" ? tensors >= 22 : what.find(when) != std::string::npos)
                cancel = true;
        };
        bool cancelled = false;
        try {
            const cwb::CompressedModel c = cwb::compressModel(
                m, plan, compressParams(text, true), job,
                [&](const cwb::CompressedTensor &, size_t, size_t) { ++tensors; });
            cwb::writeArchive(archive, c, job);
        } catch (const cwb::Cancelled &) {
            cancelled = true;
        }
        QVERIFY2(cancelled, when.c_str());
        QVERIFY(tensors >= 14 && tensors < 35);
        QVERIFY(std::filesystem::is_empty(dir.path().toStdString()));
    }
}

QTEST_GUILESS_MAIN(TestSequentialCalibration)
#include "test_sequential_calibration.moc"
