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

// mn/mx: the entry's min and max (finite). `entry` and `cols` only name it in errors.
RtnScale rtnScale(float mn, float mx, const RtnParams &p, int64_t entry, int64_t entryLength,
                  int64_t cols)
{
    RtnScale r;
    float raw;
    if (p.symmetric) {
        const int qmax = (1 << (p.bits - 1)) - 1;
        raw = std::max(-mn, mx) / float(qmax);
        r.lo = -float(qmax);
        r.hi = float(qmax);
        r.zero = 1 << (p.bits - 1);
        r.offset = float(r.zero);
    } else {
        const int maxq = (1 << p.bits) - 1;
        const float lo = std::min(mn, 0.0f);
        const float hi = std::max(mx, 0.0f);
        raw = (hi - lo) / float(maxq);
        r.lo = 0.0f;
        r.hi = float(maxq);
    }
    if (!(raw > 0.0f))
        raw = 0.0f; // all zeros (of either sign): one canonical +0 scale
    if (p.f16Scales) {
        const uint16_t h = floatToFp16(raw);
        r.scaleBits = h;
        r.s = fp16ToFloat(h);
    } else {
        r.scaleBits = std::bit_cast<uint32_t>(raw);
        r.s = raw;
    }
    if (!std::isfinite(r.s)) {
        const int64_t first = entry * entryLength;
        throwIn(kMethod, "the scale of the group starting at row " + std::to_string(first / cols)
                             + ", col " + std::to_string(first % cols) + " (" + std::to_string(raw)
                             + ") is not finite in "
                             + (p.f16Scales ? "fp16 (set f16Scales = false)" : "fp32"));
    }
    if (!p.symmetric && r.s > 0.0f) {
        const float lo = std::min(mn, 0.0f);
        r.zero = int(std::clamp(std::nearbyint(-lo / r.s), 0.0f, r.hi));
        r.lo = 0.0f;
        r.offset = 0.0f;
    }
    return r;
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

// Codes of x[0..n) under one entry into u[0..n): the hot loop, branch-free. Clamping before
// rounding gives rtnCode's result (the bounds are integers) and keeps roundHalfEven in range.
void rtnCodes(const float *x, int64_t n, const RtnScale &r, bool symmetric, uint8_t *u)
{
    if (r.s == 0.0f) {
        std::memset(u, symmetric ? r.zero : 0, static_cast<size_t>(n));
        return;
    }
    // Symmetric codes add the offset; asymmetric ones round then add the zero point, as rtnCode:
    // the bounds shifted by the zero are integers, so clamping first changes nothing but keeps
    // the rounding in range.
    const quantsimd::Table &k = quantsimd::activeTable();
    if (symmetric)
        k.roundCodes(x, n, r.s, r.lo, r.hi, r.offset, u);
    else
        k.roundCodes(x, n, r.s, r.lo - float(r.zero), r.hi - float(r.zero), float(r.zero), u);
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

    const int64_t len = p.granularity == Granularity::PerTensor ? cols : entryLength(q);
    const int64_t perRow = cols / len;
    quantdetail::forRowBlocks(kMethod, w, rows, cols, job, [&](int64_t r0, int64_t r1) -> int64_t {
        // Per-tensor scales were found by a pass that checked every value; per-group ones check
        // their group in the min/max pass and only then look for the first bad value.
        std::vector<uint8_t> u(static_cast<size_t>(cols));
        for (int64_t r = r0; r < r1; ++r) {
            for (int64_t g = 0; g < perRow; ++g) {
                const float *x = w + r * cols + g * len;
                RtnScale scale = tensorScale;
                if (p.granularity != Granularity::PerTensor) {
                    const int64_t i = r * perRow + g;
                    const auto [mn, mx, finite] = minMax(x, len);
                    if (!finite)
                        return quantdetail::firstNonFiniteInRows(w, r0, r1, cols);
                    scale = rtnScale(mn, mx, p, i, len, cols);
                    storeScale(q, i, scale, p.f16Scales);
                    if (!p.symmetric)
                        zeros[size_t(i)] = uint8_t(scale.zero);
                }
                rtnCodes(x, len, scale, p.symmetric, u.data() + g * len);
            }
            quantpack::packCodes(u.data(), cols, p.bits, q.codes.data() + r * rowBytes);
        }
        return -1;
    });
    if (!p.symmetric)
        quantpack::packCodes(zeros.data(), int64_t(zeros.size()), p.bits, q.zeros.data());
    return q;
}

} // namespace cwb
