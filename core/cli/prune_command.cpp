// SPDX-License-Identifier: MIT
// cwb prune MODEL --calib FILE: structured pruning with repair (core/prune): scores for FFN
// channels, KV groups and blocks from calibration, removal of the least important structures,
// the least-squares repair, the pruned model evaluated beside the original and written as a
// smaller dense model (GGUF or safetensors).

#include "analysis/activation_stats.h"
#include "cli/commands.h"
#include "cli/common_options.h"
#include "eval/evaluation.h"
#include "export/export.h"
#include "export/export_result.h"
#include "io/open_model.h"
#include "prune/prune_report.h"
#include "prune/pruned_model.h"
#include "prune/structure_scores.h"
#include "prune/structured_plan.h"
#include "util/error.h"
#include "util/text_format.h"

#include <algorithm>
#include <sstream>

namespace cwb::cli {
namespace {

std::vector<int64_t> blockList(const std::string &text)
{
    std::vector<int64_t> out;
    std::stringstream in(text);
    std::string item;
    while (std::getline(in, item, ',')) {
        size_t used = 0;
        int64_t v = -1;
        try {
            v = std::stoll(item, &used);
        } catch (const std::exception &) {
            used = 0;
        }
        if (used == 0 || used != item.size() || v < 0)
            throw UsageError("prune", "--drop-blocks: '" + item
                                          + "' is not a block index (a list like 3,5)");
        out.push_back(v);
    }
    std::sort(out.begin(), out.end());
    return out;
}

PruneTarget targetOf(const ParsedArgs &args)
{
    if (!args.has("--out"))
        return PruneTarget::Engine;
    return args.text("--to", "gguf") == "safetensors" ? PruneTarget::Safetensors
                                                       : PruneTarget::Gguf;
}

void refuseAtPlanTime(const Model &model, const StructuredPlan &plan, PruneTarget target)
{
    const std::vector<std::string> refusals = planRefusals(model, plan, target);
    if (refusals.empty())
        return;
    std::string text = "the pruning plan cannot be loaded by its target";
    for (const auto &r : refusals)
        text += "\n  " + r;
    throwIn(model.path, text);
}

double perplexityOf(const Model &model, const ParsedArgs &args, Environment &env)
{
    EvalParams p;
    p.model = &model;
    p.textPath = args.text("--text");
    p.nCtx = args.integer("--ctx", std::min<int64_t>(256, model.hparams.contextLength > 0
                                                              ? model.hparams.contextLength
                                                              : 256));
    p.chunks = args.integer("--chunks", 0);
    p.threads = threadsOf(args);
    return runEvaluation(p, env.job()).ppl;
}

} // namespace

const CommandSpec &pruneCommand()
{
    static const CommandSpec spec = [] {
        CommandSpec s{
        .name = "prune",
        .positional = "MODEL",
        .positionalHelp = "model (llama family)",
        .summary =
            "structured pruning with repair: scores per FFN channel, KV group (a KV\n"
            "head with its query heads) and block (angular distance; dKLD when\n"
            "skipped) from calibration; removes the least important and refits\n"
            "down / attn.o (and the block before a dropped one) by ridge least\n"
            "squares; prints output errors before/after repair and the savings,\n"
            "evaluates --text, writes a smaller dense model (--out). Shapes the\n"
            "target cannot load are refused before anything is computed",
        .options =
            {
                calibrationOption("calibration text (statistics from its start, the block "
                                  "windows from its end)"),
                {.name = "--ffn-keep", .kind = ValueKind::Real, .metavar = "F",
                 .help = "fraction of FFN channels each layer keeps", .realMin = 0,
                 .realMax = 1, .realMinExclusive = true, .oneOf = "ffn"},
                {.name = "--ffn-keep-count", .kind = ValueKind::Integer, .metavar = "N",
                 .help = "FFN channels each layer keeps", .intMin = 1,
                 .intMax = kOpenEndedInteger, .oneOf = "ffn"},
                {.name = "--ffn-keep-global", .kind = ValueKind::Real, .metavar = "F",
                 .help = "fraction of all FFN channels kept, chosen across layers\n"
                         "(non-uniform widths: this engine only)",
                 .realMin = 0, .realMax = 1, .realMinExclusive = true, .oneOf = "ffn"},
                {.name = "--kv-groups-keep", .kind = ValueKind::Integer, .metavar = "N",
                 .help = "KV groups each layer keeps", .intMin = 1,
                 .intMax = kOpenEndedInteger},
                {.name = "--drop-blocks", .kind = ValueKind::Text, .metavar = "LIST",
                 .help = "blocks to remove, e.g. 3,5", .oneOf = "blocks"},
                {.name = "--drop-least", .kind = ValueKind::Integer, .metavar = "N",
                 .help = "remove the N blocks of least dKLD", .intMin = 1,
                 .intMax = kOpenEndedInteger, .oneOf = "blocks"},
                {.name = "--score", .kind = ValueKind::Choice,
                 .help = "channel / group score", .defaultValue = "activation",
                 .choices = {"magnitude", "activation", "obs"}},
                {.name = "--no-repair", .help = "remove without the least-squares refit"},
                {.name = "--ridge", .kind = ValueKind::Real, .metavar = "R",
                 .help = "ridge, relative to the mean activation energy",
                 .defaultValue = "0.001", .realMin = 0, .realMax = 1e3},
                {.name = "--block-scores", .help = "also score blocks when none is dropped"},
                {.name = "--windows", .kind = ValueKind::Integer, .metavar = "N",
                 .help = "calibration windows of the block pass (from the end)",
                 .defaultValue = "8", .intMin = 1, .intMax = kOpenEndedInteger},
                sequencesOption("64"),
                seqLenOption("256"),
                {.name = "--text", .kind = ValueKind::Path, .metavar = "FILE",
                 .help = "held-out text: perplexity of the original and the pruned model"},
                {.name = "--ctx", .kind = ValueKind::Integer, .metavar = "N",
                 .help = "evaluation window length", .defaultValue = "256 or the model's context",
                 .intMin = 2, .intMax = int64_t{1} << 20, .needs = "--text"},
                {.name = "--chunks", .kind = ValueKind::Integer, .metavar = "K",
                 .help = "evaluation windows", .defaultValue = "all", .intMin = 0,
                 .intMax = int64_t{1} << 20, .rangeNote = "0 = all", .needs = "--text"},
                {.name = "--out", .kind = ValueKind::Path, .metavar = "PATH",
                 .help = "write the pruned model (replaced atomically)"},
                {.name = "--to", .kind = ValueKind::Choice, .help = "format of --out",
                 .defaultValue = "gguf", .choices = {"gguf", "safetensors"}, .needs = "--out"},
                threadsOption(),
            },
        };
        s.options.front().required = true; // --calib
        return s;
    }();
    return spec;
}

int runPrune(const ParsedArgs &args, Environment &env)
{
    const Model model = io::openModel(args.positional());
    const std::string calib = args.text("--calib");
    StructuredPlan plan;
    plan.score = *structureScoreFromName(args.text("--score", "activation"));
    plan.repair = !args.has("--no-repair");
    plan.repairParams.ridge = args.real("--ridge", plan.repairParams.ridge);
    plan.kvGroupsKeep = args.integer("--kv-groups-keep", -1);
    if (args.has("--drop-blocks"))
        plan.dropBlocks = blockList(args.text("--drop-blocks"));
    const std::vector<int64_t> widths = ffnWidths(model);
    if (args.has("--ffn-keep"))
        plan.ffnKeep = uniformFfnKeep(widths, args.real("--ffn-keep", 1.0));
    else if (args.has("--ffn-keep-count"))
        plan.ffnKeep = countFfnKeep(widths, args.integer("--ffn-keep-count", 1));
    const PruneTarget target = targetOf(args);
    // Plan time: everything the options fix is checked before any calibration runs.
    refuseAtPlanTime(model, plan, target);

    ActivationParams ap;
    ap.sequences = args.integer("--sequences", 64);
    ap.tokensPerSequence = args.integer("--seq-len", 256);
    if (model.hparams.contextLength > 0)
        ap.tokensPerSequence = std::min(ap.tokensPerSequence, model.hparams.contextLength);
    ap.collectHessians = true;
    ap.threads = threadsOf(args);
    *env.err << "calibration statistics...\n";
    const ActivationStats stats = collectActivationStats(model, calib, ap, env.job());
    StructureScores scores = scoreChannelsAndGroups(model, stats, plan.score, plan.repairParams);
    if (args.has("--ffn-keep-global")) {
        std::vector<std::vector<double>> perLayer;
        for (const auto &l : scores.layers)
            perLayer.push_back(l.ffnChannels);
        plan.ffnKeep = globalFfnKeep(perLayer, args.real("--ffn-keep-global", 1.0));
        refuseAtPlanTime(model, plan, target);
    }
    BlockPassParams bp;
    bp.windows.windows = args.integer("--windows", 8);
    bp.windows.tokensPerWindow = ap.tokensPerSequence;
    bp.threads = threadsOf(args);
    const bool dropLeast = args.has("--drop-least");
    if (dropLeast || args.has("--block-scores") || !plan.dropBlocks.empty()) {
        if (plan.repair && !dropLeast)
            bp.absorbLayers = plan.dropBlocks;
        bp.absorbLayers.erase(std::remove(bp.absorbLayers.begin(), bp.absorbLayers.end(), 0),
                              bp.absorbLayers.end());
        *env.err << "block scores...\n";
        scoreBlocks(model, calib, bp, scores, env.job());
        *env.out << blockScoresText(scores);
    }
    if (dropLeast) {
        const std::vector<int64_t> order = blockRanking(scores, true);
        const int64_t n = args.integer("--drop-least", 1);
        if (n >= int64_t(order.size()))
            throw UsageError("prune", "--drop-least " + std::to_string(n) + ": the model has "
                                          + std::to_string(order.size()) + " blocks");
        plan.dropBlocks.assign(order.begin(), order.begin() + n);
        std::sort(plan.dropBlocks.begin(), plan.dropBlocks.end());
        refuseAtPlanTime(model, plan, target);
        if (plan.repair) {
            bp.absorbLayers.clear();
            for (const int64_t l : plan.dropBlocks)
                if (l > 0)
                    bp.absorbLayers.push_back(l);
            StructureScores again = scores;
            *env.err << "moments for the repair of the dropped blocks...\n";
            scoreBlocks(model, calib, bp, again, env.job());
            scores.absorb = std::move(again.absorb);
        }
    }
    *env.out << channelScoresText(scores, plan);
    const StructuredOutcome outcome = applyStructuredPlan(model, stats, scores, plan);
    *env.out << pruneOutcomeText(outcome, plan);
    if (args.has("--text")) {
        *env.err << "perplexity...\n";
        const double before = perplexityOf(model, args, env);
        const double after = perplexityOf(outcome.model, args, env);
        *env.out << formatted("perplexity on %s: original %.4f, pruned %.4f (%+.2f%%)\n",
                              args.text("--text").c_str(), before, after,
                              100.0 * (after - before) / before);
    }
    if (args.has("--out")) {
        ExportRequest request;
        request.target =
            target == PruneTarget::Safetensors ? ExportTarget::Safetensors : ExportTarget::Gguf;
        request.model = &outcome.model;
        request.outPath = args.text("--out");
        const ExportResult r = runExport(request, env.job());
        *env.out << formatted("wrote %s (%s, %llu bytes, %s)\n", request.outPath.c_str(),
                              std::string(exportTargetName(request.target)).c_str(),
                              (unsigned long long)r.fileBytes,
                              r.verified ? "read back and verified" : "not verified");
    }
    return 0;
}

} // namespace cwb::cli
