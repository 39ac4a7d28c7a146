// SPDX-License-Identifier: MIT
#include "export/compressed_tensors_format.h"

#include "util/error.h"
#include "util/name_regex.h"
#include "util/text_format.h"

#include <bit>

namespace cwb {
namespace {

using Json = nlohmann::ordered_json;

// The compressed-tensors release whose config layout this writes (FORMATS.md: 0.13 - 0.18).
constexpr const char *kFormatVersion = "0.13.0";

Json weightsJson(const CtScheme &s)
{
    Json w;
    w["num_bits"] = s.numBits;
    w["type"] = s.type;
    w["symmetric"] = s.symmetric;
    w["strategy"] = s.strategy;
    w["group_size"] = s.strategy == "group" ? Json(s.groupSize) : Json(nullptr);
    w["block_structure"] = nullptr;
    w["dynamic"] = false;
    w["actorder"] = nullptr;
    w["observer"] = "minmax";
    w["observer_kwargs"] = Json::object();
    return w;
}

const Json &field(const Json &j, const char *key, const std::string &where)
{
    const auto it = j.find(key);
    if (it == j.end())
        throwIn(where, std::string("quantization_config: missing field '") + key + "'");
    return *it;
}

template <typename T>
T typed(const Json &j, const char *key, const std::string &where)
{
    try {
        return field(j, key, where).get<T>();
    } catch (const nlohmann::json::exception &) {
        throwIn(where, std::string("quantization_config: field '") + key + "' has type "
                           + field(j, key, where).type_name());
    }
}

// An ignore entry or target against a module name: the exact name, or "re:" + a pattern that
// matches from the name's first character (Python re.match).
bool matches(const std::string &target, const std::string &module)
{
    if (!target.starts_with("re:"))
        return target == module;
    std::string problem;
    const auto re = NameRegex::compile(std::string_view(target).substr(3), problem);
    if (!re)
        throw Error("target \"" + target + "\" is not a regular expression: " + problem);
    return re->matchesPrefix(module);
}

void setBits(uint32_t *words, int64_t bit, uint32_t v, int bits)
{
    const int64_t w = bit / 32;
    const int off = int(bit % 32);
    words[w] |= v << off;
    if (off + bits > 32)
        words[w + 1] |= v >> (32 - off);
}

uint8_t getBits(const uint32_t *words, int64_t bit, int bits)
{
    const int64_t w = bit / 32;
    const int off = int(bit % 32);
    uint64_t v = words[w] >> off;
    if (off + bits > 32)
        v |= uint64_t(words[w + 1]) << (32 - off);
    return uint8_t(v & ((1u << bits) - 1u));
}

void checkBits(int bits)
{
    if (bits < 1 || bits > 8)
        throw Error("compressed-tensors packing: " + std::to_string(bits)
                    + " bits per value is outside 1..8");
}

} // namespace

std::string CtScheme::label() const
{
    std::string s = format;
    if (type == "float") {
        s += strategy == "tensor" ? " fp8 per-tensor" : " fp8 per-channel";
        return s;
    }
    s += " int";
    s += std::to_string(numBits);
    if (strategy == "group") {
        s += " g";
        s += std::to_string(groupSize);
    } else {
        s += strategy == "channel" ? " per-channel" : " per-tensor";
    }
    s += symmetric ? " sym" : " asym";
    return s;
}

Json quantizationConfigJson(const CtQuantizationConfig &c)
{
    Json q;
    q["quant_method"] = "compressed-tensors";
    q["format"] = c.format;
    Json groups = Json::object();
    for (const CtGroup &g : c.groups) {
        Json group;
        group["targets"] = g.targets;
        group["weights"] = weightsJson(g.scheme);
        group["input_activations"] = nullptr;
        group["output_activations"] = nullptr;
        group["format"] = g.scheme.format;
        groups[g.name] = std::move(group);
    }
    q["config_groups"] = std::move(groups);
    q["ignore"] = c.ignore;
    q["kv_cache_scheme"] = nullptr;
    q["quantization_status"] = "compressed";
    q["version"] = kFormatVersion;
    return q;
}

CtQuantizationConfig parseQuantizationConfig(const Json &qc, const std::string &where)
{
    if (!qc.is_object())
        throwIn(where, "quantization_config is not an object");
    if (typed<std::string>(qc, "quant_method", where) != "compressed-tensors")
        throwIn(where, "quantization_config: quant_method is not \"compressed-tensors\"");
    CtQuantizationConfig c;
    c.format = typed<std::string>(qc, "format", where);
    c.ignore = typed<std::vector<std::string>>(qc, "ignore", where);
    const Json &groups = field(qc, "config_groups", where);
    if (!groups.is_object())
        throwIn(where, "quantization_config: config_groups is not an object");
    for (const auto &[name, g] : groups.items()) {
        const std::string at = where + ": config_groups." + name;
        CtGroup group;
        group.name = name;
        group.targets = typed<std::vector<std::string>>(g, "targets", at);
        const Json &w = field(g, "weights", at);
        CtScheme &s = group.scheme;
        s.format = g.contains("format") && g["format"].is_string() ? g["format"].get<std::string>()
                                                                   : c.format;
        s.type = typed<std::string>(w, "type", at);
        s.numBits = typed<int>(w, "num_bits", at);
        s.symmetric = typed<bool>(w, "symmetric", at);
        s.strategy = typed<std::string>(w, "strategy", at);
        if (s.strategy == "group")
            s.groupSize = typed<int64_t>(w, "group_size", at);
        if (g.contains("input_activations") && !g["input_activations"].is_null())
            throwIn(at, "input activations are quantized: not a weight-only scheme");
        c.groups.push_back(std::move(group));
    }
    return c;
}

std::string moduleTarget(std::string_view module)
{
    std::string target = "re:^";
    target += regexEscape(module);
    target += '$';
    return target;
}

const CtGroup *resolveModule(const CtQuantizationConfig &c, const std::string &module,
                             bool *unmatched)
{
    if (unmatched)
        *unmatched = false;
    for (const std::string &entry : c.ignore)
        if (matches(entry, module))
            return nullptr;
    for (const CtGroup &g : c.groups)
        for (const std::string &target : g.targets)
            if (matches(target, module))
                return &g;
    if (unmatched)
        *unmatched = true;
    return nullptr;
}

int64_t packedWords(int64_t values, int bits) { return (values * bits + 31) / 32; }

std::vector<int32_t> packAlongRows(std::span<const uint8_t> v, int64_t rows, int64_t cols,
                                   int bits)
{
    checkBits(bits);
    const int64_t words = packedWords(cols, bits);
    std::vector<uint32_t> out(size_t(rows * words), 0u);
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c)
            setBits(out.data() + r * words, c * bits, v[size_t(r * cols + c)], bits);
    std::vector<int32_t> signedWords(out.size());
    for (size_t i = 0; i < out.size(); ++i)
        signedWords[i] = std::bit_cast<int32_t>(out[i]);
    return signedWords;
}

std::vector<int32_t> packAlongColumns(std::span<const uint8_t> v, int64_t rows, int64_t cols,
                                      int bits)
{
    // Down each column is along each row of the transpose.
    std::vector<uint8_t> t(v.size());
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c)
            t[size_t(c * rows + r)] = v[size_t(r * cols + c)];
    const std::vector<int32_t> packedT = packAlongRows(t, cols, rows, bits);
    const int64_t words = packedWords(rows, bits);
    std::vector<int32_t> out(packedT.size());
    for (int64_t c = 0; c < cols; ++c)
        for (int64_t w = 0; w < words; ++w)
            out[size_t(w * cols + c)] = packedT[size_t(c * words + w)];
    return out;
}

std::vector<uint8_t> unpackAlongRows(std::span<const int32_t> w, int64_t rows, int64_t cols,
                                     int bits)
{
    checkBits(bits);
    const int64_t words = packedWords(cols, bits);
    if (int64_t(w.size()) != rows * words)
        throw Error("compressed-tensors unpacking: " + std::to_string(w.size())
                    + " words do not hold " + std::to_string(rows) + " rows of "
                    + std::to_string(cols) + " " + std::to_string(bits) + "-bit values");
    std::vector<uint32_t> u(w.size());
    for (size_t i = 0; i < w.size(); ++i)
        u[i] = std::bit_cast<uint32_t>(w[i]);
    std::vector<uint8_t> out(size_t(rows * cols));
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c)
            out[size_t(r * cols + c)] = getBits(u.data() + r * words, c * bits, bits);
    return out;
}

std::vector<uint8_t> unpackAlongColumns(std::span<const int32_t> w, int64_t rows, int64_t cols,
                                        int bits)
{
    const int64_t words = packedWords(rows, bits);
    if (int64_t(w.size()) != words * cols)
        throw Error("compressed-tensors unpacking: " + std::to_string(w.size())
                    + " words do not hold " + std::to_string(cols) + " columns of "
                    + std::to_string(rows) + " " + std::to_string(bits) + "-bit values");
    std::vector<int32_t> t(w.size());
    for (int64_t wi = 0; wi < words; ++wi)
        for (int64_t c = 0; c < cols; ++c)
            t[size_t(c * words + wi)] = w[size_t(wi * cols + c)];
    const std::vector<uint8_t> ut = unpackAlongRows(t, cols, rows, bits);
    std::vector<uint8_t> out(ut.size());
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c)
            out[size_t(r * cols + c)] = ut[size_t(c * rows + r)];
    return out;
}

} // namespace cwb
