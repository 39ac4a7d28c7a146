// SPDX-License-Identifier: MIT
#include "formats/quant_common.h"

#include "formats/quant_simd.h"
#include "jobs/job_context.h"
#include "util/error.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_reduce.h>
#include <tbb/parallel_for.h>
#include <tbb/task_group.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <variant>

namespace cwb::quantdetail {
namespace {

template <class... F>
struct Overloaded : F... {
    using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

} // namespace

void requireInput(const QuantParams &params, const float *w, int64_t rows, int64_t cols)
{
    validateQuantParams(params, rows, cols);
    if (!w)
        throwIn(methodName(params), "null weight pointer");
}

QuantizedTensor describeLayout(const QuantParams &params, int64_t rows, int64_t cols)
{
    QuantizedTensor q;
    q.method = methodName(params);
    q.params = params;
    q.rows = rows;
    q.cols = cols;
    std::visit(Overloaded{
                   [&](const RtnParams &p) {
                       q.codeBits = p.bits;
                       q.groupSize = p.granularity == Granularity::PerTensor  ? 0
                           : p.granularity == Granularity::PerChannel ? cols
                                                                      : p.groupSize;
                       q.scaleType = p.f16Scales ? ScaleType::F16 : ScaleType::F32;
                   },
                   [&](const Nf4Params &p) {
                       q.codeBits = 4;
                       q.groupSize = p.blockSize;
                       q.scaleType = p.doubleQuant ? ScaleType::DoubleQuant8 : ScaleType::F32;
                       q.dqBlockSize = p.doubleQuant ? p.dqBlockSize : 0;
                   },
                   [&](const Fp8Params &p) {
                       q.codeBits = 8;
                       q.groupSize = p.granularity == Granularity::PerChannel ? cols : 0;
                       q.scaleType = ScaleType::F32;
                   },
                   [&](const MxFp4Params &) {
                       q.codeBits = 4;
                       q.groupSize = 32;
                       q.scaleType = ScaleType::E8M0;
                   },
                   [&](const NvFp4Params &) {
                       q.codeBits = 4;
                       q.groupSize = 16;
                       q.scaleType = ScaleType::Fp8E4M3;
                       q.hasTensorScale = true;
                   },
                   [&](const TernaryParams &p) {
                       q.codeBits = 2;
                       q.packing = p.packing == TernaryPacking::Base3 ? CodePacking::Base3
                                                                      : CodePacking::Bits;
                       q.groupSize = 0;
                       q.scaleType = ScaleType::None;
                       q.hasTensorScale = true;
                   },
               },
               params);
    return q;
}

QuantizedTensor makeLayout(const QuantParams &params, int64_t rows, int64_t cols)
{
    QuantizedTensor q = makeLayoutToOverwrite(params, rows, cols);
    std::fill(q.codes.begin(), q.codes.end(), uint8_t {0});
    return q;
}

QuantizedTensor makeLayoutToOverwrite(const QuantParams &params, int64_t rows, int64_t cols)
{
    QuantizedTensor q = describeLayout(params, rows, cols);
    q.codes.resize(static_cast<size_t>(rows * q.rowCodeBytes())); // left as it is: see the header
    q.scales.assign(static_cast<size_t>(q.scaleBytes()), 0);
    q.zeros.assign(static_cast<size_t>(q.zeroBytes()), 0);
    if (q.scaleType == ScaleType::DoubleQuant8)
        q.secondScales.assign(static_cast<size_t>(ceilDiv(q.scaleCount(), q.dqBlockSize)), 0.0f);
    return q;
}

int64_t firstNonFinite(const float *x, int64_t n)
{
    // The vectorised check first (formats/quant_simd.h); the position only when it fails.
    if (quantsimd::activeTable().allFinite(x, n))
        return -1;
    for (int64_t i = 0; i < n; ++i)
        if (!(x[i] - x[i] == 0.0f))
            return i;
    return -1;
}

void throwNonFinite(std::string_view method, int64_t row, int64_t col, float value)
{
    std::ostringstream s;
    s << "weight at row " << row << ", col " << col << " is not finite (" << value
      << "): nothing meaningful to quantize";
    throwIn(method, s.str());
}

void requireFinite(std::string_view method, const float *w, int64_t rows, int64_t cols)
{
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c)
            if (!std::isfinite(w[r * cols + c]))
                throwNonFinite(method, r, c, w[r * cols + c]);
}

int64_t rowGrain(int64_t cols) { return std::max<int64_t>(1, (int64_t(1) << 16) / cols); }

int64_t firstNonFiniteInRows(const float *w, int64_t r0, int64_t r1, int64_t cols)
{
    const int64_t at = firstNonFinite(w + r0 * cols, (r1 - r0) * cols);
    return at < 0 ? -1 : r0 * cols + at;
}

void forRowBlocks(std::string_view method, const float *w, int64_t rows, int64_t cols,
                  const JobContext &job, const std::function<int64_t(int64_t, int64_t)> &body)
{
    constexpr int64_t none = std::numeric_limits<int64_t>::max();
    std::atomic<int64_t> firstBad{none};
    tbb::task_group_context group;
    tbb::parallel_for(
        tbb::blocked_range<int64_t>(0, rows, rowGrain(cols)),
        [&](const tbb::blocked_range<int64_t> &range) {
            if (job.cancelled()) {
                group.cancel_group_execution();
                return;
            }
            const int64_t bad = body(range.begin(), range.end());
            if (bad < 0)
                return;
            int64_t seen = firstBad.load();
            while (bad < seen && !firstBad.compare_exchange_weak(seen, bad)) {
            }
        },
        group);
    job.checkCancelled();
    const int64_t bad = firstBad.load();
    if (bad != none)
        throwNonFinite(method, bad / cols, bad % cols, w[bad]);
}

float tensorAbsMax(std::string_view method, const float *w, int64_t rows, int64_t cols)
{
    struct Scan {
        float amax = 0.0f;
        int64_t bad = -1;
    };
    auto firstBad = [](int64_t a, int64_t b) { return a < 0 ? b : b < 0 ? a : std::min(a, b); };
    const Scan all = tbb::parallel_reduce(
        tbb::blocked_range<int64_t>(0, rows, rowGrain(cols)), Scan{},
        [&](const tbb::blocked_range<int64_t> &range, Scan acc) {
            const float amax = quantsimd::activeTable().absMax(w + range.begin() * cols,
                                                                range.size() * cols);
            if (std::isfinite(amax)) // else a NaN or infinity: find the first one
                acc.amax = std::max(acc.amax, amax);
            else
                acc.bad = firstBad(acc.bad,
                                   firstNonFiniteInRows(w, range.begin(), range.end(), cols));
            return acc;
        },
        [&](Scan a, const Scan &b) {
            a.bad = firstBad(a.bad, b.bad);
            a.amax = std::max(a.amax, b.amax);
            return a;
        });
    if (all.bad >= 0)
        throwNonFinite(method, all.bad / cols, all.bad % cols, w[all.bad]);
    return all.amax;
}

} // namespace cwb::quantdetail
