// SPDX-License-Identifier: MIT
#include "bench/compress_bench.h"
#include "bench/bench_util.h"

#include "analysis/activation_accumulate.h"
#include "bench/open_bench.h"
#include "compress/gptq.h"
#include "compress/obs_common.h"
#include "compress/output_error.h"
#include "compress/pruning.h"
#include "compress/quant_methods.h"
#include "compress/sparsegpt.h"
#include "formats/dtype.h"
#include "formats/ggml_quantize.h"
#include "host/gemm_peak.h"
#include "host/triad.h"
#include "tensor/dequantize.h"
#include "util/error.h"

#include <Eigen/Core>
#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/info.h>
#include <oneapi/tbb/parallel_for.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <numeric>
#include <random>
#include <span>
#include <string>

namespace cwb::bench {
namespace {

// The outcome of one of our quantizers: the packed tensor kept alive by the reconstructor.
CompressBenchOutcome outcomeOf(QuantizedTensor q)
{
    auto held = std::make_shared<QuantizedTensor>(std::move(q));
    return {held->storedBytes(), [held] { return held->dequantize(); }};
}

CompressBenchCase quantCase(std::string name, QuantParams p)
{
    return {std::move(name),
            [p](const float *w, int64_t rows, int64_t cols, const JobContext &job) {
                return outcomeOf(quantize(w, rows, cols, p, job));
            },
            [p](const float *w, int64_t rows, int64_t cols, const JobContext &) {
                return outcomeOf(quantizeReference(w, rows, cols, p));
            }};
}

CompressBenchOutcome ggmlOutcome(DType type, std::vector<std::byte> bytes, int64_t rows,
                                 int64_t cols)
{
    auto held = std::make_shared<std::vector<std::byte>>(std::move(bytes));
    return {held->size(), [held, type, rows, cols] {
                std::vector<float> out(static_cast<size_t>(rows * cols));
                convertToFloat(type, *held, out);
                return out;
            }};
}

CompressBenchCase ggmlCase(std::string name, DType type)
{
    return {std::move(name),
            [type](const float *w, int64_t rows, int64_t cols, const JobContext &job) {
                return ggmlOutcome(type, ggmlQuantizeRows(type, w, rows, cols, nullptr, job), rows,
                                   cols);
            },
            [type](const float *w, int64_t rows, int64_t cols, const JobContext &job) {
                const auto rowBytes = storageBytes(type, static_cast<uint64_t>(cols));
                if (!rowBytes)
                    throwIn("bench compress",
                            "row length does not fit " + std::string(dtypeName(type)));
                std::vector<std::byte> out(static_cast<size_t>(*rowBytes * uint64_t(rows)));
                for (int64_t r = 0; r < rows; ++r) {
                    job.checkCancelled();
                    ggmlQuantizeRowReference(type, w + r * cols,
                                             out.data() + uint64_t(r) * *rowBytes, cols, nullptr);
                }
                return ggmlOutcome(type, std::move(out), rows, cols);
            }};
}

// N(0, 0.02^2), generated in parallel from per-chunk seeds so the values do not depend on the
// thread count.
std::vector<float> generateWeights(int64_t rows, int64_t cols, uint64_t seed)
{
    const size_t n = static_cast<size_t>(rows * cols);
    std::vector<float> w(n);
    constexpr size_t chunk = size_t(1) << 16;
    tbb::parallel_for(tbb::blocked_range<size_t>(0, (n + chunk - 1) / chunk), [&](const auto &r) {
        for (size_t c = r.begin(); c != r.end(); ++c) {
            std::mt19937_64 rng(seed * 0x9e3779b97f4a7c15ull + c);
            std::normal_distribution<float> normal(0.0f, 0.02f);
            const size_t end = std::min(n, (c + 1) * chunk);
            for (size_t i = c * chunk; i < end; ++i)
                w[i] = normal(rng);
        }
    });
    return w;
}

double relRmsError(const std::vector<float> &w, const std::vector<float> &r)
{
    double num = 0, den = 0;
    for (size_t i = 0; i < w.size(); ++i) {
        const double d = double(w[i]) - double(r[i]);
        num += d * d;
        den += double(w[i]) * double(w[i]);
    }
    return den > 0 ? std::sqrt(num / den) : 0.0;
}

// ---- Hessian methods (see the header for the data, the FLOP model and the peak) ----

using RowMatrixD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

constexpr const char *kWhere = "bench compress";
constexpr int64_t kFactors = 16;      // shared low-rank factors of the activations
constexpr int64_t kTokenChunk = 256;  // tokens per generator seed
constexpr int64_t kMethodBlock = 128; // GPTQ's and SparseGPT's blockSize here
constexpr double kDamp = 0.01;        // both methods' default

// The calibration activations X [tokens x cols] of the header: per-chunk seeds, so the values do
// not depend on the thread count.
std::vector<float> generateActivations(int64_t tokens, int64_t cols, uint64_t seed)
{
    const uint64_t base = seed * 0xbf58476d1ce4e5b9ull + 0x94d049bb133111ebull;
    std::mt19937_64 rng(base);
    std::normal_distribution<double> normal(0.0, 1.0);
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    std::vector<float> scale(static_cast<size_t>(cols));
    for (float &s : scale) {
        const double outlier = uniform(rng) < 1.0 / 256.0 ? 8.0 : 1.0;
        s = float(std::exp(0.5 * normal(rng)) * outlier);
    }
    std::vector<float> a(static_cast<size_t>(cols * kFactors)); // a_j: row j
    for (float &v : a)
        v = float(normal(rng) / std::sqrt(double(kFactors)));
    std::vector<float> x(static_cast<size_t>(tokens * cols));
    const float half = float(std::sqrt(0.5));
    const int64_t chunks = (tokens + kTokenChunk - 1) / kTokenChunk;
    tbb::parallel_for(tbb::blocked_range<int64_t>(0, chunks), [&](const auto &r) {
        for (int64_t c = r.begin(); c != r.end(); ++c) {
            std::mt19937_64 crng(base + 0x9e3779b97f4a7c15ull * uint64_t(c + 1));
            std::normal_distribution<float> n01(0.0f, 1.0f);
            float z[kFactors];
            for (int64_t t = c * kTokenChunk; t < std::min(tokens, (c + 1) * kTokenChunk); ++t) {
                for (float &v : z)
                    v = n01(crng);
                float *row = x.data() + t * cols;
                for (int64_t j = 0; j < cols; ++j) {
                    const float *aj = a.data() + j * kFactors;
                    float shared = 0.0f;
                    for (int64_t k = 0; k < kFactors; ++k)
                        shared += aj[k] * z[k];
                    row[j] = scale[size_t(j)] * (half * shared + half * n01(crng));
                }
            }
        }
    });
    return x;
}

double preparationFlops(int64_t n)
{
    const double d = double(n);
    return (1.0 / 3.0 + 1.0 / 3.0) * d * d * d;
}

// Lazy-update GEMMs over blocks of `block` columns, plus the in-block updates when every row does
// them (GPTQ).
double blockUpdateFlops(int64_t rows, int64_t cols, int64_t block, bool inBlockEveryRow)
{
    double f = 0;
    for (int64_t i1 = 0; i1 < cols; i1 += block) {
        const int64_t i2 = std::min(i1 + block, cols), b = i2 - i1;
        if (inBlockEveryRow)
            f += double(rows) * double(b) * double(b - 1);
        if (i2 < cols)
            f += 2.0 * double(rows) * double(b) * double(cols - i2);
    }
    return f;
}

// SparseGPT's in-block updates: only pruned weights (e != 0) update the block's later columns.
double prunedInBlockFlops(const std::vector<uint8_t> &pruned, int64_t rows, int64_t cols,
                          int64_t block)
{
    int64_t count = 0;
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t j = 0; j < cols; ++j)
            if (pruned[size_t(r * cols + j)])
                count += std::min((j / block + 1) * block, cols) - j - 1;
    return 2.0 * double(count);
}

double zeroFraction(const std::vector<float> &w)
{
    return double(std::count(w.begin(), w.end(), 0.0f)) / double(w.size());
}

std::string shapeName(int64_t rows, int64_t cols)
{
    return std::to_string(rows) + "x" + std::to_string(cols);
}

HessianBenchShape runHessianShape(const CompressBenchShape &shape,
                                  const CompressBenchParams &params, const JobContext &ctx,
                                  const std::function<void(const std::string &)> &step)
{
    const int64_t rows = shape.rows, cols = shape.cols;
    const std::string tag = shapeName(rows, cols);
    // H and the preparation's copies take ~6 x 8 cols^2 bytes: 16384 columns are 12 GiB.
    if (rows <= 0 || cols <= 0 || cols > 16384 || rows > (int64_t(1) << 32) / cols)
        throwIn(kWhere, "bad Hessian shape " + std::to_string(rows) + " x "
                            + std::to_string(cols) + " (cols at most 16384)");
    if (cols % 128 != 0)
        throwIn(kWhere, "Hessian shape " + tag + ": cols must be a multiple of 128 (GPTQ's group)");
    const int64_t tokens = params.tokens > 0 ? params.tokens : std::max<int64_t>(2048, 2 * cols);
    if (tokens > (int64_t(1) << 32) / cols)
        throwIn(kWhere, "Hessian shape " + tag + ": " + std::to_string(tokens)
                            + " tokens of calibration activations exceed 2^32 values");
    const int reps = std::max(1, params.hessianRepeats);

    HessianBenchShape out;
    out.rows = rows;
    out.cols = cols;
    out.tokens = tokens;

    step("calibration data " + tag);
    const std::vector<float> w = generateWeights(rows, cols, params.seed);
    std::vector<float> x = generateActivations(tokens, cols, params.seed);
    ctx.checkCancelled();

    step("X^T X " + tag);
    std::vector<double> h(static_cast<size_t>(cols * cols), 0.0);
    {
        const auto t0 = Clock::now();
        analysis::accumulateHessian(x.data(), tokens, cols, h);
        analysis::symmetrizeFromLower(h, cols);
        out.hessianSeconds = secondsSince(t0);
    }
    out.hessianFlops = double(tokens) * double(cols) * double(cols + 1);
    out.hessianGflops = out.hessianFlops / out.hessianSeconds / 1e9;
    std::vector<float>().swap(x);
    ctx.checkCancelled();

    step("Hessian preparation " + tag);
    {
        const auto t0 = Clock::now();
        const obsdetail::PreparedHessian ph =
            obsdetail::prepareHessian(kWhere, h.data(), cols, tokens, kDamp, true, ctx);
        out.prepSeconds = secondsSince(t0);
    }
    out.prepFlops = preparationFlops(cols);
    out.prepGflops = out.prepFlops / out.prepSeconds / 1e9;
    const double energyW = hessianForm(w.data(), nullptr, rows, cols, h.data(), ctx);
    if (!(energyW > 0))
        throwIn(kWhere, "Hessian shape " + tag + ": tr(W H W^T) is not positive");
    auto relError = [&](const std::vector<float> &approx) {
        return std::sqrt(hessianForm(w.data(), approx.data(), rows, cols, h.data(), ctx)
                         / energyW);
    };

    step("gptq " + tag);
    {
        GptqParams gp;
        gp.bits = 4;
        gp.group = 128;
        gp.sym = true;
        gp.damp = kDamp;
        gp.actOrder = true;
        gp.blockSize = int(kMethodBlock);
        HessianBenchMethod m;
        m.name = "gptq w4 g128 act-order";
        m.seconds = 1e30;
        QuantizedTensor q;
        for (int rep = 0; rep < reps; ++rep) {
            q = {};
            const auto t0 = Clock::now();
            q = gptqQuantize(w.data(), rows, cols, h.data(), tokens, gp, ctx);
            m.seconds = std::min(m.seconds, secondsSince(t0));
        }
        const std::vector<float> wq = q.dequantize();
        q = {};
        // gptq.cpp rounds the block up to the group only for lazy (non-act-order) group scales.
        const int64_t block = gp.actOrder || gp.group == 0
                                  ? int64_t(gp.blockSize)
                                  : (gp.blockSize + gp.group - 1) / gp.group * gp.group;
        m.prepFlops = preparationFlops(cols);
        m.flops = m.prepFlops + blockUpdateFlops(rows, cols, block, true);
        m.gflops = m.flops / m.seconds / 1e9;
        m.relOutputError = relError(wq);

        const RtnParams rp = rtnGridOf(gp.bits, gp.sym, gp.group, gp.f16Scales);
        m.baseline = "rtn w4 g128";
        const auto t0 = Clock::now();
        const QuantizedTensor rq = quantizeRtn(w.data(), rows, cols, rp, ctx);
        m.baselineSeconds = secondsSince(t0);
        m.baselineRelOutputError = relError(rq.dequantize());
        out.methods.push_back(std::move(m));
    }

    step("sparsegpt " + tag);
    {
        SparseGptParams sp;
        sp.sparsity = 0.5;
        sp.blockSize = int(kMethodBlock);
        sp.damp = kDamp;
        HessianBenchMethod m;
        m.name = "sparsegpt 50%";
        m.seconds = 1e30;
        SparseGptResult pr;
        for (int rep = 0; rep < reps; ++rep) {
            pr = {};
            const auto t0 = Clock::now();
            pr = sparseGptPrune(w.data(), rows, cols, h.data(), tokens, sp, ctx);
            m.seconds = std::min(m.seconds, secondsSince(t0));
        }
        // Unstructured SparseGPT keeps the column order (no act-order permutation).
        m.prepFlops = preparationFlops(cols);
        m.flops = m.prepFlops + blockUpdateFlops(rows, cols, sp.blockSize, false)
                  + prunedInBlockFlops(pr.pruned, rows, cols, sp.blockSize);
        m.gflops = m.flops / m.seconds / 1e9;
        m.relOutputError = relError(pr.weights);
        m.sparsity = zeroFraction(pr.weights);
        pr = {};

        PruneParams pp;
        pp.sparsity = sp.sparsity;
        m.baseline = "magnitude 50%";
        const auto t0 = Clock::now();
        const PruneResult mag = pruneMagnitude(std::span<const float>(w), rows, cols, pp, ctx);
        m.baselineSeconds = secondsSince(t0);
        m.baselineRelOutputError = relError(mag.weights);
        out.methods.push_back(std::move(m));
    }
    return out;
}

} // namespace

std::vector<CompressBenchCase> defaultCompressBenchCases()
{
    return {
        quantCase("rtn w4 g128", RtnParams{}),
        quantCase("nf4 b64", Nf4Params{}),
        quantCase("fp8_e4m3", Fp8Params{}),
        // per output channel: one pass (the per-tensor scale needs the whole tensor's absmax
        // before the first code, so the row above reads its input twice)
        quantCase("fp8_e4m3 channel", Fp8Params{.granularity = Granularity::PerChannel}),
        ggmlCase("q4_k (ggml)", DType::Q4_K),
    };
}

CompressBenchResult runCompressBench(const CompressBenchParams &params, const JobContext &ctx)
{
    CompressBenchResult res;
    res.threads = tbb::info::default_concurrency();
    // Progress steps: every case of every shape, the triad, the GEMM peak, 5 per Hessian shape.
    const size_t steps = params.shapes.size() * params.cases.size() + 1
                         + (params.hessianShapes.empty() ? 0 : 1 + 5 * params.hessianShapes.size());
    size_t step = 0;
    for (const CompressBenchShape &shape : params.shapes) {
        // Up to 2^32 weights (16 GiB of float32 input): beyond that the run is a typo.
        if (shape.rows <= 0 || shape.cols <= 0 || shape.rows > (int64_t(1) << 32) / shape.cols)
            throwIn("bench compress", "bad shape " + std::to_string(shape.rows) + " x "
                                          + std::to_string(shape.cols));
        const std::vector<float> w = generateWeights(shape.rows, shape.cols, params.seed);
        const double inputBytes = double(w.size()) * sizeof(float);
        for (const CompressBenchCase &c : params.cases) {
            const std::string label =
                c.name + " " + std::to_string(shape.rows) + "x" + std::to_string(shape.cols);
            ctx.report(double(step++) / double(steps), label);
            CompressBenchRow row;
            row.name = c.name;
            row.rows = shape.rows;
            row.cols = shape.cols;
            CompressBenchOutcome last;
            row.seconds = 1e30;
            for (int rep = 0; rep < std::max(1, params.repeats); ++rep) {
                last = {}; // free the previous result before timing the next
                const auto t0 = Clock::now();
                last = c.run(w.data(), shape.rows, shape.cols, ctx);
                row.seconds = std::min(row.seconds, secondsSince(t0));
            }
            row.inputGBps = inputBytes / row.seconds / 1e9;
            row.storedBytes = last.storedBytes;
            row.bitsPerWeight = double(last.storedBytes) * 8.0 / double(w.size());
            row.relRmsError = relRmsError(w, last.reconstruct());
            last = {};
            if (params.reference && c.reference) {
                const auto t0 = Clock::now();
                const CompressBenchOutcome ref = c.reference(w.data(), shape.rows, shape.cols, ctx);
                row.referenceSeconds = secondsSince(t0);
                if (ref.storedBytes != row.storedBytes)
                    throwIn("bench compress", c.name + ": the reference stores "
                                                  + std::to_string(ref.storedBytes)
                                                  + " bytes, the fast path "
                                                  + std::to_string(row.storedBytes));
            }
            ctx.checkCancelled();
            res.rows.push_back(std::move(row));
        }
    }
    ctx.report(double(step++) / double(steps), "triad");
    res.triadGBps =
        host::measureTriadGBps(params.triadBytes / (3 * sizeof(double)), params.triadRepeats);

    if (!params.llamaQuantizePath.empty()) {
        QuantizeSideBySideParams q;
        q.llamaQuantizePath = params.llamaQuantizePath;
        q.threads = res.threads;
        q.repeats = std::max(1, params.repeats);
        q.tempParent = params.tempParent;
        q.seed = params.seed;
        const JobContext quiet {nullptr, ctx.cancelFlag};
        ctx.report(double(step) / double(steps), "llama-quantize side by side");
        res.llamaQuantize = runQuantizeSideBySide(q, quiet);
    }

    if (!params.hessianShapes.empty()) {
        if (params.gemmSize < 16 || params.gemmSize > 16384)
            throwIn(kWhere, "GEMM size " + std::to_string(params.gemmSize)
                                + " is outside 16..16384");
        ctx.report(double(step++) / double(steps), "GEMM peak");
        res.gemmSize = params.gemmSize;
        const auto gemm = [&](host::GemmSplit split) {
            return host::measureGemmGflops(params.gemmSize, params.gemmRepeats, split, res.threads,
                                     ctx);
        };
        res.gemmGflops = gemm(host::GemmSplit::Rows16);
        res.gemmGflopsPanels = gemm(host::GemmSplit::Panels);
        res.gemmGflopsOneThread = gemm(host::GemmSplit::OneThread);
        const auto progress = [&](const std::string &what) {
            ctx.report(double(std::min(step++, steps)) / double(steps), what);
        };
        for (const CompressBenchShape &shape : params.hessianShapes)
            res.hessian.push_back(runHessianShape(shape, params, ctx, progress));
    }
    ctx.report(1.0, "done");
    return res;
}

} // namespace cwb::bench
