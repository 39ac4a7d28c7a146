// SPDX-License-Identifier: MIT
#include "recipe/plan_checks.h"

#include "model/canonical_name.h"
#include "recipe/size_estimate.h"

#include <algorithm>
#include <cmath>

namespace cwb {

namespace {

std::string setBy(const SlotPlan &s, std::string_view param)
{
    const ResolvedParam *p = s.find(param);
    return " (" + std::string(param) + " set by " + (p ? p->from.label() : s.from.label()) + ")";
}

std::string methodSetBy(const SlotPlan &s)
{
    return " (" + s.method + " set by " + s.from.label() + ")";
}

bool needsCalibration(const SlotPlan &s)
{
    const MethodSpec *spec = findMethod(s.method);
    return spec && spec->needsCalibrationWith(s.reader());
}

// "group 32" / "block_size 64" / "q4_k's block of 256", and who chose it.
std::string divisorText(const SlotPlan &q, int64_t multiple, std::string &from)
{
    const MethodSpec *spec = findMethod(q.method);
    const std::string param = spec ? spec->rowMultipleParam : std::string();
    if (!param.empty()) {
        from = setBy(q, param);
        return q.method + " " + param + " " + std::to_string(multiple);
    }
    from = methodSetBy(q);
    return q.method + "'s block of " + std::to_string(multiple);
}

class Checker {
public:
    Checker(Plan &plan, const PlanOptions &options) : plan_(plan), options_(options) {}

    void check(const TensorPlan &tp, const Tensor &t)
    {
        where_ = tp.displayName();
        const SlotPlan &prune = tp.slot(MethodSlot::Prune);
        const SlotPlan &lowrank = tp.slot(MethodSlot::LowRank);
        const SlotPlan &quant = tp.slot(MethodSlot::Quantize);
        const SlotPlan &structure = tp.slot(MethodSlot::Structure);
        if (!t.decodable() && tp.changed())
            error("stored as " + t.typeLabel() + ", which cannot be decoded: only \"keep\" applies"
                  + methodSetBy(!keepsAsStored(quant.method) ? quant
                                                             : (prune.used() ? prune : lowrank)));
        const bool matrix = tp.shape.size() >= 2;
        // Calibration statistics exist for the inputs of layer projections only (the engine
        // does not observe the embedding lookup or the output head; analysis/activation_stats.h).
        const bool observed = matrix && isLayerTensorName(tp.canonical);
        for (const SlotPlan *s : {&structure, &prune, &lowrank, &quant}) {
            if (!s->used() || !needsCalibration(*s))
                continue;
            if (!options_.calibration)
                error(s->method + " needs calibration text (cwb: --calib FILE)" + methodSetBy(*s));
            else if (!observed)
                error(s->method + " needs calibration statistics of the tensor's input, which are "
                                  "collected for layer projections only" + methodSetBy(*s));
        }
        if (const MethodSpec *spec = findMethod(quant.method); spec && spec->checkParams)
            if (const auto problem = spec->checkParams(quant.reader()))
                error(quant.method + " " + problem->what + setBy(quant, problem->param));
        if (tp.structure.removed)
            return; // its block is dropped: nothing of it is stored
        // The per-tensor slots see the shape the structure step leaves.
        const std::vector<int64_t> shape = tp.shapeAfterStructure();
        const int64_t cols = shape.empty() ? 1 : shape.back();
        const int64_t rows = cols > 0 ? tp.parametersAfterStructure() / cols : 0;
        if (!matrix)
            for (const SlotPlan *s : {&prune, &lowrank})
                if (s->used())
                    error(s->method + " needs a matrix; this tensor is "
                          + std::to_string(tp.shape.size()) + "-D" + methodSetBy(*s));
        if (prune.used() && matrix)
            checkPrune(prune, cols);
        int64_t rank = 0;
        if (lowrank.used() && matrix)
            rank = checkLowRank(lowrank, rows, cols);
        checkRows(quant, cols, "the row length " + std::to_string(cols));
        if (rank > 0)
            checkRows(quant, rank,
                      "the rows of the " + std::to_string(rows) + " x " + std::to_string(rank)
                          + " factor (rank " + std::to_string(rank) + ")");
    }

private:
    void error(std::string what) { plan_.errors.push_back({where_, std::move(what)}); }
    void warning(std::string what) { plan_.warnings.push_back({where_, std::move(what)}); }

    void checkPrune(const SlotPlan &prune, int64_t cols)
    {
        const std::string &nm = paramText(prune.value("nm"));
        if (nm == "none")
            return;
        const int n = nm[0] - '0', m = nm[2] - '0';
        if (cols % m != 0)
            error("nm " + nm + " needs a row length divisible by " + std::to_string(m)
                  + "; rows are " + std::to_string(cols) + " long" + setBy(prune, "nm"));
        const ResolvedParam *sparsity = prune.find("sparsity");
        const double implied = 1.0 - static_cast<double>(n) / m;
        if (sparsity && sparsity->from.source != Provenance::Source::Schema
            && std::abs(paramFloat(sparsity->value) - implied) > 1e-9)
            error("sparsity " + formatParamValue(sparsity->value) + setBy(prune, "sparsity")
                  + " conflicts with nm " + nm + setBy(prune, "nm") + ", which means sparsity "
                  + formatParamValue(ParamValue{implied}));
    }

    int64_t checkLowRank(const SlotPlan &lowrank, int64_t rows, int64_t cols)
    {
        const int64_t rank = paramInt(lowrank.value("rank"));
        const int64_t limit = std::min(rows, cols);
        if (rank > limit) {
            error("rank " + std::to_string(rank) + " exceeds min(rows, cols) = "
                  + std::to_string(limit) + setBy(lowrank, "rank"));
            return 0;
        }
        if (rank > 0 && rank * (rows + cols) >= rows * cols)
            warning("rank " + std::to_string(rank) + " factors hold "
                    + std::to_string(rank * (rows + cols))
                    + " weights, not fewer than the matrix's " + std::to_string(rows * cols)
                    + setBy(lowrank, "rank"));
        return rank;
    }

    void checkRows(const SlotPlan &quant, int64_t length, const std::string &what)
    {
        const int64_t multiple = quantRowMultiple(quant);
        if (multiple <= 1 || length % multiple == 0)
            return;
        std::string from;
        const std::string divisor = divisorText(quant, multiple, from);
        error(divisor + " does not divide " + what + from);
    }

    Plan &plan_;
    const PlanOptions &options_;
    std::string where_;
};

} // namespace

void checkTensorPlans(Plan &plan, const Model &model, const PlanOptions &options)
{
    Checker checker(plan, options);
    for (const TensorPlan &tp : plan.tensors)
        checker.check(tp, model.tensors[tp.index]);
}

} // namespace cwb
