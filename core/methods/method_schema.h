// SPDX-License-Identifier: MIT
#pragma once
// The vocabulary every method's parameter schema is written in: the pipeline slots, parameter
// values and their specs (type, allowed values, default), the checks the recipe parser applies,
// and ParamReader, the read-only view of a slot's resolved parameters that a method's functions
// take (recipe's SlotPlan provides one, so methods/ never sees a recipe). The methods themselves
// are in methods/registry.h.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace cwb {

// Pipeline slots. The compressor applies Structure first, to the whole model (a layer's
// channels, KV groups or the block leave it: recipe/plan_structures.h), then per tensor Prune ->
// LowRank -> Quantize. Structure is last in the enum only so that the values of the older
// slots, and the arrays indexed by them, stay as they were; kSlotOrder is the applied order.
enum class MethodSlot : uint8_t { Prune, LowRank, Quantize, Structure };
inline constexpr int kMethodSlots = 4;
inline constexpr MethodSlot kSlotOrder[kMethodSlots] = {MethodSlot::Structure, MethodSlot::Prune,
                                                        MethodSlot::LowRank, MethodSlot::Quantize};
// "prune", "lowrank", "quantize", "structure"
[[nodiscard]] std::string_view slotName(MethodSlot s);
// The slot's position in kSlotOrder (0 = applied first): what "pipeline order" compares.
[[nodiscard]] constexpr int slotOrder(MethodSlot s)
{
    for (int i = 0; i < kMethodSlots; ++i)
        if (kSlotOrder[i] == s)
            return i;
    return kMethodSlots;
}
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

// A method's resolved parameters, read-only: anything with `const ParamValue &value(name) const`
// that throws for a name the method does not declare (recipe's SlotPlan, a ParamSet). Cheap to
// copy; it refers to its source, which must outlive it.
class ParamReader {
public:
    template <class Source>
        requires(!std::is_same_v<std::remove_cvref_t<Source>, ParamReader>)
    explicit ParamReader(const Source &source)
        : source_(&source),
          lookup_([](const void *s, std::string_view name) -> const ParamValue & {
              return static_cast<const Source *>(s)->value(name);
          })
    {
    }

    [[nodiscard]] const ParamValue &value(std::string_view name) const
    {
        return lookup_(source_, name);
    }
    [[nodiscard]] int64_t integer(std::string_view name) const { return paramInt(value(name)); }
    [[nodiscard]] double number(std::string_view name) const { return paramFloat(value(name)); }
    [[nodiscard]] bool flag(std::string_view name) const { return paramBool(value(name)); }
    [[nodiscard]] const std::string &text(std::string_view name) const
    {
        return paramText(value(name));
    }

private:
    const void *source_;
    const ParamValue &(*lookup_)(const void *, std::string_view);
};

// Parameter values by name, e.g. a method's schema defaults with a few set (tests, tools).
class ParamSet {
public:
    ParamSet() = default;
    explicit ParamSet(const std::vector<ParamSpec> &schema); // every default
    ParamSet &set(std::string name, ParamValue value);       // adds or replaces
    // Throws std::out_of_range for a name not in the set (as SlotPlan::value does).
    [[nodiscard]] const ParamValue &value(std::string_view name) const;
    [[nodiscard]] ParamReader reader() const { return ParamReader(*this); }

private:
    std::vector<std::pair<std::string, ParamValue>> values_;
};

// Builders for method descriptors' schemas (methods/*_method(s).cpp).
[[nodiscard]] ParamSpec intRange(std::string name, int64_t lo, int64_t hi, int64_t def,
                                 std::string doc);
[[nodiscard]] ParamSpec intSet(std::string name, std::vector<int64_t> values, int64_t def,
                               std::string doc);
[[nodiscard]] ParamSpec floatRange(std::string name, double lo, double hi, double def,
                                   std::string doc, bool openMin = false, bool openMax = false);
[[nodiscard]] ParamSpec boolean(std::string name, bool def, std::string doc);
[[nodiscard]] ParamSpec choice(std::string name, std::vector<std::string> values, std::string def,
                               std::string doc);

} // namespace cwb
