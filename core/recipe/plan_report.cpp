// SPDX-License-Identifier: MIT
#include "recipe/plan_report.h"

#include "util/text_format.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace cwb {

namespace {

using nlohmann::ordered_json;

constexpr const char *kEstimateNote =
    "sizes are estimates computed from shapes and settings (formulas: README, Recipe (version 1))";

std::string shapeText(const std::vector<int64_t> &shape)
{
    std::string s;
    for (size_t i = 0; i < shape.size(); ++i)
        s += (i ? " x " : "") + std::to_string(shape[i]);
    return s.empty() ? "scalar" : s;
}

double bitsPerWeight(uint64_t bytes, int64_t params)
{
    return params > 0 ? 8.0 * static_cast<double>(bytes) / static_cast<double>(params) : 0.0;
}

ordered_json provenanceJson(const Provenance &p)
{
    ordered_json j;
    j["source"] = p.sourceName();
    if (p.source == Provenance::Source::Rule) {
        j["rule"] = p.rule;
        j["match"] = p.match;
    } else if (p.source == Provenance::Source::Override) {
        j["tensor"] = p.match;
    }
    j["label"] = p.label();
    return j;
}

ordered_json valueJson(const ParamValue &v)
{
    return std::visit([](const auto &x) { return ordered_json(x); }, v);
}

ordered_json problemsJson(const std::vector<RecipeProblem> &problems)
{
    ordered_json a = ordered_json::array();
    for (const auto &p : problems)
        a.push_back({{"where", p.where}, {"what", p.what}});
    return a;
}

ordered_json tensorJson(const TensorPlan &tp)
{
    ordered_json t;
    t["name"] = tp.name;
    t["canonical"] = tp.canonical.empty() ? ordered_json(nullptr) : ordered_json(tp.canonical);
    t["shape"] = tp.shape;
    if (tp.structure.changesValues())
        t["structure"] = {{"removed", tp.structure.removed},
                          {"shape_after", tp.shapeAfterStructure()},
                          {"refitted", tp.structure.refitted},
                          {"what", tp.structure.what}};
    t["dtype"] = tp.dtypeLabel;
    t["tied_to"] = tp.tiedTo.empty() ? ordered_json(nullptr) : ordered_json(tp.tiedTo);
    t["rules"] = tp.rules;
    t["override"] = tp.overrideName.empty() ? ordered_json(nullptr) : ordered_json(tp.overrideName);
    t["comment"] = tp.comment.empty() ? ordered_json(nullptr) : ordered_json(tp.comment);
    ordered_json methods = ordered_json::array();
    for (int s = 0; s < kMethodSlots; ++s) {
        const SlotPlan &slot = tp.stages[s];
        ordered_json m;
        m["slot"] = slotName(static_cast<MethodSlot>(s));
        m["method"] = slot.used() ? ordered_json(slot.method) : ordered_json(nullptr);
        m["set_by"] = provenanceJson(slot.from);
        ordered_json params = ordered_json::array();
        for (const auto &p : slot.params)
            params.push_back({{"name", p.name}, {"value", valueJson(p.value)},
                              {"set_by", provenanceJson(p.from)}});
        m["params"] = std::move(params);
        methods.push_back(std::move(m));
    }
    t["methods"] = std::move(methods);
    t["summary"] = tp.summary();
    t["original_bytes"] = tp.originalBytes;
    const ByteEstimate &e = tp.estimate;
    t["estimate"] = {{"bytes", e.total()},
                     {"codes", e.codes},
                     {"scales", e.scales},
                     {"zeros", e.zeros},
                     {"masks", e.masks},
                     {"extra", e.extra},
                     {"rank", e.rank},
                     {"bits_per_weight", bitsPerWeight(e.total(), tp.parametersAfterStructure())},
                     {"counted_in_totals", tp.countedInTotals},
                     {"note", e.note.empty() ? ordered_json(nullptr) : ordered_json(e.note)}};
    return t;
}

} // namespace

std::string provenanceLine(const TensorPlan &tp)
{
    int usedSlots = 0;
    for (const SlotPlan &s : tp.stages)
        usedSlots += s.used() ? 1 : 0;
    // Groups in the order the recipe applies (defaults, rules by index, override), schema last.
    auto order = [](const Provenance &p) -> int64_t {
        switch (p.source) {
        case Provenance::Source::Unset: return 0;
        case Provenance::Source::Defaults: return 1;
        case Provenance::Source::Rule: return 2 + p.rule;
        case Provenance::Source::Override: return int64_t{1} << 40;
        case Provenance::Source::Schema: return int64_t{1} << 41;
        }
        return 0;
    };
    std::vector<std::pair<Provenance, std::vector<std::string>>> groups;
    auto add = [&](const Provenance &from, const std::string &field) {
        auto it = std::find_if(groups.begin(), groups.end(),
                               [&](const auto &g) { return g.first == from; });
        if (it == groups.end())
            groups.push_back({from, {field}});
        else
            it->second.push_back(field);
    };
    for (int s = 0; s < kMethodSlots; ++s) {
        const SlotPlan &slot = tp.stages[s];
        if (!slot.used()) {
            if (slot.from.source != Provenance::Source::Unset)
                add(slot.from, "no " + std::string(slotName(static_cast<MethodSlot>(s))));
            continue;
        }
        if (slot.from.source != Provenance::Source::Unset) // a quantize slot nothing touched
            add(slot.from, slot.method);
        for (const ResolvedParam &p : slot.params)
            add(p.from, usedSlots > 1 ? slot.method + "." + p.name : p.name);
    }
    std::stable_sort(groups.begin(), groups.end(),
                     [&](const auto &a, const auto &b) { return order(a.first) < order(b.first); });
    std::string line;
    for (const auto &[from, fields] : groups) {
        line += (line.empty() ? "" : " | ") + from.label() + ": ";
        for (size_t i = 0; i < fields.size(); ++i)
            line += (i ? ", " : "") + fields[i];
    }
    return line;
}

// The shape column: "1024 x 256", or "1024 x 256 -> 768 x 256" / "256 (dropped)" after the
// structure step.
std::string shapeColumn(const TensorPlan &tp)
{
    if (tp.structure.removed)
        return shapeText(tp.shape) + " (dropped)";
    if (!tp.structure.shape.empty())
        return shapeText(tp.shape) + " -> " + shapeText(tp.structure.shape);
    return shapeText(tp.shape);
}

std::string planText(const Plan &plan)
{
    std::ostringstream o;
    o << "recipe       " << plan.recipeSource << " (version " << plan.recipeVersion << ")"
      << (plan.recipeName.empty() ? "" : ": " + plan.recipeName) << "\n"
      << "model        " << plan.modelPath << "\n"
      << "calibration  " << (plan.calibration ? "available" : "none") << "\n"
      << "note         " << kEstimateNote << "\n\n";

    size_t wCanon = 9, wName = 8, wShape = 5, wType = 6, wBytes = 10;
    for (const auto &tp : plan.tensors) {
        wCanon = std::max(wCanon, tp.canonical.size());
        wName = std::max(wName, tp.name.size());
        wShape = std::max(wShape, shapeColumn(tp).size());
        wType = std::max(wType, tp.dtypeLabel.size());
        wBytes = std::max(wBytes, groupThousands(static_cast<int64_t>(tp.estimate.total())).size());
    }
    o << padRight("canonical", wCanon) << "  " << padRight("original", wName) << "  " << padRight("shape", wShape)
      << "  " << padRight("stored", wType) << "  " << padLeft("est. bytes", wBytes) << "  "
      << padLeft("bpw", 6) << "  gets\n";
    for (const auto &tp : plan.tensors) {
        std::string gets = tp.summary();
        if (!tp.changed() && tp.shape.size() < 2 && tp.slot(MethodSlot::Quantize).from.source
                                                        == Provenance::Source::Unset)
            gets += " (1-D: only exact names change it)";
        if (!tp.countedInTotals)
            gets += " (copy of " + tp.tiedTo + ", counted once)";
        o << padRight(tp.canonical.empty() ? "-" : tp.canonical, wCanon) << "  " << padRight(tp.name, wName)
          << "  " << padRight(shapeColumn(tp), wShape) << "  " << padRight(tp.dtypeLabel, wType) << "  "
          << padLeft(groupThousands(static_cast<int64_t>(tp.estimate.total())), wBytes) << "  "
          << padLeft(fixed(bitsPerWeight(tp.estimate.total(), tp.parametersAfterStructure()), 2), 6)
          << "  " << gets << "\n";
        if (!tp.structure.what.empty())
            o << std::string(wCanon + 2, ' ') << "structure: " << tp.structure.what << "\n";
        const std::string line = provenanceLine(tp);
        if (!line.empty())
            o << std::string(wCanon + 2, ' ') << "set by " << line << "\n";
        if (!tp.comment.empty())
            o << std::string(wCanon + 2, ' ') << "why: " << tp.comment << "\n";
        if (!tp.estimate.note.empty())
            o << std::string(wCanon + 2, ' ') << "estimate: " << tp.estimate.note << "\n";
    }

    const PlanTotals &t = plan.totals;
    o << "\ntotals       " << t.tensors << " tensors, " << t.changed << " changed, "
      << groupThousands(t.parameters)
      << " parameters (a tied copy counted once)";
    if (t.parametersAfter != t.parameters)
        o << ", " << groupThousands(t.parametersAfter) << " after the structure step ("
          << fixed(100.0 * double(t.parametersAfter - t.parameters) / double(t.parameters), 1)
          << "%)";
    o << "\n"
      << "size         " << humanBytes(t.originalBytes) << " -> " << humanBytes(t.estimatedBytes)
      << " (estimated), " << fixed(t.originalBitsPerWeight, 3) << " -> "
      << fixed(t.estimatedBitsPerWeight, 3) << " bits/weight, ratio "
      << fixed(t.compressionRatio, 2) << "x\n";

    o << "\nrules\n";
    if (plan.rules.empty())
        o << "  (none)\n";
    for (const auto &r : plan.rules)
        o << "  rules[" << r.index << "] \"" << r.match << "\": selected " << r.selected
          << ", effective on " << r.effective << "\n";
    if (!plan.warnings.empty()) {
        o << "\nwarnings (" << plan.warnings.size() << ")\n";
        for (const auto &w : plan.warnings)
            o << "  " << w.text() << "\n";
    }
    if (!plan.errors.empty()) {
        o << "\nerrors (" << plan.errors.size() << "): nothing will run until they are fixed\n";
        for (const auto &e : plan.errors)
            o << "  " << e.text() << "\n";
    }
    return o.str();
}

std::string planJson(const Plan &plan)
{
    ordered_json j;
    j["schema"] = "cwb.plan/1";
    j["recipe"] = {{"source", plan.recipeSource},
                   {"name", plan.recipeName},
                   {"version", plan.recipeVersion}};
    j["model"] = plan.modelPath;
    j["calibration"] = plan.calibration;
    j["estimates"] = kEstimateNote;
    j["valid"] = plan.valid();
    j["errors"] = problemsJson(plan.errors);
    j["warnings"] = problemsJson(plan.warnings);
    ordered_json rules = ordered_json::array();
    for (const auto &r : plan.rules)
        rules.push_back({{"index", r.index},
                         {"match", r.match},
                         {"selected", r.selected},
                         {"effective", r.effective}});
    j["rules"] = std::move(rules);
    ordered_json tensors = ordered_json::array();
    for (const auto &tp : plan.tensors)
        tensors.push_back(tensorJson(tp));
    j["tensors"] = std::move(tensors);
    const PlanTotals &t = plan.totals;
    j["totals"] = {{"tensors", t.tensors},
                   {"changed", t.changed},
                   {"parameters", t.parameters},
                   {"parameters_after", t.parametersAfter},
                   {"original_bits_per_weight_over", "parameters"},
                   {"estimated_bits_per_weight_over", "parameters_after"},
                   {"original_bytes", t.originalBytes},
                   {"estimated_bytes", t.estimatedBytes},
                   {"original_bits_per_weight", t.originalBitsPerWeight},
                   {"estimated_bits_per_weight", t.estimatedBitsPerWeight},
                   {"compression_ratio", t.compressionRatio}};
    return j.dump(2) + "\n";
}

} // namespace cwb
