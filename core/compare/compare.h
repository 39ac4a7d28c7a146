// SPDX-License-Identifier: MIT
#pragma once
// Before/after comparison of two runs, A and B (each a model or a .cwbarchive with its source):
// per-tensor errors side by side (tensor_compare.h), slice-aware evaluation of B against A on
// one text cut into documents or on slice files (slices.h, slice_eval.h) and the behavioural
// check of greedy continuations (behaviour.h). `cwb compare` prints it (compare_report.h); the
// GUI's comparison view is to read the same CompareResult.

#include "compare/behaviour.h"
#include "compare/compare_side.h"
#include "compare/slice_eval.h"
#include "compare/slices.h"
#include "compare/tensor_compare.h"
#include "jobs/job_context.h"

#include <cstdint>
#include <string>
#include <vector>

namespace cwb {

struct CompareParams {
    std::string pathA, pathB;            // a model or a .cwbarchive each (runComparison of two
                                         // sides: what they are called in the report)
    std::string textPath;                // evaluation text, cut into documents (`slicing`)
    std::vector<std::string> sliceFiles; // or one slice per file (textPath then empty)
    SliceParams slicing;
    SliceEvalParams evaluation;          // n_ctx (512), windows in all (all), order (KLD)
    BehaviourParams behaviour;           // prompts (built-in), 32 tokens, 16 must agree
    TensorCompareParams tensors;         // weight differences off, 16 bins
    int threads = 0;                     // engine threads; 0 = all cores
};

// What identifies one side in the report.
struct CompareSideInfo {
    std::string path, label;
    bool archive = false;     // compressed tensors over a source model: an archive file, or a
                              // compression held in memory (path is then its label)
    std::string sourcePath;  // that source model
    int64_t parameters = 0;  // of the model the engine runs, a tied copy counted once
    uint64_t storedBytes = 0; // of all weights as run (an archive's compressed total)
    double bitsPerWeight = 0;
};

struct CompareResult {
    CompareParams settings; // as run
    CompareSideInfo a, b;
    std::vector<TensorComparison> tensors;
    SliceComparison slices;
    BehaviourComparison behaviour;
    int64_t documents = 0;       // before merging (slice files: the files)
    int64_t documentsMerged = 0; // documents merged into others to fill a window
    std::vector<std::string> notes; // opening, slicing and tensors (the slices' own: slices.notes)
    double seconds = 0;
};

// Opens both sides, cuts the slices, and runs the three parts (progress: tensors, slices,
// prompts). Throws cwb::Error for unreadable inputs, naming the file: a missing model, text,
// slice or prompts file, a slice file shorter than one window, a text shorter than one window;
// cwb::Cancelled when ctx is cancelled.
[[nodiscard]] CompareResult runComparison(const CompareParams &params, const JobContext &ctx = {});

// The same on two sides already opened (compare_side.h: e.g. a compression held in memory);
// params.pathA and pathB are not read (the result's settings name the sides' paths).
[[nodiscard]] CompareResult runComparison(const CompareSide &a, const CompareSide &b,
                                          const CompareParams &params,
                                          const JobContext &ctx = {});

} // namespace cwb
