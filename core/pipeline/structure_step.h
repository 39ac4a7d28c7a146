// SPDX-License-Identifier: MIT
#pragma once
// The structure step of the pipeline: a plan's structure slots (recipe/plan_structures.h) run
// before any per-tensor slot, on the whole model, and give a smaller dense model
// (prune/pruned_model.h: channels, KV groups and blocks removed, consumers refitted by ridge
// least squares on calibration activations). The per-tensor plan is then carried over to the
// smaller model by name (a dropped block's tensors go, later layers are renumbered) and run on it
// by compressModel, with calibration statistics collected again on the smaller model (its
// pruned projections read fewer channels, and the repair changed their outputs).
//
// Order of work: calibration statistics with Hessians on the source (the scores and the repair
// read them), scores per FFN channel / KV group, the block pass on windows from the end of the
// calibration text when a dropped block is repaired (its absorb moments), the removal.
//
// Every tensor whose shape or values the step changed is stored in the compressed model (under
// "keep" in the source tensor's own type), so structuredSource() can rebuild the smaller model
// from the source and the archive alone.

#include "compress/compressed_model.h"
#include "jobs/job_context.h"
#include "model/model.h"
#include "pipeline/pipeline.h"
#include "recipe/plan.h"

namespace cwb {

struct StructureStep {
    Model model;            // the smaller model (untouched tensors still view the source)
    Plan plan;              // the per-tensor plan on it (no structure slots), totals recomputed
    StructureRecord record; // what the archive keeps (compress/compressed_model.h)
};

// Throws cwb::Error (no calibration text, a refused plan) or cwb::Cancelled.
[[nodiscard]] StructureStep runStructureStep(const Model &source, const Plan &plan,
                                             const CompressParams &params,
                                             const JobContext &job = {});

// The model a compressed model's tensors belong to: `source` itself when the plan removed no
// structure, else the source with the dropped blocks removed (later ones renumbered), the
// recorded hyper-parameters and each tensor whose shape changed holding its stored values
// (decoded to float). Throws cwb::Error naming the tensor when the compressed model does not
// fit the source.
[[nodiscard]] Model structuredSource(const Model &source, const CompressedModel &compressed);

} // namespace cwb
