// SPDX-License-Identifier: MIT
#pragma once
// The engine of `cwb bench stream`: does analysing and compressing a model far larger than what
// a process may hold stay within a fixed memory budget? It writes a 7B-shaped Llama GGUF (F16,
// dim 4096, 32 layers, FFN 11008, vocabulary 32000: 13.5 GB) into a temporary directory as a
// sparse file - every `rowStride`-th row of every matrix holds random values, the rest is a
// hole, so the file costs little disk and little time to write but reads as the full size - then
//   - opens it (headers only),
//   - analyses it (statistics and histograms of every tensor, streamed block by block, no
//     spectra) and
//   - compresses every matrix with `method` through the pipeline into an archive, as
//     `cwb compress --out` does (tensors in parallel on `threads`, each written as it finishes
//     and dropped: pipeline/archive.h writeArchiveStreamed),
// and samples the process's memory every 20 ms through each phase: peak anonymous memory (what
// the process allocated: the streaming promise, target <= 2 GiB) and peak resident file pages
// (the mapped model pages the kernel has not reclaimed yet: page cache, not allocations), plus
// VmHWM. Nothing is timed against a target here; the figures are printed.

#include "jobs/job_context.h"

#include <cstdint>
#include <string>

namespace cwb::bench {

struct StreamBenchParams {
    int64_t dim = 4096;
    int64_t hidden = 11008;
    int64_t layers = 32;
    int64_t vocab = 32000;
    int64_t heads = 32;
    int64_t rowStride = 64;        // one row in rowStride holds values, the rest is a hole
    std::string method = "q8_0";   // the recipe method every matrix is compressed with
    int threads = 0;               // analysis and compression threads; 0 = all cores
    std::string tempParent;        // where the temp directory goes; empty = system temp dir
    uint64_t seed = 1;
    uint64_t budgetBytes = uint64_t{2} << 30; // the anonymous-memory target
    // The pipeline's working-memory budget for the tensors in flight
    // (CompressParams::memoryBudgetBytes): three quarters of the target, the rest left for the
    // mapped pages being read and the runtime.
    uint64_t memoryBudgetBytes = uint64_t{1536} << 20;
};

struct StreamPhase {
    double seconds = 0;
    double peakAnonMiB = 0; // RssAnon, sampled
    double peakFileMiB = 0; // RssFile, sampled
};

struct StreamBenchResult {
    uint64_t fileBytes = 0;      // apparent size of the generated GGUF
    uint64_t allocatedBytes = 0; // blocks the file really occupies
    int64_t parameters = 0;
    int64_t tensors = 0;
    StreamPhase write, open, analyze, compress;
    uint64_t storedBytes = 0;    // the compressed model's bytes (archive totals)
    uint64_t archiveBytes = 0;   // the archive file's size
    double vmHwmMiB = 0;         // the process's peak RSS at the end (anon + file pages)
};

// Throws cwb::Error (temp directory, disk full) or cwb::Cancelled.
[[nodiscard]] StreamBenchResult runStreamBench(const StreamBenchParams &params,
                                               const JobContext &job = {});

[[nodiscard]] std::string streamBenchText(const StreamBenchParams &params,
                                          const StreamBenchResult &result);

} // namespace cwb::bench
