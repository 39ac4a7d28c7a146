// SPDX-License-Identifier: MIT
#include "sweep/sweep_plan.h"

#include "choose/solve_recipe.h"
#include "recipe/llama_mixture.h"
#include "recipe/recipe_edit.h"
#include "util/error.h"
#include "util/text_format.h"

namespace cwb {

std::vector<SweepPointSpec> sweepPoints(const Model &model, const SweepPlanRequest &request,
                                        const JobContext &job)
{
    std::vector<SweepPointSpec> points;
    if (request.original)
        points.push_back(originalPoint());
    if (!request.planJson.empty())
        points.push_back({request.planName, request.planJson, request.planName});
    for (const std::string &m : request.mixtures) {
        const Recipe r = llamaCppMixture(model, m);
        points.push_back({r.source, recipeToJson(r), r.name});
    }
    if (!request.budgetsBpw.empty() && !request.table)
        throw Error("solver points need the model's sensitivity table: measure it first");
    for (const double bpw : request.budgetsBpw) {
        job.checkCancelled();
        const std::string name = "solver " + fixed(bpw, 2) + " bpw";
        try {
            SolveParams sp;
            sp.budget = resolveBudget(model, {BudgetSpec::Kind::BitsPerWeight, bpw, {}, 0});
            sp.target = request.target;
            const SolveOutcome o = solveFromTable(model, *request.table, sp, job);
            points.push_back({name, recipeToJson(o.recipe), "the budget solver"});
        } catch (const Cancelled &) {
            throw;
        } catch (const Error &e) {
            throw Error(name + ": " + e.what());
        }
    }
    for (const std::string &f : request.recipeFiles)
        points.push_back(recipePoint(f));
    for (const std::string &f : request.referenceFiles)
        points.push_back(referencePoint(f));
    return points;
}

} // namespace cwb
