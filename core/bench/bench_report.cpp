// SPDX-License-Identifier: MIT
#include "bench/bench_report.h"

#include "bench/bench_targets.h"
#include "util/cpu_features.h"

#include <cstdarg>
#include <cstdio>

namespace cwb::bench {
namespace {

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
void appendf(std::string &out, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    va_list copy;
    va_copy(copy, args);
    const int n = std::vsnprintf(nullptr, 0, format, copy);
    va_end(copy);
    if (n > 0) {
        const size_t at = out.size();
        out.resize(at + size_t(n) + 1);
        std::vsnprintf(out.data() + at, size_t(n) + 1, format, args);
        out.resize(at + size_t(n));
    }
    va_end(args);
}

// "1.23x", or "-" without a comparison figure.
std::string ratio(double ours, double theirs)
{
    if (theirs <= 0)
        return "-";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2fx", ours / theirs);
    return buf;
}

std::string shapeText(int64_t rows, int64_t cols)
{
    return std::to_string(rows) + "x" + std::to_string(cols);
}

// "42%", or "-" without a peak.
std::string share(double gflops, double peak)
{
    char buf[16] = "-";
    if (peak > 0)
        std::snprintf(buf, sizeof buf, "%.0f%%", 100.0 * gflops / peak);
    return buf;
}

} // namespace

std::string openBenchText(const OpenBenchParams &p, const OpenBenchResult &r)
{
    std::string out;
    appendf(out,
            "model       %.0f MiB in %d shards, %lld tensors, %lld parameters (dim %lld, %lld "
            "layers), written in %.1f s\n",
            r.modelBytes / 1048576.0, r.shards, static_cast<long long>(r.tensors),
            static_cast<long long>(r.parameters), static_cast<long long>(r.dim),
            static_cast<long long>(r.layers), r.writeSeconds);
    appendf(out, "open        %.2f ms, RSS growth %.1f MiB (%.1f -> %.1f MiB)\n",
            r.openSeconds * 1e3, r.rssGrowthOpenMiB, r.rssBeforeOpenMiB, r.rssAfterOpenMiB);
    appendf(out, "convert     %.2f s, %.2f GB/s of stored bytes to float32%s\n", r.convertSeconds,
            r.convertGBps,
            p.dropPageCache ? " (page cache dropped first)" : " (from page cache)");
    appendf(out, "triad       %.2f GB/s (STREAM-style, same run); convert / triad = %.0f%%\n",
            r.triadGBps, triadSharePct(r.convertGBps, r.triadGBps));
    const OpenBenchVerdicts v = openBenchVerdicts(r);
    appendf(out, "targets     open < %.0f ms: %s; RSS growth < %.0f MiB: %s\n",
            kOpenTargetSeconds * 1e3, verdictText(v.open), kOpenRssGrowthTargetMiB,
            verdictText(v.rssGrowth));
    return out;
}

namespace {

// The side-by-side table: llama-bench and our engine on the same files, same run.
std::string sideBySideText(const EvalBenchParams &p, const EvalBenchResult &r)
{
    std::string out;
    appendf(out,
            "bench eval --llama-bench: pp%lld and tg%lld tokens/s, %d threads, same files, same "
            "run, mean of %d runs each after a warm-up (llama-bench's avg_ts; ours: %s "
            "activations)\n",
            static_cast<long long>(r.promptTokens), static_cast<long long>(r.genTokens),
            r.threads, p.repetitions, p.intActivations ? "integer (Q8)" : "float");
    std::string command;
    for (const auto &a : r.llamaBenchCommand)
        command += (command.empty() ? "" : " ") + a;
    appendf(out, "llama.cpp: %s (per file, just before ours on it)\n", command.c_str());
    appendf(out, "files: %s\n", r.filesNote.c_str());
    const std::string pp = "pp" + std::to_string(r.promptTokens);
    const std::string tg = "tg" + std::to_string(r.genTokens);
    appendf(out, "| %-9s | %11s | %10s | %6s | %11s | %10s | %6s | %7s | %7s | %6s |\n", "file",
            ("llama " + pp).c_str(), ("ours " + pp).c_str(), "ratio", ("llama " + tg).c_str(),
            ("ours " + tg).c_str(), "ratio", "MiB", "tg GB/s", "/triad");
    out += "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n";
    const auto figure = [](double v, bool measured) {
        char buf[32] = "-";
        if (measured)
            std::snprintf(buf, sizeof buf, "%.1f", v);
        return std::string(buf);
    };
    for (const auto &row : r.rows) {
        const double gbps = double(row.decodeBytesPerToken) * row.decodeTokPerSMean / 1e9;
        appendf(out,
                "| %-9s | %11s | %10.1f | %6s | %11s | %10.1f | %6s | %7.1f | %7.2f | %5.0f%% |\n",
                row.name.c_str(), figure(row.llamaPrefillTokPerS, row.llamaMeasured).c_str(),
                row.prefillTokPerSMean,
                ratio(row.prefillTokPerSMean, row.llamaPrefillTokPerS).c_str(),
                figure(row.llamaDecodeTokPerS, row.llamaMeasured).c_str(), row.decodeTokPerSMean,
                ratio(row.decodeTokPerSMean, row.llamaDecodeTokPerS).c_str(),
                row.weightBytes / 1048576.0, gbps, triadSharePct(gbps, r.host.triadGBps));
    }
    appendf(out,
            "machine  triad %.1f GB/s, sgemm %.1f GFLOP/s at n=%d, %d threads, this run; "
            "ratio = ours / llama.cpp; tg GB/s = weight bytes read per token x tokens/s\n",
            r.host.triadGBps, r.host.sgemmGflops, r.host.sgemmBestSize, r.host.threads);
    return out;
}

} // namespace

std::string evalBenchText(const EvalBenchParams &p, const EvalBenchResult &r)
{
    if (!p.llamaBenchPath.empty())
        return sideBySideText(p, r);
    std::string out;
    appendf(out,
            "bench eval: pp%lld and tg%lld tokens/s, %d threads, best of %d (llama-bench's "
            "method), %s activations\n",
            static_cast<long long>(r.promptTokens), static_cast<long long>(r.genTokens),
            r.threads, p.repetitions, p.intActivations ? "integer (Q8)" : "float");
    appendf(out, "%-18s %8s %10s | %10s %10s %6s | %10s %10s %6s | %8s %8s\n", "model", "params",
            "weights", "pp tok/s", "llama.cpp", "ratio", "tg tok/s", "llama.cpp", "ratio",
            "pp GF/s", "tg GB/s");
    for (const auto &row : r.rows)
        appendf(out,
                "%-18s %7.1fM %7.1f MiB | %10.1f %10.1f %6s | %10.1f %10.1f %6s | %8.1f %8.1f\n",
                row.name.c_str(), row.parameters / 1e6, row.weightBytes / 1048576.0,
                row.prefillTokPerS, row.llamaPrefillTokPerS,
                ratio(row.prefillTokPerS, row.llamaPrefillTokPerS).c_str(), row.decodeTokPerS,
                row.llamaDecodeTokPerS, ratio(row.decodeTokPerS, row.llamaDecodeTokPerS).c_str(),
                row.prefillGflops, row.decodeGBps);
    appendf(out,
            "machine  triad %.1f GB/s (llama.cpp's run: %.1f), sgemm %.1f GFLOP/s at n=%d "
            "(llama.cpp's run: %.0f), %d threads, this run\n",
            r.host.triadGBps, r.llamaTriadGBps, r.host.sgemmGflops, r.host.sgemmBestSize,
            r.llamaGemmGflops, r.host.threads);
    return out;
}

std::string analyzeBenchText(const AnalyzeBenchParams &p, const AnalyzeBenchResult &r,
                             const std::string &noReferenceReason)
{
    std::string out;
    appendf(out, "bench analyze: generated heavy-tailed %s tensors, Llama-7B shapes\n",
            r.dtype.c_str());
    appendf(out, "kernels      %s\n", kernelLevelDescription().c_str());
    appendf(out, "triad        %.2f GB/s (STREAM-style, same run)\n", r.triadGBps);
    appendf(out, "%-13s %7s | %-19s | %-19s | %-19s %7s\n", "tensor", "MiB", "stats alone",
            "histogram alone", "stats + histogram", "/triad");
    for (const auto &row : r.throughput)
        appendf(out,
                "%-13s %7.1f | %7.4f s %5.2f GB/s | %7.4f s %5.2f GB/s | %7.4f s %5.2f GB/s "
                "%6.0f%%\n",
                row.shape.c_str(), row.bytes / 1048576.0, row.statsSeconds, row.statsGBps,
                row.histogramSeconds, row.histogramGBps, row.fusedSeconds, row.fusedGBps,
                triadSharePct(row.fusedGBps, r.triadGBps));
    appendf(out,
            "spectrum     %lld x %lld: %.2f s (%s, with derived ranks and power-law fit; "
            "stable rank %.1f, alpha %.2f)\n",
            static_cast<long long>(r.svdDim), static_cast<long long>(r.svdDim),
            r.spectrumSeconds, r.spectrumMethod.c_str(), r.stableRank, r.alpha);
    if (r.referenceSeconds > 0)
        appendf(out,
                "vs LAPACK    same matrix: %s %.2f s; ours / LAPACK = %s, max |diff| / "
                "sigma_1 = %.1e\n",
                p.referenceName.c_str(), r.referenceSeconds,
                ratio(r.spectrumSeconds, r.referenceSeconds).c_str(), r.maxRelativeDiff);
    else
        appendf(out, "vs LAPACK    not measured (%s)\n", noReferenceReason.c_str());
    appendf(out,
            "memory       %lld tensors (%.0f MiB, largest %.0f MiB) analysed in %.1f s; VmHWM "
            "%.0f -> %.0f MiB (RSS before %.0f MiB)\n",
            static_cast<long long>(r.stackTensors), r.stackBytes / 1048576.0,
            r.largestTensorBytes / 1048576.0, r.stackSeconds, r.hwmBeforeMiB, r.hwmAfterMiB,
            r.rssBeforeMiB);
    const AnalyzeBenchVerdicts v = analyzeBenchVerdicts(r);
    appendf(out,
            "targets      stats+histogram >= %.0f%% of triad: %s; spectrum <= 1.0x LAPACK: %s\n",
            kStatsTriadShareTargetPct, verdictText(v.statsHistogram), verdictText(v.spectrum));
    return out;
}

std::string quantizeSideBySideText(const QuantizeSideBySideResult &q, int repeats)
{
    std::string out;
    appendf(out,
            "\nllama-quantize side by side: %s, same tensors (one-layer random llama, F32 GGUF: "
            "%lld matrices, %.1fM weights, %.0f MiB), best of %d each\n",
            q.type.c_str(), static_cast<long long>(q.matrices), double(q.weights) / 1e6,
            q.inputMiB, repeats);
    appendf(out, "llama-quantize %8.2f s  its \"quantize time\": read, quantize, write; "
                 "quant size %.2f MiB\n",
            q.llamaSeconds, q.llamaMiB);
    appendf(out, "ours           %8.2f s  read + ggmlQuantizeRows, no write; matrices %.2f MiB\n",
            q.oursSeconds, q.oursMatrixMiB);
    const QuantizeSideBySideVerdict v = quantizeSideBySideVerdict(q);
    appendf(out, "ours / llama-quantize = %s (target <= %.1fx: %s); bytes identical in %lld of "
                 "%lld matrices%s%s\n",
            ratio(q.oursSeconds, q.llamaSeconds).c_str(), kQuantizeTimeRatioTarget,
            verdictText(v.time), static_cast<long long>(q.identicalMatrices),
            static_cast<long long>(q.matrices), q.firstDifference.empty() ? "" : "; first: ",
            q.firstDifference.c_str());
    appendf(out, "command        %s\n", q.command.c_str());
    return out;
}

std::string compressBenchText(const CompressBenchParams &p, const CompressBenchResult &r)
{
    std::string out;
    appendf(out, "bench compress: fast paths on %d threads, best of %d; GB/s of float32 input\n",
            r.threads, p.repeats);
    appendf(out, "kernels      %s\n", kernelLevelDescription().c_str());
    appendf(out, "%-12s %-16s %9s %8s %7s | %9s %8s | %7s %8s\n", "shape", "method", "fast ms",
            "GB/s", "/triad", "ref ms", "speedup", "bits/w", "rel RMS");
    for (const auto &row : r.rows) {
        const bool ref = row.referenceSeconds > 0;
        char refMs[32] = "-";
        if (ref)
            std::snprintf(refMs, sizeof refMs, "%.1f", row.referenceSeconds * 1e3);
        appendf(out, "%-12s %-16s %9.1f %8.2f %6.0f%% | %9s %8s | %7.3f %8.4f\n",
                shapeText(row.rows, row.cols).c_str(), row.name.c_str(), row.seconds * 1e3,
                row.inputGBps, triadSharePct(row.inputGBps, r.triadGBps), refMs,
                ref ? ratio(row.referenceSeconds, row.seconds).c_str() : "-", row.bitsPerWeight,
                row.relRmsError);
    }
    appendf(out, "triad        %.2f GB/s (STREAM-style, same run)\n", r.triadGBps);
    if (r.llamaQuantize)
        out += quantizeSideBySideText(*r.llamaQuantize, p.repeats);
    if (r.hessian.empty())
        return out;
    appendf(out,
            "\nHessian methods: W ~ N(0, 0.02^2), H = X^T X (double) of correlated generated "
            "activations; best of %d; GFLOP/s of the flops counted as in "
            "core/bench/compress_bench.h\n",
            p.hessianRepeats);
    appendf(out,
            "GEMM peak    double %lldx%lldx%lld, same run, %d threads: %.2f GFLOP/s split as "
            "the methods split theirs (oneTBB over 16-row blocks, Eigen's serial GEMM per "
            "block), %.2f GFLOP/s one row panel per thread; %.2f GFLOP/s on 1 thread\n",
            static_cast<long long>(r.gemmSize), static_cast<long long>(r.gemmSize),
            static_cast<long long>(r.gemmSize), r.threads, r.gemmGflops, r.gemmGflopsPanels,
            r.gemmGflopsOneThread);
    // Every step against the two parallel peaks.
    auto rate = [&](const std::string &shape, const std::string &step, double seconds,
                    double flops) {
        const double g = flops / seconds / 1e9;
        appendf(out, "%-10s %-26s %9.3f %8.1f %8.2f %7s %7s |", shape.c_str(), step.c_str(),
                seconds, flops / 1e9, g, share(g, r.gemmGflops).c_str(),
                share(g, r.gemmGflopsPanels).c_str());
    };
    appendf(out, "%-10s %-26s %9s %8s %8s %7s %7s | %9s  %-14s %8s %9s\n", "shape", "step",
            "seconds", "GFLOP", "GFLOP/s", "/peak", "/panels", "rel out", "baseline", "seconds",
            "rel out");
    for (const auto &hs : r.hessian) {
        const std::string shape = shapeText(hs.rows, hs.cols);
        rate(shape, "X^T X (" + std::to_string(hs.tokens) + " tokens)", hs.hessianSeconds,
             hs.hessianFlops);
        out += "\n";
        rate(shape, "H preparation", hs.prepSeconds, hs.prepFlops);
        out += "\n";
        for (const auto &m : hs.methods) {
            rate(shape, m.name, m.seconds, m.flops);
            appendf(out, " %9.4f  %-14s %8.3f %9.4f", m.relOutputError, m.baseline.c_str(),
                    m.baselineSeconds, m.baselineRelOutputError);
            if (m.sparsity > 0)
                appendf(out, "  (%.1f%% zeros)", 100.0 * m.sparsity);
            out += "\n";
            // The method minus the separately timed preparation: its parallel block updates.
            // Shown only where it is well above the noise of two separate timings.
            const double restSeconds = m.seconds - hs.prepSeconds;
            if (restSeconds >= 0.2 * m.seconds) {
                rate(shape, "  minus preparation", restSeconds, m.flops - m.prepFlops);
                out += "\n";
            }
        }
    }
    out += "rel out = sqrt(tr(D H D^T) / tr(W H W^T)), D = W - W'; /peak and /panels: of the "
           "16-row-split and the panel-split GEMM peak\n";
    return out;
}

} // namespace cwb::bench
