// SPDX-License-Identifier: MIT
#include "bench/compress_bench.h"
#include "bench/bench_util.h"

#include "bench/open_bench.h"
#include "compress/ggml_quantize.h"
#include "compress/quant_methods.h"
#include "tensor/dequantize.h"
#include "tensor/dtype.h"
#include "util/error.h"

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/info.h>
#include <oneapi/tbb/parallel_for.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
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

} // namespace

std::vector<CompressBenchCase> defaultCompressBenchCases()
{
    return {
        quantCase("rtn w4 g128", RtnParams{}),
        quantCase("nf4 b64", Nf4Params{}),
        quantCase("fp8_e4m3", Fp8Params{}),
        ggmlCase("q4_k (ggml)", DType::Q4_K),
    };
}

CompressBenchResult runCompressBench(const CompressBenchParams &params, const JobContext &ctx)
{
    CompressBenchResult res;
    res.threads = tbb::info::default_concurrency();
    const size_t steps = params.shapes.size() * params.cases.size();
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
    ctx.report(1.0, "triad");
    res.triadGBps =
        measureTriadGBps(params.triadBytes / (3 * sizeof(double)), params.triadRepeats);
    return res;
}

} // namespace cwb::bench
