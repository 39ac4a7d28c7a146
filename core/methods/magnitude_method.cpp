// SPDX-License-Identifier: MIT
// magnitude: zero the weights of smallest |W| per row, unstructured or N:M (compress/pruning.h).
#include "methods/method_support.h"
#include "methods/prune_support.h"

namespace cwb {

MethodSpec magnitudeMethod()
{
    using namespace methoddetail;
    MethodSpec m = pruneSkeleton("magnitude", {sparsityParam(), nmParam()},
                                 "zero the weights of smallest magnitude");
    m.recipeForms = [](const ParamReader &p, DType) {
        return pruneRecipeForms(p, "", {},
                                "llm-compressor prunes in one shot with SparseGPT or Wanda only "
                                "(its MagnitudePruningModifier follows a training schedule): the "
                                "weights stay dense");
    };
    m.prune = [](const ParamReader &p, const std::vector<float> &w, int64_t rows, int64_t cols,
                 const InputStats &, const JobContext &job) {
        return outcomeOf(pruneMagnitude(w, rows, cols, pruneParamsOf(p), job), p, rows, cols);
    };
    return m;
}

} // namespace cwb
