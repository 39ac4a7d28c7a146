// SPDX-License-Identifier: MIT
// cwb eval MODEL --text FILE: perplexity, KL divergence, latency and memory of a model or an
// archive, through the same runEvaluation() the GUI's Evaluate panel calls.

#include "cli/commands.h"
#include "cli/common_options.h"
#include "eval/evaluation.h"
#include "pipeline/archive.h"
#include "pipeline/run_inputs.h"
#include "report/evaluation_report.h"

#include <optional>

namespace cwb::cli {

const CommandSpec &evalCommand()
{
    static const CommandSpec spec{
        .name = "eval",
        .positional = "MODEL",
        .positionalHelp = "model",
        .summary =
            "perplexity on a UTF-8 text (llama-perplexity's protocol by default:\n"
            "windows of --ctx tokens (512), BOS first, second half scored; \"full\"\n"
            "scores every position); --save-logits records a base, --kld-base\n"
            "compares with one (KL divergence, top-1 agreement, PPL ratio);\n"
            "--cache-type-k/-v (-ctk/-ctv) store the KV cache as llama.cpp\n"
            "does (f32, f16, q8_0, q4_0; memory reported per side);\n"
            "--latency measures prefill/decode; --devices adds roofline\n"
            "estimates for the device profiles; MODEL may be a .cwbarchive (run\n"
            "as its source model with the compressed tensors); progress on\n"
            "stderr, Ctrl-C stops",
        .options =
            {
                {.name = "--text", .kind = ValueKind::Path, .metavar = "FILE",
                 .help = "UTF-8 text to score", .required = true},
                {.name = "--ctx", .kind = ValueKind::Integer, .metavar = "N",
                 .help = "window length in tokens", .defaultValue = "512", .intMin = 2,
                 .intMax = int64_t{1} << 24},
                {.name = "--chunks", .kind = ValueKind::Integer, .metavar = "K",
                 .help = "windows to score", .defaultValue = "all", .intMin = 0,
                 .intMax = int64_t{1} << 24, .rangeNote = "0 = all"},
                threadsOption(),
                {.name = "--protocol", .kind = ValueKind::Choice,
                 .help = "llama-perplexity's second-half scoring, or every position",
                 .defaultValue = "llama",
                 .choices = {"llama", "full"}},
                {.name = "--save-logits", .kind = ValueKind::Path, .metavar = "FILE",
                 .help = "record this run's scored log-probabilities as a base",
                 .exclusiveWith = "--kld-base"},
                {.name = "--kld-base", .kind = ValueKind::Path, .metavar = "FILE",
                 .help = "compare with a recorded base: KLD, top-1 agreement, PPL ratio"},
                {.name = "--emulate-q8",
                 .help = "integer activations: quantize matmul inputs to Q8 and multiply in "
                         "int8, as llama.cpp's CPU path does"},
                {.name = "--cache-type-k", .aliases = {"-ctk"}, .kind = ValueKind::Choice,
                 .help = "K cache storage, as llama.cpp's -ctk", .defaultValue = "f32",
                 .choices = {"f32", "f16", "q8_0", "q4_0"}},
                {.name = "--cache-type-v", .aliases = {"-ctv"}, .kind = ValueKind::Choice,
                 .help = "V cache storage, as llama.cpp's -ctv", .defaultValue = "f32",
                 .choices = {"f32", "f16", "q8_0", "q4_0"}},
                {.name = "--latency", .help = "also measure prefill and decode speed"},
                {.name = "--devices", .help = "roofline decode estimates for the device profiles"},
                jsonOption(),
            },
    };
    return spec;
}

int runEval(const ParsedArgs &args, Environment &env)
{
    EvalParams p;
    p.modelPath = args.positional();
    p.textPath = args.text("--text");
    p.nCtx = args.integer("--ctx", p.nCtx);
    p.chunks = args.integer("--chunks", p.chunks);
    p.threads = threadsOf(args, p.threads);
    if (args.text("--protocol", "llama") == "full")
        p.protocol = PplProtocol::FullWindow;
    p.saveLogitsPath = args.text("--save-logits");
    p.kldBasePath = args.text("--kld-base");
    p.emulateQ8 = args.has("--emulate-q8");
    // Choices of the table above: the names always resolve.
    p.cacheTypeK = kvCacheTypeFromName(args.text("--cache-type-k", "f32")).value_or(p.cacheTypeK);
    p.cacheTypeV = kvCacheTypeFromName(args.text("--cache-type-v", "f32")).value_or(p.cacheTypeV);
    p.measureLatency = args.has("--latency");
    p.estimateDevices = args.has("--devices");
    std::optional<OpenedArchive> archive;
    if (isArchive(p.modelPath)) {
        archive = openArchive(p.modelPath);
        useArchive(p, *archive, p.modelPath);
    }
    const EvalResult r = runEvaluation(p, env.job());
    *env.err << "\n";
    *env.out << (args.has("--json") ? evalResultJson(r) : evalResultText(r));
    return 0;
}

} // namespace cwb::cli
