// SPDX-License-Identifier: MIT
#pragma once
// A llama.cpp recipe from a resolved plan over a llama-family model: a directory with
//   tensor-types.txt     llama-quantize's --tensor-type-file: whitespace-separated PATTERN=TYPE
//                        tokens, one per quantizable matrix, each pattern anchored on one GGUF
//                        tensor name (`^blk\.3\.ffn_down\.weight$=Q6_K`), so no two overlap and
//                        every version reads the same plan whichever match it lets win
//   quantize-command.txt the llama-quantize command lines: with --tensor-type-file (llama.cpp
//                        2026-01 and later), and for c392e509 (../shared/tools), which predates
//                        --tensor-type and can only give one type to every layer tensor (--pure)
//   imatrix.dat          the importance matrix of the tensors planned with `imatrix: true`, from
//                        the calibration statistics (io/imatrix_file.h): mean x^2 per input
//                        channel as the float32 values the pipeline's quantizer used, ncall 1
// The base type (llama-quantize's type argument) is the type most matrices get. Each row says the
// type a tensor gets: ggml methods (q4_k, ...) exactly, llama-quantize running the same
// quantizer (formats/ggml_quantize.h is byte-exact with it) with the same importance values;
// rtn / gptq grids a legacy block holds (or nearly: asymmetric ones in Q4_1 / Q5_1) get that
// type, filled by llama-quantize's own rounding; forms without a ggml type (nf4, fp8, other
// grids), pruning and low rank are not expressible, and such tensors get the base type. Norms
// and 1-D tensors stay as in the F32 model (llama-quantize never quantizes them).
//
// The directory is written atomically (util/atomic_directory.h) and replaces an existing one
// only when that is empty or an earlier export (it holds cwb-export.json); every file is
// read back first.

#include "analysis/activation_stats.h"
#include "export/export_result.h"
#include "io/imatrix_file.h"
#include "jobs/job_context.h"
#include "model/model.h"
#include "recipe/plan.h"
#include "util/atomic_file.h"

#include <string>

namespace cwb {

struct LlamaCppExportParams {
    const Model *model = nullptr; // the plan's model (llama family)
    const Plan *plan = nullptr;
    // The statistics the imatrix entries come from (null: none; tensors planned with an imatrix
    // are then reported not expressible). Pass those the archive was compressed with for a
    // byte-identical result: collection on several threads is not bit-reproducible.
    const ActivationStats *calibration = nullptr;
    std::string outDir;
    bool preview = false;
    AtomicWriteHooks hooks;
};

// The imatrix entry of one weight: `ggufName`, ncall 1, and float(meanSquare[j]), the values the
// ggml methods quantize with (methods/ggml_methods.cpp). Throws cwb::Error for a non-finite one.
[[nodiscard]] io::ImatrixEntry imatrixEntryOf(const LinearActivationStats &stats,
                                              const std::string &ggufName);

// Throws cwb::Error for a missing or non-llama model, an output path that is a file or a
// directory that is not an earlier export of this kind, or a write that fails (named).
[[nodiscard]] ExportResult exportLlamaCpp(const LlamaCppExportParams &params,
                                          const JobContext &job = {});

} // namespace cwb
