// SPDX-License-Identifier: MIT
// Editing recipes field by field (recipe/recipe_edit.h): edits land in the tensor's override and
// resolve with resolve.h's precedence (a new method replaces, a param merges, "none" empties),
// refused values name the tensor and parameter and leave the recipe untouched, and
// recipeToJson writes version 1 JSON that parses back to an equal recipe.

#include "test_support.h"

#include "recipe/recipe.h"
#include "recipe/recipe_edit.h"
#include "recipe/resolve.h"
#include "util/error.h"

#include <QTest>

#include <string>

namespace {

using cwb::MethodSlot;
using Source = cwb::Provenance::Source;

cwb::Tensor tensor(std::string name, std::string canonical, std::vector<int64_t> shape)
{
    cwb::Tensor t;
    t.name = std::move(name);
    t.canonical = std::move(canonical);
    t.shape = std::move(shape);
    t.dtype = cwb::DType::F32;
    t.byteSize = cwb::storageBytes(t.dtype, static_cast<uint64_t>(t.numel())).value_or(0);
    return t;
}

cwb::Model syntheticModel()
{
    cwb::Model m;
    m.path = "synthetic";
    m.tensors.push_back(tensor("token_embd.weight", "embed", {512, 64}));
    m.tensors.push_back(tensor("blk.0.attn_q.weight", "layers.0.attn.q", {64, 64}));
    m.tensors.push_back(tensor("blk.0.attn_norm.weight", "layers.0.attn_norm", {64}));
    m.tensors.push_back(tensor("blk.0.ffn_down.weight", "layers.0.mlp.down", {64, 172}));
    m.tensors.push_back(tensor("mystery.weight", "", {32, 32}));
    return m;
}

const cwb::TensorPlan &planFor(const cwb::Plan &plan, const std::string &canonicalOrName)
{
    for (const auto &tp : plan.tensors)
        if (tp.canonical == canonicalOrName || tp.name == canonicalOrName)
            return tp;
    throw std::runtime_error("no tensor " + canonicalOrName + " in the plan");
}

cwb::TensorKey key(const cwb::Model &m, const std::string &canonicalOrName)
{
    const cwb::Tensor *t = m.findTensor(canonicalOrName);
    if (!t)
        throw std::runtime_error("no tensor " + canonicalOrName);
    return {t->canonical, t->name};
}

// Every section, comments, "none" entries, every value type, a regex and names needing quotes.
const char *kFullRecipe = R"({
  "version": 1,
  "name": "full form",
  "description": "every section",
  "defaults": {"methods": [{"method": "magnitude", "params": {"sparsity": 0.25}},
                           {"method": "rtn", "params": {"bits": 4, "group": -1}}],
               "params": {"gptq": {"damp": 0.02, "act_order": false},
                          "ternary": {"eps": 1e-05, "packing": "base3"},
                          "rtn": {}}},
  "rules": [
    {"match": "layers.*", "methods": [{"method": "gptq", "params": {"bits": 3, "group": 32}}],
     "comment": "all layers"},
    {"match": "re:layers\\.(0|1)\\..*",
     "methods": [{"method": "none", "kind": "prune"}, {"method": "svd", "params": {"energy": 0.9}},
                 {"method": "fp8_e4m3", "params": {"granularity": "per-channel"}}]},
    {"match": "embed", "methods": [{"method": "none", "kind": "lowrank"}, {"method": "q8_0"}]}
  ],
  "overrides": {
    "blk.0.ffn_down.weight": {"methods": [{"method": "keep"}], "comment": "kept"},
    "layers.0.attn.q": {"methods": [{"method": "none", "kind": "prune"},
                                    {"method": "rtn", "params": {"bits": 8, "sym": false}}]}
  }
})";

} // namespace

class TestRecipeEdit : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void jsonRoundTrip();
    void minimalRecipeRoundTrip();
    void editedRecipeRoundTrip();
    void paramEditsMergeIntoTheOverride();
    void methodEditsReplaceTheSlot();
    void noneEmptiesPruneAndLowRank();
    void existingOverrideIsEditedUnderItsName();
    void clearOverride();
    void refusedValuesNameTheParam_data();
    void refusedValuesNameTheParam();
    void sameRecipeComparesContent();
};

void TestRecipeEdit::jsonRoundTrip()
{
    const cwb::Recipe r = cwb::parseRecipe(kFullRecipe, "full.json");
    QCOMPARE(r.rules.size(), size_t(3));
    QCOMPARE(r.overrides.size(), size_t(2));
    const std::string json = cwb::recipeToJson(r);
    const cwb::Recipe back = cwb::parseRecipe(json, "written.json");
    QVERIFY2(cwb::sameRecipe(r, back), json.c_str());
    // Writing again gives the same bytes: nothing is lost or reordered.
    QCOMPARE(cwb::recipeToJson(back), json);
    // Values keep their types: 1e-05 stays a float, -1 an integer, "base3" a string.
    QCOMPARE(back.defaultParams[1].second[0].second, cwb::ParamValue{1e-05});
    QCOMPARE(back.defaultMethods[1].params[1].second, cwb::ParamValue{int64_t{-1}});
    QCOMPARE(back.defaultParams[1].second[1].second, cwb::ParamValue{std::string("base3")});
    QCOMPARE(back.defaultParams[2].first, std::string("rtn"));
    QVERIFY(back.defaultParams[2].second.empty());
    QCOMPARE(back.rules[1].methods[0].method, std::string("none"));
    QCOMPARE(back.rules[1].methods[0].slot, MethodSlot::Prune);
    QCOMPARE(back.rules[2].methods[0].slot, MethodSlot::LowRank);
    QCOMPARE(back.rules[0].comment, std::string("all layers"));
    QCOMPARE(back.overrides[0].comment, std::string("kept"));
    QCOMPARE(back.name, std::string("full form"));
    // The same plan either way.
    const cwb::Model m = syntheticModel();
    const cwb::Plan a = cwb::resolvePlan(r, m, {true});
    const cwb::Plan b = cwb::resolvePlan(back, m, {true});
    for (size_t i = 0; i < a.tensors.size(); ++i)
        QCOMPARE(b.tensors[i].summary(), a.tensors[i].summary());
    QCOMPARE(b.totals.estimatedBytes, a.totals.estimatedBytes);
}

void TestRecipeEdit::minimalRecipeRoundTrip()
{
    const cwb::Recipe empty;
    const std::string json = cwb::recipeToJson(empty);
    QCOMPARE(json, std::string("{\n  \"version\": 1\n}\n"));
    QVERIFY(cwb::sameRecipe(cwb::parseRecipe(json, "empty.json"), empty));

    // defaults.params without defaults.methods, and an empty defaults.methods list.
    const cwb::Recipe r = cwb::parseRecipe(
        R"({"version": 1, "defaults": {"params": {"awq": {"alpha_grid": 5}}}})", "p.json");
    const std::string written = cwb::recipeToJson(r);
    QVERIFY(written.find("\"methods\"") == std::string::npos);
    QVERIFY(cwb::sameRecipe(cwb::parseRecipe(written, "w.json"), r));
}

void TestRecipeEdit::editedRecipeRoundTrip()
{
    // A recipe built in code (as the GUI starts one), then edited: what is written parses back
    // to the same recipe and resolves to the same plan.
    const cwb::Model m = syntheticModel();
    cwb::Recipe r;
    r.name = "edited \"quoted\" \xc3\xbcml\xc3\xa4ut"; // quotes and UTF-8 are escaped / kept
    r.defaultMethods.push_back({"rtn", MethodSlot::Quantize, {{"bits", int64_t{8}}}, {}});
    r.defaultParams.push_back({"rtn", {{"group", int64_t{-1}}}});
    r.rules.push_back(
        {0, "layers.*", {{"gptq", MethodSlot::Quantize, {{"group", int64_t{-1}}}, {}}}, "layers"});
    cwb::setOverrideParam(r, key(m, "layers.0.attn.q"), "gptq", "bits", int64_t{3});
    cwb::setOverrideMethod(r, key(m, "layers.0.mlp.down"), MethodSlot::Quantize, "keep");
    cwb::setOverrideMethod(r, key(m, "layers.0.mlp.down"), MethodSlot::Prune, "none");
    cwb::setOverrideMethod(r, key(m, "embed"), MethodSlot::LowRank, "svd");
    cwb::setOverrideParam(r, key(m, "embed"), "svd", "rank", int64_t{16});
    cwb::setOverrideParam(r, key(m, "embed"), "rtn", "sym", false);
    cwb::setOverrideParam(r, key(m, "mystery.weight"), "rtn", "f16_scales", false);
    QCOMPARE(r.overrides.size(), size_t(4));

    const std::string json = cwb::recipeToJson(r);
    const cwb::Recipe back = cwb::parseRecipe(json, "edited.json");
    QVERIFY2(cwb::sameRecipe(back, r), json.c_str());
    const cwb::Plan a = cwb::resolvePlan(r, m, {true});
    const cwb::Plan b = cwb::resolvePlan(back, m, {true});
    QVERIFY2(a.valid(), a.errors.empty() ? "" : a.errors.front().text().c_str());
    for (size_t i = 0; i < a.tensors.size(); ++i)
        QCOMPARE(b.tensors[i].summary(), a.tensors[i].summary());
    QCOMPARE(planFor(a, "embed").summary(),
             std::string("svd(rank=16, energy=0.95) -> rtn(bits=8, group=-1, sym=false, "
                         "f16_scales=true)"));
    QCOMPARE(planFor(a, "layers.0.mlp.down").summary(), std::string("keep"));
    QCOMPARE(planFor(a, "layers.0.attn.q").slot(MethodSlot::Quantize).describe(),
             std::string("gptq(bits=3, group=-1, sym=true, damp=0.01, act_order=true, "
                         "block_size=128)"));
}

void TestRecipeEdit::paramEditsMergeIntoTheOverride()
{
    const cwb::Model m = syntheticModel();
    cwb::Recipe r = cwb::parseRecipe(
        R"({"version": 1, "rules": [{"match": "layers.*.attn.*",
             "methods": [{"method": "gptq", "params": {"bits": 4, "group": 32}}]},
            {"match": "layers.*.mlp.*",
             "methods": [{"method": "rtn", "params": {"group": -1}}]}]})",
        "r.json");
    const cwb::TensorKey q = key(m, "layers.0.attn.q");
    cwb::setOverrideParam(r, q, "gptq", "bits", int64_t{3});
    QCOMPARE(r.overrides.size(), size_t(1));
    QCOMPARE(r.overrides[0].tensor, std::string("layers.0.attn.q")); // canonical name
    QCOMPARE(r.overrides[0].methods.size(), size_t(1));
    QCOMPARE(r.overrides[0].methods[0].method, std::string("gptq"));

    cwb::Plan plan = cwb::resolvePlan(r, m, {true});
    QVERIFY(plan.valid());
    const cwb::SlotPlan &slot = planFor(plan, "layers.0.attn.q").slot(MethodSlot::Quantize);
    QCOMPARE(slot.method, std::string("gptq"));
    QCOMPARE(slot.from.source, Source::Rule); // the method itself still comes from the rule
    QCOMPARE(slot.value("bits"), cwb::ParamValue{int64_t{3}});
    QCOMPARE(slot.find("bits")->from.source, Source::Override);
    QCOMPARE(slot.value("group"), cwb::ParamValue{int64_t{32}});
    QCOMPARE(slot.find("group")->from.source, Source::Rule);
    // The other layer tensor is untouched.
    QCOMPARE(planFor(plan, "layers.0.mlp.down").slot(MethodSlot::Quantize).value("bits"),
             cwb::ParamValue{int64_t{4}});

    // A second param joins the same entry; setting bits again replaces the value in place.
    cwb::setOverrideParam(r, q, "gptq", "group", int64_t{-1});
    cwb::setOverrideParam(r, q, "gptq", "bits", int64_t{5});
    QCOMPARE(r.overrides[0].methods.size(), size_t(1));
    const cwb::ParamList expected = {{"bits", int64_t{5}}, {"group", int64_t{-1}}};
    QVERIFY(r.overrides[0].methods[0].params == expected);
    plan = cwb::resolvePlan(r, m, {true});
    QCOMPARE(planFor(plan, "layers.0.attn.q").slot(MethodSlot::Quantize).describe(),
             std::string("gptq(bits=5, group=-1, sym=true, damp=0.01, act_order=true, "
                         "block_size=128)"));

    // An integer for a float parameter is stored as a float.
    cwb::setOverrideParam(r, q, "gptq", "damp", int64_t{1});
    QCOMPARE(r.overrides[0].methods[0].params.back().second, cwb::ParamValue{1.0});

    // A param of a prune method adds that slot's entry before the quantize entry.
    cwb::setOverrideParam(r, q, "magnitude", "sparsity", 0.75);
    QCOMPARE(r.overrides[0].methods.size(), size_t(2));
    QCOMPARE(r.overrides[0].methods[0].method, std::string("magnitude"));
    QVERIFY(cwb::sameRecipe(cwb::parseRecipe(cwb::recipeToJson(r), "w.json"), r));
}

void TestRecipeEdit::methodEditsReplaceTheSlot()
{
    const cwb::Model m = syntheticModel();
    cwb::Recipe r = cwb::parseRecipe(
        R"({"version": 1, "rules": [{"match": "layers.*",
             "methods": [{"method": "gptq", "params": {"bits": 3, "group": 32}}]}]})",
        "r.json");
    const cwb::TensorKey q = key(m, "layers.0.attn.q");
    cwb::setOverrideParam(r, q, "gptq", "bits", int64_t{2});
    cwb::setOverrideMethod(r, q, MethodSlot::Quantize, "rtn");
    QCOMPARE(r.overrides[0].methods.size(), size_t(1));
    QCOMPARE(r.overrides[0].methods[0].method, std::string("rtn"));
    QVERIFY(r.overrides[0].methods[0].params.empty()); // gptq's bits went with it

    cwb::Plan plan = cwb::resolvePlan(r, m);
    const cwb::SlotPlan &slot = planFor(plan, "layers.0.attn.q").slot(MethodSlot::Quantize);
    QCOMPARE(slot.method, std::string("rtn"));
    QCOMPARE(slot.from.source, Source::Override);
    QCOMPARE(slot.value("bits"), cwb::ParamValue{int64_t{4}}); // rtn's default, not the rule's 3
    QCOMPARE(slot.find("bits")->from.source, Source::Schema);

    // Choosing the method the override already holds keeps its params.
    cwb::setOverrideParam(r, q, "rtn", "bits", int64_t{6});
    cwb::setOverrideMethod(r, q, MethodSlot::Quantize, "rtn");
    QCOMPARE(r.overrides[0].methods[0].params.size(), size_t(1));

    // Methods go in pipeline order whatever order they are set in.
    cwb::setOverrideMethod(r, q, MethodSlot::LowRank, "svd");
    cwb::setOverrideMethod(r, q, MethodSlot::Prune, "magnitude");
    QCOMPARE(r.overrides[0].methods.size(), size_t(3));
    QCOMPARE(r.overrides[0].methods[0].slot, MethodSlot::Prune);
    QCOMPARE(r.overrides[0].methods[1].slot, MethodSlot::LowRank);
    QCOMPARE(r.overrides[0].methods[2].slot, MethodSlot::Quantize);
    plan = cwb::resolvePlan(r, m);
    QCOMPARE(planFor(plan, "layers.0.attn.q").summary(),
             std::string("magnitude(sparsity=0.5, nm=none) -> svd(rank=0, energy=0.95) -> "
                         "rtn(bits=6, group=128, sym=true, f16_scales=true)"));
    QVERIFY(cwb::sameRecipe(cwb::parseRecipe(cwb::recipeToJson(r), "w.json"), r));
}

void TestRecipeEdit::noneEmptiesPruneAndLowRank()
{
    const cwb::Model m = syntheticModel();
    cwb::Recipe r = cwb::parseRecipe(
        R"({"version": 1, "defaults": {"methods": [{"method": "wanda"}, {"method": "svd"},
                                                   {"method": "rtn"}]}})",
        "r.json");
    const cwb::TensorKey down = key(m, "layers.0.mlp.down");
    cwb::setOverrideMethod(r, down, MethodSlot::Prune, "none");
    cwb::setOverrideMethod(r, down, MethodSlot::LowRank, "none");
    QCOMPARE(r.overrides[0].methods.size(), size_t(2));
    const cwb::Plan plan = cwb::resolvePlan(r, m, {true});
    const cwb::TensorPlan &tp = planFor(plan, "layers.0.mlp.down");
    QVERIFY(!tp.slot(MethodSlot::Prune).used());
    QVERIFY(!tp.slot(MethodSlot::LowRank).used());
    QCOMPARE(tp.slot(MethodSlot::Prune).from.source, Source::Override);
    QCOMPARE(tp.slot(MethodSlot::Quantize).method, std::string("rtn"));
    QVERIFY(planFor(plan, "layers.0.attn.q").slot(MethodSlot::Prune).used());

    const std::string json = cwb::recipeToJson(r);
    QVERIFY2(json.find(R"("kind": "lowrank")") != std::string::npos, json.c_str());
    QVERIFY(cwb::sameRecipe(cwb::parseRecipe(json, "w.json"), r));

    // A param edit cannot go into a slot the override empties.
    const std::string e = cwbtest::errorOf(
        [&] { cwb::setOverrideParam(r, down, "wanda", "sparsity", 0.3); });
    QVERIFY2(e.find("layers.0.mlp.down") != std::string::npos
                 && e.find("sparsity") != std::string::npos
                 && e.find("\"none\"") != std::string::npos,
             e.c_str());
}

void TestRecipeEdit::existingOverrideIsEditedUnderItsName()
{
    const cwb::Model m = syntheticModel();
    cwb::Recipe r = cwb::parseRecipe(
        R"({"version": 1, "overrides": {"blk.0.ffn_down.weight": {"methods": [
             {"method": "rtn", "params": {"group": -1}}],
                                                                "comment": "by file name"}}})",
        "r.json");
    const cwb::TensorKey down = key(m, "layers.0.mlp.down");
    QVERIFY(cwb::findOverride(r, down));
    cwb::setOverrideParam(r, down, "rtn", "bits", int64_t{8});
    QCOMPARE(r.overrides.size(), size_t(1)); // not a second override under the canonical name
    QCOMPARE(r.overrides[0].tensor, std::string("blk.0.ffn_down.weight"));
    QCOMPARE(r.overrides[0].comment, std::string("by file name"));
    const cwb::Plan plan = cwb::resolvePlan(r, m);
    QVERIFY(plan.valid());
    QCOMPARE(planFor(plan, "layers.0.mlp.down").slot(MethodSlot::Quantize).value("bits"),
             cwb::ParamValue{int64_t{8}});

    // A tensor without a canonical name is keyed by its file name.
    const cwb::TensorKey mystery = key(m, "mystery.weight");
    cwb::setOverrideMethod(r, mystery, MethodSlot::Quantize, "f16");
    QCOMPARE(r.overrides.back().tensor, std::string("mystery.weight"));
    QCOMPARE(cwb::resolvePlan(r, m).tensors.back().slot(MethodSlot::Quantize).method,
             std::string("f16"));
}

void TestRecipeEdit::clearOverride()
{
    const cwb::Model m = syntheticModel();
    cwb::Recipe r = cwb::parseRecipe(kFullRecipe, "full.json");
    const cwb::Recipe original = r;
    const cwb::TensorKey q = key(m, "layers.0.attn.q");
    const cwb::TensorKey embed = key(m, "embed");
    cwb::setOverrideMethod(r, embed, MethodSlot::Quantize, "q4_k");
    QCOMPARE(r.overrides.size(), size_t(3));
    QVERIFY(cwb::clearOverride(r, embed));
    QVERIFY(cwb::sameRecipe(r, original));
    QVERIFY(!cwb::clearOverride(r, embed));

    QVERIFY(cwb::clearOverride(r, q));
    QCOMPARE(r.overrides.size(), size_t(1));
    const cwb::Plan plan = cwb::resolvePlan(r, m, {true});
    // Back to the rules: rules[0] gptq bits 3, then rules[1]'s fp8 replaces it.
    const cwb::TensorPlan &tp = planFor(plan, "layers.0.attn.q");
    QCOMPARE(tp.slot(MethodSlot::Quantize).method, std::string("fp8_e4m3"));
    QVERIFY(tp.overrideName.empty());
}

void TestRecipeEdit::refusedValuesNameTheParam_data()
{
    QTest::addColumn<QString>("method");
    QTest::addColumn<QString>("param");
    QTest::addColumn<QString>("kind"); // value type: int, float, text, bool
    QTest::addColumn<QString>("value");
    QTest::addColumn<QString>("expected");
    QTest::newRow("bits out of range")
        << "rtn" << "bits" << "int" << "9"
        << "layers.0.attn.q: rtn bits: 9 is out of range 2..8";
    QTest::newRow("group not allowed")
        << "gptq" << "group" << "int" << "48"
        << "layers.0.attn.q: gptq group: 48 is not one of -1, 0, 32, 64, 128, 256";
    QTest::newRow("sparsity 1 excluded")
        << "magnitude" << "sparsity" << "float" << "1"
        << "layers.0.attn.q: magnitude sparsity: 1 is out of range [0, 1)";
    QTest::newRow("bits given as text")
        << "awq" << "bits" << "text" << "4"
        << "layers.0.attn.q: awq bits: \"4\" is not an integer";
    QTest::newRow("unknown choice")
        << "magnitude" << "nm" << "text" << "3:4"
        << "layers.0.attn.q: magnitude nm: \"3:4\" is not one of \"none\", \"2:4\", \"4:8\"";
    QTest::newRow("bool for an int")
        << "svd" << "rank" << "bool" << "true"
        << "layers.0.attn.q: svd rank: true is not an integer";
    QTest::newRow("unknown param")
        << "rtn" << "bitz" << "int" << "4"
        << "layers.0.attn.q: rtn has no parameter \"bitz\" (its parameters: bits, group, sym, "
           "f16_scales)";
    QTest::newRow("keep has no params")
        << "keep" << "bits" << "int" << "4"
        << "layers.0.attn.q: keep has no parameter \"bits\" (its parameters: none)";
    QTest::newRow("unknown method")
        << "rtm" << "bits" << "int" << "4" << "layers.0.attn.q: unknown method \"rtm\"";
    QTest::newRow("override holds another method")
        << "gptq" << "bits" << "int" << "4"
        << "layers.0.attn.q: gptq bits: the override sets quantize to \"rtn\", not gptq";
}

void TestRecipeEdit::refusedValuesNameTheParam()
{
    QFETCH(QString, method);
    QFETCH(QString, param);
    QFETCH(QString, kind);
    QFETCH(QString, value);
    QFETCH(QString, expected);
    const cwb::Model m = syntheticModel();
    cwb::Recipe r = cwb::parseRecipe(kFullRecipe, "full.json"); // overrides layers.0.attn.q: rtn
    const cwb::Recipe before = r;
    cwb::ParamValue v;
    if (kind == QStringLiteral("int"))
        v = static_cast<int64_t>(value.toLongLong());
    else if (kind == QStringLiteral("float"))
        v = value.toDouble();
    else if (kind == QStringLiteral("bool"))
        v = value == QStringLiteral("true");
    else
        v = value.toStdString();
    const std::string e = cwbtest::errorOf([&] {
        cwb::setOverrideParam(r, key(m, "layers.0.attn.q"), method.toStdString(),
                              param.toStdString(), v);
    });
    QVERIFY2(e.starts_with(expected.toStdString()), e.c_str());
    QVERIFY(cwb::sameRecipe(r, before)); // refused: nothing changed

    // The same for a tensor without an override: none is created by a refused edit.
    const std::string e2 = cwbtest::errorOf([&] {
        cwb::setOverrideParam(r, key(m, "embed"), "rtn", "bits", int64_t{1});
    });
    QVERIFY2(e2.starts_with("embed: rtn bits: 1 is out of range 2..8"), e2.c_str());
    QVERIFY(cwb::sameRecipe(r, before));
}

void TestRecipeEdit::sameRecipeComparesContent()
{
    const cwb::Model m = syntheticModel();
    const cwb::Recipe a = cwb::parseRecipe(kFullRecipe, "a.json");
    cwb::Recipe b = cwb::parseRecipe(kFullRecipe, "b.json");
    QVERIFY(cwb::sameRecipe(a, b)); // the source differs, the content does not
    b.overrides[1].methods[1].params[0].second = int64_t{7};
    QVERIFY(!cwb::sameRecipe(a, b));
    b = a;
    b.rules[0].comment.clear();
    QVERIFY(!cwb::sameRecipe(a, b));
    b = a;
    b.defaultParams[0].second.pop_back();
    QVERIFY(!cwb::sameRecipe(a, b));

    // Method and slot mistakes are refused with the slot named.
    cwb::Recipe r = a;
    const cwb::TensorKey q = key(m, "layers.0.attn.q");
    QCOMPARE(cwbtest::errorOf([&] { cwb::setOverrideMethod(r, q, MethodSlot::Prune, "rtn"); }),
             std::string("layers.0.attn.q: prune: rtn is a quantize method"));
    QCOMPARE(cwbtest::errorOf([&] { cwb::setOverrideMethod(r, q, MethodSlot::Quantize, "none"); }),
             std::string("layers.0.attn.q: quantize: \"none\" cannot empty the quantize slot "
                         "(use \"keep\")"));
    QVERIFY(cwbtest::errorOf([&] { cwb::setOverrideMethod(r, q, MethodSlot::LowRank, "pca"); })
                .starts_with("layers.0.attn.q: lowrank: unknown method \"pca\""));
    QVERIFY(cwb::sameRecipe(r, a));
}

QTEST_GUILESS_MAIN(TestRecipeEdit)
#include "test_recipe_edit.moc"
