// SPDX-License-Identifier: MIT
#include "recipe/method_schema.h"

#include <cmath>
#include <sstream>

namespace cwb {

namespace {

// Group sizes run along a row (the contiguous last dimension, a linear's input features).
const std::vector<int64_t> kGroups = {-1, 0, 32, 64, 128, 256};
// nf4 blocks: powers of two, as bitsandbytes allows.
const std::vector<int64_t> kNf4Blocks = {64, 128, 256, 512, 1024, 2048, 4096};

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
                     bool openMin = false, bool openMax = false)
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

ParamSpec bits(int64_t def)
{
    return intRange("bits", 2, 8, def, "bits per weight code");
}

ParamSpec group(int64_t def)
{
    return intSet("group", kGroups, def,
                  "weights sharing one scale along a row; -1 = one per row (output channel), "
                  "0 = one per tensor");
}

ParamSpec sym(bool def)
{
    return boolean("sym", def, "symmetric grid around zero (no zero point)");
}

ParamSpec damp()
{
    return floatRange(
        "damp", 0.0, 1.0, 0.01,
        "fraction of the mean Hessian diagonal added to the diagonal before inversion");
}

ParamSpec blockSize()
{
    return intRange("block_size", 1, 65536, 128, "columns processed together (lazy batch updates)");
}

ParamSpec sparsity()
{
    return floatRange("sparsity", 0.0, 1.0, 0.5, "fraction of weights set to zero", false, true);
}

ParamSpec nm()
{
    return choice("nm", {"none", "2:4", "4:8"}, "none",
                  "N:M: at most N non-zeros in every M consecutive weights of a row; the "
                  "sparsity is then 1 - N/M");
}

ParamSpec rank()
{
    return intRange("rank", 0, int64_t{1} << 30, 0,
                    "singular values kept; 0 = the fewest that keep `energy`");
}

ParamSpec energy()
{
    return floatRange("energy", 0.0, 1.0, 0.95,
                      "fraction of the squared singular values kept when rank is 0", true, false);
}

ParamSpec imatrix()
{
    return boolean("imatrix", false,
                   "weight rounding errors by calibration activations (llama.cpp's --imatrix)");
}

MethodSpec method(std::string name, MethodSlot slot, std::vector<ParamSpec> params,
                  std::string summary, bool calibration = false)
{
    MethodSpec m;
    m.name = std::move(name);
    m.slot = slot;
    m.params = std::move(params);
    m.needsCalibration = calibration;
    m.summary = std::move(summary);
    return m;
}

std::vector<MethodSpec> buildTable()
{
    using S = MethodSlot;
    std::vector<MethodSpec> t;
    t.push_back(method("keep", S::Quantize, {}, "leave the tensor as stored"));
    t.push_back(method("f32", S::Quantize, {}, "store as float32"));
    t.push_back(method("f16", S::Quantize, {}, "store as float16"));
    t.push_back(method("bf16", S::Quantize, {}, "store as bfloat16"));
    t.push_back(method("rtn", S::Quantize,
                       {bits(4), group(128), sym(true),
                        boolean("f16_scales", true, "float16 scales (false: float32)")},
                       "round to nearest on an integer grid"));
    t.push_back(method("nf4", S::Quantize,
                       {intSet("block_size", kNf4Blocks, 64, "weights of a row per absmax"),
                        boolean("double_quant", false,
                                "quantize the absmax values to 8 bits (QLoRA)"),
                        intSet("dq_block_size", kNf4Blocks, 256,
                               "absmax values per second-level scale (double_quant)")},
                       "4-bit NormalFloat, a float32 absmax per block"));
    for (const char *fp8 : {"fp8_e4m3", "fp8_e5m2"})
        t.push_back(method(fp8, S::Quantize,
                           {choice("granularity", {"per-tensor", "per-channel"}, "per-tensor",
                                   "one float32 scale per tensor or per row")},
                           "8-bit float codes"));
    t.push_back(method("mxfp4", S::Quantize,
                       {choice("scale_rule", {"ocp_floor", "no_clip"}, "ocp_floor",
                               "ocp_floor: the OCP MX v1.0 scale (large values clip); no_clip: "
                               "the smallest power of two that does not clip")},
                       "OCP MX: E2M1 codes, one E8M0 scale per 32 weights"));
    t.push_back(method("nvfp4", S::Quantize,
                       {floatRange("global_amax", 0.0, 3.4e38, 0.0,
                                   "amax behind the float32 tensor scale; 0 = the tensor's own "
                                   "(share one between tensors an engine fuses)")},
                       "E2M1 codes, one FP8 E4M3 scale per 16 weights, one float32 tensor scale"));
    t.push_back(method("ternary", S::Quantize,
                       {floatRange("eps", 0.0, 1.0, 1e-5, "added to the absmean scale", true),
                        choice("packing", {"two_bit", "base3"}, "two_bit",
                               "two_bit: 4 weights per byte; base3: 5 weights per byte")},
                       "{-1, 0, +1} times the tensor's absmean (BitNet b1.58)"));
    t.push_back(method("gptq", S::Quantize,
                       {bits(4), group(128), sym(true), damp(),
                        boolean("act_order", true,
                                "quantize columns in order of decreasing Hessian diagonal"),
                        blockSize()},
                       "GPTQ: error-compensating rounding with the calibration Hessian", true));
    t.push_back(method("awq", S::Quantize,
                       {bits(4), group(128), sym(false),
                        intRange("alpha_grid", 1, 100, 20,
                                 "points of the search over the activation scale exponent")},
                       "AWQ: activation-aware per-channel scales, then the integer grid", true));
    for (const char *g : {"q4_0", "q4_1", "q5_0", "q5_1", "q8_0", "q2_k", "q3_k", "q4_k", "q5_k",
                          "q6_k"}) {
        MethodSpec m = method(g, S::Quantize, {imatrix()}, "ggml block type, llama.cpp's bytes");
        m.calibrationParam = "imatrix";
        t.push_back(std::move(m));
    }
    t.push_back(method("magnitude", S::Prune, {sparsity(), nm()},
                       "zero the weights of smallest magnitude"));
    t.push_back(method("wanda", S::Prune, {sparsity(), nm()},
                       "Wanda: zero the smallest magnitude x input norm, per row", true));
    t.push_back(method("sparsegpt", S::Prune, {sparsity(), nm(), damp(), blockSize()},
                       "SparseGPT: OBS pruning with reconstruction from the Hessian", true));
    t.push_back(method("svd", S::LowRank, {rank(), energy()}, "truncated SVD: W ~ A B"));
    t.push_back(method("asvd", S::LowRank,
                       {rank(), energy(), damp()},
                       "activation-aware SVD (SVD-LLM): whiten by the Cholesky factor of the "
                       "calibration covariance, truncate, un-whiten",
                       true));
    return t;
}

} // namespace

std::string_view slotName(MethodSlot s)
{
    switch (s) {
    case MethodSlot::Prune: return "prune";
    case MethodSlot::LowRank: return "lowrank";
    case MethodSlot::Quantize: return "quantize";
    }
    return "quantize";
}

std::optional<MethodSlot> slotFromName(std::string_view name)
{
    for (MethodSlot s : {MethodSlot::Prune, MethodSlot::LowRank, MethodSlot::Quantize})
        if (slotName(s) == name)
            return s;
    return std::nullopt;
}

const ParamSpec *MethodSpec::findParam(std::string_view param) const
{
    for (const auto &p : params)
        if (p.name == param)
            return &p;
    return nullptr;
}

std::string MethodSpec::paramNames() const
{
    if (params.empty())
        return "none";
    std::string s;
    for (const auto &p : params)
        s += (s.empty() ? "" : ", ") + p.name;
    return s;
}

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

std::string methodNames()
{
    std::string s;
    for (const auto &m : methodTable())
        s += (s.empty() ? "" : ", ") + m.name;
    return s;
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
