// SPDX-License-Identifier: MIT
#include "solve/budget_solver.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <queue>

namespace cwb {

namespace {

constexpr const char *kWho = "budget solver";

[[noreturn]] void fail(const std::string &what)
{
    throw Error(std::string(kWho) + ": " + what);
}

uint64_t addChecked(uint64_t a, uint64_t b, const std::string &what)
{
    if (b > std::numeric_limits<uint64_t>::max() - a)
        fail(what + " exceeds 2^64 bytes");
    return a + b;
}

// One option of a unit: bytes above the unit's smallest option, summed damage, and the option
// index shared by the unit's members.
struct UnitOption {
    uint64_t extra = 0;
    double damage = 0.0;
    size_t option = 0;
};

// A group (or a lone item) reduced to one knapsack item. `options` keeps only non-dominated
// options, sorted by bytes ascending with damage strictly descending, so options.front() is the
// smallest and options.back() the least-damage one.
struct Unit {
    std::vector<size_t> members;
    uint64_t minBytes = 0;
    std::vector<UnitOption> options;
};

void validateItems(const BudgetProblem &p)
{
    for (size_t i = 0; i < p.items.size(); ++i) {
        const SolverItem &item = p.items[i];
        const std::string where = "item " + std::to_string(i) + " (" + item.name + ")";
        if (item.options.empty())
            fail(where + " has no options");
        if (item.options.size() > std::numeric_limits<uint16_t>::max())
            fail(where + " has " + std::to_string(item.options.size()) +
                 " options, more than 65535");
        if (item.lockedOption >= 0 && size_t(item.lockedOption) >= item.options.size())
            fail(where + ": lockedOption " + std::to_string(item.lockedOption) +
                 " is out of range (" + std::to_string(item.options.size()) + " options)");
        for (size_t j = 0; j < item.options.size(); ++j) {
            const double d = item.options[j].damage;
            if (!std::isfinite(d) || d < 0.0)
                fail(where + ": option " + std::to_string(j) + " (" + item.options[j].label +
                     "): damage " + std::to_string(d) + " is not a finite value >= 0");
        }
    }
}

// Groups (validated) and lone items, in the order of their first member.
std::vector<std::vector<size_t>> memberLists(const BudgetProblem &p)
{
    std::vector<long> groupOf(p.items.size(), -1);
    for (size_t g = 0; g < p.groups.size(); ++g) {
        const SolverGroup &group = p.groups[g];
        const std::string where = "group " + std::to_string(g) + " (" + group.name + ")";
        if (group.items.empty())
            fail(where + " has no items");
        for (size_t i : group.items) {
            if (i >= p.items.size())
                fail(where + ": item index " + std::to_string(i) + " is out of range (" +
                     std::to_string(p.items.size()) + " items)");
            if (groupOf[i] >= 0)
                fail(where + ": item " + std::to_string(i) + " (" + p.items[i].name +
                     ") is already in group " + std::to_string(groupOf[i]) + " (" +
                     p.groups[size_t(groupOf[i])].name + ")");
            groupOf[i] = long(g);
        }
        const SolverItem &first = p.items[group.items.front()];
        int lock = -1;
        size_t lockItem = 0;
        for (size_t i : group.items) {
            const SolverItem &item = p.items[i];
            if (item.options.size() != first.options.size())
                fail(where + ": item " + item.name + " has " +
                     std::to_string(item.options.size()) + " options, item " + first.name +
                     " has " + std::to_string(first.options.size()) +
                     "; group members need the same options by index");
            for (size_t j = 0; j < item.options.size(); ++j)
                if (item.options[j].label != first.options[j].label)
                    fail(where + ": option " + std::to_string(j) + " is \"" +
                         item.options[j].label + "\" for item " + item.name + " but \"" +
                         first.options[j].label + "\" for item " + first.name +
                         "; group members need the same options by index");
            if (item.lockedOption >= 0) {
                if (lock >= 0 && lock != item.lockedOption)
                    fail(where + ": item " + p.items[lockItem].name + " is locked to option " +
                         std::to_string(lock) + " but item " + item.name + " to option " +
                         std::to_string(item.lockedOption));
                lock = item.lockedOption;
                lockItem = i;
            }
        }
    }
    std::vector<std::vector<size_t>> lists;
    std::vector<bool> done(p.groups.size(), false);
    for (size_t i = 0; i < p.items.size(); ++i) {
        if (groupOf[i] < 0) {
            lists.push_back({i});
        } else if (!done[size_t(groupOf[i])]) {
            done[size_t(groupOf[i])] = true;
            std::vector<size_t> members = p.groups[size_t(groupOf[i])].items;
            std::sort(members.begin(), members.end());
            lists.push_back(std::move(members));
        }
    }
    return lists;
}

Unit makeUnit(const BudgetProblem &p, std::vector<size_t> members)
{
    const size_t nOptions = p.items[members.front()].options.size();
    int lock = -1;
    for (size_t i : members)
        if (p.items[i].lockedOption >= 0)
            lock = p.items[i].lockedOption;
    struct Raw {
        uint64_t bytes;
        double damage;
        size_t option;
    };
    std::vector<Raw> raw;
    for (size_t j = 0; j < nOptions; ++j) {
        if (lock >= 0 && j != size_t(lock))
            continue;
        Raw r{0, 0.0, j};
        for (size_t i : members) {
            r.bytes = addChecked(r.bytes, p.items[i].options[j].bytes,
                                 "option " + std::to_string(j) + " of " + p.items[i].name);
            r.damage += p.items[i].options[j].damage;
        }
        raw.push_back(r);
    }
    std::sort(raw.begin(), raw.end(), [](const Raw &a, const Raw &b) {
        if (a.bytes != b.bytes)
            return a.bytes < b.bytes;
        if (a.damage != b.damage)
            return a.damage < b.damage;
        return a.option < b.option;
    });
    Unit u;
    u.members = std::move(members);
    u.minBytes = raw.front().bytes;
    // An option with no fewer bytes and no less damage than a kept one can never do better.
    for (const Raw &r : raw)
        if (u.options.empty() || r.damage < u.options.back().damage)
            u.options.push_back({r.bytes - u.minBytes, r.damage, r.option});
    return u;
}

// One segment of a unit's lower convex hull: `bytes` more buys `saved` less damage.
struct Increment {
    size_t unit = 0;
    size_t toOption = 0;  // index into Unit::options reached by taking this increment
    uint64_t bytes = 0;
    double saved = 0.0;
    double slope = 0.0;   // saved / bytes
};

std::vector<Increment> hullIncrements(const std::vector<Unit> &units)
{
    std::vector<Increment> all;
    for (size_t u = 0; u < units.size(); ++u) {
        const auto &opts = units[u].options;
        std::vector<size_t> hull;
        for (size_t j = 0; j < opts.size(); ++j) {
            while (hull.size() >= 2) {
                const UnitOption &a = opts[hull[hull.size() - 2]];
                const UnitOption &b = opts[hull.back()];
                const UnitOption &c = opts[j];
                // b lies on or above the chord a-c: saved per byte does not fall from a-b to b-c.
                const long double lhs = (long double)(a.damage - b.damage) * (c.extra - b.extra);
                const long double rhs = (long double)(b.damage - c.damage) * (b.extra - a.extra);
                if (lhs > rhs)
                    break;
                hull.pop_back();
            }
            hull.push_back(j);
        }
        for (size_t k = 1; k < hull.size(); ++k) {
            const UnitOption &a = opts[hull[k - 1]];
            const UnitOption &b = opts[hull[k]];
            Increment inc;
            inc.unit = u;
            inc.toOption = hull[k];
            inc.bytes = b.extra - a.extra;
            inc.saved = a.damage - b.damage;
            inc.slope = inc.saved / double(inc.bytes);
            all.push_back(inc);
        }
    }
    // Stable: a unit's own segments keep their hull order when slopes round to equal values.
    std::stable_sort(all.begin(), all.end(),
                     [](const Increment &a, const Increment &b) { return a.slope > b.slope; });
    return all;
}

struct LpResult {
    double lowerBound = 0.0;
    double lambda = 0.0;
    std::vector<size_t> integral;  // per unit: the option index of the LP's integral part
    uint64_t integralExtra = 0;
};

// The LP relaxation, filled greedily by saved damage per byte; `capacity` is the budget above
// every unit's smallest option.
LpResult solveLp(const std::vector<Unit> &units, uint64_t capacity)
{
    LpResult lp;
    lp.integral.assign(units.size(), 0);
    for (const Unit &u : units)
        lp.lowerBound += u.options.front().damage;
    uint64_t left = capacity;
    for (const Increment &inc : hullIncrements(units)) {
        if (inc.bytes <= left) {
            left -= inc.bytes;
            lp.lowerBound -= inc.saved;
            lp.integral[inc.unit] = inc.toOption;
        } else {
            lp.lowerBound -= inc.saved * (double(left) / double(inc.bytes));
            lp.lambda = inc.slope;
            break;
        }
    }
    lp.integralExtra = capacity - left;
    lp.lowerBound = std::max(lp.lowerBound, 0.0);
    return lp;
}

// A feasible plan to prune against: the LP's integral part, then the best single-unit upgrade
// into the bytes left, repeated while one helps.
std::vector<size_t> greedyPlan(const std::vector<Unit> &units, const LpResult &lp,
                               uint64_t capacity)
{
    std::vector<size_t> plan = lp.integral;
    uint64_t left = capacity - lp.integralExtra;
    for (size_t round = 0; round < units.size(); ++round) {
        double bestSaved = 0.0;
        size_t bestUnit = 0, bestOption = 0;
        for (size_t u = 0; u < units.size(); ++u) {
            const UnitOption &cur = units[u].options[plan[u]];
            for (size_t j = plan[u] + 1; j < units[u].options.size(); ++j) {
                const UnitOption &o = units[u].options[j];
                if (o.extra - cur.extra > left)
                    break;
                if (cur.damage - o.damage > bestSaved) {
                    bestSaved = cur.damage - o.damage;
                    bestUnit = u;
                    bestOption = j;
                }
            }
        }
        if (bestSaved <= 0.0)
            break;
        left -= units[bestUnit].options[bestOption].extra -
                units[bestUnit].options[plan[bestUnit]].extra;
        plan[bestUnit] = bestOption;
    }
    return plan;
}

// Exact DP over extra bytes in units of `g`, over the units with a choice (`active`); the
// caller checked that the table (active units x (cells + 1)) fits SolverParams::maxDpCells.
std::vector<size_t> solveDp(const std::vector<Unit> &units, const std::vector<size_t> &active,
                            uint64_t g, uint64_t cells, const JobContext &ctx)
{
    const size_t width = size_t(cells) + 1;
    std::vector<double> best(width, 0.0), next(width);
    std::vector<uint16_t> pick(active.size() * width);
    for (size_t a = 0; a < active.size(); ++a) {
        ctx.checkCancelled();
        ctx.report(double(a) / double(active.size()), "budget solver: dynamic programming");
        const auto &opts = units[active[a]].options;
        uint16_t *row = pick.data() + a * width;
        for (size_t c = 0; c < width; ++c) {
            double v = best[c] + opts[0].damage;
            uint16_t j0 = 0;
            for (size_t j = 1; j < opts.size(); ++j) {
                const uint64_t w = opts[j].extra / g;
                if (w > c)
                    break;
                const double cand = best[c - w] + opts[j].damage;
                if (cand < v) {
                    v = cand;
                    j0 = uint16_t(j);
                }
            }
            next[c] = v;
            row[c] = j0;
        }
        best.swap(next);
    }
    std::vector<size_t> plan(units.size(), 0);
    size_t c = width - 1;
    for (size_t a = active.size(); a-- > 0;) {
        const size_t j = pick[a * width + c];
        plan[active[a]] = j;
        c -= size_t(units[active[a]].options[j].extra / g);
    }
    return plan;
}

// Bounded Pareto DP (see the header). Throws when the lists outgrow params.maxStates.
std::vector<size_t> solveBoundedPareto(const std::vector<Unit> &units,
                                       const std::vector<size_t> &active, uint64_t capacity,
                                       const LpResult &lp, const std::vector<size_t> &incumbent,
                                       const SolverParams &params, const JobContext &ctx,
                                       uint64_t &statesKept)
{
    const size_t n = active.size();
    const double lambda = lp.lambda;
    // Lower bounds on the damage of active units a.. for any bytes left r:
    //   sum_t min_j d_tj                         (lambda = 0), and
    //   sum_t min_j (d_tj + lambda w_tj) - lambda r   (the Lagrangian bound at the LP's lambda).
    std::vector<double> restPlain(n + 1, 0.0), restLagrange(n + 1, 0.0);
    for (size_t a = n; a-- > 0;) {
        double plain = std::numeric_limits<double>::infinity();
        double lag = std::numeric_limits<double>::infinity();
        for (const UnitOption &o : units[active[a]].options) {
            plain = std::min(plain, o.damage);
            lag = std::min(lag, o.damage + lambda * double(o.extra));
        }
        restPlain[a] = restPlain[a + 1] + plain;
        restLagrange[a] = restLagrange[a + 1] + lag;
    }
    double incumbentDamage = 0.0;
    for (size_t a = 0; a < n; ++a)
        incumbentDamage += units[active[a]].options[incumbent[active[a]]].damage;
    // Rounding margin: prune only what is worse by more than this, so no optimum is lost.
    const double margin =
        1e-9 * (incumbentDamage + restPlain[0] + lambda * double(capacity)) + 1e-300;
    const double cutoff = incumbentDamage + margin;

    struct State {
        uint64_t extra;
        double damage;
        uint32_t parent;
        uint16_t option;
    };
    std::vector<State> states{{0, 0.0, 0, 0}};
    std::vector<size_t> stageBegin{0, 1};
    struct Candidate {
        uint64_t extra;
        double damage;
        size_t state;
        size_t option;
    };
    auto later = [](const Candidate &x, const Candidate &y) {
        return x.extra != y.extra ? x.extra > y.extra : x.damage > y.damage;
    };
    uint64_t pops = 0;
    for (size_t a = 0; a < n; ++a) {
        ctx.checkCancelled();
        ctx.report(double(a) / double(n), "budget solver: bounded search");
        const auto &opts = units[active[a]].options;
        const size_t begin = stageBegin[a], end = stageBegin[a + 1];
        // One stream per option over the previous list (sorted by bytes, damage falling), so
        // each stream is sorted too; merge them and keep the strictly improving ones.
        std::priority_queue<Candidate, std::vector<Candidate>, decltype(later)> heap(later);
        auto push = [&](size_t s, size_t j) {
            if (s >= end)
                return;
            const uint64_t extra = states[s].extra + opts[j].extra;
            if (extra < states[s].extra || extra > capacity)
                return;  // the stream's later states only have more bytes
            heap.push({extra, states[s].damage + opts[j].damage, s, j});
        };
        for (size_t j = 0; j < opts.size(); ++j)
            push(begin, j);
        double lastDamage = std::numeric_limits<double>::infinity();
        while (!heap.empty()) {
            const Candidate c = heap.top();
            heap.pop();
            push(c.state + 1, c.option);
            if ((++pops & 0xffff) == 0)
                ctx.checkCancelled();
            if (c.damage >= lastDamage)
                continue;  // dominated: no fewer bytes, no less damage
            const double left = double(capacity - c.extra);
            const double rest =
                std::max(restPlain[a + 1], restLagrange[a + 1] - lambda * left);
            if (c.damage + rest > cutoff)
                continue;
            lastDamage = c.damage;
            if (states.size() >= params.maxStates ||
                states.size() >= std::numeric_limits<uint32_t>::max())
                fail("the exact search needs more than SolverParams::maxStates = " +
                     std::to_string(params.maxStates) +
                     " partial plans; raise it (or maxDpCells, if the byte sizes share a "
                     "larger common divisor)");
            states.push_back({c.extra, c.damage, uint32_t(c.state), uint16_t(c.option)});
        }
        stageBegin.push_back(states.size());
    }
    statesKept = states.size();
    std::vector<size_t> plan = incumbent;
    const size_t begin = stageBegin[n], end = stageBegin[n + 1];
    if (end == begin)
        return plan;  // every path pruned within the margin: the incumbent is optimal
    // The last state has the most bytes and the least damage of the final list.
    size_t s = end - 1;
    if (states[s].damage >= incumbentDamage)
        return plan;
    for (size_t a = n; a-- > 0;) {
        plan[active[a]] = states[s].option;
        s = states[s].parent;
    }
    return plan;
}

} // namespace

const char *solverMethodName(SolverMethod m)
{
    switch (m) {
    case SolverMethod::Unconstrained:
        return "unconstrained";
    case SolverMethod::Dp:
        return "dp";
    case SolverMethod::BoundedPareto:
        return "bounded-pareto";
    }
    return "unknown";
}

BudgetInfeasible::BudgetInfeasible(uint64_t smallest, uint64_t budget)
    : Error(std::string(kWho) + ": the smallest plan (locks and groups kept) needs " +
            std::to_string(smallest) + " bytes, the budget is " + std::to_string(budget) +
            " bytes: over by " + std::to_string(smallest - budget) + " bytes"),
      smallestBytes(smallest), budgetBytes(budget)
{
}

BudgetSolution solveBudget(const BudgetProblem &problem, const SolverParams &params,
                           const JobContext &ctx)
{
    validateItems(problem);
    std::vector<Unit> units;
    for (auto &members : memberLists(problem))
        units.push_back(makeUnit(problem, std::move(members)));

    uint64_t smallest = 0, leastDamageBytes = 0;
    bool leastDamageOverflows = false;
    for (const Unit &u : units) {
        smallest = addChecked(smallest, u.minBytes, "the smallest plan");
        const uint64_t b = u.minBytes + u.options.back().extra;
        if (leastDamageOverflows || b > std::numeric_limits<uint64_t>::max() - leastDamageBytes)
            leastDamageOverflows = true;
        else
            leastDamageBytes += b;
    }
    if (smallest > problem.budgetBytes)
        throw BudgetInfeasible(smallest, problem.budgetBytes);
    const uint64_t capacity = problem.budgetBytes - smallest;

    BudgetSolution sol;
    std::vector<size_t> plan(units.size(), 0);
    if (!leastDamageOverflows && leastDamageBytes <= problem.budgetBytes) {
        for (size_t u = 0; u < units.size(); ++u)
            plan[u] = units[u].options.size() - 1;
        sol.method = SolverMethod::Unconstrained;
    } else {
        const LpResult lp = solveLp(units, capacity);
        sol.lowerBound = lp.lowerBound;
        sol.lambda = lp.lambda;
        std::vector<size_t> active;
        uint64_t g = 0;
        for (size_t u = 0; u < units.size(); ++u) {
            if (units[u].options.size() < 2)
                continue;
            active.push_back(u);
            for (const UnitOption &o : units[u].options)
                g = std::gcd(g, o.extra);
        }
        // g > 0: some unit has two non-dominated options, or the plan would be unconstrained.
        const uint64_t cells = capacity / g;
        const bool dpFits = cells < params.maxDpCells &&
                            (cells + 1) <= params.maxDpCells / std::max<size_t>(active.size(), 1);
        if (dpFits) {
            plan = solveDp(units, active, g, cells, ctx);
            sol.method = SolverMethod::Dp;
            sol.granularity = g;
        } else {
            const std::vector<size_t> incumbent = greedyPlan(units, lp, capacity);
            plan = solveBoundedPareto(units, active, capacity, lp, incumbent, params, ctx,
                                      sol.statesKept);
            sol.method = SolverMethod::BoundedPareto;
        }
    }

    sol.choice.assign(problem.items.size(), 0);
    for (size_t u = 0; u < units.size(); ++u)
        for (size_t i : units[u].members)
            sol.choice[i] = units[u].options[plan[u]].option;
    for (size_t i = 0; i < problem.items.size(); ++i) {
        const SolverOption &o = problem.items[i].options[sol.choice[i]];
        sol.totalBytes += o.bytes;  // <= budget, checked above for the smallest plan
        sol.totalDamage += o.damage;
    }
    if (sol.method == SolverMethod::Unconstrained) {
        sol.lowerBound = sol.totalDamage;
        sol.lambda = 0.0;
    }
    ctx.report(1.0, "budget solver: done");
    return sol;
}

} // namespace cwb
