// SPDX-License-Identifier: MIT
// cwb bench open | eval | analyze | compress | stream | quality: the benchmark engines of
// core/bench, their tables from bench/bench_report.h (quality: bench/quality_bench.h).

#include "bench/analyze_bench.h"
#include "bench/bench_report.h"
#include "bench/compress_bench.h"
#include "bench/eval_bench.h"
#include "bench/open_bench.h"
#include "bench/quality_bench.h"
#include "bench/stream_bench.h"
#include "cli/commands.h"
#include "cli/common_options.h"
#include "cli/sensitivity_inputs.h"
#include "formats/dtype.h"
#include "io/open_model.h"
#include "util/atomic_file.h"
#include "util/error.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <thread>

namespace cwb::cli {
namespace {

// $CWB_SHARED/<relative> when the variable is set and the file exists, else empty.
std::string sharedFile(const char *relative)
{
    const char *dir = std::getenv("CWB_SHARED");
    if (!dir || !*dir)
        return {};
    const std::string path = std::string(dir) + "/" + relative;
    return std::ifstream(path).good() ? path : std::string();
}

OptionSpec repsOption(const std::string &name, const std::string &help,
                      const std::string &defaultValue)
{
    return {.name = name, .kind = ValueKind::Integer, .metavar = "R", .help = help,
            .defaultValue = defaultValue, .intMin = 1, .intMax = 100};
}

OptionSpec sizeOption(const std::string &name, const std::string &metavar, int64_t lo, int64_t hi,
                      const std::string &help, const std::string &defaultValue)
{
    return {.name = name, .kind = ValueKind::Integer, .metavar = metavar, .help = help,
            .defaultValue = defaultValue, .intMin = lo, .intMax = hi};
}

} // namespace

const CommandSpec &benchOpenCommand()
{
    static const CommandSpec spec{
        .name = "bench open",
        .summary = "generate a ~N GB (default 2) sharded safetensors model in a temp\n"
                   "directory; print open time, RSS growth and read+convert GB/s next\n"
                   "to a STREAM triad bandwidth; --cold drops the page cache first",
        .options =
            {
                {.name = "--gb", .kind = ValueKind::Real, .metavar = "N",
                 .help = "size of the generated model in GiB", .defaultValue = "2", .realMin = 0,
                 .realMax = 256, .realMinExclusive = true},
                {.name = "--cold", .help = "drop the page cache before opening"},
            },
    };
    return spec;
}

int runBenchOpen(const ParsedArgs &args, Environment &env)
{
    bench::OpenBenchParams p;
    if (args.has("--gb"))
        p.modelBytes = static_cast<uint64_t>(args.real("--gb", 2) * 1024.0 * 1024.0 * 1024.0);
    p.dropPageCache = args.has("--cold");
    const auto r = bench::runOpenBench(p, env.job());
    *env.err << "\n";
    *env.out << bench::openBenchText(p, r);
    return 0;
}

const CommandSpec &benchEvalCommand()
{
    static const CommandSpec spec{
        .name = "bench eval",
        .summary = "prefill (pp512) and decode (tg128) tokens/s, llama-bench style (2\n"
                   "threads), for stories260K ($CWB_SHARED or --model) and a generated\n"
                   "random ~100M llama model (F32, Q8_0, Q4_0), next to llama.cpp's\n"
                   "figures ($CWB_SHARED/reference/llamacpp_figures.json) and this run's\n"
                   "triad GB/s and sgemm GFLOP/s. --llama-bench PATH runs that\n"
                   "llama-bench side by side in the same run on the random ~125M model\n"
                   "as F32, Q8_0, Q4_0 and Q4_K_M GGUF files (ours: our rtn4 g32/g128,\n"
                   "nf4, nvfp4, rtn2, ternary, fp8 and 2:4 forms too): one table with both\n"
                   "engines, the ratios and decode GB/s as a share of triad",
        .options =
            {
                {.name = "--model", .kind = ValueKind::Path, .metavar = "FILE",
                 .help = "the stories260K model",
                 .defaultValue = "$CWB_SHARED/models/stories260K/stories260K.gguf"},
                threadsOption(1, "2"),
                repsOption("--reps", "R timed runs (best; side by side: mean)", "3"),
                {.name = "--figures", .kind = ValueKind::Path, .metavar = "FILE",
                 .help = "llama.cpp's figures",
                 .defaultValue = "$CWB_SHARED/reference/llamacpp_figures.json"},
                {.name = "--no-random", .help = "skip the generated ~100M model"},
                {.name = "--llama-bench", .kind = ValueKind::Path, .metavar = "PATH",
                 .help = "side by side: run this llama-bench on the random model's F32, Q8_0,\n"
                         "Q4_0 and Q4_K_M GGUF files in the same run, bench ours on them and\n"
                         "on our rtn 4-bit g32/g128, nf4, nvfp4, rtn 2-bit g64, ternary, fp8\n"
                         "and 2:4 forms, print both and the ratios"},
                {.name = "--float-activations",
                 .help = "float activations for quantized matrices; default: integer ones\n"
                         "(inputs rounded to Q8_0 / Q8_K, int8 dot products) as llama.cpp\n"
                         "computes, for ggml blocks and our 4-bit codes alike"},
                {.name = "--cache-dir", .kind = ValueKind::Path, .metavar = "DIR",
                 .help = "keep the side-by-side files here and reuse them",
                 .defaultValue = "a temporary directory"},
                sizeOption("--prompt", "N", 1, 8192, "prompt tokens (pp)", "512"),
                sizeOption("--gen", "N", 1, 8192, "generated tokens (tg)", "128"),
                sizeOption("--dim", "N", 8, 65536, "random model width", "768"),
                sizeOption("--layers", "N", 1, 1024, "random model layers", "12"),
                sizeOption("--heads", "N", 1, 1024, "random model heads", "12"),
                sizeOption("--kv-heads", "N", 1, 1024, "random model KV heads", "4"),
                sizeOption("--hidden", "N", 8, 262144, "random model FFN width", "2048"),
                sizeOption("--vocab", "N", 8, 1048576, "random model vocabulary", "32000"),
            },
    };
    return spec;
}

int runBenchEval(const ParsedArgs &args, Environment &env)
{
    bench::EvalBenchParams p;
    p.storiesModel = args.text("--model", sharedFile("models/stories260K/stories260K.gguf"));
    p.figuresPath = args.text("--figures", sharedFile("reference/llamacpp_figures.json"));
    p.threads = threadsOf(args, p.threads);
    p.repetitions = static_cast<int>(args.integer("--reps", p.repetitions));
    p.randomModel = !args.has("--no-random");
    p.llamaBenchPath = args.text("--llama-bench", "");
    p.cacheDir = args.text("--cache-dir", "");
    p.intActivations = !args.has("--float-activations");
    p.promptTokens = args.integer("--prompt", p.promptTokens);
    p.genTokens = args.integer("--gen", p.genTokens);
    p.shape.dim = args.integer("--dim", p.shape.dim);
    p.shape.layers = args.integer("--layers", p.shape.layers);
    p.shape.heads = args.integer("--heads", p.shape.heads);
    p.shape.kvHeads = args.integer("--kv-heads", p.shape.kvHeads);
    p.shape.hidden = args.integer("--hidden", p.shape.hidden);
    p.shape.vocab = args.integer("--vocab", p.shape.vocab);
    p.shape.context = std::max(p.shape.context, p.promptTokens + p.genTokens);
    if (p.shape.dim % p.shape.heads != 0 || p.shape.heads % p.shape.kvHeads != 0)
        throw UsageError("bench eval", "--dim must be a multiple of --heads and --heads of "
                                       "--kv-heads");
    if (!p.llamaBenchPath.empty()) {
        const auto r = bench::runEvalBench(p, env.job());
        *env.err << "\n";
        *env.out << bench::evalBenchText(p, r);
        return 0;
    }
    if (p.storiesModel.empty())
        *env.err << "note: no stories260K (set CWB_SHARED or pass --model): row skipped\n";
    const auto r = bench::runEvalBench(p, env.job());
    *env.err << "\n";
    *env.out << bench::evalBenchText(p, r);
    return 0;
}

const CommandSpec &benchAnalyzeCommand()
{
    static const CommandSpec spec{
        .name = "bench analyze",
        .summary = "tensor statistics + histogram GB/s on generated Llama-7B shapes\n"
                   "(dim 4096, hidden 11008) next to a STREAM triad; the full spectrum\n"
                   "of a svd-dim^2 matrix (4096) next to LAPACK's dgesdd on the same\n"
                   "matrix; peak RSS (VmHWM) while analysing a lazily generated stack\n"
                   "of L layers x 7 matrices (8; 32 is the whole 7B model)",
        .options =
            {
                {.name = "--dtype", .kind = ValueKind::Choice,
                 .help = "type of the generated tensors", .defaultValue = "f32",
                 .choices = {"f32", "f16", "bf16"}},
                sizeOption("--dim", "N", 16, 65536, "model width", "4096"),
                sizeOption("--hidden", "N", 16, 65536, "FFN width", "11008"),
                sizeOption("--svd-dim", "N", 2, 16384, "side of the spectrum's matrix", "4096"),
                {.name = "--no-lapack", .help = "skip the LAPACK reference"},
                sizeOption("--layers", "L", 0, 1024, "layers of the memory stack", "8"),
            },
    };
    return spec;
}

int runBenchAnalyze(const ParsedArgs &args, Environment &env)
{
    bench::AnalyzeBenchParams p;
    // --dtype is a choice of f32 / f16 / bf16 (its table), so the name always resolves.
    p.dtype = dtypeFromName(args.text("--dtype", "f32")).value_or(DType::F32);
    p.dim = args.integer("--dim", p.dim);
    p.hidden = args.integer("--hidden", p.hidden);
    p.svdDim = args.integer("--svd-dim", p.svdDim);
    p.layers = static_cast<int>(args.integer("--layers", p.layers));
    const bool noLapack = args.has("--no-lapack");
    if (!noLapack && env.referenceSvd)
        p.referenceSvd = env.referenceSvd(p.referenceName);
    const auto r = bench::runAnalyzeBench(p, env.job());
    *env.err << "\n";
    *env.out << bench::analyzeBenchText(p, r,
                                        noLapack ? "--no-lapack" : "no LAPACKE in this build");
    return 0;
}

const CommandSpec &benchCompressCommand()
{
    static const CommandSpec spec{
        .name = "bench compress",
        .summary =
            "weight quantizer throughput (rtn 4-bit g128, nf4, fp8_e4m3, and\n"
            "ggml's q4_k) in GB/s of float32 input on generated 4096x4096 and\n"
            "11008x4096 tensors (or each --shape), best of R (3), next to a\n"
            "STREAM triad; the scalar references once for the speedup, stored\n"
            "bits/weight and the round trip's relative RMS error. Then the\n"
            "Hessian methods on a 4096x4096 weight (or each --hessian-shape,\n"
            "cols a multiple of 128) with H = X^T X of N generated correlated\n"
            "activations (default max(2048, 2 x cols)): X^T X, GPTQ 4-bit g128\n"
            "and SparseGPT 50% in seconds (best of --hessian-reps, 1) and\n"
            "counted GFLOP/s next to a double GEMM peak of the same run, and\n"
            "their relative output error next to rtn / magnitude pruning",
        .options =
            {
                {.name = "--shape", .kind = ValueKind::Shape, .metavar = "RxC",
                 .help = "quantizer tensor shape", .defaultValue = "4096x4096 and 11008x4096",
                 .repeatable = true},
                repsOption("--reps", "quantizer timings: best of R", "3"),
                {.name = "--no-reference", .help = "skip the scalar reference timings"},
                {.name = "--hessian-shape", .kind = ValueKind::Shape, .metavar = "RxC",
                 .help = "Hessian method weight shape, C a multiple of 128 in 128..16384",
                 .defaultValue = "4096x4096",
                 .repeatable = true},
                sizeOption("--tokens", "N", 1, int64_t{1} << 24, "calibration rows",
                           "max(2048, 2 x cols)"),
                repsOption("--hessian-reps", "Hessian method timings: best of R", "1"),
                {.name = "--no-hessian", .help = "skip the Hessian methods"},
                {.name = "--llama-quantize", .kind = ValueKind::Path, .metavar = "PATH",
                 .help = "side by side: run this llama-quantize (--pure Q4_K) on a one-layer\n"
                         "random llama F32 GGUF of the default shapes and time ours on the same\n"
                         "tensors, best of R each; print both, the ratio and whether the bytes\n"
                         "are llama-quantize's"},
            },
    };
    return spec;
}

int runBenchCompress(const ParsedArgs &args, Environment &env)
{
    bench::CompressBenchParams p;
    if (args.has("--shape")) {
        p.shapes.clear();
        for (const Shape &s : args.shapes("--shape"))
            p.shapes.push_back({s.rows, s.cols});
    }
    if (args.has("--hessian-shape")) {
        p.hessianShapes.clear();
        for (const Shape &s : args.shapes("--hessian-shape")) {
            if (s.cols < 128 || s.cols > 16384 || s.cols % 128 != 0)
                throw UsageError("bench compress",
                                 "--hessian-shape must be RxC with C a multiple of 128 in "
                                 "128..16384, got '"
                                     + std::to_string(s.rows) + "x" + std::to_string(s.cols)
                                     + "'");
            p.hessianShapes.push_back({s.rows, s.cols});
        }
    }
    if (args.has("--no-hessian"))
        p.hessianShapes.clear();
    p.repeats = static_cast<int>(args.integer("--reps", p.repeats));
    p.reference = !args.has("--no-reference");
    p.tokens = args.integer("--tokens", p.tokens);
    p.hessianRepeats = static_cast<int>(args.integer("--hessian-reps", p.hessianRepeats));
    p.llamaQuantizePath = args.text("--llama-quantize", "");
    const auto r = bench::runCompressBench(p, env.job());
    *env.err << "\n";
    *env.out << bench::compressBenchText(p, r);
    return 0;
}

const CommandSpec &benchStreamCommand()
{
    static const CommandSpec spec{
        .name = "bench stream",
        .summary = "write a 7B-shaped llama GGUF (F16, 13.5 GB) as a sparse file (one\n"
                   "row in N holds values), then open and analyse it and compress it into\n"
                   "an archive as `cwb compress --out` does (each tensor written as it\n"
                   "finishes); print each phase's time and peak anonymous and mapped-file\n"
                   "memory, and whether allocations stayed within 2 GiB",
        .options =
            {
                sizeOption("--layers", "L", 1, 256, "transformer layers (32: the 7B model)", "32"),
                sizeOption("--row-stride", "N", 1, 1 << 20,
                           "one row in N is written, the rest is a hole", "64"),
                {.name = "--method", .kind = ValueKind::Text, .metavar = "M",
                 .help = "recipe method every matrix is compressed with", .defaultValue = "q8_0"},
                threadsOption(0, "all cores"),
                memoryBudgetOption("1536"),
            },
    };
    return spec;
}

int runBenchStream(const ParsedArgs &args, Environment &env)
{
    bench::StreamBenchParams p;
    p.layers = args.integer("--layers", p.layers);
    p.rowStride = args.integer("--row-stride", p.rowStride);
    p.method = args.text("--method", p.method);
    p.threads = threadsOf(args, p.threads);
    p.memoryBudgetBytes = memoryBudgetOf(args, p.memoryBudgetBytes >> 20);
    const auto r = bench::runStreamBench(p, env.job());
    *env.err << "\n";
    *env.out << bench::streamBenchText(p, r);
    return 0;
}

namespace {

// "a,b,c" -> {"a", "b", "c"}; an empty item is a usage error.
std::vector<std::string> commaList(const std::string &option, const std::string &text)
{
    std::vector<std::string> items;
    size_t start = 0;
    for (;;) {
        const size_t end = text.find(',', start);
        std::string item = text.substr(start, end == std::string::npos ? end : end - start);
        if (item.empty())
            throw UsageError("bench quality", option + " has an empty item in '" + text + "'");
        items.push_back(std::move(item));
        if (end == std::string::npos)
            return items;
        start = end + 1;
    }
}

std::vector<double> budgetsOf(const ParsedArgs &args)
{
    std::vector<double> budgets;
    if (!args.has("--budgets"))
        return budgets;
    for (const std::string &item : commaList("--budgets", args.text("--budgets"))) {
        double v = 0;
        const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
        if (ec != std::errc() || end != item.data() + item.size() || !(v > 0) || v > 64)
            throw UsageError("bench quality", "--budgets: '" + item
                                                  + "' is not a bits/weight in (0, 64]");
        budgets.push_back(v);
    }
    return budgets;
}

std::vector<std::string> typesOf(const ParsedArgs &args)
{
    if (!args.has("--types"))
        return bench::defaultQualityTypes();
    std::vector<std::string> types = commaList("--types", args.text("--types"));
    for (std::string &t : types)
        for (char &c : t)
            c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return types;
}

} // namespace

const CommandSpec &benchQualityCommand()
{
    static const CommandSpec spec = [] {
        CommandSpec s{
            .name = "bench quality",
            .positional = "MODEL",
            .positionalHelp = "model",
            .summary =
                "llama.cpp's quantization table and ours at the same sizes, both\n"
                "judged by llama.cpp's llama-perplexity: the model as an F32 GGUF\n"
                "(our export unless it is one), llama-imatrix on --calib,\n"
                "llama-quantize to each type with and without the imatrix,\n"
                "llama-perplexity --kl-divergence of each file against the F32\n"
                "logits on --text; ours: the solver (default GGUF options) at each\n"
                "llama.cpp file's size (or --budgets), compressed, exported to GGUF\n"
                "and judged the same way; prints both side by side with the KLD\n"
                "ratio to llama.cpp's best at equal or larger size and issue 13's\n"
                "target (ratio <= 0.7 from 2.8 to 6.5 bpw)",
        };
        s.options.push_back({.name = "--text", .kind = ValueKind::Path, .metavar = "EVAL",
                             .help = "held-out text llama-perplexity runs on",
                             .required = true});
        s.options.push_back(calibrationOption(
            "calibration text: llama-imatrix, our statistics and sensitivity windows"));
        s.options.back().metavar = "TRAIN";
        s.options.back().required = true;
        s.options.push_back({.name = "--llama-tools", .kind = ValueKind::Path, .metavar = "DIR",
                             .help = "directory with llama-perplexity, llama-quantize and\n"
                                     "llama-imatrix",
                             .required = true});
        s.options.push_back({.name = "--budgets", .kind = ValueKind::Text,
                             .metavar = "B,B,...",
                             .help = "our budgets in bits/weight (our accounting)",
                             .defaultValue = "each llama.cpp file's size"});
        s.options.push_back({.name = "--types", .kind = ValueKind::Text, .metavar = "T,T,...",
                             .help = "llama-quantize types",
                             .defaultValue = "Q2_K,Q3_K_S,Q3_K_M,Q4_K_S,Q4_K_M,Q5_K_S,Q5_K_M,"
                                             "Q6_K,Q8_0"});
        s.options.push_back({.name = "--ctx", .kind = ValueKind::Integer, .metavar = "N",
                             .help = "llama-perplexity / llama-imatrix window length",
                             .defaultValue = "256", .intMin = 2, .intMax = int64_t{1} << 20});
        s.options.push_back({.name = "--chunks", .kind = ValueKind::Integer, .metavar = "N",
                             .help = "evaluation windows", .defaultValue = "0", .intMin = 0,
                             .intMax = int64_t{1} << 20, .rangeNote = "0 = all"});
        s.options.push_back({.name = "--imatrix-chunks", .kind = ValueKind::Integer,
                             .metavar = "N", .help = "llama-imatrix windows of --ctx tokens",
                             .defaultValue = "200", .intMin = 1,
                             .intMax = int64_t{1} << 20});
        s.options.push_back({.name = "--keep-dir", .kind = ValueKind::Path, .metavar = "DIR",
                             .help = "keep every file (GGUFs, imatrix, logits, tool logs) here",
                             .defaultValue = "a temporary directory, removed"});
        for (OptionSpec &o : sensitivityOptions())
            if (o.name != "--target")
                s.options.push_back(std::move(o));
        s.options.push_back(threadsOption(0, "2"));
        s.options.push_back({.name = "--json", .kind = ValueKind::Path, .metavar = "FILE",
                             .help = "also write the figures as JSON"});
        return s;
    }();
    return spec;
}

int runBenchQuality(const ParsedArgs &args, Environment &env)
{
    bench::QualityBenchParams p;
    p.modelPath = args.positional();
    p.evalTextPath = args.text("--text");
    p.calibrationPath = args.text("--calib");
    p.llamaToolsDir = args.text("--llama-tools");
    p.types = typesOf(args);
    p.budgets = budgetsOf(args);
    p.nCtx = args.integer("--ctx", p.nCtx);
    p.chunks = args.integer("--chunks", p.chunks);
    p.imatrixChunks = args.integer("--imatrix-chunks", p.imatrixChunks);
    p.keepDir = args.text("--keep-dir");
    p.threads = threadsOf(args, 2);
    if (p.threads == 0)
        p.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    p.windows = args.integer("--windows", p.windows);
    p.sequences = args.integer("--sequences", p.sequences);
    p.seqLen = args.integer("--seq-len", p.seqLen);
    if (args.has("--candidates")) {
        try {
            p.candidates = parseCandidates(args.text("--candidates"));
        } catch (const Error &e) {
            throw UsageError("bench quality", std::string("--candidates: ") + e.what());
        }
    }
    // The sensitivity table through the one place `cwb sensitivity` / `cwb solve` get it
    // (reused from --project when its key matches).
    const Model model = io::openModel(p.modelPath);
    const SensitivityRun run = obtainSensitivity(
        model, args, env,
        p.candidates.empty() ? defaultCandidates(TargetFormat::Gguf) : p.candidates);
    p.table = &run.table;
    const auto r = bench::runQualityBench(p, env.job());
    *env.err << "\n";
    if (args.has("--json")) {
        const std::string path = args.text("--json");
        const std::string json = bench::qualityBenchJson(r);
        writeFileAtomically(path, [&](const std::string &temp) {
            std::ofstream out(temp, std::ios::binary);
            out << json;
            out.flush();
            if (!out)
                throwIn(path, "cannot write the JSON report");
        });
    }
    *env.out << bench::qualityBenchText(r);
    return 0;
}

} // namespace cwb::cli
