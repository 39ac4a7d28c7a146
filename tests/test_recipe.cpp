// SPDX-License-Identifier: MIT
// Recipes (version 1): parsing with JSON-path errors, precedence field by field with provenance,
// glob / regex / exact matching and the 1-D rule, overrides, dead and shadowed rules, validation
// that lists every problem at once, byte estimates for known shapes, and the dry-run report;
// on a synthetic model and on the real stories260K.gguf.

#include "test_support.h"

#include "io/open_model.h"
#include "recipe/name_match.h"
#include "recipe/plan_report.h"
#include "recipe/recipe.h"
#include "recipe/resolve.h"
#include "recipe/size_estimate.h"
#include "util/error.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <string>

namespace {

using cwb::MethodSlot;
using Source = cwb::Provenance::Source;

cwb::Tensor tensor(std::string name, std::string canonical, std::vector<int64_t> shape,
                   cwb::DType dtype = cwb::DType::F32)
{
    cwb::Tensor t;
    t.name = std::move(name);
    t.canonical = std::move(canonical);
    t.shape = std::move(shape);
    t.dtype = dtype;
    t.byteSize = cwb::storageBytes(dtype, static_cast<uint64_t>(t.numel())).value_or(0);
    return t;
}

// A small llama-like model; only names, shapes and types matter to a plan.
cwb::Model syntheticModel()
{
    cwb::Model m;
    m.path = "synthetic";
    m.tensors.push_back(tensor("token_embd.weight", "embed", {512, 64}));
    m.tensors.push_back(tensor("output_norm.weight", "final_norm", {64}));
    m.tensors.push_back(tensor("blk.0.attn_q.weight", "layers.0.attn.q", {64, 64}));
    m.tensors.push_back(tensor("blk.0.attn_q.bias", "layers.0.attn.q.bias", {64}));
    m.tensors.push_back(tensor("blk.0.attn_norm.weight", "layers.0.attn_norm", {64}));
    m.tensors.push_back(tensor("blk.0.ffn_down.weight", "layers.0.mlp.down", {64, 172}));
    m.tensors.push_back(tensor("blk.1.attn_q.weight", "layers.1.attn.q", {64, 64}));
    m.tensors.push_back(tensor("blk.1.ffn_down.weight", "layers.1.mlp.down", {64, 256}));
    m.tensors.push_back(tensor("mystery.weight", "", {32, 32}));
    cwb::Tensor head = tensor("output.weight", "head", {512, 64});
    head.tiedTo = "token_embd.weight";
    m.tensors.push_back(head);
    return m;
}

const cwb::TensorPlan &planFor(const cwb::Plan &plan, const std::string &canonicalOrName)
{
    for (const auto &tp : plan.tensors)
        if (tp.canonical == canonicalOrName || tp.name == canonicalOrName)
            return tp;
    throw std::runtime_error("no tensor " + canonicalOrName + " in the plan");
}

std::string allText(const std::vector<cwb::RecipeProblem> &problems)
{
    std::string s;
    for (const auto &p : problems)
        s += p.text() + "\n";
    return s;
}

cwb::Plan resolveText(const std::string &json, const cwb::Model &model, bool calibration = false)
{
    cwb::PlanOptions options;
    options.calibration = calibration;
    return cwb::resolvePlan(cwb::parseRecipe(json, "test.json"), model, options);
}

// stories260K: the brief's example form, adapted to its 172-wide FFN (group 32 cannot divide it).
const char *kStoriesRecipe = R"({
  "version": 1,
  "name": "stories 4-bit",
  "defaults": {"params": {"rtn": {"sym": true}}},
  "rules": [
    {"match": "layers.*", "methods": [{"method": "rtn", "params": {"bits": 4, "group": 32}}]},
    {"match": "layers.*.mlp.down", "methods": [{"method": "rtn", "params": {"group": -1}}]},
    {"match": "embed", "methods": [{"method": "q8_0"}]},
    {"match": "head", "methods": [{"method": "q8_0"}]},
    {"match": "layers.9.*", "methods": [{"method": "f16"}]}
  ],
  "overrides": {"blk.0.ffn_down.weight": {"methods": [{"method": "rtn", "params": {"bits": 8}}]}}
})";

} // namespace

class TestRecipe : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void parsesTheFullForm();
    void parseErrorsNameTheJsonPath_data();
    void parseErrorsNameTheJsonPath();
    void parseListsEveryProblemAtOnce();
    void fatalErrors_data();
    void fatalErrors();
    void recipeFileLimits();
    void methodTableIsConsistent();
    void globMatching_data();
    void globMatching();
    void patternSelection_data();
    void patternSelection();
    void precedenceFieldByField();
    void noneEmptiesASlot();
    void oneDimensionalTensorsNeedExactNames();
    void overridesApplyLastAndMustNameTensors();
    void deadAndShadowedRulesWarn();
    void validationCollectsEveryProblem();
    void calibrationRequirements_data();
    void calibrationRequirements();
    void estimates_data();
    void estimates();
    void ggmlScaleBytesFitTheirBlocks();
    void tiedTensorsCountedOnceWhenPlannedAlike();
    void reportShowsProvenance();
    void storiesExampleRecipe();
    void storiesBadPlanListsEverything();
    void readmeDocumentsTheSchema();
    void codeBuiltRecipesAreChecked();
};

void TestRecipe::parsesTheFullForm()
{
    const cwb::Recipe r = cwb::parseRecipe(R"({
      "version": 1, "name": "n", "description": "d",
      "defaults": {"methods": [{"method": "gptq", "params": {"bits": 4, "group": 128}}],
                   "params": {"gptq": {"damp": 1}}},
      "rules": [{"match": "layers.*", "comment": "all layers",
                 "methods": [{"method": "wanda", "params": {"nm": "2:4"}},
                             {"method": "svd", "params": {"rank": 8}},
                             {"method": "gptq", "params": {"group": 32, "act_order": false}}]}],
      "overrides": {"layers.0.mlp.down": {"methods": [{"method": "keep"}]},
                    "blk.1.attn_q.weight": {"methods": [{"method": "none", "kind": "prune"}]}}
    })",
                                           "r.json");
    QCOMPARE(r.version, 1);
    QCOMPARE(r.name, std::string("n"));
    QCOMPARE(r.description, std::string("d"));
    QCOMPARE(r.defaultMethods.size(), size_t(1));
    QCOMPARE(r.defaultParams.size(), size_t(1));
    // An integer given for a float parameter becomes a double.
    QVERIFY(std::holds_alternative<double>(r.defaultParams[0].second[0].second));
    QCOMPARE(r.rules.size(), size_t(1));
    QCOMPARE(r.rules[0].comment, std::string("all layers"));
    const auto &m = r.rules[0].methods;
    QCOMPARE(m.size(), size_t(3));
    QVERIFY(m[0].slot == MethodSlot::Prune && m[1].slot == MethodSlot::LowRank
            && m[2].slot == MethodSlot::Quantize);
    QCOMPARE(m[2].path, std::string("rules[0].methods[2]"));
    QCOMPARE(cwb::paramInt(m[2].params[0].second), int64_t(32));
    QCOMPARE(cwb::paramBool(m[2].params[1].second), false);
    // Overrides keep file order.
    QCOMPARE(r.overrides.size(), size_t(2));
    QCOMPARE(r.overrides[0].tensor, std::string("layers.0.mlp.down"));
    QCOMPARE(r.overrides[1].methods[0].method, std::string("none"));
    QVERIFY(r.overrides[1].methods[0].slot == MethodSlot::Prune);
}

void TestRecipe::parseErrorsNameTheJsonPath_data()
{
    QTest::addColumn<QString>("json");
    QTest::addColumn<QString>("expected");
    auto rule = [](const char *methods) {
        return QString::fromUtf8(
                   R"({"version": 1, "rules": [{"match": "layers.*", "methods": %1}]})")
            .arg(QString::fromUtf8(methods));
    };
    QTest::newRow("bits out of range")
        << QString::fromUtf8(R"({"version": 1, "rules": [
             {"match": "a*", "methods": [{"method": "rtn"}]},
             {"match": "b*", "methods": [{"method": "rtn"}]},
             {"match": "layers.*", "methods": [{"method": "gptq", "params": {"bits": 9}}]}]})")
        << QString::fromUtf8("rules[2].methods[0].params.bits: 9 is out of range 2..8");
    QTest::newRow("group not allowed")
        << rule(R"([{"method": "rtn", "params": {"group": 48}}])")
        << QString::fromUtf8("rules[0].methods[0].params.group: 48 is "
                             "not one of -1, 0, 32, 64, 128, 256");
    QTest::newRow("bits as string") << rule(R"([{"method": "rtn", "params": {"bits": "4"}}])")
                                    << QString::fromUtf8("params.bits: \"4\" is not an integer");
    QTest::newRow("bits fractional") << rule(R"([{"method": "rtn", "params": {"bits": 4.5}}])")
                                     << QString::fromUtf8("params.bits: 4.5 is not an integer");
    QTest::newRow("sym not bool") << rule(R"([{"method": "rtn", "params": {"sym": "yes"}}])")
                                  << QString::fromUtf8("params.sym: \"yes\" is not a bool");
    QTest::newRow("sparsity 1") << rule(R"([{"method": "magnitude", "params": {"sparsity": 1}}])")
                                << QString::fromUtf8("params.sparsity: 1 is out of range [0, 1)");
    QTest::newRow("nm unknown") << rule(R"([{"method": "wanda", "params": {"nm": "3:4"}}])")
                                << QString::fromUtf8("params.nm: \"3:4\" is not one of \"none\", "
                                                     "\"2:4\", \"4:8\"");
    QTest::newRow("energy 0") << rule(R"([{"method": "svd", "params": {"energy": 0}}])")
                              << QString::fromUtf8("params.energy: 0 is out of range (0, 1]");
    QTest::newRow("param array") << rule(R"([{"method": "svd", "params": {"rank": [8]}}])")
                                 << QString::fromUtf8("params.rank: must be a bool, a number or a "
                                                      "string, not array");
    QTest::newRow("unknown method")
        << rule(R"([{"method": "gptq5"}])")
        << QString::fromUtf8("rules[0].methods[0].method: unknown method "
                             "\"gptq5\" (known: keep, f32");
    QTest::newRow("unknown param")
        << rule(R"([{"method": "gptq", "params": {"bitz": 4}}])")
        << QString::fromUtf8("rules[0].methods[0].params.bitz: gptq has no "
                             "parameter \"bitz\" (its parameters: bits, group");
    QTest::newRow("params not object")
        << rule(R"([{"method": "gptq", "params": [4]}])")
        << QString::fromUtf8("rules[0].methods[0].params: must be an "
                             "object of parameter values, not array");
    QTest::newRow("two quantizers")
        << rule(R"([{"method": "gptq"}, {"method": "rtn"}])")
        << QString::fromUtf8(
               "rules[0].methods[1]: a second quantize method (\"rtn\" after \"gptq\"");
    QTest::newRow("pipeline order")
        << rule(R"([{"method": "rtn"}, {"method": "magnitude"}])")
        << QString::fromUtf8("rules[0].methods[1]: \"magnitude\" (prune) is listed after \"rtn\" "
                             "(quantize)");
    QTest::newRow("entry not object")
        << rule(R"(["rtn"])") << QString::fromUtf8("rules[0].methods[0]: must be an object");
    QTest::newRow("method missing") << rule(R"([{"params": {}}])")
                                    << QString::fromUtf8("rules[0].methods[0].method: missing");
    QTest::newRow("method not string") << rule(R"([{"method": 4}])")
                                       << QString::fromUtf8("rules[0].methods[0].method: must be a "
                                                            "string, not number");
    QTest::newRow("none without kind") << rule(R"([{"method": "none"}])")
                                       << QString::fromUtf8("rules[0].methods[0].kind: missing");
    QTest::newRow("none of quantize")
        << rule(R"([{"method": "none", "kind": "quantize"}])")
        << QString::fromUtf8("rules[0].methods[0].kind: \"quantize\" is not structure, prune or lowrank");
    QTest::newRow("kind on a method")
        << rule(R"([{"method": "rtn", "kind": "prune"}])")
        << QString::fromUtf8("rules[0].methods[0].kind: only used with "
                             "\"none\"");
    QTest::newRow("entry typo") << rule(R"([{"method": "rtn", "parmas": {}}])")
                                << QString::fromUtf8("rules[0].methods[0].parmas: unknown field");
    QTest::newRow("methods empty") << rule("[]")
                                   << QString::fromUtf8("rules[0].methods: is empty");
    QTest::newRow("methods not array") << rule(R"({"method": "rtn"})")
                                       << QString::fromUtf8("rules[0].methods: must be an array of "
                                                            "methods, not object");
    QTest::newRow("match missing")
        << QString::fromUtf8(R"({"version": 1, "rules": [{"methods": [{"method": "rtn"}]}]})")
        << QString::fromUtf8("rules[0].match: missing");
    QTest::newRow("methods missing")
        << QString::fromUtf8(R"({"version": 1, "rules": [{"match": "x"}]})")
        << QString::fromUtf8("rules[0].methods: missing");
    QTest::newRow("bad regex")
        << QString::fromUtf8(R"({"version": 1,
            "rules": [{"match": "re:(", "methods": [{"method": "rtn"}]}]})")
        << QString::fromUtf8("rules[0].match: invalid regular expression \"(\"");
    QTest::newRow("empty regex")
        << QString::fromUtf8(R"({"version": 1,
            "rules": [{"match": "re:", "methods": [{"method": "rtn"}]}]})")
        << QString::fromUtf8("rules[0].match: \"re:\" needs a regular expression");
    QTest::newRow("rule not object")
        << QString::fromUtf8(R"({"version": 1, "rules": ["layers.*"]})")
        << QString::fromUtf8("rules[0]: must be an object");
    QTest::newRow("rules not array") << QString::fromUtf8(R"({"version": 1, "rules": {}})")
                                     << QString::fromUtf8("rules: must be an array, not object");
    QTest::newRow("rule typo")
        << QString::fromUtf8(R"({"version": 1,
            "rules": [{"match": "x", "methods": [{"method": "rtn"}], "matches": 1}]})")
        << QString::fromUtf8("rules[0].matches: unknown field (expected match, methods, comment)");
    QTest::newRow("comment not string")
        << QString::fromUtf8(R"({"version": 1,
            "rules": [{"match": "x", "methods": [{"method": "rtn"}], "comment": 3}]})")
        << QString::fromUtf8("rules[0].comment: must be a string, not number");
    QTest::newRow("top-level typo")
        << QString::fromUtf8(R"({"version": 1, "overides": {}})")
        << QString::fromUtf8("overides: unknown field (expected version, "
                             "name, description, defaults, rules, overrides)");
    QTest::newRow("name not string") << QString::fromUtf8(R"({"version": 1, "name": 5})")
                                     << QString::fromUtf8("name: must be a string, not number");
    QTest::newRow("override pattern")
        << QString::fromUtf8(
               R"({"version": 1, "overrides": {"layers.*": {"methods": [{"method": "rtn"}]}}})")
        << QString::fromUtf8("overrides[\"layers.*\"]: an override names one tensor exactly");
    QTest::newRow("override method")
        << QString::fromUtf8(R"({"version": 1,
            "overrides": {"layers.0.mlp.down": {"methods": [{"method": "int4"}]}}})")
        << QString::fromUtf8("overrides[\"layers.0.mlp.down\"].methods[0].method: unknown method "
                             "\"int4\"");
    QTest::newRow("override not object")
        << QString::fromUtf8(R"({"version": 1, "overrides": {"embed": "q8_0"}})")
        << QString::fromUtf8("overrides.embed: must be an object {\"methods\": [...]}, not string");
    QTest::newRow("overrides not object")
        << QString::fromUtf8(R"({"version": 1, "overrides": []})")
        << QString::fromUtf8("overrides: must be an object keyed by tensor name, not array");
    QTest::newRow("defaults not object")
        << QString::fromUtf8(R"({"version": 1, "defaults": []})")
        << QString::fromUtf8("defaults: must be an object, not array");
    QTest::newRow("defaults typo")
        << QString::fromUtf8(R"({"version": 1, "defaults": {"method": []}})")
        << QString::fromUtf8("defaults.method: unknown field (expected "
                             "methods, params)");
    QTest::newRow("defaults params method")
        << QString::fromUtf8(R"({"version": 1, "defaults": {"params": {"foo": {}}}})")
        << QString::fromUtf8("defaults.params.foo: unknown method \"foo\"");
    QTest::newRow("defaults params range")
        << QString::fromUtf8(R"({"version": 1, "defaults": {"params": {"gptq": {"damp": 2}}}})")
        << QString::fromUtf8("defaults.params.gptq.damp: 2 is out of range 0..1");
    QTest::newRow("defaults methods")
        << QString::fromUtf8(R"({"version": 1,
            "defaults": {"methods": [{"method": "svd", "params": {"rank": -1}}]}})")
        << QString::fromUtf8("defaults.methods[0].params.rank: -1 is out of range 0..1073741824");
}

void TestRecipe::parseErrorsNameTheJsonPath()
{
    QFETCH(QString, json);
    QFETCH(QString, expected);
    const std::string err =
        cwbtest::errorOf([&] { (void)cwb::parseRecipe(json.toStdString(), "r.json"); });
    QVERIFY2(err.starts_with("r.json: 1 problem in the recipe:"), err.c_str());
    QVERIFY2(err.find(expected.toStdString()) != std::string::npos, err.c_str());
    // The lenient parse reports the same problem without throwing.
    const cwb::ParsedRecipe lenient = cwb::parseRecipeLenient(json.toStdString(), "r.json");
    QCOMPARE(lenient.problems.size(), size_t(1));
}

void TestRecipe::parseListsEveryProblemAtOnce()
{
    const std::string err = cwbtest::errorOf([] {
        (void)cwb::parseRecipe(R"({"version": 1, "colour": 1,
          "rules": [{"match": "layers.*", "methods": [{"method": "gptq", "params": {"bits": 1}}]},
                    {"match": "re:[", "methods": [{"method": "nope"}]}],
          "overrides": {"embed": {"methods": [{"method": "rtn", "params": {"group": 7}}]}}})",
                               "many.json");
    });
    QVERIFY2(err.starts_with("many.json: 5 problems in the recipe:"), err.c_str());
    for (const char *part :
         {"colour: unknown field", "rules[0].methods[0].params.bits: 1 is out of range",
          "rules[1].methods[0].method: unknown method \"nope\"",
          "rules[1].match: invalid regular expression",
          "overrides.embed.methods[0].params.group: 7 is not one of"})
        QVERIFY2(err.find(part) != std::string::npos,
                 (std::string(part) + " missing in\n" + err).c_str());
}

void TestRecipe::fatalErrors_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("expected");
    QTest::newRow("not json") << QByteArray(R"({"version": 1,,})")
                              << QString::fromUtf8("r.json: offset 14: not valid JSON");
    QTest::newRow("truncated") << QByteArray(R"({"version": 1, "rules": [)")
                               << QString::fromUtf8("r.json: offset ");
    QTest::newRow("empty") << QByteArray() << QString::fromUtf8("not valid JSON");
    QTest::newRow("array") << QByteArray("[1]") << QString::fromUtf8("a recipe is a JSON object");
    QTest::newRow("deep nesting") << QByteArray(100000, '[') << QString::fromUtf8("not valid JSON");
    QTest::newRow("no version") << QByteArray(R"({"rules": []})")
                                << QString::fromUtf8(
                                       "r.json: version: missing; this build reads recipe "
                                       "version 1");
    QTest::newRow("version string") << QByteArray(R"({"version": "1"})")
                                    << QString::fromUtf8("version: \"1\" is not an integer");
    QTest::newRow("version float") << QByteArray(R"({"version": 1.5})")
                                   << QString::fromUtf8("version: 1.5 is not an integer");
    QTest::newRow("version deeply nested")
        << QByteArray(R"({"version": )") + QByteArray(100000, '[') + QByteArray(100000, ']')
               + QByteArray("}")
        << QString::fromUtf8("version: an array is not an integer");
    QTest::newRow("newer") << QByteArray(R"({"version": 2, "rules": []})")
                           << QString::fromUtf8(
                                  "version: 2 is newer than this build understands (1); "
                                  "update the workbench");
    QTest::newRow("zero") << QByteArray(R"({"version": 0})")
                          << QString::fromUtf8("version: 0 is not a recipe version");
}

void TestRecipe::fatalErrors()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, expected);
    const std::string text = json.toStdString();
    const std::string err =
        cwbtest::errorOf([&] { (void)cwb::parseRecipeLenient(text, "r.json"); });
    QVERIFY2(err.find(expected.toStdString()) != std::string::npos, err.c_str());
}

void TestRecipe::recipeFileLimits()
{
    QTemporaryDir dir;
    const std::string missing = dir.filePath(QString::fromUtf8("none.json")).toStdString();
    std::string err = cwbtest::errorOf([&] { (void)cwb::readRecipeFile(missing); });
    QVERIFY2(err.starts_with(missing + ": cannot read recipe"), err.c_str());

    QFile big(dir.filePath(QString::fromUtf8("big.json")));
    QVERIFY(big.open(QIODevice::WriteOnly));
    QVERIFY(big.resize(qint64(17) << 20)); // sparse: refused before anything is read
    big.close();
    err = cwbtest::errorOf([&] { (void)cwb::readRecipeFile(big.fileName().toStdString()); });
    QVERIFY2(err.find("larger than 16 MiB are refused") != std::string::npos, err.c_str());
    err =
        cwbtest::errorOf([] { (void)cwb::parseRecipeLenient(std::string((17u << 20), ' '), "t"); });
    QVERIFY2(err.find("larger than 16 MiB are refused") != std::string::npos, err.c_str());

    QFile ok(dir.filePath(QString::fromUtf8("ok.json")));
    QVERIFY(ok.open(QIODevice::WriteOnly));
    ok.write(R"({"version": 1, "rules": [{"match": "x", "methods": [{"method": "rtnn"}]}]})");
    ok.close();
    const cwb::ParsedRecipe parsed = cwb::readRecipeFile(ok.fileName().toStdString());
    QCOMPARE(parsed.recipe.source, ok.fileName().toStdString());
    QCOMPARE(parsed.problems.size(), size_t(1));
    QCOMPARE(parsed.problems[0].where, std::string("rules[0].methods[0].method"));
}

void TestRecipe::methodTableIsConsistent()
{
    // Every name of the brief exists in the right slot, every default passes its own check.
    const char *quantize[] = {"rtn", "nf4", "fp8_e4m3", "fp8_e5m2", "mxfp4", "nvfp4", "ternary",
                              "gptq", "awq", "q4_0", "q4_1", "q5_0", "q5_1", "q8_0", "q2_k",
                              "q3_k", "q4_k", "q5_k", "q6_k", "gptq_ggml", "gptq_ggml_recon",
                              "awq_ggml",
                              "keep", "f16", "bf16", "f32"};
    for (const char *name : quantize) {
        const cwb::MethodSpec *m = cwb::findMethod(name);
        QVERIFY2(m && m->slot == MethodSlot::Quantize, name);
    }
    for (const char *name : {"magnitude", "wanda", "sparsegpt"})
        QVERIFY2(cwb::findMethod(name) && cwb::findMethod(name)->slot == MethodSlot::Prune, name);
    for (const char *name : {"svd", "asvd"})
        QVERIFY2(cwb::findMethod(name) && cwb::findMethod(name)->slot == MethodSlot::LowRank, name);
    for (const char *name : {"prune_channels", "prune_heads", "drop_block"})
        QVERIFY2(cwb::findMethod(name) && cwb::findMethod(name)->slot == MethodSlot::Structure,
                 name);
    QCOMPARE(cwb::methodTable().size(), std::size(quantize) + 8);
    for (const auto &m : cwb::methodTable()) {
        for (const auto &p : m.params) {
            cwb::ParamValue v = p.defaultValue;
            const auto why = cwb::checkParam(p, v);
            QVERIFY2(!why, (m.name + "." + p.name + ": " + why.value_or("")).c_str());
        }
        if (!m.calibrationParam.empty())
            QVERIFY(m.findParam(m.calibrationParam) != nullptr);
    }
    for (const char *name : {"gptq", "awq", "wanda", "sparsegpt", "asvd"})
        QVERIFY2(cwb::findMethod(name)->needsCalibration, name);
}

void TestRecipe::globMatching_data()
{
    QTest::addColumn<QString>("pattern");
    QTest::addColumn<QString>("name");
    QTest::addColumn<bool>("matches");
    QTest::newRow("star crosses dots") << "layers.*" << "layers.3.attn.q" << true;
    QTest::newRow("prefix must match") << "layers.*" << "xlayers.3" << false;
    QTest::newRow("middle star") << "layers.*.mlp.down" << "layers.12.mlp.down" << true;
    QTest::newRow("middle star wrong tail") << "layers.*.mlp.down" << "layers.12.mlp.up" << false;
    QTest::newRow("question mark") << "layers.?.attn.q" << "layers.7.attn.q" << true;
    QTest::newRow("question mark one char") << "layers.?.attn.q" << "layers.17.attn.q" << false;
    QTest::newRow("leading star") << "*.q" << "layers.0.attn.q" << true;
    QTest::newRow("star only") << "*" << "embed" << true;
    QTest::newRow("two stars") << "*attn*q" << "layers.0.attn.q" << true;
    QTest::newRow("backtracking") << "*a*a*b" << "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaac" << false;
    QTest::newRow("exact") << "embed" << "embed" << true;
    QTest::newRow("whole name") << "embed" << "embed2" << false;
}

void TestRecipe::globMatching()
{
    QFETCH(QString, pattern);
    QFETCH(QString, name);
    QFETCH(bool, matches);
    QCOMPARE(cwb::globMatch(pattern.toStdString(), name.toStdString()), matches);
}

void TestRecipe::patternSelection_data()
{
    QTest::addColumn<QString>("pattern");
    QTest::addColumn<QString>("tensor");
    QTest::addColumn<bool>("selected");
    // Globs: canonical names, matrices only.
    QTest::newRow("glob matrix") << "layers.*" << "blk.0.attn_q.weight" << true;
    QTest::newRow("glob skips norm") << "layers.*" << "blk.0.attn_norm.weight" << false;
    QTest::newRow("glob skips bias") << "layers.*" << "blk.0.attn_q.bias" << false;
    QTest::newRow("glob not on original") << "blk.*" << "blk.0.attn_q.weight" << false;
    QTest::newRow("glob skips unknown role") << "*" << "mystery.weight" << false;
    // Exact names: canonical or original, any rank.
    QTest::newRow("exact canonical 1-D") << "layers.0.attn_norm"
                                         << "blk.0.attn_norm.weight" << true;
    QTest::newRow("exact original 1-D") << "blk.0.attn_norm.weight"
                                        << "blk.0.attn_norm.weight" << true;
    QTest::newRow("exact original 2-D") << "mystery.weight" << "mystery.weight" << true;
    QTest::newRow("exact is whole") << "layers.0.attn" << "blk.0.attn_q.weight" << false;
    // Regexes: whole canonical or whole original name, matrices only.
    QTest::newRow("regex original") << "re:blk\\.0\\..*" << "blk.0.attn_q.weight" << true;
    QTest::newRow("regex canonical") << "re:layers\\.[01]\\.attn\\.q"
                                     << "blk.1.attn_q.weight" << true;
    QTest::newRow("regex whole name") << "re:attn" << "blk.0.attn_q.weight" << false;
    QTest::newRow("regex skips 1-D") << "re:.*norm.*" << "output_norm.weight" << false;
    QTest::newRow("regex unknown role") << "re:mystery.*" << "mystery.weight" << true;
}

void TestRecipe::patternSelection()
{
    QFETCH(QString, pattern);
    QFETCH(QString, tensor);
    QFETCH(bool, selected);
    const cwb::Model model = syntheticModel();
    const cwb::Tensor *t = model.findTensor(tensor.toStdString());
    QVERIFY(t);
    std::string error;
    const auto p = cwb::NamePattern::compile(pattern.toStdString(), error);
    QVERIFY2(p, error.c_str());
    QCOMPARE(p->selects(*t), selected);
}

void TestRecipe::precedenceFieldByField()
{
    const cwb::Plan plan = resolveText(R"({"version": 1,
      "overrides": {"layers.0.attn.q": {"methods": [{"method": "gptq", "params": {"group": 64}}]},
                    "embed": {"methods": [{"method": "keep"}]},
                    "head": {"methods": [{"method": "keep"}]},
                    "mystery.weight": {"methods": [{"method": "keep"}]}},
      "defaults": {"methods": [{"method": "gptq", "params": {"bits": 4, "group": -1}}],
                   "params": {"rtn": {"sym": false}}},
      "rules": [{"match": "layers.*.attn.q",
                 "methods": [{"method": "gptq", "params": {"group": 32}}]},
                {"match": "layers.1.*", "methods": [{"method": "gptq", "params": {"bits": 3}}]},
                {"match": "layers.1.mlp.*", "methods": [{"method": "rtn", "params": {"bits": 8}}]}]
    })",
                                       syntheticModel(), true);
    QVERIFY2(plan.valid(), allText(plan.errors).c_str());

    // layers.1.attn.q: method from defaults, bits from rules[1], group from rules[0], rest schema.
    const cwb::SlotPlan &q1 = planFor(plan, "layers.1.attn.q").slot(MethodSlot::Quantize);
    QCOMPARE(q1.method, std::string("gptq"));
    QVERIFY(q1.from.source == Source::Defaults);
    QCOMPARE(cwb::paramInt(q1.value("bits")), int64_t(3));
    QVERIFY(q1.find("bits")->from == (cwb::Provenance{Source::Rule, 1, "layers.1.*"}));
    QCOMPARE(cwb::paramInt(q1.value("group")), int64_t(32));
    QVERIFY(q1.find("group")->from == (cwb::Provenance{Source::Rule, 0, "layers.*.attn.q"}));
    QVERIFY(q1.find("damp")->from.source == Source::Schema);
    QCOMPARE(cwb::paramFloat(q1.value("damp")), 0.01);
    QCOMPARE(q1.params.size(), cwb::findMethod("gptq")->params.size());

    // layers.1.mlp.down: a different method replaces the slot; nothing of gptq's survives.
    const cwb::SlotPlan &d1 = planFor(plan, "layers.1.mlp.down").slot(MethodSlot::Quantize);
    QCOMPARE(d1.method, std::string("rtn"));
    QVERIFY(d1.from == (cwb::Provenance{Source::Rule, 2, "layers.1.mlp.*"}));
    QCOMPARE(cwb::paramInt(d1.value("bits")), int64_t(8));
    QCOMPARE(cwb::paramInt(d1.value("group")), int64_t(128)); // rtn's schema default, not gptq's 32
    QVERIFY(d1.find("group")->from.source == Source::Schema);
    QCOMPARE(cwb::paramBool(d1.value("sym")), false); // defaults.params
    QVERIFY(d1.find("sym")->from.source == Source::Defaults);

    // layers.0.attn.q: the override merges one field, written before the rules in the file.
    const cwb::TensorPlan &t0 = planFor(plan, "layers.0.attn.q");
    const cwb::SlotPlan &q0 = t0.slot(MethodSlot::Quantize);
    QCOMPARE(cwb::paramInt(q0.value("group")), int64_t(64));
    QVERIFY(q0.find("group")->from == (cwb::Provenance{Source::Override, -1, "layers.0.attn.q"}));
    QVERIFY(q0.find("bits")->from.source == Source::Defaults);
    QCOMPARE(t0.overrideName, std::string("layers.0.attn.q"));
    QCOMPARE(t0.rules, std::vector<int>{0});
    QCOMPARE(
        cwb::provenanceLine(t0),
        std::string("defaults: gptq, bits | override \"layers.0.attn.q\": group | schema: sym, "
                    "damp, act_order, block_size"));
    // Unused slots stay empty and unset.
    QVERIFY(!t0.slot(MethodSlot::Prune).used());
    QVERIFY(t0.slot(MethodSlot::Prune).from.source == Source::Unset);
}

void TestRecipe::noneEmptiesASlot()
{
    const cwb::Plan plan = resolveText(R"({"version": 1, "rules": [
      {"match": "layers.*", "methods": [{"method": "magnitude", "params": {"sparsity": 0.25}},
                                        {"method": "rtn", "params": {"group": -1}}]},
      {"match": "layers.1.*", "methods": [{"method": "none", "kind": "prune"}]}]})",
                                       syntheticModel());
    QVERIFY2(plan.valid(), allText(plan.errors).c_str());
    const cwb::TensorPlan &t0 = planFor(plan, "layers.0.attn.q");
    QCOMPARE(t0.summary(), std::string("magnitude(sparsity=0.25, nm=none) -> rtn(bits=4, group=-1, "
                                       "sym=true, f16_scales=true)"));
    const cwb::TensorPlan &t1 = planFor(plan, "layers.1.attn.q");
    QVERIFY(!t1.slot(MethodSlot::Prune).used());
    QVERIFY(t1.slot(MethodSlot::Prune).from == (cwb::Provenance{Source::Rule, 1, "layers.1.*"}));
    QCOMPARE(t1.slot(MethodSlot::Quantize).method, std::string("rtn"));
    QCOMPARE(cwb::provenanceLine(t1),
             std::string("rules[0] \"layers.*\": rtn, group | rules[1] \"layers.1.*\": no prune | "
                         "schema: bits, sym, f16_scales"));
    QCOMPARE(plan.rules[1].effective, int64_t(2));
}

void TestRecipe::oneDimensionalTensorsNeedExactNames()
{
    const cwb::Plan plan = resolveText(R"({"version": 1,
      "defaults": {"methods": [{"method": "f16"}]},
      "rules": [{"match": "*", "methods": [{"method": "rtn"}]},
                {"match": "re:.*",
                 "methods": [{"method": "rtn", "params": {"bits": 8, "group": -1}}]},
                {"match": "final_norm", "methods": [{"method": "bf16"}]},
                {"match": "blk.0.attn_q.bias", "methods": [{"method": "f16"}]}]})",
                                       syntheticModel());
    QVERIFY2(plan.valid(), allText(plan.errors).c_str());
    // Norms and biases: untouched by defaults, globs and regexes.
    const cwb::TensorPlan &norm = planFor(plan, "layers.0.attn_norm");
    QVERIFY(!norm.changed());
    QCOMPARE(norm.summary(), std::string("keep"));
    QVERIFY(norm.slot(MethodSlot::Quantize).from.source == Source::Unset);
    QVERIFY(norm.rules.empty());
    QCOMPARE(norm.estimate.total(), norm.originalBytes);
    // Exact names take them, by canonical or original name.
    QCOMPARE(planFor(plan, "final_norm").summary(), std::string("bf16"));
    QCOMPARE(planFor(plan, "final_norm").rules, std::vector<int>{2});
    QCOMPARE(planFor(plan, "layers.0.attn.q.bias").summary(), std::string("f16"));
    // Matrices: the regex (rules[1]) merged bits into the glob's rtn; the unknown-role matrix
    // has no canonical name, so only the regex (on its original name) took it.
    QCOMPARE(planFor(plan, "layers.0.attn.q").summary(),
             std::string("rtn(bits=8, group=-1, sym=true, f16_scales=true)"));
    QCOMPARE(planFor(plan, "mystery.weight").rules, std::vector<int>{1});
    QVERIFY(planFor(plan, "mystery.weight").slot(MethodSlot::Quantize).from.source == Source::Rule);
}

void TestRecipe::overridesApplyLastAndMustNameTensors()
{
    const cwb::Plan plan = resolveText(R"({"version": 1,
      "rules": [{"match": "layers.*", "methods": [{"method": "rtn", "params": {"group": 32}}]}],
      "overrides": {"blk.0.ffn_down.weight":
                        {"methods": [{"method": "rtn", "params": {"group": -1}}]},
                    "layers.0.attn_norm": {"methods": [{"method": "f16"}]},
                    "layers.7.attn.q": {"methods": [{"method": "f16"}]},
                    "blk.1.attn_q.weight": {"methods": [{"method": "f16"}]},
                    "layers.1.attn.q": {"methods": [{"method": "bf16"}]}}})",
                                       syntheticModel());
    const std::string errors = allText(plan.errors);
    QCOMPARE(plan.errors.size(), size_t(2));
    QVERIFY2(
        errors.find("overrides[\"layers.7.attn.q\"]: no tensor named \"layers.7.attn.q\" in the "
                    "model (canonical or original name)")
            != std::string::npos,
        errors.c_str());
    QVERIFY2(errors.find("overrides[\"layers.1.attn.q\"]: names the same tensor as "
                         "overrides[\"blk.1.attn_q.weight\"]")
                 != std::string::npos,
             errors.c_str());
    const cwb::SlotPlan &down = planFor(plan, "layers.0.mlp.down").slot(MethodSlot::Quantize);
    QCOMPARE(cwb::paramInt(down.value("group")), int64_t(-1));
    QCOMPARE(down.find("group")->from.label(), std::string("override \"blk.0.ffn_down.weight\""));
    QVERIFY(down.from.source == Source::Rule);
    QCOMPARE(planFor(plan, "layers.0.attn_norm").summary(), std::string("f16"));
    QCOMPARE(planFor(plan, "layers.1.attn.q").summary(), std::string("f16"));
}

void TestRecipe::deadAndShadowedRulesWarn()
{
    const cwb::Plan plan = resolveText(R"({"version": 1, "rules": [
      {"match": "layers.0.*", "methods": [{"method": "rtn", "params": {"bits": 8}}]},
      {"match": "layers.*", "methods": [{"method": "f16"}]},
      {"match": "layers.9.*", "methods": [{"method": "rtn"}]},
      {"match": "layers.*_norm", "methods": [{"method": "f16"}]},
      {"match": "layers.9.attn.q", "methods": [{"method": "f16"}]}]})",
                                       syntheticModel());
    QVERIFY2(plan.valid(), allText(plan.errors).c_str());
    const std::string w = allText(plan.warnings);
    QCOMPARE(plan.warnings.size(), size_t(4));
    QVERIFY2(w.find("rules[0] \"layers.0.*\": selected 2 tensors, but later rules or overrides "
                    "replaced everything it set (shadowed rule)")
                 != std::string::npos,
             w.c_str());
    QVERIFY2(w.find("rules[2] \"layers.9.*\": matches no tensor of this model (dead rule; patterns "
                    "only select matrices)")
                 != std::string::npos,
             w.c_str());
    QVERIFY(w.find("rules[3] \"layers.*_norm\": matches no tensor") != std::string::npos);
    QVERIFY(w.find("rules[4] \"layers.9.attn.q\": names no tensor of this model (dead rule)")
            != std::string::npos);
    QCOMPARE(plan.rules[1].selected, int64_t(4));
    QCOMPARE(plan.rules[1].effective, int64_t(4));
    QCOMPARE(plan.rules[0].selected, int64_t(2));
    QCOMPARE(plan.rules[0].effective, int64_t(0));
}

void TestRecipe::validationCollectsEveryProblem()
{
    const cwb::Model model = syntheticModel();
    const cwb::ParsedRecipe parsed = cwb::parseRecipeLenient(R"({"version": 1,
      "rules": [{"match": "layers.*", "methods": [{"method": "gptq", "params": {"group": 32}}]},
                {"match": "layers.1.attn.q",
                 "methods": [{"method": "svd", "params": {"rank": 100}}]},
                {"match": "layers.0.mlp.down",
                 "methods": [{"method": "magnitude", "params": {"nm": "4:8"}}]},
                {"match": "layers.1.mlp.down",
                 "methods": [{"method": "wanda", "params": {"nm": "2:4", "sparsity": 0.7}}]},
                {"match": "embed", "methods": [{"method": "q4_k"}]},
                {"match": "head", "methods": [{"method": "mxfp9"}]},
                {"match": "final_norm", "methods": [{"method": "magnitude"}]}],
      "overrides": {"layers.5.mlp.up": {"methods": [{"method": "keep"}]}}})",
                                                             "bad.json");
    const cwb::Plan plan = cwb::resolvePlan(parsed, model, {});
    const char *expected[] = {
        "rules[5].methods[0].method: unknown method \"mxfp9\"",
        "overrides[\"layers.5.mlp.up\"]: no tensor named \"layers.5.mlp.up\"",
        "embed (token_embd.weight): q4_k's block of 256 does not divide the row length 64 (q4_k "
        "set "
        "by rules[4] \"embed\")",
        "final_norm (output_norm.weight): magnitude needs a matrix; this tensor is 1-D (magnitude "
        "set "
        "by rules[6] \"final_norm\")",
        "layers.0.attn.q (blk.0.attn_q.weight): gptq needs calibration text (cwb: --calib FILE) "
        "(gptq set by rules[0] \"layers.*\")",
        "layers.0.mlp.down (blk.0.ffn_down.weight): nm 4:8 needs a row length divisible by 8; rows "
        "are "
        "172 long (nm set by rules[2] \"layers.0.mlp.down\")",
        "layers.0.mlp.down (blk.0.ffn_down.weight): gptq group 32 does not divide the row length "
        "172 "
        "(group set by rules[0] \"layers.*\")",
        "layers.1.attn.q (blk.1.attn_q.weight): rank 100 exceeds min(rows, cols) = 64 (rank set by "
        "rules[1] \"layers.1.attn.q\")",
        "layers.1.mlp.down (blk.1.ffn_down.weight): wanda needs calibration text",
        "layers.1.mlp.down (blk.1.ffn_down.weight): sparsity 0.7 (sparsity set by rules[3] "
        "\"layers.1.mlp.down\") conflicts with nm 2:4 (nm set by rules[3] \"layers.1.mlp.down\"), "
        "which means sparsity 0.5",
        "mystery.weight: ", // must not appear: no rule selects it (checked below)
    };
    const std::string err = cwbtest::errorOf([&] { cwb::requireValidPlan(plan); });
    QVERIFY2(err.starts_with("bad.json: " + std::to_string(plan.errors.size())
                             + " problems in the plan for synthetic:"),
             err.c_str());
    for (size_t i = 0; i + 1 < std::size(expected); ++i)
        QVERIFY2(err.find(expected[i]) != std::string::npos,
                 (std::string("missing: ") + expected[i] + "\nin:\n" + err).c_str());
    QVERIFY(err.find(expected[std::size(expected) - 1]) == std::string::npos);
    // 4 gptq matrices without calibration, + wanda, + the 8 listed problems above.
    QCOMPARE(plan.errors.size(), size_t(4 + 1 + 8));
    QVERIFY(!plan.valid());

    // The same recipe with calibration loses exactly the calibration problems.
    cwb::PlanOptions calibrated;
    calibrated.calibration = true;
    const cwb::Plan withCalib = cwb::resolvePlan(parsed, model, calibrated);
    QCOMPARE(withCalib.errors.size(), size_t(8));
    QVERIFY(allText(withCalib.errors).find("calibration") == std::string::npos);
}

void TestRecipe::calibrationRequirements_data()
{
    QTest::addColumn<QString>("entry");
    QTest::addColumn<bool>("needsCalibration");
    QTest::newRow("gptq") << R"({"method": "gptq", "params": {"group": -1}})" << true;
    QTest::newRow("awq") << R"({"method": "awq", "params": {"group": 32}})" << true;
    QTest::newRow("wanda") << R"({"method": "wanda"})" << true;
    QTest::newRow("sparsegpt") << R"({"method": "sparsegpt"})" << true;
    QTest::newRow("asvd") << R"({"method": "asvd", "params": {"rank": 8}})" << true;
    QTest::newRow("svd") << R"({"method": "svd", "params": {"rank": 8}})" << false;
    QTest::newRow("magnitude") << R"({"method": "magnitude"})" << false;
    QTest::newRow("rtn") << R"({"method": "rtn", "params": {"group": 64}})" << false;
    QTest::newRow("q4_0") << R"({"method": "q4_0"})" << false;
    QTest::newRow("q4_0 imatrix") << R"({"method": "q4_0", "params": {"imatrix": true}})" << true;
}

void TestRecipe::calibrationRequirements()
{
    QFETCH(QString, entry);
    QFETCH(bool, needsCalibration);
    const std::string json = R"({"version": 1, "rules": [{"match": "layers.0.attn.q", "methods": [)"
                             + entry.toStdString() + "]}]}";
    const cwb::Plan without = resolveText(json, syntheticModel(), false);
    QCOMPARE(!without.valid(), needsCalibration);
    if (needsCalibration)
        QVERIFY(without.errors[0].what.find("needs calibration text") != std::string::npos);
    QVERIFY(resolveText(json, syntheticModel(), true).valid());
}

void TestRecipe::estimates_data()
{
    QTest::addColumn<QString>("methods");
    QTest::addColumn<int>("rows");
    QTest::addColumn<int>("cols");
    QTest::addColumn<qulonglong>("codes");
    QTest::addColumn<qulonglong>("scales");
    QTest::addColumn<qulonglong>("zeros");
    QTest::addColumn<qulonglong>("masks");
    QTest::addColumn<qulonglong>("extra");
    auto row = [](const char *name, const char *methods, int rows, int cols, qulonglong codes,
                  qulonglong scales, qulonglong zeros, qulonglong masks, qulonglong extra) {
        QTest::newRow(name) << QString::fromUtf8(methods) << rows << cols << codes << scales
                            << zeros << masks << extra;
    };
    // 64 x 64 unless stated; f32 stored. Hand-computed from the formulas in the methods'
    // registry entries (what the archive stores; tests/test_method_registry.cpp checks them
    // against real archives).
    row("keep f32", R"([{"method": "keep"}])", 64, 64, 16384, 0, 0, 0, 0);
    row("f16", R"([{"method": "f16"}])", 64, 64, 8192, 0, 0, 0, 0);
    row("rtn 4 g32 sym", R"([{"method": "rtn", "params": {"group": 32}}])", 64, 64, 2048, 256, 0, 0,
        0);
    row("rtn 4 g128 asym", R"([{"method": "rtn", "params": {"sym": false}}])", 64, 256, 8192, 256,
        64, 0, 0);
    row("rtn 3 per-channel odd row", R"([{"method": "rtn", "params": {"bits": 3, "group": -1}}])",
        64, 172, 64 * 65, 128, 0, 0, 0);
    row("rtn 8 per-tensor f32 scale",
        R"([{"method": "rtn", "params": {"bits": 8, "group": 0, "f16_scales": false}}])", 64, 64,
        4096, 4, 0, 0, 0);
    // Static groups: no column-to-group map is stored (compress/gptq.h).
    row("gptq act_order groups", R"([{"method": "gptq", "params": {"group": 32}}])", 64, 64, 2048,
        256, 0, 0, 0);
    row("gptq per-channel", R"([{"method": "gptq", "params": {"group": -1}}])", 64, 64, 2048, 128,
        0, 0, 0);
    row("awq asym", R"([{"method": "awq"}])", 64, 256, 8192, 256, 64, 0, 4 * 256); // + input scales
    row("nf4", R"([{"method": "nf4"}])", 64, 64, 2048, 256, 0, 0, 0);
    row("nf4 double quant", R"([{"method": "nf4", "params": {"double_quant": true}}])", 64, 64,
        2048, 64 + 4 + 4, 0, 0, 0);
    row("fp8 per-tensor", R"([{"method": "fp8_e4m3"}])", 64, 64, 4096, 4, 0, 0, 0);
    row("fp8 per-channel", R"([{"method": "fp8_e5m2", "params": {"granularity": "per-channel"}}])",
        64, 64, 4096, 256, 0, 0, 0);
    row("mxfp4", R"([{"method": "mxfp4"}])", 64, 64, 2048, 128, 0, 0, 0);
    row("nvfp4", R"([{"method": "nvfp4"}])", 64, 64, 2048, 256, 0, 0, 4);
    row("ternary two_bit", R"([{"method": "ternary"}])", 64, 64, 1024, 0, 0, 0, 4);
    row("ternary base3", R"([{"method": "ternary", "params": {"packing": "base3"}}])", 64, 64,
        64 * 13, 0, 0, 0, 4);
    row("q8_0", R"([{"method": "q8_0"}])", 64, 64, 4096, 256, 0, 0, 0);
    row("q4_k", R"([{"method": "q4_k"}])", 64, 256, 64 * 128, 64 * 16, 0, 0, 0);
    row("q6_k", R"([{"method": "q6_k"}])", 8, 256, 8 * 192, 8 * 18, 0, 0, 0);
    // Pruned weights are stored as zeros in the dense codes; the mask only beside a form that does
    // not decode zeros exactly (q4_1, q5_1, q2_k, q4_k, q5_k).
    row("prune 50% f16 dense", R"([{"method": "magnitude"}, {"method": "f16"}])", 64, 64, 8192, 0,
        0, 0, 0);
    row("prune 2:4 f16 dense",
        R"([{"method": "magnitude", "params": {"nm": "2:4"}}, {"method": "f16"}])", 64, 64, 8192,
        0, 0, 0, 0);
    row("prune 4:8 f16 dense",
        R"([{"method": "magnitude", "params": {"nm": "4:8"}}, {"method": "f16"}])", 64, 64, 8192,
        0, 0, 0, 0);
    row("prune 50% rtn4 dense",
        R"([{"method": "magnitude"}, {"method": "rtn", "params": {"group": 32}}])", 64, 64, 2048,
        256, 0, 0, 0);
    row("prune 50% q4_1 dense + mask", R"([{"method": "magnitude"}, {"method": "q4_1"}])", 64, 64,
        2048, 512, 0, 512, 0);
    row("prune 4:8 q4_1 dense + mask",
        R"([{"method": "magnitude", "params": {"nm": "4:8"}}, {"method": "q4_1"}])", 64, 64, 2048,
        512, 0, 768, 0);
    row("prune 10% rtn4 stays dense",
        R"([{"method": "magnitude", "params": {"sparsity": 0.1}},
            {"method": "rtn", "params": {"group": 32}}])",
        64, 64, 2048, 256, 0, 0, 0);
    row("prune q8_0 stays dense", R"([{"method": "magnitude"}, {"method": "q8_0"}])", 64, 64, 4096,
        256, 0, 0, 0);
    row("svd rank 8 f16", R"([{"method": "svd", "params": {"rank": 8}}, {"method": "f16"}])", 64,
        64, 2048, 0, 0, 0, 0);
    // "keep" stores low-rank factors as F16 (the pipeline's factor type).
    row("svd rank 8 keep f16 factors", R"([{"method": "svd", "params": {"rank": 8}}])", 64, 64,
        2048, 0, 0, 0, 0);
    row("svd rank 8 rtn per-channel",
        R"([{"method": "svd", "params": {"rank": 8}}, {"method": "rtn", "params": {"group": -1}}])",
        64, 64, 64 * 4 + 8 * 32, 64 * 2 + 8 * 2, 0, 0, 0);
    row("svd by energy", R"([{"method": "svd"}, {"method": "f16"}])", 64, 64, 8192, 0, 0, 0, 0);
}

void TestRecipe::estimates()
{
    QFETCH(QString, methods);
    QFETCH(int, rows);
    QFETCH(int, cols);
    QFETCH(qulonglong, codes);
    QFETCH(qulonglong, scales);
    QFETCH(qulonglong, zeros);
    QFETCH(qulonglong, masks);
    QFETCH(qulonglong, extra);
    cwb::Model model;
    model.path = "m";
    model.tensors.push_back(tensor("w", "layers.0.attn.q", {rows, cols}));
    const cwb::Plan plan = resolveText(R"({"version": 1, "rules": [{"match": "w", "methods": )"
                                           + methods.toStdString() + "}]}",
                                       model, true);
    QVERIFY2(plan.valid(), allText(plan.errors).c_str());
    const cwb::ByteEstimate &e = plan.tensors[0].estimate;
    QCOMPARE(qulonglong(e.codes), codes);
    QCOMPARE(qulonglong(e.scales), scales);
    QCOMPARE(qulonglong(e.zeros), zeros);
    QCOMPARE(qulonglong(e.masks), masks);
    QCOMPARE(qulonglong(e.extra), extra);
    QCOMPARE(plan.totals.estimatedBytes, e.total());
    QCOMPARE(plan.totals.originalBytes, uint64_t(rows) * uint64_t(cols) * 4);
    QCOMPARE(plan.totals.compressionRatio,
             double(plan.totals.originalBytes) / double(plan.totals.estimatedBytes));
    const std::string name = QTest::currentDataTag();
    if (name.find("dense") != std::string::npos)
        QVERIFY2(!e.note.empty(), name.c_str());
    if (name == "svd by energy")
        QVERIFY2(e.note.find("energy 0.95") != std::string::npos, e.note.c_str());
    if (name.starts_with("svd rank"))
        QCOMPARE(e.rank, int64_t(8));
}

void TestRecipe::ggmlScaleBytesFitTheirBlocks()
{
    for (const char *name : {"q4_0", "q4_1", "q5_0", "q5_1", "q8_0", "q2_k", "q3_k", "q4_k", "q5_k",
                             "q6_k"}) {
        const auto t = cwb::ggmlMethodType(name);
        QVERIFY2(t, name);
        const cwb::DTypeInfo &info = cwb::dtypeInfo(*t);
        const int scaleBytes = cwb::ggmlScaleBytesPerBlock(*t);
        QVERIFY2(scaleBytes > 0 && scaleBytes < info.blockBytes, name);
        // The codes left over are at least the type's nominal bits per weight.
        const int codeBits = (info.blockBytes - scaleBytes) * 8;
        const int nominal = name[1] - '0';
        QVERIFY2(codeBits >= nominal * info.blockElems, name);
        QVERIFY2(codeBits < (nominal + 1) * info.blockElems, name);
    }
    QVERIFY(!cwb::ggmlMethodType("rtn"));
}

void TestRecipe::tiedTensorsCountedOnceWhenPlannedAlike()
{
    const cwb::Model model = syntheticModel();
    const cwb::Plan alike = resolveText(R"({"version": 1, "rules": [
      {"match": "embed", "methods": [{"method": "q8_0"}]},
      {"match": "head", "methods": [{"method": "q8_0"}]}]})",
                                        model);
    QVERIFY(alike.warnings.empty());
    QVERIFY(!planFor(alike, "head").countedInTotals);
    const uint64_t q8 = 512 * 64 / 32 * 34;
    QCOMPARE(planFor(alike, "head").estimate.total(), q8);

    const cwb::Plan apart = resolveText(R"({"version": 1, "rules": [
      {"match": "embed", "methods": [{"method": "q8_0"}]},
      {"match": "head", "methods": [{"method": "f16"}]}]})",
                                        model);
    QCOMPARE(apart.warnings.size(), size_t(1));
    QCOMPARE(
        apart.warnings[0].text(),
        std::string("head (output.weight): is a copy of embed (token_embd.weight) but is planned "
                    "differently (f16 vs q8_0(imatrix=false)): the compressed model stores both"));
    QVERIFY(planFor(apart, "head").countedInTotals);
    QCOMPARE(apart.totals.estimatedBytes - alike.totals.estimatedBytes, uint64_t(512 * 64 * 2));
    // Original size and parameters count the copy once, as Model::totals() does.
    QCOMPARE(alike.totals.parameters, model.totals().parameters);
    QCOMPARE(alike.totals.originalBytes, model.totals().bytes);
}

void TestRecipe::reportShowsProvenance()
{
    const cwb::Plan plan = resolveText(R"({"version": 1, "name": "demo",
      "rules": [{"match": "layers.*", "methods": [{"method": "rtn", "params": {"group": 32}}]},
                {"match": "layers.*.mlp.down",
                 "methods": [{"method": "rtn", "params": {"group": -1}}]},
                {"match": "nothing.*", "methods": [{"method": "f16"}]}]})",
                                       syntheticModel());
    QVERIFY2(plan.valid(), allText(plan.errors).c_str());
    const std::string text = cwb::planText(plan);
    for (const char *part :
         {"recipe       test.json (version 1): demo", "calibration  none", "sizes are estimates",
          "layers.0.mlp.down", "blk.0.ffn_down.weight", "64 x 172",
          "set by rules[0] \"layers.*\": rtn | rules[1] \"layers.*.mlp.down\": group | schema: "
          "bits, "
          "sym, f16_scales",
          "keep (1-D: only exact names change it)",
          "rules[2] \"nothing.*\": selected 0, effective on 0", "warnings (1)", "dead rule",
          "ratio"})
        QVERIFY2(text.find(part) != std::string::npos,
                 (std::string(part) + " missing in\n" + text).c_str());

    QJsonParseError perr{};
    const QJsonObject o =
        QJsonDocument::fromJson(QByteArray::fromStdString(cwb::planJson(plan)), &perr).object();
    QCOMPARE(perr.error, QJsonParseError::NoError);
    QCOMPARE(o.value(QString::fromUtf8("schema")).toString(), QString::fromUtf8("cwb.plan/1"));
    QCOMPARE(o.value(QString::fromUtf8("valid")).toBool(), true);
    QCOMPARE(o.value(QString::fromUtf8("warnings")).toArray().size(), 1);
    const QJsonArray tensors = o.value(QString::fromUtf8("tensors")).toArray();
    QCOMPARE(tensors.size(), int(plan.tensors.size()));
    const QJsonObject down = tensors.at(5).toObject();
    QCOMPARE(down.value(QString::fromUtf8("canonical")).toString(),
             QString::fromUtf8("layers.0.mlp.down"));
    const QJsonObject quant = down.value(QString::fromUtf8("methods")).toArray().at(2).toObject();
    QCOMPARE(quant.value(QString::fromUtf8("slot")).toString(), QString::fromUtf8("quantize"));
    QCOMPARE(quant.value(QString::fromUtf8("method")).toString(), QString::fromUtf8("rtn"));
    const QJsonObject group = quant.value(QString::fromUtf8("params")).toArray().at(1).toObject();
    QCOMPARE(group.value(QString::fromUtf8("name")).toString(), QString::fromUtf8("group"));
    QCOMPARE(group.value(QString::fromUtf8("value")).toInt(), -1);
    const QJsonObject setBy = group.value(QString::fromUtf8("set_by")).toObject();
    QCOMPARE(setBy.value(QString::fromUtf8("source")).toString(), QString::fromUtf8("rule"));
    QCOMPARE(setBy.value(QString::fromUtf8("rule")).toInt(), 1);
    QCOMPARE(setBy.value(QString::fromUtf8("match")).toString(),
             QString::fromUtf8("layers.*.mlp.down"));
    QVERIFY(down.value(QString::fromUtf8("methods")).toArray().at(0).toObject().value(
                QString::fromUtf8("method")).isNull());
    QCOMPARE(down.value(QString::fromUtf8("estimate"))
                 .toObject()
                 .value(QString::fromUtf8("bytes"))
                 .toInteger(),
             qint64(planFor(plan, "layers.0.mlp.down").estimate.total()));
    QCOMPARE(o.value(QString::fromUtf8("totals"))
                 .toObject()
                 .value(QString::fromUtf8("estimated_bytes"))
                 .toInteger(),
             qint64(plan.totals.estimatedBytes));
}

void TestRecipe::storiesExampleRecipe()
{
    CWB_SHARED_FILE(path, "models/stories260K/stories260K.gguf");
    const cwb::Model model = cwb::io::openModel(path);
    const cwb::Plan plan =
        cwb::resolvePlan(cwb::parseRecipe(kStoriesRecipe, "stories.json"), model);
    QVERIFY2(plan.valid(), allText(plan.errors).c_str());
    QCOMPARE(plan.tensors.size(), size_t(48));

    int rtnMatrices = 0, kept1d = 0;
    for (const auto &tp : plan.tensors) {
        const cwb::SlotPlan &q = tp.slot(MethodSlot::Quantize);
        if (tp.canonical.starts_with("layers.") && tp.shape.size() == 2) {
            ++rtnMatrices;
            QCOMPARE(q.method, std::string("rtn"));
            QVERIFY(q.from == (cwb::Provenance{Source::Rule, 0, "layers.*"}));
            const bool down = tp.canonical.ends_with("mlp.down");
            QCOMPARE(cwb::paramInt(q.value("group")), int64_t(down ? -1 : 32));
            QCOMPARE(q.find("group")->from.rule, down ? 1 : 0);
            const bool layer0Down = tp.canonical == "layers.0.mlp.down";
            QCOMPARE(cwb::paramInt(q.value("bits")), int64_t(layer0Down ? 8 : 4));
            QVERIFY(q.find("bits")->from.source == (layer0Down ? Source::Override : Source::Rule));
            QVERIFY(q.find("sym")->from.source == Source::Defaults);
        } else if (tp.shape.size() == 1) {
            ++kept1d;
            QVERIFY2(!tp.changed(), tp.name.c_str());
        }
    }
    QCOMPARE(rtnMatrices, 35);
    QCOMPARE(kept1d, 11);
    QCOMPARE(planFor(plan, "embed").summary(), std::string("q8_0(imatrix=false)"));
    QCOMPARE(planFor(plan, "head").summary(), std::string("q8_0(imatrix=false)"));
    QVERIFY(!planFor(plan, "head").countedInTotals); // tied to embed, planned alike
    QCOMPARE(plan.totals.changed, int64_t(37));

    QCOMPARE(plan.rules[0].selected, int64_t(35));
    QCOMPARE(plan.rules[1].selected, int64_t(5));
    QCOMPARE(plan.rules[4].selected, int64_t(0));
    QCOMPARE(plan.warnings.size(), size_t(1));
    QVERIFY(plan.warnings[0].text().starts_with("rules[4] \"layers.9.*\": matches no tensor"));

    // Per layer (4-bit, group 32; down per-channel): q 2304, k 1152, v 1152, o 2304, gate 6192,
    // up 6192, down 5632 = 24928; layer 0's down at 8 bits is 11136; embed q8_0 34816; head
    // counted once; 11 norms of 256 bytes.
    const uint64_t expected = 5 * 24928 + (11136 - 5632) + 34816 + 11 * 256;
    QCOMPARE(plan.totals.estimatedBytes, expected);
    QCOMPARE(plan.totals.originalBytes, model.totals().bytes);
    QCOMPARE(plan.totals.parameters, int64_t(260032));
    QVERIFY(plan.totals.compressionRatio > 6.0 && plan.totals.compressionRatio < 6.3);
}

void TestRecipe::storiesBadPlanListsEverything()
{
    CWB_SHARED_FILE(path, "models/stories260K/stories260K.gguf");
    const cwb::Model model = cwb::io::openModel(path);
    const cwb::ParsedRecipe parsed = cwb::parseRecipeLenient(R"({"version": 1,
      "rules": [{"match": "layers.*", "methods": [{"method": "gptq", "params": {"group": 32}}]},
                {"match": "embed", "methods": [{"method": "q4_z"}]},
                {"match": "head", "methods": [{"method": "sparse_magic"}, {"method": "q8_0"}]}],
      "overrides": {"blk.9.attn_q.weight": {"methods": [{"method": "f16"}]},
                    "layers.7.attn.q": {"methods": [{"method": "f16"}]},
                    "lm_head.weight": {"methods": [{"method": "f16"}]}}})",
                                                             "bad.json");
    const cwb::Plan plan = cwb::resolvePlan(parsed, model, {});
    const std::string err = cwbtest::errorOf([&] { cwb::requireValidPlan(plan); });
    for (const char *part : {"rules[1].methods[0].method: unknown method \"q4_z\"",
                             "rules[2].methods[0].method: unknown method \"sparse_magic\"",
                             "overrides[\"blk.9.attn_q.weight\"]: no tensor named",
                             "overrides[\"layers.7.attn.q\"]: no tensor named",
                             "overrides[\"lm_head.weight\"]: no tensor named",
                             "layers.4.mlp.down (blk.4.ffn_down.weight): gptq group 32 does not "
                             "divide the row length 172",
                             "layers.4.attn.v (blk.4.attn_v.weight): gptq needs calibration text"})
        QVERIFY2(err.find(part) != std::string::npos,
                 (std::string(part) + " missing in\n" + err).c_str());
    // 2 unknown methods + 3 unknown tensors + 35 calibration + 5 down-projection group sizes.
    QCOMPARE(plan.errors.size(), size_t(2 + 3 + 35 + 5));
    QVERIFY(err.find(std::to_string(plan.errors.size()) + " problems") != std::string::npos);
}

// The README's parameter table is the method table in prose, and its example means what it says.
void TestRecipe::readmeDocumentsTheSchema()
{
    QFile f(QString::fromUtf8(CWB_SOURCE_DIR "/README.md"));
    QVERIFY(f.open(QIODevice::ReadOnly));
    const std::string readme = f.readAll().toStdString();
    const size_t begin = readme.find("## Recipe (version 1)");
    QVERIFY(begin != std::string::npos);
    const std::string section = readme.substr(begin, readme.find("\n## ", begin + 1) - begin);
    for (const auto &m : cwb::methodTable()) {
        const std::string row = "| `" + m.name + "` | " + std::string(cwb::slotName(m.slot)) + " |";
        QVERIFY2(section.find(row) != std::string::npos, row.c_str());
        for (const auto &p : m.params) {
            std::string def = cwb::formatParamValue(p.defaultValue);
            if (p.type == cwb::ParamType::Choice)
                def = '"' + def + '"';
            const std::string param = "| `" + m.name + "` | `" + p.name + "` | "
                                      + std::string(cwb::paramTypeName(p.type)) + " | "
                                      + cwb::allowedValues(p) + " | " + def + " |";
            QVERIFY2(section.find(param) != std::string::npos, param.c_str());
        }
    }

    const size_t json = section.find("```json\n");
    QVERIFY(json != std::string::npos);
    const std::string example = section.substr(json + 8, section.find("```", json + 8) - json - 8);
    CWB_SHARED_FILE(path, "models/stories260K/stories260K.gguf");
    const cwb::Model model = cwb::io::openModel(path);
    cwb::PlanOptions calibrated;
    calibrated.calibration = true;
    const cwb::Plan plan =
        cwb::resolvePlan(cwb::parseRecipe(example, "README.md"), model, calibrated);
    QVERIFY2(plan.valid(), allText(plan.errors).c_str());
    const cwb::TensorPlan &down = planFor(plan, "layers.3.mlp.down");
    QVERIFY2(down.summary().starts_with("gptq(bits=4, group=-1, sym=true, damp=0.02, "),
             down.summary().c_str());
    QCOMPARE(cwb::provenanceLine(down),
             std::string("defaults: damp | rules[0] \"layers.*\": gptq, bits | rules[1] "
                         "\"layers.*.mlp.down\": group | schema: sym, act_order, block_size"));
    QCOMPARE(planFor(plan, "layers.1.attn.v").summary(),
             std::string("magnitude(sparsity=0.5, nm=2:4) -> rtn(bits=8, group=32, sym=true, "
                         "f16_scales=true)"));
    QCOMPARE(planFor(plan, "layers.0.mlp.down").summary(), std::string("keep"));
    QCOMPARE(planFor(plan, "layers.0.attn_norm").summary(), std::string("keep"));
}

// A Recipe assembled in code (as the GUI will) gets the parser's checks from resolvePlan.
void TestRecipe::codeBuiltRecipesAreChecked()
{
    using cwb::MethodEntry;
    using cwb::ParamValue;
    cwb::Recipe r;
    r.source = "gui";
    r.defaultParams.push_back({"gptq", {{"damp", ParamValue{int64_t{0}}}}}); // int for a float
    r.defaultParams.push_back({"gptqq", {}});
    cwb::RecipeRule rule;
    rule.match = "layers.*";
    const ParamValue perChannel{int64_t{-1}};
    rule.methods.push_back(MethodEntry{"gptq", MethodSlot::Prune, {{"group", perChannel}}, {}});
    r.rules.push_back(rule);
    cwb::RecipeRule bad;
    bad.index = 1;
    bad.match = "embed";
    bad.methods.push_back(MethodEntry{"rtnx", MethodSlot::Quantize, {}, {}});
    bad.methods.push_back(MethodEntry{"none", MethodSlot::Quantize, {}, {}});
    bad.methods.push_back(MethodEntry{"rtn", MethodSlot::Quantize,
                                      {{"bits", ParamValue{int64_t{9}}},
                                       {"size", ParamValue{true}},
                                       {"group", perChannel}},
                                      {}});
    r.rules.push_back(bad);
    const cwb::Plan plan = cwb::resolvePlan(r, syntheticModel(), {true});
    const std::string errors = allText(plan.errors);
    QCOMPARE(plan.errors.size(), size_t(5));
    for (const char *part : {"defaults.params.gptqq: unknown method \"gptqq\"",
                             "rules[1].methods[0].method: unknown method \"rtnx\"",
                             "rules[1].methods[1]: \"none\" cannot empty the quantize slot",
                             "rules[1].methods[2].params.bits: 9 is out of range 2..8",
                             "rules[1].methods[2].params.size: rtn has no parameter \"size\""})
        QVERIFY2(errors.find(part) != std::string::npos,
                 (std::string(part) + " missing in\n" + errors).c_str());
    // The slot comes from the method table, the integer damp became a double.
    const cwb::SlotPlan &q = planFor(plan, "layers.0.attn.q").slot(MethodSlot::Quantize);
    QCOMPARE(q.method, std::string("gptq"));
    QCOMPARE(cwb::paramFloat(q.value("damp")), 0.0);
    QVERIFY(!planFor(plan, "layers.0.attn.q").slot(MethodSlot::Prune).used());
}

QTEST_GUILESS_MAIN(TestRecipe)
#include "test_recipe.moc"
