// SPDX-License-Identifier: MIT
#pragma once
// The engine of `cwb bench open`: how fast a large sharded safetensors model opens and streams.
// It writes a Llama-shaped model (BF16 or F16, random-ish values, several shards) into a fresh
// temporary directory, then measures
//   - open: wall time of io::openModel on the index, and VmRSS growth across it (headers only:
//     should be tiny whatever the model size);
//   - convert: every tensor read from the mapping and converted to float32, TBB-parallel over
//     fixed-size chunks with one reused buffer per task, so memory stays bounded — GB/s counts
//     stored (input) bytes. The files were just written, so this reads from the page cache unless
//     `dropPageCache` asks the kernel to evict them first;
//   - triad: a STREAM-style a[i] = b[i] + s*c[i] over three double arrays far larger than cache,
//     TBB-parallel, best of `triadRepeats`, counting 3 arrays * 8 bytes per element: the machine's
//     memory bandwidth, the ceiling the conversion is judged against.
// The temporary directory is removed on return, also when an error or cancellation stops the run.

#include "formats/dtype.h"
#include "jobs/job_context.h"

#include <cstdint>
#include <string>

namespace cwb::bench {

struct OpenBenchParams {
    uint64_t modelBytes = 2ull << 30;   // target size of the generated model (tensor bytes)
    DType dtype = DType::BF16;          // BF16 or F16
    int shards = 4;                     // number of shard files (at least 1)
    std::string tempParent;             // where the temp directory goes; empty = system temp dir
    uint64_t triadBytes = 768ull << 20; // total size of the three triad arrays
    int triadRepeats = 5;
    bool dropPageCache = false; // fsync + POSIX_FADV_DONTNEED before opening (cold read)
    uint64_t seed = 1;
};

struct OpenBenchResult {
    // the generated model
    uint64_t modelBytes = 0; // tensor bytes actually written
    int64_t tensors = 0;
    int64_t parameters = 0;
    int shards = 0;
    int64_t dim = 0, layers = 0;
    double writeSeconds = 0;
    // opening it
    double openSeconds = 0;
    double rssBeforeOpenMiB = 0;
    double rssAfterOpenMiB = 0;
    double rssGrowthOpenMiB = 0;
    // streaming every tensor to float32
    double convertSeconds = 0;
    double convertGBps = 0;        // input bytes / convertSeconds / 1e9
    double rssAfterConvertMiB = 0; // includes the mapped file pages the conversion touched
    double checksum = 0;           // sum of all converted values (keeps the work observable)
    // memory bandwidth in the same run
    double triadGBps = 0;
    double triadSeconds = 0; // best single pass
};

// Throws cwb::Error on I/O failure and cwb::Cancelled when the context asks to stop.
[[nodiscard]] OpenBenchResult runOpenBench(const OpenBenchParams &params,
                                           const JobContext &ctx = {});

} // namespace cwb::bench
