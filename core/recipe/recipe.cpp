// SPDX-License-Identifier: MIT
#include "recipe/recipe.h"

#include "recipe/name_match.h"
#include "util/error.h"

#include <nlohmann/json.hpp>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <optional>
#include <sstream>

namespace cwb {

namespace {

using Json = nlohmann::ordered_json;

constexpr uint64_t kMaxRecipeBytes = uint64_t{16} << 20;

// Object keys that are identifiers join with a dot; anything else (tensor names with dots)
// is bracketed, so a path can be read back unambiguously.
std::string member(const std::string &path, const std::string &key)
{
    bool identifier = !key.empty() && !std::isdigit(static_cast<unsigned char>(key[0]));
    for (char c : key)
        identifier = identifier && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
    if (identifier)
        return path.empty() ? key : path + "." + key;
    return path + "[\"" + key + "\"]";
}

std::string element(const std::string &path, size_t i)
{
    return path + "[" + std::to_string(i) + "]";
}

std::string list(std::initializer_list<const char *> names)
{
    std::string s;
    for (const char *n : names)
        s += (s.empty() ? "" : ", ") + std::string(n);
    return s;
}

class Reader {
public:
    explicit Reader(std::vector<RecipeProblem> &problems) : problems_(problems) {}

    void problem(std::string where, std::string what)
    {
        problems_.push_back({std::move(where), std::move(what)});
    }

    // Reports keys outside `allowed`; typos like "overides" must not be silently ignored.
    void checkKeys(const Json &obj, const std::string &path,
                   std::initializer_list<const char *> allowed)
    {
        for (const auto &[key, value] : obj.items()) {
            bool known = false;
            for (const char *a : allowed)
                known = known || key == a;
            if (!known)
                problem(member(path, key), "unknown field (expected " + list(allowed) + ")");
        }
    }

    std::optional<std::string> text(const Json &obj, const std::string &path, const char *key,
                                     bool required)
    {
        const auto it = obj.find(key);
        if (it == obj.end()) {
            if (required)
                problem(member(path, key), "missing");
            return std::nullopt;
        }
        if (!it->is_string()) {
            problem(member(path, key), std::string("must be a string, not ") + it->type_name());
            return std::nullopt;
        }
        return it->get<std::string>();
    }

    std::optional<ParamValue> value(const Json &j, const std::string &path)
    {
        if (j.is_boolean())
            return ParamValue{j.get<bool>()};
        if (j.is_number_unsigned()) {
            const uint64_t u = j.get<uint64_t>();
            if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
                problem(path, std::to_string(u) + " is too large");
                return std::nullopt;
            }
            return ParamValue{static_cast<int64_t>(u)};
        }
        if (j.is_number_integer())
            return ParamValue{j.get<int64_t>()};
        if (j.is_number_float())
            return ParamValue{j.get<double>()};
        if (j.is_string())
            return ParamValue{j.get<std::string>()};
        problem(path, std::string("must be a bool, a number or a string, not ") + j.type_name());
        return std::nullopt;
    }

    ParamList params(const Json &j, const std::string &path, const MethodSpec &m)
    {
        ParamList out;
        if (!j.is_object()) {
            problem(path,
                    std::string("must be an object of parameter values, not ") + j.type_name());
            return out;
        }
        for (const auto &[key, raw] : j.items()) {
            const std::string at = member(path, key);
            const ParamSpec *spec = m.findParam(key);
            if (!spec) {
                problem(at, m.name + " has no parameter \"" + key + "\" (its parameters: "
                                + m.paramNames() + ")");
                continue;
            }
            std::optional<ParamValue> v = value(raw, at);
            if (!v)
                continue;
            if (auto why = checkParam(*spec, *v)) {
                problem(at, *why);
                continue;
            }
            out.emplace_back(key, std::move(*v));
        }
        return out;
    }

    std::optional<MethodEntry> entry(const Json &j, const std::string &path)
    {
        if (!j.is_object()) {
            problem(path, std::string("must be an object like {\"method\": \"rtn\", \"params\": "
                                      "{...}}, not ")
                              + j.type_name());
            return std::nullopt;
        }
        checkKeys(j, path, {"method", "params", "kind"});
        const auto name = text(j, path, "method", true);
        if (!name)
            return std::nullopt;
        MethodEntry e;
        e.method = *name;
        e.path = path;
        if (e.method == "none") {
            // Empties one slot: how a later rule takes back an earlier rule's pruning.
            const auto kind = text(j, path, "kind", true);
            if (!kind)
                return std::nullopt;
            const auto slot = slotFromName(*kind);
            if (!slot || *slot == MethodSlot::Quantize) {
                problem(member(path, "kind"),
                        "\"" + *kind + "\" is not structure, prune or lowrank (use \"keep\" to "
                                       "leave the stored precision)");
                return std::nullopt;
            }
            if (j.contains("params"))
                problem(member(path, "params"), "\"none\" takes no parameters");
            e.slot = *slot;
            return e;
        }
        const MethodSpec *spec = findMethod(e.method);
        if (!spec) {
            problem(member(path, "method"),
                    "unknown method \"" + e.method + "\" (known: " + methodNames() + ", none)");
            return std::nullopt;
        }
        if (j.contains("kind"))
            problem(member(path, "kind"), "only used with \"none\" (" + e.method + " is a "
                                              + std::string(slotName(spec->slot)) + " method)");
        e.slot = spec->slot;
        if (const auto it = j.find("params"); it != j.end())
            e.params = params(*it, member(path, "params"), *spec);
        return e;
    }

    // A method list: at most one method per slot, in pipeline order.
    std::vector<MethodEntry> methods(const Json &j, const std::string &path, bool allowEmpty)
    {
        std::vector<MethodEntry> out;
        if (!j.is_array()) {
            problem(path, std::string("must be an array of methods, not ") + j.type_name());
            return out;
        }
        if (j.empty() && !allowEmpty)
            problem(path, "is empty: name at least one method");
        for (size_t i = 0; i < j.size(); ++i) {
            auto e = entry(j[i], element(path, i));
            if (!e)
                continue;
            bool keep = true;
            for (const auto &prev : out) {
                if (prev.slot == e->slot) {
                    problem(e->path, "a second " + std::string(slotName(e->slot)) + " method (\""
                                         + e->method + "\" after \"" + prev.method + "\" in "
                                         + prev.path + "); a tensor gets at most one of each kind");
                    keep = false;
                } else if (slotOrder(prev.slot) > slotOrder(e->slot)) {
                    problem(e->path, "\"" + e->method + "\" (" + std::string(slotName(e->slot))
                                         + ") is listed after \"" + prev.method + "\" ("
                                         + std::string(slotName(prev.slot))
                                         + "); list methods in pipeline order structure, prune, "
                                           "lowrank, quantize");
                    keep = false;
                }
            }
            if (keep)
                out.push_back(std::move(*e));
        }
        return out;
    }

    std::vector<MethodEntry> body(const Json &j, const std::string &path,
                                  std::initializer_list<const char *> allowed, std::string &comment)
    {
        checkKeys(j, path, allowed);
        if (auto c = text(j, path, "comment", false))
            comment = *c;
        const auto it = j.find("methods");
        if (it == j.end()) {
            problem(member(path, "methods"), "missing");
            return {};
        }
        return methods(*it, member(path, "methods"), false);
    }

    void defaults(const Json &j, Recipe &r)
    {
        if (!j.is_object()) {
            problem("defaults", std::string("must be an object, not ") + j.type_name());
            return;
        }
        checkKeys(j, "defaults", {"methods", "params"});
        if (const auto it = j.find("methods"); it != j.end())
            r.defaultMethods = methods(*it, "defaults.methods", true);
        const auto it = j.find("params");
        if (it == j.end())
            return;
        if (!it->is_object()) {
            problem("defaults.params", std::string("must be an object keyed by method name, not ")
                                           + it->type_name());
            return;
        }
        for (const auto &[name, raw] : it->items()) {
            const std::string at = member("defaults.params", name);
            const MethodSpec *spec = findMethod(name);
            if (!spec) {
                problem(at, "unknown method \"" + name + "\" (known: " + methodNames() + ")");
                continue;
            }
            r.defaultParams.emplace_back(name, params(raw, at, *spec));
        }
    }

    void rules(const Json &j, Recipe &r)
    {
        if (!j.is_array()) {
            problem("rules", std::string("must be an array, not ") + j.type_name());
            return;
        }
        for (size_t i = 0; i < j.size(); ++i) {
            const std::string path = element("rules", i);
            if (!j[i].is_object()) {
                problem(path, std::string("must be an object {\"match\": ..., \"methods\": [...]}, "
                                          "not ")
                                  + j[i].type_name());
                continue;
            }
            RecipeRule rule;
            rule.index = static_cast<int>(i);
            const auto match = text(j[i], path, "match", true);
            rule.methods = body(j[i], path, {"match", "methods", "comment"}, rule.comment);
            if (!match)
                continue;
            std::string error;
            if (!NamePattern::compile(*match, error)) {
                problem(member(path, "match"), error);
                continue;
            }
            rule.match = *match;
            r.rules.push_back(std::move(rule));
        }
    }

    void overrides(const Json &j, Recipe &r)
    {
        if (!j.is_object()) {
            problem("overrides", std::string("must be an object keyed by tensor name, not ")
                                     + j.type_name());
            return;
        }
        for (const auto &[name, raw] : j.items()) {
            const std::string path = member("overrides", name);
            if (name.empty() || patternKind(name) != PatternKind::Exact) {
                problem(path, "an override names one tensor exactly (canonical or original "
                              "name); use a rule for patterns");
                continue;
            }
            if (!raw.is_object()) {
                problem(path, std::string("must be an object {\"methods\": [...]}, not ")
                                  + raw.type_name());
                continue;
            }
            RecipeOverride o;
            o.tensor = name;
            o.methods = body(raw, path, {"methods", "comment"}, o.comment);
            r.overrides.push_back(std::move(o));
        }
    }

private:
    std::vector<RecipeProblem> &problems_;
};

// Versions this build reads. Older versions would be migrated here, in place, one step at a
// time, before the reader below sees the JSON (see recipe.h); version 1 is the first.
int checkedVersion(const Json &j, const std::string &source)
{
    const auto it = j.find("version");
    const std::string reads = "this build reads recipe version " + std::to_string(kRecipeVersion);
    if (it == j.end())
        throwIn(source, "version: missing; " + reads);
    if (!it->is_number_integer()) {
        // Only scalars are shown: dumping a hostile, deeply nested value would recurse.
        const std::string shown =
            it->is_structured() ? std::string("an ") + it->type_name() : it->dump();
        throwIn(source, "version: " + shown + " is not an integer; " + reads);
    }
    const int64_t v = it->get<int64_t>();
    if (v > kRecipeVersion)
        throwIn(source, "version: " + std::to_string(v) + " is newer than this build understands ("
                            + std::to_string(kRecipeVersion) + "); update the workbench");
    if (v < 1)
        throwIn(source, "version: " + std::to_string(v) + " is not a recipe version; " + reads);
    return static_cast<int>(v);
}

} // namespace

ParsedRecipe parseRecipeLenient(std::string_view text, const std::string &source)
{
    if (text.size() > kMaxRecipeBytes)
        throwIn(source, "recipe is " + std::to_string(text.size())
                            + " bytes; recipes larger than 16 MiB are refused");
    Json j;
    try {
        j = Json::parse(text.begin(), text.end());
    } catch (const nlohmann::json::parse_error &e) {
        std::string what = e.what();
        if (const auto close = what.find("] ");
            what.starts_with("[json.") && close != std::string::npos)
            what = what.substr(close + 2);
        throwAt(source, e.byte > 0 ? e.byte - 1 : 0, "not valid JSON: " + what);
    } catch (const nlohmann::json::exception &e) {
        // A well-formed text nlohmann still refuses: a number beyond double ("1e999").
        throwIn(source, std::string("not valid JSON: ") + e.what());
    }
    if (!j.is_object())
        throwIn(source, std::string("a recipe is a JSON object with \"version\", \"rules\", ...; "
                                    "this is a JSON ")
                            + j.type_name());
    ParsedRecipe out;
    out.recipe.source = source;
    out.recipe.version = checkedVersion(j, source);
    Reader r(out.problems);
    r.checkKeys(j, "", {"version", "name", "description", "defaults", "rules", "overrides"});
    if (auto name = r.text(j, "", "name", false))
        out.recipe.name = *name;
    if (auto d = r.text(j, "", "description", false))
        out.recipe.description = *d;
    if (const auto it = j.find("defaults"); it != j.end())
        r.defaults(*it, out.recipe);
    if (const auto it = j.find("rules"); it != j.end())
        r.rules(*it, out.recipe);
    if (const auto it = j.find("overrides"); it != j.end())
        r.overrides(*it, out.recipe);
    return out;
}

Recipe parseRecipe(std::string_view text, const std::string &source)
{
    ParsedRecipe p = parseRecipeLenient(text, source);
    if (!p.problems.empty())
        throwProblems(source, "recipe", p.problems);
    return std::move(p.recipe);
}

ParsedRecipe readRecipeFile(const std::string &path)
{
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (ec)
        throwIn(path, "cannot read recipe: " + ec.message());
    if (size > kMaxRecipeBytes)
        throwIn(path, "recipe is " + std::to_string(size)
                          + " bytes; recipes larger than 16 MiB are refused");
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throwIn(path, std::string("cannot open recipe: ") + std::strerror(errno));
    std::string text(static_cast<size_t>(size), '\0');
    in.read(text.data(), static_cast<std::streamsize>(size));
    if (in.gcount() != static_cast<std::streamsize>(size))
        throwIn(path, "recipe changed size while being read");
    return parseRecipeLenient(text, path);
}

void throwProblems(const std::string &source, std::string_view subject,
                   const std::vector<RecipeProblem> &problems)
{
    std::ostringstream s;
    s << problems.size() << (problems.size() == 1 ? " problem" : " problems") << " in the "
      << subject << ":";
    for (const auto &p : problems)
        s << "\n  " << p.text();
    throwIn(source, s.str());
}

namespace {

std::string entriesText(const std::vector<MethodEntry> &entries)
{
    std::string out;
    for (const MethodEntry &e : entries) {
        std::string one = e.method;
        if (!e.params.empty()) {
            one.append("(");
            for (size_t i = 0; i < e.params.size(); ++i) {
                if (i > 0)
                    one.append(", ");
                one.append(e.params[i].first).append("=");
                one.append(formatParamValue(e.params[i].second));
            }
            one.append(")");
        }
        if (!out.empty())
            out.append(" -> ");
        out.append(one);
    }
    return out.empty() ? "keep" : out;
}

} // namespace

std::string recipeSummary(const Recipe &recipe)
{
    std::vector<std::string> parts;
    if (!recipe.name.empty())
        parts.push_back(recipe.name);
    if (!recipe.defaultMethods.empty())
        parts.push_back("defaults: " + entriesText(recipe.defaultMethods));
    for (const RecipeRule &r : recipe.rules)
        parts.push_back(r.match + ": " + entriesText(r.methods));
    if (!recipe.overrides.empty())
        parts.push_back(std::to_string(recipe.overrides.size())
                        + (recipe.overrides.size() == 1 ? " override" : " overrides"));
    std::string out;
    for (const auto &p : parts) {
        if (!out.empty())
            out.append("; ");
        out.append(p);
    }
    return out.empty() ? "keep everything" : out;
}

} // namespace cwb
