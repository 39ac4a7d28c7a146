// SPDX-License-Identifier: MIT
#pragma once
// A resolved plan: for every tensor of a model, the methods it gets (one per pipeline slot),
// every parameter's value, and for each of those fields which part of the recipe set it
// (provenance), plus estimated stored bytes. Produced by resolvePlan() (recipe/resolve.h);
// shown by the dry-run report (recipe/plan_report.h) and, later, executed by the compressor.

#include "formats/dtype.h"
#include "methods/registry.h"
#include "recipe/recipe.h"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace cwb {

// Who set a field. Schema = the method table's default; Unset = nothing did (quantize "keep").
struct Provenance {
    enum class Source : uint8_t { Unset, Schema, Defaults, Rule, Override };
    Source source = Source::Unset;
    int rule = -1;     // Rule: its index in "rules"
    std::string match; // Rule: its match pattern; Override: the tensor name as the recipe wrote it

    [[nodiscard]] std::string label() const; // "schema", "defaults", "rules[0] \"layers.*\"", ...
    // "unset", "schema", "defaults", "rule", "override"
    [[nodiscard]] std::string_view sourceName() const;
    bool operator==(const Provenance &) const = default;
};

struct ResolvedParam {
    std::string name;
    ParamValue value;
    Provenance from;
};

struct SlotPlan {
    std::string method; // empty: slot unused (prune, lowrank); quantize is always set ("keep")
    Provenance from;    // who set the method (or emptied the slot with "none")
    std::vector<ResolvedParam> params; // every parameter of the method, in table order

    [[nodiscard]] bool used() const { return !method.empty(); }
    [[nodiscard]] const ResolvedParam *find(std::string_view name) const;
    // The value of a parameter the method table declares; throws std::out_of_range otherwise.
    [[nodiscard]] const ParamValue &value(std::string_view name) const;
    [[nodiscard]] std::string describe() const; // "gptq(bits=4, group=32, ...)"
    // The parameters as the method's functions read them (methods/method.h).
    [[nodiscard]] ParamReader reader() const { return ParamReader(*this); }
};

// What the plan's structure step (recipe/plan_structures.h) does to one tensor.
struct TensorStructure {
    bool removed = false;        // its block is dropped (1-D tensors of the block too)
    std::vector<int64_t> shape;  // the shape after the step; empty: unchanged
    bool refitted = false;       // its values change (a repaired consumer; in a plan the pipeline
                                 // runs on the smaller model: values from the structure step)
    std::string what;            // for people: "ffn channels 1024 -> 768", "block dropped", ...
    [[nodiscard]] bool changesValues() const { return removed || !shape.empty() || refitted; }
};

struct TensorPlan {
    size_t index = 0; // in Model::tensors
    std::string name, canonical, tiedTo;
    std::vector<int64_t> shape;
    DType dtype = DType::Unknown;
    std::string dtypeLabel;
    std::array<SlotPlan, kMethodSlots> stages; // per slot, indexed by MethodSlot (not "slots":
                                              // a Qt keyword in code that includes Qt)
    TensorStructure structure;  // what the structure slots of the plan do to it
    std::vector<int> rules;     // indices of the rules that selected the tensor
    std::string overrideName;   // the override naming it, if any
    // Why, in the recipe's words: the comment of the override naming it, else of the last
    // selecting rule that has one (a solver writes "solver (budget 4.50 bpw, ...)" here).
    std::string comment;
    uint64_t originalBytes = 0; // as stored now
    ByteEstimate estimate; // methods/method.h; computed by recipe/size_estimate.h
    bool countedInTotals = true; // false for a tied copy planned exactly like its twin

    [[nodiscard]] const SlotPlan &slot(MethodSlot s) const { return stages[static_cast<int>(s)]; }
    [[nodiscard]] SlotPlan &slot(MethodSlot s) { return stages[static_cast<int>(s)]; }
    [[nodiscard]] bool changed() const; // anything other than a bare "keep"
    [[nodiscard]] std::string summary() const; // "magnitude(...) -> gptq(...)" or "keep"
    [[nodiscard]] std::string displayName() const; // "canonical (original)" or the original
    [[nodiscard]] int64_t parameters() const;
    // The shape the per-tensor slots see: after the structure step ({} when removed).
    [[nodiscard]] std::vector<int64_t> shapeAfterStructure() const;
    [[nodiscard]] int64_t parametersAfterStructure() const;
};

struct RuleUse {
    int index = 0;
    std::string match;
    int64_t selected = 0;  // tensors the pattern selected
    int64_t effective = 0; // tensors where at least one final field comes from this rule
};

struct PlanTotals {
    int64_t tensors = 0, changed = 0;
    int64_t parameters = 0;          // a tied copy counted once, as Model::totals() does
    int64_t parametersAfter = 0;     // after the structure step (= parameters without one)
    uint64_t originalBytes = 0;      // same counting
    uint64_t estimatedBytes = 0;     // a tied copy counted once only when planned like its twin
    // original: over `parameters`; estimated: over `parametersAfter` (the weights the smaller
    // model still has, as llama.cpp counts a file's bits per weight)
    double originalBitsPerWeight = 0, estimatedBitsPerWeight = 0;
    double compressionRatio = 0;     // originalBytes / estimatedBytes
};

struct PlanOptions {
    bool calibration = false; // calibration text is available (Hessian-based methods need it)
};

struct Plan {
    std::string recipeSource, recipeName, modelPath;
    int recipeVersion = kRecipeVersion;
    bool calibration = false;
    std::vector<TensorPlan> tensors; // model order
    std::vector<RuleUse> rules;      // recipe order
    PlanTotals totals;
    std::vector<RecipeProblem> errors;   // any error: nothing may run
    std::vector<RecipeProblem> warnings; // dead or shadowed rules, diverging tied tensors, ...
    [[nodiscard]] bool valid() const { return errors.empty(); }
};

} // namespace cwb
