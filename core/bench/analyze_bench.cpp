// SPDX-License-Identifier: MIT
#include "bench/analyze_bench.h"
#include "bench/bench_util.h"

#include "analysis/histogram.h"
#include "analysis/matrix_view.h"
#include "analysis/spectrum.h"
#include "analysis/tensor_stats.h"
#include "bench/open_bench.h"
#include "formats/float_formats.h"
#include "host/memory_status.h"
#include "host/triad.h"
#include "tensor/tensor.h"
#include "util/error.h"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>

namespace cwb::bench {
namespace {


uint64_t splitmix(uint64_t z)
{
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

// Value i of stream `seed`: four 14-bit uniforms summed (bell-shaped, std 1 after scaling),
// one value in 256 (top byte zero) scaled 16x: a heavy tail like real weights' outliers.
float heavyValue(uint64_t seed, uint64_t i)
{
    const uint64_t h = splitmix(seed * 0xD1B54A32D192ED03ull + i);
    const uint64_t m = (1u << 14) - 1;
    const float sum
        = static_cast<float>((h & m) + ((h >> 14) & m) + ((h >> 28) & m) + ((h >> 42) & m));
    const float unit = (sum / 16384.0f - 2.0f) * 1.7320508f; // variance of 4 U(0,1) is 1/3
    return (h >> 56) == 0 ? 16.0f * unit : unit;
}

size_t widthOf(DType t)
{
    return t == DType::F32 ? 4 : 2;
}

// numel values of stream `seed` (std 0.02 before outliers) encoded as `dtype`, in parallel.
std::vector<std::byte> generate(DType dtype, int64_t numel, uint64_t seed)
{
    const size_t width = widthOf(dtype);
    std::vector<std::byte> out(static_cast<size_t>(numel) * width);
    constexpr int64_t kChunk = int64_t {1} << 16, kBatch = 4096;
    tbb::parallel_for(int64_t {0}, (numel + kChunk - 1) / kChunk, [&](int64_t c) {
        float values[kBatch];
        uint16_t halves[kBatch];
        const int64_t end = std::min(numel, (c + 1) * kChunk);
        for (int64_t b = c * kChunk; b < end; b += kBatch) {
            const int64_t n = std::min(kBatch, end - b);
            for (int64_t i = 0; i < n; ++i) // a plain loop over the counter: vectorised
                values[i] = 0.02f * heavyValue(seed, static_cast<uint64_t>(b + i));
            std::byte *dst = out.data() + static_cast<size_t>(b) * width;
            if (dtype == DType::F32) {
                std::memcpy(dst, values, static_cast<size_t>(n) * 4);
                continue;
            }
            for (int64_t i = 0; i < n; ++i)
                halves[i] = dtype == DType::F16 ? floatToFp16(values[i]) : floatToBf16(values[i]);
            std::memcpy(dst, halves, static_cast<size_t>(n) * 2);
        }
    });
    return out;
}

Tensor inMemoryTensor(const std::string &name, int64_t rows, int64_t cols, DType dtype,
                      uint64_t seed)
{
    auto bytes = std::make_shared<std::vector<std::byte>>(generate(dtype, rows * cols, seed));
    Tensor t;
    t.name = name;
    t.dtype = dtype;
    t.shape = {rows, cols};
    t.byteSize = bytes->size();
    t.data = std::span<const std::byte>(*bytes);
    t.keepAlive = bytes;
    return t;
}

// A tensor whose bytes exist only while a reader holds what `loader` returned.
Tensor lazyTensor(const std::string &name, int64_t rows, int64_t cols, DType dtype, uint64_t seed)
{
    Tensor t;
    t.name = name;
    t.dtype = dtype;
    t.shape = {rows, cols};
    t.byteSize = static_cast<uint64_t>(rows * cols) * widthOf(dtype);
    t.loader = [=] { return generate(dtype, rows * cols, seed); };
    return t;
}

void validate(const AnalyzeBenchParams &p)
{
    if (p.dtype != DType::F32 && p.dtype != DType::F16 && p.dtype != DType::BF16)
        throw Error("bench analyze: dtype must be F32, F16 or BF16");
    if (p.dim < 16 || p.hidden < 16 || p.dim > 65536 || p.hidden > 65536)
        throw Error("bench analyze: dim and hidden must be in 16..65536");
    if (p.svdDim < 2 || p.svdDim > 16384)
        throw Error("bench analyze: svdDim must be in 2..16384");
    if (p.layers < 0 || p.layers > 1024 || p.repeats < 1 || p.triadRepeats < 1)
        throw Error("bench analyze: layers in 0..1024, repeats >= 1");
}

} // namespace

AnalyzeBenchResult runAnalyzeBench(const AnalyzeBenchParams &p, const JobContext &ctx)
{
    validate(p);
    AnalyzeBenchResult r;
    r.dtype = std::string(dtypeInfo(p.dtype).name);
    const JobContext quiet {nullptr, ctx.cancelFlag};

    // 1. Memory: the layer stack, one lazily generated tensor at a time.
    {
        // Reset the high-water mark where the kernel allows it ("5" > clear_refs), so the
        // figure is this part's peak and not the process's start-up.
        std::ofstream("/proc/self/clear_refs") << "5";
        r.hwmBeforeMiB = host::peakRssMiB();
        r.rssBeforeMiB = host::currentRssMiB();
        const struct {
            const char *name;
            int64_t rows, cols;
        } shapes[] = {{"attn_q", p.dim, p.dim},      {"attn_k", p.dim, p.dim},
                      {"attn_v", p.dim, p.dim},      {"attn_output", p.dim, p.dim},
                      {"ffn_gate", p.hidden, p.dim}, {"ffn_up", p.hidden, p.dim},
                      {"ffn_down", p.dim, p.hidden}};
        std::vector<TensorStats> kept;
        std::vector<Histogram> histograms;
        const auto start = Clock::now();
        const int total = p.layers * 7;
        for (int l = 0; l < p.layers; ++l)
            for (int k = 0; k < 7; ++k) {
                const auto &s = shapes[k];
                const Tensor t = lazyTensor("blk." + std::to_string(l) + "." + s.name, s.rows,
                                            s.cols, p.dtype, p.seed + 100 + 7 * l + k);
                histograms.emplace_back();
                kept.push_back(tensorStatsWithHistogram(t, matrixView(t, ModelFormat::Gguf), {}, {},
                                                        histograms.back(), quiet));
                r.stackBytes += static_cast<double>(t.byteSize);
                r.largestTensorBytes
                    = std::max(r.largestTensorBytes, static_cast<double>(t.byteSize));
                ctx.report(0.3 * (l * 7 + k + 1) / std::max(total, 1), "layer stack: " + t.name);
            }
        r.stackSeconds = secondsSince(start);
        r.stackTensors = total;
        r.hwmAfterMiB = host::peakRssMiB();
    }

    // 2. Statistics + histogram throughput against the triad.
    r.triadGBps = host::measureTriadGBps(p.triadBytes / 24, p.triadRepeats);
    for (const auto &[rows, cols] : {std::pair {p.dim, p.dim}, std::pair {p.hidden, p.dim}}) {
        ctx.checkCancelled();
        const Tensor t = inMemoryTensor("w", rows, cols, p.dtype, p.seed + 7);
        const MatrixView view = matrixView(t, ModelFormat::Gguf);
        ThroughputRow row;
        row.shape = std::to_string(rows) + " x " + std::to_string(cols);
        row.bytes = static_cast<double>(t.byteSize);
        row.statsSeconds = row.histogramSeconds = row.fusedSeconds = 1e30;
        for (int rep = 0; rep < p.repeats; ++rep) {
            auto t0 = Clock::now();
            const TensorStats s = tensorStats(t, view, {}, quiet);
            row.statsSeconds = std::min(row.statsSeconds, secondsSince(t0));
            t0 = Clock::now();
            const Histogram h = tensorHistogram(t, {}, quiet);
            row.histogramSeconds = std::min(row.histogramSeconds, secondsSince(t0));
            t0 = Clock::now();
            Histogram fused;
            (void)tensorStatsWithHistogram(t, view, {}, {}, fused, quiet);
            row.fusedSeconds = std::min(row.fusedSeconds, secondsSince(t0));
            if (s.finite != h.finite || fused.counts != h.counts)
                throw Error("bench analyze: statistics and histogram disagree");
        }
        row.statsGBps = row.bytes / row.statsSeconds / 1e9;
        row.histogramGBps = row.bytes / row.histogramSeconds / 1e9;
        row.fusedGBps = row.bytes / row.fusedSeconds / 1e9;
        r.throughput.push_back(row);
        ctx.report(0.4, "statistics " + row.shape);
    }

    // 3. The spectrum, and the reference SVD of the same matrix.
    {
        ctx.checkCancelled();
        const Tensor t = inMemoryTensor("svd", p.svdDim, p.svdDim, p.dtype, p.seed + 11);
        const auto t0 = Clock::now();
        const Spectrum s = tensorSpectrum(t, matrixView(t, ModelFormat::Gguf), {}, quiet);
        r.spectrumSeconds = secondsSince(t0);
        r.svdDim = p.svdDim;
        r.spectrumMethod = s.method == SvdMethod::Gram ? "Gram eigenvalues" : "BDCSVD";
        r.stableRank = s.stableRank;
        r.alpha = s.powerLaw.alpha;
        if (p.referenceSvd) {
            ctx.checkCancelled();
            ctx.report(0.6, "reference SVD (" + p.referenceName + ")");
            const std::vector<float> w = t.toFloat();
            const auto t1 = Clock::now();
            std::vector<double> ref = p.referenceSvd(w, p.svdDim, p.svdDim);
            r.referenceSeconds = secondsSince(t1);
            std::sort(ref.begin(), ref.end(), std::greater<>());
            if (ref.size() != s.singularValues.size())
                throw Error("bench analyze: the reference SVD returned " + std::to_string(ref.size())
                            + " values, expected " + std::to_string(s.singularValues.size()));
            for (size_t i = 0; i < ref.size(); ++i)
                r.maxRelativeDiff = std::max(r.maxRelativeDiff,
                                             std::abs(s.singularValues[i] - ref[i]) / ref[0]);
        }
    }
    ctx.report(1.0, "done");
    return r;
}

} // namespace cwb::bench
