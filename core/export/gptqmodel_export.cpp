// SPDX-License-Identifier: MIT
// exportGptqModel: the base grid and algorithm by majority, one `dynamic` entry per module that
// differs (q/k/v and gate/up merged where they agree), the rows, then the JSON written and
// parsed back.
#include "export/gptqmodel_export.h"

#include "export/recipe_entries.h"
#include "model/architecture.h"
#include "model/canonical_name.h"
#include "util/error.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <map>

namespace cwb {
namespace {

using Json = nlohmann::ordered_json;

enum class Role { DecoderLinear, Head, Other };

Role roleOf(const TensorPlan &tp)
{
    if (tp.shape.size() < 2)
        return Role::Other;
    if (tp.canonical == "head")
        return Role::Head;
    return splitLayerTensorName(tp.canonical) ? Role::DecoderLinear : Role::Other;
}

// What one decoder module gets in `dynamic`.
struct Decision {
    enum Kind : uint8_t { None, Base, Plus, Minus } kind = None;
    std::vector<ToolArg> args;
    bool operator==(const Decision &) const = default;
};

// q/k/v and gate/up: the members vLLM fuses, in module order, and the fused module's name.
struct FusedFamily {
    std::vector<std::string_view> roles;
    std::vector<std::string_view> modules;
    std::string_view parent, fused;
};
const FusedFamily kFused[] = {
    {{"attn.q", "attn.k", "attn.v"}, {"q_proj", "k_proj", "v_proj"}, "self_attn", "qkv_proj"},
    {{"mlp.gate", "mlp.up"}, {"gate_proj", "up_proj"}, "mlp", "gate_up_proj"},
};

std::string moduleOf(const TensorPlan &tp)
{
    std::string name = hfLlamaTensorName(tp.canonical);
    if (!name.ends_with(".weight"))
        return {};
    name.resize(name.size() - 7);
    return name;
}

} // namespace

ExportResult exportGptqModel(const GptqModelExportParams &params, const JobContext &job)
{
    requireLlamaRecipeInputs(params.model, params.plan, "GPTQModel");
    if (params.outPath.empty())
        throw Error("GPTQModel export: no output path given");
    const Plan &plan = *params.plan;
    const std::vector<RecipeEntry> entries = recipeEntries(plan, &RecipeForms::gptqModel);

    // The model's algorithm: the one most quantized tensors ask for (GPTQModel's own names, as
    // the registry's forms give them: "gptq", or "rtn" run as weight_only; gptq by default);
    // the base grid: the settings most quantized tensors get.
    std::vector<const std::vector<ToolArg> *> grids;
    std::map<std::string, int> algorithms;
    for (const RecipeEntry &e : entries) {
        if (roleOf(*e.plan) == Role::Other || e.quantize->args.empty())
            continue;
        grids.push_back(&e.quantize->args);
        if (!e.quantize->algorithm.empty())
            ++algorithms[e.quantize->algorithm];
    }
    std::string algorithm = "gptq";
    int most = 0;
    for (const auto &[name, n] : algorithms)
        if (n > most || (n == most && name == "gptq")) {
            algorithm = name;
            most = n;
        }
    const std::vector<ToolArg> base = majorityArgs(grids);
    const auto shared = majorityShared(entries, [&](const RecipeEntry &e) {
        return roleOf(*e.plan) != Role::Other && e.quantize->algorithm == algorithm
                   ? &*e.quantize
                   : nullptr;
    });
    const std::vector<ToolArg> modelShared =
        shared.contains(algorithm) ? shared.at(algorithm) : std::vector<ToolArg>{};

    ExportResult result;
    result.target = "gptqmodel";
    result.path = params.outPath;
    std::vector<Decision> decisions(entries.size());
    bool headQuantized = false;
    for (size_t i = 0; i < entries.size(); ++i) {
        job.checkCancelled();
        const RecipeEntry &e = entries[i];
        const TensorPlan &tp = *e.plan;
        ExportedTensor row;
        row.source = tp.summary();
        const std::string module = moduleOf(tp);
        row.name = !module.empty() ? module : tp.canonical;
        const Role role = roleOf(tp);
        const ToolForm &q = *e.quantize;
        std::string note;
        bool exact = true;
        const auto fail = [&](const std::string &why) {
            exact = false;
            note = joinNotes(note, why);
        };
        if (role == Role::Other || module.empty()) {
            row.written = "unchanged";
            if (tp.changed())
                fail(e.matrix() ? "GPTQModel quantizes the decoder layers' linear modules and "
                                  "lm_head only: left as it is"
                                : "GPTQModel quantizes linear weights only: left as it is");
            row.fate = exact ? ExportFate::Exact : ExportFate::NotExpressible;
            row.note = note;
            result.tensors.push_back(std::move(row));
            continue;
        }
        if (e.prune)
            fail(e.prune->note);
        if (e.lowRank)
            fail(e.lowRank->note);
        Decision &d = decisions[i];
        if (q.args.empty()) {
            d.kind = role == Role::Head ? Decision::None : Decision::Minus;
            if (!q.exact)
                fail(q.note);
        } else {
            d.kind = q.args == base ? Decision::Base : Decision::Plus;
            d.args = q.args;
            headQuantized = headQuantized || role == Role::Head;
            if (!q.exact)
                fail(q.note);
            if (!q.algorithm.empty() && q.algorithm != algorithm)
                fail("GPTQModel runs one algorithm per model: quantized with " + algorithm
                     + ", not " + q.algorithm);
            else if (const std::string diff = settingsDifference(q.shared, modelShared);
                     !diff.empty())
                fail("GPTQModel takes these settings once per model: " + diff);
        }
        row.fate = exact ? ExportFate::Exact : ExportFate::NotExpressible;
        row.note = note;
        result.tensors.push_back(std::move(row));
    }
    if (base.empty() && !params.preview)
        throw Error("GPTQModel export: the plan quantizes no linear module with a grid GPTQModel "
                    "runs (gptq, rtn); see the preview");

    // Keys of `dynamic`, in plan order; fused members that agree share one.
    std::map<std::string, size_t> entryOfModule; // HF module -> index into entries
    for (size_t i = 0; i < entries.size(); ++i)
        if (const std::string m = moduleOf(*entries[i].plan); !m.empty())
            entryOfModule[m] = i;
    std::vector<std::string> keys(entries.size());
    for (size_t i = 0; i < entries.size(); ++i) {
        if (decisions[i].kind == Decision::Plus || decisions[i].kind == Decision::Minus)
            keys[i] = "^" + regexEscape(moduleOf(*entries[i].plan)) + "$";
    }
    for (const RecipeEntry &e : entries) {
        const auto split = splitLayerTensorName(e.plan->canonical);
        if (!split)
            continue;
        for (const FusedFamily &f : kFused) {
            if (split->role != f.roles.front())
                continue;
            const std::string parent =
                "model.layers." + std::to_string(split->layer) + "." + std::string(f.parent);
            std::vector<size_t> members;
            for (const std::string_view m : f.modules)
                if (const auto it = entryOfModule.find(parent + "." + std::string(m));
                    it != entryOfModule.end())
                    members.push_back(it->second);
            if (members.size() != f.modules.size())
                continue;
            const Decision &first = decisions[members.front()];
            bool same = true;
            for (const size_t m : members)
                same = same && decisions[m] == first;
            if (!same) {
                std::string role = std::string(f.fused);
                result.notes.push_back("vLLM fuses " + parent + "'s " + role
                                       + " members into one layer with one scheme; they are "
                                         "quantized differently here, so vLLM cannot load "
                                         "them as planned");
                continue;
            }
            if (first.kind != Decision::Plus && first.kind != Decision::Minus)
                continue;
            std::string alternatives;
            for (const std::string_view m : f.modules)
                alternatives += std::string(m) + "|";
            const std::string key = "^" + regexEscape(parent) + "\\.(" + alternatives
                                  + std::string(f.fused) + ")$";
            for (const size_t m : members)
                keys[m] = key;
        }
    }

    // One row per entry, in the same order.
    Json dynamic = Json::object();
    for (size_t i = 0; i < entries.size(); ++i) {
        const Decision &d = decisions[i];
        ExportedTensor *row = &result.tensors[i];
        if (roleOf(*entries[i].plan) == Role::Other || moduleOf(*entries[i].plan).empty())
            continue;
        switch (d.kind) {
        case Decision::None:
            row->written = "not quantized (lm_head false)";
            break;
        case Decision::Base:
            row->written = "base: " + argsText(d.args);
            break;
        case Decision::Plus:
            row->written = "+:" + keys[i] + " " + argsText(d.args);
            if (!dynamic.contains("+:" + keys[i])) {
                Json fields = Json::object();
                for (const ToolArg &a : d.args)
                    fields[a.key] = toolValueJson(a.value);
                dynamic["+:" + keys[i]] = fields;
            }
            break;
        case Decision::Minus:
            row->written = "-:" + keys[i] + " (not quantized)";
            if (!dynamic.contains("-:" + keys[i]))
                dynamic["-:" + keys[i]] = Json::object();
            break;
        }
    }

    if (algorithm == "gptq")
        result.notes.push_back("GPTQModel quantizes layer by layer on the already quantized "
                               "prefix; this plan's gptq statistics came from the original "
                               "model (non-sequential)");
    Json doc = Json::object();
    for (const ToolArg &a : base)
        doc[a.key] = toolValueJson(a.value);
    for (const ToolArg &a : modelShared)
        doc[a.key] = toolValueJson(a.value);
    doc["lm_head"] = headQuantized;
    doc["quant_method"] = "gptq";
    doc["format"] = "gptq";
    if (algorithm == "rtn")
        doc["weight_only"] = Json{{"method", "rtn"}};
    doc["dynamic"] = dynamic.empty() ? Json(nullptr) : dynamic;
    if (params.preview)
        return result;

    job.report(0.5, "writing " + params.outPath);
    writeRecipeFile(
        params.outPath, doc.dump(2) + "\n",
        [&](const std::string &temp) {
            std::ifstream in(temp);
            Json back;
            try {
                back = Json::parse(in);
            } catch (const Json::exception &e) {
                throwIn(params.outPath, std::string("read back: not JSON: ") + e.what());
            }
            if (back != doc)
                throwIn(params.outPath, "read back differently from what was written");
        },
        params.hooks);
    markWritten(result, {params.outPath});
    job.report(1.0, "done");
    return result;
}

} // namespace cwb
