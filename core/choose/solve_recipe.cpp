// SPDX-License-Identifier: MIT
#include "choose/solve_recipe.h"

#include "eval/device_profile.h"
#include "eval/kv_cache.h"
#include "model/canonical_name.h"
#include "recipe/name_match.h"
#include "recipe/resolve.h"
#include "util/error.h"
#include "util/text_format.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

namespace cwb {
namespace {

std::string sci(double v)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2e", v);
    return buf;
}

std::string fixed2(double v)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", v);
    return buf;
}

// The fused group a tensor belongs to for an engine that fuses q/k/v and gate/up: its name, or
// empty.
std::string fusedGroupOf(const std::string &canonical)
{
    const auto split = splitLayerTensorName(canonical);
    if (!split)
        return {};
    const std::string_view r = split->role;
    if (r == "attn.q" || r == "attn.k" || r == "attn.v")
        return layerTensorName(split->layer, "attn.qkv");
    if (r == "mlp.gate" || r == "mlp.up")
        return layerTensorName(split->layer, "mlp.gate_up");
    return {};
}

// Per table tensor: the option indices it may take, in table order.
struct Allowed {
    std::vector<std::vector<size_t>> options;
};

} // namespace

ResolvedBudget resolveBudget(const Model &model, const BudgetSpec &spec)
{
    ResolvedBudget b;
    const int64_t parameters = model.totals().parameters;
    switch (spec.kind) {
    case BudgetSpec::Kind::BitsPerWeight:
        if (!(spec.value > 0))
            throw Error("budget: " + fixed2(spec.value) + " bits/weight is not positive");
        b.bytes = uint64_t(std::floor(spec.value * double(parameters) / 8.0));
        b.text = fixed2(spec.value) + " bpw";
        return b;
    case BudgetSpec::Kind::Bytes:
        b.bytes = uint64_t(spec.value);
        b.text = groupThousands(int64_t(b.bytes)) + " bytes";
        return b;
    case BudgetSpec::Kind::Latency: break;
    }
    const std::string dir = eval::findDeviceProfileDir();
    if (dir.empty())
        throw Error("budget: no device profiles found (set CWB_DEVICES_DIR)");
    std::string known;
    for (eval::DeviceProfile device : eval::loadDeviceProfiles(dir)) {
        known += (known.empty() ? "" : ", ") + device.id;
        if (device.id != spec.device)
            continue;
        if (device.measuredAtRunTime)
            device = eval::withHostMeasurement(device, eval::measureHost(spec.threads));
        const HyperParams &h = model.hparams;
        const int64_t position =
            h.contextLength > 0 ? std::min<int64_t>(512, h.contextLength) : 512;
        const uint64_t kv = KvCache::bytesFor(h.nLayers, position, h.nKvHeads * h.headDim);
        const double readable = spec.value * 1e-3 * device.memoryBandwidthGBps * 1e9;
        if (!(readable > double(kv)))
            throw Error("budget: " + fixed2(spec.value) + " ms/token on " + device.name
                        + " reads " + groupThousands(int64_t(readable))
                        + " bytes, not even the KV cache at position "
                        + std::to_string(position) + " (" + groupThousands(int64_t(kv)) + ")");
        b.bytes = uint64_t(readable - double(kv));
        b.estimate = true;
        b.text = fixed2(spec.value) + " ms/token on " + device.name + " (estimate)";
        const eval::RooflineEstimate roof =
            eval::rooflineDecode(device, eval::decodeCost(h, b.bytes, kv, position));
        b.note = "decode is memory-bound: " + fixed2(spec.value) + " ms x "
                 + fixed2(device.memoryBandwidthGBps) + " GB/s = "
                 + groupThousands(int64_t(readable)) + " bytes per token, less the KV cache at "
                 + "position " + std::to_string(position) + " (" + groupThousands(int64_t(kv))
                 + " bytes); a roofline estimate, real kernels reach a fraction of it";
        if (!roof.memoryBound)
            b.note += "; at that size the compute roof binds (" + fixed2(roof.secondsPerToken * 1e3)
                      + " ms/token): the latency is not reachable by size alone";
        return b;
    }
    throw Error("budget: unknown device profile '" + spec.device + "' (known: " + known + ")");
}

Lock parseLock(std::string_view text)
{
    const size_t eq = text.find('=');
    if (eq == std::string_view::npos || eq == 0 || eq + 1 == text.size())
        throw Error("lock \"" + std::string(text) + "\" is not PATTERN=METHOD (e.g. "
                    "layers.*.attn.v=q8_0)");
    return {std::string(text.substr(0, eq)), parseCandidate(text.substr(eq + 1))};
}

std::optional<double> predictedKld(const SensitivityTable &table, const Plan &plan)
{
    double sum = 0;
    for (const SensitivityTensor &t : table.tensors) {
        const auto tp = std::find_if(plan.tensors.begin(), plan.tensors.end(),
                                     [&](const TensorPlan &p) { return p.name == t.name; });
        if (tp == plan.tensors.end())
            return std::nullopt;
        const auto option = table.optionIndex(candidateIdOf(*tp));
        if (!option || !t.cells[*option].fits)
            return std::nullopt;
        sum += t.cells[*option].deltaKld;
    }
    return sum;
}

namespace {

constexpr const char *kFfnPattern = "layers.*.mlp.*";

MethodEntry pruneChannelsEntry(double keep)
{
    return {"prune_channels", MethodSlot::Structure, {{"keep", ParamValue{keep}}}, {}};
}

// Per FFN tensor (table index) and option: its bytes on the smaller shape, or nullopt where the
// option does not fit it there (a block that does not divide the pruned row length). Sized by
// resolving, per option, the recipe that prunes and then applies it: the same estimate the
// returned recipe's dry run makes.
std::map<size_t, std::vector<std::optional<uint64_t>>>
prunedCells(const Model &model, const SensitivityTable &table,
            const std::vector<Candidate> &candidates, double keep)
{
    std::map<size_t, std::vector<std::optional<uint64_t>>> out;
    for (size_t i = 0; i < table.tensors.size(); ++i) {
        const auto split = splitLayerTensorName(table.tensors[i].canonical);
        if (split && split->role.starts_with("mlp."))
            out[i].assign(candidates.size(), std::nullopt);
    }
    PlanOptions options;
    options.calibration = true;
    for (size_t j = 0; j < candidates.size(); ++j) {
        Recipe r;
        r.source = "solver";
        std::vector<MethodEntry> entries{pruneChannelsEntry(keep)};
        for (MethodEntry &e : candidates[j].recipeEntries())
            entries.push_back(std::move(e));
        r.rules.push_back({0, kFfnPattern, std::move(entries), {}});
        const Plan plan = resolvePlan(r, model, options);
        std::set<std::string> failed;
        for (const RecipeProblem &e : plan.errors)
            failed.insert(e.where);
        for (auto &[i, cells] : out) {
            const SensitivityTensor &t = table.tensors[i];
            for (const TensorPlan &tp : plan.tensors)
                if (tp.name == t.name && !failed.contains(tp.displayName()))
                    cells[j] = tp.estimate.total();
        }
    }
    return out;
}

SolveOutcome solveOnce(const Model &model, const SensitivityTable &table,
                       const SolveParams &params, const FfnKeepDamage *ffn,
                       const JobContext &ctx)
{
    SolveOutcome out;
    out.budgetBytes = params.budget.bytes;
    out.parameters = model.totals().parameters;

    // Candidates of the table's options, and the model tensor of each table tensor.
    std::vector<Candidate> candidates;
    for (const SensitivityOption &o : table.options)
        candidates.push_back(parseCandidate(o.id));
    std::vector<const Tensor *> tensors;
    std::set<std::string> inTable;
    for (const SensitivityTensor &t : table.tensors) {
        const Tensor *mt = model.findTensor(t.name);
        if (!mt)
            throw Error("the sensitivity table names " + t.name
                        + ", which the model does not have: it belongs to another model");
        tensors.push_back(mt);
        inTable.insert(mt->name);
    }
    // A tied copy is planned like its twin (below), so the dry run counts it once.
    for (const Tensor &t : model.tensors)
        if (!inTable.contains(t.name) && t.tiedTo.empty())
            out.fixedBytes += t.byteSize;
    if (out.fixedBytes > out.budgetBytes)
        throw BudgetInfeasible(out.fixedBytes, out.budgetBytes);

    // With an FFN keep, the FFN tensors' options are sized (and fit) on the smaller shapes.
    const auto pruned = ffn ? prunedCells(model, table, candidates, ffn->keep)
                            : std::map<size_t, std::vector<std::optional<uint64_t>>>{};
    const auto bytesOf = [&](size_t i, size_t j) -> std::optional<uint64_t> {
        if (!table.tensors[i].cells[j].fits)
            return std::nullopt;
        const auto p = pruned.find(i);
        return p == pruned.end() ? std::optional<uint64_t>(table.tensors[i].cells[j].bytes)
                                 : p->second[j];
    };

    // Options each tensor may take: fitting, and exact for the target.
    std::vector<std::vector<size_t>> allowed(table.tensors.size());
    std::set<std::string> inexact;
    for (size_t i = 0; i < table.tensors.size(); ++i)
        for (size_t j = 0; j < candidates.size(); ++j) {
            if (!bytesOf(i, j))
                continue;
            if (!representsExactly(candidates[j], params.target, tensors[i]->dtype)) {
                inexact.insert(candidates[j].id);
                continue;
            }
            allowed[i].push_back(j);
        }
    for (const std::string &id : inexact)
        out.notes.push_back("option " + id + " left out: "
                            + std::string(targetFormatName(params.target))
                            + " does not store it exactly");

    // Fused groups (compressed-tensors): one option list for all members.
    std::map<std::string, std::vector<size_t>> groups;
    std::vector<std::string> groupOf(table.tensors.size());
    if (params.target == TargetFormat::CompressedTensors)
        for (size_t i = 0; i < table.tensors.size(); ++i)
            if (const std::string g = fusedGroupOf(table.tensors[i].canonical); !g.empty()) {
                groups[g].push_back(i);
                groupOf[i] = g;
            }
    for (auto &[name, members] : groups) {
        if (members.size() < 2) {
            groupOf[members[0]].clear();
            continue;
        }
        std::vector<size_t> common = allowed[members[0]];
        for (const size_t m : members)
            std::erase_if(common, [&](size_t j) {
                return std::find(allowed[m].begin(), allowed[m].end(), j) == allowed[m].end();
            });
        for (const size_t m : members)
            allowed[m] = common;
    }

    BudgetProblem problem;
    problem.budgetBytes = out.budgetBytes - out.fixedBytes;
    std::vector<std::string> lockedBy(table.tensors.size());
    for (size_t i = 0; i < table.tensors.size(); ++i) {
        const SensitivityTensor &t = table.tensors[i];
        if (allowed[i].empty())
            throw Error(t.canonical + ": no option of the table fits it and is stored exactly by "
                        + std::string(targetFormatName(params.target))
                        + (groupOf[i].empty() ? "" : " (in the fused group " + groupOf[i] + ")"));
        SolverItem item;
        item.name = t.canonical.empty() ? t.name : t.canonical;
        for (const size_t j : allowed[i])
            item.options.push_back({*bytesOf(i, j), std::max(0.0, t.cells[j].deltaKld),
                                    table.options[j].id});
        problem.items.push_back(std::move(item));
    }
    for (const Lock &lock : params.locks) {
        std::string error;
        const auto pattern = NamePattern::compile(lock.pattern, error);
        if (!pattern)
            throw Error("lock " + lock.text() + ": " + error);
        const auto option = table.optionIndex(lock.candidate.id);
        if (!option)
            throw Error("lock " + lock.text() + ": " + lock.candidate.id
                        + " is not among the analysed options");
        int64_t matched = 0;
        for (size_t i = 0; i < tensors.size(); ++i) {
            if (!pattern->selects(*tensors[i]))
                continue;
            ++matched;
            const auto at = std::find(allowed[i].begin(), allowed[i].end(), *option);
            if (at == allowed[i].end()) {
                const SensitivityCell &cell = table.tensors[i].cells[*option];
                const std::string why =
                    !cell.fits ? cell.why
                    : !bytesOf(i, *option)
                        ? "its FFN rows at keep " + fixed2(ffn ? ffn->keep : 1.0)
                              + " do not divide into the option's blocks"
                        : "not exact for " + std::string(targetFormatName(params.target));
                throw Error("lock " + lock.text() + ": " + table.tensors[i].canonical
                            + " cannot take " + lock.candidate.id + " (" + why + ")");
            }
            problem.items[i].lockedOption = int(at - allowed[i].begin());
            lockedBy[i] = lock.text();
        }
        if (matched == 0)
            out.notes.push_back("lock " + lock.text() + " selects no tensor of the table");
    }
    for (const auto &[name, members] : groups)
        if (members.size() >= 2)
            problem.groups.push_back({name, members});

    out.solution = solveBudget(problem, params.solver, ctx);

    // The choices and the recipe.
    out.recipe.source = "solver";
    out.recipe.name = "solver (budget " + params.budget.text + ")";
    out.recipe.description =
        "chosen by cwb solve from a sensitivity analysis (" + std::to_string(table.windows)
        + " windows of " + std::to_string(table.tokensPerWindow)
        + " calibration tokens): least summed ΔKLD within the budget, target "
        + std::string(targetFormatName(params.target));
    for (size_t i = 0; i < table.tensors.size(); ++i) {
        const size_t j = allowed[i][out.solution.choice[i]];
        const SensitivityTensor &t = table.tensors[i];
        out.tensors.push_back({t.name, t.canonical, j, *bytesOf(i, j), t.cells[j].deltaKld,
                               lockedBy[i], groupOf[i]});
        out.predictedKld += t.cells[j].deltaKld;
    }
    if (ffn) {
        out.ffnKeep = ffn->keep;
        out.structureKld = ffn->summed;
        out.predictedKld += ffn->summed;
        out.recipe.description += "; every layer keeps " + fixed2(100.0 * ffn->keep)
                                  + "% of its FFN channels (predicted ΔKLD " + sci(ffn->summed)
                                  + " summed per layer, " + sci(ffn->together)
                                  + " measured with all layers pruned)";
        out.recipe.rules.push_back(
            {0, kFfnPattern, {pruneChannelsEntry(ffn->keep)},
             "solver: FFN channels kept " + fixed2(ffn->keep) + " (predicted ΔKLD "
                 + sci(ffn->summed) + ")"});
    }
    out.totalBytes = out.fixedBytes + out.solution.totalBytes;
    out.bitsPerWeight =
        out.parameters > 0 ? double(out.totalBytes) * 8.0 / double(out.parameters) : 0.0;
    const std::string tail = ", predicted ΔKLD ";
    for (size_t i = 0; i < out.tensors.size(); ++i) {
        const TensorChoice &c = out.tensors[i];
        const std::string why = "solver (budget " + params.budget.text + tail + sci(c.deltaKld)
                                + " of " + sci(out.predictedKld) + ")";
        const std::string comment = c.lockedBy.empty() ? why : "locked by --lock " + c.lockedBy
                                                                   + "; " + why;
        const std::string key = c.canonical.empty() ? c.name : c.canonical;
        const std::vector<MethodEntry> entries = candidates[c.option].recipeEntries();
        out.recipe.overrides.push_back({key, entries, comment});
        for (const Tensor &copy : model.tensors)
            if (copy.tiedTo == tensors[i]->name)
                out.recipe.overrides.push_back(
                    {copy.canonical.empty() ? copy.name : copy.canonical, entries,
                     "tied copy of " + key + ": planned like it, stored once"});
    }

    PlanOptions options;
    options.calibration = true;
    out.plan = resolvePlan(out.recipe, model, options);
    requireValidPlan(out.plan);
    if (out.plan.totals.estimatedBytes != out.totalBytes)
        throw Error("the solver's recipe resolves to "
                    + std::to_string(out.plan.totals.estimatedBytes) + " bytes, the solver counted " + std::to_string(out.totalBytes)
                    + ": the sensitivity table's sizes do not match this model's plan");
    return out;
}

} // namespace

SolveOutcome solveFromTable(const Model &model, const SensitivityTable &table,
                            const SolveParams &params, const JobContext &ctx)
{
    if (params.ffnKeeps.empty())
        return solveOnce(model, table, params, nullptr, ctx);
    // Every FFN fraction (all channels first) with the best per-tensor plan on its shapes; the
    // least predicted damage wins (ties: more channels kept).
    std::optional<SolveOutcome> best;
    std::optional<BudgetInfeasible> infeasible;
    std::vector<std::string> tried;
    for (size_t k = 0; k <= params.ffnKeeps.size(); ++k) {
        const FfnKeepDamage *ffn = k == 0 ? nullptr : &params.ffnKeeps[k - 1];
        const std::string name = "FFN keep " + fixed2(ffn ? ffn->keep : 1.0);
        try {
            SolveOutcome o = solveOnce(model, table, params, ffn, ctx);
            tried.push_back(name + ": predicted ΔKLD " + sci(o.predictedKld) + " ("
                            + sci(o.structureKld) + " of it the structure), "
                            + groupThousands(int64_t(o.totalBytes)) + " bytes");
            if (!best || o.predictedKld < best->predictedKld)
                best = std::move(o);
        } catch (const BudgetInfeasible &e) {
            tried.push_back(name + ": does not fit (smallest plan "
                            + groupThousands(int64_t(e.smallestBytes)) + " bytes)");
            if (!infeasible || e.smallestBytes < infeasible->smallestBytes)
                infeasible = e;
        }
    }
    if (!best)
        throw *infeasible;
    for (const std::string &t : tried)
        best->notes.push_back(t);
    return std::move(*best);
}

} // namespace cwb
