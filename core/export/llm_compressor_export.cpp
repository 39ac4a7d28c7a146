// SPDX-License-Identifier: MIT
// exportLlmCompressor: the plan's recipe forms grouped into modifiers and config groups, emitted
// as YAML (export/yaml_document.h), read back and compared before the rename.
#include "export/llm_compressor_export.h"

#include "export/recipe_entries.h"
#include "export/yaml_document.h"
#include "model/architecture.h"
#include "model/canonical_name.h"
#include "util/error.h"

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <map>
#include <set>

namespace cwb {
namespace {

using Json = nlohmann::ordered_json;

Json argsJson(const std::vector<ToolArg> &args)
{
    Json j = Json::object();
    for (const ToolArg &a : args)
        j[a.key] = toolValueJson(a.value);
    return j;
}

// "int4 g32 sym", "int8 channel asym", "float8 tensor": a config group's weights for people.
std::string gridLabel(const std::vector<ToolArg> &w)
{
    const auto text = [&](std::string_view key) {
        const ToolValue *v = findArg(w, key);
        return v ? toolValueText(*v) : std::string();
    };
    std::string label = text("type") + text("num_bits") + " ";
    const std::string strategy = text("strategy");
    label += strategy == "group" ? "g" + text("group_size") : strategy;
    if (text("type") == "int")
        label += text("symmetric") == "true" ? " sym" : " asym";
    return label;
}

struct ConfigGroup {
    std::string name;
    std::vector<ToolArg> weights;
    std::vector<std::string> targets;
};

struct Modifier {
    std::string cls;
    std::vector<ToolArg> shared;
    std::vector<ConfigGroup> groups;  // quantization modifiers
    std::vector<std::string> targets; // pruning modifiers
};

Modifier &modifierFor(std::vector<Modifier> &mods, const std::string &cls,
                      const std::map<std::string, std::vector<ToolArg>> &shared)
{
    for (Modifier &m : mods)
        if (m.cls == cls)
            return m;
    mods.push_back({cls, shared.at(cls), {}, {}});
    return mods.back();
}

// The module a matrix belongs to ("model.layers.3.mlp.down_proj"), or empty.
std::string moduleOf(const TensorPlan &tp)
{
    std::string name = hfLlamaTensorName(tp.canonical);
    if (name.ends_with(".weight"))
        name.resize(name.size() - 7);
    else
        name.clear();
    return name;
}

std::string targetOf(const std::string &module) { return "re:^" + regexEscape(module) + "$"; }

// vLLM fuses q/k/v and gate/up into one layer that needs one scheme (FORMATS.md).
std::string fusedFamily(const TensorPlan &tp)
{
    const auto split = splitLayerTensorName(tp.canonical);
    if (!split)
        return {};
    const std::string base = "layers." + std::to_string(split->layer);
    if (split->role == "attn.q" || split->role == "attn.k" || split->role == "attn.v")
        return base + " q/k/v";
    if (split->role == "mlp.gate" || split->role == "mlp.up")
        return base + " gate/up";
    return {};
}

} // namespace

ExportResult exportLlmCompressor(const LlmCompressorExportParams &params, const JobContext &job)
{
    requireLlamaRecipeInputs(params.model, params.plan, "llm-compressor");
    if (params.outPath.empty())
        throw Error("llm-compressor export: no output path given");
    const Plan &plan = *params.plan;
    const std::vector<RecipeEntry> entries = recipeEntries(plan, &RecipeForms::llmCompressor);
    const auto pruneShared = majorityShared(
        entries, [](const RecipeEntry &e) { return e.prune ? &*e.prune : nullptr; });
    const auto quantShared = majorityShared(
        entries, [](const RecipeEntry &e) { return e.matrix() ? &*e.quantize : nullptr; });

    ExportResult result;
    result.target = "llm-compressor";
    result.path = params.outPath;
    std::vector<Modifier> pruneMods, quantMods;
    std::vector<std::string> ignore;
    std::map<std::string, std::set<std::string>> fused; // family -> the schemes its members got
    int groupCount = 0;
    bool symmetricInt = false;

    for (const RecipeEntry &e : entries) {
        job.checkCancelled();
        const TensorPlan &tp = *e.plan;
        ExportedTensor row;
        row.source = tp.summary();
        const std::string module = e.matrix() ? moduleOf(tp) : std::string();
        row.name = !module.empty() ? module : hfLlamaTensorName(tp.canonical);
        if (row.name.empty())
            row.name = tp.canonical;
        if (module.empty()) {
            row.written = "unchanged";
            if (tp.changed()) {
                row.fate = ExportFate::NotExpressible;
                row.note = "llm-compressor quantizes and prunes the weights of linear (and "
                           "embedding) modules only: left as it is";
            }
            result.tensors.push_back(std::move(row));
            continue;
        }
        std::vector<std::string> written;
        std::string note;
        bool exact = true;
        const auto fail = [&](const std::string &why) {
            exact = false;
            note = joinNotes(note, why);
        };
        if (e.lowRank)
            fail(e.lowRank->note);
        if (e.prune) {
            const ToolForm &f = *e.prune;
            if (f.algorithm.empty()) {
                fail(f.note);
            } else {
                Modifier &m = modifierFor(pruneMods, f.algorithm, pruneShared);
                m.targets.push_back(targetOf(module));
                written.push_back(f.algorithm + " (" + argsText(m.shared) + ")");
                if (!f.exact)
                    fail(f.note);
                if (const std::string d = settingsDifference(f.shared, m.shared); !d.empty())
                    fail("the stage's one " + f.algorithm + " has one setting for all its "
                         "tensors: " + d);
            }
        }
        const ToolForm &q = *e.quantize;
        if (q.algorithm.empty()) {
            written.push_back("not quantized (ignore)");
            ignore.push_back(targetOf(module));
            if (!q.exact)
                fail(q.note);
        } else {
            Modifier &m = modifierFor(quantMods, q.algorithm, quantShared);
            std::vector<ToolArg> weights = q.args;
            // The modifier's actorder applies to all its groups; a group-strategy group also
            // states it, as compressed-tensors' QuantizationArgs hold it there.
            const ToolValue *strategy = findArg(q.args, "strategy");
            if (const ToolValue *order = findArg(m.shared, "actorder");
                order && strategy && *strategy == ToolValue(std::string("group")))
                weights.push_back({"actorder", *order});
            weights.push_back({"dynamic", false});
            ConfigGroup *group = nullptr;
            for (ConfigGroup &g : m.groups)
                if (g.weights == weights)
                    group = &g;
            if (!group) {
                m.groups.push_back({"group_" + std::to_string(groupCount++), weights, {}});
                group = &m.groups.back();
            }
            group->targets.push_back(targetOf(module));
            const std::string scheme = gridLabel(q.args) + ", " + q.algorithm;
            written.push_back("config_groups." + group->name + " (" + scheme + ")");
            if (const std::string family = fusedFamily(tp); !family.empty())
                fused[family].insert(scheme);
            const ToolValue *type = findArg(q.args, "type");
            const ToolValue *sym = findArg(q.args, "symmetric");
            symmetricInt = symmetricInt
                        || (type && *type == ToolValue(std::string("int")) && sym
                            && *sym == ToolValue(true));
            if (!q.exact)
                fail(q.note);
            if (const std::string d = settingsDifference(q.shared, m.shared); !d.empty())
                fail("the stage's one " + q.algorithm + " has one setting for all its tensors: "
                     + d);
        }
        for (const std::string &w : written)
            row.written += (row.written.empty() ? "" : "; ") + w;
        row.fate = exact ? ExportFate::Exact : ExportFate::NotExpressible;
        row.note = note;
        result.tensors.push_back(std::move(row));
    }

    result.notes.push_back("targets are anchored regular expressions on full module names, one "
                           "module each, so no two config groups overlap");
    if (symmetricInt)
        result.notes.push_back(
            "compressed-tensors scales a symmetric b-bit grid by absmax / ((2^b - 1) / 2) into "
            "codes -2^(b-1) .. 2^(b-1) - 1, ours by absmax / (2^(b-1) - 1): the same settings, "
            "single codes can differ by a step");
    for (const auto &[family, schemes] : fused)
        if (schemes.size() > 1)
            result.notes.push_back("vLLM fuses " + family + " into one layer with one scheme; "
                                   "here they get " + std::to_string(schemes.size())
                                   + " different ones, which vLLM cannot load as planned");

    Json doc = Json::object();
    if (!pruneMods.empty()) {
        Json mods = Json::object();
        for (const Modifier &m : pruneMods) {
            Json a = argsJson(m.shared);
            a["targets"] = m.targets;
            mods[m.cls] = a;
        }
        doc["sparsity_stage"]["sparsity_modifiers"] = mods;
    }
    if (!quantMods.empty()) {
        Json mods = Json::object();
        for (const Modifier &m : quantMods) {
            Json a = argsJson(m.shared);
            Json groups = Json::object();
            for (const ConfigGroup &g : m.groups) {
                Json group = Json::object();
                group["targets"] = g.targets;
                group["weights"] = argsJson(g.weights);
                groups[g.name] = group;
            }
            a["config_groups"] = groups;
            a["ignore"] = ignore;
            mods[m.cls] = a;
        }
        doc["quant_stage"]["quant_modifiers"] = mods;
    }
    if (params.preview)
        return result;
    if (doc.empty())
        throw Error("llm-compressor export: the plan has nothing llm-compressor can run (every "
                    "tensor is kept or not expressible; see the preview)");

    const std::string text = yamlText(
        doc, {"llm-compressor recipe written by cwb export --to llm-compressor",
              "plan: " + plan.recipeSource + " over " + params.model->path,
              "use: oneshot(model=..., dataset=..., recipe=\""
                  + std::filesystem::path(params.outPath).filename().string() + "\")"});
    job.report(0.5, "writing " + params.outPath);
    writeRecipeFile(
        params.outPath, text,
        [&](const std::string &temp) {
            std::string d;
            try {
                d = yamlDifference(YAML::LoadFile(temp), doc);
            } catch (const YAML::Exception &e) {
                d = std::string("not YAML: ") + e.what();
            }
            if (!d.empty())
                throwIn(params.outPath, "read back differently from what was written: " + d);
        },
        params.hooks);
    markWritten(result, {params.outPath});
    job.report(1.0, "done");
    return result;
}

} // namespace cwb
