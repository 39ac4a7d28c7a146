// SPDX-License-Identifier: MIT
#include "methods/method_schema.h"

#include <cmath>
#include <sstream>
#include <stdexcept>

namespace cwb {

ParamSpec intRange(std::string name, int64_t lo, int64_t hi, int64_t def, std::string doc)
{
    ParamSpec p;
    p.name = std::move(name);
    p.type = ParamType::Int;
    p.min = static_cast<double>(lo);
    p.max = static_cast<double>(hi);
    p.defaultValue = def;
    p.doc = std::move(doc);
    return p;
}

ParamSpec intSet(std::string name, std::vector<int64_t> values, int64_t def, std::string doc)
{
    ParamSpec p = intRange(std::move(name), 0, 0, def, std::move(doc));
    p.intChoices = std::move(values);
    return p;
}

ParamSpec floatRange(std::string name, double lo, double hi, double def, std::string doc,
                     bool openMin, bool openMax)
{
    ParamSpec p;
    p.name = std::move(name);
    p.type = ParamType::Float;
    p.min = lo;
    p.max = hi;
    p.openMin = openMin;
    p.openMax = openMax;
    p.defaultValue = def;
    p.doc = std::move(doc);
    return p;
}

ParamSpec boolean(std::string name, bool def, std::string doc)
{
    ParamSpec p;
    p.name = std::move(name);
    p.type = ParamType::Bool;
    p.defaultValue = def;
    p.doc = std::move(doc);
    return p;
}

ParamSpec choice(std::string name, std::vector<std::string> values, std::string def,
                 std::string doc)
{
    ParamSpec p;
    p.name = std::move(name);
    p.type = ParamType::Choice;
    p.choices = std::move(values);
    p.defaultValue = std::move(def);
    p.doc = std::move(doc);
    return p;
}

ParamSet::ParamSet(const std::vector<ParamSpec> &schema)
{
    for (const ParamSpec &p : schema)
        values_.emplace_back(p.name, p.defaultValue);
}

ParamSet &ParamSet::set(std::string name, ParamValue value)
{
    for (auto &[n, v] : values_)
        if (n == name) {
            v = std::move(value);
            return *this;
        }
    values_.emplace_back(std::move(name), std::move(value));
    return *this;
}

const ParamValue &ParamSet::value(std::string_view name) const
{
    for (const auto &[n, v] : values_)
        if (n == name)
            return v;
    throw std::out_of_range("no parameter \"" + std::string(name) + "\"");
}

std::string_view slotName(MethodSlot s)
{
    switch (s) {
    case MethodSlot::Prune: return "prune";
    case MethodSlot::LowRank: return "lowrank";
    case MethodSlot::Quantize: return "quantize";
    case MethodSlot::Structure: return "structure";
    }
    return "quantize";
}

std::optional<MethodSlot> slotFromName(std::string_view name)
{
    for (MethodSlot s : kSlotOrder)
        if (slotName(s) == name)
            return s;
    return std::nullopt;
}

std::string_view paramTypeName(ParamType t)
{
    switch (t) {
    case ParamType::Bool: return "bool";
    case ParamType::Int: return "integer";
    case ParamType::Float: return "number";
    case ParamType::Choice: return "string";
    }
    return "string";
}

std::string formatParamValue(const ParamValue &v)
{
    if (const bool *b = std::get_if<bool>(&v))
        return *b ? "true" : "false";
    if (const int64_t *i = std::get_if<int64_t>(&v))
        return std::to_string(*i);
    if (const double *d = std::get_if<double>(&v)) {
        std::ostringstream s;
        s.precision(6);
        s << *d;
        return s.str();
    }
    return std::get<std::string>(v);
}

std::string allowedValues(const ParamSpec &spec)
{
    std::ostringstream s;
    switch (spec.type) {
    case ParamType::Bool:
        return "true or false";
    case ParamType::Int:
        if (!spec.intChoices.empty()) {
            for (size_t i = 0; i < spec.intChoices.size(); ++i)
                s << (i ? ", " : "") << spec.intChoices[i];
            return s.str();
        }
        s << static_cast<int64_t>(spec.min) << ".." << static_cast<int64_t>(spec.max);
        return s.str();
    case ParamType::Float:
        if (!spec.openMin && !spec.openMax) {
            s << spec.min << ".." << spec.max;
            return s.str();
        }
        s << (spec.openMin ? "(" : "[") << spec.min << ", " << spec.max
          << (spec.openMax ? ")" : "]");
        return s.str();
    case ParamType::Choice:
        for (size_t i = 0; i < spec.choices.size(); ++i)
            s << (i ? ", " : "") << '"' << spec.choices[i] << '"';
        return s.str();
    }
    return {};
}

std::optional<std::string> checkParam(const ParamSpec &spec, ParamValue &value)
{
    const std::string shown = std::holds_alternative<std::string>(value)
                                  ? '"' + std::get<std::string>(value) + '"'
                                  : formatParamValue(value);
    switch (spec.type) {
    case ParamType::Bool:
        if (!std::holds_alternative<bool>(value))
            return shown + " is not a bool (true or false)";
        return std::nullopt;
    case ParamType::Int: {
        if (!std::holds_alternative<int64_t>(value))
            return shown + " is not an integer";
        const int64_t v = std::get<int64_t>(value);
        if (!spec.intChoices.empty()) {
            for (int64_t c : spec.intChoices)
                if (c == v)
                    return std::nullopt;
            return shown + " is not one of " + allowedValues(spec);
        }
        if (static_cast<double>(v) < spec.min || static_cast<double>(v) > spec.max)
            return shown + " is out of range " + allowedValues(spec);
        return std::nullopt;
    }
    case ParamType::Float: {
        if (const int64_t *i = std::get_if<int64_t>(&value))
            value = static_cast<double>(*i);
        if (!std::holds_alternative<double>(value))
            return shown + " is not a number";
        const double v = std::get<double>(value);
        const bool below = spec.openMin ? !(v > spec.min) : !(v >= spec.min);
        const bool above = spec.openMax ? !(v < spec.max) : !(v <= spec.max);
        if (below || above || !std::isfinite(v))
            return shown + " is out of range " + allowedValues(spec);
        return std::nullopt;
    }
    case ParamType::Choice:
        if (!std::holds_alternative<std::string>(value))
            return shown + " is not a string (one of " + allowedValues(spec) + ")";
        for (const auto &c : spec.choices)
            if (c == std::get<std::string>(value))
                return std::nullopt;
        return shown + " is not one of " + allowedValues(spec);
    }
    return std::nullopt;
}

int64_t paramInt(const ParamValue &v)
{
    return std::get<int64_t>(v);
}

double paramFloat(const ParamValue &v)
{
    return std::get<double>(v);
}

bool paramBool(const ParamValue &v)
{
    return std::get<bool>(v);
}

const std::string &paramText(const ParamValue &v)
{
    return std::get<std::string>(v);
}

} // namespace cwb
