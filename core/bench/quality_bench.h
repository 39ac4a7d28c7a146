// SPDX-License-Identifier: MIT
#pragma once
// The engine of `cwb bench quality`: llama.cpp's own quantization table for a model and ours at
// the same sizes, both judged by llama.cpp's llama-perplexity (issue 13, part 6).
//
// llama.cpp's side, with the tools in QualityBenchParams::llamaToolsDir:
//   1. the base: the model itself when it is a GGUF, else our GGUF export of it as F32
//      (llama-quantize reads F32 and F16 alike; F32 keeps the base exact);
//   2. llama-imatrix on the calibration text (-c n_ctx --chunks imatrixChunks);
//   3. llama-perplexity --kl-divergence-base on the base over the eval text (the F32 logits);
//   4. per type (Q2_K ... Q8_0) llama-quantize without and with the imatrix, then
//      llama-perplexity --kl-divergence of each file against that base.
// Our side, per budget (default: the exact tensor bytes of each type's llama.cpp file, so rows
// pair up at equal size): the sensitivity table (computed once with the default GGUF candidate
// set, or given), the exact budget solver (choose/solve_recipe.h, what `cwb solve --target gguf`
// runs), the pipeline with one set of calibration statistics, our GGUF export, and the same
// llama-perplexity --kl-divergence against the same base: our figures come from llama.cpp's
// tool, not our engine.
// Per file the figures are what the tools print (bench/llama_logs.h): whole-file bits/weight
// from the load log, ppl, mean KLD (±), p99 KLD, same-top %. Sizes are compared in exact tensor
// bytes (read back from each GGUF), the same sum llama.cpp's bits/weight is made of.
// Every tool runs through bench/tool_process.h (cancellable; a failure names the tool and ends
// with its stderr). All files go to a scratch directory removed on return (also on error and
// cancellation) unless keepDir names one to keep them in.

#include "analysis/sensitivity_table.h"
#include "choose/candidates.h"
#include "jobs/job_context.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cwb::bench {

// Q2_K, Q3_K_S, Q3_K_M, Q4_K_S, Q4_K_M, Q5_K_S, Q5_K_M, Q6_K, Q8_0: llama-quantize's names.
[[nodiscard]] const std::vector<std::string> &defaultQualityTypes();

struct QualityBenchParams {
    std::string modelPath;       // any model we open; a GGUF is used as the base as it is
    std::string evalTextPath;    // held-out text: llama-perplexity -f
    std::string calibrationPath; // llama-imatrix -f, and our statistics and sensitivity windows
    std::string llamaToolsDir;   // holds llama-perplexity, llama-quantize, llama-imatrix
    std::vector<std::string> types = defaultQualityTypes();
    std::vector<double> budgets; // ours, bits/weight; empty: each type's llama.cpp file's bytes
    int64_t nCtx = 256;          // -c and -b of llama-perplexity, -c of llama-imatrix
    int64_t chunks = 0;          // llama-perplexity --chunks; 0 = every window of the text
    int64_t imatrixChunks = 200; // llama-imatrix --chunks (of nCtx tokens)
    int threads = 2;             // the tools' -t and our engine's threads
    std::string keepDir;         // keep every file here (created); empty: a scratch directory
    std::string tempParent;      // where the scratch directory goes; empty = system temp
    // Our side. The solver's options: empty = defaultCandidates(Gguf), what `cwb solve` uses.
    std::vector<Candidate> candidates;
    int64_t windows = 8;              // sensitivity: calibration windows of seqLen tokens
    int64_t sequences = 64;           // calibration statistics: sequences of seqLen tokens
    int64_t seqLen = 256;
    // A sensitivity table computed before for this model (the CLI's --project cache); null:
    // computed here from the settings above.
    const SensitivityTable *table = nullptr;
};

// What llama-perplexity printed for one file.
struct JudgedFile {
    std::string path;
    uint64_t bytes = 0;               // tensor bytes, read back from the GGUF
    double mebibytes = 0;             // "file size = X MiB" as printed
    double bitsPerWeight = 0;         // "(Y BPW)" as printed: whole file
    double ppl = 0;
    double pplError = 0;
    double meanKld = 0;
    std::optional<double> meanKldError;
    std::optional<double> p99Kld;
    std::optional<double> sameTopPct;
    std::string command;              // the llama-perplexity command line
};

struct LlamaQuantRow {
    std::string type;                 // "Q4_K_M"
    bool imatrix = false;
    int fallbacks = 0;                // tensors llama-quantize stored in a fallback type
    std::string quantizeCommand;
    JudgedFile file;
};

struct OurRow {
    std::string budgetText;           // "Q4_K_M's size (4,343,296 bytes)", "4.50 bpw"
    std::string pairedType;           // the llama.cpp type whose size is the budget, or empty
    uint64_t budgetBytes = 0;
    std::string problem;              // non-empty: no file (the solver or a step refused; why)
    uint64_t plannedBytes = 0;        // the solver's total in our accounting
    double plannedBitsPerWeight = 0;
    double predictedKld = 0;          // the solver's summed dKLD
    std::string choices;              // "q4_k x20, gptq:group=32 x14, ..." (how many tensors)
    int64_t inexactTensors = 0;       // export: tensors not written exactly (0 with GGUF options)
    JudgedFile file;
    bool largerThanPaired = false;    // our file has more bytes than the paired llama.cpp file
    // llama.cpp's best at equal or larger size: among its files of the smallest size at or
    // above ours (exact bytes), the lowest KLD (with or without imatrix)
    std::optional<double> bestLlamaKld;
    std::string bestLlamaName;        // "Q4_K_M + imatrix"
    std::optional<double> ratio;      // ours / bestLlamaKld
};

struct QualityBenchResult {
    std::string model;
    std::string basePath;             // the F32 GGUF the table is measured against
    bool baseExported = false;        // written by our exporter (the model was not a GGUF)
    JudgedFile base;                  // its printed size, its ppl (no KLD)
    std::string imatrixCommand;
    std::string sensitivityKey;       // the table the solver used
    int64_t candidateCount = 0;
    std::vector<LlamaQuantRow> llama; // types in the given order, without then with imatrix
    std::vector<OurRow> ours;         // budgets in ascending order of bytes
    std::string filesDir;             // where the files are (removed when it was scratch)
    bool filesKept = false;
    double seconds = 0;
    QualityBenchParams params;        // as run (table pointer cleared)
};

// Issue 13's target: ours <= 0.7 x llama.cpp's best at equal or larger size at every budget
// from 2.8 to 6.5 bits/weight (as llama.cpp prints it).
inline constexpr double kQualityTargetRatio = 0.7;
inline constexpr double kQualityTargetMinBpw = 2.8;
inline constexpr double kQualityTargetMaxBpw = 6.5;

// Fills each row's best llama.cpp KLD at equal or larger size (see OurRow) and the ratio.
void compareWithLlama(QualityBenchResult &result);

// Throws cwb::Error (a tool missing or failing: named, with its stderr tail; a model or text
// that cannot be read) or cwb::Cancelled. A budget the solver cannot meet is a row's problem.
[[nodiscard]] QualityBenchResult runQualityBench(const QualityBenchParams &params,
                                                 const JobContext &ctx = {});

// The side-by-side table, the target line, and how the figures were made.
[[nodiscard]] std::string qualityBenchText(const QualityBenchResult &result);
// The same figures ("schema": "cwb.bench-quality/1").
[[nodiscard]] std::string qualityBenchJson(const QualityBenchResult &result);

} // namespace cwb::bench
