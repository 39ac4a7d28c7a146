// SPDX-License-Identifier: MIT
#pragma once
// A compression recipe (schema version 1), parsed from JSON:
//
//   {"version": 1,
//    "name": "...", "description": "...",                    optional, for people
//    "defaults": {"methods": [ENTRY...],                     every matrix (ndim >= 2) starts here
//                 "params": {"gptq": {"damp": 0.02}, ...}},  recipe-wide parameter defaults
//    "rules": [{"match": PATTERN, "methods": [ENTRY...], "comment": "..."}, ...],   in order
//    "overrides": {"TENSOR NAME": {"methods": [ENTRY...], "comment": "..."}, ...}}  applied last
//   ENTRY = {"method": NAME, "params": {...}}  |  {"method": "none", "kind": "structure"|"prune"|"lowrank"}
//
// PATTERN: "re:REGEX" (RE2, must match the whole canonical OR original name), a glob
// with * or ? (canonical names; * also crosses dots), or an exact canonical or original name.
// Globs and regexes touch matrices only; 1-D tensors (norms, biases) change only when named
// exactly. How entries combine field by field is in recipe/resolve.h.
//
// Parsing collects every problem, each named by its JSON path
// ("rules[2].methods[0].params.bits: 9 is out of range 2..8").
//
// Versions: `version` is required; an unknown or newer one is refused with a message saying
// which versions this build reads. There is no older form yet. When version 2 comes, bump
// kRecipeVersion and add, in recipe.cpp, a migration from 1 to 2 that rewrites the parsed
// JSON before it is read (migrations chain: 1 -> 2 -> 3 ...), plus a test that feeds a
// version 1 file through it; the parser itself then only ever reads the newest form.

#include "methods/registry.h"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cwb {

inline constexpr int kRecipeVersion = 1;

using ParamList = std::vector<std::pair<std::string, ParamValue>>; // in file order

struct MethodEntry {
    std::string method;  // a name from methodTable(), or "none" (empties `slot`)
    MethodSlot slot = MethodSlot::Quantize;
    ParamList params;    // checked against the method's table
    std::string path;    // JSON path, for messages: "rules[0].methods[1]"
};

struct RecipeRule {
    int index = 0;       // position in "rules" (kept when another rule is dropped as invalid)
    std::string match;
    std::vector<MethodEntry> methods;
    std::string comment;
};

struct RecipeOverride {
    std::string tensor;  // canonical or original name, exactly
    std::vector<MethodEntry> methods;
    std::string comment;
};

struct Recipe {
    int version = kRecipeVersion;
    std::string source;  // file name (or "recipe") for messages
    std::string name, description;
    std::vector<MethodEntry> defaultMethods;
    std::vector<std::pair<std::string, ParamList>> defaultParams; // method name -> params
    std::vector<RecipeRule> rules;
    std::vector<RecipeOverride> overrides; // in file order
};

// One thing wrong with a recipe or a plan: where (a JSON path or a tensor) and what.
struct RecipeProblem {
    std::string where;
    std::string what;
    [[nodiscard]] std::string text() const { return where.empty() ? what : where + ": " + what; }
};

// A recipe with the entries that failed their checks left out, and what was wrong with them.
struct ParsedRecipe {
    Recipe recipe;
    std::vector<RecipeProblem> problems;
};

// Throws cwb::Error only when the text is no recipe at all: not JSON (with the byte offset),
// not an object, a missing, unknown or newer version, or larger than 16 MiB.
[[nodiscard]] ParsedRecipe parseRecipeLenient(std::string_view json, const std::string &source);
// Throws one cwb::Error listing every problem.
[[nodiscard]] Recipe parseRecipe(std::string_view json, const std::string &source);
// Reads a file (size checked before reading) and parses it leniently.
[[nodiscard]] ParsedRecipe readRecipeFile(const std::string &path);

// The recipe in a line for people (charts, sweep tables): its name when it has one, then the
// defaults and each rule as "pattern: method(params)", and how many overrides it has, e.g.
// "defaults: rtn(bits=4, group=32); layers.*.attn.*: q4_k; 12 overrides".
[[nodiscard]] std::string recipeSummary(const Recipe &recipe);

// "SOURCE: N problems in the plan:\n  where: what\n  ..." thrown as one cwb::Error.
[[noreturn]] void throwProblems(const std::string &source, std::string_view subject,
                                const std::vector<RecipeProblem> &problems);

} // namespace cwb
