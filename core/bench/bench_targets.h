// SPDX-License-Identifier: MIT
#pragma once
// The targets `cwb bench` judges its figures against, and the verdicts: one place for the
// pass/fail decisions, apart from how they are printed (bench/bench_report.h).

#include "bench/analyze_bench.h"
#include "bench/open_bench.h"
#include "bench/quantize_side_by_side.h"

namespace cwb::bench {

enum class Verdict { Met, Missed, NotMeasured };
[[nodiscard]] const char *verdictText(Verdict v); // "met", "MISSED", "not measured"

// Opening a model reads headers only: it must be quick and must not grow RSS with the model.
inline constexpr double kOpenTargetSeconds = 0.05;
inline constexpr double kOpenRssGrowthTargetMiB = 50;

struct OpenBenchVerdicts {
    Verdict open = Verdict::NotMeasured;      // openSeconds < kOpenTargetSeconds
    Verdict rssGrowth = Verdict::NotMeasured; // rssGrowthOpenMiB < kOpenRssGrowthTargetMiB
};
[[nodiscard]] OpenBenchVerdicts openBenchVerdicts(const OpenBenchResult &r);

// Statistics + histogram in one pass must stream at half the machine's memory bandwidth at
// least; the full spectrum must be no slower than LAPACK's dgesdd on the same matrix.
inline constexpr double kStatsTriadShareTargetPct = 50;

struct AnalyzeBenchVerdicts {
    // min over the throughput rows of 100 * fusedGBps / triadGBps (0 where the triad is 0);
    // +infinity without rows.
    double worstTriadSharePct = 0;
    Verdict statsHistogram = Verdict::NotMeasured; // worst share >= kStatsTriadShareTargetPct
    Verdict spectrum = Verdict::NotMeasured;       // NotMeasured without a reference timing
};
[[nodiscard]] AnalyzeBenchVerdicts analyzeBenchVerdicts(const AnalyzeBenchResult &r);

// Our ggml k-quant quantizer against llama-quantize on the same tensors (issue 10, part 5):
// no slower than this many times its time.
inline constexpr double kQuantizeTimeRatioTarget = 1.5;

struct QuantizeSideBySideVerdict {
    Verdict time = Verdict::NotMeasured; // oursSeconds <= target x llamaSeconds
};
[[nodiscard]] QuantizeSideBySideVerdict
quantizeSideBySideVerdict(const QuantizeSideBySideResult &r);

// Throughput as a share of the triad in percent; 0 when the triad was not measured.
[[nodiscard]] double triadSharePct(double gbps, double triadGBps);

} // namespace cwb::bench
