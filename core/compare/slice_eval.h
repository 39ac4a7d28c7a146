// SPDX-License-Identifier: MIT
#pragma once
// Slice-aware evaluation of B against A: every slice is tokenized on its own (BOS first) and
// cut into llama-perplexity windows (n_ctx tokens, BOS in place of the first, the second half
// scored); both engines evaluate the same windows, and per slice the comparison keeps the
// perplexity of each (with llama-perplexity's standard error), the mean NLL difference and the
// exact KL divergence of B's next-token distributions from A's at the same positions
// (eval/kl_divergence.h kldBetweenLogits: A's logits are held for one window in memory, no base
// file), with top-1 agreement. Slices come out sorted by how much B degrades them.

#include "compare/slices.h"
#include "eval/engine.h"
#include "eval/evaluation.h"
#include "jobs/job_context.h"
#include "tokenizer/tokenizer.h"

#include <cstdint>
#include <string>
#include <vector>

namespace cwb {

// Which degradation ranks the slices (the largest first).
enum class SliceOrder {
    Kld,      // mean KL divergence of B from A
    DeltaNll, // mean NLL of B minus that of A (nats/token: log of the perplexity ratio)
};
[[nodiscard]] const char *sliceOrderName(SliceOrder o); // "kld", "nll"

struct SliceEvalParams {
    int64_t nCtx = 512;  // window length in tokens; each slice holds at least one window
    int64_t chunks = 0;  // windows to score in all, slice after slice in text order; 0 = all
    int threads = 0;     // for the per-position comparison (the engines have their own)
    SliceOrder order = SliceOrder::Kld;
};

// What the scored positions of a slice (or of all slices together) say.
struct SliceScores {
    int64_t tokens = 0;    // of the slice, BOS included (the total: all evaluated slices)
    int64_t windows = 0;
    int64_t positions = 0; // predictions scored
    double pplA = 0, pplAStderr = 0;
    double pplB = 0, pplBStderr = 0;
    double meanNllA = 0, meanNllB = 0;
    double deltaNll = 0; // meanNllB - meanNllA
    KldSummary kld;      // of B from A: mean (+ stderr), median, p99, max, top-1 agreement
};

struct SliceResult {
    int64_t index = 0;   // 0-based position among the slices, in text order
    std::string name;    // "doc 12", "docs 12-14", a file name
    std::string source;  // the file
    int64_t line = 1;
    uint64_t byteOffset = 0;
    int64_t firstDocument = 1, lastDocument = 1;
    std::string preview; // the first words of the slice, on one line
    SliceScores scores;
};

struct SliceComparison {
    int64_t nCtx = 0;
    SliceOrder order = SliceOrder::Kld;
    int64_t slices = 0;          // slices the text or the files gave (after merging)
    std::vector<SliceResult> evaluated; // the most degraded first (ties: text order)
    SliceScores total;           // every evaluated position pooled
    // Every scored position's NLL of B minus A's and KLD of B from A, in evaluation order: the
    // per-token distributions behind the means (compare/delta_histograms.h).
    std::vector<float> positionDeltaNll, positionKld;
    std::vector<std::string> notes;
};

// Evaluates `slices` (each with at least nCtx tokens, see slices.h) with both engines.
// `tokenizerA` cuts the windows; B's tokenizer must give the same tokens for every slice (else
// the KL divergence compares different things: cwb::Error naming the slice). Throws cwb::Error
// for engines with different vocabularies, nCtx outside both engines' context, and
// cwb::Cancelled between windows.
[[nodiscard]] SliceComparison compareSlices(Engine &a, Engine &b, const Tokenizer &tokenizerA,
                                            const Tokenizer &tokenizerB,
                                            const std::vector<TextSlice> &slices,
                                            const SliceEvalParams &params,
                                            const JobContext &ctx = {});

} // namespace cwb
