// SPDX-License-Identifier: MIT
#include "recipe/recipe_edit.h"

#include "util/error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <utility>

namespace cwb {

namespace {

using Json = nlohmann::ordered_json;

RecipeOverride &overrideFor(Recipe &recipe, const TensorKey &tensor)
{
    if (RecipeOverride *o = findOverride(recipe, tensor))
        return *o;
    recipe.overrides.push_back({tensor.overrideName(), {}, {}});
    return recipe.overrides.back();
}

// Puts `entry` into the list in pipeline order, replacing the entry of the same slot.
void putEntry(std::vector<MethodEntry> &entries, MethodEntry entry)
{
    for (MethodEntry &e : entries) {
        if (e.slot == entry.slot) {
            e = std::move(entry);
            return;
        }
    }
    const auto at = std::find_if(entries.begin(), entries.end(),
                                 [&](const MethodEntry &e) {
                                     return slotOrder(e.slot) > slotOrder(entry.slot);
                                 });
    entries.insert(at, std::move(entry));
}

Json valueJson(const ParamValue &v)
{
    if (const bool *b = std::get_if<bool>(&v))
        return *b;
    if (const int64_t *i = std::get_if<int64_t>(&v))
        return *i;
    if (const double *d = std::get_if<double>(&v))
        return *d;
    return std::get<std::string>(v);
}

Json paramsJson(const ParamList &params)
{
    Json j = Json::object();
    for (const auto &[name, value] : params)
        j[name] = valueJson(value);
    return j;
}

Json entryJson(const MethodEntry &e)
{
    Json j = Json::object();
    j["method"] = e.method;
    if (e.method == "none") {
        j["kind"] = std::string(slotName(e.slot));
        return j;
    }
    if (!e.params.empty())
        j["params"] = paramsJson(e.params);
    return j;
}

Json methodsJson(const std::vector<MethodEntry> &entries)
{
    Json j = Json::array();
    for (const MethodEntry &e : entries)
        j.push_back(entryJson(e));
    return j;
}

bool sameEntries(const std::vector<MethodEntry> &a, const std::vector<MethodEntry> &b)
{
    if (a.size() != b.size())
        return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (a[i].method != b[i].method || a[i].slot != b[i].slot || a[i].params != b[i].params)
            return false;
    return true;
}

} // namespace

TensorKey tensorKey(const TensorPlan &tensor)
{
    return {tensor.canonical, tensor.name};
}

const RecipeOverride *findOverride(const Recipe &recipe, const TensorKey &tensor)
{
    for (const RecipeOverride &o : recipe.overrides)
        if ((!tensor.canonical.empty() && o.tensor == tensor.canonical) || o.tensor == tensor.name)
            return &o;
    return nullptr;
}

RecipeOverride *findOverride(Recipe &recipe, const TensorKey &tensor)
{
    return const_cast<RecipeOverride *>(findOverride(std::as_const(recipe), tensor));
}

void setOverrideMethod(Recipe &recipe, const TensorKey &tensor, MethodSlot slot,
                       const std::string &method)
{
    const std::string where = tensor.overrideName();
    const std::string slotText(slotName(slot));
    if (method == "none") {
        if (slot == MethodSlot::Quantize)
            throwIn(where, "quantize: \"none\" cannot empty the quantize slot (use \"keep\")");
    } else if (const MethodSpec *spec = findMethod(method); !spec) {
        throwIn(where, slotText + ": unknown method \"" + method + "\" (known: " + methodNames()
                           + ", none)");
    } else if (spec->slot != slot) {
        throwIn(where, slotText + ": " + method + " is a " + std::string(slotName(spec->slot))
                           + " method");
    }
    RecipeOverride &o = overrideFor(recipe, tensor);
    for (const MethodEntry &e : o.methods)
        if (e.slot == slot && e.method == method)
            return; // already this method: keep its params
    putEntry(o.methods, {method, slot, {}, {}});
}

void setOverrideParam(Recipe &recipe, const TensorKey &tensor, const std::string &method,
                      const std::string &param, ParamValue value)
{
    const std::string where = tensor.overrideName();
    const MethodSpec *spec = findMethod(method);
    if (!spec)
        throwIn(where, "unknown method \"" + method + "\" (known: " + methodNames() + ")");
    const ParamSpec *ps = spec->findParam(param);
    if (!ps)
        throwIn(where, method + " has no parameter \"" + param + "\" (its parameters: "
                           + spec->paramNames() + ")");
    if (auto why = checkParam(*ps, value))
        throwIn(where, method + " " + param + ": " + *why);
    // Checked before the override is created, so a refused edit leaves the recipe untouched.
    if (const RecipeOverride *o = findOverride(std::as_const(recipe), tensor))
        for (const MethodEntry &e : o->methods)
            if (e.slot == spec->slot && e.method != method)
                throwIn(where, method + " " + param + ": the override sets "
                                   + std::string(slotName(spec->slot)) + " to \"" + e.method
                                   + "\", not " + method);
    RecipeOverride &o = overrideFor(recipe, tensor);
    for (MethodEntry &e : o.methods) {
        if (e.slot != spec->slot)
            continue;
        for (auto &[name, v] : e.params) {
            if (name == param) {
                v = std::move(value);
                return;
            }
        }
        e.params.emplace_back(param, std::move(value));
        return;
    }
    putEntry(o.methods, {method, spec->slot, {{param, std::move(value)}}, {}});
}

bool clearOverride(Recipe &recipe, const TensorKey &tensor)
{
    const RecipeOverride *o = findOverride(std::as_const(recipe), tensor);
    if (!o)
        return false;
    recipe.overrides.erase(recipe.overrides.begin() + (o - recipe.overrides.data()));
    return true;
}

std::string recipeToJson(const Recipe &recipe)
{
    Json j = Json::object();
    j["version"] = recipe.version;
    if (!recipe.name.empty())
        j["name"] = recipe.name;
    if (!recipe.description.empty())
        j["description"] = recipe.description;
    if (!recipe.defaultMethods.empty() || !recipe.defaultParams.empty()) {
        Json d = Json::object();
        if (!recipe.defaultMethods.empty())
            d["methods"] = methodsJson(recipe.defaultMethods);
        if (!recipe.defaultParams.empty()) {
            // A method listed twice (possible only in code) merges, the later value winning,
            // as resolution reads it.
            Json params = Json::object();
            for (const auto &[method, list] : recipe.defaultParams) {
                Json &m = params[method];
                if (m.is_null())
                    m = Json::object();
                for (const auto &[name, value] : list)
                    m[name] = valueJson(value);
            }
            d["params"] = std::move(params);
        }
        j["defaults"] = std::move(d);
    }
    if (!recipe.rules.empty()) {
        Json rules = Json::array();
        for (const RecipeRule &r : recipe.rules) {
            Json rule = Json::object();
            rule["match"] = r.match;
            rule["methods"] = methodsJson(r.methods);
            if (!r.comment.empty())
                rule["comment"] = r.comment;
            rules.push_back(std::move(rule));
        }
        j["rules"] = std::move(rules);
    }
    if (!recipe.overrides.empty()) {
        Json overrides = Json::object();
        for (const RecipeOverride &o : recipe.overrides) {
            Json body = Json::object();
            body["methods"] = methodsJson(o.methods);
            if (!o.comment.empty())
                body["comment"] = o.comment;
            overrides[o.tensor] = std::move(body);
        }
        j["overrides"] = std::move(overrides);
    }
    return j.dump(2) + "\n";
}

bool sameRecipe(const Recipe &a, const Recipe &b)
{
    if (a.version != b.version || a.name != b.name || a.description != b.description
        || !sameEntries(a.defaultMethods, b.defaultMethods) || a.defaultParams != b.defaultParams
        || a.rules.size() != b.rules.size() || a.overrides.size() != b.overrides.size())
        return false;
    for (size_t i = 0; i < a.rules.size(); ++i) {
        const RecipeRule &x = a.rules[i], &y = b.rules[i];
        if (x.index != y.index || x.match != y.match || x.comment != y.comment
            || !sameEntries(x.methods, y.methods))
            return false;
    }
    for (size_t i = 0; i < a.overrides.size(); ++i) {
        const RecipeOverride &x = a.overrides[i], &y = b.overrides[i];
        if (x.tensor != y.tensor || x.comment != y.comment || !sameEntries(x.methods, y.methods))
            return false;
    }
    return true;
}

} // namespace cwb
