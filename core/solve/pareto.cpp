// SPDX-License-Identifier: MIT
#include "solve/pareto.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace cwb {
namespace {

bool dominates(const CostPoint &a, const CostPoint &b)
{
    return a.x <= b.x && a.y <= b.y && (a.x < b.x || a.y < b.y);
}

bool valid(const CostPoint &p)
{
    return !std::isnan(p.x) && !std::isnan(p.y);
}

} // namespace

std::vector<size_t> paretoFront(const std::vector<CostPoint> &points)
{
    std::vector<size_t> order;
    for (size_t i = 0; i < points.size(); ++i)
        if (valid(points[i]))
            order.push_back(i);
    // By x, then y: a point is on the front when its y is below every y seen at a smaller x, or
    // equal to the best y and at the same x as that best (an exact tie).
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        const CostPoint &p = points[a], &q = points[b];
        return p.x < q.x || (p.x == q.x && p.y < q.y);
    });
    std::vector<size_t> front;
    double bestY = std::numeric_limits<double>::infinity();
    double bestX = -std::numeric_limits<double>::infinity();
    for (const size_t i : order) {
        const CostPoint &p = points[i];
        if (p.y < bestY) {
            front.push_back(i);
            bestY = p.y;
            bestX = p.x;
        } else if (p.y == bestY && p.x == bestX) {
            front.push_back(i); // the same pair as the last point on the front
        }
    }
    return front;
}

std::vector<size_t> paretoFrontReference(const std::vector<CostPoint> &points)
{
    std::vector<size_t> front;
    for (size_t i = 0; i < points.size(); ++i) {
        if (!valid(points[i]))
            continue;
        bool dominated = false;
        for (size_t j = 0; j < points.size() && !dominated; ++j)
            dominated = j != i && valid(points[j]) && dominates(points[j], points[i]);
        if (!dominated)
            front.push_back(i);
    }
    return front;
}

} // namespace cwb
