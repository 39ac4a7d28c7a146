// SPDX-License-Identifier: MIT
#include "methods/registry.h"

#include "util/error.h"

#include <algorithm>

namespace cwb {

// Each method file defines one of these; the list below is their only caller. An explicit list,
// not self-registering statics, which a static library would drop when nothing references them.
std::vector<MethodSpec> floatMethods(); // keep, f32, f16, bf16
MethodSpec rtnMethod();
MethodSpec nf4Method();
std::vector<MethodSpec> fp8Methods(); // fp8_e4m3, fp8_e5m2
std::vector<MethodSpec> fp4Methods(); // mxfp4, nvfp4
MethodSpec ternaryMethod();
MethodSpec gptqMethod();
MethodSpec awqMethod();
MethodSpec awqGgmlMethod();
std::vector<MethodSpec> ggmlMethods(); // q4_0 ... q6_k
MethodSpec gptqGgmlMethod();
MethodSpec gptqGgmlReconMethod();
MethodSpec magnitudeMethod();
MethodSpec wandaMethod();
MethodSpec sparsegptMethod();
std::vector<MethodSpec> svdMethods(); // svd, asvd
std::vector<MethodSpec> structureMethods(); // prune_channels, prune_heads, drop_block

namespace {

void add(std::vector<MethodSpec> &t, MethodSpec m) { t.push_back(std::move(m)); }

void add(std::vector<MethodSpec> &t, std::vector<MethodSpec> ms)
{
    for (MethodSpec &m : ms)
        t.push_back(std::move(m));
}

// The registration list, in the order recipes' "known methods" messages and the README list
// them: quantize, then prune, then lowrank.
std::vector<MethodSpec> buildTable()
{
    std::vector<MethodSpec> t;
    add(t, floatMethods());
    add(t, rtnMethod());
    add(t, nf4Method());
    add(t, fp8Methods());
    add(t, fp4Methods());
    add(t, ternaryMethod());
    add(t, gptqMethod());
    add(t, awqMethod());
    add(t, ggmlMethods());
    add(t, gptqGgmlMethod());
    add(t, gptqGgmlReconMethod());
    add(t, awqGgmlMethod());
    add(t, magnitudeMethod());
    add(t, wandaMethod());
    add(t, sparsegptMethod());
    add(t, svdMethods());
    add(t, structureMethods());
    return t;
}

} // namespace

const std::vector<MethodSpec> &methodTable()
{
    static const std::vector<MethodSpec> table = buildTable();
    return table;
}

const MethodSpec *findMethod(std::string_view name)
{
    for (const auto &m : methodTable())
        if (m.name == name)
            return &m;
    return nullptr;
}

const MethodSpec &requireMethod(std::string_view name)
{
    if (const MethodSpec *m = findMethod(name))
        return *m;
    throw Error("unknown method '" + std::string(name) + "' (known: " + methodNames() + ")");
}

std::string calibrationNeeds()
{
    std::vector<std::string> names;
    for (const auto &m : methodTable())
        if (m.needsCalibration && m.calibrationParam.empty())
            names.push_back(m.name);
    for (const auto &m : methodTable())
        if (!m.calibrationParam.empty()
            && std::find(names.begin(), names.end(), m.calibrationParam) == names.end())
            names.push_back(m.calibrationParam);
    std::string out;
    for (const auto &n : names)
        out += (out.empty() ? "" : ", ") + n;
    return out;
}

std::string methodNames()
{
    std::string s;
    for (const auto &m : methodTable())
        s += (s.empty() ? "" : ", ") + m.name;
    return s;
}

std::optional<QuantParams> quantParamsOfStorage(std::string_view storedMethod)
{
    for (const auto &m : methodTable())
        if (m.quantizedForm && methodName(*m.quantizedForm) == storedMethod)
            return m.quantizedForm;
    return std::nullopt;
}

std::string_view methodStoringType(DType type)
{
    const std::string_view wanted = dtypeName(type);
    for (const auto &m : methodTable()) {
        if (m.slot != MethodSlot::Quantize
            || (m.storage != StorageKind::Float && m.storage != StorageKind::Ggml))
            continue;
        const ParamSet defaults(m.params);
        if (m.exportForms(defaults.reader(), type).gguf == wanted)
            return m.name;
    }
    return {};
}

bool keepsAsStored(std::string_view name)
{
    const MethodSpec *m = findMethod(name);
    return m && m->keepsAsStored;
}

} // namespace cwb
