// SPDX-License-Identifier: MIT
// rtn: uniform integer round-to-nearest (conventions in quant_params.h). One scale entry covers a
// contiguous run of the row-major tensor (a group, a row, or everything), so both paths walk
// entries; the reference one weight at a time, the fast one a row block per task with a
// vectorizable code loop and whole-row packing.

#include "compress/quant_methods.h"
#include "formats/float_formats.h"
#include "formats/quant_common.h"
#include "formats/quant_packing.h"
#include "formats/quant_simd.h"
#include "jobs/job_context.h"
#include "util/error.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_reduce.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace cwb {
namespace {

constexpr const char *kMethod = "rtn";

// What one scale entry decides: the scale as stored and the integer grid.
struct RtnScale {
    float s = 0.0f;          // the stored scale, decoded
    uint32_t scaleBits = 0;  // fp16 or fp32 bit pattern to store
    int zero = 0;            // asymmetric zero point; symmetric: 2^(b-1), the code of 0
    float lo = 0.0f, hi = 0.0f; // clamp range of the code before the offset
    float offset = 0.0f;     // added after rounding: 0 (asymmetric adds zero), 2^(b-1) symmetric
};

// The scale the entry's range asks for before it is stored: max(-mn, mx) / qmax (symmetric) or
// the range including 0 over maxq; +0 for an all-zero entry (zeros of either sign).
float rawScale(float mn, float mx, const RtnParams &p)
{
    float raw;
    if (p.symmetric)
        raw = std::max(-mn, mx) / float((1 << (p.bits - 1)) - 1);
    else
        raw = (std::max(mx, 0.0f) - std::min(mn, 0.0f)) / float((1 << p.bits) - 1);
    return raw > 0.0f ? raw : 0.0f;
}

// The rest of an entry's decision once its raw scale is stored (`stored`: the decoded scale,
// `bits` its fp16 or fp32 pattern): the grid, the zero point, and the error for a scale that is
// not finite. mn is the entry's min (the zero point's). `entry` and `cols` only name it in errors.
RtnScale finishScale(float mn, float raw, float stored, uint32_t bits, const RtnParams &p,
                     int64_t entry, int64_t entryLength, int64_t cols)
{
    RtnScale r;
    r.s = stored;
    r.scaleBits = bits;
    if (!std::isfinite(r.s)) {
        const int64_t first = entry * entryLength;
        throwIn(kMethod, "the scale of the group starting at row " + std::to_string(first / cols)
                             + ", col " + std::to_string(first % cols) + " (" + std::to_string(raw)
                             + ") is not finite in "
                             + (p.f16Scales ? "fp16 (set f16Scales = false)" : "fp32"));
    }
    if (p.symmetric) {
        const int qmax = (1 << (p.bits - 1)) - 1;
        r.lo = -float(qmax);
        r.hi = float(qmax);
        r.zero = 1 << (p.bits - 1);
        r.offset = float(r.zero);
    } else {
        r.lo = 0.0f;
        r.hi = float((1 << p.bits) - 1);
        if (r.s > 0.0f)
            r.zero = int(std::clamp(std::nearbyint(-std::min(mn, 0.0f) / r.s), 0.0f, r.hi));
    }
    return r;
}

// mn/mx: the entry's min and max (finite). `entry` and `cols` only name it in errors.
RtnScale rtnScale(float mn, float mx, const RtnParams &p, int64_t entry, int64_t entryLength,
                  int64_t cols)
{
    const float raw = rawScale(mn, mx, p);
    if (p.f16Scales) {
        const uint16_t h = floatToFp16(raw);
        return finishScale(mn, raw, fp16ToFloat(h), h, p, entry, entryLength, cols);
    }
    return finishScale(mn, raw, raw, std::bit_cast<uint32_t>(raw), p, entry, entryLength, cols);
}

// Code of x under an entry's scale: clamp(rne(x / s) + zero, ...) as in quant_params.h.
inline uint32_t rtnCode(float x, const RtnScale &r, bool symmetric)
{
    if (r.s == 0.0f)
        return symmetric ? uint32_t(r.zero) : 0u;
    if (symmetric)
        return uint32_t(std::clamp(std::nearbyint(x / r.s), r.lo, r.hi) + r.offset);
    return uint32_t(std::clamp(std::nearbyint(x / r.s) + float(r.zero), r.lo, r.hi));
}

void storeScale(QuantizedTensor &q, int64_t i, const RtnScale &r, bool f16)
{
    if (f16) {
        q.scales[2 * i] = uint8_t(r.scaleBits);
        q.scales[2 * i + 1] = uint8_t(r.scaleBits >> 8);
    } else {
        for (int b = 0; b < 4; ++b)
            q.scales[4 * i + b] = uint8_t(r.scaleBits >> (8 * b));
    }
}

int64_t entryLength(const QuantizedTensor &q)
{
    return q.groupSize == 0 ? q.rows * q.cols : q.groupSize;
}

struct Range {
    float lo, hi;
    bool finite; // every value finite (else lo / hi mean nothing)
};

Range minMax(const float *x, int64_t n)
{
    Range r {};
    r.finite = quantsimd::activeTable().minMax(x, n, r.lo, r.hi);
    return r;
}

} // namespace

QuantizedTensor quantizeRtnReference(const float *w, int64_t rows, int64_t cols, const RtnParams &p)
{
    quantdetail::requireInput(p, w, rows, cols);
    quantdetail::requireFinite(kMethod, w, rows, cols);
    QuantizedTensor q = quantdetail::makeLayout(p, rows, cols);
    const int64_t len = entryLength(q);
    const int64_t rowBytes = q.rowCodeBytes();
    for (int64_t i = 0; i < q.scaleCount(); ++i) {
        const float *x = w + i * len;
        float mn = x[0], mx = x[0];
        for (int64_t j = 1; j < len; ++j) {
            mn = std::min(mn, x[j]);
            mx = std::max(mx, x[j]);
        }
        const RtnScale r = rtnScale(mn, mx, p, i, len, cols);
        storeScale(q, i, r, p.f16Scales);
        if (!p.symmetric)
            quantpack::putCode(q.zeros.data(), i, p.bits, uint32_t(r.zero));
        for (int64_t j = 0; j < len; ++j) {
            const int64_t flat = i * len + j;
            quantpack::putCode(q.codes.data() + (flat / cols) * rowBytes, flat % cols, p.bits,
                               rtnCode(x[j], r, p.symmetric));
        }
    }
    return q;
}

QuantizedTensor quantizeRtn(const float *w, int64_t rows, int64_t cols, const RtnParams &p,
                            const JobContext &job)
{
    quantdetail::requireInput(p, w, rows, cols);
    QuantizedTensor q = quantdetail::makeLayoutToOverwrite(p, rows, cols);
    const int64_t rowBytes = q.rowCodeBytes();
    std::vector<uint8_t> zeros(p.symmetric ? 0 : size_t(q.scaleCount()));

    RtnScale tensorScale;
    if (p.granularity == Granularity::PerTensor) {
        // One scale for everything: a parallel min/max first (exact in any order), which also
        // finds the first non-finite weight.
        struct Scan {
            float lo = 0, hi = 0;
            bool any = false;
            int64_t bad = -1;
        };
        const Scan all = tbb::parallel_reduce(
            tbb::blocked_range<int64_t>(0, rows, quantdetail::rowGrain(cols)), Scan{},
            [&](const tbb::blocked_range<int64_t> &range, Scan acc) {
                const int64_t bad =
                    quantdetail::firstNonFiniteInRows(w, range.begin(), range.end(), cols);
                if (bad >= 0) {
                    acc.bad = acc.bad < 0 ? bad : std::min(acc.bad, bad);
                    return acc;
                }
                const auto [lo, hi, finite] = minMax(w + range.begin() * cols, range.size() * cols);
                (void)finite; // checked just above
                acc.lo = acc.any ? std::min(acc.lo, lo) : lo;
                acc.hi = acc.any ? std::max(acc.hi, hi) : hi;
                acc.any = true;
                return acc;
            },
            [](Scan a, const Scan &b) {
                if (b.bad >= 0)
                    a.bad = a.bad < 0 ? b.bad : std::min(a.bad, b.bad);
                if (b.any) {
                    a.lo = a.any ? std::min(a.lo, b.lo) : b.lo;
                    a.hi = a.any ? std::max(a.hi, b.hi) : b.hi;
                    a.any = true;
                }
                return a;
            });
        if (all.bad >= 0)
            quantdetail::throwNonFinite(kMethod, all.bad / cols, all.bad % cols, w[all.bad]);
        tensorScale = rtnScale(all.lo, all.hi, p, 0, rows * cols, cols);
        storeScale(q, 0, tensorScale, p.f16Scales);
        if (!p.symmetric)
            zeros[0] = uint8_t(tensorScale.zero);
    }

    const bool perTensor = p.granularity == Granularity::PerTensor;
    const int64_t len = perTensor ? cols : entryLength(q);
    const int64_t perRow = cols / len;
    // The row kernel's clamp bounds on the code: rtnCode's [lo, hi] shifted by the zero point,
    // which is 2^(b-1) for symmetric grids and per group for asymmetric ones.
    const int32_t maxCode = (1 << p.bits) - 1;
    const int32_t qlo = p.symmetric ? 1 : 0, qhi = maxCode;
    const bool packedByKernel = p.bits == 4 || p.bits == 8;
    quantdetail::forRowBlocks(kMethod, w, rows, cols, job, [&](int64_t r0, int64_t r1) -> int64_t {
        // Per-tensor scales were found by a pass that checked every value; per-group ones check
        // their row in the range pass and only then look for the first bad value.
        const quantsimd::Table &k = quantsimd::activeTable();
        std::vector<uint8_t> u(packedByKernel ? 0 : static_cast<size_t>(cols));
        const auto groups = static_cast<size_t>(perRow);
        std::vector<float> lo(groups), hi(groups), raw(groups), s(groups);
        std::vector<uint16_t> half(groups);
        std::vector<int32_t> zero(groups);
        for (int64_t r = r0; r < r1; ++r) {
            const float *x = w + r * cols;
            if (perTensor) {
                s[0] = tensorScale.s;
                zero[0] = tensorScale.zero;
            } else {
                const bool finite = p.symmetric
                                        ? k.groupAbsMax(x, perRow, len, hi.data())
                                        : k.groupMinMax(x, perRow, len, lo.data(), hi.data());
                if (!finite)
                    return quantdetail::firstNonFiniteInRows(w, r0, r1, cols);
                // symmetric: max(-min, max) is the absolute maximum
                if (p.symmetric)
                    for (size_t g = 0; g < groups; ++g)
                        lo[g] = -hi[g];
                for (size_t g = 0; g < groups; ++g)
                    raw[g] = rawScale(lo[g], hi[g], p);
                if (p.f16Scales)
                    k.f16RoundTrip(raw.data(), perRow, half.data(), s.data());
                for (int64_t g = 0; g < perRow; ++g) {
                    const int64_t i = r * perRow + g;
                    const auto gi = size_t(g);
                    const RtnScale scale =
                        p.f16Scales
                            ? finishScale(lo[gi], raw[gi], s[gi], half[gi], p, i, len, cols)
                            : finishScale(lo[gi], raw[gi], raw[gi],
                                          std::bit_cast<uint32_t>(raw[gi]), p, i, len, cols);
                    storeScale(q, i, scale, p.f16Scales);
                    if (!p.symmetric)
                        zeros[size_t(i)] = uint8_t(scale.zero);
                    s[size_t(g)] = scale.s;
                    zero[size_t(g)] = scale.zero;
                }
            }
            uint8_t *dst = q.codes.data() + r * rowBytes;
            k.rtnRowCodes(x, perRow, len, s.data(), zero.data(), qlo, qhi, p.bits,
                          packedByKernel ? dst : u.data());
            if (!packedByKernel)
                quantpack::packCodes(u.data(), cols, p.bits, dst);
        }
        return -1;
    });
    if (!p.symmetric)
        quantpack::packCodes(zeros.data(), int64_t(zeros.size()), p.bits, q.zeros.data());
    return q;
}

} // namespace cwb
