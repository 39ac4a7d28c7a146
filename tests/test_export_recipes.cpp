// SPDX-License-Identifier: MIT
// Recipe exports (core/export): a mixed plan over dev256 written for llm-compressor (YAML),
// GPTQModel (quantize_config.json) and llama.cpp (tensor types, command lines, imatrix.dat),
// each equal to its golden file under tests/data/export_recipes and parsed back field by field
// with yaml-cpp / nlohmann-json; plans a target cannot express say so per tensor; the imatrix
// .dat read back byte by byte; llama.cpp's own llama-quantize, given our imatrix.dat, writes the
// same bytes as our GGUF export of an archive compressed with q4_k + imatrix on the same
// statistics; hostile output paths leave the previous files and no temporary ones.
//
// CWB_UPDATE_GOLDEN=1 rewrites the golden files from this build (review the diff).

#include "analysis/activation_stats.h"
#include "export/export.h"
#include "export/gguf_names.h"
#include "export/gguf_export.h"
#include "export/gptqmodel_export.h"
#include "export/llamacpp_export.h"
#include "export/llm_compressor_export.h"
#include "io/gguf_reader.h"
#include "io/imatrix_file.h"
#include "io/open_model.h"
#include "methods/registry.h"
#include "pipeline/archive.h"
#include "pipeline/pipeline.h"
#include "recipe/recipe.h"
#include "recipe/resolve.h"
#include "test_support.h"
#include "util/error.h"

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <set>
#include <unistd.h>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace {

constexpr const char *kGoldenDir = CWB_SOURCE_DIR "/tests/data/export_recipes";
constexpr const char *kCalib = "data/dev256/calib.txt";

std::string readFile(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// `text` with the machine's shared directory written as $CWB_SHARED.
std::string portable(std::string text)
{
    const std::string shared = fs::absolute(cwbtest::sharedDir()).lexically_normal().string();
    for (size_t at = text.find(shared); at != std::string::npos; at = text.find(shared, at))
        text.replace(at, shared.size(), "$CWB_SHARED");
    return text;
}

// Compares `written` with the golden file `name` (or rewrites it with CWB_UPDATE_GOLDEN=1).
QString goldenProblem(const std::string &name, const std::string &written)
{
    const std::string path = std::string(kGoldenDir) + "/" + name;
    const std::string text = portable(readFile(written));
    if (std::getenv("CWB_UPDATE_GOLDEN")) {
        fs::create_directories(kGoldenDir);
        std::ofstream(path, std::ios::binary) << text;
        return {};
    }
    if (!fs::exists(path))
        return QStringLiteral("missing golden file %1").arg(QString::fromStdString(path));
    const std::string golden = readFile(path);
    if (golden == text)
        return {};
    size_t at = 0;
    while (at < golden.size() && at < text.size() && golden[at] == text[at])
        ++at;
    return QStringLiteral("%1 differs from the golden file at byte %2: written \"%3\", golden "
                          "\"%4\"")
        .arg(QString::fromStdString(written))
        .arg(at)
        .arg(QString::fromStdString(text.substr(at > 40 ? at - 40 : 0, 120)),
             QString::fromStdString(golden.substr(at > 40 ? at - 40 : 0, 120)));
}

std::vector<std::string> filesIn(const std::string &dir)
{
    std::vector<std::string> names;
    for (const auto &e : fs::directory_iterator(dir))
        names.push_back(e.path().filename().string());
    return names;
}

bool hasTemporaries(const std::string &dir)
{
    for (const std::string &n : filesIn(dir))
        if (n.find(".tmp-") != std::string::npos || n.find(".old-") != std::string::npos)
            return true;
    return false;
}

const cwb::ExportedTensor *row(const cwb::ExportResult &r, const std::string &name)
{
    for (const cwb::ExportedTensor &t : r.tensors)
        if (t.name == name)
            return &t;
    return nullptr;
}

cwb::Plan planFor(const cwb::Model &m, const std::string &recipeJson, const std::string &source)
{
    cwb::PlanOptions o;
    o.calibration = true;
    cwb::Plan plan = cwb::resolvePlan(cwb::parseRecipeLenient(recipeJson, source), m, o);
    cwb::requireValidPlan(plan);
    return plan;
}

cwb::ActivationStats collectStats(const cwb::Model &m, const std::string &calib, int64_t sequences,
                                  int64_t tokens)
{
    cwb::ActivationParams p;
    p.sequences = sequences;
    p.tokensPerSequence = tokens;
    p.threads = 1; // one collection, shared by everything compared below
    return cwb::collectActivationStats(m, calib, p);
}

// The mixed plan every target is golden-tested with: GPTQ (act order, one tensor with another
// dampening), rtn grids (per channel; symmetric and asymmetric in groups of 32), SparseGPT 2:4
// and Wanda before quantization, fp8, ggml blocks with and without an imatrix, nf4, a kept
// projection, low rank.
const char *kMixedRecipe = R"({"version": 1, "rules": [
    {"match": "layers.*.attn.*", "methods":
        [{"method": "gptq", "params": {"bits": 4, "group": 128}}]},
    {"match": "layers.*.mlp.*", "methods":
        [{"method": "rtn", "params": {"bits": 8, "group": -1}}]},
    {"match": "layers.5.attn.*", "methods":
        [{"method": "gptq", "params": {"bits": 4, "group": 128, "damp": 0.05}}]},
    {"match": "layers.0.mlp.down", "methods":
        [{"method": "rtn", "params": {"bits": 4, "group": 32}}]},
    {"match": "layers.1.mlp.down", "methods":
        [{"method": "sparsegpt", "params": {"nm": "2:4"}},
         {"method": "gptq", "params": {"bits": 4, "group": 32}}]},
    {"match": "layers.2.mlp.down", "methods": [{"method": "nf4"}]},
    {"match": "layers.3.attn.o", "methods": [{"method": "keep"}]},
    {"match": "layers.3.mlp.up", "methods":
        [{"method": "wanda", "params": {"sparsity": 0.3}},
         {"method": "rtn", "params": {"bits": 8, "group": -1}}]},
    {"match": "layers.4.mlp.up", "methods": [{"method": "q4_k", "params": {"imatrix": true}}]},
    {"match": "layers.4.mlp.gate", "methods": [{"method": "q6_k"}]},
    {"match": "layers.5.mlp.down", "methods":
        [{"method": "rtn", "params": {"bits": 4, "group": 32, "sym": false}}]},
    {"match": "layers.5.mlp.gate", "methods":
        [{"method": "fp8_e4m3", "params": {"granularity": "per-channel"}}]},
    {"match": "layers.0.mlp.gate", "methods":
        [{"method": "svd", "params": {"rank": 32}}, {"method": "f16"}]},
    {"match": "embed", "methods": [{"method": "q8_0"}]}]})";

} // namespace

class TestExportRecipes : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void llmCompressorMixedRecipe();
    void gptqModelMixedRecipe();
    void llamaCppMixedRecipe();
    void notExpressibleRowsSayWhat_data();
    void notExpressibleRowsSayWhat();
    void imatrixDatReadsBackFieldByField();
    void llamaQuantizeMatchesOurGgufExport();
    void hostilePathsLeaveThePreviousFiles();
    void previewWritesNothing();

private:
    QTemporaryDir dir_;
    std::optional<cwb::Model> dev_;
    std::optional<cwb::Plan> mixed_;
    std::optional<cwb::ActivationStats> stats_;
    std::string out(const char *name) const
    {
        return dir_.filePath(QString::fromUtf8(name)).toStdString();
    }
};

void TestExportRecipes::initTestCase()
{
    QVERIFY(dir_.isValid());
    CWB_SHARED_FILE(dev, "models/dev256");
    CWB_SHARED_FILE(calib, kCalib);
    dev_ = cwb::io::openModel(dev);
    mixed_ = planFor(*dev_, kMixedRecipe, "mixed.recipe.json");
    stats_ = collectStats(*dev_, calib, 8, 64);
}

void TestExportRecipes::llmCompressorMixedRecipe()
{
    const std::string path = out("mixed.yaml");
    const cwb::ExportResult r =
        cwb::exportLlmCompressor({&*dev_, &*mixed_, path, false, {}});
    std::printf("%s", cwb::exportText(r).c_str());
    QVERIFY(r.written && r.verified);
    const QString golden = goldenProblem("mixed.yaml", path);
    QVERIFY2(golden.isEmpty(), qPrintable(golden));

    // Parsed back as llm-compressor reads it: stages, modifiers, config groups, field by field.
    const YAML::Node y = YAML::LoadFile(path);
    const YAML::Node sparsity = y["sparsity_stage"]["sparsity_modifiers"];
    QVERIFY(sparsity.IsMap());
    const YAML::Node sgpt = sparsity["SparseGPTModifier"];
    QCOMPARE(sgpt["sparsity"].as<double>(), 0.5);
    QCOMPARE(sgpt["mask_structure"].as<std::string>(), std::string("2:4"));
    // Quoted: PyYAML would read a plain 2:4 as the sexagesimal 124.
    QCOMPARE(sgpt["mask_structure"].Tag(), std::string("!"));
    QCOMPARE(sgpt["block_size"].as<int>(), 128);
    QCOMPARE(sgpt["dampening_frac"].as<double>(), 0.01);
    QCOMPARE(sgpt["targets"].size(), size_t(1));
    QCOMPARE(sgpt["targets"][0].as<std::string>(),
             std::string(R"(re:^model\.layers\.1\.mlp\.down_proj$)"));
    const YAML::Node wanda = sparsity["WandaPruningModifier"];
    QCOMPARE(wanda["sparsity"].as<double>(), 0.3);
    QCOMPARE(wanda["mask_structure"].as<std::string>(), std::string("0:0"));
    QCOMPARE(wanda["targets"][0].as<std::string>(),
             std::string(R"(re:^model\.layers\.3\.mlp\.up_proj$)"));

    // The sparsity stage runs first: key order is stage order.
    QCOMPARE(y.begin()->first.as<std::string>(), std::string("sparsity_stage"));
    const YAML::Node quant = y["quant_stage"]["quant_modifiers"];
    const YAML::Node gptq = quant["GPTQModifier"];
    QCOMPARE(gptq["block_size"].as<int>(), 128);
    QCOMPARE(gptq["dampening_frac"].as<double>(), 0.01); // the majority; layers.5 wanted 0.05
    QCOMPARE(gptq["actorder"].as<std::string>(), std::string("static"));
    const std::set<std::string> gptqKeys = {"block_size", "dampening_frac", "actorder",
                                            "config_groups", "ignore"};
    for (const auto &kv : gptq)
        QVERIFY2(gptqKeys.contains(kv.first.as<std::string>()), kv.first.Scalar().c_str());
    // Every weights block has only keys compressed-tensors' QuantizationArgs knows.
    const std::set<std::string> argKeys = {"num_bits", "type", "symmetric", "strategy",
                                           "group_size", "actorder", "dynamic"};
    std::map<std::string, std::string> groupOf; // target -> "Modifier/group"
    for (const char *cls : {"GPTQModifier", "QuantizationModifier"}) {
        for (const auto &g : quant[cls]["config_groups"]) {
            const YAML::Node w = g.second["weights"];
            for (const auto &kv : w)
                QVERIFY2(argKeys.contains(kv.first.as<std::string>()), kv.first.Scalar().c_str());
            QCOMPARE(w["dynamic"].as<bool>(), false);
            for (const auto &t : g.second["targets"]) {
                const std::string target = t.as<std::string>();
                QVERIFY2(target.starts_with("re:^") && target.ends_with("$"), target.c_str());
                // No module is in two groups.
                QVERIFY2(groupOf.emplace(target, std::string(cls) + "/" + g.first.Scalar()).second,
                         target.c_str());
            }
        }
    }
    const auto weightsOf = [&](const std::string &module) {
        const std::string target = "re:^" + module + "$";
        const std::string where = groupOf.at(target);
        const std::string cls = where.substr(0, where.find('/'));
        return quant[cls]["config_groups"][where.substr(where.find('/') + 1)]["weights"];
    };
    QVERIFY(groupOf.contains(R"(re:^model\.layers\.0\.self_attn\.q_proj$)"));
    YAML::Node w = weightsOf(R"(model\.layers\.0\.self_attn\.q_proj)");
    QCOMPARE(w["num_bits"].as<int>(), 4);
    QCOMPARE(w["type"].as<std::string>(), std::string("int"));
    QCOMPARE(w["symmetric"].as<bool>(), true);
    QCOMPARE(w["strategy"].as<std::string>(), std::string("group"));
    QCOMPARE(w["group_size"].as<int>(), 128);
    QCOMPARE(w["actorder"].as<std::string>(), std::string("static"));
    QVERIFY(groupOf.at(R"(re:^model\.layers\.0\.self_attn\.q_proj$)").starts_with("GPTQModifier"));
    w = weightsOf(R"(model\.layers\.0\.mlp\.up_proj)");
    QCOMPARE(w["num_bits"].as<int>(), 8);
    QCOMPARE(w["strategy"].as<std::string>(), std::string("channel"));
    QVERIFY(!w["group_size"]);
    QVERIFY(!w["actorder"]); // a QuantizationModifier group: rtn has no ordering
    w = weightsOf(R"(model\.layers\.5\.mlp\.down_proj)");
    QCOMPARE(w["symmetric"].as<bool>(), false);
    QCOMPARE(w["group_size"].as<int>(), 32);
    w = weightsOf(R"(model\.layers\.5\.mlp\.gate_proj)");
    QCOMPARE(w["type"].as<std::string>(), std::string("float"));
    QCOMPARE(w["num_bits"].as<int>(), 8);
    QCOMPARE(w["strategy"].as<std::string>(), std::string("channel"));
    // The kept projection and the f16 one (low rank, not expressible) are ignored, by both
    // quantization modifiers.
    for (const char *cls : {"GPTQModifier", "QuantizationModifier"}) {
        std::set<std::string> ignored;
        for (const auto &i : quant[cls]["ignore"])
            ignored.insert(i.as<std::string>());
        QCOMPARE(ignored, (std::set<std::string>{R"(re:^model\.layers\.0\.mlp\.gate_proj$)",
                                                 R"(re:^model\.layers\.3\.self_attn\.o_proj$)"}));
    }

    // Rows: one per tensor, each saying its modifier and group, or why not.
    QCOMPARE(r.tensors.size(), dev_->tensors.size());
    const cwb::ExportedTensor *q = row(r, "model.layers.0.self_attn.q_proj");
    QVERIFY(q && q->exact());
    QVERIFY2(q->written.find("(int4 g128 sym, GPTQModifier)") != std::string::npos,
             q->written.c_str());
    const cwb::ExportedTensor *damp = row(r, "model.layers.5.self_attn.q_proj");
    QVERIFY(damp && damp->fate == cwb::ExportFate::NotExpressible);
    QVERIFY2(damp->note.find("dampening_frac 0.05 (given 0.01)") != std::string::npos,
             damp->note.c_str());
    const cwb::ExportedTensor *down1 = row(r, "model.layers.1.mlp.down_proj");
    QVERIFY(down1 && down1->exact());
    QVERIFY2(down1->written.starts_with("SparseGPTModifier"), down1->written.c_str());
    QVERIFY(row(r, "model.layers.5.mlp.gate_proj")->exact()); // fp8 e4m3 per channel
    QVERIFY(row(r, "model.layers.3.self_attn.o_proj")->exact()); // keep
    QCOMPARE(row(r, "model.layers.0.mlp.gate_proj")->fate, cwb::ExportFate::NotExpressible);
    QVERIFY(row(r, "model.layers.0.mlp.gate_proj")->note.find("no low-rank") != std::string::npos);
    QCOMPARE(row(r, "model.layers.2.mlp.down_proj")->fate, cwb::ExportFate::NotExpressible);
    QCOMPARE(row(r, "model.layers.4.mlp.up_proj")->fate, cwb::ExportFate::NotExpressible);
    QVERIFY(row(r, "model.norm.weight")->exact());
}

void TestExportRecipes::gptqModelMixedRecipe()
{
    const std::string path = out("quantize_config.json");
    const cwb::ExportResult r = cwb::exportGptqModel({&*dev_, &*mixed_, path, false, {}});
    std::printf("%s", cwb::exportText(r).c_str());
    QVERIFY(r.written && r.verified);
    const QString golden = goldenProblem("mixed.quantize_config.json", path);
    QVERIFY2(golden.isEmpty(), qPrintable(golden));

    const nlohmann::json j = nlohmann::json::parse(std::ifstream(path));
    // Base: the most common gptq / rtn grid (gptq int4 g128 with act order, 23 tensors).
    QCOMPARE(j["bits"].get<int>(), 4);
    QCOMPARE(j["group_size"].get<int>(), 128);
    QCOMPARE(j["sym"].get<bool>(), true);
    QCOMPARE(j["desc_act"].get<bool>(), true);
    QCOMPARE(j["static_groups"].get<bool>(), true);
    QCOMPARE(j["act_group_aware"].get<bool>(), false);
    QCOMPARE(j["damp_percent"].get<double>(), 0.01);
    QCOMPARE(j["lm_head"].get<bool>(), false);
    QCOMPARE(j["quant_method"].get<std::string>(), std::string("gptq"));
    QCOMPARE(j["format"].get<std::string>(), std::string("gptq"));
    QVERIFY(!j.contains("weight_only"));
    const nlohmann::json &dyn = j["dynamic"];
    // Keys in file order (nlohmann::ordered_json): the first match wins in GPTQModel.
    const nlohmann::ordered_json ordered =
        nlohmann::ordered_json::parse(std::ifstream(path))["dynamic"];
    std::vector<std::string> keys;
    for (const auto &[k, v] : ordered.items())
        keys.push_back(k);
    QVERIFY(!keys.empty());
    for (const std::string &k : keys) {
        QVERIFY2(k.starts_with("+:^") || k.starts_with("-:^"), k.c_str());
        QVERIFY2(k.ends_with("$"), k.c_str());
    }
    // The kept projection: negative, empty.
    const std::string kept = R"(-:^model\.layers\.3\.self_attn\.o_proj$)";
    QVERIFY(dyn.contains(kept) && dyn[kept].empty());
    // gate and up agree in layer 1 (rtn int8 per channel): one key, with vLLM's fused name.
    const std::string fused = R"(+:^model\.layers\.1\.mlp\.(gate_proj|up_proj|gate_up_proj)$)";
    QVERIFY2(dyn.contains(fused), dyn.dump().c_str());
    QCOMPARE(dyn[fused]["bits"].get<int>(), 8);
    QCOMPARE(dyn[fused]["group_size"].get<int>(), -1);
    QCOMPARE(dyn[fused]["sym"].get<bool>(), true);
    QCOMPARE(dyn[fused]["desc_act"].get<bool>(), false);
    const std::string down5 = R"(+:^model\.layers\.5\.mlp\.down_proj$)";
    QCOMPARE(dyn[down5]["bits"].get<int>(), 4);
    QCOMPARE(dyn[down5]["group_size"].get<int>(), 32);
    QCOMPARE(dyn[down5]["sym"].get<bool>(), false);
    // Layer 4's gate (q6_k's nearest grid) and up (q4_k's) differ: separate keys, and a note.
    QVERIFY(dyn.contains(R"(+:^model\.layers\.4\.mlp\.gate_proj$)"));
    bool vllmNote = false;
    for (const std::string &n : r.notes)
        vllmNote = vllmNote || (n.find("model.layers.4.mlp") != std::string::npos
                                && n.find("vLLM") != std::string::npos);
    QVERIFY(vllmNote);
    // A base-setting tensor has no entry: no key names layer 0's q_proj.
    for (const std::string &k : keys)
        QVERIFY2(k.find(R"(layers\.0\.self_attn)") == std::string::npos, k.c_str());

    const cwb::ExportedTensor *q = row(r, "model.layers.0.self_attn.q_proj");
    QVERIFY(q && q->exact() && q->written.starts_with("base:"));
    const cwb::ExportedTensor *rtn = row(r, "model.layers.0.mlp.up_proj");
    QCOMPARE(rtn->fate, cwb::ExportFate::NotExpressible); // one algorithm per model: gptq
    QVERIFY2(rtn->note.find("one algorithm per model") != std::string::npos, rtn->note.c_str());
    QCOMPARE(row(r, "model.embed_tokens")->fate, cwb::ExportFate::NotExpressible);
}

void TestExportRecipes::llamaCppMixedRecipe()
{
    const std::string path = out("llamacpp-mixed");
    const cwb::ExportResult r = cwb::exportLlamaCpp({&*dev_, &*mixed_, &*stats_, path, false, {}});
    std::printf("%s", cwb::exportText(r).c_str());
    QVERIFY(r.written && r.verified);
    QCOMPARE(r.files.size(), size_t(3));
    for (const char *name : {"tensor-types.txt", "quantize-command.txt"}) {
        const QString golden =
            goldenProblem(std::string("mixed.") + name, path + "/" + std::string(name));
        QVERIFY2(golden.isEmpty(), qPrintable(golden));
    }
    // tensor-types.txt: PATTERN=TYPE tokens, anchored, one per quantizable matrix, none overlap.
    std::istringstream tokens(readFile(path + "/tensor-types.txt"));
    std::map<std::string, std::string> typeOf;
    for (std::string t; tokens >> t;) {
        const size_t eq = t.find('=');
        QVERIFY2(eq != std::string::npos && t.starts_with("^") && t[eq - 1] == '$', t.c_str());
        QVERIFY2(typeOf.emplace(t.substr(0, eq), t.substr(eq + 1)).second, t.c_str());
    }
    QCOMPARE(typeOf.size(), size_t(43)); // 6 layers x 7 projections + token_embd
    QCOMPARE(typeOf.at(R"(^blk\.4\.ffn_up\.weight$)"), std::string("Q4_K"));
    QCOMPARE(typeOf.at(R"(^blk\.4\.ffn_gate\.weight$)"), std::string("Q6_K"));
    QCOMPARE(typeOf.at(R"(^blk\.0\.ffn_down\.weight$)"), std::string("Q4_0")); // rtn int4 g32 sym
    QCOMPARE(typeOf.at(R"(^blk\.5\.ffn_down\.weight$)"), std::string("Q4_1")); // asym
    QCOMPARE(typeOf.at(R"(^token_embd\.weight$)"), std::string("Q8_0"));
    const std::string command = readFile(path + "/quantize-command.txt");
    QVERIFY2(command.find("llama-quantize --imatrix imatrix.dat --token-embedding-type Q8_0 "
                          "--tensor-type-file tensor-types.txt MODEL-F32.gguf OUT.gguf")
                 != std::string::npos,
             command.c_str());
    QVERIFY(command.find("--pure MODEL-F32.gguf OUT.gguf") != std::string::npos);
    QVERIFY(command.find("c392e509") != std::string::npos);

    const cwb::ExportedTensor *up = row(r, "blk.4.ffn_up.weight");
    QVERIFY(up && up->exact());
    QCOMPARE(up->written, std::string("Q4_K + imatrix"));
    QVERIFY(row(r, "blk.4.ffn_gate.weight")->exact());
    const cwb::ExportedTensor *rtn = row(r, "blk.0.ffn_down.weight");
    QCOMPARE(rtn->fate, cwb::ExportFate::NotExpressible);
    QVERIFY2(rtn->note.find("own scales and rounding") != std::string::npos, rtn->note.c_str());
    const cwb::ExportedTensor *nf4 = row(r, "blk.2.ffn_down.weight");
    QCOMPARE(nf4->fate, cwb::ExportFate::NotExpressible);
    QVERIFY2(nf4->note.find("gives it the base type") != std::string::npos, nf4->note.c_str());
    QVERIFY(row(r, "output_norm.weight")->exact());
    const cwb::io::ImatrixFile dat = cwb::io::readImatrixFile(path + "/imatrix.dat");
    QCOMPARE(dat.entries.size(), size_t(1)); // only the tensor planned with an imatrix
    QCOMPARE(dat.entries[0].name, std::string("blk.4.ffn_up.weight"));
}

void TestExportRecipes::notExpressibleRowsSayWhat_data()
{
    QTest::addColumn<QString>("target");
    QTest::addColumn<QString>("recipe");
    QTest::addColumn<QString>("tensor");
    QTest::addColumn<QString>("message");
    const QString nf4 = QStringLiteral(
        R"({"version": 1, "rules":
            [{"match": "layers.*.mlp.*", "methods": [{"method": "nf4"}]}]})");
    const QString svd = QStringLiteral(
        R"({"version": 1, "rules": [{"match": "layers.0.attn.q", "methods":
            [{"method": "svd", "params": {"rank": 32}},
             {"method": "gptq", "params": {"group": 32}}]},
            {"match": "layers.1.attn.q", "methods": [{"method": "gptq"}]}]})");
    const QString wanda = QStringLiteral(
        R"({"version": 1, "rules": [{"match": "layers.*.attn.*", "methods":
            [{"method": "wanda", "params": {"nm": "2:4"}}, {"method": "gptq"}]}]})");
    const QString magnitude = QStringLiteral(
        R"({"version": 1, "rules": [{"match": "layers.*.attn.*", "methods":
            [{"method": "magnitude"}, {"method": "rtn"}]}]})");
    const QString fp8 = QStringLiteral(
        R"({"version": 1, "rules": [{"match": "layers.*.attn.*", "methods": [{"method": "rtn"}]},
            {"match": "layers.2.attn.v", "methods": [{"method": "fp8_e5m2"}]}]})");
    const QString actOrder = QStringLiteral(
        R"({"version": 1, "rules": [{"match": "layers.*.attn.*", "methods": [{"method": "gptq"}]},
            {"match": "layers.2.attn.v", "methods":
                [{"method": "gptq", "params": {"act_order": false}}]}]})");
    QTest::newRow("gptqmodel nf4") << QStringLiteral("gptqmodel") << nf4
                                   << QStringLiteral("model.layers.0.mlp.up_proj")
                                   << QStringLiteral("has no NF4 codebook");
    QTest::newRow("gptqmodel svd") << QStringLiteral("gptqmodel") << svd
                                   << QStringLiteral("model.layers.0.self_attn.q_proj")
                                   << QStringLiteral("GPTQModel has no low-rank factorization");
    QTest::newRow("gptqmodel wanda 2:4") << QStringLiteral("gptqmodel") << wanda
                                         << QStringLiteral("model.layers.3.self_attn.k_proj")
                                         << QStringLiteral("GPTQModel does not prune");
    QTest::newRow("llm-compressor magnitude")
        << QStringLiteral("llm-compressor") << magnitude
        << QStringLiteral("model.layers.1.self_attn.v_proj")
        << QStringLiteral("MagnitudePruningModifier follows a training schedule");
    QTest::newRow("llm-compressor svd") << QStringLiteral("llm-compressor") << svd
                                        << QStringLiteral("model.layers.0.self_attn.q_proj")
                                        << QStringLiteral("llm-compressor has no low-rank");
    QTest::newRow("llm-compressor fp8 e5m2") << QStringLiteral("llm-compressor") << fp8
                                             << QStringLiteral("model.layers.2.self_attn.v_proj")
                                             << QStringLiteral("e4m3 only");
    QTest::newRow("llm-compressor act order")
        << QStringLiteral("llm-compressor") << actOrder
        << QStringLiteral("model.layers.2.self_attn.v_proj")
        << QStringLiteral("actorder null (given static)");
    QTest::newRow("llama.cpp nf4") << QStringLiteral("llama.cpp") << nf4
                                   << QStringLiteral("blk.0.ffn_up.weight")
                                   << QStringLiteral("ggml has no NF4 type");
    QTest::newRow("llama.cpp wanda") << QStringLiteral("llama.cpp") << wanda
                                     << QStringLiteral("blk.0.attn_q.weight")
                                     << QStringLiteral("GGUF stores no sparsity");
    QTest::newRow("llama.cpp gptq g128") << QStringLiteral("llama.cpp") << actOrder
                                         << QStringLiteral("blk.0.attn_q.weight")
                                         << QStringLiteral("no ggml type holds this grid");
}

void TestExportRecipes::notExpressibleRowsSayWhat()
{
    QFETCH(QString, target);
    QFETCH(QString, recipe);
    QFETCH(QString, tensor);
    QFETCH(QString, message);
    const cwb::Plan plan = planFor(*dev_, recipe.toStdString(), "case");
    cwb::ExportRequest request;
    request.target = *cwb::exportTargetFromName(target.toStdString());
    request.model = &*dev_;
    request.plan = &plan;
    request.preview = true;
    request.outPath = out("never-written");
    const cwb::ExportResult r = cwb::runExport(request);
    QVERIFY(!r.written && !fs::exists(request.outPath));
    QCOMPARE(r.tensors.size(), dev_->tensors.size());
    const cwb::ExportedTensor *t = row(r, tensor.toStdString());
    QVERIFY2(t, qPrintable(tensor));
    QCOMPARE(t->fate, cwb::ExportFate::NotExpressible);
    QVERIFY2(t->note.find(message.toStdString()) != std::string::npos, t->note.c_str());
    // Nothing is dropped silently: every changed tensor has a row that says what it gets.
    for (const cwb::ExportedTensor &e : r.tensors) {
        QVERIFY2(!e.written.empty(), e.name.c_str());
        if (!e.exact())
            QVERIFY2(!e.note.empty(), e.name.c_str());
    }
}

void TestExportRecipes::imatrixDatReadsBackFieldByField()
{
    const char *recipe = R"({"version": 1, "rules": [
        {"match": "layers.*.attn.*", "methods": [{"method": "q4_k", "params": {"imatrix": true}}]},
        {"match": "layers.*.mlp.*", "methods": [{"method": "q4_k", "params": {"imatrix": true}}]},
        {"match": "embed", "methods": [{"method": "q4_k"}]}]})";
    const cwb::Plan plan = planFor(*dev_, recipe, "imatrix");
    const std::string path = out("llamacpp-imatrix");
    const cwb::ExportResult r = cwb::exportLlamaCpp({&*dev_, &plan, &*stats_, path, false, {}});
    QCOMPARE(r.exactCount(), int64_t(r.tensors.size()));

    // The raw bytes, field by field (not through our reader).
    const std::string bytes = readFile(path + "/imatrix.dat");
    size_t at = 0;
    const auto i32 = [&] {
        int32_t v = 0;
        if (at + 4 > bytes.size())
            return int32_t(-999);
        std::memcpy(&v, bytes.data() + at, 4);
        at += 4;
        return v;
    };
    QCOMPARE(i32(), 42); // 6 layers x 7 projections; the embedding is a lookup, not observed
    int32_t checked = 0;
    for (int32_t k = 0; k < 42; ++k) {
        const int32_t len = i32();
        QVERIFY(len > 0);
        const std::string name = bytes.substr(at, size_t(len));
        at += size_t(len);
        // Named as llama.cpp names the tensor whose input the statistics describe.
        const cwb::LinearActivationStats *s = nullptr;
        for (const cwb::LinearActivationStats &x : stats_->linears)
            if (cwb::ggufTensorName(x.weight) == name)
                s = &x;
        QVERIFY2(s, name.c_str());
        const cwb::Tensor *t = nullptr;
        for (const cwb::Tensor &x : dev_->tensors)
            if (x.canonical == s->weight)
                t = &x;
        QVERIFY(t);
        QCOMPARE(i32(), 1);                        // ncall
        QCOMPARE(i32(), int32_t(t->shape.back())); // nval = ne[0], the input channels
        QCOMPARE(s->meanSquare.size(), size_t(t->shape.back()));
        for (size_t j = 0; j < s->meanSquare.size(); ++j) {
            float v = 0;
            std::memcpy(&v, bytes.data() + at, 4);
            at += 4;
            // The float the q4_k quantizer weights with (methods/ggml_methods.cpp).
            const float expected = static_cast<float>(s->meanSquare[j]);
            QVERIFY2(std::memcmp(&v, &expected, 4) == 0, name.c_str());
            QVERIFY(std::isfinite(v) && v >= 0);
        }
        ++checked;
    }
    QCOMPARE(checked, 42);
    QCOMPARE(i32(), int32_t(stats_->coverage.sequences)); // trailer: last_call
    const int32_t len = i32();
    QCOMPARE(bytes.substr(at, size_t(len)), stats_->coverage.source);
    QCOMPARE(at + size_t(len), bytes.size());

    // Our reader agrees, and a non-finite mean square is refused, naming the tensor.
    const cwb::io::ImatrixFile f = cwb::io::readImatrixFile(path + "/imatrix.dat");
    QCOMPARE(f.entries.size(), size_t(42));
    QCOMPARE(f.dataset, stats_->coverage.source);
    cwb::ActivationStats bad = *stats_;
    bad.linears[3].meanSquare[5] = std::nan("");
    const std::string e = cwbtest::errorOf([&] {
        (void)cwb::exportLlamaCpp({&*dev_, &plan, &bad, out("llamacpp-nan"), false, {}});
    });
    QVERIFY2(e.find(bad.linears[3].weight) != std::string::npos
                 && e.find("finite") != std::string::npos,
             e.c_str());
    QVERIFY(!fs::exists(out("llamacpp-nan")));
    cwb::io::ImatrixFile inf = f;
    inf.entries[0].values[0] = INFINITY;
    QVERIFY(!cwbtest::errorOf([&] { (void)cwb::io::serializeImatrix(inf); }).empty());
}

void TestExportRecipes::llamaQuantizeMatchesOurGgufExport()
{
    CWB_SHARED_FILE(gguf, "models/dev256/dev256-f32.gguf");
    CWB_SHARED_FILE(calib, kCalib);
    const std::string tool = cwbtest::sharedDir() + "/tools/llama.cpp/llama-quantize";
    // A missing reference tool is a broken checkout of shared/, not a reason to pass.
    if (!fs::exists(tool))
        QFAIL(qPrintable(QStringLiteral("llama-quantize not found at %1 (CWB_SHARED)")
                             .arg(QString::fromStdString(tool))));
    const cwb::Model m = cwb::io::openModel(gguf);
    // q4_k with the imatrix on every projection; the embedding is not observed (a lookup), so
    // it has no imatrix entry: q4_k without one (llama-quantize --pure quantizes it too).
    const char *recipe = R"({"version": 1, "rules": [
        {"match": "layers.*.attn.*", "methods": [{"method": "q4_k", "params": {"imatrix": true}}]},
        {"match": "layers.*.mlp.*", "methods": [{"method": "q4_k", "params": {"imatrix": true}}]},
        {"match": "embed", "methods": [{"method": "q4_k"}]}]})";
    const cwb::Plan plan = planFor(m, recipe, "q4_k-imatrix");
    // One collection feeds both the pipeline and the .dat.
    const cwb::ActivationStats stats = collectStats(m, calib, 16, 128);
    cwb::CompressParams cp;
    cp.calibrationPath = calib;
    cp.calibrationStats = &stats;
    cp.outputError = false;
    cp.recipeJson = recipe;
    const std::string archivePath = out("q4k.cwbarchive");
    cwb::writeArchive(archivePath, cwb::compressModel(m, plan, cp));
    const cwb::OpenedArchive archive = cwb::openArchive(archivePath);
    cwb::GgufExportParams gp;
    gp.model = archive.source.get();
    gp.compressed = &archive.compressed;
    gp.outPath = out("ours.gguf");
    QCOMPARE(cwb::exportGguf(gp).exactCount(), int64_t(56));

    const std::string recipeDir = out("llamacpp-q4k");
    const cwb::ExportResult lr = cwb::exportLlamaCpp({&m, &plan, &stats, recipeDir, false, {}});
    QCOMPARE(lr.exactCount(), int64_t(lr.tensors.size()));
    const std::string command = readFile(recipeDir + "/quantize-command.txt");
    QVERIFY2(command.find("this plan has one type per layer tensor, so this is exact")
                 != std::string::npos,
             command.c_str());

    // What the command file tells c392e509 to run, with one thread (the last positional).
    const std::string theirs = out("theirs.gguf");
    QProcess proc;
    proc.setProcessChannelMode(QProcess::MergedChannels);
    proc.start(QString::fromStdString(tool),
               {QStringLiteral("--imatrix"), QString::fromStdString(recipeDir + "/imatrix.dat"),
                QStringLiteral("--token-embedding-type"), QStringLiteral("Q4_K"),
                QStringLiteral("--pure"), QString::fromStdString(gguf),
                QString::fromStdString(theirs), QStringLiteral("Q4_K_S"), QStringLiteral("1")});
    QVERIFY(proc.waitForFinished(120000));
    const QString log = QString::fromUtf8(proc.readAll());
    QVERIFY2(proc.exitCode() == 0, qPrintable(log.right(3000)));
    QVERIFY2(log.contains(QStringLiteral("loaded 42 importance matrix entries")),
             qPrintable(log.right(3000)));

    const cwb::Model a = cwb::io::openModel(gp.outPath);
    const cwb::Model b = cwb::io::openModel(theirs);
    QCOMPARE(a.tensors.size(), b.tensors.size());
    int identical = 0, quantized = 0;
    QStringList differ;
    for (const cwb::Tensor &t : b.tensors) {
        const cwb::Tensor *ours = a.findTensor(t.name);
        QVERIFY2(ours, t.name.c_str());
        quantized += t.dtype == cwb::DType::Q4_K;
        if (ours->dtype == t.dtype && ours->copyBytes() == t.copyBytes())
            ++identical;
        else
            differ << QString::fromStdString(t.name);
    }
    std::printf("llama-quantize c392e509 --imatrix (our imatrix.dat, 42 entries) --pure Q4_K_S: "
                "%d of %zu tensors byte-identical to our GGUF export (%d Q4_K, 42 of them with "
                "the imatrix; the rest F32 norms)\n",
                identical, b.tensors.size(), quantized);
    QVERIFY2(differ.isEmpty(), qPrintable(differ.join(QStringLiteral(", "))));
    QCOMPARE(quantized, 43);
}

void TestExportRecipes::hostilePathsLeaveThePreviousFiles()
{
    const std::string root = out("hostile");
    fs::create_directories(root);

    // A directory that is not an export of ours is not replaced.
    const std::string user = root + "/user-dir";
    fs::create_directories(user);
    std::ofstream(user + "/notes.txt") << "mine";
    std::string e = cwbtest::errorOf([&] {
        (void)cwb::exportLlamaCpp({&*dev_, &*mixed_, &*stats_, user, false, {}});
    });
    QVERIFY2(e.find(user) != std::string::npos && e.find("refusing to replace it")
                                                      != std::string::npos,
             e.c_str());
    QCOMPARE(readFile(user + "/notes.txt"), std::string("mine"));
    QCOMPARE(filesIn(user).size(), size_t(1));
    QVERIFY(!hasTemporaries(root));

    // An earlier export is replaced; a failing writer (failpoints after writing and after the
    // sync) leaves it as it was, and no temporary directory.
    const std::string earlier = root + "/recipe";
    (void)cwb::exportLlamaCpp({&*dev_, &*mixed_, &*stats_, earlier, false, {}});
    const std::string before = readFile(earlier + "/tensor-types.txt");
    const char *plainRecipe = R"({"version": 1, "rules": [
        {"match": "layers.*", "methods": [{"method": "q8_0"}]}]})";
    const cwb::Plan plain = planFor(*dev_, plainRecipe, "plain");
    for (const std::string point : {"written", "synced", "aside"}) {
        cwb::AtomicWriteHooks hooks;
        hooks.failpoint = [&](std::string_view p) {
            if (p == point)
                throw cwb::Error("injected failure at " + point);
        };
        e = cwbtest::errorOf([&] {
            (void)cwb::exportLlamaCpp({&*dev_, &plain, nullptr, earlier, false, hooks});
        });
        QVERIFY2(e.find("injected") != std::string::npos, e.c_str());
        QCOMPARE(readFile(earlier + "/tensor-types.txt"), before);
        QVERIFY(!hasTemporaries(root));
    }
    const cwb::ExportResult again =
        cwb::exportLlamaCpp({&*dev_, &plain, nullptr, earlier, false, {}});
    QVERIFY(again.written);
    QVERIFY(readFile(earlier + "/tensor-types.txt") != before);
    QVERIFY(!fs::exists(earlier + "/imatrix.dat")); // the previous export's .dat went with it
    QVERIFY(!hasTemporaries(root));

    // A file where the directory should be, and a directory where a file should be.
    std::ofstream(root + "/a-file") << "file";
    e = cwbtest::errorOf([&] {
        (void)cwb::exportLlamaCpp({&*dev_, &plain, nullptr, root + "/a-file", false, {}});
    });
    QVERIFY2(e.find("not a directory") != std::string::npos, e.c_str());
    QCOMPARE(readFile(root + "/a-file"), std::string("file"));
    e = cwbtest::errorOf(
        [&] { (void)cwb::exportGptqModel({&*dev_, &*mixed_, user, false, {}}); });
    QVERIFY2(e.find("is a directory") != std::string::npos, e.c_str());

    // A read-only location (root ignores permissions; nobody creates files in /proc).
    const std::string ro = root + "/readonly";
    fs::create_directory(ro);
    fs::permissions(ro, fs::perms::owner_read | fs::perms::owner_exec);
    const std::string base = ::geteuid() == 0 ? std::string("/proc") : ro;
    e = cwbtest::errorOf([&] {
        (void)cwb::exportLlmCompressor({&*dev_, &*mixed_, base + "/recipe.yaml", false, {}});
    });
    QVERIFY2(e.find(base + "/recipe.yaml") != std::string::npos, e.c_str());
    e = cwbtest::errorOf([&] {
        (void)cwb::exportLlamaCpp({&*dev_, &plain, nullptr, base + "/recipe-dir", false, {}});
    });
    QVERIFY2(e.find(base + "/recipe-dir") != std::string::npos, e.c_str());
    QVERIFY(filesIn(ro).empty());
    fs::permissions(ro, fs::perms::owner_all);

    // The single-file targets: a failing writer leaves the previous file.
    for (const std::string point : {"closed", "synced"}) {
        cwb::AtomicWriteHooks hooks;
        hooks.failpoint = [&](std::string_view p) {
            if (p == point)
                throw cwb::Error("injected failure at " + point);
        };
        const std::string yaml = root + "/recipe.yaml", json = root + "/quantize_config.json";
        std::ofstream(yaml) << "previous";
        std::ofstream(json) << "previous";
        e = cwbtest::errorOf(
            [&] { (void)cwb::exportLlmCompressor({&*dev_, &*mixed_, yaml, false, hooks}); });
        QVERIFY2(e.find("injected") != std::string::npos, e.c_str());
        e = cwbtest::errorOf(
            [&] { (void)cwb::exportGptqModel({&*dev_, &*mixed_, json, false, hooks}); });
        QVERIFY2(e.find("injected") != std::string::npos, e.c_str());
        QCOMPARE(readFile(yaml), std::string("previous"));
        QCOMPARE(readFile(json), std::string("previous"));
        QVERIFY(!hasTemporaries(root));
    }
}

void TestExportRecipes::previewWritesNothing()
{
    for (const cwb::ExportTarget t : {cwb::ExportTarget::LlmCompressor, cwb::ExportTarget::LlamaCpp,
                                      cwb::ExportTarget::GptqModel}) {
        cwb::ExportRequest request;
        request.target = t;
        request.model = &*dev_;
        request.plan = &*mixed_;
        request.preview = true;
        request.outPath = out("preview-only");
        const cwb::ExportResult r = cwb::runExport(request);
        QVERIFY(!r.written && r.files.empty());
        QCOMPARE(r.tensors.size(), dev_->tensors.size());
        QVERIFY(!fs::exists(request.outPath));
    }
}

QTEST_GUILESS_MAIN(TestExportRecipes)
#include "test_export_recipes.moc"
