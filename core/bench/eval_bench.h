// SPDX-License-Identifier: MIT
#pragma once
// The engine of `cwb bench eval`: prefill (pp512) and decode (tg128) tokens/s measured the way
// llama-bench measures them (eval/throughput.h), for stories260K and for a generated random
// llama model of ~100M parameters (dim 768, 12 layers, 12 heads, 4 KV heads, hidden 2048,
// vocab 32000, context 1024 — the shape of llama.cpp's "random100M" in
// reference/llamacpp_figures.json) written as F32, Q8_0 and Q4_0 GGUF files into a temporary
// directory (removed on return, also on error or cancellation). The same run measures the
// machine's triad bandwidth and float32 GEMM rate, so every figure can be read against the
// ceilings it could reach and against llama.cpp's figures from the same machine type.

#include "eval/device_profile.h"
#include "formats/dtype.h"
#include "jobs/job_context.h"

#include <cstdint>
#include <string>
#include <vector>

namespace cwb::bench {

// The random model's shape; the defaults are llama.cpp's random100M.
struct RandomLlamaShape {
    int64_t dim = 768;
    int64_t layers = 12;
    int64_t heads = 12;
    int64_t kvHeads = 4;
    int64_t hidden = 2048;
    int64_t vocab = 32000;
    int64_t context = 1024;
    bool separateOutput = true; // llama.cpp's converter stores the tied classifier again
};

// Writes a llama GGUF with N(0, 0.02^2) matrices and unit norms. `matrixType` F32, Q8_0 or Q4_0
// (Q4_0 stores output.weight as Q6_K, as llama-quantize does); no tokenizer metadata — the engine
// runs on token ids. Returns the number of parameters.
int64_t writeRandomLlamaGguf(const std::string &path, const RandomLlamaShape &shape,
                             DType matrixType, uint64_t seed, const JobContext &ctx = {});

struct EvalBenchParams {
    std::string storiesModel; // stories260K.gguf; empty = skip that row
    std::string figuresPath;  // reference/llamacpp_figures.json; empty = no llama.cpp columns
    int threads = 2;
    int64_t promptTokens = 512;
    int64_t genTokens = 128;
    int repetitions = 3;
    bool randomModel = true; // generate and bench the ~100M model
    std::vector<DType> randomTypes{DType::F32, DType::Q8_0, DType::Q4_0};
    RandomLlamaShape shape;
    std::string tempParent; // where the temporary directory goes; empty = system temp
    std::vector<int> gemmSizes{1024, 1536, 2048};
};

struct EvalBenchRow {
    std::string name; // "stories260K-F32", "random100M-Q8_0", ...
    int64_t parameters = 0;
    uint64_t weightBytes = 0;
    double prefillTokPerS = 0; // best of the repetitions
    double decodeTokPerS = 0;
    double decodeP50Ms = 0;
    double decodeP95Ms = 0;
    double llamaPrefillTokPerS = 0; // 0 when llama.cpp has no figure for this row
    double llamaDecodeTokPerS = 0;
    double decodeGBps = 0;    // weightBytes * decode tok/s: the bandwidth decode achieved
    double prefillGflops = 0; // 2 x matrix parameters x prefill tok/s
    double writeSeconds = 0;  // generating the file (random rows only)
};

struct EvalBenchResult {
    std::vector<EvalBenchRow> rows;
    eval::HostMeasurement host; // same run, `threads` threads
    double llamaTriadGBps = 0;  // llama.cpp's figure file: machine limits it recorded
    double llamaGemmGflops = 0;
    int threads = 0;
    int64_t promptTokens = 0, genTokens = 0;
};

// Throws cwb::Error (unreadable model or figures, no disk space) and cwb::Cancelled.
[[nodiscard]] EvalBenchResult runEvalBench(const EvalBenchParams &params,
                                           const JobContext &ctx = {});

} // namespace cwb::bench
