// SPDX-License-Identifier: MIT
#include "choose/candidates.h"

#include "util/error.h"

#include <charconv>
#include <cstdlib>
#include <set>

namespace cwb {

std::string_view targetFormatName(TargetFormat t)
{
    switch (t) {
    case TargetFormat::Gguf: return "gguf";
    case TargetFormat::CompressedTensors: return "compressed-tensors";
    case TargetFormat::Any: return "any";
    }
    return "gguf";
}

std::optional<TargetFormat> targetFormatFromName(std::string_view name)
{
    for (const TargetFormat t :
         {TargetFormat::Gguf, TargetFormat::CompressedTensors, TargetFormat::Any})
        if (targetFormatName(t) == name)
            return t;
    return std::nullopt;
}

namespace {

// The parameters of one stage as the method's functions read them.
ParamSet paramSetOf(const MethodSpec &spec, const ParamList &params)
{
    ParamSet set(spec.params);
    for (const auto &[name, value] : params)
        set.set(name, value);
    return set;
}

// Every parameter of the method in schema order, at its default.
ParamList defaultParams(const MethodSpec &spec)
{
    ParamList list;
    for (const ParamSpec &p : spec.params)
        list.emplace_back(p.name, p.defaultValue);
    return list;
}

std::string stageId(const MethodSpec &spec, const ParamList &params)
{
    std::string id = spec.name;
    for (size_t i = 0; i < spec.params.size(); ++i)
        if (params[i].second != spec.params[i].defaultValue)
            id += ":" + params[i].first + "=" + formatParamValue(params[i].second);
    return id;
}

[[noreturn]] void fail(std::string_view candidate, const std::string &what)
{
    throw Error("candidate \"" + std::string(candidate) + "\": " + what);
}

ParamValue parseValue(std::string_view candidate, const ParamSpec &spec, std::string_view text)
{
    const std::string s(text);
    ParamValue v;
    switch (spec.type) {
    case ParamType::Bool:
        if (s != "true" && s != "false")
            fail(candidate, spec.name + "=" + s + " is not true or false");
        v = s == "true";
        break;
    case ParamType::Int: {
        int64_t i = 0;
        const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), i);
        if (s.empty() || ec != std::errc() || end != s.data() + s.size())
            fail(candidate, spec.name + "=" + s + " is not an integer");
        v = i;
        break;
    }
    case ParamType::Float: {
        char *end = nullptr;
        const double d = std::strtod(s.c_str(), &end);
        if (s.empty() || end != s.c_str() + s.size())
            fail(candidate, spec.name + "=" + s + " is not a number");
        v = d;
        break;
    }
    case ParamType::Choice:
        v = s;
        break;
    }
    if (const auto why = checkParam(spec, v))
        fail(candidate, spec.name + ": " + *why);
    return v;
}

std::vector<std::string_view> split(std::string_view text, char sep)
{
    std::vector<std::string_view> parts;
    size_t from = 0;
    for (size_t at = text.find(sep); at != std::string_view::npos; at = text.find(sep, from)) {
        parts.push_back(text.substr(from, at - from));
        from = at + 1;
    }
    parts.push_back(text.substr(from));
    return parts;
}

std::string_view trimmed(std::string_view s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

Candidate fromEntries(std::vector<MethodEntry> entries)
{
    Candidate c;
    std::string label;
    bool quantized = false;
    for (const MethodEntry &e : entries) {
        const MethodSpec &spec = requireMethod(e.method);
        std::string part = stageId(spec, e.params);
        if (!c.id.empty())
            c.id += '+';
        c.id += part;
        if (spec.slot == MethodSlot::Quantize) {
            quantized = true;
            if (spec.label) {
                const ParamSet set = paramSetOf(spec, e.params);
                part = spec.label(set.reader(), "as stored").english();
            }
        }
        if (!label.empty())
            label += " + ";
        label += part;
    }
    if (!quantized)
        label += " + as stored";
    c.entries = std::move(entries);
    c.label = std::move(label);
    return c;
}

// The values a storage-defining parameter is tried with; empty: it keeps its default.
std::vector<ParamValue> discreteValues(const ParamSpec &p)
{
    std::vector<ParamValue> out;
    switch (p.type) {
    case ParamType::Bool: out = {false, true}; break;
    case ParamType::Choice:
        for (const auto &c : p.choices)
            out.emplace_back(c);
        break;
    case ParamType::Int:
        if (!p.intChoices.empty()) {
            for (const int64_t v : p.intChoices)
                out.emplace_back(v);
        } else if (p.max - p.min <= 16) {
            for (auto v = int64_t(p.min); v <= int64_t(p.max); ++v)
                out.emplace_back(v);
        }
        break;
    case ParamType::Float: break;
    }
    return out;
}

// A shape every group and block size divides, to tell which parameters change the stored form.
constexpr StoredShape kProbe{256, 4096, DType::F32, 256 * 4096 * 4};

bool sameStorage(const MethodSpec &m, const ParamSet &a, const ParamSet &b)
{
    if (m.storedSize && m.storedSize(a.reader(), kProbe).total()
                            != m.storedSize(b.reader(), kProbe).total())
        return false;
    if (!m.exportForms)
        return true;
    const ExportForms fa = m.exportForms(a.reader(), kProbe.keepType);
    const ExportForms fb = m.exportForms(b.reader(), kProbe.keepType);
    return fa.gguf == fb.gguf && fa.compressedTensors == fb.compressedTensors;
}

bool acceptable(const MethodSpec &m, const ParamSet &s)
{
    return !m.checkParams || !m.checkParams(s.reader());
}

// Every combination of the method's storage-defining parameters, the rest at their defaults.
std::vector<Candidate> settingsOf(const MethodSpec &m)
{
    const ParamSet defaults(m.params);
    std::vector<std::pair<std::string, std::vector<ParamValue>>> axes;
    for (const ParamSpec &p : m.params) {
        const std::vector<ParamValue> values = discreteValues(p);
        bool defining = false;
        for (const ParamValue &v : values) {
            ParamSet changed = defaults;
            changed.set(p.name, v);
            defining = defining || (acceptable(m, changed) && !sameStorage(m, defaults, changed));
        }
        if (defining)
            axes.emplace_back(p.name, values);
    }
    std::vector<Candidate> out;
    std::vector<size_t> at(axes.size(), 0);
    while (true) {
        ParamList params = defaultParams(m);
        for (size_t a = 0; a < axes.size(); ++a)
            for (auto &[name, value] : params)
                if (name == axes[a].first)
                    value = axes[a].second[at[a]];
        if (acceptable(m, paramSetOf(m, params)))
            out.push_back(fromEntries({MethodEntry{m.name, m.slot, params, {}}}));
        size_t a = 0;
        while (a < axes.size() && ++at[a] == axes[a].second.size())
            at[a++] = 0;
        if (a == axes.size())
            break;
    }
    return out;
}

void addUnique(std::vector<Candidate> &to, Candidate c, std::set<std::string> &seen)
{
    if (seen.insert(c.id).second)
        to.push_back(std::move(c));
}

} // namespace

bool Candidate::keepsAsStored() const
{
    return entries.size() == 1 && cwb::keepsAsStored(entries[0].method);
}

std::vector<MethodEntry> Candidate::recipeEntries() const
{
    std::vector<MethodEntry> out;
    for (const MethodEntry &e : entries) {
        const MethodSpec &spec = requireMethod(e.method);
        MethodEntry r{e.method, e.slot, {}, {}};
        for (size_t i = 0; i < spec.params.size(); ++i)
            if (e.params[i].second != spec.params[i].defaultValue)
                r.params.push_back(e.params[i]);
        out.push_back(std::move(r));
    }
    return out;
}

Candidate parseCandidate(std::string_view text)
{
    text = trimmed(text);
    if (text.empty())
        throw Error("empty candidate (a method name, e.g. q4_k or rtn:bits=4:group=32)");
    std::vector<MethodEntry> entries;
    int lastSlot = -1;
    for (const std::string_view stage : split(text, '+')) {
        // A value may hold ':' itself (nm=2:4): a part without '=' continues the value before.
        std::vector<std::string_view> parts;
        const std::string_view stageText = trimmed(stage);
        for (const std::string_view part : split(stageText, ':')) {
            if (parts.size() > 1 && part.find('=') == std::string_view::npos) {
                const char *begin = parts.back().data();
                parts.back() = std::string_view(begin, size_t(part.data() + part.size() - begin));
            } else {
                parts.push_back(part);
            }
        }
        const std::string name(parts[0]);
        const MethodSpec *spec = findMethod(name);
        if (!spec)
            fail(text, "unknown method \"" + name + "\" (known: " + methodNames() + ")");
        if (spec->slot == MethodSlot::Structure)
            fail(text, name + " removes a whole structure, not one tensor's storage: structures "
                              "are not candidates of the per-tensor sensitivity and solver yet "
                              "(use a recipe rule)");
        ParamList params = defaultParams(*spec);
        std::set<std::string> given;
        for (size_t i = 1; i < parts.size(); ++i) {
            const size_t eq = parts[i].find('=');
            if (eq == std::string_view::npos)
                fail(text, "\"" + std::string(parts[i]) + "\" is not PARAM=VALUE");
            const std::string param(parts[i].substr(0, eq));
            const ParamSpec *ps = spec->findParam(param);
            if (!ps)
                fail(text, name + " has no parameter \"" + param + "\" (it has: "
                               + spec->paramNames() + ")");
            if (!given.insert(param).second)
                fail(text, param + " is given twice");
            for (auto &[n, value] : params)
                if (n == param)
                    value = parseValue(text, *ps, parts[i].substr(eq + 1));
        }
        if (spec->checkParams)
            if (const auto problem = spec->checkParams(paramSetOf(*spec, params).reader()))
                fail(text, name + " " + problem->param + ": " + problem->what);
        const int slot = slotOrder(spec->slot);
        if (slot <= lastSlot)
            fail(text, "stages must be in pipeline order (prune + lowrank + quantize), one per "
                       "slot; " + name + " is a " + std::string(slotName(spec->slot))
                           + " method");
        lastSlot = slot;
        entries.push_back({name, spec->slot, std::move(params), {}});
    }
    return fromEntries(std::move(entries));
}

std::vector<Candidate> parseCandidates(std::string_view list)
{
    std::vector<Candidate> out;
    std::set<std::string> seen;
    for (const std::string_view item : split(list, ','))
        addUnique(out, parseCandidate(item), seen);
    return out;
}

bool representsExactly(const Candidate &c, TargetFormat target, DType keepType, std::string *why)
{
    if (target == TargetFormat::Any)
        return true;
    const auto say = [&](std::string text) {
        if (why)
            *why = std::move(text);
        return false;
    };
    const MethodEntry *quant = nullptr;
    bool pruned = false;
    for (const MethodEntry &e : c.entries) {
        if (e.slot == MethodSlot::LowRank)
            return say(std::string(targetFormatName(target)) + " stores no low-rank factors");
        pruned = pruned || e.slot == MethodSlot::Prune;
        if (e.slot == MethodSlot::Quantize)
            quant = &e;
    }
    const MethodSpec &spec = requireMethod(quant ? quant->method : std::string(kKeepMethod));
    const ParamSet params = paramSetOf(spec, quant ? quant->params : ParamList{});
    const ExportForms forms = spec.exportForms(params.reader(), keepType);
    const std::string &form = target == TargetFormat::Gguf ? forms.gguf : forms.compressedTensors;
    if (form == "none")
        return say(std::string(targetFormatName(target)) + " has no exact form for "
                   + c.label + (forms.note.empty() ? "" : " (" + forms.note + ")"));
    if (pruned && !(spec.exactZeros && spec.exactZeros(params.reader(), keepType)))
        return say(c.label + " does not decode pruned weights as 0, and "
                   + std::string(targetFormatName(target)) + " stores no pruning mask");
    return true;
}

std::vector<Candidate> defaultCandidates(TargetFormat target)
{
    std::vector<Candidate> out;
    std::set<std::string> seen;
    if (target == TargetFormat::Any) {
        for (const TargetFormat t : {TargetFormat::Gguf, TargetFormat::CompressedTensors})
            for (Candidate &c : defaultCandidates(t))
                addUnique(out, std::move(c), seen);
        for (const MethodSpec &m : methodTable())
            if (m.slot == MethodSlot::Quantize && !m.needsOriginalCross)
                addUnique(out, fromEntries({MethodEntry{m.name, m.slot, defaultParams(m), {}}}),
                          seen);
        return out;
    }
    for (const MethodSpec &m : methodTable()) {
        if (m.slot != MethodSlot::Quantize || m.needsOriginalCross)
            continue; // not measurable per tensor on one-pass statistics (methods/method.h)
        for (Candidate &c : settingsOf(m))
            if (representsExactly(c, target, kProbe.keepType))
                addUnique(out, std::move(c), seen);
    }
    return out;
}

std::string candidateIdOf(const TensorPlan &tp)
{
    std::string id;
    for (const SlotPlan &slot : tp.stages) {
        if (!slot.used())
            continue;
        const MethodSpec &spec = requireMethod(slot.method);
        ParamList params;
        for (const ResolvedParam &p : slot.params)
            params.emplace_back(p.name, p.value);
        if (params.size() != spec.params.size())
            throw Error(tp.displayName() + ": " + slot.method + " is not fully resolved");
        if (!id.empty())
            id += '+';
        id += stageId(spec, params);
    }
    return id;
}

std::string candidateList(const std::vector<Candidate> &candidates)
{
    std::string s;
    for (const Candidate &c : candidates) {
        if (!s.empty())
            s += ',';
        s += c.id;
    }
    return s;
}

} // namespace cwb
