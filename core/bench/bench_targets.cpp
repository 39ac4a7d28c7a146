// SPDX-License-Identifier: MIT
#include "bench/bench_targets.h"

#include <algorithm>
#include <limits>

namespace cwb::bench {

const char *verdictText(Verdict v)
{
    switch (v) {
    case Verdict::Met: return "met";
    case Verdict::Missed: return "MISSED";
    case Verdict::NotMeasured: return "not measured";
    }
    return "?";
}

double triadSharePct(double gbps, double triadGBps)
{
    return triadGBps > 0 ? 100.0 * gbps / triadGBps : 0.0;
}

namespace {
Verdict verdict(bool met)
{
    return met ? Verdict::Met : Verdict::Missed;
}
} // namespace

OpenBenchVerdicts openBenchVerdicts(const OpenBenchResult &r)
{
    return {verdict(r.openSeconds < kOpenTargetSeconds),
            verdict(r.rssGrowthOpenMiB < kOpenRssGrowthTargetMiB)};
}

AnalyzeBenchVerdicts analyzeBenchVerdicts(const AnalyzeBenchResult &r)
{
    AnalyzeBenchVerdicts v;
    v.worstTriadSharePct = std::numeric_limits<double>::infinity();
    for (const auto &row : r.throughput)
        v.worstTriadSharePct =
            std::min(v.worstTriadSharePct, triadSharePct(row.fusedGBps, r.triadGBps));
    v.statsHistogram = verdict(v.worstTriadSharePct >= kStatsTriadShareTargetPct);
    if (r.referenceSeconds > 0)
        v.spectrum = verdict(r.spectrumSeconds <= r.referenceSeconds);
    return v;
}

QuantizeSideBySideVerdict quantizeSideBySideVerdict(const QuantizeSideBySideResult &r)
{
    QuantizeSideBySideVerdict v;
    if (r.llamaSeconds > 0 && r.oursSeconds > 0)
        v.time = verdict(r.oursSeconds <= kQuantizeTimeRatioTarget * r.llamaSeconds);
    return v;
}

} // namespace cwb::bench
