// SPDX-License-Identifier: MIT
// The method registry against what the archive really stores. For EVERY registered method (the
// test walks methodTable(), so a method added without a case here fails it) and every storage
// kind, a recipe is resolved (the dry-run estimate), run through the real pipeline, written to a
// .cwbarchive and read back; per tensor the estimate must equal the archive's stored bytes
// exactly (and its mask bytes and rank). Every quantize method also runs after unstructured and
// N:M pruning and on low-rank factors of an explicit rank; every prune and low-rank method runs
// before several storage kinds. Low rank with rank 0 (chosen from the spectrum) cannot be known
// before running: the test checks that its estimate says so. AWQ scales folded into a norm are
// the one documented difference, checked to the byte.
//
// Models: stories260K (TinyStories calibration text; every method that needs calibration) and a
// generated Q8_0 llama with 256-wide rows (k-quants, groups and blocks above 64, keep of a ggml
// type), both small enough that all runs take seconds.
#include "bench/eval_bench.h"
#include "io/open_model.h"
#include "methods/ggml_methods.h"
#include "methods/registry.h"
#include "pipeline/archive.h"
#include "pipeline/pipeline.h"
#include "recipe/recipe.h"
#include "recipe/resolve.h"
#include "test_support.h"
#include "util/error.h"

#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <map>
#include <numeric>
#include <set>
#include <string>
#include <vector>

namespace {

constexpr const char *kStories = "models/stories260K/stories260K.gguf";
constexpr const char *kText = "data/tinystories/tinystories_validation_head.txt";

// One stage of a case: a method and its params as recipe JSON.
struct Stage {
    std::string method;
    std::string params = "{}";
};

struct Case {
    std::string name;
    std::vector<Stage> stages;      // prune? lowrank? quantize, in pipeline order
    std::set<std::string> storage;  // the storage kinds it exercises
    int64_t colMultiple = 1;        // the row length must be a multiple of this
    int64_t rank = 0;               // explicit low rank (0: none)
    std::vector<std::string> only;  // canonical suffixes it may run on (empty: any)
    bool calibration = false;
};

// Parameter variants of every method, each with the storage kind(s) it stores. A method of the
// registry that has none here fails the test.
struct Variant {
    std::string params;
    std::set<std::string> storage;
    std::vector<std::string> only = {};
};

const std::map<std::string, std::vector<Variant>> &variants()
{
    static const std::map<std::string, std::vector<Variant>> v = {
        {"keep", {{"{}", {"keep"}}}},
        {"f32", {{"{}", {"dense f32"}}}},
        {"f16", {{"{}", {"dense f16"}}}},
        {"bf16", {{"{}", {"dense bf16"}}}},
        {"rtn",
         {{R"({"bits": 4, "group": 32})", {"int group sym"}},
          {R"({"bits": 3, "group": -1, "sym": false})", {"int channel asym"}},
          {R"({"bits": 8, "group": 0, "f16_scales": false})", {"int tensor f32 scales"}},
          {R"({"bits": 5, "group": 64, "sym": false})", {"int group asym"}},
          {R"({"bits": 2, "group": 128})", {"int group sym"}},
          {R"({"bits": 6, "group": 256, "sym": false, "f16_scales": false})",
           {"int group asym"}}}},
        {"nf4",
         {{"{}", {"nf4"}},
          {R"({"double_quant": true})", {"nf4 double quant"}},
          {R"({"block_size": 128, "double_quant": true, "dq_block_size": 64})",
           {"nf4 double quant"}},
          {R"({"block_size": 256})", {"nf4"}}}},
        {"fp8_e4m3",
         {{"{}", {"fp8 per-tensor"}}, {R"({"granularity": "per-channel"})", {"fp8 per-channel"}}}},
        {"fp8_e5m2",
         {{"{}", {"fp8 per-tensor"}}, {R"({"granularity": "per-channel"})", {"fp8 per-channel"}}}},
        {"mxfp4", {{"{}", {"mxfp4"}}, {R"({"scale_rule": "no_clip"})", {"mxfp4"}}}},
        {"nvfp4", {{"{}", {"nvfp4"}}, {R"({"global_amax": 0.5})", {"nvfp4"}}}},
        {"ternary",
         {{"{}", {"ternary two_bit"}}, {R"({"packing": "base3"})", {"ternary base3"}}}},
        {"gptq",
         {{R"({"group": 32})", {"gptq act_order groups"}},
          {R"({"group": 32, "act_order": false, "sym": false})", {"int group asym"}},
          {R"({"group": -1})", {"int channel sym"}}}},
        // attn.o and mlp.down read no norm, so their scales stay explicit (not folded).
        {"awq",
         {{R"({"group": 32})", {"awq input scales"}, {"attn.o"}},
          {R"({"group": -1, "sym": true})", {"awq input scales"}, {"attn.o", "mlp.down"}}}},
        {"q4_0", {{"{}", {"ggml"}}, {R"({"imatrix": true})", {"ggml"}}}},
        {"q4_1", {{"{}", {"ggml"}}}},
        {"q5_0", {{"{}", {"ggml"}}}},
        {"q5_1", {{"{}", {"ggml"}}}},
        {"q8_0", {{"{}", {"ggml"}}, {R"({"imatrix": true})", {"ggml"}}}},
        {"q2_k", {{"{}", {"ggml"}}}},
        {"q3_k", {{"{}", {"ggml"}}}},
        {"q4_k", {{"{}", {"ggml"}}}},
        {"q5_k", {{"{}", {"ggml"}}}},
        {"q6_k", {{"{}", {"ggml"}}}},
        // stories260K (the model with calibration) has rows of 64: the 32-value block types.
        {"gptq_ggml",
         {{R"({"type": "q4_0"})", {"ggml"}},
          {R"({"type": "q5_1", "act_order": false})", {"ggml"}},
          {R"({"type": "q8_0", "imatrix": false})", {"ggml"}}}},
        {"awq_ggml",
         {{R"({"type": "q4_0"})", {"awq input scales"}, {"attn.o"}},
          {R"({"type": "q8_0", "imatrix": false, "alpha_grid": 5})", {"awq input scales"},
           {"attn.q"}},
          {R"({"type": "q5_0", "gptq": true})", {"awq input scales"}, {"attn.k"}}}},
        {"gptq_ggml_recon",
         {{R"({"type": "q4_0"})", {"ggml"}}, {R"({"type": "q8_0", "strength": 0.5})", {"ggml"}}}},
        {"magnitude", {{"{}", {"pruned"}}, {R"({"nm": "2:4"})", {"pruned N:M"}}}},
        {"wanda", {{R"({"sparsity": 0.3})", {"pruned"}}, {R"({"nm": "4:8"})", {"pruned N:M"}}}},
        {"sparsegpt", {{"{}", {"pruned"}}, {R"({"nm": "2:4"})", {"pruned N:M"}}}},
        {"svd", {{R"({"rank": 8})", {"low rank"}}}},
        {"asvd", {{R"({"rank": 8})", {"low rank"}}}},
    };
    return v;
}

// Every storage kind the archive writes, each of which some case must exercise.
const std::vector<std::string> kStorageKinds = {
    "keep", "keep after pruning", "keep of a ggml type", "dense f32", "dense f16", "dense bf16",
    "ggml", "int group sym", "int group asym", "int channel sym", "int channel asym",
    "int tensor f32 scales", "gptq act_order groups", "awq input scales", "nf4",
    "nf4 double quant", "fp8 per-tensor", "fp8 per-channel", "mxfp4", "nvfp4",
    "ternary two_bit", "ternary base3", "pruned", "pruned N:M", "pruned + mask",
    "low rank", "low rank of pruned"};

int64_t rowMultipleOf(const std::string &method, const std::string &params)
{
    const cwb::MethodSpec &m = cwb::requireMethod(method);
    if (!m.rowMultiple)
        return 1;
    // The schema defaults with the variant's values: parse through a one-entry recipe.
    const cwb::Recipe r = cwb::parseRecipe(R"({"version": 1, "defaults": {"methods": [{"method": ")"
                                               + method + R"(", "params": )" + params + "}]}}",
                                           "variant");
    cwb::ParamSet p(m.params);
    for (const auto &[name, value] : r.defaultMethods.at(0).params)
        p.set(name, value);
    return m.rowMultiple(p.reader());
}

std::string stageJson(const Stage &s)
{
    return R"({"method": ")" + s.method + R"(", "params": )" + s.params + "}";
}

// The cases: every variant on its own, and every quantize method's first variant after each
// pruning kind and on low-rank factors; every prune / lowrank variant before several quantizers.
std::vector<Case> buildCases(QStringList &missing)
{
    std::vector<Case> cases;
    auto needsCalibration = [](const std::vector<Stage> &stages) {
        for (const Stage &s : stages) {
            const cwb::MethodSpec &m = cwb::requireMethod(s.method);
            if (m.needsCalibration || s.params.find("\"imatrix\": true") != std::string::npos)
                return true;
        }
        return false;
    };
    auto add = [&](std::string name, std::vector<Stage> stages, std::set<std::string> storage,
                   int64_t rank, std::vector<std::string> only) {
        Case c;
        c.name = std::move(name);
        c.storage = std::move(storage);
        c.rank = rank;
        c.only = std::move(only);
        const Stage &q = stages.back();
        c.colMultiple = rowMultipleOf(q.method, q.params);
        for (const Stage &s : stages)
            if (s.params.find("4:8") != std::string::npos)
                c.colMultiple = std::lcm(c.colMultiple, int64_t(8));
            else if (s.params.find("2:4") != std::string::npos)
                c.colMultiple = std::lcm(c.colMultiple, int64_t(4));
        c.calibration = needsCalibration(stages);
        c.stages = std::move(stages);
        cases.push_back(std::move(c));
    };
    const std::vector<Stage> quantizersAfter = {
        {"f16"}, {"rtn", R"({"group": 32})"}, {"q4_1"}, {"q8_0"}, {"nf4"}};
    for (const cwb::MethodSpec &m : cwb::methodTable()) {
        // Structure methods change the whole model's shapes, not one tensor's storage: their
        // estimates are checked against the archive in test_recipe_structures.
        if (m.slot == cwb::MethodSlot::Structure)
            continue;
        const auto it = variants().find(m.name);
        if (it == variants().end() || it->second.empty()) {
            missing << QString::fromStdString(m.name);
            continue;
        }
        for (size_t i = 0; i < it->second.size(); ++i) {
            const Variant &v = it->second[i];
            const std::string tag = m.name + " " + v.params;
            const Stage self{m.name, v.params};
            switch (m.slot) {
            case cwb::MethodSlot::Quantize: {
                add(tag, {self}, v.storage, 0, v.only);
                if (i > 0)
                    break;
                const bool keep = m.keepsAsStored;
                add("magnitude 50% -> " + tag, {{"magnitude"}, self},
                    {keep ? "keep after pruning" : "pruned"}, 0, v.only);
                add("magnitude 2:4 -> " + tag, {{"magnitude", R"({"nm": "2:4"})"}, self},
                    {"pruned N:M"}, 0, v.only);
                // A is rows x rank: the rank must be whole groups / blocks too.
                const int64_t rank = std::max<int64_t>(8, rowMultipleOf(m.name, v.params));
                add("svd rank " + std::to_string(rank) + " -> " + tag,
                    {{"svd", R"({"rank": )" + std::to_string(rank) + "}"}, self}, {"low rank"},
                    rank, v.only);
                break;
            }
            case cwb::MethodSlot::Prune:
                for (const Stage &q : quantizersAfter)
                    add(tag + " -> " + q.method, {self, q}, v.storage, 0, {});
                break;
            case cwb::MethodSlot::LowRank:
                for (const Stage &q : quantizersAfter) {
                    const int64_t rank = std::max<int64_t>(8, rowMultipleOf(q.method, q.params));
                    add(tag + " -> " + q.method,
                        {{m.name, R"({"rank": )" + std::to_string(rank) + "}"}, q}, v.storage,
                        rank, {});
                }
                break;
            }
        }
    }
    // Pruned then kept in a type without an exact zero: the mask is stored.
    add("magnitude 50% -> q4_k", {{"magnitude"}, {"q4_k"}}, {"pruned + mask"}, 0, {});
    add("wanda 2:4 -> q5_1", {{"wanda", R"({"nm": "2:4"})"}, {"q5_1"}}, {"pruned + mask"}, 0,
        {});
    add("magnitude 50% -> keep (Q8_0 model)", {{"magnitude"}, {"keep"}},
        {"keep of a ggml type"}, 0, {});
    add("magnitude 50% -> svd rank 8 -> f16",
        {{"magnitude"}, {"svd", R"({"rank": 8})"}, {"f16"}}, {"low rank of pruned"}, 8, {});
    return cases;
}

struct Target {
    std::string canonical;
    int64_t rows = 0, cols = 0;
};

std::vector<Target> targetsOf(const cwb::Model &m)
{
    std::vector<Target> t;
    for (const cwb::Tensor &x : m.tensors)
        if (x.canonical.starts_with("layers.") && x.shape.size() == 2)
            t.push_back({x.canonical, x.shape[0], x.shape[1]});
    return t;
}

bool fits(const Case &c, const Target &t)
{
    if (t.cols % c.colMultiple != 0)
        return false;
    if (c.rank > 0 && (c.rank > std::min(t.rows, t.cols) || c.rank % c.colMultiple != 0))
        return false;
    if (!c.only.empty()
        && std::none_of(c.only.begin(), c.only.end(),
                        [&](const std::string &s) { return t.canonical.ends_with(s); }))
        return false;
    return true;
}

} // namespace

class TestMethodRegistry : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void namesAreUniqueAndComplete();
    void labelsAndExportForms();
    void estimateEqualsStoredBytes();
    void spectrumRankIsFlagged();
    void foldedAwqDiffersAsDocumented();

private:
    QTemporaryDir dir_;
    std::string randomModelPath_;
};

void TestMethodRegistry::initTestCase()
{
    QVERIFY(dir_.isValid());
    cwb::bench::RandomLlamaShape s;
    s.dim = 256;
    s.layers = 3;
    s.heads = 4;
    s.kvHeads = 2;
    s.hidden = 512;
    s.vocab = 64;
    s.context = 32;
    randomModelPath_ = dir_.filePath(QStringLiteral("random.gguf")).toStdString();
    (void)cwb::bench::writeRandomLlamaGguf(randomModelPath_, s, cwb::DType::Q8_0, 7);
}

// Every descriptor has what its slot needs; names are unique.
void TestMethodRegistry::namesAreUniqueAndComplete()
{
    std::set<std::string> names;
    for (const cwb::MethodSpec &m : cwb::methodTable()) {
        QVERIFY2(names.insert(m.name).second, m.name.c_str());
        QVERIFY2(cwb::findMethod(m.name) == &m, m.name.c_str());
        switch (m.slot) {
        case cwb::MethodSlot::Quantize:
            QVERIFY2(m.rowMultiple && m.storedSize && m.exactZeros && m.label && m.exportForms
                         && m.quantize,
                     m.name.c_str());
            QVERIFY2(m.storage != cwb::StorageKind::Quantized || m.quantizedForm, m.name.c_str());
            break;
        case cwb::MethodSlot::Prune:
            QVERIFY2(m.maskBytes && m.prune, m.name.c_str());
            break;
        case cwb::MethodSlot::LowRank:
            QVERIFY2(m.plannedRank && m.lowRank, m.name.c_str());
            break;
        }
        if (m.quantizedForm)
            QVERIFY2(cwb::quantParamsOfStorage(cwb::methodName(*m.quantizedForm)).has_value(),
                     m.name.c_str());
        // Every method says how the recipe exports state it, and why where a tool cannot.
        QVERIFY2(m.recipeForms, m.name.c_str());
        const cwb::ParamSet defaults(m.params);
        const cwb::RecipeForms forms = m.recipeForms(defaults.reader(), cwb::DType::F32);
        for (const cwb::ToolForm *f : {&forms.llmCompressor, &forms.gptqModel, &forms.llamaCpp})
            QVERIFY2(f->exact || !f->note.empty(), m.name.c_str());
    }
    QVERIFY(!cwb::findMethod("zip"));
    QVERIFY(!cwb::quantParamsOfStorage("zip"));
    QVERIFY(cwb::keepsAsStored(cwb::kKeepMethod));
    QVERIFY(!cwb::keepsAsStored("rtn"));
}

// Every quantize method has an English label and export forms; a form is named only where it
// decodes to exactly the stored values, and "none" always says why.
void TestMethodRegistry::labelsAndExportForms()
{
    for (const cwb::MethodSpec &m : cwb::methodTable()) {
        if (m.slot != cwb::MethodSlot::Quantize)
            continue;
        const cwb::ParamSet defaults(m.params);
        QVERIFY2(!m.label(defaults.reader(), "F32").english().empty(), m.name.c_str());
        const cwb::ExportForms f = m.exportForms(defaults.reader(), cwb::DType::F32);
        QVERIFY2(!f.gguf.empty() && !f.compressedTensors.empty(), m.name.c_str());
        if (f.gguf == "none" || f.compressedTensors == "none")
            QVERIFY2(!f.note.empty(), m.name.c_str());
        if (const auto t = cwb::ggmlMethodType(m.name))
            QCOMPARE(f.gguf, std::string(cwb::dtypeName(*t)));
    }
    auto rtn = [](const char *params) {
        cwb::ParamSet p(cwb::requireMethod("rtn").params);
        const cwb::Recipe r = cwb::parseRecipe(
            std::string(R"({"version": 1, "defaults": {"methods": [{"method": "rtn", "params": )")
                + params + "}]}}",
            "rtn");
        for (const auto &[name, value] : r.defaultMethods.at(0).params)
            p.set(name, value);
        return p;
    };
    const cwb::MethodSpec &r = cwb::requireMethod("rtn");
    const cwb::ParamSet q40 = rtn(R"({"bits": 4, "group": 32})");
    QCOMPARE(r.label(q40.reader(), "").english(), std::string("int4 g32 sym + f16 scales"));
    QCOMPARE(r.exportForms(q40.reader(), cwb::DType::F32).gguf, std::string("Q4_0"));
    QCOMPARE(r.exportForms(rtn(R"({"bits": 8, "group": 32})").reader(), cwb::DType::F32).gguf,
             std::string("Q8_0"));
    QCOMPARE(r.exportForms(rtn(R"({"bits": 4, "group": 32, "sym": false})").reader(),
                           cwb::DType::F32)
                 .gguf,
             std::string("none"));
    QCOMPARE(r.exportForms(rtn(R"({"bits": 4, "group": 64})").reader(), cwb::DType::F32).gguf,
             std::string("none"));
    const cwb::ParamSet none;
    QCOMPARE(cwb::requireMethod("f16").exportForms(none.reader(), cwb::DType::F32).gguf,
             std::string("F16"));
    QCOMPARE(cwb::requireMethod("keep").exportForms(none.reader(), cwb::DType::BF16).gguf,
             std::string("BF16"));
    QCOMPARE(cwb::requireMethod("keep").label(none.reader(), "Q4_K").english(),
             std::string("Q4_K (kept)"));
}

void TestMethodRegistry::estimateEqualsStoredBytes()
{
    CWB_SHARED_FILE(storiesPath, kStories);
    CWB_SHARED_FILE(text, kText);
    QStringList missing;
    std::vector<Case> cases = buildCases(missing);
    QVERIFY2(missing.isEmpty(),
             qPrintable(QStringLiteral("registered methods without a size case: ")
                        + missing.join(QStringLiteral(", "))));
    std::set<std::string> covered;
    for (const Case &c : cases)
        covered.insert(c.storage.begin(), c.storage.end());
    for (const std::string &kind : kStorageKinds)
        QVERIFY2(covered.contains(kind), ("no case stores " + kind).c_str());

    const cwb::Model stories = cwb::io::openModel(storiesPath);
    const cwb::Model random = cwb::io::openModel(randomModelPath_);
    struct Source {
        const cwb::Model *model;
        std::vector<Target> targets;
        bool calibration;
    };
    const std::vector<Source> sources = {{&stories, targetsOf(stories), true},
                                         {&random, targetsOf(random), false}};
    // Each case goes to the first model that has a tensor it fits (and calibration when it
    // needs it); the keep-of-ggml case to the Q8_0 model.
    std::vector<std::vector<const Case *>> pending(sources.size());
    for (const Case &c : cases) {
        bool placed = false;
        for (size_t s = 0; s < sources.size() && !placed; ++s) {
            if (c.calibration && !sources[s].calibration)
                continue;
            if (c.storage.contains("keep of a ggml type") && s == 0)
                continue;
            if (std::any_of(sources[s].targets.begin(), sources[s].targets.end(),
                            [&](const Target &t) { return fits(c, t); })) {
                pending[s].push_back(&c);
                placed = true;
            }
        }
        QVERIFY2(placed, ("no test model has a tensor for " + c.name).c_str());
    }

    int compared = 0, runs = 0;
    for (size_t s = 0; s < sources.size(); ++s) {
        const Source &src = sources[s];
        std::vector<const Case *> todo = pending[s];
        while (!todo.empty()) {
            // One run: each tensor gets at most one case, by override.
            std::map<std::string, const Case *> assigned;
            std::vector<const Case *> later;
            for (const Case *c : todo) {
                const auto t = std::find_if(src.targets.begin(), src.targets.end(),
                                            [&](const Target &t) {
                                                return !assigned.contains(t.canonical)
                                                       && fits(*c, t);
                                            });
                if (t == src.targets.end())
                    later.push_back(c);
                else
                    assigned[t->canonical] = c;
            }
            std::string overrides;
            for (const auto &[tensor, c] : assigned) {
                std::string methods;
                for (const Stage &st : c->stages)
                    methods += (methods.empty() ? "" : ", ") + stageJson(st);
                overrides += (overrides.empty() ? "" : ", ")
                             + ("\"" + tensor + "\": {\"methods\": [" + methods + "]}");
            }
            const std::string recipe =
                R"({"version": 1, "overrides": {)" + overrides + "}}";
            cwb::PlanOptions po;
            po.calibration = src.calibration;
            const cwb::Plan plan =
                cwb::resolvePlan(cwb::parseRecipeLenient(recipe, "size cases"), *src.model, po);
            std::string errors;
            for (const auto &e : plan.errors)
                errors += e.where + ": " + e.what + "\n";
            QVERIFY2(plan.valid(), errors.c_str());

            cwb::CompressParams cp;
            cp.calibrationPath = src.calibration ? text : std::string();
            cp.calibration.sequences = 4;
            cp.calibration.tokensPerSequence = 64;
            cp.outputError = false;
            cwb::CompressedModel cm;
            const std::string err = cwbtest::errorOf([&] {
                cm = cwb::compressModel(*src.model, plan, cp);
            });
            QVERIFY2(err.empty(), err.c_str());
            const std::string archivePath =
                dir_.filePath(QStringLiteral("run%1.cwbarchive").arg(runs++)).toStdString();
            cwb::writeArchive(archivePath, cm);
            const cwb::CompressedModel back = cwb::readArchive(archivePath);
            size_t changed = 0;
            for (const cwb::TensorPlan &tp : plan.tensors)
                changed += tp.changed() ? 1 : 0;
            QCOMPARE(back.tensors.size(), changed);

            for (const cwb::CompressedTensor &t : back.tensors) {
                const auto tp = std::find_if(plan.tensors.begin(), plan.tensors.end(),
                                             [&](const cwb::TensorPlan &p) {
                                                 return p.index == t.index;
                                             });
                QVERIFY(tp != plan.tensors.end());
                const Case &c = *assigned.at(t.canonical);
                const cwb::ByteEstimate &e = tp->estimate;
                const std::string where = c.name + " on " + t.canonical + " ("
                                          + std::to_string(t.rows) + " x "
                                          + std::to_string(t.cols) + ", " + t.report.format
                                          + "): estimate " + std::to_string(e.total())
                                          + ", stored " + std::to_string(t.storedBytes())
                                          + "; note: " + e.note;
                QVERIFY2(e.total() == t.storedBytes(), where.c_str());
                QVERIFY2(t.report.storedBytes == t.storedBytes(), where.c_str());
                QVERIFY2(e.masks == (t.mask ? t.mask->storedBytes : 0), where.c_str());
                QVERIFY2(e.rank == t.report.rank, where.c_str());
                if (c.storage.contains("pruned + mask"))
                    QVERIFY2(t.mask && t.mask->storedBytes > 0, where.c_str());
                if (t.weight && t.weight->kind == cwb::StoredMatrix::Kind::Quantized)
                    QVERIFY2(e.codes == t.weight->quant.codes.size(), where.c_str());
                ++compared;
            }
            // A keep-only plan leaves the tensor out of the archive: its estimate is the bytes
            // stored now.
            for (const cwb::TensorPlan &tp : plan.tensors)
                if (!tp.changed())
                    QCOMPARE(tp.estimate.total(), tp.originalBytes);
            todo = later;
            QVERIFY2(!assigned.empty(), "a case fits no free tensor of an empty run");
        }
    }
    qInfo("%d tensors compared in %d runs (%zu cases)", compared, runs, cases.size());
    // "keep" alone changes nothing, so it stores no tensor; every other case stores one.
    QCOMPARE(compared, int(cases.size()) - 1);
}

// Low rank with rank 0 takes the rank from the spectrum at run time: the estimate counts the
// tensor unfactorized and says so.
void TestMethodRegistry::spectrumRankIsFlagged()
{
    CWB_SHARED_FILE(storiesPath, kStories);
    const cwb::Model stories = cwb::io::openModel(storiesPath);
    for (const cwb::MethodSpec &m : cwb::methodTable()) {
        if (m.slot != cwb::MethodSlot::LowRank)
            continue;
        const std::string recipe = R"({"version": 1, "overrides": {"layers.0.attn.q": {"methods": [
            {"method": ")" + m.name + R"(", "params": {"energy": 0.9}}, {"method": "f16"}]}}})";
        cwb::PlanOptions po;
        po.calibration = true;
        const cwb::Plan plan =
            cwb::resolvePlan(cwb::parseRecipeLenient(recipe, "rank 0"), stories, po);
        QVERIFY(plan.valid());
        const auto tp = std::find_if(plan.tensors.begin(), plan.tensors.end(),
                                     [](const cwb::TensorPlan &p) {
                                         return p.canonical == "layers.0.attn.q";
                                     });
        QVERIFY(tp != plan.tensors.end());
        QCOMPARE(tp->estimate.rank, int64_t(0));
        QVERIFY2(tp->estimate.note.find("at run time") != std::string::npos,
                 tp->estimate.note.c_str());
        QCOMPARE(tp->estimate.total(), uint64_t(tp->parameters()) * 2); // unfactorized f16
    }
}

// Where q/k/v are planned awq alike, the pipeline folds their shared input scales into
// attn_norm: each projection stores 4 x cols bytes fewer than its estimate (no input scales) and
// the norm, unchanged in the plan, is stored as F32. That is the documented difference; the
// totals of the run count it.
void TestMethodRegistry::foldedAwqDiffersAsDocumented()
{
    CWB_SHARED_FILE(storiesPath, kStories);
    CWB_SHARED_FILE(text, kText);
    const cwb::Model stories = cwb::io::openModel(storiesPath);
    const std::string awq = R"({"methods": [{"method": "awq", "params": {"group": 32}}]})";
    const std::string recipe = R"({"version": 1, "overrides": {"layers.0.attn.q": )" + awq
                               + R"(, "layers.0.attn.k": )" + awq + R"(, "layers.0.attn.v": )"
                               + awq + "}}";
    cwb::PlanOptions po;
    po.calibration = true;
    const cwb::Plan plan = cwb::resolvePlan(cwb::parseRecipeLenient(recipe, "fold"), stories, po);
    QVERIFY(plan.valid());
    cwb::CompressParams cp;
    cp.calibrationPath = text;
    cp.calibration.sequences = 4;
    cp.calibration.tokensPerSequence = 64;
    cp.outputError = false;
    const cwb::CompressedModel cm = cwb::compressModel(stories, plan, cp);
    const std::string path = dir_.filePath(QStringLiteral("fold.cwbarchive")).toStdString();
    cwb::writeArchive(path, cm);
    const cwb::CompressedModel back = cwb::readArchive(path);
    QCOMPARE(back.tensors.size(), size_t(4));
    for (const cwb::CompressedTensor &t : back.tensors) {
        const cwb::TensorPlan &tp = plan.tensors[t.index];
        if (t.canonical == "layers.0.attn_norm") {
            QVERIFY(!tp.changed());
            QCOMPARE(t.storedBytes(), uint64_t(4 * t.cols));
            continue;
        }
        QVERIFY2(!t.foldedScales.empty(), t.canonical.c_str());
        QCOMPARE(t.storedBytes(), tp.estimate.total() - uint64_t(4 * t.cols));
    }
}

QTEST_GUILESS_MAIN(TestMethodRegistry)
#include "test_method_registry.moc"
