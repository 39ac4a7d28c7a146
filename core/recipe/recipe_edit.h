// SPDX-License-Identifier: MIT
#pragma once
// Editing a recipe one field at a time, as the GUI's layer plan table does: every change to one
// tensor becomes (or merges into) that tensor's entry in `overrides`, so the edited plan stays a
// recipe that exports as JSON and runs unchanged in the CLI. With resolve.h's precedence:
//   - setting a slot's method writes {"method": M} for that slot, replacing the override's
//     previous entry for the slot (its params go: a new method starts from its defaults); for
//     prune and lowrank, "none" writes {"method": "none", "kind": ...} and so empties the slot;
//   - setting a parameter writes it into the override's entry for the method's slot, adding
//     {"method": M, "params": {P: V}} when the override has none; because M is the method the
//     slot already resolves to, that entry merges and leaves every other field as it was;
//   - clearing removes the tensor's override, giving the tensor back to defaults and rules.
// A new override is keyed by the canonical name (the original name when there is none); an
// existing override naming the tensor by either name is edited in place. Values are checked
// against the method table; a refused one throws cwb::Error naming the tensor and parameter.

#include "recipe/plan.h"
#include "recipe/recipe.h"

#include <string>

namespace cwb {

// The two names a tensor can be reached by in `overrides`.
struct TensorKey {
    std::string canonical; // may be empty (no canonical role)
    std::string name;      // the original name in the file
    // The name a new override uses: canonical, else the original name.
    [[nodiscard]] const std::string &overrideName() const
    {
        return canonical.empty() ? name : canonical;
    }
};
[[nodiscard]] TensorKey tensorKey(const TensorPlan &tensor);

// The override naming the tensor by its canonical or original name; nullptr when none does.
[[nodiscard]] const RecipeOverride *findOverride(const Recipe &recipe, const TensorKey &tensor);
[[nodiscard]] RecipeOverride *findOverride(Recipe &recipe, const TensorKey &tensor);

// Sets the method of `slot` for one tensor. `method` must be a method of that slot, or "none"
// for prune and lowrank; anything else throws cwb::Error.
void setOverrideMethod(Recipe &recipe, const TensorKey &tensor, MethodSlot slot,
                       const std::string &method);

// Sets one parameter of `method` (the method the tensor's slot resolves to) for one tensor.
// Throws cwb::Error for an unknown method or parameter, a value the table refuses
// ("layers.0.attn.q: rtn bits: 9 is out of range 2..8"), or when the tensor's override already
// holds another method (or "none") for that slot. An integer given for a float parameter is
// stored as a float.
void setOverrideParam(Recipe &recipe, const TensorKey &tensor, const std::string &method,
                      const std::string &param, ParamValue value);

// Removes the tensor's override; false when it had none.
bool clearOverride(Recipe &recipe, const TensorKey &tensor);

// The recipe as version 1 JSON (two-space indentation, fields in the documented order, empty
// sections and empty comments left out), so that parseRecipe(recipeToJson(r)) equals r.
[[nodiscard]] std::string recipeToJson(const Recipe &recipe);

// Same content: everything except `source` and the entries' JSON paths (which say where a
// parsed entry came from, not what it means).
[[nodiscard]] bool sameRecipe(const Recipe &a, const Recipe &b);

} // namespace cwb
