// SPDX-License-Identifier: MIT
#include "report/analysis_report.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace cwb {
namespace {

using nlohmann::ordered_json;

std::string shapeText(const std::vector<int64_t> &shape)
{
    std::string s;
    for (size_t i = 0; i < shape.size(); ++i) {
        if (i)
            s.push_back('x');
        s.append(std::to_string(shape[i]));
    }
    return s.empty() ? "scalar" : s;
}

std::string format(const char *fmt, double v)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, fmt, v);
    return buf;
}

double maxOf(const std::vector<double> &v)
{
    return v.empty() ? 0.0 : *std::max_element(v.begin(), v.end());
}

ordered_json statsJson(const TensorAnalysis &t)
{
    const TensorStats &s = t.stats;
    ordered_json j;
    j["count"] = s.count;
    j["finite"] = s.finite;
    j["nan"] = s.nan;
    j["inf"] = s.posInf + s.negInf;
    j["zeros"] = s.zeros;
    j["near_zero_fraction"] = s.nearZeroFraction();
    j["min"] = s.min;
    j["max"] = s.max;
    j["abs_max"] = s.absMax;
    j["mean"] = s.mean;
    j["std"] = s.std;
    j["skewness"] = s.skewness;
    j["kurtosis"] = s.kurtosis;
    return j;
}

ordered_json spectrumJson(const Spectrum &s)
{
    ordered_json j;
    j["rank"] = s.singularValues.size();
    j["sigma_max"] = s.singularValues.empty() ? 0.0 : s.singularValues.front();
    j["stable_rank"] = s.stableRank;
    j["entropy_rank"] = s.entropyRank;
    j["energy_rank_90"] = s.energyRank90;
    j["energy_rank_95"] = s.energyRank95;
    j["energy_rank_99"] = s.energyRank99;
    j["alpha"] = s.powerLaw.valid ? ordered_json(s.powerLaw.alpha) : ordered_json(nullptr);
    return j;
}

ordered_json activationsJson(const ActivationStats &a)
{
    ordered_json j;
    const auto &c = a.coverage;
    j["coverage"] = {{"source", c.source},
                     {"sequences", c.sequences},
                     {"tokens_per_sequence", c.tokensPerSequence},
                     {"tokens_evaluated", c.tokensEvaluated},
                     {"stream_tokens", c.streamTokens},
                     {"stream_tokens_used", c.streamTokensUsed},
                     {"not_observed", c.notObserved},
                     {"short_weights", c.shortWeights}};
    j["hessians"] = a.hasHessians;
    ordered_json linears = ordered_json::array();
    for (const auto &l : a.linears) {
        ordered_json o;
        o["weight"] = l.weight;
        o["input"] = l.input;
        o["in_features"] = l.inFeatures;
        o["tokens"] = l.tokens;
        o["abs_max"] = maxOf(l.absMax);
        o["median_abs_max"] = l.medianAbsMax;
        o["outliers"] = l.outliers.size();
        linears.push_back(std::move(o));
    }
    j["linears"] = std::move(linears);
    return j;
}

} // namespace

std::string analysisJson(const Project &p, const std::string &projectPath)
{
    ordered_json j;
    j["schema"] = "cwb.analyze/1";
    j["project"] = projectPath;
    j["model"] = {{"path", p.model.path},
                  {"format", p.model.format},
                  {"file_size", p.model.fileSize},
                  {"content_hash", p.model.hashHex()}};
    j["seconds"] = p.analysis.seconds;
    j["settings"] = p.settings;
    ordered_json tensors = ordered_json::array();
    for (const auto &t : p.analysis.tensors) {
        ordered_json o;
        o["name"] = t.name;
        o["canonical"] = t.canonical.empty() ? ordered_json(nullptr) : ordered_json(t.canonical);
        o["shape"] = t.shape;
        o["dtype"] = t.dtype;
        if (!t.skipped.empty()) {
            o["skipped"] = t.skipped;
            tensors.push_back(std::move(o));
            continue;
        }
        o["stats"] = statsJson(t);
        o["outliers"] = {{"rows", t.stats.rowOutliers.count}, {"cols", t.stats.colOutliers.count}};
        o["histogram"] = {{"bins", t.histogram.counts.size()},
                          {"low", t.histogram.edges.empty() ? 0.0 : t.histogram.edges.front()},
                          {"high", t.histogram.edges.empty() ? 0.0 : t.histogram.edges.back()}};
        if (t.hasSpectrum())
            o["spectrum"] = spectrumJson(t.spectrum);
        else
            o["spectrum"] = {{"skipped", t.spectrum.skipped}};
        o["seconds"] = t.seconds;
        tensors.push_back(std::move(o));
    }
    j["tensors"] = std::move(tensors);
    j["activations"] =
        p.analysis.activations ? activationsJson(*p.analysis.activations) : ordered_json(nullptr);
    return j.dump(2) + "\n";
}

std::string analysisText(const Project &p, const std::string &projectPath)
{
    const bool spectra = std::any_of(p.analysis.tensors.begin(), p.analysis.tensors.end(),
                                     [](const TensorAnalysis &t) { return t.hasSpectrum(); });
    std::string out;
    out += "model     " + p.model.path + " (" + p.model.format + ", "
        + std::to_string(p.analysis.tensors.size()) + " tensors, hash " + p.model.hashHex() + ")\n";
    char line[512];
    std::snprintf(line, sizeof line, "%-28s %-20s %-10s %-5s %10s %10s %10s %8s %7s %7s",
                  "tensor", "canonical", "shape", "type", "mean", "std", "abs max", "kurt",
                  "zero%", "out r/c");
    out += line;
    if (spectra) {
        std::snprintf(line, sizeof line, " %8s %8s %6s %6s", "s.rank", "e.rank", "r90", "alpha");
        out += line;
    }
    out += "\n";
    for (const auto &t : p.analysis.tensors) {
        const std::string shape = shapeText(t.shape);
        if (!t.skipped.empty()) {
            std::snprintf(line, sizeof line, "%-28s %-20s %-10s %-5s skipped: %s\n",
                          t.name.c_str(), t.canonical.c_str(), shape.c_str(), t.dtype.c_str(),
                          t.skipped.c_str());
            out += line;
            continue;
        }
        const TensorStats &s = t.stats;
        const std::string outliers = s.view.perChannel
            ? std::to_string(s.rowOutliers.count) + "/" + std::to_string(s.colOutliers.count)
            : "-";
        std::snprintf(line, sizeof line,
                      "%-28s %-20s %-10s %-5s %10.4g %10.4g %10.4g %8.3g %7.2f %7s", t.name.c_str(),
                      t.canonical.c_str(), shape.c_str(), t.dtype.c_str(), s.mean, s.std,
                      s.absMax, s.kurtosis, 100.0 * s.zeroFraction(), outliers.c_str());
        out += line;
        if (spectra) {
            if (t.hasSpectrum()) {
                const std::string alpha =
                    t.spectrum.powerLaw.valid ? format("%6.2f", t.spectrum.powerLaw.alpha) : "-";
                std::snprintf(line, sizeof line, " %8.2f %8.2f %6lld %6s", t.spectrum.stableRank,
                              t.spectrum.entropyRank,
                              static_cast<long long>(t.spectrum.energyRank90), alpha.c_str());
            } else {
                std::snprintf(line, sizeof line, " %8s %8s %6s %6s", "-", "-", "-", "-");
            }
            out += line;
        }
        out += "\n";
    }
    if (const auto &a = p.analysis.activations) {
        out += "\n";
        out += coverageReport(*a);
        std::snprintf(line, sizeof line, "%-20s %-24s %6s %8s %10s %10s %8s\n", "weight", "input",
                      "in", "tokens", "abs max", "median", "outliers");
        out += line;
        for (const auto &l : a->linears) {
            std::snprintf(line, sizeof line, "%-20s %-24s %6lld %8lld %10.4g %10.4g %8zu\n",
                          l.weight.c_str(), l.input.c_str(), static_cast<long long>(l.inFeatures),
                          static_cast<long long>(l.tokens), maxOf(l.absMax), l.medianAbsMax,
                          l.outliers.size());
            out += line;
        }
    }
    out += "\nanalysed in " + format("%.2f", p.analysis.seconds) + " s; project written to "
        + projectPath + "\n";
    return out;
}

} // namespace cwb
