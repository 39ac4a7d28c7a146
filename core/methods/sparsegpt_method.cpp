// SPDX-License-Identifier: MIT
// sparsegpt: OBS pruning with reconstruction from the calibration Hessian (compress/sparsegpt.h).
#include "compress/sparsegpt.h"
#include "methods/method_support.h"
#include "methods/prune_support.h"

namespace cwb {

MethodSpec sparsegptMethod()
{
    using namespace methoddetail;
    MethodSpec m =
        pruneSkeleton("sparsegpt", {sparsityParam(), nmParam(), dampParam(), blockSizeParam()},
                      "SparseGPT: OBS pruning with reconstruction from the Hessian");
    m.needsCalibration = true;
    m.needsHessian = true;
    m.recipeForms = [](const ParamReader &p, DType) {
        return pruneRecipeForms(p, "SparseGPTModifier",
                                {{"block_size", p.integer("block_size")},
                                 {"dampening_frac", p.number("damp")}});
    };
    m.prune = [](const ParamReader &p, const std::vector<float> &w, int64_t rows, int64_t cols,
                 const InputStats &in, const JobContext &job) {
        const PruneParams pp = pruneParamsOf(p);
        const std::vector<double> &h = requireHessian(in, "sparsegpt");
        SparseGptParams sp;
        sp.sparsity = pp.sparsity;
        // SparseGPT's nmN counts the PRUNED weights of each group; the recipe's "2:4" keeps 2.
        sp.nmN = pp.nmM > 0 ? pp.nmM - pp.nmN : 0;
        sp.nmM = pp.nmM;
        sp.blockSize = static_cast<int>(p.integer("block_size"));
        sp.damp = p.number("damp");
        SparseGptResult r = sparseGptPrune(w.data(), rows, cols, h.data(), in.tokens, sp, job);
        PruneOutcome o;
        o.nmN = pp.nmN;
        o.nmM = pp.nmM;
        o.weights = std::move(r.weights);
        o.keep.assign((size_t(rows * cols) + 7) / 8, 0);
        int64_t removed = 0;
        for (size_t i = 0; i < r.pruned.size(); ++i) {
            if (r.pruned[i])
                ++removed;
            else
                o.keep[i / 8] |= uint8_t(1u << (i % 8));
        }
        o.sparsity = double(removed) / double(rows * cols);
        o.maskBytes = pruneMaskBytes(rows, cols, pp);
        return o;
    };
    return m;
}

} // namespace cwb
