// SPDX-License-Identifier: MIT
#pragma once
// Runs a resolved plan (recipe/resolve.h) over a model: per changed tensor, prune -> low rank ->
// quantize, in that order, then a report of what it cost (compress/compressed_model.h).
//
// Before any work: the plan must be valid (requireValidPlan: one error listing every problem),
// and calibration text (or precomputed statistics) must be given when a method needs it.
// Calibration statistics (per input channel mean |x| and mean x^2, and the Hessian sums X^T X
// when a method or the output-error report wants them) are by default collected once, up
// front, from the ORIGINAL model's activations (llm-compressor's non-sequential mode). With
// CompressParams::sequentialCalibration they are collected layer by layer instead ("true
// sequential", GPTQ's paper): layer k's inputs come from layers 0..k-1 already compressed
// (their compressed matrices run in the engine; folded AWQ scales as input multipliers), and
// all of layer k's projections see the stream of that compressed prefix through layer k's
// ORIGINAL weights (attn.o and mlp.down do not see q/k/v or gate/up compressed; except in a plan
// with a method that reconstructs the original block's output, MethodSpec::needsOriginalCross:
// that plan runs sequentially by itself, layer by layer in GPTQ's true-sequential groups q/k/v,
// o, gate/up, down, with the cross moments of the original model's inputs). The embedding
// is the model's own; 1-D tensors a plan changes (other than by AWQ folding) are not part of
// the prefix. Each tensor's report says how many tokens its statistics saw.
//
// Stages and what they read:
//   magnitude / wanda (||X_j||_2) / sparsegpt (H)         prune
//   svd / asvd (H)                                         low rank; the quantize stage then
//                                                          quantizes factor B [r x cols] with the
//                                                          input's statistics and factor A
//                                                          [rows x r] with those of B x:
//                                                          H_A = B H B^T, mean x^2 = diag / tokens,
//                                                          mean |x| taken as the RMS
//   keep / f32 / f16 / bf16 / rtn / nf4 / fp8 / mxfp4 / nvfp4 / ternary / q*_* (imatrix: mean
//   x^2) / gptq (H) / awq (mean |x|, H)                    quantize
// awq: where every projection reading a norm's output (q/k/v, gate/up) is planned "awq" alike,
// they share one jointly searched scale that is folded into the norm (pipeline/awq_fold.h; the
// norm then appears among the compressed tensors); elsewhere s stays an explicit multiplier.
// After a pruning stage, gptq keeps the mask (pruned weights are held at code zero and their
// error is compensated like any other: SparseGPT's joint quantization with the mask fixed), and
// every other grid decodes the pruned zeros exactly or gets the bitmap applied when decoding.
// "keep" after a pruning stage stores the tensor's own type again (plain floats as they were,
// ggml types re-quantized to the same type); low-rank factors under "keep" are F16.
// GPT-2 checkpoints in Hugging Face layout store projections [in x out] (Conv1D); they are
// compressed in the Linear layout [out x in], which is also what the engine reads.
//
// Tensors run in parallel on oneTBB (each method also parallelizes inside); onTensor is called,
// serialized, as each finishes. Once a tensor is done its source's mapped pages are given back
// (Tensor::releaseMappedPages), so a run over a model larger than memory holds only the tensors
// in flight; with CompressParams::keepStoredData = false the results are dropped too. Cancellation (JobContext) is polled between and inside tensors:
// cwb::Cancelled leaves nothing behind (nothing is written here; see pipeline/archive.h).

#include "analysis/activation_stats.h"
#include "compress/compressed_model.h"
#include "jobs/job_context.h"
#include "model/model.h"
#include "recipe/plan.h"

#include <functional>
#include <string>

namespace cwb {

struct CompressParams {
    std::string calibrationPath;   // UTF-8 text; required when the plan needs calibration
    ActivationParams calibration = defaultCalibration();
    bool outputError = true;       // report the output error where Hessians were collected
    // Collect Hessians for the output-error report even when no method needs them, when all of
    // them together fit in this many bytes.
    uint64_t reportHessianBudgetBytes = uint64_t(1) << 30;
    int threads = 0;               // oneTBB threads; 0 = all cores
    std::string recipeJson;        // stored with the result, as given
    // Statistics collected before, used instead of collecting them again: once for several plans
    // compressed for one comparison (sensitivity, sweeps), or shared with an imatrix export that
    // must match the archive bit for bit. They must hold the Hessians a method needs; the
    // calibrationPath then only names their source. Null: collect them.
    const ActivationStats *calibrationStats = nullptr;
    // Collect the statistics layer by layer on the compressed prefix (see above) instead of
    // once on the original model. Costs a second pass over the calibration set per layer and
    // holds the calibration streams (sequences x tokens x width floats) and one layer's
    // statistics at a time. Off by default, by measurement: on dev256 (gptq g32 on every layer
    // matrix, 64 x 256 tokens; README, issue 13 part 2) the model's KLD moved by +0.05% (4-bit),
    // +0.9% (3-bit) and -1.3% (2-bit): no consistent gain. Cannot be combined with
    // calibrationStats. A plan holding a method that reconstructs the original block's output
    // (MethodSpec::needsOriginalCross: gptq_ggml_recon) turns it on whatever this says, and the
    // collector then also records each input's cross moment with the original model's.
    bool sequentialCalibration = false;
    // False: each tensor's stored data (matrices, factors, mask, folded scales) is dropped as
    // soon as onTensor has seen it, so the result holds only names, shapes, plans and reports.
    // For a caller that writes each tensor as it finishes (pipeline/archive.h
    // writeArchiveStreamed): memory then holds only the tensors in flight, not the compressed
    // model. In sequential calibration a layer's tensors are dropped after they replaced the
    // originals in the calibration stream.
    bool keepStoredData = true;
    // Tensors in flight together hold at most about this much working memory: a tensor (or an
    // AWQ group) starts only when its estimate fits beside those running (one always runs).
    // The estimate per matrix is 8 bytes a weight (its float copy and a stored result no
    // larger than floats) plus, for methods that need a Hessian, 16 bytes per Hessian entry
    // (cols x cols: the method's own copy and inverse); an estimate, not a measurement. Without
    // it a many-core machine compresses as many of a large model's biggest matrices at once as
    // it has threads. 0 = half of this machine's physical memory.
    uint64_t memoryBudgetBytes = 0;

    static ActivationParams defaultCalibration()
    {
        ActivationParams p;
        p.sequences = 64;
        p.tokensPerSequence = 256; // capped at the model's context length
        return p;
    }
};

// Called once per finished tensor with the count done so far (serialized; any thread).
using TensorDoneFn = std::function<void(const CompressedTensor &, size_t done, size_t total)>;

// Throws cwb::Error (invalid plan, missing calibration, a tensor that fails; each named) or
// cwb::Cancelled.
[[nodiscard]] CompressedModel compressModel(const Model &model, const Plan &plan,
                                            const CompressParams &params,
                                            const JobContext &job = {},
                                            const TensorDoneFn &onTensor = {});

// One tensor of a plan through its stages, as compressModel runs it (without AWQ folding,
// which needs the whole group): what the sensitivity analysis measures one option with.
// `stats` may be null when no stage needs calibration. Throws cwb::Error or cwb::Cancelled.
[[nodiscard]] CompressedTensor compressTensor(const Model &model, const TensorPlan &plan,
                                              const ActivationStats *stats, bool wantOutputError,
                                              const JobContext &job = {});

// Bytes the calibration Hessians of every projection input of `model` take together.
[[nodiscard]] uint64_t calibrationHessianBytes(const Model &model);

// True when the plan has a stage that needs calibration statistics.
[[nodiscard]] bool planNeedsCalibration(const Plan &plan);

} // namespace cwb
