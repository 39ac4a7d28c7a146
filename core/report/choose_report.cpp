// SPDX-License-Identifier: MIT
#include "report/choose_report.h"

#include "util/text_format.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace cwb {
namespace {

using nlohmann::ordered_json;

std::string sci(double v)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2e", v);
    return buf;
}

double bpw(uint64_t bytes, int64_t parameters)
{
    return parameters > 0 ? double(bytes) * 8.0 / double(parameters) : 0.0;
}

ordered_json orNull(double v)
{
    return v < 0 ? ordered_json(nullptr) : ordered_json(v);
}

ordered_json orNull(const std::optional<double> &v)
{
    return v ? ordered_json(*v) : ordered_json(nullptr);
}

ordered_json orNull(const std::string &s)
{
    return s.empty() ? ordered_json(nullptr) : ordered_json(s);
}

// "[3]": option j as the table's columns name it.
std::string optionTag(size_t j)
{
    std::string s = std::to_string(j + 1);
    s.insert(s.begin(), '[');
    s.push_back(']');
    return s;
}

std::string tensorName(const SensitivityTensor &t)
{
    return t.canonical.empty() ? t.name : t.canonical;
}

// The bits/weight an option stores the largest tensor it fits with (a column's typical width).
std::string optionBpw(const SensitivityTable &table, size_t j)
{
    const SensitivityTensor *largest = nullptr;
    for (const auto &t : table.tensors)
        if (t.cells[j].fits && (!largest || t.parameters > largest->parameters))
            largest = &t;
    return largest ? fixed(bpw(largest->cells[j].bytes, largest->parameters), 2) : "-";
}

void correlationLines(std::ostringstream &o, const SensitivityTable &table)
{
    o << "\nproxy vs ΔKLD (Spearman rank correlation over the cells that fit and change the "
         "tensor)\n";
    for (const ProxyCorrelation &c : proxyCorrelations(table))
        o << "  " << padRight(c.proxy, 16) << " "
          << (c.spearman ? fixed(*c.spearman, 3) : std::string("n/a")) << "  (" << c.pairs
          << " cells)\n";
}

} // namespace

std::string sensitivityText(const SensitivityTable &table, const SensitivitySource &source)
{
    std::ostringstream o;
    const auto setting = [&](const char *key) {
        const auto it = table.settings.find(key);
        return it == table.settings.end() ? std::string("?") : it->second;
    };
    o << "model        " << source.modelPath << " (hash " << setting("model.content_hash")
      << ")\n"
      << "calibration  " << setting("calibration.text") << ": statistics "
      << setting("statistics.sequences") << " x " << setting("statistics.tokens_per_sequence")
      << " tokens; ΔKLD on " << table.windows << " windows x " << table.tokensPerWindow
      << " tokens (" << table.positions << " positions, original NLL "
      << fixed(table.baseNll, 4) << ")\n"
      << "table        " << table.tensors.size() << " tensors x " << table.options.size()
      << " options, key " << table.key << ", " << fixed(table.seconds, 1) << " s";
    if (!source.projectPath.empty())
        o << (source.reused ? ", reused from " : ", written to ") << source.projectPath;
    o << "\n\noptions (bpw: on the largest tensor the option fits)\n";
    for (size_t j = 0; j < table.options.size(); ++j)
        o << "  " << padLeft(optionTag(j), 4) << " "
          << padRight(table.options[j].id, 28) << " " << padLeft(optionBpw(table, j), 6)
          << " bpw  " << table.options[j].label << "\n";

    size_t width = 6;
    for (const auto &t : table.tensors)
        width = std::max(width, tensorName(t).size());
    o << "\nΔKLD, nats per token (\"-\": does not fit)\n" << padRight("tensor", width);
    for (size_t j = 0; j < table.options.size(); ++j)
        o << " " << padLeft(optionTag(j), 8);
    o << "\n";
    for (const auto &t : table.tensors) {
        o << padRight(tensorName(t), width);
        for (const auto &c : t.cells)
            o << " " << padLeft(!c.fits ? "-" : c.deltaKld == 0 ? "0" : sci(c.deltaKld), 8);
        o << "\n";
    }

    bool header = false;
    for (size_t j = 0; j < table.options.size(); ++j) {
        int64_t count = 0;
        const SensitivityTensor *first = nullptr;
        for (const auto &t : table.tensors)
            if (!t.cells[j].fits) {
                ++count;
                first = first ? first : &t;
            }
        if (count == 0)
            continue;
        if (!header)
            o << "\nnot fitting (left out for those tensors, nothing falls back)\n";
        header = true;
        o << "  " << table.options[j].id << ": " << count << " tensor" << (count > 1 ? "s" : "")
          << ", e.g. " << tensorName(*first) << ": " << first->cells[j].why << "\n";
    }
    correlationLines(o, table);
    return o.str();
}

std::string sensitivityJson(const SensitivityTable &table, const SensitivitySource &source)
{
    ordered_json j;
    j["schema"] = "cwb.sensitivity/1";
    j["model"] = source.modelPath;
    j["project"] = orNull(source.projectPath);
    j["reused"] = source.reused;
    j["key"] = table.key;
    j["settings"] = table.settings;
    j["windows"] = table.windows;
    j["tokens_per_window"] = table.tokensPerWindow;
    j["positions"] = table.positions;
    j["base_nll"] = table.baseNll;
    j["seconds"] = table.seconds;
    ordered_json options = ordered_json::array();
    for (size_t i = 0; i < table.options.size(); ++i)
        options.push_back({{"index", i}, {"id", table.options[i].id},
                           {"label", table.options[i].label}});
    j["options"] = std::move(options);
    ordered_json tensors = ordered_json::array();
    for (const auto &t : table.tensors) {
        ordered_json cells = ordered_json::array();
        for (size_t i = 0; i < t.cells.size(); ++i) {
            const SensitivityCell &c = t.cells[i];
            cells.push_back({{"option", i},
                             {"fits", c.fits},
                             {"why", orNull(c.why)},
                             {"bytes", c.bytes},
                             {"bits_per_weight", bpw(c.bytes, t.parameters)},
                             {"delta_kld",
                              c.fits ? ordered_json(c.deltaKld) : ordered_json(nullptr)},
                             {"relative_error", c.fits ? ordered_json(c.relativeError)
                                                       : ordered_json(nullptr)},
                             {"output_error", c.fits ? orNull(c.outputError) : nullptr},
                             {"hessian_error", c.fits ? orNull(c.hessianError) : nullptr}});
        }
        tensors.push_back({{"name", t.name},
                           {"canonical", orNull(t.canonical)},
                           {"parameters", t.parameters},
                           {"stored_bytes", t.storedBytes},
                           {"cells", std::move(cells)}});
    }
    j["tensors"] = std::move(tensors);
    ordered_json correlations = ordered_json::array();
    for (const ProxyCorrelation &c : proxyCorrelations(table))
        correlations.push_back(
            {{"proxy", c.proxy}, {"pairs", c.pairs}, {"spearman", orNull(c.spearman)}});
    j["correlations"] = std::move(correlations);
    return j.dump(2) + "\n";
}

namespace {

// Baselines at or below the solver's size and whether the solver measured lower.
bool comparable(const RecipeMeasurement &solver, const RecipeMeasurement &row)
{
    return row.problem.empty() && solver.problem.empty() && row.bytes <= solver.bytes;
}

void verificationText(std::ostringstream &o, const Verification &v)
{
    o << "\nverification on " << v.evalTextPath << " (llama.cpp protocol, n_ctx " << v.nCtx
      << ", " << (v.chunks > 0 ? std::to_string(v.chunks) : std::string("all")) << " windows, "
      << v.positions << " positions; original ppl " << fixed(v.basePpl, 4)
      << "); KL against the original\n";
    size_t width = 6;
    for (const auto &r : v.rows)
        width = std::max(width, r.name.size());
    o << padRight("recipe", width)
      << "        bytes     bpw  predicted  calib KLD   eval KLD   ± stderr   p99 KLD  top-1 %"
         "       ppl  vs solver\n";
    const RecipeMeasurement &solver = v.rows.front();
    for (const auto &r : v.rows) {
        o << padRight(r.name, width);
        if (!r.problem.empty()) {
            o << "  not measured: " << r.problem << "\n";
            continue;
        }
        char line[200];
        std::snprintf(line, sizeof line, " %12s %7.3f %10s %10.3e %10.3e %10.1e %9.2e %8.2f %9.4f",
                      groupThousands(int64_t(r.bytes)).c_str(), r.bitsPerWeight,
                      r.predicted ? sci(*r.predicted).c_str() : "-", r.calibrationKld,
                      r.eval.mean, r.eval.meanStderr, r.eval.p99, r.eval.top1AgreementPct, r.ppl);
        o << line;
        if (&r != &solver) {
            const bool lower = solver.eval.mean < r.eval.mean;
            o << "  " << (!comparable(solver, r) ? (lower ? "larger, solver lower" : "larger")
                          : lower                ? "solver lower"
                                                 : "SOLVER NOT LOWER");
        }
        o << "\n";
    }
    if (solver.problem.empty() && solver.predicted && solver.calibrationKld > 0)
        o << "prediction   summed ΔKLD " << sci(*solver.predicted) << " vs measured "
          << sci(solver.calibrationKld) << " on the same calibration windows ("
          << fixed(100.0 * (*solver.predicted / solver.calibrationKld - 1.0), 1)
          << "% off); held-out text " << sci(solver.eval.mean) << "\n";
}

ordered_json verificationJson(const Verification &v)
{
    ordered_json rows = ordered_json::array();
    const RecipeMeasurement &solver = v.rows.front();
    for (const auto &r : v.rows) {
        ordered_json row;
        row["name"] = r.name;
        row["problem"] = orNull(r.problem);
        row["bytes"] = r.bytes;
        row["bits_per_weight"] = r.bitsPerWeight;
        row["predicted_kld"] = orNull(r.predicted);
        row["calibration_kld"] = r.calibrationKld;
        row["eval_kld"] = r.eval.mean;
        row["eval_kld_stderr"] = r.eval.meanStderr;
        row["eval_kld_p99"] = r.eval.p99;
        row["top1_agreement_pct"] = r.eval.top1AgreementPct;
        row["ppl"] = r.ppl;
        if (&r == &solver) {
            row["at_or_below_solver_size"] = nullptr;
            row["solver_lower"] = nullptr;
        } else {
            row["at_or_below_solver_size"] = comparable(solver, r);
            row["solver_lower"] =
                r.problem.empty() && solver.problem.empty() && solver.eval.mean < r.eval.mean;
        }
        rows.push_back(std::move(row));
    }
    return {{"text", v.evalTextPath}, {"n_ctx", v.nCtx},      {"chunks", v.chunks},
            {"positions", v.positions}, {"base_ppl", v.basePpl}, {"rows", std::move(rows)}};
}

} // namespace

std::string solveText(const SolveReport &r)
{
    const SolveOutcome &s = *r.outcome;
    const SensitivityTable &table = *r.table;
    std::ostringstream o;
    o << "model        " << r.source.modelPath << "\n"
      << "budget       " << s.plan.recipeName << ": " << groupThousands(int64_t(s.budgetBytes))
      << " bytes for the whole model (" << groupThousands(s.parameters) << " parameters), target "
      << targetFormatName(r.target) << "\n"
      << "sensitivity  " << table.tensors.size() << " tensors x " << table.options.size()
      << " options, key " << table.key;
    if (!r.source.projectPath.empty())
        o << (r.source.reused ? ", reused from " : ", written to ") << r.source.projectPath;
    o << "\n"
      << "solver       " << solverMethodName(s.solution.method) << " (exact), predicted ΔKLD "
      << sci(s.predictedKld) << " (bound " << sci(s.solution.lowerBound) << "), "
      << groupThousands(int64_t(s.totalBytes)) << " bytes = " << fixed(s.bitsPerWeight, 3)
      << " bpw\n"
      << "recipe       " << r.recipePath << " (cwb compress MODEL --plan " << r.recipePath
      << " --dry-run shows the plan)\n";
    for (const std::string &n : s.notes)
        o << "note         " << n << "\n";

    size_t width = 6, optionWidth = 6;
    for (const auto &t : s.tensors) {
        width = std::max(width, (t.canonical.empty() ? t.name : t.canonical).size());
        optionWidth = std::max(optionWidth, table.options[t.option].id.size());
    }
    o << "\n" << padRight("tensor", width) << "  " << padRight("option", optionWidth)
      << "        bytes     bpw       ΔKLD  why\n";
    for (const auto &t : s.tensors) {
        const SensitivityTensor *st = table.find(t.name);
        const int64_t params = st ? st->parameters : 0;
        std::string why = t.lockedBy.empty() ? "" : "locked " + t.lockedBy;
        if (!t.group.empty()) {
            if (!why.empty())
                why += "; ";
            why += "fused " + t.group;
        }
        char line[160];
        std::snprintf(line, sizeof line, "%12s %7.3f %10s",
                      groupThousands(int64_t(t.bytes)).c_str(), bpw(t.bytes, params),
                      t.deltaKld == 0 ? "0" : sci(t.deltaKld).c_str());
        o << padRight(t.canonical.empty() ? t.name : t.canonical, width) << "  "
          << padRight(table.options[t.option].id, optionWidth) << " " << line << "  " << why
          << "\n";
    }
    o << padRight("(the rest)", width) << "  " << padRight("as stored", optionWidth) << " "
      << padLeft(groupThousands(int64_t(s.fixedBytes)), 12) << "                     norms and "
      << "other tensors outside the table\n";
    if (r.verification && !r.verification->rows.empty())
        verificationText(o, *r.verification);
    return o.str();
}

std::string solveJson(const SolveReport &r)
{
    const SolveOutcome &s = *r.outcome;
    const SensitivityTable &table = *r.table;
    ordered_json j;
    j["schema"] = "cwb.solve/1";
    j["model"] = r.source.modelPath;
    j["recipe"] = r.recipePath;
    j["target"] = targetFormatName(r.target);
    j["budget"] = {{"text", s.recipe.name}, {"bytes", s.budgetBytes}};
    j["sensitivity"] = {{"key", table.key},
                        {"reused", r.source.reused},
                        {"project", orNull(r.source.projectPath)},
                        {"windows", table.windows},
                        {"tokens_per_window", table.tokensPerWindow},
                        {"seconds", table.seconds}};
    j["solver"] = {{"method", solverMethodName(s.solution.method)},
                   {"lower_bound", s.solution.lowerBound},
                   {"lambda", s.solution.lambda}};
    j["parameters"] = s.parameters;
    j["fixed_bytes"] = s.fixedBytes;
    j["total_bytes"] = s.totalBytes;
    j["bits_per_weight"] = s.bitsPerWeight;
    j["predicted_kld"] = s.predictedKld;
    ordered_json tensors = ordered_json::array();
    for (const auto &t : s.tensors) {
        const SensitivityTensor *st = table.find(t.name);
        tensors.push_back({{"name", t.name},
                           {"canonical", orNull(t.canonical)},
                           {"option", table.options[t.option].id},
                           {"label", table.options[t.option].label},
                           {"bytes", t.bytes},
                           {"bits_per_weight", bpw(t.bytes, st ? st->parameters : 0)},
                           {"delta_kld", t.deltaKld},
                           {"locked_by", orNull(t.lockedBy)},
                           {"group", orNull(t.group)}});
    }
    j["tensors"] = std::move(tensors);
    j["verification"] = r.verification ? verificationJson(*r.verification) : ordered_json(nullptr);
    j["notes"] = s.notes;
    return j.dump(2) + "\n";
}

} // namespace cwb
