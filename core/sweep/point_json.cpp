// SPDX-License-Identifier: MIT
#include "sweep/point_json.h"

#include "util/error.h"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace cwb {
namespace {

using Json = nlohmann::ordered_json;

Json orNull(bool present, double v)
{
    return present ? Json(v) : Json(nullptr);
}

Json stringOrNull(const std::string &s)
{
    return s.empty() ? Json(nullptr) : Json(s);
}

// Checked field access: every problem names the source and the field.
class Fields {
public:
    Fields(const Json &j, const std::string &source) : j_(j), source_(source)
    {
        if (!j.is_object())
            throwIn(source, "the point is not a JSON object");
    }

    [[nodiscard]] const Json &at(const char *name) const
    {
        const auto it = j_.find(name);
        if (it == j_.end())
            throwIn(source_, std::string("point.") + name + ": missing");
        return *it;
    }
    [[noreturn]] void bad(const char *name, const char *expected) const
    {
        throwIn(source_, std::string("point.") + name + ": expected " + expected + ", got "
                             + at(name).dump());
    }
    [[nodiscard]] std::string text(const char *name, bool nullable = false) const
    {
        const Json &v = at(name);
        if (nullable && v.is_null())
            return {};
        if (!v.is_string())
            bad(name, nullable ? "a string or null" : "a string");
        return v.get<std::string>();
    }
    [[nodiscard]] double number(const char *name) const
    {
        const Json &v = at(name);
        if (!v.is_number())
            bad(name, "a number");
        return v.get<double>();
    }
    // A number or null; false for null.
    bool optionalNumber(const char *name, double &out) const
    {
        const Json &v = at(name);
        if (v.is_null())
            return false;
        if (!v.is_number())
            bad(name, "a number or null");
        out = v.get<double>();
        return true;
    }
    [[nodiscard]] uint64_t count(const char *name) const
    {
        const Json &v = at(name);
        if (!v.is_number_integer() || (!v.is_number_unsigned() && v.get<int64_t>() < 0))
            bad(name, "a non-negative integer");
        return v.get<uint64_t>();
    }

private:
    const Json &j_;
    const std::string &source_;
};

} // namespace

Json historyPointJson(const HistoryPoint &p)
{
    Json settings = Json::object();
    for (const auto &[k, v] : p.settings)
        settings[k] = v;
    return Json{{"key", p.key},
                {"name", p.name},
                {"recipe", stringOrNull(p.recipeJson)},
                {"recipe_hash", stringOrNull(p.recipeHash)},
                {"reference", stringOrNull(p.referencePath)},
                {"settings", std::move(settings)},
                {"created_by", p.createdBy},
                {"finished", p.finished},
                {"text", p.textPath},
                {"calibration", stringOrNull(p.calibrationPath)},
                {"threads", p.threads},
                {"bytes", p.bytes},
                {"parameters", p.parameters},
                {"bits_per_weight", p.bitsPerWeight},
                {"ppl", p.ppl},
                {"ppl_stderr", p.pplStderr},
                {"tokens_scored", p.tokensScored},
                {"windows", p.windows},
                {"kld_mean", orNull(p.hasKld, p.kldMean)},
                {"kld_p99", orNull(p.hasKld, p.kldP99)},
                {"top1", orNull(p.hasKld, p.top1Pct)},
                {"prefill_tok_per_s", orNull(p.hasLatency, p.prefillTokPerS)},
                {"decode_tok_per_s", orNull(p.hasLatency, p.decodeTokPerS)},
                {"weight_bytes", p.weightBytes},
                {"kv_bytes", p.kvBytes},
                {"peak_rss_mib", p.peakRssMiB},
                {"seconds", p.seconds},
                {"compress_seconds", p.compressSeconds}};
}

HistoryPoint historyPointFromJson(const Json &j, const std::string &source)
{
    const Fields f(j, source);
    HistoryPoint p;
    p.key = f.text("key");
    if (p.key.size() != 16 || !std::all_of(p.key.begin(), p.key.end(), [](char c) {
            return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
        }))
        f.bad("key", "16 hex digits");
    p.name = f.text("name");
    p.recipeJson = f.text("recipe", true);
    p.recipeHash = f.text("recipe_hash", true);
    if (j.contains("reference")) // results written before reference points had none
        p.referencePath = f.text("reference", true);
    const Json &settings = f.at("settings");
    if (!settings.is_object())
        f.bad("settings", "an object");
    for (const auto &[k, v] : settings.items()) {
        if (!v.is_string())
            throwIn(source, "point.settings." + k + ": expected a string, got " + v.dump());
        p.settings[k] = v.get<std::string>();
    }
    p.createdBy = f.text("created_by");
    p.finished = f.text("finished");
    p.textPath = f.text("text");
    p.calibrationPath = f.text("calibration", true);
    p.threads = int(f.count("threads"));
    p.bytes = f.count("bytes");
    p.parameters = f.count("parameters");
    p.bitsPerWeight = f.number("bits_per_weight");
    p.ppl = f.number("ppl");
    p.pplStderr = f.number("ppl_stderr");
    p.tokensScored = int64_t(f.count("tokens_scored"));
    p.windows = int64_t(f.count("windows"));
    const bool mean = f.optionalNumber("kld_mean", p.kldMean);
    const bool p99 = f.optionalNumber("kld_p99", p.kldP99);
    const bool top1 = f.optionalNumber("top1", p.top1Pct);
    if (mean != p99 || mean != top1)
        throwIn(source, "point: kld_mean, kld_p99 and top1 must be all numbers or all null");
    p.hasKld = mean;
    const bool prefill = f.optionalNumber("prefill_tok_per_s", p.prefillTokPerS);
    const bool decode = f.optionalNumber("decode_tok_per_s", p.decodeTokPerS);
    if (prefill != decode)
        throwIn(source, "point: prefill_tok_per_s and decode_tok_per_s must be both numbers or "
                        "both null");
    p.hasLatency = prefill;
    p.weightBytes = f.count("weight_bytes");
    p.kvBytes = f.count("kv_bytes");
    p.peakRssMiB = f.number("peak_rss_mib");
    p.seconds = f.number("seconds");
    p.compressSeconds = f.number("compress_seconds");
    return p;
}

} // namespace cwb
