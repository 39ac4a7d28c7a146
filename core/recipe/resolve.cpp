// SPDX-License-Identifier: MIT
#include "recipe/resolve.h"

#include "recipe/name_match.h"
#include "recipe/plan_checks.h"
#include "recipe/plan_structures.h"
#include "recipe/size_estimate.h"
#include "util/error.h"

#include <optional>
#include <set>

namespace cwb {

namespace {

// A Recipe built in code (the GUI's) has not been through the parser: entries with unknown
// methods, unknown parameters or values outside the table are reported and left out here, and
// integers given for float parameters become doubles, so resolution only sees valid settings.
ParamList checkedParams(const MethodSpec &spec, ParamList params, const std::string &path,
                        std::vector<RecipeProblem> &errors)
{
    ParamList kept;
    for (auto &[name, value] : params) {
        const ParamSpec *ps = spec.findParam(name);
        const auto why = ps ? checkParam(*ps, value)
                            : std::optional<std::string>(spec.name + " has no parameter \"" + name
                                                         + "\"");
        if (why)
            errors.push_back({path + "." + name, *why});
        else
            kept.emplace_back(std::move(name), std::move(value));
    }
    return kept;
}

void sanitizeEntries(std::vector<MethodEntry> &entries, const std::string &where,
                     std::vector<RecipeProblem> &errors)
{
    std::vector<MethodEntry> kept;
    for (size_t i = 0; i < entries.size(); ++i) {
        MethodEntry &e = entries[i];
        const std::string path = e.path.empty() ? where + "[" + std::to_string(i) + "]" : e.path;
        if (e.method == "none") {
            if (e.slot != MethodSlot::Quantize)
                kept.push_back(std::move(e));
            else
                errors.push_back({path, "\"none\" cannot empty the quantize slot (use \"keep\")"});
            continue;
        }
        const MethodSpec *spec = findMethod(e.method);
        if (!spec) {
            errors.push_back({path + ".method", "unknown method \"" + e.method + "\""});
            continue;
        }
        e.slot = spec->slot;
        e.params = checkedParams(*spec, std::move(e.params), path + ".params", errors);
        kept.push_back(std::move(e));
    }
    entries = std::move(kept);
}

Recipe sanitized(const Recipe &recipe, std::vector<RecipeProblem> &errors)
{
    Recipe r = recipe;
    sanitizeEntries(r.defaultMethods, "defaults.methods", errors);
    for (auto &[method, params] : r.defaultParams) {
        const std::string path = "defaults.params." + method;
        if (const MethodSpec *spec = findMethod(method)) {
            params = checkedParams(*spec, std::move(params), path, errors);
        } else {
            errors.push_back({path, "unknown method \"" + method + "\""});
            params.clear();
        }
    }
    for (RecipeRule &rule : r.rules)
        sanitizeEntries(rule.methods, "rules[" + std::to_string(rule.index) + "].methods", errors);
    for (RecipeOverride &o : r.overrides)
        sanitizeEntries(o.methods, "overrides[\"" + o.tensor + "\"].methods", errors);
    return r;
}

Provenance fromRule(const RecipeRule &rule)
{
    return {Provenance::Source::Rule, rule.index, rule.match};
}

void setParam(SlotPlan &slot, const std::string &name, const ParamValue &value,
              const Provenance &from)
{
    for (auto &p : slot.params) {
        if (p.name == name) {
            p.value = value;
            p.from = from;
            return;
        }
    }
    slot.params.push_back({name, value, from});
}

// One rule's (or the defaults' or an override's) entries, slot by slot: a new method replaces,
// the same method merges param by param, "none" empties.
void apply(TensorPlan &tp, const std::vector<MethodEntry> &entries, const Provenance &from)
{
    for (const MethodEntry &e : entries) {
        SlotPlan &slot = tp.slot(e.slot);
        if (e.method == "none") {
            slot = SlotPlan{};
            slot.from = from;
            continue;
        }
        if (slot.method != e.method) {
            slot = SlotPlan{};
            slot.method = e.method;
            slot.from = from;
        }
        for (const auto &[name, value] : e.params)
            setParam(slot, name, value, from);
    }
}

const ParamValue *recipeDefault(const Recipe &recipe, const std::string &method,
                                const std::string &param)
{
    const ParamValue *found = nullptr;
    for (const auto &[m, params] : recipe.defaultParams)
        if (m == method)
            for (const auto &[name, value] : params)
                if (name == param)
                    found = &value;
    return found;
}

// Every parameter of the method, in table order: as set, else defaults.params, else the table.
void complete(SlotPlan &slot, const Recipe &recipe)
{
    const MethodSpec *spec = findMethod(slot.method);
    if (!spec)
        return;
    std::vector<ResolvedParam> full;
    for (const ParamSpec &ps : spec->params) {
        if (const ResolvedParam *p = slot.find(ps.name))
            full.push_back(*p);
        else if (const ParamValue *v = recipeDefault(recipe, slot.method, ps.name))
            full.push_back({ps.name, *v, {Provenance::Source::Defaults, -1, {}}});
        else
            full.push_back({ps.name, ps.defaultValue, {Provenance::Source::Schema, -1, {}}});
    }
    slot.params = std::move(full);
}

bool samePlan(const TensorPlan &a, const TensorPlan &b)
{
    for (int s = 0; s < kMethodSlots; ++s) {
        const SlotPlan &x = a.stages[s], &y = b.stages[s];
        if (x.method != y.method || x.params.size() != y.params.size())
            return false;
        for (size_t i = 0; i < x.params.size(); ++i)
            if (x.params[i].value != y.params[i].value)
                return false;
    }
    return true;
}

const Tensor *findExact(const Model &model, const std::string &name, size_t &index)
{
    for (size_t i = 0; i < model.tensors.size(); ++i) {
        const Tensor &t = model.tensors[i];
        if ((!t.canonical.empty() && t.canonical == name) || t.name == name) {
            index = i;
            return &t;
        }
    }
    return nullptr;
}

std::string overridePath(const std::string &name)
{
    return "overrides[\"" + name + "\"]";
}

// Which override applies to each tensor; unknown names and double overrides are errors.
std::vector<const RecipeOverride *> overridesByTensor(const Recipe &recipe, const Model &model,
                                                      Plan &plan)
{
    std::vector<const RecipeOverride *> byTensor(model.tensors.size(), nullptr);
    for (const RecipeOverride &o : recipe.overrides) {
        size_t index = 0;
        if (!findExact(model, o.tensor, index)) {
            plan.errors.push_back({overridePath(o.tensor),
                                   "no tensor named \"" + o.tensor
                                       + "\" in the model (canonical or original name)"});
            continue;
        }
        if (byTensor[index]) {
            plan.errors.push_back(
                {overridePath(o.tensor), "names the same tensor as "
                                             + overridePath(byTensor[index]->tensor)
                                             + "; give each tensor one override"});
            continue;
        }
        byTensor[index] = &o;
    }
    return byTensor;
}

void markEffective(const TensorPlan &tp, std::set<int> &rules)
{
    for (const SlotPlan &slot : tp.stages) {
        if (slot.from.source == Provenance::Source::Rule)
            rules.insert(slot.from.rule);
        for (const ResolvedParam &p : slot.params)
            if (p.from.source == Provenance::Source::Rule)
                rules.insert(p.from.rule);
    }
}

void tiedTensors(Plan &plan)
{
    for (TensorPlan &tp : plan.tensors) {
        if (tp.tiedTo.empty())
            continue;
        const TensorPlan *twin = nullptr;
        for (const TensorPlan &other : plan.tensors)
            if (other.name == tp.tiedTo)
                twin = &other;
        if (!twin)
            continue;
        if (samePlan(tp, *twin)) {
            tp.countedInTotals = false;
            continue;
        }
        plan.warnings.push_back({tp.displayName(),
                                 "is a copy of " + twin->displayName()
                                     + " but is planned differently (" + tp.summary() + " vs "
                                     + twin->summary() + "): the compressed model stores both"});
    }
}

} // namespace

PlanTotals planTotals(const Plan &plan)
{
    PlanTotals t;
    t.tensors = static_cast<int64_t>(plan.tensors.size());
    for (const TensorPlan &tp : plan.tensors) {
        t.changed += tp.changed() ? 1 : 0;
        if (tp.tiedTo.empty()) {
            t.parameters += tp.parameters();
            t.parametersAfter += tp.parametersAfterStructure();
            t.originalBytes += tp.originalBytes;
        }
        if (tp.countedInTotals)
            t.estimatedBytes += tp.estimate.total();
    }
    if (t.parameters > 0)
        t.originalBitsPerWeight =
            8.0 * static_cast<double>(t.originalBytes) / static_cast<double>(t.parameters);
    if (t.parametersAfter > 0)
        t.estimatedBitsPerWeight =
            8.0 * static_cast<double>(t.estimatedBytes) / static_cast<double>(t.parametersAfter);
    if (t.estimatedBytes > 0)
        t.compressionRatio =
            static_cast<double>(t.originalBytes) / static_cast<double>(t.estimatedBytes);
    return t;
}

Plan resolvePlan(const Recipe &input, const Model &model, const PlanOptions &options)
{
    Plan plan;
    const Recipe recipe = sanitized(input, plan.errors);
    plan.recipeSource = recipe.source;
    plan.recipeName = recipe.name;
    plan.recipeVersion = recipe.version;
    plan.modelPath = model.path;
    plan.calibration = options.calibration;

    std::vector<std::optional<NamePattern>> patterns;
    for (const RecipeRule &rule : recipe.rules) {
        std::string error;
        patterns.push_back(NamePattern::compile(rule.match, error));
        if (!patterns.back())
            plan.errors.push_back({"rules[" + std::to_string(rule.index) + "].match", error});
        plan.rules.push_back({rule.index, rule.match, 0, 0});
    }
    const auto overrides = overridesByTensor(recipe, model, plan);

    for (size_t i = 0; i < model.tensors.size(); ++i) {
        const Tensor &t = model.tensors[i];
        TensorPlan tp;
        tp.index = i;
        tp.name = t.name;
        tp.canonical = t.canonical;
        tp.tiedTo = t.tiedTo;
        tp.shape = t.shape;
        tp.dtype = t.dtype;
        tp.dtypeLabel = t.typeLabel();
        tp.originalBytes = t.byteSize;
        if (isMatrix(t))
            apply(tp, recipe.defaultMethods, {Provenance::Source::Defaults, -1, {}});
        for (size_t r = 0; r < recipe.rules.size(); ++r) {
            if (!patterns[r] || !patterns[r]->selects(t))
                continue;
            apply(tp, recipe.rules[r].methods, fromRule(recipe.rules[r]));
            tp.rules.push_back(recipe.rules[r].index);
            if (!recipe.rules[r].comment.empty())
                tp.comment = recipe.rules[r].comment;
            ++plan.rules[r].selected;
        }
        if (const RecipeOverride *o = overrides[i]) {
            apply(tp, o->methods, {Provenance::Source::Override, -1, o->tensor});
            tp.overrideName = o->tensor;
            if (!o->comment.empty())
                tp.comment = o->comment;
        }
        SlotPlan &quant = tp.slot(MethodSlot::Quantize);
        if (!quant.used())
            quant.method = std::string(kKeepMethod);
        for (SlotPlan &slot : tp.stages)
            complete(slot, recipe);
        std::set<int> effective;
        markEffective(tp, effective);
        for (RuleUse &use : plan.rules)
            use.effective += effective.count(use.index) ? 1 : 0;
        plan.tensors.push_back(std::move(tp));
    }

    resolveStructures(plan, model);
    for (TensorPlan &tp : plan.tensors)
        tp.estimate = estimateTensorBytes(tp);
    checkTensorPlans(plan, model, options);
    tiedTensors(plan);
    for (const RuleUse &use : plan.rules) {
        const std::string where = "rules[" + std::to_string(use.index) + "] \"" + use.match + "\"";
        if (use.selected == 0)
            plan.warnings.push_back({where, patternKind(use.match) == PatternKind::Exact
                                                ? "names no tensor of this model (dead rule)"
                                                : "matches no tensor of this model (dead rule; "
                                                  "patterns only select matrices)"});
        else if (use.effective == 0)
            plan.warnings.push_back({where, "selected " + std::to_string(use.selected)
                                                + " tensors, but later rules or overrides replaced "
                                                  "everything it set (shadowed rule)"});
    }
    plan.totals = planTotals(plan);
    return plan;
}

Plan resolvePlan(const ParsedRecipe &recipe, const Model &model, const PlanOptions &options)
{
    Plan plan = resolvePlan(recipe.recipe, model, options);
    plan.errors.insert(plan.errors.begin(), recipe.problems.begin(), recipe.problems.end());
    return plan;
}

void requireValidPlan(const Plan &plan)
{
    if (!plan.errors.empty())
        throwProblems(plan.recipeSource.empty() ? std::string("recipe") : plan.recipeSource,
                      "plan for " + plan.modelPath, plan.errors);
}

} // namespace cwb
