// SPDX-License-Identifier: MIT
#pragma once
// The method table of recipe version 1: every method's stable name, the pipeline slot it fills
// (prune -> lowrank -> quantize) and its parameters (name, type, allowed values, default). The
// recipe parser checks values against it, the resolver fills unset parameters from it, and the
// README's parameter table is this table in prose. Names must never change once published: a
// recipe written today has to mean the same thing next year (add a method, never rename one).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace cwb {

// Pipeline slots, in the order the compressor applies them.
enum class MethodSlot : uint8_t { Prune, LowRank, Quantize };
inline constexpr int kMethodSlots = 3;
[[nodiscard]] std::string_view slotName(MethodSlot s); // "prune", "lowrank", "quantize"
[[nodiscard]] std::optional<MethodSlot> slotFromName(std::string_view name);

using ParamValue = std::variant<bool, int64_t, double, std::string>;

enum class ParamType : uint8_t { Bool, Int, Float, Choice };

struct ParamSpec {
    std::string name;
    ParamType type = ParamType::Int;
    double min = 0, max = 0;       // Int and Float: range (when intChoices is empty)
    bool openMin = false;          // Float: min itself is excluded
    bool openMax = false;          // Float: max itself is excluded
    std::vector<int64_t> intChoices; // Int: the only allowed values, when not empty
    std::vector<std::string> choices; // Choice: allowed strings
    ParamValue defaultValue;
    std::string doc;
};

struct MethodSpec {
    std::string name;
    MethodSlot slot = MethodSlot::Quantize;
    std::vector<ParamSpec> params;
    // Hessian / activation statistics from calibration text: always, or only when the Bool
    // parameter `calibrationParam` is true (ggml types' imatrix).
    bool needsCalibration = false;
    std::string calibrationParam;
    std::string summary;
    [[nodiscard]] const ParamSpec *findParam(std::string_view param) const;
    [[nodiscard]] std::string paramNames() const; // "bits, group, sym" or "none"
};

// Every method of recipe version 1, in a stable order (quantize, prune, lowrank).
[[nodiscard]] const std::vector<MethodSpec> &methodTable();
[[nodiscard]] const MethodSpec *findMethod(std::string_view name);
[[nodiscard]] std::string methodNames(); // comma-separated, for "unknown method" messages

// Checks `value` against `spec`, converting an integer given for a Float parameter to double.
// Returns the reason it is rejected ("9 is out of range 2..8"), or nullopt when it is accepted.
[[nodiscard]] std::optional<std::string> checkParam(const ParamSpec &spec, ParamValue &value);
// "2..8", "-1, 0, 32", "(0, 1]", "true or false", "\"a\", \"b\"".
[[nodiscard]] std::string allowedValues(const ParamSpec &spec);
[[nodiscard]] std::string formatParamValue(const ParamValue &v);
[[nodiscard]] std::string_view paramTypeName(ParamType t);

// Typed reads of a resolved value (the resolver guarantees the type the table declares).
[[nodiscard]] int64_t paramInt(const ParamValue &v);
[[nodiscard]] double paramFloat(const ParamValue &v);
[[nodiscard]] bool paramBool(const ParamValue &v);
[[nodiscard]] const std::string &paramText(const ParamValue &v);

} // namespace cwb
