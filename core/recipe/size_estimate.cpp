// SPDX-License-Identifier: MIT
#include "recipe/size_estimate.h"

#include "methods/registry.h"

namespace cwb {

int64_t quantRowMultiple(const SlotPlan &q)
{
    const MethodSpec *spec = findMethod(q.method);
    return spec && spec->rowMultiple ? spec->rowMultiple(q.reader()) : 1;
}

ByteEstimate estimateTensorBytes(const TensorPlan &plan)
{
    if (plan.structure.removed) {
        ByteEstimate none;
        none.note = plan.structure.what + ": nothing stored";
        return none;
    }
    const std::vector<int64_t> shapeAfter = plan.shapeAfterStructure();
    uint64_t rows = 1, cols = 1;
    if (!shapeAfter.empty()) {
        cols = static_cast<uint64_t>(shapeAfter.back());
        for (size_t i = 0; i + 1 < shapeAfter.size(); ++i)
            rows *= static_cast<uint64_t>(shapeAfter[i]);
    }
    // A tensor the structure step rewrites is stored again (its values change), so "keep" is
    // counted at its type's size, not as the bytes it has now.
    const bool rewritten = plan.structure.changesValues();
    const SlotPlan &prune = plan.slot(MethodSlot::Prune);
    const SlotPlan &lowrank = plan.slot(MethodSlot::LowRank);
    const SlotPlan &quant = plan.slot(MethodSlot::Quantize);
    const MethodSpec *q = findMethod(quant.method);
    if (!q || !q->storedSize)
        return {}; // an unknown method: the plan reports it as an error
    const ParamReader qp = quant.reader();

    const MethodSpec *lr = lowrank.used() ? findMethod(lowrank.method) : nullptr;
    const int64_t rank = lr ? lr->plannedRank(lowrank.reader()) : 0;
    if (rank > 0) {
        const auto r = static_cast<uint64_t>(rank);
        ByteEstimate e = q->storedSize(qp, StoredShape{rows, r, kFactorKeepType, 0});
        e.add(q->storedSize(qp, StoredShape{r, cols, kFactorKeepType, 0}));
        e.rank = rank;
        if (prune.used())
            e.note = "factors are dense: the pruning mask is not stored";
        return e;
    }
    const StoredShape shape{rows, cols, keepStorageType(plan.dtype, int64_t(cols)),
                            prune.used() || rewritten ? 0 : plan.originalBytes};
    ByteEstimate e = q->storedSize(qp, shape);
    if (const MethodSpec *p = prune.used() ? findMethod(prune.method) : nullptr) {
        if (q->exactZeros(qp, shape.keepType)) {
            e.note = "pruned weights are stored as zeros in " + quant.method
                     + "'s dense codes (no sparse format)";
        } else {
            e.masks = p->maskBytes(prune.reader(), int64_t(rows), int64_t(cols));
            e.note = quant.method + " does not decode zeros exactly: the pruning mask is stored "
                                    "beside its dense codes";
        }
    }
    if (lowrank.used())
        e.note = "rank comes from the spectrum (energy "
                 + formatParamValue(lowrank.value("energy"))
                 + ") at run time: counted without factorization";
    return e;
}

} // namespace cwb
