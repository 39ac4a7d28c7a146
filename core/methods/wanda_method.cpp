// SPDX-License-Identifier: MIT
// wanda: zero the smallest |W_ij| * ||X_j||_2 per row (compress/pruning.h).
#include "methods/method_support.h"
#include "methods/prune_support.h"

namespace cwb {

MethodSpec wandaMethod()
{
    using namespace methoddetail;
    MethodSpec m = pruneSkeleton("wanda", {sparsityParam(), nmParam()},
                                 "Wanda: zero the smallest magnitude x input norm, per row");
    m.needsCalibration = true;
    m.recipeForms = [](const ParamReader &p, DType) {
        return pruneRecipeForms(p, "WandaPruningModifier", {});
    };
    m.prune = [](const ParamReader &p, const std::vector<float> &w, int64_t rows, int64_t cols,
                 const InputStats &in, const JobContext &job) {
        LinearActivationStats st;
        st.meanSquare = requireMeanSquare(in, "wanda");
        st.tokens = in.tokens;
        return outcomeOf(pruneWanda(w, rows, cols, inputNorms(st), pruneParamsOf(p), job), p,
                         rows, cols);
    };
    return m;
}

} // namespace cwb
