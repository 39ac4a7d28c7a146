// SPDX-License-Identifier: MIT
// The Pareto front (core/solve/pareto.h): hand-made cases with ties, dominated points, equal x
// or equal y and NaN costs; and the O(n log n) front equals the plain reference on random sets
// drawn from few distinct values (so ties are common).

#include "solve/pareto.h"

#include <QTest>

#include <algorithm>
#include <cmath>
#include <random>

using cwb::CostPoint;

namespace {

std::vector<size_t> sorted(std::vector<size_t> v)
{
    std::sort(v.begin(), v.end());
    return v;
}

} // namespace

class TestPareto : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void handMade_data()
    {
        QTest::addColumn<QVector<double>>("xy");
        QTest::addColumn<QVector<int>>("front"); // in increasing x
        QTest::newRow("empty") << QVector<double>{} << QVector<int>{};
        QTest::newRow("one") << QVector<double>{1, 1} << QVector<int>{0};
        QTest::newRow("dominated") << QVector<double>{1, 1, 2, 2} << QVector<int>{0};
        QTest::newRow("trade-off") << QVector<double>{1, 3, 2, 2, 3, 1} << QVector<int>{0, 1, 2};
        // (2, 2) is dominated by (2, 1): same x, worse y.
        QTest::newRow("same x") << QVector<double>{2, 2, 2, 1, 1, 5} << QVector<int>{2, 1};
        // (3, 1) is dominated by (2, 1): same y, larger x.
        QTest::newRow("same y") << QVector<double>{3, 1, 2, 1, 1, 4} << QVector<int>{2, 1};
        // An exact tie: both copies stay.
        QTest::newRow("tie") << QVector<double>{1, 2, 1, 2, 0, 3} << QVector<int>{2, 0, 1};
        QTest::newRow("nan") << QVector<double>{NAN, 0, 1, 1, 0, NAN} << QVector<int>{1};
    }

    void handMade()
    {
        QFETCH(QVector<double>, xy);
        QFETCH(QVector<int>, front);
        std::vector<CostPoint> points;
        for (qsizetype i = 0; i + 1 < xy.size(); i += 2)
            points.push_back({xy[i], xy[i + 1]});
        const std::vector<size_t> got = cwb::paretoFront(points);
        QCOMPARE(got.size(), size_t(front.size()));
        for (size_t i = 0; i < got.size(); ++i)
            QCOMPARE(int(got[i]), front[qsizetype(i)]);
        QCOMPARE(sorted(got), cwb::paretoFrontReference(points));
    }

    void matchesReference()
    {
        std::mt19937 rng(7);
        for (int round = 0; round < 2000; ++round) {
            const int n = int(rng() % 12);
            const int values = 1 + int(rng() % 4);
            std::vector<CostPoint> points;
            for (int i = 0; i < n; ++i)
                points.push_back({double(rng() % values), double(rng() % values)});
            QCOMPARE(sorted(cwb::paretoFront(points)), cwb::paretoFrontReference(points));
        }
    }
};

QTEST_GUILESS_MAIN(TestPareto)
#include "test_pareto.moc"
