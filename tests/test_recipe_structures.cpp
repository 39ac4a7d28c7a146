// SPDX-License-Identifier: MIT
// The structure slot of a recipe (prune_channels, prune_heads, drop_block): what the plan makes
// of it (one StructuredPlan, the shapes after, the estimates, what it refuses and why) and what
// the pipeline makes of it (the smaller model, the archive that rebuilds it, the same weights
// as cwb prune's functions give).

#include "analysis/activation_stats.h"
#include "compare/tensor_compare.h"
#include "eval/engine.h"
#include "export/export.h"
#include "io/open_model.h"
#include "pipeline/archive.h"
#include "pipeline/pipeline.h"
#include "pipeline/structure_step.h"
#include "prune/pruned_model.h"
#include "prune/structure_scores.h"
#include "recipe/plan_structures.h"
#include "recipe/recipe.h"
#include "recipe/resolve.h"
#include "support/test_support.h"

#include "calibrated_layer.h"

#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

namespace {

constexpr const char *kModel = "models/stories260K/stories260K.gguf";
constexpr const char *kText = "data/tinystories/tinystories_validation_head.txt";

cwb::Plan planOf(const cwb::Model &model, const std::string &rules, bool calibration = true)
{
    const std::string json =
        R"({"version": 1, "defaults": {"methods": [{"method": "keep"}]}, "rules": )" + rules
        + "}";
    cwb::PlanOptions o;
    o.calibration = calibration;
    return cwb::resolvePlan(cwb::parseRecipe(json, "r.json"), model, o);
}

std::string errorsOf(const cwb::Plan &plan)
{
    std::string s;
    for (const auto &e : plan.errors)
        s += e.text() + "\n";
    return s;
}

const cwb::TensorPlan &tensorPlan(const cwb::Plan &plan, const std::string &canonical)
{
    for (const auto &tp : plan.tensors)
        if (tp.canonical == canonical)
            return tp;
    throw std::runtime_error("no tensor " + canonical);
}

// Logits of the fixed token sequence (calibrated_layer.h) with `replacements` in place.
std::vector<float> logitsOf(const cwb::Model &model,
                            const cwb::CompressedReplacements *replacements = nullptr)
{
    cwb::EngineOptions o;
    o.threads = 2;
    if (replacements) {
        o.replacements = replacements->matrices;
        o.vectorReplacements = replacements->vectors;
    }
    return cwbtest::logitsOf(model, o);
}

cwb::CompressParams smallCalibration(const std::string &text)
{
    cwb::CompressParams p;
    p.calibrationPath = text;
    p.calibration.sequences = 8;
    p.calibration.tokensPerSequence = 128;
    p.threads = 2;
    return p;
}

} // namespace

class TestRecipeStructures : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void planShapesAndTotals();
    void planRefusesWhatTheEngineCannotRun();
    void pipelineEqualsThePrunerAndTheArchiveRebuildsIt();
    void droppedBlockRoundTrips();
    void nonUniformWidthsRunHereButNotInLlamaCpp();
};

void TestRecipeStructures::planShapesAndTotals()
{
    CWB_SHARED_FILE(path, kModel);
    const cwb::Model model = cwb::io::openModel(path);
    // stories260K: dim 64, FFN 172, 8 heads / 4 KV heads of 8, 5 layers.
    const cwb::Plan plan = planOf(model, R"([
        {"match": "layers.*.mlp.*", "methods": [{"method": "prune_channels", "params": {"keep": 0.5}}]},
        {"match": "layers.*.attn.*", "methods": [{"method": "prune_heads", "params": {"keep_count": 3}}]},
        {"match": "re:layers\\.4\\..*", "methods": [{"method": "drop_block"}]}])");
    QVERIFY2(plan.valid(), errorsOf(plan).c_str());
    QCOMPARE(tensorPlan(plan, "layers.0.mlp.gate").shapeAfterStructure(),
             (std::vector<int64_t>{86, 64}));
    QCOMPARE(tensorPlan(plan, "layers.0.mlp.down").shapeAfterStructure(),
             (std::vector<int64_t>{64, 86}));
    QVERIFY(tensorPlan(plan, "layers.0.mlp.down").structure.refitted);
    QVERIFY(!tensorPlan(plan, "layers.0.mlp.gate").structure.refitted);
    QCOMPARE(tensorPlan(plan, "layers.1.attn.q").shapeAfterStructure(),
             (std::vector<int64_t>{48, 64}));
    QCOMPARE(tensorPlan(plan, "layers.1.attn.k").shapeAfterStructure(),
             (std::vector<int64_t>{24, 64}));
    QCOMPARE(tensorPlan(plan, "layers.1.attn.o").shapeAfterStructure(),
             (std::vector<int64_t>{64, 48}));
    QVERIFY(tensorPlan(plan, "layers.4.attn_norm").structure.removed);
    QCOMPARE(tensorPlan(plan, "layers.4.mlp.up").estimate.total(), uint64_t(0));
    // The block before the dropped one carries its update.
    QVERIFY(tensorPlan(plan, "layers.3.mlp.down").structure.what.find("carries block 4")
            != std::string::npos);
    // "keep" of a rewritten tensor is counted at its type's size in the new shape.
    QCOMPARE(tensorPlan(plan, "layers.0.mlp.gate").estimate.total(), uint64_t(86 * 64 * 4));

    const cwb::PlanStructures ps = cwb::planStructures(plan, model);
    QVERIFY(ps.any);
    QCOMPARE(ps.plan.ffnKeep, (std::vector<int64_t>{86, 86, 86, 86, -1})); // 4 is dropped
    QCOMPARE(ps.plan.kvGroupsKeep, int64_t(3));
    QCOMPARE(ps.plan.dropBlocks, (std::vector<int64_t>{4}));
    QCOMPARE(plan.totals.parameters - plan.totals.parametersAfter,
             cwb::parametersRemoved(model, ps.plan));

    // The per-tensor slots see the smaller rows: q8_0's block of 32 does not divide 86.
    const cwb::Plan q8 = planOf(model, R"([
        {"match": "layers.*.mlp.*", "methods": [{"method": "prune_channels", "params": {"keep": 0.5}}, {"method": "q8_0"}]}])");
    QVERIFY(errorsOf(q8).find("layers.0.mlp.down (blk.0.ffn_down.weight): q8_0's block of 32 "
                              "does not divide the row length 86")
            != std::string::npos);
}

void TestRecipeStructures::planRefusesWhatTheEngineCannotRun()
{
    CWB_SHARED_FILE(path, kModel);
    const cwb::Model model = cwb::io::openModel(path);
    const auto expect = [&](const std::string &rules, const std::string &part) {
        const cwb::Plan plan = planOf(model, rules);
        const std::string errors = errorsOf(plan);
        QVERIFY2(errors.find(part) != std::string::npos, (part + " missing in\n" + errors).c_str());
    };
    // Only one of a layer's FFN matrices.
    expect(R"([{"match": "layers.*.mlp.gate", "methods": [{"method": "prune_channels"}]}])",
           "layers.0.mlp.up (blk.0.ffn_up.weight): prune_channels must be set alike on every "
           "tensor of the structure");
    // On a tensor it does not apply to.
    expect(R"([{"match": "layers.*.attn.q", "methods": [{"method": "prune_channels"}]}])",
           "prune_channels applies to a layer's mlp.gate, mlp.up and mlp.down only");
    expect(R"([{"match": "embed", "methods": [{"method": "drop_block"}]}])",
           "drop_block applies to the matrices of a layer");
    // Head counts that differ between layers.
    expect(R"([{"match": "layers.*.attn.*", "methods": [{"method": "prune_heads", "params": {"keep_count": 3}}]},
               {"match": "layers.2.attn.*", "methods": [{"method": "prune_heads", "params": {"keep_count": 2}}]}])",
           "this workbench's engine runs one head count in every layer");
    // Two repair settings in one plan.
    expect(R"([{"match": "layers.0.mlp.*", "methods": [{"method": "prune_channels", "params": {"repair": false}}]},
               {"match": "layers.1.mlp.*", "methods": [{"method": "prune_channels"}]}])",
           "every structure of a plan is scored and repaired with one setting");
    // More channels than the layer has; every block dropped.
    expect(R"([{"match": "layers.*.mlp.*", "methods": [{"method": "prune_channels", "params": {"keep_count": 200}}]}])",
           "keep 200 channels of 172");
    expect(R"([{"match": "layers.*", "methods": [{"method": "drop_block"}]}])",
           "every block would be dropped");
    // Calibration: the scores and the repair read Hessians.
    const cwb::Plan noCalib = planOf(
        model, R"([{"match": "layers.*.mlp.*", "methods": [{"method": "prune_channels"}]}])",
        false);
    QVERIFY(errorsOf(noCalib).find("prune_channels needs calibration text") != std::string::npos);
}

void TestRecipeStructures::pipelineEqualsThePrunerAndTheArchiveRebuildsIt()
{
    CWB_SHARED_FILE(path, kModel);
    CWB_SHARED_FILE(text, kText);
    const cwb::Model model = cwb::io::openModel(path);
    const cwb::Plan plan = planOf(model, R"([
        {"match": "layers.*.mlp.*", "methods": [{"method": "prune_channels", "params": {"keep": 0.5}}]},
        {"match": "layers.*.attn.*", "methods": [{"method": "prune_heads", "params": {"keep_count": 3}}]}])");
    QVERIFY2(plan.valid(), errorsOf(plan).c_str());
    const cwb::CompressParams params = smallCalibration(text);
    const cwb::CompressedModel cm = cwb::compressModel(model, plan, params);
    QVERIFY(cm.structure.any());
    QCOMPARE(cm.structure.kvHeads, int64_t(3));
    QCOMPARE(cm.structure.heads, int64_t(6));
    QCOMPARE(cm.structure.layers, int64_t(5));
    QCOMPARE(cm.structure.changes.size(), size_t(10)); // FFN and KV groups of every layer
    for (const auto &c : cm.structure.changes)
        QVERIFY2(c.errorRepaired >= 0 && c.errorRepaired < c.errorRemoved, c.tensor.c_str());
    // Every tensor the step changed is stored (keep: F32 in the new shape), nothing else.
    QCOMPARE(cm.tensors.size(), size_t(5 * 7));
    QCOMPARE(cm.totals.parameters, uint64_t(cm.structure.parametersAfter));
    QCOMPARE(cm.totals.compressedBytes, plan.totals.estimatedBytes);

    // The same weights as cwb prune's functions give on the same statistics.
    cwb::ActivationParams ap = params.calibration;
    ap.collectHessians = true;
    ap.threads = 2;
    const cwb::ActivationStats stats = cwb::collectActivationStats(model, text, ap);
    const cwb::PlanStructures ps = cwb::planStructures(plan, model);
    const cwb::StructureScores scores =
        cwb::scoreChannelsAndGroups(model, stats, ps.plan.score, ps.plan.repairParams);
    const cwb::StructuredOutcome direct = cwb::applyStructuredPlan(model, stats, scores, ps.plan);
    const cwb::Model rebuilt = cwb::structuredSource(model, cm);
    const cwb::CompressedReplacements weights = cwb::replacementsOf(cm);
    const std::vector<float> expected = logitsOf(direct.model);
    QCOMPARE(logitsOf(rebuilt, &weights), expected);

    // The archive: written, read back, its source rebuilt into the smaller model.
    QTemporaryDir dir;
    const std::string archive = dir.filePath(QStringLiteral("s.cwbarchive")).toStdString();
    cwb::writeArchive(archive, cm);
    const cwb::OpenedArchive opened = cwb::openArchive(archive, path);
    QCOMPARE(opened.compressed.structure.changes.size(), cm.structure.changes.size());
    QCOMPARE(opened.source->hparams.nKvHeads, int64_t(3));
    QCOMPARE(logitsOf(*opened.source, &opened.replacements), expected);
}

void TestRecipeStructures::droppedBlockRoundTrips()
{
    CWB_SHARED_FILE(path, kModel);
    CWB_SHARED_FILE(text, kText);
    const cwb::Model model = cwb::io::openModel(path);
    // Block 2 dropped (its update absorbed by block 1's mlp.down), then q8_0 on the attention
    // matrices (rows of 64): the per-tensor plan follows the renumbered layers.
    const cwb::Plan plan = planOf(model, R"([
        {"match": "re:layers\\.2\\..*", "methods": [{"method": "drop_block"}]},
        {"match": "layers.*.attn.*", "methods": [{"method": "q8_0"}]}])");
    QVERIFY2(plan.valid(), errorsOf(plan).c_str());
    const cwb::CompressedModel cm = cwb::compressModel(model, plan, smallCalibration(text));
    QCOMPARE(cm.structure.droppedBlocks, (std::vector<int64_t>{2}));
    QCOMPARE(cm.structure.layers, int64_t(4));
    const cwb::CompressedTensor *down1 = cm.find("layers.1.mlp.down");
    QVERIFY(down1 != nullptr); // refitted: stored
    // layers.3 of the smaller model is layers.4 of the source, planned q8_0 there.
    const cwb::CompressedTensor *q3 = cm.find("layers.3.attn.q");
    QVERIFY(q3 && q3->report.format.find("Q8_0") != std::string::npos);
    QVERIFY(cm.find("layers.4.attn.q") == nullptr);

    QTemporaryDir dir;
    const std::string archive = dir.filePath(QStringLiteral("d.cwbarchive")).toStdString();
    cwb::writeArchive(archive, cm);
    const cwb::OpenedArchive opened = cwb::openArchive(archive, path);
    QCOMPARE(opened.source->hparams.nLayers, int64_t(4));
    const cwb::Model rebuilt = cwb::structuredSource(model, cm);
    const cwb::CompressedReplacements weights = cwb::replacementsOf(cm);
    QCOMPARE(logitsOf(*opened.source, &opened.replacements), logitsOf(rebuilt, &weights));
    // Per-tensor comparison with the original pairs the source's layers: the smaller model's
    // layers.3 is the source's layers.4; the source's layers.2 has no partner.
    {
        auto original = std::make_shared<const cwb::Model>(model);
        auto smaller = std::make_shared<const cwb::Model>(rebuilt);
        auto compression = std::make_shared<const cwb::CompressedModel>(cm);
        const cwb::CompareSide a = cwb::modelCompareSide(original);
        const cwb::CompareSide b = cwb::compressedCompareSide(smaller, compression, "pruned");
        std::vector<std::string> notes;
        const auto rows = cwb::compareTensors(a, b, {}, notes);
        int checked = 0;
        for (const auto &r : rows) {
            if (r.canonical == "layers.2.attn.q") {
                QVERIFY(r.a.present && !r.b.present);
                ++checked;
            }
            if (r.canonical == "layers.4.attn.q") {
                QVERIFY(r.a.present && r.b.present);
                QVERIFY2(r.b.format.find("Q8_0") != std::string::npos, r.b.format.c_str());
                ++checked;
            }
        }
        QCOMPARE(checked, 2);
    }
    // A source that does not fit: the record names the blocks it cannot find.
    cwb::CompressedModel wrong = cm;
    wrong.structure.droppedBlocks = {7};
    QVERIFY(cwbtest::errorOf([&] { (void)cwb::structuredSource(model, wrong); })
                .find("drops block 7, which this model does not have")
            != std::string::npos);
}

void TestRecipeStructures::nonUniformWidthsRunHereButNotInLlamaCpp()
{
    CWB_SHARED_FILE(path, kModel);
    CWB_SHARED_FILE(text, kText);
    const cwb::Model model = cwb::io::openModel(path);
    const cwb::Plan plan = planOf(model, R"([
        {"match": "layers.*.mlp.*", "methods": [{"method": "prune_channels", "params": {"keep": 0.75}}]},
        {"match": "layers.1.mlp.*", "methods": [{"method": "prune_channels", "params": {"keep": 0.5}}]}])");
    QVERIFY2(plan.valid(), errorsOf(plan).c_str()); // this engine runs per-layer widths
    const cwb::CompressedModel cm = cwb::compressModel(model, plan, smallCalibration(text));
    const cwb::Model smaller = cwb::structuredSource(model, cm);
    QCOMPARE(smaller.findTensor("layers.1.mlp.down")->shape, (std::vector<int64_t>{64, 86}));
    QCOMPARE(smaller.findTensor("layers.2.mlp.down")->shape, (std::vector<int64_t>{64, 129}));
    QVERIFY(!logitsOf(smaller, nullptr).empty());
    QTemporaryDir dir;
    for (const cwb::ExportTarget target : {cwb::ExportTarget::Gguf, cwb::ExportTarget::Safetensors}) {
        cwb::ExportRequest r;
        r.target = target;
        r.model = &smaller;
        r.compressed = &cm;
        r.outPath = dir.filePath(QStringLiteral("out")).toStdString();
        const std::string err = cwbtest::errorOf([&] { (void)cwb::runExport(r); });
        QVERIFY2(err.find("tensor layers.1.mlp.gate/up/down: FFN width 86 differs from layer 0's 129")
                     != std::string::npos,
                 err.c_str());
        QVERIFY2(err.find(target == cwb::ExportTarget::Gguf ? "llama.cpp" : "LlamaConfig")
                     != std::string::npos,
                 err.c_str());
        QVERIFY(!QFileInfo::exists(dir.filePath(QStringLiteral("out"))));
    }
}

QTEST_GUILESS_MAIN(TestRecipeStructures)
#include "test_recipe_structures.moc"
