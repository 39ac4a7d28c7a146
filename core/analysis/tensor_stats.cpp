// SPDX-License-Identifier: MIT
#include "analysis/tensor_stats.h"

#include "analysis/histogram.h"
#include "analysis/moments.h"
#include "analysis/stats_kernels.h"
#include "tensor/tensor.h"
#include "util/error.h"

#include <tbb/blocked_range.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <mutex>
#include <optional>
#include <string>

namespace cwb {
namespace {

// Channel statistics need per-thread column accumulators of this many entries at most.
constexpr int64_t kMaxChannels = int64_t {1} << 22;

void validate(const TensorStatsParams &p)
{
    if (!(p.nearZero >= 0.0 && p.nearZero < 1.0))
        throw Error("tensor statistics: nearZero must be in [0, 1), got "
                    + std::to_string(p.nearZero));
    if (!(p.outlierFactor > 0.0 && std::isfinite(p.outlierFactor)))
        throw Error("tensor statistics: outlierFactor must be positive, got "
                    + std::to_string(p.outlierFactor));
    if (p.maxOutliersListed < 0)
        throw Error("tensor statistics: maxOutliersListed must not be negative");
    if (p.blockValues < 1)
        throw Error("tensor statistics: blockValues must be positive");
}

bool channelsWanted(const MatrixView &v, const TensorStatsParams &p)
{
    return p.perChannel && v.perChannel && v.storedRows <= kMaxChannels
        && v.storedCols <= kMaxChannels && v.storedRows > 0 && v.storedCols > 0;
}

void checkView(const Tensor &t, const MatrixView &v)
{
    if (v.storedRows < 0 || v.storedCols < 0 || v.storedRows * v.storedCols != t.numel()
        || (t.rowLength() > 0 && v.storedCols % t.rowLength() != 0))
        throw Error(t.name + ": matrix view " + std::to_string(v.storedRows) + " x "
                    + std::to_string(v.storedCols) + " does not fit shape " + t.shapeString());
}

void fillChannels(ChannelStats &out, int64_t n, const auto &absMax, const auto &l2, const auto &sd)
{
    out.absMax.resize(static_cast<size_t>(n));
    out.l2Norm.resize(static_cast<size_t>(n));
    out.std.resize(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
        out.absMax[static_cast<size_t>(i)] = static_cast<float>(absMax(i));
        out.l2Norm[static_cast<size_t>(i)] = static_cast<float>(l2(i));
        out.std[static_cast<size_t>(i)] = static_cast<float>(sd(i));
    }
}

void finishScalars(TensorStats &s, const stats::Scalars &sc, const TensorStatsParams &p)
{
    s.finite = static_cast<uint64_t>(sc.m.n);
    s.nan = sc.nan;
    s.posInf = sc.posInf;
    s.negInf = sc.negInf;
    s.zeros = sc.zeros;
    if (s.finite > 0) {
        s.min = sc.min;
        s.max = sc.max;
        s.absMax = std::max(std::abs(sc.min), std::abs(sc.max));
        s.mean = sc.m.mean;
        s.std = std::sqrt(sc.m.variance());
        s.skewness = sc.m.skewness();
        s.kurtosis = sc.m.excessKurtosis();
    }
    s.nearZeroThreshold = p.nearZero * s.absMax;
}

// Rows/columns of the stored matrix become rows/columns of the view (swapped when transposed).
void assignChannels(TensorStats &s, ChannelStats storedRows, ChannelStats storedCols,
                    const TensorStatsParams &p)
{
    if (s.view.transposed)
        std::swap(storedRows, storedCols);
    s.rowStats = std::move(storedRows);
    s.colStats = std::move(storedCols);
    s.rowOutliers = findOutliers(s.rowStats.absMax, p.outlierFactor, p.maxOutliersListed);
    s.colOutliers = findOutliers(s.colStats.absMax, p.outlierFactor, p.maxOutliersListed);
}

TensorStats header(const Tensor &t, const MatrixView &v)
{
    TensorStats s;
    s.name = t.name;
    s.shape = t.shape;
    s.view = v;
    s.count = static_cast<uint64_t>(std::max<int64_t>(t.numel(), 0));
    return s;
}

// One thread's share of the column accumulators (stored columns, shifted by the first row).
// Partial sums of the first pass: at most this many, whatever the thread count (enough to keep
// 16 threads busy; each holds a set of column sums, so not one per block).
constexpr int64_t kReductionChunks = 64;

struct ColumnPartial {
    std::vector<double> s1, s2;
    std::vector<float> absMax;
    std::vector<uint64_t> bad; // non-finite values per column
    stats::Scalars scalars;

    explicit ColumnPartial(int64_t cols)
        : s1(static_cast<size_t>(cols), 0.0)
        , s2(static_cast<size_t>(cols), 0.0)
        , absMax(static_cast<size_t>(cols), 0.0f)
        , bad(static_cast<size_t>(cols), 0)
    { }
};

// Reads units of `unitRows` tensor rows; F32 data that is mapped and aligned is used in place.
class BlockReader {
public:
    BlockReader(const Tensor &t, int64_t unitRows)
        : t_(t)
        , unitRows_(unitRows)
    {
        const auto addr = reinterpret_cast<std::uintptr_t>(t.data.data());
        direct_ = t.dtype == DType::F32 && addr % alignof(float) == 0;
    }
    // Values of units [u0, u0 + n); `buf` is the caller's (thread's) scratch.
    const float *read(int64_t u0, int64_t n, std::vector<float> &buf) const
    {
        const int64_t rowLen = t_.rowLength();
        const int64_t values = n * unitRows_ * rowLen;
        if (direct_)
            return reinterpret_cast<const float *>(t_.data.data()) + u0 * unitRows_ * rowLen;
        if (static_cast<int64_t>(buf.size()) < values)
            buf.resize(static_cast<size_t>(values));
        t_.rowsToFloat(u0 * unitRows_, n * unitRows_,
                       std::span<float>(buf.data(), static_cast<size_t>(values)));
        return buf.data();
    }

private:
    const Tensor &t_;
    int64_t unitRows_;
    bool direct_ = false;
};

// Serialised, throttled progress from worker threads.
class Progress {
public:
    Progress(const JobContext &ctx, std::string what, int64_t total, double from, double to)
        : ctx_(ctx)
        , what_(std::move(what))
        , total_(std::max<int64_t>(total, 1))
        , from_(from)
        , to_(to)
    { }
    void add(int64_t n)
    {
        if (!ctx_.progress)
            return;
        const int64_t done = done_.fetch_add(n) + n;
        const int64_t step = std::max<int64_t>(total_ / 100, 1);
        if (done / step == (done - n) / step && done != total_)
            return;
        std::lock_guard lock(mutex_);
        ctx_.report(from_ + (to_ - from_) * static_cast<double>(done) / total_, what_);
    }

private:
    const JobContext &ctx_;
    std::string what_;
    int64_t total_;
    double from_, to_;
    std::atomic<int64_t> done_ {0};
    std::mutex mutex_;
};

} // namespace

OutlierReport findOutliers(std::span<const float> channelAbsMax, double factor, int maxListed)
{
    OutlierReport r;
    if (channelAbsMax.empty())
        return r;
    std::vector<float> sorted(channelAbsMax.begin(), channelAbsMax.end());
    const size_t mid = sorted.size() / 2;
    std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(mid),
                     sorted.end());
    double median = sorted[mid];
    if (sorted.size() % 2 == 0) {
        const float lower
            = *std::max_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(mid));
        median = 0.5 * (static_cast<double>(lower) + median);
    }
    r.median = median;
    r.threshold = factor * median;
    if (!(median > 0))
        return r; // ratios are undefined: nothing is called an outlier
    for (size_t i = 0; i < channelAbsMax.size(); ++i) {
        const double a = channelAbsMax[i];
        if (a > r.threshold)
            r.channels.push_back({static_cast<int64_t>(i), a, a / median});
    }
    r.count = static_cast<int64_t>(r.channels.size());
    std::stable_sort(
        r.channels.begin(), r.channels.end(),
        [](const OutlierChannel &a, const OutlierChannel &b) { return a.ratio > b.ratio; });
    if (r.channels.size() > static_cast<size_t>(maxListed))
        r.channels.resize(static_cast<size_t>(maxListed));
    return r;
}

TensorStats tensorStatsReference(const Tensor &tensor, const MatrixView &view,
                                 const TensorStatsParams &params)
{
    validate(params);
    checkView(tensor, view);
    TensorStats s = header(tensor, view);
    const std::vector<float> v = tensor.toFloat();

    stats::Scalars sc;
    double sum = 0;
    for (float x : v) {
        if (std::isnan(x)) {
            ++sc.nan;
        } else if (std::isinf(x)) {
            ++(x > 0 ? sc.posInf : sc.negInf);
        } else {
            sum += x;
            sc.m.n += 1;
            sc.min = std::min(sc.min, static_cast<double>(x));
            sc.max = std::max(sc.max, static_cast<double>(x));
            sc.zeros += x == 0.0f;
        }
    }
    if (sc.m.n > 0) {
        sc.m.mean = sum / sc.m.n;
        for (float x : v) {
            if (!std::isfinite(x))
                continue;
            const double d = x - sc.m.mean, d2 = d * d;
            sc.m.m2 += d2;
            sc.m.m3 += d2 * d;
            sc.m.m4 += d2 * d2;
        }
    }
    finishScalars(s, sc, params);
    for (float x : v)
        s.nearZeros += std::isfinite(x) && (std::abs(x) < s.nearZeroThreshold || x == 0.0f);

    if (!channelsWanted(view, params))
        return s;
    const int64_t R = view.storedRows, C = view.storedCols;
    auto at = [&](int64_t r, int64_t c) { return v[static_cast<size_t>(r * C + c)]; };
    // Channel i of an axis: its values are at(i, j) for rows, at(j, i) for columns.
    auto channels = [&](int64_t n, int64_t len, auto value) {
        std::vector<double> absMax(static_cast<size_t>(n)), l2(static_cast<size_t>(n)),
            sd(static_cast<size_t>(n));
        for (int64_t i = 0; i < n; ++i) {
            double cnt = 0, total = 0, am = 0, sq = 0;
            for (int64_t j = 0; j < len; ++j) {
                const float x = value(i, j);
                if (!std::isfinite(x))
                    continue;
                cnt += 1;
                total += x;
                am = std::max(am, static_cast<double>(std::abs(x)));
                sq += static_cast<double>(x) * x;
            }
            const double mean = cnt > 0 ? total / cnt : 0;
            double m2 = 0;
            for (int64_t j = 0; j < len; ++j) {
                const float x = value(i, j);
                if (std::isfinite(x))
                    m2 += (x - mean) * (x - mean);
            }
            absMax[static_cast<size_t>(i)] = am;
            l2[static_cast<size_t>(i)] = std::sqrt(sq);
            sd[static_cast<size_t>(i)] = cnt > 0 ? std::sqrt(m2 / cnt) : 0;
        }
        ChannelStats c;
        fillChannels(
            c, n, [&](int64_t i) { return absMax[static_cast<size_t>(i)]; },
            [&](int64_t i) { return l2[static_cast<size_t>(i)]; },
            [&](int64_t i) { return sd[static_cast<size_t>(i)]; });
        return c;
    };
    assignChannels(s, channels(R, C, [&](int64_t i, int64_t j) { return at(i, j); }),
                   channels(C, R, [&](int64_t i, int64_t j) { return at(j, i); }), params);
    return s;
}

namespace {

// tensorStats, and with `histogram` set the fused histogram of tensorStatsWithHistogram.
TensorStats statsImpl(const Tensor &tensorIn, const MatrixView &view,
                      const TensorStatsParams &params, const HistogramParams *histParams,
                      Histogram *histogram, const JobContext &ctx)
{
    validate(params);
    if (histogram)
        (void)histogramFrame(*histParams, 0.0, 0.0); // rejects bad or Percentile params early
    ctx.checkCancelled();
    const Tensor tensor = tensorWithBytes(tensorIn);
    checkView(tensor, view);
    TensorStats s = header(tensor, view);
    if (s.count == 0) {
        if (histogram)
            *histogram = histogramFrame(*histParams, 1.0, -1.0);
        return s;
    }

    const bool channels = channelsWanted(view, params);
    const int64_t rowLen = std::max<int64_t>(tensor.rowLength(), 1);
    // A unit is one stored row when channels are wanted (rows never split between tasks),
    // else one tensor row.
    const int64_t unitRows = channels ? view.storedCols / rowLen : 1;
    const int64_t units = channels ? view.storedRows : tensor.rows();
    const int64_t unitValues = unitRows * rowLen;
    const int64_t perBlock = std::max<int64_t>(1, params.blockValues / unitValues);
    const int64_t blocks = (units + perBlock - 1) / perBlock;
    const BlockReader reader(tensor, unitRows);
    tbb::enumerable_thread_specific<std::vector<float>> buffers;

    // Column shifts: the first stored row (its non-finite entries shift by 0).
    const int64_t C = channels ? view.storedCols : 0;
    std::vector<double> shift(static_cast<size_t>(C), 0.0);
    if (channels) {
        std::vector<float> first;
        const float *p = reader.read(0, 1, first);
        for (int64_t c = 0; c < C; ++c)
            shift[static_cast<size_t>(c)] = std::isfinite(p[c]) ? p[c] : 0.0;
    }
    std::vector<stats::RowAcc> rowAcc(static_cast<size_t>(channels ? view.storedRows : 0));
    // The blocks in a fixed number of chunks, each summed in block order into its own partial
    // by one task, the partials merged in chunk order: the sums depend on the tensor alone,
    // never on which thread ran which block (bit-reproducible run after run).
    const int64_t chunks = std::min(blocks, kReductionChunks);
    // Each chunk's task allocates (and so zeroes and first-touches) its own partial: in parallel,
    // and without copying a prototype 64 times.
    std::vector<std::optional<ColumnPartial>> partials(static_cast<size_t>(chunks));

    Progress progress(ctx, tensor.name, blocks, 0.0, 0.9);
    tbb::parallel_for(tbb::blocked_range<int64_t>(0, chunks, 1), [&](const auto &chunkRange) {
        for (int64_t chunk = chunkRange.begin(); chunk != chunkRange.end(); ++chunk) {
            ColumnPartial &part = partials[static_cast<size_t>(chunk)].emplace(C);
            auto &buf = buffers.local();
            const int64_t b0 = blocks * chunk / chunks, b1 = blocks * (chunk + 1) / chunks;
            for (int64_t b = b0; b != b1; ++b) {
                if (ctx.cancelled())
                    return;
                const int64_t u0 = b * perBlock, n = std::min(perBlock, units - u0);
                const float *data = reader.read(u0, n, buf);
                const stats::ColumnSink sink {part.s1.data(), part.s2.data(), part.absMax.data(),
                                              part.bad.data(), shift.data()};
                for (int64_t g = 0; g < n; g += stats::kColumnGroup) {
                    const int group =
                        static_cast<int>(std::min<int64_t>(stats::kColumnGroup, n - g));
                    const float *rows[stats::kColumnGroup];
                    bool allFinite = true;
                    for (int k = 0; k < group; ++k) {
                        const int64_t u = g + k;
                        const float *x = data + u * unitValues;
                        rows[k] = x;
                        stats::RowAcc *row =
                            channels ? &rowAcc[static_cast<size_t>(u0 + u)] : nullptr;
                        for (int64_t off = 0; off < unitValues; off += stats::kPiece)
                            allFinite &= stats::accumulatePiece(
                                x + off, std::min(stats::kPiece, unitValues - off),
                                part.scalars, row);
                    }
                    if (channels)
                        stats::accumulateColumns(rows, group, unitValues, sink, 0, allFinite);
                }
                progress.add(1);
            }
        }
    });
    ctx.checkCancelled();

    stats::Scalars sc;
    for (const auto &p : partials)
        sc.merge(p.value().scalars);
    finishScalars(s, sc, params);

    // Second pass: near-zeros need the global abs-max, histogram bins the global range.
    const double thr = s.nearZeroThreshold;
    if (thr > 0 || histogram) {
        const Histogram frame = histogram
            ? histogramFrame(*histParams, s.finite ? s.min : 1.0, s.finite ? s.max : -1.0)
            : Histogram {};
        tbb::enumerable_thread_specific<uint64_t> nearCounts(0);
        tbb::enumerable_thread_specific<Histogram> counts(frame);
        Progress progress2(ctx, tensor.name, blocks, 0.9, 1.0);
        tbb::parallel_for(tbb::blocked_range<int64_t>(0, blocks, 1), [&](const auto &range) {
            auto &buf = buffers.local();
            uint64_t &count = nearCounts.local();
            for (int64_t b = range.begin(); b != range.end(); ++b) {
                if (ctx.cancelled())
                    return;
                const int64_t u0 = b * perBlock, n = std::min(perBlock, units - u0);
                const float *x = reader.read(u0, n, buf);
                // both counts per cache-sized chunk, so the block is read from memory once
                constexpr int64_t kChunk = int64_t{1} << 16;
                for (int64_t c = 0, total = n * unitValues; c < total; c += kChunk) {
                    const int64_t len = std::min(kChunk, total - c);
                    if (thr > 0)
                        count += stats::countNearZero(x + c, len, thr);
                    if (histogram)
                        addToHistogram(std::span<const float>(x + c, static_cast<size_t>(len)),
                                       counts.local());
                }
                progress2.add(1);
            }
        });
        ctx.checkCancelled();
        s.nearZeros = thr > 0 ? nearCounts.combine(std::plus<>()) : s.zeros;
        if (histogram) {
            *histogram = frame;
            for (const Histogram &h : counts) {
                for (size_t i = 0; i < h.counts.size(); ++i)
                    histogram->counts[i] += h.counts[i];
                histogram->below += h.below;
                histogram->above += h.above;
            }
            histogram->finite = s.finite;
            histogram->nan = s.nan;
            histogram->inf = s.posInf + s.negInf;
            histogram->zeros = s.zeros;
            histogram->min = s.min;
            histogram->max = s.max;
            histogram->mean = s.mean;
            histogram->std = s.std;
        }
    } else {
        s.nearZeros = s.zeros;
    }

    if (!channels)
        return s;
    // Stored rows: exact per-row moments. Stored columns: shifted sums merged over threads.
    ChannelStats rowsOut, colsOut;
    fillChannels(
        rowsOut, view.storedRows, [&](int64_t i) { return rowAcc[static_cast<size_t>(i)].absMax; },
        [&](int64_t i) {
            const auto &r = rowAcc[static_cast<size_t>(i)];
            return std::sqrt(std::max(0.0, r.m2 + r.n * r.mean * r.mean));
        },
        [&](int64_t i) {
            const auto &r = rowAcc[static_cast<size_t>(i)];
            return r.n > 0 ? std::sqrt(std::max(0.0, r.m2 / r.n)) : 0.0;
        });
    std::vector<double> s1(static_cast<size_t>(C), 0.0), s2(static_cast<size_t>(C), 0.0);
    std::vector<float> am(static_cast<size_t>(C), 0.0f);
    std::vector<uint64_t> bad(static_cast<size_t>(C), 0);
    for (const auto &p : partials)
        for (size_t c = 0; c < static_cast<size_t>(C); ++c) {
            s1[c] += p->s1[c];
            s2[c] += p->s2[c];
            am[c] = std::max(am[c], p->absMax[c]);
            bad[c] += p->bad[c];
        }
    const double R = static_cast<double>(view.storedRows);
    fillChannels(
        colsOut, C, [&](int64_t c) { return am[static_cast<size_t>(c)]; },
        [&](int64_t c) {
            const size_t i = static_cast<size_t>(c);
            const double n = R - static_cast<double>(bad[i]), k = shift[i];
            return std::sqrt(std::max(0.0, s2[i] + 2.0 * k * s1[i] + n * k * k));
        },
        [&](int64_t c) {
            const size_t i = static_cast<size_t>(c);
            const double n = R - static_cast<double>(bad[i]);
            return n > 0 ? std::sqrt(std::max(0.0, (s2[i] - s1[i] * s1[i] / n) / n)) : 0.0;
        });
    assignChannels(s, std::move(rowsOut), std::move(colsOut), params);
    return s;
}

} // namespace

TensorStats tensorStats(const Tensor &tensor, const MatrixView &view,
                        const TensorStatsParams &params, const JobContext &ctx)
{
    return statsImpl(tensor, view, params, nullptr, nullptr, ctx);
}

TensorStats tensorStatsWithHistogram(const Tensor &tensor, const MatrixView &view,
                                     const TensorStatsParams &params,
                                     const HistogramParams &histogramParams, Histogram &histogram,
                                     const JobContext &ctx)
{
    return statsImpl(tensor, view, params, &histogramParams, &histogram, ctx);
}

std::vector<TensorStats>
statsForModel(const Model &model, const TensorStatsParams &params, const JobContext &ctx,
              const std::function<void(size_t, const TensorStats &)> &onTensor)
{
    validate(params);
    std::vector<TensorStats> out(model.tensors.size());
    std::mutex callbackMutex;
    std::atomic<size_t> finished {0};
    const JobContext quiet {nullptr, ctx.cancelFlag}; // per-tensor progress would interleave
    tbb::parallel_for(size_t {0}, model.tensors.size(), [&](size_t i) {
        const Tensor &t = model.tensors[i];
        if (ctx.cancelled() || !t.decodable())
            return;
        out[i] = tensorStats(t, matrixView(t, model.format), params, quiet);
        std::lock_guard lock(callbackMutex);
        if (onTensor)
            onTensor(i, out[i]);
        ctx.report(static_cast<double>(++finished) / static_cast<double>(model.tensors.size()),
                   t.name);
    });
    ctx.checkCancelled();
    return out;
}

} // namespace cwb
