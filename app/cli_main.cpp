// SPDX-License-Identifier: MIT
// cwb: the command-line twin of the workbench. Argument parsing and printing only; every
// command calls the same core functions the GUI uses.

#include "analysis/model_analysis.h"
#include "bench/analyze_bench.h"
#include "bench/compress_bench.h"
#include "bench/eval_bench.h"
#include "bench/open_bench.h"
#include "eval/evaluation.h"
#include "eval/generation.h"
#include "io/open_model.h"
#include "jobs/job_context.h"
#include "pipeline/archive.h"
#include "pipeline/pipeline.h"
#include "project/project_file.h"
#include "recipe/plan_report.h"
#include "recipe/resolve.h"
#include "report/analysis_report.h"
#include "report/compression_report.h"
#include "report/evaluation_report.h"
#include "report/model_report.h"
#include "util/error.h"

#include "lapack_svd.h"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr const char *kUsage = R"(usage: cwb <command> [options]

commands:
  inspect MODEL [--json]     format, architecture, hyper-parameters, every tensor, totals
                             MODEL: .gguf, .safetensors, model.safetensors.index.json,
                             a Hugging Face directory, a llama2.c .bin or a Keras .h5
  eval MODEL --text FILE [--ctx N] [--chunks K] [--threads T] [--protocol llama|full]
       [--save-logits FILE | --kld-base FILE] [--emulate-q8] [--latency] [--devices] [--json]
                             perplexity on a UTF-8 text (llama-perplexity's protocol by default:
                             windows of --ctx tokens (512), BOS first, second half scored; "full"
                             scores every position); --save-logits records a base, --kld-base
                             compares with one (KL divergence, top-1 agreement, PPL ratio);
                             --latency measures prefill/decode; --devices adds roofline
                             estimates for the device profiles; progress on stderr, Ctrl-C stops
  analyze MODEL --project OUT.cwbproj [--spectra] [--calib FILE [--hessians]
          [--sequences N] [--seq-len N]] [--threads T] [--json]
                             statistics, histogram and outlier channels of every tensor;
                             --spectra adds singular values and derived ranks; --calib runs
                             the model on a text and records each linear's input activations
                             (N sequences of seq-len tokens, default 128 x 512), --hessians
                             also X^T X; writes the project file atomically and prints a
                             per-tensor table (or JSON); progress on stderr, Ctrl-C stops
                             without writing
  compress MODEL --plan RECIPE.json [--calib FILE] --dry-run [--json]
                             resolve a recipe against the model and print the plan: every
                             tensor, what it gets, which rule set each field, estimated bytes;
                             dead rules are warned, and every problem (unknown tensors or
                             methods, sizes that do not divide rows, Hessian methods without
                             --calib) is listed at once with exit status 1
  compress MODEL --plan RECIPE.json [--calib FILE] --out OUT.cwbarchive [--threads T]
           [--sequences N] [--seq-len N] [--json]
                             run the plan (prune -> low rank -> quantize per tensor, tensors in
                             parallel) with calibration statistics from FILE (N sequences of
                             seq-len tokens, default 64 x 256), write the archive atomically and
                             print per-tensor errors, bytes and bits/weight; `cwb eval` and
                             `cwb inspect` accept the archive (read with its source model);
                             progress on stderr, Ctrl-C stops without writing
  generate MODEL --prompt TEXT [-n N] [--threads T]
                             greedy generation (N tokens, default 64), text printed as it comes,
                             tokens/s on stderr at the end
  bench open [--gb N] [--cold]
                             generate a ~N GB (default 2) sharded safetensors model in a temp
                             directory; print open time, RSS growth and read+convert GB/s next
                             to a STREAM triad bandwidth; --cold drops the page cache first
  bench eval [--model FILE] [--threads T] [--reps R] [--figures FILE] [--no-random]
                             prefill (pp512) and decode (tg128) tokens/s, llama-bench style (2
                             threads), for stories260K ($CWB_SHARED or --model) and a generated
                             random ~100M llama model (F32, Q8_0, Q4_0), next to llama.cpp's
                             figures ($CWB_SHARED/reference/llamacpp_figures.json) and this run's
                             triad GB/s and sgemm GFLOP/s
  bench analyze [--dtype f32|f16|bf16] [--dim N] [--hidden N] [--svd-dim N] [--no-lapack]
                [--layers L]
                             tensor statistics + histogram GB/s on generated Llama-7B shapes
                             (dim 4096, hidden 11008) next to a STREAM triad; the full spectrum
                             of a svd-dim^2 matrix (4096) next to LAPACK's dgesdd on the same
                             matrix; peak RSS (VmHWM) while analysing a lazily generated stack
                             of L layers x 7 matrices (8; 32 is the whole 7B model)
  bench compress [--shape RxC]... [--reps R] [--no-reference] [--hessian-shape RxC]...
                 [--tokens N] [--hessian-reps R] [--no-hessian]
                             weight quantizer throughput (rtn 4-bit g128, nf4, fp8_e4m3, and
                             ggml's q4_k) in GB/s of float32 input on generated 4096x4096 and
                             11008x4096 tensors (or each --shape), best of R (3), next to a
                             STREAM triad; the scalar references once for the speedup, stored
                             bits/weight and the round trip's relative RMS error. Then the
                             Hessian methods on a 4096x4096 weight (or each --hessian-shape,
                             cols a multiple of 128) with H = X^T X of N generated correlated
                             activations (default max(2048, 2 x cols)): X^T X, GPTQ 4-bit g128
                             and SparseGPT 50% in seconds (best of --hessian-reps, 1) and
                             counted GFLOP/s next to a double GEMM peak of the same run, and
                             their relative output error next to rtn / magnitude pruning
  help                       this text
  --version                  print the version
)";

int usageError(const std::string &msg)
{
    std::cerr << "cwb: " << msg << "\n\n" << kUsage;
    return 2;
}

// Ctrl-C sets this; long commands poll it through JobContext and stop cleanly (temp files removed).
std::atomic<bool> gCancel{false};

extern "C" void onSigint(int)
{
    gCancel.store(true);
}

cwb::JobContext cliJob()
{
    cwb::JobContext ctx;
    ctx.cancelFlag = &gCancel;
    ctx.progress = [last = -1](double f, const std::string &what) mutable {
        const int pct = static_cast<int>(f * 100.0);
        if (pct != last) {
            last = pct;
            std::fprintf(stderr, "\r%3d%% %s\033[K", pct, what.c_str());
            std::fflush(stderr);
        }
    };
    return ctx;
}

int cmdBenchOpen(const std::vector<std::string> &args)
{
    cwb::bench::OpenBenchParams p;
    for (size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--gb" && i + 1 < args.size()) {
            const double gb = std::atof(args[++i].c_str());
            if (!(gb > 0.0 && gb <= 256.0))
                return usageError("bench open: --gb must be in (0, 256]");
            p.modelBytes = static_cast<uint64_t>(gb * 1024.0 * 1024.0 * 1024.0);
        } else if (args[i] == "--cold") {
            p.dropPageCache = true;
        } else {
            return usageError("bench open: unknown option " + args[i]);
        }
    }
    const auto r = cwb::bench::runOpenBench(p, cliJob());
    std::fprintf(stderr, "\n");
    std::printf("model       %.0f MiB in %d shards, %lld tensors, %lld parameters (dim %lld, %lld layers), written in %.1f s\n",
                r.modelBytes / 1048576.0, r.shards, static_cast<long long>(r.tensors),
                static_cast<long long>(r.parameters), static_cast<long long>(r.dim),
                static_cast<long long>(r.layers), r.writeSeconds);
    std::printf("open        %.2f ms, RSS growth %.1f MiB (%.1f -> %.1f MiB)\n", r.openSeconds * 1e3,
                r.rssGrowthOpenMiB, r.rssBeforeOpenMiB, r.rssAfterOpenMiB);
    std::printf("convert     %.2f s, %.2f GB/s of stored bytes to float32%s\n", r.convertSeconds,
                r.convertGBps, p.dropPageCache ? " (page cache dropped first)" : " (from page cache)");
    std::printf("triad       %.2f GB/s (STREAM-style, same run); convert / triad = %.0f%%\n", r.triadGBps,
                r.triadGBps > 0 ? 100.0 * r.convertGBps / r.triadGBps : 0.0);
    std::printf("targets     open < 50 ms: %s; RSS growth < 50 MiB: %s\n",
                r.openSeconds < 0.05 ? "met" : "MISSED", r.rssGrowthOpenMiB < 50 ? "met" : "MISSED");
    return 0;
}

// Whole-string integer in [lo, hi]; false for anything else.
bool parseInt(const std::string &text, int64_t lo, int64_t hi, int64_t &out)
{
    char *end = nullptr;
    errno = 0;
    const long long v = std::strtoll(text.c_str(), &end, 10);
    if (text.empty() || errno != 0 || *end != '\0' || v < lo || v > hi)
        return false;
    out = v;
    return true;
}

// $CWB_SHARED/<relative> when the variable is set and the file exists, else empty.
std::string sharedFile(const char *relative)
{
    const char *dir = std::getenv("CWB_SHARED");
    if (!dir || !*dir)
        return {};
    const std::string path = std::string(dir) + "/" + relative;
    return std::ifstream(path).good() ? path : std::string();
}

int cmdEval(const std::vector<std::string> &args)
{
    cwb::EvalParams p;
    bool json = false;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string &a = args[i];
        const bool hasValue = i + 1 < args.size();
        int64_t v = 0;
        if (a == "--text" && hasValue) {
            p.textPath = args[++i];
        } else if (a == "--ctx" && hasValue) {
            if (!parseInt(args[++i], 2, int64_t{1} << 24, v))
                return usageError("eval: --ctx must be an integer >= 2");
            p.nCtx = v;
        } else if (a == "--chunks" && hasValue) {
            if (!parseInt(args[++i], 0, int64_t{1} << 24, v))
                return usageError("eval: --chunks must be an integer >= 0 (0 = all)");
            p.chunks = v;
        } else if (a == "--threads" && hasValue) {
            if (!parseInt(args[++i], 0, 1024, v))
                return usageError("eval: --threads must be in 0..1024 (0 = all cores)");
            p.threads = static_cast<int>(v);
        } else if (a == "--protocol" && hasValue) {
            const std::string &name = args[++i];
            if (name == "llama")
                p.protocol = cwb::PplProtocol::LlamaCppHalfWindow;
            else if (name == "full")
                p.protocol = cwb::PplProtocol::FullWindow;
            else
                return usageError("eval: --protocol is llama or full, not '" + name + "'");
        } else if (a == "--save-logits" && hasValue) {
            p.saveLogitsPath = args[++i];
        } else if (a == "--kld-base" && hasValue) {
            p.kldBasePath = args[++i];
        } else if (a == "--emulate-q8") {
            p.emulateQ8 = true;
        } else if (a == "--latency") {
            p.measureLatency = true;
        } else if (a == "--devices") {
            p.estimateDevices = true;
        } else if (a == "--json") {
            json = true;
        } else if (a.starts_with("-")) {
            return usageError("eval: unknown option or missing value: " + a);
        } else if (p.modelPath.empty()) {
            p.modelPath = a;
        } else {
            return usageError("eval: more than one model given");
        }
    }
    if (p.modelPath.empty())
        return usageError("eval: no model given");
    if (p.textPath.empty())
        return usageError("eval: --text FILE is required");
    if (!p.saveLogitsPath.empty() && !p.kldBasePath.empty())
        return usageError("eval: --save-logits and --kld-base are exclusive");
    // An archive runs as its source model with the compressed tensors in place.
    std::optional<cwb::OpenedArchive> archive;
    if (cwb::isArchive(p.modelPath)) {
        archive = cwb::openArchive(p.modelPath);
        p.model = archive->source.get();
        p.modelLabel = std::filesystem::path(p.modelPath).filename().string();
        p.replacements = archive->replacements.matrices;
        p.vectorReplacements = archive->replacements.vectors;
    }
    const cwb::EvalResult r = cwb::runEvaluation(p, cliJob());
    std::fprintf(stderr, "\n");
    std::cout << (json ? cwb::evalResultJson(r) : cwb::evalResultText(r));
    return 0;
}

int cmdGenerate(const std::vector<std::string> &args)
{
    cwb::GenerateParams p;
    bool havePrompt = false;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string &a = args[i];
        const bool hasValue = i + 1 < args.size();
        int64_t v = 0;
        if (a == "--prompt" && hasValue) {
            p.prompt = args[++i];
            havePrompt = true;
        } else if ((a == "-n" || a == "--tokens") && hasValue) {
            if (!parseInt(args[++i], 1, int64_t{1} << 20, v))
                return usageError("generate: -n must be a positive integer");
            p.maxTokens = v;
        } else if (a == "--threads" && hasValue) {
            if (!parseInt(args[++i], 0, 1024, v))
                return usageError("generate: --threads must be in 0..1024 (0 = all cores)");
            p.threads = static_cast<int>(v);
        } else if (a.starts_with("-")) {
            return usageError("generate: unknown option or missing value: " + a);
        } else if (p.modelPath.empty()) {
            p.modelPath = a;
        } else {
            return usageError("generate: more than one model given");
        }
    }
    if (p.modelPath.empty())
        return usageError("generate: no model given");
    if (!havePrompt)
        return usageError("generate: --prompt TEXT is required");
    std::cout << p.prompt << std::flush;
    cwb::JobContext ctx;
    ctx.cancelFlag = &gCancel;
    const auto r = cwb::generateGreedy(
        p, [](const std::string &piece) { std::cout << piece << std::flush; }, ctx);
    std::cout << "\n";
    std::fprintf(stderr, "%zu prompt tokens at %.1f tok/s, %zu generated at %.1f tok/s%s\n",
                 r.promptTokens.size(), r.prefillTokPerS, r.tokens.size(), r.decodeTokPerS,
                 r.stoppedAtEos ? " (stopped at end of sequence)" : "");
    return 0;
}

std::string ratio(double ours, double theirs)
{
    if (theirs <= 0)
        return "-";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2fx", ours / theirs);
    return buf;
}

int cmdBenchEval(const std::vector<std::string> &args)
{
    cwb::bench::EvalBenchParams p;
    p.storiesModel = sharedFile("models/stories260K/stories260K.gguf");
    p.figuresPath = sharedFile("reference/llamacpp_figures.json");
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string &a = args[i];
        const bool hasValue = i + 1 < args.size();
        int64_t v = 0;
        if (a == "--model" && hasValue) {
            p.storiesModel = args[++i];
        } else if (a == "--figures" && hasValue) {
            p.figuresPath = args[++i];
        } else if (a == "--threads" && hasValue) {
            if (!parseInt(args[++i], 1, 1024, v))
                return usageError("bench eval: --threads must be in 1..1024");
            p.threads = static_cast<int>(v);
        } else if (a == "--reps" && hasValue) {
            if (!parseInt(args[++i], 1, 100, v))
                return usageError("bench eval: --reps must be in 1..100");
            p.repetitions = static_cast<int>(v);
        } else if (a == "--no-random") {
            p.randomModel = false;
        } else {
            return usageError("bench eval: unknown option or missing value: " + a);
        }
    }
    if (p.storiesModel.empty())
        std::fprintf(stderr,
                     "note: no stories260K (set CWB_SHARED or pass --model): row skipped\n");
    const auto r = cwb::bench::runEvalBench(p, cliJob());
    std::fprintf(stderr, "\n");
    std::printf(
        "bench eval: pp%lld and tg%lld tokens/s, %d threads, best of %d (llama-bench's method)\n",
        static_cast<long long>(r.promptTokens), static_cast<long long>(r.genTokens), r.threads,
        p.repetitions);
    std::printf("%-18s %8s %10s | %10s %10s %6s | %10s %10s %6s | %8s %8s\n", "model", "params",
                "weights", "pp tok/s", "llama.cpp", "ratio", "tg tok/s", "llama.cpp", "ratio",
                "pp GF/s", "tg GB/s");
    for (const auto &row : r.rows)
        std::printf(
            "%-18s %7.1fM %7.1f MiB | %10.1f %10.1f %6s | %10.1f %10.1f %6s | %8.1f %8.1f\n",
            row.name.c_str(), row.parameters / 1e6, row.weightBytes / 1048576.0, row.prefillTokPerS,
            row.llamaPrefillTokPerS, ratio(row.prefillTokPerS, row.llamaPrefillTokPerS).c_str(),
            row.decodeTokPerS, row.llamaDecodeTokPerS,
            ratio(row.decodeTokPerS, row.llamaDecodeTokPerS).c_str(), row.prefillGflops,
            row.decodeGBps);
    std::printf("machine  triad %.1f GB/s (llama.cpp's run: %.1f), sgemm %.1f GFLOP/s at n=%d "
                "(llama.cpp's run: %.0f), %d threads, this run\n",
                r.host.triadGBps, r.llamaTriadGBps, r.host.sgemmGflops, r.host.sgemmBestSize,
                r.llamaGemmGflops, r.host.threads);
    return 0;
}

int cmdBenchAnalyze(const std::vector<std::string> &args)
{
    cwb::bench::AnalyzeBenchParams p;
    bool noLapack = false;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string &a = args[i];
        const bool hasValue = i + 1 < args.size();
        int64_t v = 0;
        auto size = [&](const char *what, int64_t lo, int64_t hi, int64_t &out) {
            if (!parseInt(args[++i], lo, hi, v))
                return usageError(std::string("bench analyze: ") + what + " must be in "
                                  + std::to_string(lo) + ".." + std::to_string(hi));
            out = v;
            return 0;
        };
        int rc = 0;
        if (a == "--dtype" && hasValue) {
            const std::string d = args[++i];
            if (d == "f32")
                p.dtype = cwb::DType::F32;
            else if (d == "f16")
                p.dtype = cwb::DType::F16;
            else if (d == "bf16")
                p.dtype = cwb::DType::BF16;
            else
                return usageError("bench analyze: --dtype must be f32, f16 or bf16");
        } else if (a == "--dim" && hasValue) {
            rc = size("--dim", 16, 65536, p.dim);
        } else if (a == "--hidden" && hasValue) {
            rc = size("--hidden", 16, 65536, p.hidden);
        } else if (a == "--svd-dim" && hasValue) {
            rc = size("--svd-dim", 2, 16384, p.svdDim);
        } else if (a == "--no-lapack") {
            noLapack = true;
        } else if (a == "--layers" && hasValue) {
            int64_t layers = 0;
            rc = size("--layers", 0, 1024, layers);
            p.layers = static_cast<int>(layers);
        } else {
            return usageError("bench analyze: unknown option or missing value: " + a);
        }
        if (rc != 0)
            return rc;
    }
    if (!noLapack)
        p.referenceSvd = lapackReferenceSvd(p.referenceName);
    const auto r = cwb::bench::runAnalyzeBench(p, cliJob());
    std::fprintf(stderr, "\n");
    std::printf("bench analyze: generated heavy-tailed %s tensors, Llama-7B shapes\n",
                r.dtype.c_str());
    std::printf("triad        %.2f GB/s (STREAM-style, same run)\n", r.triadGBps);
    std::printf("%-13s %7s | %-19s | %-19s | %-19s %7s\n", "tensor", "MiB", "stats alone",
                "histogram alone", "stats + histogram", "/triad");
    double worst = 1e30;
    for (const auto &row : r.throughput) {
        const double share = r.triadGBps > 0 ? 100.0 * row.fusedGBps / r.triadGBps : 0.0;
        worst = std::min(worst, share);
        std::printf("%-13s %7.1f | %7.4f s %5.2f GB/s | %7.4f s %5.2f GB/s | %7.4f s %5.2f GB/s "
                    "%6.0f%%\n",
                    row.shape.c_str(), row.bytes / 1048576.0, row.statsSeconds, row.statsGBps,
                    row.histogramSeconds, row.histogramGBps, row.fusedSeconds, row.fusedGBps,
                    share);
    }
    std::printf("spectrum     %lld x %lld: %.2f s (%s, with derived ranks and power-law fit; "
                "stable rank %.1f, alpha %.2f)\n",
                static_cast<long long>(r.svdDim), static_cast<long long>(r.svdDim),
                r.spectrumSeconds, r.spectrumMethod.c_str(), r.stableRank, r.alpha);
    if (r.referenceSeconds > 0)
        std::printf("vs LAPACK    same matrix: %s %.2f s; ours / LAPACK = %s, max |diff| / "
                    "sigma_1 = %.1e\n",
                    p.referenceName.c_str(), r.referenceSeconds,
                    ratio(r.spectrumSeconds, r.referenceSeconds).c_str(), r.maxRelativeDiff);
    else
        std::printf("vs LAPACK    not measured (%s)\n",
                    noLapack ? "--no-lapack" : "no LAPACKE in this build");
    std::printf("memory       %lld tensors (%.0f MiB, largest %.0f MiB) analysed in %.1f s; VmHWM "
                "%.0f -> %.0f MiB (RSS before %.0f MiB)\n",
                static_cast<long long>(r.stackTensors), r.stackBytes / 1048576.0,
                r.largestTensorBytes / 1048576.0, r.stackSeconds, r.hwmBeforeMiB, r.hwmAfterMiB,
                r.rssBeforeMiB);
    std::printf("targets      stats+histogram >= 50%% of triad: %s; spectrum <= 1.0x LAPACK: %s\n",
                worst >= 50 ? "met" : "MISSED",
                r.referenceSeconds <= 0                   ? "not measured"
                : r.spectrumSeconds <= r.referenceSeconds ? "met"
                                                          : "MISSED");
    return 0;
}

int cmdBenchCompress(const std::vector<std::string> &args)
{
    cwb::bench::CompressBenchParams p;
    bool customShapes = false, customHessianShapes = false, noHessian = false;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string &a = args[i];
        const bool hasValue = i + 1 < args.size();
        int64_t v = 0;
        if (a == "--shape" && hasValue) {
            const std::string shape = args[++i];
            const size_t x = shape.find('x');
            int64_t rows = 0, cols = 0;
            if (x == std::string::npos || !parseInt(shape.substr(0, x), 1, int64_t{1} << 20, rows)
                || !parseInt(shape.substr(x + 1), 1, int64_t{1} << 20, cols))
                return usageError("bench compress: --shape must be RxC with R, C in 1..1048576");
            if (!customShapes)
                p.shapes.clear();
            customShapes = true;
            p.shapes.push_back({rows, cols});
        } else if (a == "--reps" && hasValue) {
            if (!parseInt(args[++i], 1, 100, v))
                return usageError("bench compress: --reps must be in 1..100");
            p.repeats = static_cast<int>(v);
        } else if (a == "--no-reference") {
            p.reference = false;
        } else if (a == "--hessian-shape" && hasValue) {
            const std::string shape = args[++i];
            const size_t x = shape.find('x');
            int64_t rows = 0, cols = 0;
            if (x == std::string::npos || !parseInt(shape.substr(0, x), 1, int64_t{1} << 20, rows)
                || !parseInt(shape.substr(x + 1), 128, 16384, cols) || cols % 128 != 0)
                return usageError("bench compress: --hessian-shape must be RxC with R in "
                                  "1..1048576 and C a multiple of 128 in 128..16384");
            if (!customHessianShapes)
                p.hessianShapes.clear();
            customHessianShapes = true;
            p.hessianShapes.push_back({rows, cols});
        } else if (a == "--tokens" && hasValue) {
            if (!parseInt(args[++i], 1, int64_t{1} << 24, v))
                return usageError("bench compress: --tokens must be in 1..16777216");
            p.tokens = v;
        } else if (a == "--hessian-reps" && hasValue) {
            if (!parseInt(args[++i], 1, 100, v))
                return usageError("bench compress: --hessian-reps must be in 1..100");
            p.hessianRepeats = static_cast<int>(v);
        } else if (a == "--no-hessian") {
            noHessian = true;
        } else {
            return usageError("bench compress: unknown option or missing value: " + a);
        }
    }
    if (noHessian)
        p.hessianShapes.clear();
    const auto r = cwb::bench::runCompressBench(p, cliJob());
    std::fprintf(stderr, "\n");
    std::printf("bench compress: fast paths on %d threads, best of %d; GB/s of float32 input\n",
                r.threads, p.repeats);
    std::printf("%-12s %-12s %9s %8s %7s | %9s %8s | %7s %8s\n", "shape", "method", "fast ms",
                "GB/s", "/triad", "ref ms", "speedup", "bits/w", "rel RMS");
    for (const auto &row : r.rows) {
        const std::string shape = std::to_string(row.rows) + "x" + std::to_string(row.cols);
        const double share = r.triadGBps > 0 ? 100.0 * row.inputGBps / r.triadGBps : 0.0;
        const bool ref = row.referenceSeconds > 0;
        char refMs[32] = "-";
        if (ref)
            std::snprintf(refMs, sizeof refMs, "%.1f", row.referenceSeconds * 1e3);
        std::printf("%-12s %-12s %9.1f %8.2f %6.0f%% | %9s %8s | %7.3f %8.4f\n", shape.c_str(),
                    row.name.c_str(), row.seconds * 1e3, row.inputGBps, share, refMs,
                    ref ? ratio(row.referenceSeconds, row.seconds).c_str() : "-",
                    row.bitsPerWeight, row.relRmsError);
    }
    std::printf("triad        %.2f GB/s (STREAM-style, same run)\n", r.triadGBps);
    if (r.hessian.empty())
        return 0;
    std::printf("\nHessian methods: W ~ N(0, 0.02^2), H = X^T X (double) of correlated generated "
                "activations; best of %d; GFLOP/s of the flops counted as in "
                "core/bench/compress_bench.h\n",
                p.hessianRepeats);
    std::printf("GEMM peak    double %lldx%lldx%lld, same run, %d threads: %.2f GFLOP/s split as "
                "the methods split theirs (oneTBB over 16-row blocks, Eigen's serial GEMM per "
                "block), %.2f GFLOP/s one row panel per thread; %.2f GFLOP/s on 1 thread\n",
                static_cast<long long>(r.gemmSize), static_cast<long long>(r.gemmSize),
                static_cast<long long>(r.gemmSize), r.threads, r.gemmGflops, r.gemmGflopsPanels,
                r.gemmGflopsOneThread);
    auto share = [](double gflops, double peak) {
        char buf[16] = "-";
        if (peak > 0)
            std::snprintf(buf, sizeof buf, "%.0f%%", 100.0 * gflops / peak);
        return std::string(buf);
    };
    // Every step against the two parallel peaks (the preparation's Cholesky is serial, its
    // triangular inverse parallel).
    auto rate = [&](const std::string &shape, const std::string &step, double seconds,
                    double flops, bool serial) {
        const double g = flops / seconds / 1e9;
        std::printf("%-10s %-26s %9.3f %8.1f %8.2f %7s %7s |", shape.c_str(), step.c_str(),
                    seconds, flops / 1e9, g,
                    share(g, serial ? r.gemmGflopsOneThread : r.gemmGflops).c_str(),
                    share(g, serial ? r.gemmGflopsOneThread : r.gemmGflopsPanels).c_str());
    };
    std::printf("%-10s %-26s %9s %8s %8s %7s %7s | %9s  %-14s %8s %9s\n", "shape", "step",
                "seconds", "GFLOP", "GFLOP/s", "/peak", "/panels", "rel out", "baseline",
                "seconds", "rel out");
    for (const auto &hs : r.hessian) {
        const std::string shape = std::to_string(hs.rows) + "x" + std::to_string(hs.cols);
        rate(shape, "X^T X (" + std::to_string(hs.tokens) + " tokens)", hs.hessianSeconds,
             hs.hessianFlops, false);
        std::printf("\n");
        rate(shape, "H preparation", hs.prepSeconds, hs.prepFlops, false);
        std::printf("\n");
        for (const auto &m : hs.methods) {
            rate(shape, m.name, m.seconds, m.flops, false);
            std::printf(" %9.4f  %-14s %8.3f %9.4f", m.relOutputError, m.baseline.c_str(),
                        m.baselineSeconds, m.baselineRelOutputError);
            if (m.sparsity > 0)
                std::printf("  (%.1f%% zeros)", 100.0 * m.sparsity);
            std::printf("\n");
            // The method minus the separately timed preparation: its parallel block updates.
            // Shown only where it is well above the noise of two separate timings.
            const double restSeconds = m.seconds - hs.prepSeconds;
            if (restSeconds >= 0.2 * m.seconds) {
                rate(shape, "  minus preparation", restSeconds, m.flops - m.prepFlops, false);
                std::printf("\n");
            }
        }
    }
    std::printf("rel out = sqrt(tr(D H D^T) / tr(W H W^T)), D = W - W'; /peak and /panels: of the "
                "16-row-split and the panel-split GEMM peak\n");
    return 0;
}

int cmdBench(const std::vector<std::string> &args)
{
    if (args.empty())
        return usageError("bench: name a benchmark (open, eval, analyze, compress)");
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    if (args[0] == "open")
        return cmdBenchOpen(rest);
    if (args[0] == "eval")
        return cmdBenchEval(rest);
    if (args[0] == "analyze")
        return cmdBenchAnalyze(rest);
    if (args[0] == "compress")
        return cmdBenchCompress(rest);
    return usageError("bench: unknown benchmark '" + args[0] + "'");
}

int cmdAnalyze(const std::vector<std::string> &args)
{
    std::string modelPath, projectPath;
    cwb::ModelAnalysisParams p;
    bool json = false;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string &a = args[i];
        const bool hasValue = i + 1 < args.size();
        int64_t v = 0;
        if (a == "--project" && hasValue) {
            projectPath = args[++i];
        } else if (a == "--calib" && hasValue) {
            p.calibrationText = args[++i];
        } else if (a == "--spectra") {
            p.spectra = true;
        } else if (a == "--hessians") {
            p.activations.collectHessians = true;
        } else if (a == "--sequences" && hasValue) {
            if (!parseInt(args[++i], 1, int64_t{1} << 20, v))
                return usageError("analyze: --sequences must be a positive integer");
            p.activations.sequences = v;
        } else if (a == "--seq-len" && hasValue) {
            if (!parseInt(args[++i], 2, int64_t{1} << 20, v))
                return usageError("analyze: --seq-len must be an integer >= 2");
            p.activations.tokensPerSequence = v;
        } else if (a == "--threads" && hasValue) {
            if (!parseInt(args[++i], 0, 1024, v))
                return usageError("analyze: --threads must be in 0..1024 (0 = all cores)");
            p.threads = static_cast<int>(v);
            p.activations.threads = static_cast<int>(v);
        } else if (a == "--json") {
            json = true;
        } else if (a.starts_with("-")) {
            return usageError("analyze: unknown option or missing value: " + a);
        } else if (modelPath.empty()) {
            modelPath = a;
        } else {
            return usageError("analyze: more than one model given");
        }
    }
    if (modelPath.empty())
        return usageError("analyze: no model given");
    if (projectPath.empty())
        return usageError("analyze: --project OUT.cwbproj is required");
    if (p.activations.collectHessians && p.calibrationText.empty())
        return usageError("analyze: --hessians needs --calib FILE");
    const cwb::Model model = cwb::io::openModel(modelPath);
    cwb::ModelAnalysis analysis = cwb::analyzeModel(model, p, cliJob());
    std::fprintf(stderr, "\n");
    const cwb::Project project = cwb::makeProject(model, std::move(analysis), p);
    cwb::writeProject(projectPath, project);
    std::cout << (json ? cwb::analysisJson(project, projectPath)
                       : cwb::analysisText(project, projectPath));
    return 0;
}

// The whole of a small text file (a recipe, already size-checked by readRecipeFile).
std::string readTextFile(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        cwb::throwIn(path, "cannot open");
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

int cmdCompress(const std::vector<std::string> &args)
{
    std::string modelPath, recipePath, calibPath, outPath;
    bool dryRun = false, json = false;
    int threads = 0;
    int64_t sequences = 0, seqLen = 0;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string &a = args[i];
        const bool hasValue = i + 1 < args.size();
        int64_t v = 0;
        if (a == "--plan" && hasValue)
            recipePath = args[++i];
        else if (a == "--calib" && hasValue)
            calibPath = args[++i];
        else if (a == "--out" && hasValue)
            outPath = args[++i];
        else if (a == "--threads" && hasValue) {
            if (!parseInt(args[++i], 0, 1024, v))
                return usageError("compress: --threads must be in 0..1024 (0 = all cores)");
            threads = static_cast<int>(v);
        } else if (a == "--sequences" && hasValue) {
            if (!parseInt(args[++i], 1, int64_t{1} << 20, v))
                return usageError("compress: --sequences must be a positive integer");
            sequences = v;
        } else if (a == "--seq-len" && hasValue) {
            if (!parseInt(args[++i], 2, int64_t{1} << 20, v))
                return usageError("compress: --seq-len must be an integer >= 2");
            seqLen = v;
        }
        else if (a == "--dry-run")
            dryRun = true;
        else if (a == "--json")
            json = true;
        else if (a.starts_with("-"))
            return usageError("compress: unknown option or missing value: " + a);
        else if (modelPath.empty())
            modelPath = a;
        else
            return usageError("compress: more than one model given");
    }
    if (modelPath.empty())
        return usageError("compress: no model given");
    if (recipePath.empty())
        return usageError("compress: --plan RECIPE.json is required");
    if (!dryRun && outPath.empty())
        return usageError("compress: --out OUT.cwbarchive is required (or --dry-run)");
    if (!calibPath.empty() && !std::ifstream(calibPath).good())
        cwb::throwIn(calibPath, "cannot open the calibration text");
    const cwb::ParsedRecipe recipe = cwb::readRecipeFile(recipePath);
    const cwb::Model model = cwb::io::openModel(modelPath);
    cwb::PlanOptions options;
    options.calibration = !calibPath.empty();
    const cwb::Plan plan = cwb::resolvePlan(recipe, model, options);
    // The text report lists warnings itself; elsewhere they go to stderr.
    if (json || !plan.valid())
        for (const auto &w : plan.warnings)
            std::cerr << "cwb: warning: " << w.text() << "\n";
    cwb::requireValidPlan(plan);
    if (dryRun) {
        std::cout << (json ? cwb::planJson(plan) : cwb::planText(plan));
        return 0;
    }
    cwb::CompressParams cp;
    cp.calibrationPath = calibPath;
    cp.threads = threads;
    cp.calibration.threads = threads;
    if (sequences > 0)
        cp.calibration.sequences = sequences;
    if (seqLen > 0)
        cp.calibration.tokensPerSequence = seqLen;
    cp.recipeJson = readTextFile(recipePath);
    const cwb::CompressedModel result = cwb::compressModel(model, plan, cp, cliJob());
    std::fprintf(stderr, "\n");
    cwb::writeArchive(outPath, result, cliJob());
    std::fprintf(stderr, "\n");
    std::cout << (json ? cwb::compressionJson(result, outPath)
                       : cwb::compressionText(result, outPath));
    return 0;
}

int cmdInspect(const std::vector<std::string> &args)
{
    std::string path;
    bool json = false;
    for (const auto &a : args) {
        if (a == "--json")
            json = true;
        else if (a.starts_with("--"))
            return usageError("inspect: unknown option " + a);
        else if (path.empty())
            path = a;
        else
            return usageError("inspect: more than one model given");
    }
    if (path.empty())
        return usageError("inspect: no model given");
    if (cwb::isArchive(path)) {
        const cwb::CompressedModel archive = cwb::readArchive(path);
        std::cout << (json ? cwb::compressionJson(archive, path)
                           : cwb::compressionText(archive, path));
        return 0;
    }
    const cwb::Model model = cwb::io::openModel(path);
    std::cout << (json ? cwb::inspectJson(model) : cwb::inspectText(model));
    return 0;
}

} // namespace

int main(int argc, char **argv)
{
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
        std::cout << kUsage;
        return args.empty() ? 2 : 0;
    }
    if (args[0] == "--version") {
        std::cout << "cwb " << CWB_VERSION << "\n";
        return 0;
    }
    const std::string cmd = args[0];
    args.erase(args.begin());
    try {
        std::signal(SIGINT, onSigint);
        if (cmd == "inspect")
            return cmdInspect(args);
        if (cmd == "analyze")
            return cmdAnalyze(args);
        if (cmd == "bench")
            return cmdBench(args);
        if (cmd == "eval")
            return cmdEval(args);
        if (cmd == "compress")
            return cmdCompress(args);
        if (cmd == "generate")
            return cmdGenerate(args);
        return usageError("unknown command '" + cmd + "'");
    } catch (const cwb::Cancelled &) {
        std::cerr << "\ncwb: cancelled\n";
        return 130;
    } catch (const cwb::Error &e) {
        std::cerr << "cwb: error: " << e.what() << "\n";
        return 1;
    } catch (const std::exception &e) {
        std::cerr << "cwb: internal error: " << e.what() << "\n";
        return 3;
    }
}
