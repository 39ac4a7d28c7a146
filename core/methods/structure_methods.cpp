// SPDX-License-Identifier: MIT
// The structure slot: whole FFN channels, KV groups (a KV head with the query heads that read
// it) or blocks leave the model, which becomes a smaller dense one (prune/pruned_model.h), with
// the consumer of what was removed refitted by ridge least squares on calibration activations
// (compress/structured_prune.h). A structure method is set on every matrix of the structure it
// removes (prune_channels: a layer's mlp.gate, mlp.up and mlp.down; prune_heads: attn.q/k/v/o;
// drop_block: every matrix of the layer) and resolves, for the whole model, to one
// StructuredPlan (recipe/plan_structures.h, which also checks the shapes the engine accepts).
// The pipeline applies it before any per-tensor slot, so the prune / lowrank / quantize methods
// see the smaller matrices.
#include "compress/structured_prune.h"
#include "methods/method_support.h"
#include "methods/recipe_forms.h"

namespace cwb {

namespace {

ParamSpec keepParam(double def, const std::string &what)
{
    return floatRange("keep", 0.0, 1.0, def,
                      "fraction of the layer's " + what
                          + " kept (rounded to the nearest count, at least one); keep_count, "
                            "when set, wins",
                      true, false);
}

ParamSpec keepCountParam(const std::string &what)
{
    return intRange("keep_count", 0, int64_t{1} << 30, 0,
                    what + " kept in the layer; 0 = from `keep`");
}

ParamSpec scoreParam()
{
    return choice("score", {"activation", "obs", "magnitude"}, "activation",
                  "which structures go: activation = least output energy on the calibration "
                  "rows; obs = least error left after removal and refit; magnitude = smallest "
                  "weights (no data)");
}

ParamSpec repairParam()
{
    return boolean("repair", true,
                   "refit the consumer (mlp.down / attn.o; for a dropped block, the previous "
                   "block's mlp.down) by ridge least squares so the output matches the original");
}

ParamSpec ridgeParam()
{
    return floatRange("ridge", 0.0, 1.0, RepairParams{}.ridge,
                      "ridge of the refit, times the mean diagonal of the Gram matrix");
}

MethodSpec structureSkeleton(std::string name, std::vector<ParamSpec> params,
                             std::string summary, const std::string &toolNote)
{
    MethodSpec m = methoddetail::structureMethod(std::move(name), std::move(params),
                                                 std::move(summary));
    // The scores and the repair read the Hessians of the consumers' inputs (a magnitude score
    // without repair would not, but the structure step collects them once for all).
    m.needsCalibration = true;
    m.needsHessian = true;
    m.recipeForms = [toolNote](const ParamReader &, DType) {
        return methoddetail::unsupportedRecipeForms(
            "llm-compressor's one-shot modifiers do not remove " + toolNote
                + ": export the pruned model instead",
            "GPTQModel does not remove " + toolNote + ": export the pruned model instead",
            "llama-quantize does not remove " + toolNote
                + ": export the pruned model as GGUF instead");
    };
    return m;
}

} // namespace

std::vector<MethodSpec> structureMethods()
{
    std::vector<MethodSpec> out;
    out.push_back(structureSkeleton(
        "prune_channels",
        {keepParam(0.75, "FFN channels"), keepCountParam("FFN channels"), scoreParam(),
         repairParam(), ridgeParam()},
        "remove FFN channels (gate/up rows, down columns) and refit mlp.down; set on a "
        "layer's mlp.gate, mlp.up and mlp.down alike",
        "FFN channels"));
    out.push_back(structureSkeleton(
        "prune_heads",
        {keepParam(0.5, "KV groups (a KV head with its query heads)"),
         keepCountParam("KV groups"), scoreParam(), repairParam(), ridgeParam()},
        "remove KV groups (a KV head with its query heads) and refit attn.o; set on a layer's "
        "attn.q, attn.k, attn.v and attn.o alike, the same count in every layer",
        "attention heads"));
    out.push_back(structureSkeleton(
        "drop_block", {repairParam(), ridgeParam()},
        "remove the whole block (later blocks are renumbered) and refit the previous block's "
        "mlp.down to carry its update; set on every matrix of the layer",
        "blocks"));
    return out;
}

} // namespace cwb
