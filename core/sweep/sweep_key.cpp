// SPDX-License-Identifier: MIT
#include "sweep/sweep_key.h"

#include "recipe/recipe.h"
#include "recipe/recipe_edit.h"
#include "util/error.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <vector>

namespace cwb {
namespace {

std::string hex16(uint64_t v)
{
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
    return buf;
}

uint64_t fnvOf(const std::string &text)
{
    return fnv1a64(std::as_bytes(std::span<const char>(text.data(), text.size())));
}

} // namespace

FileIdentity fileIdentity(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throwIn(path, "cannot open");
    FileIdentity id;
    id.hash = kFnvOffsetBasis;
    std::vector<char> buf(1 << 20);
    while (in) {
        in.read(buf.data(), std::streamsize(buf.size()));
        const auto got = size_t(in.gcount());
        id.hash = fnv1a64(std::as_bytes(std::span<const char>(buf.data(), got)), id.hash);
        id.bytes += got;
    }
    if (in.bad())
        throwIn(path, "cannot read");
    return id;
}

std::map<std::string, std::string>
evaluationSettings(const SweepEvaluation &eval, const FileIdentity &text,
                   const SweepCalibration *calibration, const FileIdentity *calibrationText)
{
    std::map<std::string, std::string> s;
    s["eval.text.bytes"] = std::to_string(text.bytes);
    s["eval.text.hash"] = hex16(text.hash);
    s["eval.n_ctx"] = std::to_string(eval.nCtx);
    s["eval.chunks"] = std::to_string(eval.chunks);
    s["eval.protocol"] = "llama";
    s["latency"] = eval.latency ? "on" : "off";
    if (eval.latency) {
        s["latency.prompt"] = std::to_string(eval.latencyPrompt);
        s["latency.generate"] = std::to_string(eval.latencyGenerate);
    }
    if (eval.integerActivations)
        s["activations"] = "integer";
    if (calibration && calibrationText) {
        s["calibration.text.bytes"] = std::to_string(calibrationText->bytes);
        s["calibration.text.hash"] = hex16(calibrationText->hash);
        // 0 stands for the pipeline's default; written out so that "0" and "64" are one key.
        s["calibration.sequences"] = std::to_string(calibration->sequences > 0
                                                        ? calibration->sequences : 64);
        s["calibration.seq_len"] = std::to_string(calibration->tokensPerSequence > 0
                                                      ? calibration->tokensPerSequence : 256);
    }
    return s;
}

std::string canonicalRecipe(const std::string &recipeJson, const std::string &source)
{
    if (recipeJson.empty())
        return {};
    Recipe r = parseRecipe(recipeJson, source);
    r.name.clear();
    r.description.clear();
    for (RecipeRule &rule : r.rules)
        rule.comment.clear();
    for (RecipeOverride &o : r.overrides)
        o.comment.clear();
    // recipeToJson keeps the documented field order; the plain json sorts every object's keys.
    return nlohmann::json::parse(recipeToJson(r)).dump();
}

std::string hashHex(const std::string &text)
{
    return hex16(fnvOf(text));
}

std::string historyKey(const ModelFingerprint &model, const std::string &canonical,
                       const std::map<std::string, std::string> &settings)
{
    std::string text = "cwb.history-key/1\n";
    text += "model " + model.format + " " + std::to_string(model.fileSize) + " "
        + std::to_string(model.fileCount) + " " + model.hashHex() + "\n";
    text += "recipe " + canonical + "\n";
    for (const auto &[name, value] : settings)
        text += name + "=" + value + "\n";
    return hashHex(text);
}

} // namespace cwb
