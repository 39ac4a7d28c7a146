// SPDX-License-Identifier: MIT
// The exact budget solver against a plain brute-force enumeration on random small instances
// (gcd and no-gcd sizes, tied damages, dominated options, locks, groups, infeasible budgets),
// both exact paths (DP, bounded Pareto) against each other on a medium instance, a large
// realistic instance, input validation and cancellation.

#include "solve/budget_solver.h"

#include <QElapsedTimer>
#include <QTest>

#include <atomic>
#include <cmath>
#include <optional>
#include <random>
#include <string>
#include <vector>

using cwb::BudgetProblem;
using cwb::BudgetSolution;
using cwb::SolverMethod;
using cwb::SolverParams;

namespace {

struct Reference {
    bool feasible = false;
    double damage = 0.0;
    uint64_t smallestBytes = 0;  // of any plan keeping locks and groups
};

bool keepsConstraints(const BudgetProblem &p, const std::vector<size_t> &choice)
{
    for (size_t i = 0; i < p.items.size(); ++i)
        if (p.items[i].lockedOption >= 0 && choice[i] != size_t(p.items[i].lockedOption))
            return false;
    for (const auto &g : p.groups)
        for (size_t i : g.items)
            if (choice[i] != choice[g.items.front()])
                return false;
    return true;
}

// Every combination of options, damage summed in item order.
Reference bruteForce(const BudgetProblem &p)
{
    Reference ref;
    ref.smallestBytes = UINT64_MAX;
    std::vector<size_t> choice(p.items.size(), 0);
    while (true) {
        if (keepsConstraints(p, choice)) {
            uint64_t bytes = 0;
            double damage = 0.0;
            for (size_t i = 0; i < p.items.size(); ++i) {
                bytes += p.items[i].options[choice[i]].bytes;
                damage += p.items[i].options[choice[i]].damage;
            }
            ref.smallestBytes = std::min(ref.smallestBytes, bytes);
            if (bytes <= p.budgetBytes && (!ref.feasible || damage < ref.damage)) {
                ref.feasible = true;
                ref.damage = damage;
            }
        }
        size_t i = 0;
        while (i < choice.size() && ++choice[i] == p.items[i].options.size())
            choice[i++] = 0;
        if (i == choice.size())
            return ref;
    }
}

// A random instance: 1..7 items, 1..5 options; sizes sharing a common divisor or not; damages
// either multiples of 1/8 (exact sums, many ties) or arbitrary reals; some locks and groups.
BudgetProblem randomProblem(uint32_t seed, bool dyadic)
{
    std::mt19937 rng(seed);
    auto uniform = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    BudgetProblem p;
    const size_t n = size_t(uniform(1, 7));
    p.items.resize(n);
    // Groups first: their members share the option count and labels.
    std::vector<size_t> optionCount(n);
    for (auto &c : optionCount)
        c = size_t(uniform(1, 5));
    if (n >= 2 && uniform(0, 1)) {
        std::vector<size_t> order(n);
        for (size_t i = 0; i < n; ++i)
            order[i] = i;
        std::shuffle(order.begin(), order.end(), rng);
        size_t at = 0;
        while (at + 2 <= n && uniform(0, 2) != 0) {
            const size_t size = std::min(n - at, size_t(uniform(2, 3)));
            cwb::SolverGroup g;
            g.name = "group" + std::to_string(p.groups.size());
            g.items.assign(order.begin() + long(at), order.begin() + long(at + size));
            for (size_t i : g.items)
                optionCount[i] = optionCount[g.items.front()];
            p.groups.push_back(std::move(g));
            at += size;
        }
    }
    const int mode = uniform(0, 3);
    const uint64_t unit = mode == 0 ? 1 : mode == 1 ? 16 : mode == 2 ? 4096 : 18;
    for (size_t i = 0; i < n; ++i) {
        auto &item = p.items[i];
        item.name = "t" + std::to_string(i);
        for (size_t j = 0; j < optionCount[i]; ++j) {
            cwb::SolverOption o;
            o.bytes = mode == 0 ? uint64_t(uniform(1, 1000)) : unit * uint64_t(uniform(1, 40));
            o.damage = dyadic ? uniform(0, 48) / 8.0
                              : std::uniform_real_distribution<double>(0.0, 3.0)(rng);
            o.label = "opt" + std::to_string(j);
            item.options.push_back(o);
        }
        if (uniform(0, 4) == 0)
            item.lockedOption = uniform(0, int(optionCount[i]) - 1);
    }
    for (const auto &g : p.groups) {  // a group's locks must agree: take its first member's
        const int lock = p.items[g.items.front()].lockedOption;
        for (size_t i : g.items)
            p.items[i].lockedOption = lock;
    }
    uint64_t lo = 0, hi = 0;
    for (const auto &item : p.items) {
        uint64_t mn = UINT64_MAX, mx = 0;
        for (const auto &o : item.options) {
            mn = std::min(mn, o.bytes);
            mx = std::max(mx, o.bytes);
        }
        lo += mn;
        hi += mx;
    }
    // From a bit under the smallest plan (infeasible) to above the largest (unconstrained).
    const double t = std::uniform_real_distribution<double>(-0.1, 1.1)(rng);
    p.budgetBytes = uint64_t(std::max(0.0, double(lo) + t * double(hi - lo)));
    return p;
}

void checkSolution(const BudgetProblem &p, const BudgetSolution &s)
{
    QCOMPARE(s.choice.size(), p.items.size());
    uint64_t bytes = 0;
    double damage = 0.0;
    for (size_t i = 0; i < p.items.size(); ++i) {
        QVERIFY(s.choice[i] < p.items[i].options.size());
        bytes += p.items[i].options[s.choice[i]].bytes;
        damage += p.items[i].options[s.choice[i]].damage;
    }
    QVERIFY(keepsConstraints(p, s.choice));
    QCOMPARE(s.totalBytes, bytes);
    QCOMPARE(s.totalDamage, damage);
    QVERIFY2(s.totalBytes <= p.budgetBytes, "over budget");
    QVERIFY2(s.lowerBound <= s.totalDamage + 1e-9 * (1.0 + s.totalDamage),
             qPrintable(QStringLiteral("bound %1 > damage %2")
                            .arg(s.lowerBound)
                            .arg(s.totalDamage)));
}

// Runs both exact paths on one instance and compares them with brute force.
void checkAgainstBruteForce(const BudgetProblem &p, uint32_t seed, bool exactSums)
{
    const Reference ref = bruteForce(p);
    const SolverParams dp;
    SolverParams pareto;
    pareto.maxDpCells = 0;  // forces the bounded Pareto search
    for (const SolverParams &params : {dp, pareto}) {
        const QByteArray where = "seed " + QByteArray::number(seed) + ", maxDpCells " +
                                 QByteArray::number(qulonglong(params.maxDpCells));
        if (!ref.feasible) {
            try {
                (void)cwb::solveBudget(p, params);
                QFAIL(("infeasible budget accepted: " + where).constData());
            } catch (const cwb::BudgetInfeasible &e) {
                QCOMPARE(e.smallestBytes, ref.smallestBytes);
                QCOMPARE(e.budgetBytes, p.budgetBytes);
                QVERIFY(std::string(e.what()).find(
                            "over by " + std::to_string(ref.smallestBytes - p.budgetBytes) +
                            " bytes") != std::string::npos);
            }
            continue;
        }
        const BudgetSolution s = cwb::solveBudget(p, params);
        checkSolution(p, s);
        if (QTest::currentTestFailed())
            QFAIL(where.constData());
        if (exactSums)
            QVERIFY2(s.totalDamage == ref.damage,
                     (where + ": " + QByteArray::number(s.totalDamage, 'g', 17) + " vs " +
                      QByteArray::number(ref.damage, 'g', 17))
                         .constData());
        else
            QVERIFY2(std::abs(s.totalDamage - ref.damage) <= 1e-12 * (1.0 + ref.damage),
                     where.constData());
    }
}

// A realistic model: `n` matrices of llama-like shapes, options at ggml-like bits/weight with a
// few bytes of jitter (so no common divisor), damage falling ~2^-bpw with per-tensor sensitivity.
BudgetProblem realisticProblem(size_t n, size_t nOptions, uint32_t seed, uint64_t align,
                               double budgetFraction)
{
    std::mt19937 rng(seed);
    const uint64_t shapes[] = {4096ull * 4096, 4096ull * 1024, 4096ull * 11008, 2048ull * 5632};
    const double bpw[] = {2.5625, 3.4375, 4.0, 4.5, 5.0, 5.5, 6.0, 6.5625, 7.0, 8.5, 12.0, 16.0};
    std::uniform_real_distribution<double> unif(0.0, 1.0);
    BudgetProblem p;
    uint64_t lo = 0, hi = 0;
    for (size_t i = 0; i < n; ++i) {
        cwb::SolverItem item;
        item.name = "blk." + std::to_string(i);
        item.name += ".weight";
        const uint64_t params = shapes[rng() % 4] / 64;  // 2^20-scale byte counts
        const double sensitivity = std::exp(3.0 * unif(rng));
        for (size_t j = 0; j < nOptions; ++j) {
            cwb::SolverOption o;
            const double b = bpw[j % 12] + 0.01 * double(j / 12);
            o.bytes = uint64_t(double(params) * b / 8.0) / align * align + align * (rng() % 4);
            o.damage = sensitivity * std::exp2(-b) * (0.8 + 0.4 * unif(rng));
            o.label = std::string("f").append(std::to_string(j));
            item.options.push_back(o);
        }
        uint64_t mn = UINT64_MAX, mx = 0;
        for (const auto &o : item.options) {
            mn = std::min(mn, o.bytes);
            mx = std::max(mx, o.bytes);
        }
        lo += mn;
        hi += mx;
        p.items.push_back(std::move(item));
    }
    p.budgetBytes = lo + uint64_t(budgetFraction * double(hi - lo));
    return p;
}

} // namespace

class TestBudgetSolver : public QObject {
    Q_OBJECT
private slots:
    void randomExactAgainstBruteForce()
    {
        int infeasible = 0, grouped = 0, locked = 0;
        for (uint32_t seed = 1; seed <= 6000; ++seed) {
            const BudgetProblem p = randomProblem(seed, true);
            infeasible += !bruteForce(p).feasible;
            grouped += !p.groups.empty();
            for (const auto &item : p.items)
                locked += item.lockedOption >= 0;
            checkAgainstBruteForce(p, seed, true);
            if (QTest::currentTestFailed())
                return;
        }
        // The generator covers what it claims to.
        QVERIFY(infeasible > 100);
        QVERIFY(grouped > 1000);
        QVERIFY(locked > 1000);
    }

    void randomRealDamagesAgainstBruteForce()
    {
        for (uint32_t seed = 10001; seed <= 14000; ++seed) {
            checkAgainstBruteForce(randomProblem(seed, false), seed, false);
            if (QTest::currentTestFailed())
                return;
        }
    }

    void handWorkedExample()
    {
        // Budget 10: a at 6 bytes and b at 4 (damage 1 + 3) beat every other fit; a's
        // 7-byte option is dominated by its 6-byte one.
        BudgetProblem p;
        p.items = {{"a", {{3, 5.0, "lo"}, {6, 1.0, "hi"}, {7, 1.5, "dominated"}}, -1},
                   {"b", {{2, 4.0, "lo"}, {4, 3.0, "mid"}, {7, 0.0, "hi"}}, -1}};
        p.budgetBytes = 10;
        const BudgetSolution s = cwb::solveBudget(p);
        QCOMPARE(s.choice, (std::vector<size_t>{1, 1}));
        QCOMPARE(s.totalDamage, 4.0);
        QCOMPARE(s.totalBytes, uint64_t(10));
        QCOMPARE(s.method, SolverMethod::Dp);
        QCOMPARE(s.granularity, uint64_t(1));
        // LP: 5 bytes above the smallest plan; a's hull step (3 bytes, 4/3 per byte) fits, then
        // 2 of b's 5-byte hull step (its middle option lies above the hull), 0.8 per byte.
        QVERIFY(std::abs(s.lowerBound - 3.4) < 1e-12);
        QVERIFY(std::abs(s.lambda - 0.8) < 1e-12);
        // Locking b to its smallest option leaves a its 6-byte one.
        p.items[1].lockedOption = 0;
        const BudgetSolution locked = cwb::solveBudget(p);
        QCOMPARE(locked.choice, (std::vector<size_t>{1, 0}));
        QCOMPARE(locked.totalDamage, 5.0);
    }

    void groupsTakeOneOptionIndex()
    {
        // q and k must share a format; alone, q would take "hi" and k "lo".
        BudgetProblem p;
        p.items = {{"q", {{10, 9.0, "lo"}, {20, 0.0, "hi"}}, -1},
                   {"k", {{10, 1.0, "lo"}, {20, 0.5, "hi"}}, -1},
                   {"o", {{10, 4.0, "lo"}, {20, 0.0, "hi"}}, -1}};
        p.budgetBytes = 50;
        QCOMPARE(cwb::solveBudget(p).choice, (std::vector<size_t>{1, 0, 1}));
        p.groups = {{"qk", {0, 1}}};
        const BudgetSolution s = cwb::solveBudget(p);
        QCOMPARE(s.choice, (std::vector<size_t>{1, 1, 0}));
        QCOMPARE(s.totalDamage, 4.5);
    }

    void mediumInstanceBothExactPathsAgree()
    {
        // Sizes aligned to 1 KiB: the DP fits; the bounded search must find the same optimum.
        for (uint32_t seed = 1; seed <= 8; ++seed) {
            const BudgetProblem p = seed <= 6
                                        ? realisticProblem(40, 8, seed, 1024, 0.13 * seed)
                                        : realisticProblem(120, 12, seed, 4096, 0.1 * seed - 0.3);
            const BudgetSolution dp = cwb::solveBudget(p);
            QCOMPARE(dp.method, SolverMethod::Dp);
            QCOMPARE(dp.granularity % 1024, uint64_t(0));
            SolverParams params;
            params.maxDpCells = 0;
            const BudgetSolution bp = cwb::solveBudget(p, params);
            QCOMPARE(bp.method, SolverMethod::BoundedPareto);
            checkSolution(p, dp);
            checkSolution(p, bp);
            QVERIFY2(std::abs(dp.totalDamage - bp.totalDamage) <= 1e-12 * dp.totalDamage,
                     qPrintable(QStringLiteral("seed %1: dp %2, bounded %3")
                                    .arg(seed)
                                    .arg(dp.totalDamage, 0, 'g', 17)
                                    .arg(bp.totalDamage, 0, 'g', 17)));
        }
    }

    void largeRealisticInstance()
    {
        // 300 tensors x 12 options with byte counts sharing no divisor: the bounded search.
        for (const double fraction : {0.1, 0.45, 0.7, 0.95}) {
            const BudgetProblem p = realisticProblem(300, 12, 77, 1, fraction);
            QElapsedTimer timer;
            timer.start();
            const BudgetSolution s = cwb::solveBudget(p);
            qInfo("300 x 12 at %.2f: %lld ms, %s, %llu partial plans kept, gap to the LP bound "
                  "%.3g",
                  fraction, static_cast<long long>(timer.elapsed()),
                  cwb::solverMethodName(s.method),
                  static_cast<unsigned long long>(s.statesKept),
                  (s.totalDamage - s.lowerBound) / s.totalDamage);
            QCOMPARE(s.method, SolverMethod::BoundedPareto);
            checkSolution(p, s);
            QVERIFY(s.lambda > 0.0);
            // A necessary condition of optimality: no single tensor can move to a less damaging
            // option within the bytes left over.
            const uint64_t slack = p.budgetBytes - s.totalBytes;
            for (size_t i = 0; i < p.items.size(); ++i) {
                const auto &cur = p.items[i].options[s.choice[i]];
                for (const auto &o : p.items[i].options)
                    QVERIFY(!(o.damage < cur.damage && o.bytes <= cur.bytes + slack));
            }
        }
    }

    void validationNamesTheProblem_data()
    {
        QTest::addColumn<int>("kind");
        QTest::addColumn<QString>("expected");
        QTest::newRow("no options") << 0 << QStringLiteral("item 1 (b) has no options");
        QTest::newRow("lock out of range") << 1
                        << QStringLiteral("item 0 (a): lockedOption 5 is out of range");
        QTest::newRow("negative damage") << 2
                        << QStringLiteral("item 0 (a): option 1 (hi): damage");
        QTest::newRow("nan damage") << 3 << QStringLiteral("is not a finite value >= 0");
        QTest::newRow("labels differ") << 4
                        << QStringLiteral("group 0 (ab): option 1 is \"x\" for item b");
        QTest::newRow("counts differ") << 5 << QStringLiteral("group 0 (ab): item b has 3 options");
        QTest::newRow("two groups") << 6 << QStringLiteral("item 0 (a) is already in group 0 (ab)");
        QTest::newRow("locks disagree") << 7
                        << QStringLiteral("item a is locked to option 0 but item b");
        QTest::newRow("overflow") << 8 << QStringLiteral("exceeds 2^64 bytes");
        QTest::newRow("bad index") << 9 << QStringLiteral("item index 7 is out of range");
    }
    void validationNamesTheProblem()
    {
        QFETCH(int, kind);
        QFETCH(QString, expected);
        BudgetProblem p;
        p.items = {{"a", {{1, 1.0, "lo"}, {2, 0.5, "hi"}}, -1},
                   {"b", {{1, 1.0, "lo"}, {2, 0.5, "hi"}}, -1}};
        p.budgetBytes = 3;
        switch (kind) {
        case 0: p.items[1].options.clear(); break;
        case 1: p.items[0].lockedOption = 5; break;
        case 2: p.items[0].options[1].damage = -0.1; break;
        case 3: p.items[0].options[1].damage = std::nan(""); break;
        case 4: p.items[1].options[1].label = "x"; p.groups = {{"ab", {0, 1}}}; break;
        case 5: p.items[1].options.push_back({3, 0.1, "top"}); p.groups = {{"ab", {0, 1}}}; break;
        case 6: p.groups = {{"ab", {0, 1}}, {"a2", {0}}}; break;
        case 7:
            p.items[0].lockedOption = 0;
            p.items[1].lockedOption = 1;
            p.groups = {{"ab", {0, 1}}};
            break;
        case 8: p.items[0].options[0].bytes = p.items[0].options[1].bytes = UINT64_MAX; break;
        case 9: p.groups = {{"ab", {0, 7}}}; break;
        }
        try {
            (void)cwb::solveBudget(p);
            QFAIL("no error");
        } catch (const cwb::Error &e) {
            QVERIFY2(QString::fromUtf8(e.what()).contains(expected), e.what());
            QVERIFY(QString::fromUtf8(e.what()).startsWith(QStringLiteral("budget solver: ")));
        }
    }

    void infeasibleSaysByHowMuch()
    {
        BudgetProblem p;
        p.items = {{"a", {{100, 1.0, "lo"}, {200, 0.0, "hi"}}, 1},
                   {"b", {{50, 1.0, "lo"}}, -1}};
        p.budgetBytes = 240;
        try {
            (void)cwb::solveBudget(p);
            QFAIL("no error");
        } catch (const cwb::BudgetInfeasible &e) {
            QCOMPARE(e.smallestBytes, uint64_t(250));
            QCOMPARE(QString::fromUtf8(e.what()),
                     QStringLiteral("budget solver: the smallest plan (locks and groups kept) "
                                    "needs 250 bytes, the budget is 240 bytes: over by 10 bytes"));
        }
    }

    void stateLimitIsAnErrorNotAnApproximation()
    {
        const BudgetProblem p = realisticProblem(60, 12, 3, 1, 0.5);
        SolverParams params;
        params.maxDpCells = 0;
        params.maxStates = 5;
        QVERIFY_THROWS_EXCEPTION(cwb::Error, (void)cwb::solveBudget(p, params));
    }

    void cancellation()
    {
        const BudgetProblem p = realisticProblem(50, 12, 9, 1024, 0.5);
        std::atomic<bool> flag{true};
        cwb::JobContext ctx;
        ctx.cancelFlag = &flag;
        for (uint64_t cells : {uint64_t(1) << 25, uint64_t(0)}) {
            SolverParams params;
            params.maxDpCells = cells;
            QVERIFY_THROWS_EXCEPTION(cwb::Cancelled, (void)cwb::solveBudget(p, params, ctx));
        }
    }
};

QTEST_GUILESS_MAIN(TestBudgetSolver)
#include "test_budget_solver.moc"
