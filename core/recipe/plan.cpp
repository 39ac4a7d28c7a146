// SPDX-License-Identifier: MIT
#include "recipe/plan.h"

#include <stdexcept>

namespace cwb {

std::string_view Provenance::sourceName() const
{
    switch (source) {
    case Source::Unset: return "unset";
    case Source::Schema: return "schema";
    case Source::Defaults: return "defaults";
    case Source::Rule: return "rule";
    case Source::Override: return "override";
    }
    return "unset";
}

std::string Provenance::label() const
{
    switch (source) {
    case Source::Unset: return "-";
    case Source::Schema: return "schema";
    case Source::Defaults: return "defaults";
    case Source::Rule: return "rules[" + std::to_string(rule) + "] \"" + match + "\"";
    case Source::Override: return "override \"" + match + "\"";
    }
    return "-";
}

const ResolvedParam *SlotPlan::find(std::string_view name) const
{
    for (const auto &p : params)
        if (p.name == name)
            return &p;
    return nullptr;
}

const ParamValue &SlotPlan::value(std::string_view name) const
{
    if (const ResolvedParam *p = find(name))
        return p->value;
    throw std::out_of_range(method + " has no resolved parameter " + std::string(name));
}

std::string SlotPlan::describe() const
{
    std::string s = method;
    if (params.empty())
        return s;
    s += "(";
    for (size_t i = 0; i < params.size(); ++i)
        s += (i ? ", " : "") + params[i].name + "=" + formatParamValue(params[i].value);
    return s + ")";
}

bool TensorPlan::changed() const
{
    return slot(MethodSlot::Structure).used() || slot(MethodSlot::Prune).used()
           || slot(MethodSlot::LowRank).used() || !keepsAsStored(slot(MethodSlot::Quantize).method)
           || structure.changesValues();
}

std::string TensorPlan::summary() const
{
    std::string s;
    for (const MethodSlot m : kSlotOrder)
        if (slot(m).used())
            s += (s.empty() ? "" : " -> ") + slot(m).describe();
    return s;
}

std::vector<int64_t> TensorPlan::shapeAfterStructure() const
{
    if (structure.removed)
        return {};
    return structure.shape.empty() ? shape : structure.shape;
}

int64_t TensorPlan::parametersAfterStructure() const
{
    if (structure.removed)
        return 0;
    int64_t n = 1;
    for (int64_t d : shapeAfterStructure())
        n *= d;
    return n;
}

std::string TensorPlan::displayName() const
{
    return canonical.empty() ? name : canonical + " (" + name + ")";
}

int64_t TensorPlan::parameters() const
{
    int64_t n = 1;
    for (int64_t d : shape)
        n *= d;
    return n;
}

} // namespace cwb
