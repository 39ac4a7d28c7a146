// SPDX-License-Identifier: MIT
#pragma once
// The exact budget solver: a multiple-choice knapsack. Every item (a tensor) takes exactly one of
// its options (a method and setting with its stored bytes and predicted damage); the solver
// minimises the summed damage subject to summed bytes <= budget, with locks (an item fixed to one
// option) and groups (items an engine fuses, e.g. q/k/v or gate/up, that must take the same
// option index).
//
// The answer is always exact: the chosen plan has the least total damage of every plan that fits
// the budget and keeps the locks and groups. There is no approximate mode. Three exact paths,
// tried in this order (BudgetSolution::method says which one ran):
//   Unconstrained  the least-damage option of every item already fits: that is the optimum.
//   Dp             dynamic programming over bytes above each item's smallest option, counted in
//                  units of g = gcd of all those byte differences. Every plan's extra bytes are a
//                  multiple of g, so "extra <= budget - smallest" is exactly "extra / g <=
//                  floor((budget - smallest) / g)": the quantisation loses nothing. Runs when
//                  items x (cells + 1) <= SolverParams::maxDpCells.
//   BoundedPareto  dynamic programming over the non-dominated (bytes, damage) partial plans,
//                  item by item (Nemhauser-Ullmann lists), pruned by Lagrangian lower bounds:
//                  a partial plan is dropped only when its damage plus a valid lower bound on the
//                  rest (the larger of the rest's least damages and sum_t min_j (d_tj + lambda
//                  w_tj) - lambda * bytes left, w_tj = option j's bytes above item t's smallest)
//                  exceeds a known feasible plan plus a margin of 1e-9 of the magnitudes in the
//                  bound (rounding), and a dominated one only when another has no more bytes and
//                  no more damage. Neither drops every optimal plan, so the best survivor (or the
//                  feasible plan, when nothing beats it) is the optimum. If the lists outgrow
//                  SolverParams::maxStates the solver throws cwb::Error rather than approximate.
// Before any path: a group becomes one knapsack item (bytes and damages summed per option index),
// a lock leaves its item one option, and an option with no fewer bytes and no less damage than
// another is dropped.
// The lower bound is the LP relaxation of the knapsack (per item the lower convex hull of its
// (bytes, damage) options, filled greedily by damage saved per byte); its critical slope is the
// Lagrange multiplier lambda, in damage per byte.

#include "jobs/job_context.h"
#include "util/error.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace cwb {

struct SolverOption {
    uint64_t bytes = 0;   // stored bytes of the tensor in this form
    double damage = 0.0;  // predicted damage, finite and >= 0 (additive over items)
    std::string label;    // e.g. "q4_k"; group members must carry the same labels by index
};

struct SolverItem {
    std::string name;                   // tensor name, used in error messages
    std::vector<SolverOption> options;  // at least one
    int lockedOption = -1;              // >= 0: the item must take this option index
};

// Items that must take the same option index (tensors an engine fuses). Members must have the
// same number of options with the same labels by index; their bytes and damages differ.
struct SolverGroup {
    std::string name;           // e.g. "layers.3.attn.qkv", used in error messages
    std::vector<size_t> items;  // indices into BudgetProblem::items; an item in one group at most
};

struct BudgetProblem {
    std::vector<SolverItem> items;
    std::vector<SolverGroup> groups;
    uint64_t budgetBytes = 0;
};

struct SolverParams {
    // Largest DP table (reduced items x byte cells) before the bounded Pareto search is used
    // instead; the table holds one uint16 per cell, so the default is 64 MiB.
    uint64_t maxDpCells = uint64_t(1) << 25;
    // Most partial plans the bounded Pareto search may keep (summed over items, 24 bytes each,
    // 384 MiB by default) before it gives up with an error rather than answer approximately.
    uint64_t maxStates = uint64_t(1) << 24;
};

enum class SolverMethod : uint8_t { Unconstrained, Dp, BoundedPareto };
[[nodiscard]] const char *solverMethodName(SolverMethod m);

struct BudgetSolution {
    std::vector<size_t> choice;  // option index per item, in BudgetProblem::items order
    uint64_t totalBytes = 0;     // <= budgetBytes
    double totalDamage = 0.0;    // summed in item order
    double lowerBound = 0.0;     // LP (= Lagrangian dual) bound, <= totalDamage up to rounding
    double lambda = 0.0;         // the Lagrange multiplier: damage per byte at the LP's margin
    SolverMethod method = SolverMethod::Unconstrained;
    uint64_t granularity = 0;    // Dp: bytes per cell (g); 0 otherwise
    uint64_t statesKept = 0;     // BoundedPareto: partial plans kept over all items
};

// Thrown when even the smallest plan (locks and groups kept) does not fit the budget.
class BudgetInfeasible : public Error {
public:
    BudgetInfeasible(uint64_t smallestBytes, uint64_t budgetBytes);
    uint64_t smallestBytes;
    uint64_t budgetBytes;
};

// Throws cwb::Error for malformed input (no options, a lock out of range, a negative or
// non-finite damage, group members whose option labels differ, an item in two groups, groups
// whose locks disagree, byte totals beyond 2^64), BudgetInfeasible, and cwb::Cancelled.
[[nodiscard]] BudgetSolution solveBudget(const BudgetProblem &problem,
                                         const SolverParams &params = {},
                                         const JobContext &ctx = {});

} // namespace cwb
