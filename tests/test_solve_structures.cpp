// SPDX-License-Identifier: MIT
// Structures as solver candidates: measureFfnKeepDamage (choose/ffn_keep_damage.h) on a real
// model, and solveFromTable trying each FFN fraction with the per-tensor options sized on the
// smaller shapes (choose/solve_recipe.h), on a table whose bytes come from the registry.

#include "choose/ffn_keep_damage.h"
#include "choose/solve_recipe.h"
#include "io/open_model.h"
#include "recipe/resolve.h"
#include "support/test_support.h"

#include <QTest>

#include <numeric>

namespace {

constexpr const char *kStories = "models/stories260K/stories260K.gguf";
constexpr const char *kStoriesText = "data/tinystories/tinystories_validation_head.txt";
constexpr const char *kDev = "models/dev256/dev256-f32.gguf";

// A plan of `method` on every matrix, FFN channels kept at `keep` (1: none removed).
cwb::Plan uniformPlan(const cwb::Model &model, const std::string &method, double keep)
{
    std::string rules = "[]";
    if (keep < 1)
        rules = R"([{"match": "layers.*.mlp.*", "methods": [{"method": "prune_channels", "params": {"keep": )"
                + std::to_string(keep) + "}}]}]";
    const std::string json = R"({"version": 1, "defaults": {"methods": [{"method": ")" + method
                             + R"("}]}, "rules": )" + rules + "}";
    cwb::PlanOptions o;
    o.calibration = true;
    return cwb::resolvePlan(cwb::parseRecipe(json, "uniform"), model, o);
}

// A sensitivity table over every matrix with the registry's bytes and made-up damages: q2_k
// costs ten times q4_k's ΔKLD on every tensor.
cwb::SensitivityTable syntheticTable(const cwb::Model &model)
{
    cwb::SensitivityTable t;
    t.options = {{"q2_k", "Q2_K"}, {"q4_k", "Q4_K"}};
    const cwb::Plan q2 = uniformPlan(model, "q2_k", 1), q4 = uniformPlan(model, "q4_k", 1);
    for (size_t i = 0; i < model.tensors.size(); ++i) {
        const cwb::Tensor &mt = model.tensors[i];
        if (mt.shape.size() != 2 || !mt.tiedTo.empty())
            continue;
        cwb::SensitivityTensor st;
        st.name = mt.name;
        st.canonical = mt.canonical;
        st.parameters = mt.numel();
        st.storedBytes = mt.byteSize;
        st.cells = {{true, {}, q2.tensors[i].estimate.total(), 1e-3},
                    {true, {}, q4.tensors[i].estimate.total(), 1e-4}};
        t.tensors.push_back(st);
    }
    return t;
}

} // namespace

class TestSolveStructures : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void damageIsMeasuredPerLayer();
    void solverRemovesChannelsOnlyWhenItPays();
};

void TestSolveStructures::damageIsMeasuredPerLayer()
{
    CWB_SHARED_FILE(path, kStories);
    CWB_SHARED_FILE(text, kStoriesText);
    const cwb::Model model = cwb::io::openModel(path);
    cwb::FfnKeepParams p;
    p.calibrationPath = text;
    p.keeps = {0.9, 0.4};
    p.windows.windows = 2;
    p.windows.tokensPerWindow = 64;
    p.statisticsSequences = 8;
    p.statisticsTokensPerSequence = 128;
    p.threads = 2;
    const std::vector<cwb::FfnKeepDamage> d = cwb::measureFfnKeepDamage(model, p);
    QCOMPARE(d.size(), size_t(2));
    for (const auto &k : d) {
        QCOMPARE(k.perLayer.size(), size_t(5));
        QCOMPARE(k.counts.size(), size_t(5));
        QCOMPARE(k.summed, std::accumulate(k.perLayer.begin(), k.perLayer.end(), 0.0));
        QVERIFY(k.together > 0);
    }
    QCOMPARE(d[0].counts[0], int64_t(155)); // round(0.9 x 172)
    QCOMPARE(d[1].counts[0], int64_t(69));  // round(0.4 x 172)
    // Removing more than half the channels costs more than a tenth, in every layer's sum.
    QVERIFY(d[1].summed > d[0].summed);
    QVERIFY(d[1].together > d[0].together);
    p.keeps = {1.0};
    QVERIFY(cwbtest::errorOf([&] { (void)cwb::measureFfnKeepDamage(model, p); })
                .find("not a fraction in (0, 1)")
            != std::string::npos);
}

void TestSolveStructures::solverRemovesChannelsOnlyWhenItPays()
{
    CWB_SHARED_FILE(path, kDev);
    const cwb::Model model = cwb::io::openModel(path);
    const cwb::SensitivityTable table = syntheticTable(model);
    cwb::FfnKeepDamage keep75;
    keep75.keep = 0.75;
    keep75.summed = 5e-3;
    keep75.together = 6e-3;
    cwb::SolveParams params;
    params.ffnKeeps = {keep75};

    // A budget all-q2_k meets only with a quarter of the FFN channels gone.
    const uint64_t fullQ2 = uniformPlan(model, "q2_k", 1).totals.estimatedBytes;
    const uint64_t prunedQ2 = uniformPlan(model, "q2_k", 0.75).totals.estimatedBytes;
    QVERIFY(prunedQ2 < fullQ2);
    params.budget.bytes = (fullQ2 + prunedQ2) / 2;
    params.budget.text = "test";
    {
        cwb::SolveParams without = params;
        without.ffnKeeps.clear();
        QVERIFY(!cwbtest::errorOf([&] { (void)cwb::solveFromTable(model, table, without); })
                     .empty());
    }
    const cwb::SolveOutcome tight = cwb::solveFromTable(model, table, params);
    QCOMPARE(tight.ffnKeep, 0.75);
    QCOMPARE(tight.structureKld, 5e-3);
    QVERIFY(tight.totalBytes <= params.budget.bytes);
    QCOMPARE(tight.recipe.rules.size(), size_t(1));
    QCOMPARE(tight.recipe.rules[0].methods[0].method, std::string("prune_channels"));
    // The recipe resolves to the solver's bytes on the smaller shapes (checked inside) and is a
    // valid plan whose FFN matrices are 768 channels wide.
    QVERIFY(tight.plan.valid());
    for (const auto &tp : tight.plan.tensors)
        if (tp.canonical == "layers.2.mlp.down")
            QCOMPARE(tp.shapeAfterStructure(), (std::vector<int64_t>{256, 768}));

    // With room for all-q4_k, removing channels (5e-3) costs more than it saves.
    params.budget.bytes = uniformPlan(model, "q4_k", 1).totals.estimatedBytes + 1000;
    const cwb::SolveOutcome loose = cwb::solveFromTable(model, table, params);
    QCOMPARE(loose.ffnKeep, 1.0);
    QVERIFY(loose.recipe.rules.empty());
    QVERIFY(loose.predictedKld < 5e-3);
}

QTEST_GUILESS_MAIN(TestSolveStructures)
#include "test_solve_structures.moc"
