// SPDX-License-Identifier: MIT
#include "analysis/sensitivity_table.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace cwb {

const SensitivityTensor *SensitivityTable::find(const std::string &nameOrCanonical) const
{
    for (const auto &t : tensors)
        if (t.name == nameOrCanonical || (!t.canonical.empty() && t.canonical == nameOrCanonical))
            return &t;
    return nullptr;
}

std::optional<size_t> SensitivityTable::optionIndex(const std::string &id) const
{
    for (size_t i = 0; i < options.size(); ++i)
        if (options[i].id == id)
            return i;
    return std::nullopt;
}

namespace {

// Ranks 1..n, ties sharing the mean of the ranks they span.
std::vector<double> ranks(std::span<const double> v)
{
    std::vector<size_t> order(v.size());
    std::iota(order.begin(), order.end(), size_t(0));
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
    std::vector<double> r(v.size());
    for (size_t i = 0; i < order.size();) {
        size_t j = i;
        while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]])
            ++j;
        const double mean = 0.5 * double(i + j) + 1.0;
        for (size_t k = i; k <= j; ++k)
            r[order[k]] = mean;
        i = j + 1;
    }
    return r;
}

} // namespace

std::optional<double> spearman(std::span<const double> x, std::span<const double> y)
{
    if (x.size() != y.size() || x.size() < 3)
        return std::nullopt;
    const std::vector<double> rx = ranks(x), ry = ranks(y);
    const double n = double(x.size());
    const double mean = (n + 1.0) / 2.0;
    double sxy = 0, sxx = 0, syy = 0;
    for (size_t i = 0; i < rx.size(); ++i) {
        sxy += (rx[i] - mean) * (ry[i] - mean);
        sxx += (rx[i] - mean) * (rx[i] - mean);
        syy += (ry[i] - mean) * (ry[i] - mean);
    }
    if (sxx <= 0 || syy <= 0)
        return std::nullopt;
    return sxy / std::sqrt(sxx * syy);
}

std::vector<ProxyCorrelation> proxyCorrelations(const SensitivityTable &table)
{
    struct Proxy {
        const char *name;
        double SensitivityCell::*field;
    };
    const Proxy proxies[] = {{"relative_error", &SensitivityCell::relativeError},
                             {"output_error", &SensitivityCell::outputError},
                             {"hessian_error", &SensitivityCell::hessianError}};
    std::vector<ProxyCorrelation> out;
    for (const Proxy &p : proxies) {
        std::vector<double> proxy, measured;
        for (const auto &t : table.tensors)
            for (const auto &c : t.cells) {
                const double v = c.*p.field;
                if (!c.fits || v < 0 || (c.deltaKld == 0 && c.relativeError == 0))
                    continue;
                proxy.push_back(v);
                measured.push_back(c.deltaKld);
            }
        out.push_back({p.name, int64_t(proxy.size()), spearman(proxy, measured)});
    }
    return out;
}

} // namespace cwb
