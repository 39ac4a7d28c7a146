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
//
// With EvalBenchParams::llamaBenchPath it runs side by side instead: the random model (~125M
// parameters with its separate output matrix) as F32, Q8_0, Q4_0 and Q4_K_M GGUF files (our
// writer and quantizers; Q4_K_M is llama-quantize's mixture from recipe/llama_mixture.h), the
// given llama-bench on those files (bench/llama_bench.h) and our engine on the same files, plus
// our packed rtn 4-bit g32 and g128 forms of the F32 model (compressed in memory; llama.cpp has
// no row for them), all with the same thread count, prompt and generation lengths.

#include "eval/device_profile.h"
#include "formats/dtype.h"
#include "jobs/job_context.h"

#include <cstdint>
#include <functional>
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

// The ggml type of each matrix of the random model, by its GGUF name ("blk.3.attn_v.weight").
using RandomTensorTypes = std::function<DType(const std::string &ggufName)>;

// Writes a llama GGUF with uniform matrices of standard deviation 0.02 and unit norms, each
// matrix as `typeOf` says (F32, F16 or a ggml block type whose block divides the rows), and a
// made-up SentencePiece vocabulary of `vocab` pieces (llama.cpp needs one to load the file; the
// engine runs on token ids). The values depend only on the shape and
// the seed, so files of several types hold the same model. Returns the number of parameters.
int64_t writeRandomLlamaGguf(const std::string &path, const RandomLlamaShape &shape,
                             const RandomTensorTypes &typeOf, uint64_t seed,
                             const JobContext &ctx = {});
// Every matrix `matrixType` (F32, Q8_0 or Q4_0; Q4_0 stores output.weight as Q6_K, as
// llama-quantize does).
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
    // Side by side: run this llama-bench on the random model's GGUF files (F32, Q8_0, Q4_0,
    // Q4_K_M) in the same run, and bench our packed rtn 4-bit g32 / g128 forms of it (ours
    // only). Then the stories260K row and llama.cpp's figure file are not used.
    std::string llamaBenchPath;
    // Where the side-by-side files are kept and reused by later runs (named by shape, seed and
    // type); empty = a temporary directory removed on return.
    std::string cacheDir;
    std::vector<int> gemmSizes{1024, 1536, 2048};
    // Quantized matrices multiply with integer activations (inputs rounded to Q8_0 / Q8_K, int8
    // dot products), as llama.cpp's CPU backend computes; false: float activations.
    bool intActivations = true;
};

struct EvalBenchRow {
    std::string name; // "stories260K-F32", "random100M-Q8_0", side by side "Q4_K_M", ...
    bool llamaMeasured = false; // the llama.cpp figures come from llama-bench in this run
    int64_t parameters = 0;
    uint64_t weightBytes = 0;
    double prefillTokPerS = 0; // best of the repetitions
    double decodeTokPerS = 0;
    double prefillTokPerSMean = 0; // mean of the repetitions: what the side-by-side table
    double decodeTokPerSMean = 0;  // compares with llama-bench's avg_ts (the same statistic)
    double decodeP50Ms = 0;
    double decodeP95Ms = 0;
    double llamaPrefillTokPerS = 0; // 0 when llama.cpp has no figure for this row
    double llamaDecodeTokPerS = 0;
    uint64_t decodeBytesPerToken = 0; // weight bytes decode reads per token: all but the
                                      // embedding when the head is its own matrix
    double decodeGBps = 0;    // decodeBytesPerToken * decode tok/s: the bandwidth decode achieved
    double prefillGflops = 0; // 2 x matrix parameters x prefill tok/s
    double writeSeconds = 0;  // generating the file (random rows only)
};

struct EvalBenchResult {
    std::vector<EvalBenchRow> rows;
    eval::HostMeasurement host; // same run, `threads` threads
    std::vector<std::string> llamaBenchCommand; // side by side: what ran, argv[0] first
    std::string filesNote; // side by side: where the files are and whether they were reused
    double llamaTriadGBps = 0;  // llama.cpp's figure file: machine limits it recorded
    double llamaGemmGflops = 0;
    int threads = 0;
    int64_t promptTokens = 0, genTokens = 0;
};

// Throws cwb::Error (unreadable model or figures, no disk space) and cwb::Cancelled.
[[nodiscard]] EvalBenchResult runEvalBench(const EvalBenchParams &params,
                                           const JobContext &ctx = {});

} // namespace cwb::bench
