// SPDX-License-Identifier: MIT
#pragma once
// The engine of `cwb bench analyze`: how fast tensor analysis runs on Llama-7B-shaped weights.
// Everything is generated in memory (heavy-tailed random values: a sum of four uniforms with one
// value in 256 scaled 16x, from a counter-based hash, in parallel), nothing is written to disk.
//   - stats + histogram: tensorStatsWithHistogram (both in two streamed passes) on a
//     4096 x 4096 and an 11008 x 4096 tensor, and tensorStats / tensorHistogram alone; GB/s of
//     stored bytes, next to a STREAM-style triad measured in the same run (target: stats +
//     histogram >= 50 % of triad);
//   - spectrum: the full spectrum of a `svdDim`^2 matrix (tensorSpectrum: singular values and
//     every derived quantity) and, on the same matrix, the reference SVD (`referenceSvd`:
//     LAPACK's dgesdd, singular values only, in the cwb executable; cwb_core does not link
//     LAPACK) as a time ratio (target <= 1.0x) with the largest singular-value difference;
//   - memory: a 7B-shaped layer stack (`layers` x q, k, v, o 4096 x 4096, gate, up 11008 x 4096,
//     down 4096 x 11008), each tensor generated on demand by Tensor::loader, analysed one after
//     the other (tensorStatsWithHistogram); VmHWM before and after shows the peak stays near one
//     tensor plus results. This part runs first, so earlier parts cannot raise the peak.

#include "formats/dtype.h"
#include "jobs/job_context.h"

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace cwb::bench {

// Singular values (any order) of a row-major rows x cols float matrix.
using ReferenceSvd
    = std::function<std::vector<double>(std::span<const float> matrix, int64_t rows, int64_t cols)>;

struct AnalyzeBenchParams {
    DType dtype = DType::F32; // generated tensors: F32, F16 or BF16
    int64_t dim = 4096; // model width
    int64_t hidden = 11008; // FFN width
    // spectrum part; Debian's reference LAPACK + BLAS (one thread) needs 1-4 min for dgesdd at
    // 4096, depending on the machine's load
    int64_t svdDim = 4096;
    int layers = 8; // memory part: layers of the 7B stack (32 for the full model)
    uint64_t triadBytes = 768ull << 20;
    int triadRepeats = 5;
    int repeats = 2; // stats/histogram timings: best of
    uint64_t seed = 1;
    ReferenceSvd referenceSvd; // empty: no reference column
    std::string referenceName; // "LAPACKE_dgesdd (reference LAPACK 3.11)"
};

struct ThroughputRow {
    std::string shape; // "4096 x 4096"
    double bytes = 0; // stored bytes of the tensor
    double statsSeconds = 0, histogramSeconds = 0; // tensorStats, tensorHistogram alone
    double fusedSeconds = 0; // tensorStatsWithHistogram: both in two passes
    double statsGBps = 0, histogramGBps = 0, fusedGBps = 0;
};

struct AnalyzeBenchResult {
    std::string dtype;
    double triadGBps = 0;
    std::vector<ThroughputRow> throughput;

    int64_t svdDim = 0;
    double spectrumSeconds = 0; // tensorSpectrum, svdDim^2, read + SVD + derived + fit
    std::string spectrumMethod; // "Gram eigenvalues" or "BDCSVD"
    double stableRank = 0, alpha = 0; // of that matrix (sanity: keeps the work observable)
    double referenceSeconds = 0; // the reference on the same matrix; 0: none
    double maxRelativeDiff = 0; // max_i |ours_i - ref_i| / ref_0

    int64_t stackTensors = 0;
    double stackBytes = 0; // all tensors of the stack together
    double largestTensorBytes = 0;
    double stackSeconds = 0;
    double hwmBeforeMiB = 0, hwmAfterMiB = 0, rssBeforeMiB = 0;
};

// Throws cwb::Error for bad parameters and cwb::Cancelled when ctx's flag is set.
[[nodiscard]] AnalyzeBenchResult runAnalyzeBench(const AnalyzeBenchParams &params,
                                                 const JobContext &ctx = {});

} // namespace cwb::bench
