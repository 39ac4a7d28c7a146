// SPDX-License-Identifier: MIT
#include "export/recipe_entries.h"

#include "methods/registry.h"
#include "util/error.h"
#include "util/write_steps.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace cwb {

nlohmann::ordered_json toolValueJson(const ToolValue &v)
{
    using Json = nlohmann::ordered_json;
    struct Convert {
        Json operator()(std::monostate) const { return nullptr; }
        Json operator()(bool b) const { return b; }
        Json operator()(int64_t i) const { return i; }
        Json operator()(double d) const { return d; }
        Json operator()(const std::string &s) const { return s; }
    };
    return std::visit(Convert{}, v);
}


std::vector<RecipeEntry> recipeEntries(const Plan &plan, RecipeTool tool)
{
    std::vector<RecipeEntry> out;
    out.reserve(plan.tensors.size());
    for (const TensorPlan &tp : plan.tensors) {
        RecipeEntry e;
        e.plan = &tp;
        const auto formOf = [&](MethodSlot s) -> std::optional<ToolForm> {
            const SlotPlan &slot = tp.slot(s);
            if (!slot.used())
                return std::nullopt;
            const MethodSpec &m = requireMethod(slot.method);
            if (!m.recipeForms)
                throw Error("method " + m.name + " has no recipe forms");
            return m.recipeForms(slot.reader(), tp.dtype).*tool;
        };
        e.prune = formOf(MethodSlot::Prune);
        e.lowRank = formOf(MethodSlot::LowRank);
        e.quantize = formOf(MethodSlot::Quantize);
        out.push_back(std::move(e));
    }
    return out;
}

std::vector<ToolArg> majorityArgs(const std::vector<const std::vector<ToolArg> *> &candidates)
{
    // Few distinct values: a linear count keeps the earliest first among equals.
    std::vector<std::pair<const std::vector<ToolArg> *, int>> counts;
    for (const std::vector<ToolArg> *c : candidates) {
        bool found = false;
        for (auto &[value, n] : counts)
            if (*value == *c) {
                ++n;
                found = true;
                break;
            }
        if (!found)
            counts.emplace_back(c, 1);
    }
    const std::vector<ToolArg> *best = nullptr;
    int bestCount = 0;
    for (const auto &[value, n] : counts)
        if (n > bestCount) {
            best = value;
            bestCount = n;
        }
    return best ? *best : std::vector<ToolArg>{};
}

std::map<std::string, std::vector<ToolArg>>
majorityShared(const std::vector<RecipeEntry> &entries,
               const std::function<const ToolForm *(const RecipeEntry &)> &pick)
{
    std::map<std::string, std::vector<const std::vector<ToolArg> *>> byAlgorithm;
    for (const RecipeEntry &e : entries)
        if (const ToolForm *f = pick(e); f && !f->algorithm.empty())
            byAlgorithm[f->algorithm].push_back(&f->shared);
    std::map<std::string, std::vector<ToolArg>> out;
    for (const auto &[algorithm, candidates] : byAlgorithm)
        out[algorithm] = majorityArgs(candidates);
    return out;
}

const ToolValue *findArg(const std::vector<ToolArg> &args, std::string_view key)
{
    for (const ToolArg &a : args)
        if (a.key == key)
            return &a.value;
    return nullptr;
}

std::string settingsDifference(const std::vector<ToolArg> &wanted,
                               const std::vector<ToolArg> &given)
{
    std::string out;
    for (const ToolArg &w : wanted) {
        const ToolValue *g = findArg(given, w.key);
        if (g && *g == w.value)
            continue;
        out += (out.empty() ? "" : ", ") + w.key + " " + toolValueText(w.value) + " (given "
             + (g ? toolValueText(*g) : std::string("none")) + ")";
    }
    return out;
}

std::string argsText(const std::vector<ToolArg> &args)
{
    std::string out;
    for (const ToolArg &a : args)
        out += (out.empty() ? "" : ", ") + a.key + " " + toolValueText(a.value);
    return out;
}

std::string joinNotes(const std::string &a, const std::string &b)
{
    if (a.empty())
        return b;
    if (b.empty())
        return a;
    return a + "; " + b;
}

void requireLlamaRecipeInputs(const Model *model, const Plan *plan, const std::string &target)
{
    if (!model)
        throw Error(target + " export: no model given");
    if (!plan)
        throw Error(target + " export: no plan given (a recipe, or an archive's recipe)");
    if (model->family != ArchFamily::Llama)
        throwIn(model->path, "architecture '" + model->architecture + "' is not llama-family; the "
                                 + target + " export names llama's modules and tensors only");
}

void writeRecipeFile(const std::string &path, const std::string &text,
                     const std::function<void(const std::string &temp)> &readBack,
                     const AtomicWriteHooks &hooks)
{
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec))
        throwIn(path, "is a directory; give the path of the file to write");
    writeFileAtomically(
        path,
        [&](const std::string &temp) {
            writeStep(WriteStepKind::Write, temp);
            std::ofstream out(temp, std::ios::binary | std::ios::trunc);
            if (!out)
                throwIn(path, "cannot create " + temp + ": " + std::strerror(errno));
            out << text;
            out.close();
            if (!out)
                throwIn(path, "cannot write " + temp);
            readBack(temp);
        },
        hooks);
}

void markWritten(ExportResult &r, std::vector<std::string> files)
{
    r.fileBytes = 0;
    for (const std::string &f : files) {
        std::error_code ec;
        const auto size = std::filesystem::file_size(f, ec);
        r.fileBytes += ec ? 0 : size;
    }
    r.files = std::move(files);
    r.written = true;
    r.verified = true;
}

} // namespace cwb
