// SPDX-License-Identifier: MIT
// The project file's optional /history group, the layout project/evaluation_history.h gives:
// one group per point, named by its key, with the metrics as attributes, the recipe as a
// one-string dataset (recipes can outgrow HDF5's 64 KiB attribute limit) and the evaluation
// settings as string attributes of a subgroup. Reading checks what would otherwise give a
// history that lies: the count, the order indices and that each group is named by its @key.
#include "project/project_codec.h"

#include <algorithm>

namespace cwb::projectio {
namespace {

using h5::Node;

bool isKey(const std::string &s)
{
    return s.size() == 16 && std::all_of(s.begin(), s.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
}

void writePoint(const h5::Writer &w, const Node &history, size_t index, const HistoryPoint &p)
{
    const Node g = w.createGroup(history, h5::escapeName(p.key));
    w.attr(g, "index", int64_t(index));
    w.attr(g, "key", p.key);
    w.attr(g, "name", p.name);
    w.attr(g, "recipe_hash", p.recipeHash);
    w.attr(g, "created_by", p.createdBy);
    w.attr(g, "finished", p.finished);
    w.attr(g, "text_path", p.textPath);
    w.attr(g, "calibration_path", p.calibrationPath);
    w.attr(g, "threads", int64_t(p.threads));
    if (!p.referencePath.empty())
        w.attr(g, "reference_path", p.referencePath);
    w.attr(g, "bytes", p.bytes);
    w.attr(g, "parameters", p.parameters);
    w.attr(g, "bits_per_weight", p.bitsPerWeight);
    w.attr(g, "ppl", p.ppl);
    w.attr(g, "ppl_stderr", p.pplStderr);
    w.attr(g, "tokens_scored", p.tokensScored);
    w.attr(g, "windows", p.windows);
    w.attr(g, "has_kld", p.hasKld);
    w.attr(g, "kld_mean", p.kldMean);
    w.attr(g, "kld_p99", p.kldP99);
    w.attr(g, "top1", p.top1Pct);
    w.attr(g, "has_latency", p.hasLatency);
    w.attr(g, "prefill_tok_per_s", p.prefillTokPerS);
    w.attr(g, "decode_tok_per_s", p.decodeTokPerS);
    w.attr(g, "weight_bytes", p.weightBytes);
    w.attr(g, "kv_bytes", p.kvBytes);
    w.attr(g, "peak_rss_mib", p.peakRssMiB);
    w.attr(g, "seconds", p.seconds);
    w.attr(g, "compress_seconds", p.compressSeconds);
    if (!p.recipeJson.empty())
        w.strings(g, "recipe", std::vector<std::string>{p.recipeJson});
    const Node settings = w.createGroup(g, "settings");
    for (const auto &[key, value] : p.settings)
        w.attr(settings, h5::escapeName(key).c_str(), value);
}

HistoryPoint readPoint(const h5::Reader &r, const Node &g, const std::string &member)
{
    HistoryPoint p;
    p.key = r.attrString(g, "key");
    if (!isKey(p.key) || h5::escapeName(p.key) != member)
        r.fail(g.path, "@key '" + p.key + "' is not 16 hex digits naming this group");
    p.name = r.attrString(g, "name");
    p.recipeHash = r.attrString(g, "recipe_hash");
    p.createdBy = r.attrString(g, "created_by");
    p.finished = r.attrString(g, "finished");
    p.textPath = r.attrString(g, "text_path");
    p.calibrationPath = r.attrString(g, "calibration_path");
    p.threads = int(r.attrInt(g, "threads"));
    if (r.hasAttr(g, "reference_path"))
        p.referencePath = r.attrString(g, "reference_path");
    p.bytes = r.attrUInt(g, "bytes");
    p.parameters = r.attrUInt(g, "parameters");
    p.bitsPerWeight = r.attrDouble(g, "bits_per_weight");
    p.ppl = r.attrDouble(g, "ppl");
    p.pplStderr = r.attrDouble(g, "ppl_stderr");
    p.tokensScored = r.attrInt(g, "tokens_scored");
    p.windows = r.attrInt(g, "windows");
    p.hasKld = r.attrBool(g, "has_kld");
    p.kldMean = r.attrDouble(g, "kld_mean");
    p.kldP99 = r.attrDouble(g, "kld_p99");
    p.top1Pct = r.attrDouble(g, "top1");
    p.hasLatency = r.attrBool(g, "has_latency");
    p.prefillTokPerS = r.attrDouble(g, "prefill_tok_per_s");
    p.decodeTokPerS = r.attrDouble(g, "decode_tok_per_s");
    p.weightBytes = r.attrUInt(g, "weight_bytes");
    p.kvBytes = r.attrUInt(g, "kv_bytes");
    p.peakRssMiB = r.attrDouble(g, "peak_rss_mib");
    p.seconds = r.attrDouble(g, "seconds");
    p.compressSeconds = r.attrDouble(g, "compress_seconds");
    if (r.has(g, "recipe")) {
        const std::vector<std::string> recipe = r.strings(g, "recipe");
        if (recipe.size() != 1 || recipe[0].empty())
            r.fail(g.child("recipe"), "is not one non-empty string");
        p.recipeJson = recipe[0];
    }
    const Node settings = r.openGroup(g, "settings");
    for (const auto &name : r.attrNames(settings))
        p.settings[h5::unescapeName(name)] = r.attrString(settings, name.c_str());
    return p;
}

} // namespace

void writeHistory(const h5::Writer &w, const std::vector<HistoryPoint> &history)
{
    const Node g = w.createGroup(w.root(), "history");
    w.attr(g, "point_count", int64_t(history.size()));
    for (size_t i = 0; i < history.size(); ++i)
        writePoint(w, g, i, history[i]);
}

std::vector<HistoryPoint> readHistory(const h5::Reader &r)
{
    if (!r.has(r.root(), "history"))
        return {};
    const Node g = r.openGroup(r.root(), "history");
    const int64_t count = r.attrInt(g, "point_count");
    const std::vector<std::string> members = r.members(g);
    if (count < 0 || size_t(count) != members.size())
        r.fail(g.path, "@point_count " + std::to_string(count) + " but "
                           + std::to_string(members.size()) + " points");
    std::vector<HistoryPoint> out(members.size());
    std::vector<bool> seen(members.size(), false);
    for (const auto &member : members) {
        const Node pg = r.openGroup(g, member);
        const int64_t index = r.attrInt(pg, "index");
        if (index < 0 || index >= count || seen[size_t(index)])
            r.fail(pg.path, "@index " + std::to_string(index) + " is out of range or repeated");
        seen[size_t(index)] = true;
        out[size_t(index)] = readPoint(r, pg, member);
    }
    return out;
}

} // namespace cwb::projectio
