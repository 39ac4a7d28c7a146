// SPDX-License-Identifier: MIT
#include "compress/gptq.h"

#include "compress/gptq_loop.h"
#include "compress/obs_common.h"
#include "formats/float_formats.h"
#include "formats/quant_common.h"
#include "formats/quant_packing.h"
#include "jobs/job_context.h"
#include "util/error.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <string>
#include <vector>

namespace cwb {
namespace {

constexpr const char *kMethod = "gptq";
using obsdetail::RowMatrix;

// One scale entry: rtn's grid (quant_params.h) with the scale as stored.
struct Grid {
    float s = 0.0f;
    uint32_t scaleBits = 0;
    int zero = 0; // asymmetric zero point; symmetric: 2^(b-1), the code of 0
    float lo = 0.0f, hi = 0.0f;
};

Grid makeGrid(float mn, float mx, const RtnParams &p)
{
    Grid g;
    float raw;
    if (p.symmetric) {
        const int qmax = (1 << (p.bits - 1)) - 1;
        raw = std::max(-mn, mx) / float(qmax);
        g.lo = -float(qmax);
        g.hi = float(qmax);
        g.zero = 1 << (p.bits - 1);
    } else {
        raw = (std::max(mx, 0.0f) - std::min(mn, 0.0f)) / float((1 << p.bits) - 1);
        g.lo = 0.0f;
        g.hi = float((1 << p.bits) - 1);
    }
    if (!(raw > 0.0f))
        raw = 0.0f;
    if (p.f16Scales) {
        const uint16_t h = floatToFp16(raw);
        g.scaleBits = h;
        g.s = fp16ToFloat(h);
    } else {
        g.scaleBits = std::bit_cast<uint32_t>(raw);
        g.s = raw;
    }
    if (!std::isfinite(g.s))
        throwIn(kMethod, "a scale (" + std::to_string(raw) + ") is not finite in "
                             + (p.f16Scales ? "fp16 (set f16Scales = false)" : "fp32"));
    if (!p.symmetric && g.s > 0.0f)
        g.zero = int(std::clamp(std::nearbyint(-std::min(mn, 0.0f) / g.s), 0.0f, g.hi));
    return g;
}

Grid gridOf(const double *x, int64_t n, const RtnParams &p)
{
    float mn = float(x[0]), mx = float(x[0]);
    for (int64_t j = 1; j < n; ++j) {
        mn = std::min(mn, float(x[j]));
        mx = std::max(mx, float(x[j]));
    }
    return makeGrid(mn, mx, p);
}

// Code of x and the weight it stands for, as rtn stores and decodes it.
uint32_t codeOf(double x, const Grid &g, bool sym)
{
    if (g.s == 0.0f)
        return sym ? uint32_t(g.zero) : 0u;
    const float r = std::nearbyint(float(x) / g.s);
    if (sym)
        return uint32_t(std::clamp(r, g.lo, g.hi) + float(g.zero));
    return uint32_t(std::clamp(r + float(g.zero), g.lo, g.hi));
}

double valueOf(uint32_t u, const Grid &g) { return double(float(int(u) - g.zero) * g.s); }

RtnParams rtnParamsOf(const GptqParams &p)
{
    return rtnGridOf(p.bits, p.sym, p.group, p.f16Scales);
}

// Everything both paths share for one call.
struct Setup {
    RtnParams rp;
    obsdetail::PreparedHessian ph;
    RowMatrix W; // permuted, dead columns zeroed
    QuantizedTensor q;
    std::vector<Grid> grids; // rows x groupsPerRow
    int64_t g = 0;           // weights per scale entry (cols for per channel)
    int64_t groupsPerRow = 0;
    bool lazyGroups = false; // scale computed on entering the group (groups without actOrder)
    const uint8_t *keep = nullptr; // pruning bitmap (1 = kept) or null
};

Setup setUp(const float *w, int64_t rows, int64_t cols, const double *h, int64_t tokens,
            const GptqParams &p, const uint8_t *keepMask, const JobContext &job)
{
    Setup s;
    s.keep = keepMask;
    obsdetail::requireObsInput(kMethod, w, rows, cols, h, tokens, p.damp, p.blockSize);
    s.rp = rtnParamsOf(p);
    quantdetail::requireInput(s.rp, w, rows, cols);
    s.ph = obsdetail::prepareHessian(kMethod, h, cols, tokens, p.damp, p.actOrder, job);
    s.W = obsdetail::permutedWeights(w, rows, cols, s.ph);
    s.q = quantdetail::makeLayout(s.rp, rows, cols);
    s.g = s.q.groupSize;
    s.groupsPerRow = cols / s.g;
    s.lazyGroups = p.group != 0 && !p.actOrder;
    s.grids.resize(size_t(rows * s.groupsPerRow));
    return s;
}

// Scales decided before the loop: per channel, or static groups over the original order.
void initialGrids(Setup &s, int64_t r)
{
    if (s.lazyGroups)
        return;
    const int64_t cols = s.W.cols();
    std::vector<double> orig(static_cast<size_t>(cols));
    for (int64_t j = 0; j < cols; ++j)
        orig[size_t(s.ph.perm[size_t(j)])] = s.W(r, j);
    for (int64_t gi = 0; gi < s.groupsPerRow; ++gi)
        s.grids[size_t(r * s.groupsPerRow + gi)] = gridOf(orig.data() + gi * s.g, s.g, s.rp);
}

// Quantizes permuted column j of row r (the grid is current); returns the OBS error term.
double quantizeOne(Setup &s, int64_t r, int64_t j)
{
    const int64_t c = s.ph.perm[size_t(j)];
    const int64_t gi = c / s.g;
    if (s.lazyGroups && j % s.g == 0)
        s.grids[size_t(r * s.groupsPerRow + gi)] = gridOf(&s.W(r, j), s.g, s.rp);
    const Grid &grid = s.grids[size_t(r * s.groupsPerRow + gi)];
    const uint64_t at = uint64_t(r) * uint64_t(s.W.cols()) + uint64_t(c);
    const bool pruned = s.keep && !((s.keep[at / 8] >> (at % 8)) & 1u);
    // A pruned weight takes the code of zero (the zero point; 2^(b-1) when symmetric).
    const uint32_t u = pruned ? uint32_t(grid.zero) : codeOf(s.W(r, j), grid, s.rp.symmetric);
    quantpack::putCode(s.q.codes.data() + r * s.q.rowCodeBytes(), c, s.rp.bits, u);
    return (s.W(r, j) - valueOf(u, grid)) / s.ph.hinvU(j, j);
}

QuantizedTensor finish(Setup &s)
{
    for (size_t i = 0; i < s.grids.size(); ++i) {
        const Grid &g = s.grids[i];
        if (s.rp.f16Scales) {
            s.q.scales[2 * i] = uint8_t(g.scaleBits);
            s.q.scales[2 * i + 1] = uint8_t(g.scaleBits >> 8);
        } else {
            for (int b = 0; b < 4; ++b)
                s.q.scales[4 * i + size_t(b)] = uint8_t(g.scaleBits >> (8 * b));
        }
        if (!s.rp.symmetric)
            quantpack::putCode(s.q.zeros.data(), int64_t(i), s.rp.bits, uint32_t(g.zero));
    }
    return std::move(s.q);
}

// The rtn grid as a RowQuantizer of compress/gptq_loop.h: scales per row set up on creation.
struct RtnRows {
    Setup *s;
    double operator()(int64_t r, int64_t j) const { return quantizeOne(*s, r, j); }
    void finish() const {}
};

RtnRows rtnRows(Setup &s, int64_t r0, int64_t r1)
{
    for (int64_t r = r0; r < r1; ++r)
        initialGrids(s, r);
    return RtnRows{&s};
}

} // namespace

QuantizedTensor gptqQuantizeReference(const float *w, int64_t rows, int64_t cols,
                                      const double *h, int64_t tokens, const GptqParams &p,
                                      const uint8_t *keepMask)
{
    Setup s = setUp(w, rows, cols, h, tokens, p, keepMask, JobContext{});
    obsdetail::gptqLoopReference(s.W, s.ph.hinvU,
                                 [&](int64_t r0, int64_t r1) { return rtnRows(s, r0, r1); });
    return finish(s);
}

QuantizedTensor gptqQuantize(const float *w, int64_t rows, int64_t cols, const double *h,
                             int64_t tokens, const GptqParams &p, const JobContext &job,
                             const uint8_t *keepMask)
{
    Setup s = setUp(w, rows, cols, h, tokens, p, keepMask, job);
    int64_t block = p.blockSize;
    if (s.lazyGroups)
        block = (block + s.g - 1) / s.g * s.g;
    obsdetail::gptqLoop(s.W, s.ph.hinvU, block, job,
                        [&](int64_t r0, int64_t r1) { return rtnRows(s, r0, r1); });
    return finish(s);
}

} // namespace cwb
