// SPDX-License-Identifier: MIT
// What `cwb bench quality` prints: llama.cpp's table and ours side by side, the target
// line, and the same figures as JSON.

#include "bench/quality_bench.h"
#include "util/text_format.h"

#include <nlohmann/json.hpp>

namespace cwb::bench {
namespace {

using nlohmann::json;

std::string sci(double v)
{
    return formatted("%.3e", v);
}

std::string kldText(const JudgedFile &f)
{
    std::string s = sci(f.meanKld);
    if (f.meanKldError)
        s += " ± " + formatted("%.1e", *f.meanKldError);
    return s;
}

const OurRow *pairedOf(const QualityBenchResult &r, const std::string &type)
{
    for (const OurRow &o : r.ours)
        if (o.pairedType == type)
            return &o;
    return nullptr;
}

bool inTargetRange(const OurRow &o)
{
    return o.problem.empty() && o.file.bitsPerWeight >= kQualityTargetMinBpw
           && o.file.bitsPerWeight <= kQualityTargetMaxBpw;
}

// The columns of our side for one table row.
std::string oursColumns(const OurRow *o)
{
    if (!o)
        return padLeft("-", 6) + "  " + padLeft("-", 9) + "  " + padRight("-", 20) + "  "
               + padLeft("-", 6) + "  " + padRight("-", 16);
    if (!o->problem.empty())
        return "not measured: " + o->problem;
    std::string s = padLeft(fixed(o->file.bitsPerWeight, 2), 6) + "  "
                    + padLeft(fixed(o->file.ppl, 4), 9) + "  " + padRight(kldText(o->file), 20)
                    + "  " + padLeft(o->ratio ? fixed(*o->ratio, 2) : "-", 6) + "  "
                    + padRight(o->bestLlamaName.empty() ? "(none as large)" : o->bestLlamaName, 16);
    if (o->largerThanPaired)
        s += "  ours LARGER than " + o->pairedType;
    return s;
}

json fileJson(const JudgedFile &f)
{
    return {{"path", f.path},
            {"bytes", f.bytes},
            {"mebibytes", f.mebibytes},
            {"bits_per_weight", f.bitsPerWeight},
            {"ppl", f.ppl},
            {"ppl_error", f.pplError},
            {"mean_kld", f.meanKld},
            {"mean_kld_error", f.meanKldError ? json(*f.meanKldError) : json(nullptr)},
            {"p99_kld", f.p99Kld ? json(*f.p99Kld) : json(nullptr)},
            {"same_top_pct", f.sameTopPct ? json(*f.sameTopPct) : json(nullptr)},
            {"command", f.command}};
}

struct TargetCount {
    int inRange = 0, met = 0;
    std::string missed; // "Q3_K_M's size 0.91, ..."
};

TargetCount countTarget(const QualityBenchResult &r)
{
    TargetCount t;
    for (const OurRow &o : r.ours) {
        if (!inTargetRange(o))
            continue;
        ++t.inRange;
        if (o.ratio && *o.ratio <= kQualityTargetRatio)
            ++t.met;
        else
            t.missed += std::string(t.missed.empty() ? "" : ", ")
                        + (o.pairedType.empty() ? o.budgetText : o.pairedType) + " "
                        + (o.ratio ? fixed(*o.ratio, 2)
                                   : std::string("no llama.cpp file as large"));
    }
    return t;
}

} // namespace

std::string qualityBenchText(const QualityBenchResult &r)
{
    const QualityBenchParams &p = r.params;
    std::string out;
    out += "cwb bench quality: llama.cpp's quantizations and ours of " + r.model
           + ", each judged by llama-perplexity --kl-divergence against the same base\n";
    out += "base: " + r.basePath
           + (r.baseExported ? " (F32 GGUF written by our exporter)" : " (the model's GGUF)")
           + ", " + fixed(r.base.mebibytes, 2) + " MiB, " + fixed(r.base.bitsPerWeight, 2)
           + " BPW, ppl " + fixed(r.base.ppl, 4) + " ± " + fixed(r.base.pplError, 4) + "\n";
    out += "eval: " + p.evalTextPath + ", n_ctx " + std::to_string(p.nCtx) + ", "
           + (p.chunks > 0 ? std::to_string(p.chunks) + " windows" : std::string("every window"))
           + ", " + std::to_string(p.threads) + " threads\n";
    if (!r.imatrixCommand.empty())
        out += "imatrix: " + p.calibrationPath + ", " + std::to_string(p.imatrixChunks)
               + " chunks of " + std::to_string(p.nCtx) + " tokens (llama-imatrix)\n";
    out += "ours: the solver (--target gguf) on sensitivity table " + r.sensitivityKey + " ("
           + std::to_string(r.candidateCount) + " options"
           + (p.candidates.empty() ? ", the default GGUF set" : ", given") + "; "
           + std::to_string(p.windows) + " windows, statistics " + std::to_string(p.sequences)
           + " x " + std::to_string(p.seqLen) + " of " + p.calibrationPath + "), budget "
           + (p.budgets.empty() ? "= each type's llama.cpp file (tensor bytes)"
                                : "= the given bits/weight")
           + "; our GGUF export judged by the same llama-perplexity\n";
    out += "bpw: whole file as llama.cpp prints it; ratio: our KLD / llama.cpp's best at equal "
           "or larger size (the lowest KLD of its files of the smallest size at or above ours: "
           "a type with or without imatrix)\n\n";

    const std::string head = padRight("llama.cpp", 10) + padRight("imatrix", 8) + padLeft("bpw", 6)
                             + "  " + padLeft("ppl", 9) + "  " + padRight("KLD", 20) + " | "
                             + padLeft("ours", 6) + "  " + padLeft("ppl", 9) + "  "
                             + padRight("KLD", 20) + "  " + padLeft("ratio", 6) + "  "
                             + padRight("vs best at >= size", 16) + "\n";
    out += head + std::string(head.size() - 1, '-') + "\n";
    for (const LlamaQuantRow &l : r.llama) {
        out += padRight(l.type, 10) + padRight(l.imatrix ? "y" : "n", 8)
               + padLeft(fixed(l.file.bitsPerWeight, 2), 6) + "  "
               + padLeft(fixed(l.file.ppl, 4), 9) + "  " + padRight(kldText(l.file), 20) + " | "
               + oursColumns(pairedOf(r, l.type)) + "\n";
    }
    for (const OurRow &o : r.ours)
        if (o.pairedType.empty())
            out += padRight(o.budgetText, 18) + padLeft("-", 6) + "  " + padLeft("-", 9) + "  "
                   + padRight("-", 20) + " | " + oursColumns(&o) + "\n";

    out += "\nours per budget (solver in our accounting, then the file):\n";
    for (const OurRow &o : r.ours) {
        out += "  " + o.budgetText + ": ";
        if (!o.problem.empty()) {
            out += o.problem + "\n";
            continue;
        }
        out += "planned " + groupThousands(int64_t(o.plannedBytes)) + " bytes ("
               + fixed(o.plannedBitsPerWeight, 3) + " bpw), predicted dKLD "
               + formatted("%.2e", o.predictedKld) + "; file "
               + groupThousands(int64_t(o.file.bytes)) + " tensor bytes";
        if (o.inexactTensors > 0)
            out += ", " + std::to_string(o.inexactTensors) + " tensors NOT exported exactly";
        out += "\n    " + o.choices + "\n";
    }

    const TargetCount t = countTarget(r);
    out += "\ntarget (issue 13): ours <= " + fixed(kQualityTargetRatio, 2)
           + " x llama.cpp's best KLD at equal or larger size, at every budget "
           + fixed(kQualityTargetMinBpw, 1) + "-" + fixed(kQualityTargetMaxBpw, 1)
           + " bpw: met at " + std::to_string(t.met) + " of " + std::to_string(t.inRange)
           + " budgets in that range" + (t.missed.empty() ? "" : " (not met: " + t.missed + ")")
           + "\n";
    out += r.filesKept ? "files kept in " + r.filesDir + "\n"
                       : "files were in " + r.filesDir + " (removed)\n";
    out += "time " + fixed(r.seconds, 1) + " s\n";
    return out;
}

std::string qualityBenchJson(const QualityBenchResult &r)
{
    const QualityBenchParams &p = r.params;
    json llama = json::array();
    for (const LlamaQuantRow &l : r.llama)
        llama.push_back({{"type", l.type},
                         {"imatrix", l.imatrix},
                         {"fallbacks", l.fallbacks},
                         {"quantize_command", l.quantizeCommand},
                         {"file", fileJson(l.file)}});
    json ours = json::array();
    for (const OurRow &o : r.ours) {
        json row{{"budget", o.budgetText},
                 {"budget_bytes", o.budgetBytes},
                 {"paired_type", o.pairedType.empty() ? json(nullptr) : json(o.pairedType)},
                 {"problem", o.problem.empty() ? json(nullptr) : json(o.problem)}};
        if (o.problem.empty()) {
            row["planned_bytes"] = o.plannedBytes;
            row["planned_bits_per_weight"] = o.plannedBitsPerWeight;
            row["predicted_kld"] = o.predictedKld;
            row["choices"] = o.choices;
            row["inexact_tensors"] = o.inexactTensors;
            row["file"] = fileJson(o.file);
            row["larger_than_paired"] = o.largerThanPaired;
            row["best_llama"] = o.bestLlamaName.empty() ? json(nullptr) : json(o.bestLlamaName);
            row["best_llama_kld"] = o.bestLlamaKld ? json(*o.bestLlamaKld) : json(nullptr);
            row["ratio"] = o.ratio ? json(*o.ratio) : json(nullptr);
        }
        ours.push_back(std::move(row));
    }
    const auto t = countTarget(r);
    json types = json::array();
    for (const auto &type : p.types)
        types.push_back(type);
    const json doc{
        {"schema", "cwb.bench-quality/1"},
        {"model", r.model},
        {"base", {{"path", r.basePath}, {"exported", r.baseExported},
                  {"file", fileJson(r.base)}}},
        {"eval", {{"text", p.evalTextPath}, {"n_ctx", p.nCtx}, {"chunks", p.chunks},
                  {"threads", p.threads}}},
        {"calibration", {{"text", p.calibrationPath}, {"imatrix_chunks", p.imatrixChunks},
                         {"sequences", p.sequences}, {"seq_len", p.seqLen},
                         {"windows", p.windows}}},
        {"imatrix_command", r.imatrixCommand},
        {"types", types},
        {"sensitivity", {{"key", r.sensitivityKey}, {"options", r.candidateCount},
                         {"default_candidates", p.candidates.empty()}}},
        {"llama", llama},
        {"ours", ours},
        {"target", {{"ratio", kQualityTargetRatio}, {"min_bpw", kQualityTargetMinBpw},
                    {"max_bpw", kQualityTargetMaxBpw}, {"budgets_in_range", t.inRange},
                    {"met", t.met}}},
        {"files", {{"dir", r.filesDir}, {"kept", r.filesKept}}},
        {"seconds", r.seconds}};
    return doc.dump(2) + "\n";
}

} // namespace cwb::bench
