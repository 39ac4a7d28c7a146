// SPDX-License-Identifier: MIT
#include "sweep/sweep_report.h"

#include "sweep/point_json.h"
#include "sweep/history_chart.h"
#include "util/text_format.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <sstream>

namespace cwb {
namespace {

using Json = nlohmann::ordered_json;
namespace fs = std::filesystem;

const char *statusName(PointStatus s)
{
    switch (s) {
    case PointStatus::Measured: return "measured";
    case PointStatus::Stored: return "stored";
    case PointStatus::Merged: return "merged";
    }
    return "";
}

size_t countOf(const SweepReport &r, PointStatus s)
{
    size_t n = 0;
    for (const PointStatus x : r.status)
        n += x == s ? 1 : 0;
    return n;
}

// Keys of the points on the front of stored bytes and mean KLD.
std::vector<std::string> frontKeys(const SweepReport &r)
{
    const HistoryChart c = historyChart(r.points, HistoryX::Bytes, HistoryY::KldMean);
    std::vector<std::string> keys;
    for (const size_t i : c.front)
        keys.push_back(c.points[i].key);
    return keys;
}

Json problemsJson(const std::vector<SlurmTaskProblem> &problems)
{
    Json a = Json::array();
    for (const auto &p : problems)
        a.push_back(Json{{"task", p.task}, {"name", p.name}, {"what", p.what}});
    return a;
}

std::string optional(bool present, double v, int decimals)
{
    return present ? fixed(v, decimals) : "-";
}

std::string fileName(const std::string &path)
{
    const std::string name = fs::path(path).filename().string();
    return name.empty() ? path : name;
}

} // namespace

SweepReport sweepReport(const SweepResult &r, const std::string &project, const std::string &model)
{
    SweepReport out;
    out.project = project;
    out.model = model;
    out.points = r.points;
    for (const PointSource s : r.sources)
        out.status.push_back(s == PointSource::Measured ? PointStatus::Measured
                                                        : PointStatus::Stored);
    return out;
}

SweepReport collectionReport(const SlurmCollection &c, const std::string &dir,
                             const std::string &project, const std::string &model)
{
    SweepReport out;
    out.collect = true;
    out.project = project;
    out.model = model;
    for (const HistoryPoint &p : c.merged) {
        out.points.push_back(p);
        out.status.push_back(PointStatus::Merged);
    }
    for (const HistoryPoint &p : c.stored) {
        out.points.push_back(p);
        out.status.push_back(PointStatus::Stored);
    }
    out.missing = c.missing;
    out.failed = c.failed;
    out.rerun = c.rerunList();
    out.sbatch = (fs::path(dir) / "sweep.sbatch").string();
    return out;
}

std::string sweepText(const SweepReport &r)
{
    std::ostringstream s;
    s << "sweep        " << fileName(r.model) << ": " << r.points.size() << " points (";
    if (r.collect)
        s << countOf(r, PointStatus::Merged) << " merged, ";
    else
        s << countOf(r, PointStatus::Measured) << " measured, ";
    s << countOf(r, PointStatus::Stored) << " already stored) -> " << r.project << "\n";
    if (!r.points.empty()) {
        const HistoryPoint &p0 = r.points.front();
        const auto setting = [&](const char *k) {
            const auto it = p0.settings.find(k);
            return it == p0.settings.end() ? std::string("?") : it->second;
        };
        s << "evaluation   " << fileName(p0.textPath) << ", n_ctx " << setting("eval.n_ctx")
          << ", " << p0.windows << " windows, llama protocol; KLD against the original\n";
    }
    const std::vector<std::string> front = frontKeys(r);
    bool latency = false;
    for (const HistoryPoint &p : r.points)
        latency = latency || p.hasLatency;
    // Right-aligned columns, at least one space apart however wide a value gets.
    const auto col = [](const std::string &v, size_t width) {
        std::string c(1, ' ');
        c += padLeft(v, width);
        return c;
    };
    s << "\n" << padRight("point", 18) << padRight("status", 9) << col("bytes", 11)
      << col("bpw", 6) << col("ppl", 9) << col("+-", 7) << col("KLD", 8) << col("KLD p99", 8)
      << col("top-1%", 7);
    if (latency)
        s << col("prefill/s", 10) << col("decode/s", 9);
    s << col("weights", 11) << col("KV", 11) << col("RSS MiB", 8) << col("s", 7) << "\n";
    for (size_t i = 0; i < r.points.size(); ++i) {
        const HistoryPoint &p = r.points[i];
        const bool onFront = std::find(front.begin(), front.end(), p.key) != front.end();
        std::string name = (onFront ? "* " : "  ") + p.name;
        if (name.size() > 17)
            name = name.substr(0, 16) + "~";
        s << padRight(name, 18) << padRight(statusName(r.status[i]), 9)
          << col(humanBytes(p.bytes), 11) << col(fixed(p.bitsPerWeight, 2), 6)
          << col(fixed(p.ppl, 4), 9) << col(fixed(p.pplStderr, 4), 7)
          << col(optional(p.hasKld, p.kldMean, 5), 8) << col(optional(p.hasKld, p.kldP99, 4), 8)
          << col(optional(p.hasKld, p.top1Pct, 2), 7);
        if (latency)
            s << col(optional(p.hasLatency, p.prefillTokPerS, 1), 10)
              << col(optional(p.hasLatency, p.decodeTokPerS, 1), 9);
        s << col(humanBytes(p.weightBytes), 11) << col(humanBytes(p.kvBytes), 11)
          << col(fixed(p.peakRssMiB, 1), 8) << col(fixed(p.seconds, 2), 7) << "\n";
    }
    if (!front.empty())
        s << "\n* on the Pareto front of stored bytes and mean KLD\n";
    for (size_t i = 0; i < r.points.size(); ++i)
        s << "  " << padRight(r.points[i].name, 16) << " " << r.points[i].key << "  "
          << historySummary(r.points[i]) << "\n";
    for (const auto &m : r.missing)
        s << "missing      task " << m.task << " (" << m.name << "): " << m.what << "\n";
    for (const auto &f : r.failed)
        s << "failed       task " << f.task << " (" << f.name << "): " << f.what << "\n";
    if (!r.rerun.empty())
        s << "rerun        sbatch --array=" << r.rerun << " " << r.sbatch
          << ", then --collect again\n";
    return s.str();
}

std::string sweepJson(const SweepReport &r)
{
    Json points = Json::array();
    for (size_t i = 0; i < r.points.size(); ++i) {
        Json p = historyPointJson(r.points[i]);
        p["status"] = statusName(r.status[i]);
        points.push_back(std::move(p));
    }
    Json j{{"schema", "cwb.sweep/1"},
           {"mode", r.collect ? "collect" : "sweep"},
           {"project", r.project},
           {"model", r.model},
           {"measured", countOf(r, PointStatus::Measured)},
           {"stored", countOf(r, PointStatus::Stored)},
           {"merged", countOf(r, PointStatus::Merged)},
           {"points", std::move(points)},
           {"front", {{"x", "bytes"}, {"y", "kld_mean"}, {"keys", frontKeys(r)}}},
           {"missing", problemsJson(r.missing)},
           {"failed", problemsJson(r.failed)}};
    return j.dump(2) + "\n";
}

std::string emissionText(const SlurmEmission &e, const std::string &model,
                         const std::string &project)
{
    std::ostringstream s;
    if (e.taskNames.empty()) {
        s << "nothing to run: all " << e.stored << " points are already in " << project
          << "; nothing was written\n";
        return s.str();
    }
    s << "slurm array  " << e.dir << ": " << e.taskNames.size() << " tasks";
    if (e.stored > 0)
        s << " (" << e.stored << " points already in " << fileName(project) << " left out)";
    s << "\n";
    for (size_t t = 0; t < e.taskNames.size(); ++t)
        s << "  task " << padLeft(std::to_string(t), 3) << "  " << e.taskNames[t] << "\n";
    s << "submit       sbatch " << e.sbatchPath << "\n"
      << "collect      cwb sweep " << model << " --project " << project << " --collect " << e.dir
      << "\n";
    return s.str();
}

} // namespace cwb
