// SPDX-License-Identifier: MIT
#pragma once
// The plain-text tables `cwb bench` prints: one function per benchmark, from its parameters
// and result to the finished text (every figure and target verdict of the run).

#include "bench/analyze_bench.h"
#include "bench/compress_bench.h"
#include "bench/eval_bench.h"
#include "bench/open_bench.h"

#include <string>

namespace cwb::bench {

[[nodiscard]] std::string openBenchText(const OpenBenchParams &p, const OpenBenchResult &r);
[[nodiscard]] std::string evalBenchText(const EvalBenchParams &p, const EvalBenchResult &r);
// `noReferenceReason` says why there is no LAPACK row when referenceSeconds is 0
// ("--no-lapack", "no LAPACKE in this build").
[[nodiscard]] std::string analyzeBenchText(const AnalyzeBenchParams &p,
                                           const AnalyzeBenchResult &r,
                                           const std::string &noReferenceReason);
// The llama-quantize side-by-side section of compressBenchText.
[[nodiscard]] std::string quantizeSideBySideText(const QuantizeSideBySideResult &q, int repeats);
[[nodiscard]] std::string compressBenchText(const CompressBenchParams &p,
                                            const CompressBenchResult &r);

} // namespace cwb::bench
