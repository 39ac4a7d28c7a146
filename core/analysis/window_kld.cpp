// SPDX-License-Identifier: MIT
#include "analysis/window_kld.h"

#include "util/error.h"

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <string>

namespace cwb {
namespace {

// log sum_v exp(z_v), in double, shifted by the maximum.
double logSumExp(const float *z, int64_t n)
{
    float m = z[0];
    for (int64_t v = 1; v < n; ++v)
        m = std::max(m, z[v]);
    double s = 0;
    for (int64_t v = 0; v < n; ++v)
        s += std::exp(double(z[v]) - double(m));
    return double(m) + std::log(s);
}

void checkRows(const BaseRows &base, std::span<const float> logits, const char *what)
{
    if (int64_t(logits.size()) != base.rows * base.vocab)
        throw Error(std::string(what) + ": " + std::to_string(logits.size())
                    + " logits for base rows of " + std::to_string(base.rows) + " x "
                    + std::to_string(base.vocab));
}

} // namespace

void encodeBaseRows(std::span<const float> logits, int64_t vocab, BaseRows &base,
                    std::span<const int32_t> targets, std::span<double> nll)
{
    if (vocab <= 0 || logits.size() % size_t(vocab) != 0)
        throw Error("base rows: " + std::to_string(logits.size())
                    + " logits are no whole rows of " + std::to_string(vocab));
    const int64_t rows = int64_t(logits.size()) / vocab;
    base.rows = rows;
    base.vocab = vocab;
    base.probs.resize(logits.size());
    base.invNorm.resize(size_t(rows));
    base.negEntropy.resize(size_t(rows));
    tbb::parallel_for(tbb::blocked_range<int64_t>(0, rows, 4), [&](const auto &range) {
        for (int64_t r = range.begin(); r < range.end(); ++r) {
            const float *z = logits.data() + r * vocab;
            float *p = base.probs.data() + r * vocab;
            const double lse = logSumExp(z, vocab);
            double sum = 0;
            for (int64_t v = 0; v < vocab; ++v) {
                p[v] = float(std::exp(double(z[v]) - lse));
                sum += double(p[v]);
            }
            const double inv = 1.0 / sum;
            double negEntropy = 0;
            for (int64_t v = 0; v < vocab; ++v)
                if (p[v] > 0) {
                    const double pv = double(p[v]) * inv;
                    negEntropy += pv * std::log(pv);
                }
            base.invNorm[size_t(r)] = inv;
            base.negEntropy[size_t(r)] = negEntropy;
            if (!targets.empty())
                nll[size_t(r)] = lse - double(z[targets[size_t(r)]]);
        }
    });
}

double klRowReference(const BaseRows &base, int64_t row, std::span<const float> logits)
{
    const int64_t n = base.vocab;
    const float *z = logits.data();
    const float *p = base.probs.data() + row * n;
    const double lse = logSumExp(z, n);
    const double inv = base.invNorm[size_t(row)];
    double kl = 0;
    for (int64_t v = 0; v < n; ++v) {
        if (p[v] <= 0)
            continue;
        const double pv = double(p[v]) * inv;
        kl += pv * (std::log(pv) - (double(z[v]) - lse));
    }
    return kl;
}

double klRow(const BaseRows &base, int64_t row, std::span<const float> logits)
{
    const int64_t n = base.vocab;
    const float *z = logits.data();
    const float *p = base.probs.data() + row * n;
    double dot = 0;
    for (int64_t v = 0; v < n; ++v)
        dot += double(p[v]) * double(z[v]);
    return base.negEntropy[size_t(row)] - base.invNorm[size_t(row)] * dot + logSumExp(z, n);
}

double klRowsSumReference(const BaseRows &base, std::span<const float> logits)
{
    checkRows(base, logits, "KL reference");
    double sum = 0;
    for (int64_t r = 0; r < base.rows; ++r)
        sum += klRowReference(base, r, logits.subspan(size_t(r * base.vocab), size_t(base.vocab)));
    return sum;
}

double klRowsSum(const BaseRows &base, std::span<const float> logits)
{
    checkRows(base, logits, "KL");
    std::vector<double> perRow(size_t(base.rows));
    tbb::parallel_for(tbb::blocked_range<int64_t>(0, base.rows, 4), [&](const auto &range) {
        for (int64_t r = range.begin(); r < range.end(); ++r)
            perRow[size_t(r)] =
                klRow(base, r, logits.subspan(size_t(r * base.vocab), size_t(base.vocab)));
    });
    double sum = 0;
    for (const double v : perRow)
        sum += v;
    return sum;
}

} // namespace cwb
