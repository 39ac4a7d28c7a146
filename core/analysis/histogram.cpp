// SPDX-License-Identifier: MIT
#include "analysis/histogram.h"

#include "analysis/matrix_view.h"
#include "analysis/stats_simd.h"
#include "tensor/tensor.h"
#include "util/error.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_reduce.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <string>

namespace cwb {
namespace {

// Resolution of the auxiliary histogram that locates the Percentile clip points: they are
// snapped outwards to its edges, so at most the allowed share of values is clipped per side.
constexpr int kFineBins = 1 << 16;
// Below this many values the fast path runs on the calling thread (task overhead dominates).
constexpr size_t kParallelThreshold = size_t{1} << 15;
constexpr size_t kGrain = size_t{1} << 14;

struct Moments {
    uint64_t finite = 0, nan = 0, inf = 0, zeros = 0;
    double min = std::numeric_limits<double>::infinity();
    double max = -std::numeric_limits<double>::infinity();
    double mean = 0;
    double m2 = 0; // sum of squared deviations from the mean

    // Chan et al.'s pairwise combination of (count, mean, M2).
    void merge(const Moments &o)
    {
        nan += o.nan;
        inf += o.inf;
        zeros += o.zeros;
        min = std::min(min, o.min);
        max = std::max(max, o.max);
        if (o.finite == 0)
            return;
        if (finite == 0) {
            finite = o.finite;
            mean = o.mean;
            m2 = o.m2;
            return;
        }
        const double na = static_cast<double>(finite), nb = static_cast<double>(o.finite);
        const double n = na + nb;
        const double delta = o.mean - mean;
        mean += delta * nb / n;
        m2 += o.m2 + delta * delta * na * nb / n;
        finite += o.finite;
    }
};

// Maps a value to its bin; the single definition both paths share, so their counts agree exactly.
struct Binner {
    double lo = -1, hi = 1, scale = 0.5;
    int bins = 1;

    Binner(double lo_, double hi_, int bins_)
        : lo(lo_), hi(hi_), scale(bins_ / (hi_ - lo_)), bins(bins_)
    {}
    // -1: below lo, bins: above hi, else the bin index.
    [[nodiscard]] int64_t index(double x) const
    {
        if (x < lo)
            return -1;
        if (x > hi)
            return bins;
        return std::min<int64_t>(static_cast<int64_t>((x - lo) * scale), bins - 1);
    }
    [[nodiscard]] double edge(int64_t i) const
    {
        return i == bins ? hi : lo + (hi - lo) * static_cast<double>(i) / bins;
    }
};

struct Counts {
    std::vector<uint64_t> bins;
    uint64_t below = 0, above = 0;

    explicit Counts(int n = 0) : bins(static_cast<size_t>(n), 0) {}
    void add(float v, const Binner &b)
    {
        if (!std::isfinite(v))
            return;
        const int64_t i = b.index(v);
        if (i < 0)
            ++below;
        else if (i >= b.bins)
            ++above;
        else
            ++bins[static_cast<size_t>(i)];
    }
    void merge(const Counts &o)
    {
        for (size_t i = 0; i < bins.size(); ++i)
            bins[i] += o.bins[i];
        below += o.below;
        above += o.above;
    }
};

void validate(const HistogramParams &p)
{
    if (p.bins < 1 || p.bins > 1'000'000)
        throw Error("histogram: bins must be between 1 and 1000000, got " + std::to_string(p.bins));
    if (!(p.clipPercentile > 50.0 && p.clipPercentile <= 100.0))
        throw Error("histogram: clip percentile must be in (50, 100], got "
                    + std::to_string(p.clipPercentile));
    if (p.blockValues < 1)
        throw Error("histogram: blockValues must be positive");
}

// A range of zero width (constant data) is widened so the value lands in a middle bin.
std::pair<double, double> widen(double lo, double hi)
{
    if (hi > lo)
        return {lo, hi};
    const double half = lo == 0 ? 1.0 : std::abs(lo) * 0.5;
    return {lo - half, hi + half};
}

// ---- scalar reference kernels ----

Moments momentsReference(std::span<const float> v)
{
    Moments m;
    for (float x : v) {
        if (std::isnan(x)) {
            ++m.nan;
            continue;
        }
        if (std::isinf(x)) {
            ++m.inf;
            continue;
        }
        if (x == 0.0f)
            ++m.zeros;
        const double d = x;
        m.min = std::min(m.min, d);
        m.max = std::max(m.max, d);
        ++m.finite;
        const double delta = d - m.mean; // Welford
        m.mean += delta / static_cast<double>(m.finite);
        m.m2 += delta * (d - m.mean);
    }
    return m;
}

Counts countsReference(std::span<const float> v, const Binner &b)
{
    Counts c(b.bins);
    for (float x : v)
        c.add(x, b);
    return c;
}

// ---- oneTBB fast path ----

// Counts::add for a block of values, vectorised. Slots are computed branch-free for a batch in
// float, with a bound on how far the float position t = (x - lo) * scale can be from the double
// one Binner::index uses: a value whose float position lies within that bound of a bin edge is
// re-binned with Binner::index itself, so the counts stay identical to Counts::add. Slots are
// then counted into interleaved sub-histograms, so runs of equal bins (a weight distribution's
// peak falls into a few bins) do not serialise on one counter's store-to-load latency. Many bins
// fall back to Counts::add.
void countsBlock(const float *p, size_t n, const Binner &b, Counts &c)
{
    constexpr int kMaxVectorBins = 4096;
    constexpr size_t kBatch = 256;
    // |t_float - t_double| <= (|lo| scale + 3 t + 1) 2^-24 (four roundings of relative 2^-24);
    // four times that is the margin around every edge.
    const double margin = (std::abs(b.lo) * b.scale + 3.0 * b.bins + 4.0) * 0x1p-22;
    if (b.bins > kMaxVectorBins || n < 64 || !(margin < 0.125)) {
        for (size_t i = 0; i < n; ++i)
            c.add(p[i], b);
        return;
    }
    // slot 0: below, 1..bins: the bins, bins + 1: above, bins + 2: NaN/Inf (dropped)
    const size_t slots = static_cast<size_t>(b.bins) + 3;
    const size_t ways = b.bins <= 1024 ? 16 : 4; // sub-histograms, all within L1/L2
    std::vector<uint32_t> sub(ways * slots, 0);
    // float bounds with (x < loF) == (x < lo) and (x > hiF) == (x > hi) for every float x
    float loF = static_cast<float>(b.lo);
    if (static_cast<double>(loF) < b.lo)
        loF = std::nextafter(loF, std::numeric_limits<float>::infinity());
    float hiF = static_cast<float>(b.hi);
    if (static_cast<double>(hiF) > b.hi)
        hiF = std::nextafter(hiF, -std::numeric_limits<float>::infinity());
    stats::SlotParams sp;
    sp.lo = static_cast<float>(b.lo);
    sp.scale = static_cast<float>(b.scale);
    sp.binsF = static_cast<float>(b.bins);
    sp.eps = static_cast<float>(margin);
    sp.loF = loF;
    sp.hiF = hiF;
    sp.last = b.bins - 1;
    sp.above = b.bins + 1;
    sp.dropped = b.bins + 2;
    const stats::SimdTable &kernels = stats::activeSimdTable();
    int32_t slot[kBatch];
    uint8_t unsure[kBatch];
    auto flush = [&] {
        for (size_t w = 0; w < ways; ++w) {
            const uint32_t *h = sub.data() + w * slots;
            c.below += h[0];
            for (size_t k = 0; k < static_cast<size_t>(b.bins); ++k)
                c.bins[k] += h[k + 1];
            c.above += h[b.bins + 1];
        }
        std::fill(sub.begin(), sub.end(), 0u);
    };
    size_t sinceFlush = 0;
    for (size_t s = 0; s < n; s += kBatch) {
        const size_t m = std::min(kBatch, n - s);
        const float *x = p + s;
        const bool anyUnsure = kernels.binSlots(x, static_cast<int64_t>(m), sp, slot, unsure);
        if (anyUnsure)
            for (size_t i = 0; i < m; ++i)
                if (unsure[i] && slot[i] != sp.dropped)
                    slot[i] = static_cast<int32_t>(b.index(x[i])) + 1;
        size_t i = 0;
        if (ways == 16) {
            for (; i + 16 <= m; i += 16)
                for (size_t w = 0; w < 16; ++w)
                    ++sub[w * slots + static_cast<size_t>(slot[i + w])];
        } else {
            for (; i + 4 <= m; i += 4)
                for (size_t w = 0; w < 4; ++w)
                    ++sub[w * slots + static_cast<size_t>(slot[i + w])];
        }
        for (; i < m; ++i)
            ++sub[static_cast<size_t>(slot[i])];
        sinceFlush += m;
        if (sinceFlush > (size_t{1} << 30)) { // 32-bit sub-counters
            flush();
            sinceFlush = 0;
        }
    }
    flush();
}

// One chunk with a shifted sum / sum of squares (no division per value), turned into (mean, M2).
Moments momentsChunk(const float *p, size_t n)
{
    Moments m;
    double shift = 0, s = 0, ss = 0;
    bool haveShift = false;
    for (size_t i = 0; i < n; ++i) {
        const float x = p[i];
        if (!std::isfinite(x)) {
            if (std::isnan(x))
                ++m.nan;
            else
                ++m.inf;
            continue;
        }
        if (x == 0.0f)
            ++m.zeros;
        const double d = x;
        if (!haveShift) {
            shift = d;
            haveShift = true;
        }
        m.min = std::min(m.min, d);
        m.max = std::max(m.max, d);
        ++m.finite;
        const double y = d - shift;
        s += y;
        ss += y * y;
    }
    if (m.finite > 0) {
        const double n = static_cast<double>(m.finite);
        m.mean = shift + s / n;
        m.m2 = std::max(0.0, ss - s * s / n);
    }
    return m;
}

struct MomentsBody {
    const float *data;
    const JobContext *ctx;
    Moments acc;

    MomentsBody(const float *d, const JobContext *c) : data(d), ctx(c) {}
    MomentsBody(MomentsBody &o, tbb::split) : data(o.data), ctx(o.ctx) {}
    void operator()(const tbb::blocked_range<size_t> &r)
    {
        if (ctx->cancelled())
            return; // the caller throws after the reduction
        acc.merge(momentsChunk(data + r.begin(), r.size()));
    }
    void join(const MomentsBody &o) { acc.merge(o.acc); }
};

// Per-thread bins: parallel_reduce reuses a body for all chunks one thread runs, and splits
// (allocating fresh bins) only when work is stolen.
struct CountsBody {
    const float *data;
    const Binner *binner;
    const JobContext *ctx;
    Counts acc;

    CountsBody(const float *d, const Binner *b, const JobContext *c)
        : data(d), binner(b), ctx(c), acc(b->bins)
    {}
    CountsBody(CountsBody &o, tbb::split)
        : data(o.data), binner(o.binner), ctx(o.ctx), acc(o.binner->bins)
    {}
    void operator()(const tbb::blocked_range<size_t> &r)
    {
        if (ctx->cancelled())
            return;
        countsBlock(data + r.begin(), r.size(), *binner, acc);
    }
    void join(const CountsBody &o) { acc.merge(o.acc); }
};

Moments momentsFast(std::span<const float> v, const JobContext &ctx)
{
    if (v.size() < kParallelThreshold)
        return momentsChunk(v.data(), v.size());
    MomentsBody body(v.data(), &ctx);
    tbb::parallel_reduce(tbb::blocked_range<size_t>(0, v.size(), kGrain), body);
    ctx.checkCancelled();
    return body.acc;
}

Counts countsFast(std::span<const float> v, const Binner &b, const JobContext &ctx)
{
    if (v.size() < kParallelThreshold)
        return countsReference(v, b);
    CountsBody body(v.data(), &b, &ctx);
    tbb::parallel_reduce(tbb::blocked_range<size_t>(0, v.size(), kGrain), body);
    ctx.checkCancelled();
    return body.acc;
}

// ---- shared assembly ----

std::pair<double, double> percentileRange(const Counts &fine, const Binner &fb, uint64_t finite,
                                          double pct)
{
    const auto allowed
        = static_cast<uint64_t>(std::floor((1.0 - pct / 100.0) * static_cast<double>(finite)));
    double lo = fb.lo, hi = fb.hi;
    uint64_t cum = 0;
    for (int64_t i = 0; i < fb.bins; ++i) {
        cum += fine.bins[static_cast<size_t>(i)];
        if (cum > allowed) {
            lo = fb.edge(i);
            break;
        }
    }
    cum = 0;
    for (int64_t i = fb.bins - 1; i >= 0; --i) {
        cum += fine.bins[static_cast<size_t>(i)];
        if (cum > allowed) {
            hi = fb.edge(i + 1);
            break;
        }
    }
    return widen(lo, hi);
}

// Runs the passes through the given kernels: moments() -> Moments, counts(Binner) -> Counts.
template <class MomentsFn, class CountsFn>
Histogram assemble(const HistogramParams &p, MomentsFn &&moments, CountsFn &&counts)
{
    const Moments m = moments();
    std::pair<double, double> range{-1.0, 1.0};
    if (m.finite > 0) {
        switch (p.range) {
        case HistogramRange::MinMax: range = widen(m.min, m.max); break;
        case HistogramRange::Symmetric: {
            const double a = std::max(std::abs(m.min), std::abs(m.max));
            range = widen(-a, a);
            break;
        }
        case HistogramRange::Percentile: {
            const auto [flo, fhi] = widen(m.min, m.max);
            const Binner fine(flo, fhi, kFineBins);
            range = percentileRange(counts(fine), fine, m.finite, p.clipPercentile);
            break;
        }
        }
    }
    const Binner b(range.first, range.second, p.bins);
    Counts c = counts(b);

    Histogram h;
    h.edges.resize(static_cast<size_t>(p.bins) + 1);
    for (int64_t i = 0; i <= p.bins; ++i)
        h.edges[static_cast<size_t>(i)] = b.edge(i);
    h.counts = std::move(c.bins);
    h.below = c.below;
    h.above = c.above;
    h.finite = m.finite;
    h.nan = m.nan;
    h.inf = m.inf;
    h.zeros = m.zeros;
    if (m.finite > 0) {
        h.min = m.min;
        h.max = m.max;
        h.mean = m.mean;
        h.std = std::sqrt(m.m2 / static_cast<double>(m.finite));
    }
    return h;
}

} // namespace

Histogram computeHistogramReference(std::span<const float> values, const HistogramParams &params)
{
    validate(params);
    return assemble(
        params, [&] { return momentsReference(values); },
        [&](const Binner &b) { return countsReference(values, b); });
}

Histogram computeHistogram(std::span<const float> values, const HistogramParams &params,
                           const JobContext &ctx)
{
    validate(params);
    ctx.checkCancelled();
    return assemble(
        params, [&] { return momentsFast(values, ctx); },
        [&](const Binner &b) { return countsFast(values, b, ctx); });
}

Histogram tensorHistogram(const Tensor &tensor, const HistogramParams &params,
                          const JobContext &ctx)
{
    validate(params);
    // Bytes that are produced by a loader (compressed storage) are fetched once, not per block.
    const Tensor view = tensorWithBytes(tensor);
    const int64_t rows = tensor.rows();
    const int64_t rowLen = tensor.rowLength();

    const int64_t rowsPerBlock
        = std::max<int64_t>(1, params.blockValues / std::max<int64_t>(rowLen, 1));
    std::vector<float> buffer(static_cast<size_t>(std::min(rowsPerBlock, rows) * rowLen));
    const int passes = params.range == HistogramRange::Percentile ? 3 : 2;
    int pass = 0;

    // Calls fn(span) for every block of rows, reporting progress and polling cancellation.
    auto forEachBlock = [&](auto &&fn) {
        for (int64_t r = 0; r < rows; r += rowsPerBlock) {
            ctx.checkCancelled();
            const int64_t n = std::min(rowsPerBlock, rows - r);
            const std::span<float> out(buffer.data(), static_cast<size_t>(n * rowLen));
            view.rowsToFloat(r, n, out);
            fn(std::span<const float>(out));
            ctx.report((pass + static_cast<double>(r + n) / static_cast<double>(rows)) / passes,
                       tensor.name);
        }
        ++pass;
    };
    return assemble(
        params,
        [&] {
            Moments m;
            forEachBlock([&](std::span<const float> block) { m.merge(momentsFast(block, ctx)); });
            return m;
        },
        [&](const Binner &b) {
            Counts c(b.bins);
            forEachBlock([&](std::span<const float> block) { c.merge(countsFast(block, b, ctx)); });
            return c;
        });
}

Histogram histogramFrame(const HistogramParams &params, double min, double max)
{
    validate(params);
    if (params.range == HistogramRange::Percentile)
        throw Error("histogram: a Percentile range needs its own pass (use tensorHistogram)");
    std::pair<double, double> range{-1.0, 1.0};
    if (min <= max) {
        if (params.range == HistogramRange::MinMax) {
            range = widen(min, max);
        } else {
            const double a = std::max(std::abs(min), std::abs(max));
            range = widen(-a, a);
        }
    }
    const Binner b(range.first, range.second, params.bins);
    Histogram h;
    h.edges.resize(static_cast<size_t>(params.bins) + 1);
    for (int64_t i = 0; i <= params.bins; ++i)
        h.edges[static_cast<size_t>(i)] = b.edge(i);
    h.counts.assign(static_cast<size_t>(params.bins), 0);
    return h;
}

void addToHistogram(std::span<const float> values, Histogram &h)
{
    if (h.counts.empty() || h.edges.size() != h.counts.size() + 1)
        throw Error("histogram: addToHistogram needs a frame from histogramFrame");
    const Binner b(h.edges.front(), h.edges.back(), static_cast<int>(h.counts.size()));
    Counts c;
    c.bins.swap(h.counts);
    countsBlock(values.data(), values.size(), b, c);
    c.bins.swap(h.counts);
    h.below += c.below;
    h.above += c.above;
}

} // namespace cwb
