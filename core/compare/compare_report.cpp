// SPDX-License-Identifier: MIT
#include "compare/compare_report.h"

#include "util/text_format.h"

#include <nlohmann/json.hpp>

#include <cstdarg>
#include <cstdio>

namespace cwb {

namespace {

using Json = nlohmann::ordered_json;

std::string sideLine(const char *which, const CompareSideInfo &s)
{
    std::string line = formatted("%-12s %s", which, s.label.c_str());
    line += s.archive ? " (archive of " + s.sourcePath + ")" : " (model)";
    line += formatted(", %s parameters, %s, %.2f bits/weight\n", groupThousands(s.parameters).c_str(),
                   humanBytes(s.storedBytes).c_str(), s.bitsPerWeight);
    return line;
}

std::string scoresLine(const SliceScores &s)
{
    return formatted("ppl A %.4f +/- %.4f, B %.4f +/- %.4f, delta NLL %+.5f nats/token; "
                  "KLD mean %.6f +/- %.6f, median %.6f, p99 %.6f, max %.6f; top-1 %.2f%%",
                  s.pplA, s.pplAStderr, s.pplB, s.pplBStderr, s.deltaNll, s.kld.mean,
                  s.kld.meanStderr, s.kld.median, s.kld.p99, s.kld.max, s.kld.top1AgreementPct);
}

std::string optionalText(const std::optional<double> &v, const char *fmt)
{
    return v ? formatted(fmt, *v) : std::string("-");
}

// One line of a continuation, quoted, control characters spelled out.
std::string quoted(const std::string &s)
{
    std::string out = "\"";
    for (const char c : s) {
        if (c == '\n')
            out += "\\n";
        else if (c == '\t')
            out += "\\t";
        else if (c == '"')
            out += "\\\"";
        else
            out += c;
    }
    return out + "\"";
}

// What follows the common part of a continuation (the whole text when decoding does not keep
// the common part as a prefix).
std::string rest(const std::string &text, const std::string &common)
{
    return text.starts_with(common) ? text.substr(common.size()) : text;
}

void appendSlices(const CompareResult &r, const CompareTextOptions &o, std::string &s)
{
    const SliceComparison &c = r.slices;
    const std::string source = r.settings.sliceFiles.empty()
                                   ? r.settings.textPath
                                   : std::to_string(r.settings.sliceFiles.size()) + " slice files";
    s += formatted("%-12s %s: %lld documents, %lld slices, %lld evaluated; n_ctx %lld, %lld windows, "
                "%lld positions scored\n",
                "text", source.c_str(), static_cast<long long>(r.documents),
                static_cast<long long>(c.slices), static_cast<long long>(c.evaluated.size()),
                static_cast<long long>(c.nCtx), static_cast<long long>(c.total.windows),
                static_cast<long long>(c.total.positions));
    s += formatted("%-12s %s\n", "overall", scoresLine(c.total).c_str());
    s += formatted("\nslices, most degraded first (by %s):\n",
                c.order == SliceOrder::Kld ? "mean KLD" : "delta NLL");
    s += formatted("  %-14s %7s %7s %4s %10s %10s %9s %10s %7s  %s\n", "slice", "line", "tokens",
                "win", "ppl A", "ppl B", "dNLL", "KLD", "top-1", "text");
    const size_t shown = std::min(o.slices, c.evaluated.size());
    for (size_t i = 0; i < shown; ++i) {
        const SliceResult &x = c.evaluated[i];
        s += formatted("  %-14s %7lld %7lld %4lld %10.4f %10.4f %+9.5f %10.6f %6.2f%%  %s\n",
                    x.name.c_str(), static_cast<long long>(x.line),
                    static_cast<long long>(x.scores.tokens),
                    static_cast<long long>(x.scores.windows), x.scores.pplA, x.scores.pplB,
                    x.scores.deltaNll, x.scores.kld.mean, x.scores.kld.top1AgreementPct,
                    x.preview.c_str());
    }
    if (shown < c.evaluated.size())
        s += formatted("  ... %zu more (--json lists every slice)\n", c.evaluated.size() - shown);
}

void appendBehaviour(const BehaviourComparison &b, std::string &s)
{
    s += formatted("\nbehaviour    %zu prompts (%s), %lld greedy tokens each; first %lld tokens "
                "unchanged: %lld of %zu (%.1f%%); identical throughout: %lld\n",
                b.prompts.size(), b.promptsSource.c_str(), static_cast<long long>(b.tokens),
                static_cast<long long>(b.agree), static_cast<long long>(b.unchangedCount),
                b.prompts.size(), 100.0 * b.unchangedShare(),
                static_cast<long long>(b.identicalCount));
    for (size_t i = 0; i < b.prompts.size(); ++i) {
        const PromptComparison &p = b.prompts[i];
        if (p.firstDivergence < 0) {
            s += formatted("  %2zu %-36s identical\n", i + 1, quoted(p.prompt).c_str());
            continue;
        }
        s += formatted("  %2zu %-36s diverges at token %lld\n", i + 1, quoted(p.prompt).c_str(),
                    static_cast<long long>(p.firstDivergence));
        s += "       common " + quoted(p.commonText) + "\n";
        s += "       A      " + quoted(rest(p.textA, p.commonText)) + "\n";
        s += "       B      " + quoted(rest(p.textB, p.commonText)) + "\n";
    }
}

void appendTensors(const CompareResult &r, const CompareTextOptions &o, std::string &s)
{
    const bool measured = r.settings.tensors.weightDifferences;
    s += "\ntensors, errors against the original (relative Frobenius / output on the calibration "
         "Hessian):\n";
    const size_t shown = o.tensors == 0 ? r.tensors.size() : std::min(o.tensors, r.tensors.size());
    // Column widths from the names and formats shown ("int4 per-channel sym" is long).
    int nameWidth = 6, formatWidth = 6;
    auto nameOf = [](const TensorComparison &t) {
        return t.canonical.empty() ? t.name : t.canonical;
    };
    for (size_t i = 0; i < shown; ++i) {
        nameWidth = std::max(nameWidth, static_cast<int>(nameOf(r.tensors[i]).size()));
        for (const auto *e : {&r.tensors[i].a, &r.tensors[i].b})
            formatWidth = std::max(formatWidth, static_cast<int>(e->format.size()));
    }
    s += formatted("  %-*s  %-*s %9s %9s  %-*s %9s %9s  %10s %10s", nameWidth, "tensor", formatWidth,
                "A", "rel A", "out A", formatWidth, "B", "rel B", "out B", "d rel", "d out");
    s += measured ? formatted("  %10s %10s\n", "|B-A|/|A|", "max|B-A|") : "\n";
    for (size_t i = 0; i < shown; ++i) {
        const TensorComparison &t = r.tensors[i];
        s += formatted("  %-*s  %-*s %9s %9s  %-*s %9s %9s  %10s %10s", nameWidth,
                    nameOf(t).c_str(), formatWidth, t.a.present ? t.a.format.c_str() : "-",
                    optionalText(t.a.relativeError, "%.5f").c_str(),
                    optionalText(t.a.outputError, "%.5f").c_str(), formatWidth,
                    t.b.present ? t.b.format.c_str() : "-",
                    optionalText(t.b.relativeError, "%.5f").c_str(),
                    optionalText(t.b.outputError, "%.5f").c_str(),
                    optionalText(t.deltaRelativeError, "%+.5f").c_str(),
                    optionalText(t.deltaOutputError, "%+.5f").c_str());
        if (measured && t.difference)
            s += formatted("  %10.6f %10.3g", t.difference->relative, t.difference->maxAbs);
        if (!t.note.empty())
            s += "  " + t.note;
        s += "\n";
    }
    if (shown < r.tensors.size())
        s += formatted("  ... %zu more (--json lists every tensor)\n", r.tensors.size() - shown);
}

Json optionalJson(const std::optional<double> &v)
{
    return v ? Json(*v) : Json(nullptr);
}

Json sideJson(const CompareSideInfo &s)
{
    return {{"path", s.path},
            {"label", s.label},
            {"archive", s.archive},
            {"source", s.archive ? Json(s.sourcePath) : Json(nullptr)},
            {"parameters", s.parameters},
            {"stored_bytes", s.storedBytes},
            {"bits_per_weight", s.bitsPerWeight}};
}

Json scoresJson(const SliceScores &s)
{
    return {{"tokens", s.tokens},
            {"windows", s.windows},
            {"positions", s.positions},
            {"ppl_a", s.pplA},
            {"ppl_a_stderr", s.pplAStderr},
            {"ppl_b", s.pplB},
            {"ppl_b_stderr", s.pplBStderr},
            {"mean_nll_a", s.meanNllA},
            {"mean_nll_b", s.meanNllB},
            {"delta_nll", s.deltaNll},
            {"kld",
             {{"mean", s.kld.mean},
              {"mean_stderr", s.kld.meanStderr},
              {"median", s.kld.median},
              {"p99", s.kld.p99},
              {"max", s.kld.max},
              {"top1_agreement_percent", s.kld.top1AgreementPct}}}};
}

Json tensorSideJson(const TensorSideErrors &e)
{
    if (!e.present)
        return nullptr;
    return {{"format", e.format},
            {"bytes", e.bytes},
            {"relative_error", optionalJson(e.relativeError)},
            {"output_error", optionalJson(e.outputError)},
            {"basis", e.basis.empty() ? Json(nullptr) : Json(e.basis)}};
}

Json differenceJson(const std::optional<TensorDifference> &d)
{
    if (!d)
        return nullptr;
    const Histogram &h = d->histogram;
    return {{"relative", d->relative},
            {"max_abs", d->maxAbs},
            {"mean", h.mean},
            {"std", h.std},
            {"zeros", h.zeros},
            {"histogram", {{"edges", h.edges}, {"counts", h.counts}}}};
}

Json settingsJson(const CompareParams &p)
{
    return {{"text", p.textPath.empty() ? Json(nullptr) : Json(p.textPath)},
            {"slice_files", p.sliceFiles},
            {"separator", p.slicing.separator.empty() ? Json(nullptr) : Json(p.slicing.separator)},
            {"protocol", "llama"},
            {"n_ctx", p.evaluation.nCtx},
            {"chunks", p.evaluation.chunks},
            {"order", sliceOrderName(p.evaluation.order)},
            {"prompts", p.behaviour.promptsPath.empty() ? Json(nullptr)
                                                        : Json(p.behaviour.promptsPath)},
            {"tokens", p.behaviour.tokens},
            {"agree", p.behaviour.agree},
            {"weights", p.tensors.weightDifferences},
            {"bins", p.tensors.bins},
            {"threads", p.threads}};
}

} // namespace

std::string compareResultText(const CompareResult &r, const CompareTextOptions &options)
{
    std::string s;
    s += sideLine("A", r.a);
    s += sideLine("B", r.b);
    appendSlices(r, options, s);
    appendBehaviour(r.behaviour, s);
    appendTensors(r, options, s);
    s += "\n";
    for (const auto *notes : {&r.notes, &r.slices.notes})
        for (const auto &n : *notes)
            s += "note         " + n + "\n";
    s += formatted("time         %.2f s\n", r.seconds);
    return s;
}

std::string compareResultJson(const CompareResult &r)
{
    Json j;
    j["schema"] = "cwb.compare/1";
    j["a"] = sideJson(r.a);
    j["b"] = sideJson(r.b);
    j["settings"] = settingsJson(r.settings);
    j["slicing"] = {{"documents", r.documents},
                    {"documents_merged", r.documentsMerged},
                    {"slices", r.slices.slices},
                    {"slices_evaluated", r.slices.evaluated.size()}};
    j["total"] = scoresJson(r.slices.total);
    auto &slices = j["slices"] = Json::array();
    for (const auto &x : r.slices.evaluated) {
        Json s = {{"index", x.index},
                  {"name", x.name},
                  {"source", x.source},
                  {"line", x.line},
                  {"byte_offset", x.byteOffset},
                  {"first_document", x.firstDocument},
                  {"last_document", x.lastDocument},
                  {"preview", x.preview}};
        s.update(scoresJson(x.scores));
        slices.push_back(std::move(s));
    }
    const BehaviourComparison &b = r.behaviour;
    Json behaviour = {{"prompts_source", b.promptsSource},
                      {"tokens", b.tokens},
                      {"agree", b.agree},
                      {"unchanged", b.unchangedCount},
                      {"identical", b.identicalCount},
                      {"unchanged_share", b.unchangedShare()}};
    auto &prompts = behaviour["prompts"] = Json::array();
    for (const auto &p : b.prompts)
        prompts.push_back({{"prompt", p.prompt},
                           {"first_divergence", p.firstDivergence < 0 ? Json(nullptr)
                                                                      : Json(p.firstDivergence)},
                           {"unchanged", p.unchanged},
                           {"common_text", p.commonText},
                           {"text_a", p.textA},
                           {"text_b", p.textB},
                           {"tokens_a", p.tokensA},
                           {"tokens_b", p.tokensB}});
    j["behaviour"] = std::move(behaviour);
    auto &tensors = j["tensors"] = Json::array();
    for (const auto &t : r.tensors)
        tensors.push_back({{"name", t.name},
                           {"canonical", t.canonical.empty() ? Json(nullptr) : Json(t.canonical)},
                           {"shape", t.shape},
                           {"a", tensorSideJson(t.a)},
                           {"b", tensorSideJson(t.b)},
                           {"delta",
                            {{"relative_error", optionalJson(t.deltaRelativeError)},
                             {"output_error", optionalJson(t.deltaOutputError)}}},
                           {"difference", differenceJson(t.difference)},
                           {"note", t.note.empty() ? Json(nullptr) : Json(t.note)}});
    Json notes = r.notes;
    for (const auto &n : r.slices.notes)
        notes.push_back(n);
    j["notes"] = std::move(notes);
    j["seconds"] = r.seconds;
    // Generated text may end inside a UTF-8 sequence: replaced, not an exception.
    return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

} // namespace cwb
