// SPDX-License-Identifier: MIT
#include "compress/gptq_ggml.h"

#include "compress/gptq_loop.h"
#include "compress/obs_common.h"
#include "formats/ggml_block_codes.h"
#include "formats/float_formats.h"
#include "formats/ggml_quantize.h"
#include "jobs/job_context.h"
#include "util/error.h"

#include <Eigen/Cholesky>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace cwb {
namespace {

constexpr const char *kMethod = "gptq_ggml";
using obsdetail::RowMatrix;

struct Setup {
    GptqGgmlParams p;
    obsdetail::PreparedHessian ph;
    RowMatrix W;                   // permuted, dead columns zeroed
    std::vector<float> importance; // per original column: mean x^2; empty = unweighted search
    std::vector<std::byte> out;    // rows x rowBytes: the type's bytes
    int64_t n = 0;                 // values per block
    int64_t blockBytes = 0;
    int64_t rowBytes = 0;
    int64_t blocksPerRow = 0;
    const uint8_t *keep = nullptr;
};

Setup setUp(const float *w, int64_t rows, int64_t cols, const double *h, int64_t tokens,
            const GptqGgmlParams &p, const uint8_t *keepMask, const JobContext &job)
{
    if (!ggmlBlockCodesSupported(p.type) || !ggmlCanQuantize(p.type))
        throwIn(kMethod, "type " + std::string(dtypeName(p.type))
                             + " is not a ggml block type GPTQ can round onto");
    obsdetail::requireObsInput(kMethod, w, rows, cols, h, tokens, p.damp, p.blockSize);
    Setup s;
    s.p = p;
    s.keep = keepMask;
    s.n = dtypeInfo(p.type).blockElems;
    s.blockBytes = int64_t(dtypeInfo(p.type).blockBytes);
    if (cols % s.n != 0)
        throwIn(kMethod, "rows of " + std::to_string(cols) + " values are not whole "
                             + std::string(dtypeName(p.type)) + " blocks of "
                             + std::to_string(s.n));
    s.blocksPerRow = cols / s.n;
    s.rowBytes = s.blocksPerRow * s.blockBytes;
    s.ph = obsdetail::prepareHessian(kMethod, h, cols, tokens, p.damp, p.actOrder, job);
    s.W = obsdetail::permutedWeights(w, rows, cols, s.ph);
    if (p.importance) {
        s.importance.resize(size_t(cols));
        for (int64_t c = 0; c < cols; ++c)
            s.importance[size_t(c)] = float(h[c * cols + c] / double(tokens));
    }
    s.out.resize(size_t(rows * s.rowBytes));
    return s;
}

// ggml's search on one block of `values` (block index b of a row); then the grid it chose.
void searchBlock(Setup &s, int64_t r, int64_t b, const float *values, GgmlBlockGrid &g)
{
    const float *importance = nullptr;
    if (!s.importance.empty()) {
        importance = s.importance.data() + b * s.n;
        // A block whose inputs never move (all-zero importance) has nothing to weight by.
        if (std::all_of(importance, importance + s.n, [](float v) { return v == 0.0f; }))
            importance = nullptr;
    }
    std::byte *block = s.out.data() + r * s.rowBytes + b * s.blockBytes;
    ggmlQuantizeRowReference(s.p.type, values, block, s.n, importance);
    readGgmlBlock(s.p.type, block, g);
}

int nearestCode(const GgmlBlockGrid &g, int e, double x)
{
    if (g.step[e] == 0.0f)
        return g.code[e]; // every code decodes to the base: keep the search's
    const double u = std::nearbyint((x - double(g.base[e])) / double(g.step[e])) + g.offset;
    return int(std::clamp(u, 0.0, double(g.codeMax)));
}

double valueOf(const GgmlBlockGrid &g, int e, int u)
{
    return double(g.step[e] * float(u - g.offset) + g.base[e]);
}

// The RowQuantizer of compress/gptq_loop.h for rows r0..r1: their blocks' grids, whose codes
// are replaced one by one and written into the bytes by finish().
class GgmlRows {
public:
    GgmlRows(Setup &s, int64_t r0, int64_t r1)
        : s_(&s), r0_(r0), r1_(r1), grids_(size_t((r1 - r0) * s.blocksPerRow))
    {
        if (!s.p.actOrder)
            return; // lazy: searched on entering each block
        const int64_t cols = s.W.cols();
        std::vector<float> orig(static_cast<size_t>(cols));
        for (int64_t r = r0; r < r1; ++r) {
            for (int64_t j = 0; j < cols; ++j)
                orig[size_t(s.ph.perm[size_t(j)])] = float(s.W(r, j));
            for (int64_t b = 0; b < s.blocksPerRow; ++b)
                searchBlock(s, r, b, orig.data() + b * s.n, grid(r, b));
        }
    }

    double operator()(int64_t r, int64_t j)
    {
        Setup &s = *s_;
        const int64_t c = s.ph.perm[size_t(j)];
        const int64_t b = c / s.n;
        const int e = int(c % s.n);
        GgmlBlockGrid &g = grid(r, b);
        if (!s.p.actOrder && e == 0) {
            // Without act order the permutation is the identity: columns c .. c + n - 1 are j ..
            float values[256];
            for (int64_t k = 0; k < s.n; ++k)
                values[k] = float(s.W(r, j + k));
            searchBlock(s, r, b, values, g);
        }
        const uint64_t at = uint64_t(r) * uint64_t(s.W.cols()) + uint64_t(c);
        const bool pruned = s.keep && !((s.keep[at / 8] >> (at % 8)) & 1u);
        const int u = nearestCode(g, e, pruned ? 0.0 : s.W(r, j));
        g.code[e] = uint8_t(u);
        const double q = pruned ? 0.0 : valueOf(g, e, u);
        return (s.W(r, j) - q) / s.ph.hinvU(j, j);
    }

    void finish()
    {
        Setup &s = *s_;
        for (int64_t r = r0_; r < r1_; ++r)
            for (int64_t b = 0; b < s.blocksPerRow; ++b)
                writeGgmlBlockCodes(s.p.type, s.out.data() + r * s.rowBytes + b * s.blockBytes,
                                    grid(r, b).code);
    }

private:
    GgmlBlockGrid &grid(int64_t r, int64_t b)
    {
        return grids_[size_t((r - r0_) * s_->blocksPerRow + b)];
    }

    Setup *s_;
    int64_t r0_, r1_;
    std::vector<GgmlBlockGrid> grids_;
};

// GptqGgmlParams::refit: per row, the blocks' d (and min) that minimise (w - q)^T H (w - q) for
// the codes and integer sub-scales GPTQ left, one least-squares solve over the row's blocks
// (the unknowns couple through H), rounded to fp16 and kept only where they lower the error.
void refitScales(Setup &s, const float *w, const double *h, int64_t rows, int64_t cols,
                 const JobContext &job)
{
    using Vec = Eigen::VectorXd;
    const Eigen::Map<const RowMatrix> H(h, cols, cols);
    obsdetail::forRowChunks(rows, 8, job, [&](int64_t r0, int64_t r1) {
        std::vector<GgmlBlockScales> blocks(size_t(s.blocksPerRow));
        for (int64_t r = r0; r < r1; ++r) {
            std::byte *row = s.out.data() + r * s.rowBytes;
            for (int64_t b = 0; b < s.blocksPerRow; ++b)
                readGgmlBlockScales(s.p.type, row + b * s.blockBytes, blocks[size_t(b)]);
            const bool hasMin = blocks[0].hasMin;
            const int64_t per = hasMin ? 2 : 1, P = s.blocksPerRow * per;
            // A: cols x P, column (b, 0) = alpha of block b, (b, 1) = beta, zero elsewhere.
            RowMatrix A = RowMatrix::Zero(cols, P);
            Vec theta0(P);
            for (int64_t b = 0; b < s.blocksPerRow; ++b) {
                const GgmlBlockScales &bs = blocks[size_t(b)];
                for (int64_t e = 0; e < s.n; ++e) {
                    A(b * s.n + e, b * per) = bs.alpha[e];
                    if (hasMin)
                        A(b * s.n + e, b * per + 1) = bs.beta[e];
                }
                theta0(b * per) = bs.d;
                if (hasMin)
                    theta0(b * per + 1) = bs.min;
            }
            Vec wr(cols);
            for (int64_t c = 0; c < cols; ++c)
                wr(c) = w[r * cols + c];
            // A has one block of n non-zeros per column: H A and A^T (H A) a block at a time.
            RowMatrix HA(cols, P);
            for (int64_t q = 0; q < P; ++q) {
                const int64_t c0 = (q / per) * s.n;
                HA.col(q).noalias() = H.middleCols(c0, s.n) * A.block(c0, q, s.n, 1);
            }
            RowMatrix G(P, P);
            for (int64_t q = 0; q < P; ++q) {
                const int64_t c0 = (q / per) * s.n;
                G.row(q).noalias() = A.block(c0, q, s.n, 1).transpose() * HA.middleRows(c0, s.n);
            }
            const Vec rhs = HA.transpose() * wr;
            const double ridge = 1e-9 * std::max(G.trace() / double(P), 1e-30);
            G.diagonal().array() += ridge;
            Vec theta = G.ldlt().solve(rhs);
            for (int64_t i = 0; i < P; ++i) // as stored: fp16
                theta(i) = double(fp16ToFloat(floatToFp16(float(theta(i)))));
            if (!theta.allFinite())
                continue;
            const auto error = [&](const Vec &t) {
                const Vec d = wr - A * t;
                return d.dot(H * d); // cols^2, twice a row: the solve's cost is of this order
            };
            if (!(error(theta) < error(theta0)))
                continue;
            for (int64_t b = 0; b < s.blocksPerRow; ++b)
                writeGgmlBlockScales(s.p.type, row + b * s.blockBytes, float(theta(b * per)),
                                     hasMin ? float(theta(b * per + 1)) : 0.0f);
        }
    });
}

StoredMatrix finish(Setup &s, int64_t rows, int64_t cols)
{
    return StoredMatrix::fromGgml(s.p.type, std::move(s.out), rows, cols);
}

} // namespace

StoredMatrix gptqGgmlQuantizeReference(const float *w, int64_t rows, int64_t cols,
                                       const double *h, int64_t tokens, const GptqGgmlParams &p,
                                       const uint8_t *keepMask)
{
    Setup s = setUp(w, rows, cols, h, tokens, p, keepMask, JobContext{});
    obsdetail::gptqLoopReference(s.W, s.ph.hinvU,
                                 [&](int64_t r0, int64_t r1) { return GgmlRows(s, r0, r1); });
    if (p.refit)
        refitScales(s, w, h, rows, cols, JobContext{});
    return finish(s, rows, cols);
}

StoredMatrix gptqGgmlQuantize(const float *w, int64_t rows, int64_t cols, const double *h,
                              int64_t tokens, const GptqGgmlParams &p, const JobContext &job,
                              const uint8_t *keepMask)
{
    Setup s = setUp(w, rows, cols, h, tokens, p, keepMask, job);
    int64_t block = p.blockSize;
    if (!p.actOrder)
        block = (block + s.n - 1) / s.n * s.n; // a block never straddles a pending update
    obsdetail::gptqLoop(s.W, s.ph.hinvU, block, job,
                        [&](int64_t r0, int64_t r1) { return GgmlRows(s, r0, r1); });
    if (p.refit)
        refitScales(s, w, h, rows, cols, job);
    return finish(s, rows, cols);
}

} // namespace cwb
