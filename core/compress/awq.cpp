// SPDX-License-Identifier: MIT
// AWQ's per-weight scale search (conventions in awq.h). One driver runs the alpha grid for both
// paths; they differ in the RTN call (quantizeRtn vs quantizeRtnReference, bitwise equal; a ggml
// grid has the one byte-exact quantizer) and in how the quadratic forms d H d^T are summed (Eigen
// GEMM over fixed row blocks vs plain loops).

#include "compress/awq.h"

#include "compress/gptq_ggml.h"
#include "compress/quant_methods.h"
#include "formats/ggml_quantize.h"
#include "jobs/job_context.h"
#include "tensor/dequantize.h"
#include "util/error.h"

#include <Eigen/Core>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace cwb {
namespace {

constexpr const char *kMethod = "awq";
// Rows per GEMM block of the fast path. Fixed, so every row's form is computed by the same
// product shapes whatever the scheduling: the result is deterministic.
constexpr int64_t kBlockRows = 64;
// A quadratic form below -kNegativeTolerance x ||X W^T||^2 cannot be rounding noise.
constexpr double kNegativeTolerance = 1e-9;

using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

std::string str(double v)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
}

RtnParams rtnParamsOf(const AwqParams &p)
{
    return rtnGridOf(p.bits, p.sym, p.group, p.f16Scales);
}

void requireParams(const AwqParams &p, int64_t cols)
{
    std::vector<std::string> problems;
    if (p.ggml) {
        const DTypeInfo &info = dtypeInfo(*p.ggml);
        if (!ggmlCanQuantize(*p.ggml))
            problems.push_back("ggml type " + std::string(info.name)
                               + " is not a ggml block type we quantize");
        else if (cols % info.blockElems != 0)
            problems.push_back("cols = " + std::to_string(cols) + " is not a multiple of "
                               + std::string(info.name) + "'s block of "
                               + std::to_string(info.blockElems));
    } else if (p.bits < 2 || p.bits > 8)
        problems.push_back("bits = " + std::to_string(p.bits) + " is not in 2..8");
    if (p.ggml) {
        // bits / group / sym do not apply to a ggml grid
    } else if (p.group != 0 && p.group != 32 && p.group != 64 && p.group != 128 && p.group != 256)
        problems.push_back("group = " + std::to_string(p.group)
                           + " is not 0 (per channel), 32, 64, 128 or 256");
    else if (p.group != 0 && cols % p.group != 0)
        problems.push_back("group = " + std::to_string(p.group) + " does not divide cols = "
                           + std::to_string(cols));
    if (p.gptq && !p.ggml)
        problems.push_back("gptq needs a ggml grid (the integer grid has its own gptq method)");
    if (p.alphaGrid < 1 || p.alphaGrid > 1000)
        problems.push_back("alphaGrid = " + std::to_string(p.alphaGrid) + " is not in 1..1000");
    if (problems.empty())
        return;
    std::string all;
    for (const std::string &s : problems)
        all += (all.empty() ? "" : "; ") + s;
    throwIn(kMethod, all);
}

void requireMeanAbs(std::span<const double> meanAbs)
{
    if (meanAbs.empty())
        throwIn(kMethod, "meanAbs is empty");
    for (size_t j = 0; j < meanAbs.size(); ++j)
        if (!std::isfinite(meanAbs[j]) || meanAbs[j] < 0.0)
            throwIn(kMethod, "meanAbs of channel " + std::to_string(j) + " (" + str(meanAbs[j])
                                 + ") is not finite and >= 0");
}

void requireInput(const float *w, int64_t rows, int64_t cols, std::span<const double> meanAbs,
                  const double *h, int64_t tokens, const AwqParams &p)
{
    if (rows <= 0 || cols <= 0 || rows > (int64_t(1) << 31) || cols > (int64_t(1) << 20))
        throwIn(kMethod, "shape " + std::to_string(rows) + " x " + std::to_string(cols)
                             + " is empty or too large");
    if (!w)
        throwIn(kMethod, "weights are null");
    if (!h)
        throwIn(kMethod, "Hessian h is null");
    if (tokens <= 0)
        throwIn(kMethod, "tokens = " + std::to_string(tokens) + " must be > 0");
    if (int64_t(meanAbs.size()) != cols)
        throwIn(kMethod, "meanAbs has " + std::to_string(meanAbs.size())
                             + " values, expected cols = " + std::to_string(cols));
    requireParams(p, cols);
    requireMeanAbs(meanAbs);
    for (int64_t i = 0; i < cols * cols; ++i)
        if (!std::isfinite(h[i]))
            throwIn(kMethod, "Hessian h entry (" + std::to_string(i / cols) + ", "
                                 + std::to_string(i % cols) + ") is not finite");
    for (int64_t i = 0; i < cols; ++i)
        if (h[i * cols + i] < 0.0)
            throwIn(kMethod, "Hessian h diagonal entry (" + std::to_string(i) + ", "
                                 + std::to_string(i) + ") = " + str(h[i * cols + i])
                                 + " is negative (h must be X^T X)");
    for (int64_t i = 0; i < rows * cols; ++i)
        if (!std::isfinite(w[i]))
            throwIn(kMethod, "weight (row " + std::to_string(i / cols) + ", col "
                                 + std::to_string(i % cols) + ") is not finite");
}

// The weight row r stands for: W' = dequant(Q) diag(1/s), minus from W, in double.
inline void diffRow(const float *w, const float *deq, const float *s, int64_t cols, double *d)
{
    for (int64_t j = 0; j < cols; ++j)
        d[j] = double(w[j]) - double(deq[j]) / double(s[j]);
}

// fill(r0, n, D) writes rows [r0, r0 + n) of the matrix whose forms are wanted into D [n x cols].
// Returns sum_r m_r H m_r^T; per-row forms are added in row order.
template <class Fill>
double formsFast(int64_t rows, int64_t cols, const double *h, const JobContext &job,
                 const Fill &fill)
{
    const Eigen::Map<const RowMatrix> H(h, cols, cols);
    std::vector<double> forms(static_cast<size_t>(rows));
    const int64_t blocks = (rows + kBlockRows - 1) / kBlockRows;
    job.checkCancelled();
    tbb::parallel_for(tbb::blocked_range<int64_t>(0, blocks, 1),
                      [&](const tbb::blocked_range<int64_t> &range) {
                          RowMatrix D, DH;
                          for (int64_t b = range.begin(); b < range.end(); ++b) {
                              if (job.cancelled())
                                  return;
                              const int64_t r0 = b * kBlockRows;
                              const int64_t n = std::min(kBlockRows, rows - r0);
                              D.resize(n, cols);
                              fill(r0, n, D.data());
                              DH.noalias() = D * H;
                              for (int64_t i = 0; i < n; ++i)
                                  forms[size_t(r0 + i)] = D.row(i).dot(DH.row(i));
                          }
                      });
    job.checkCancelled();
    double sum = 0;
    for (double f : forms)
        sum += f;
    return sum;
}

// The plain reference: one row at a time, t_i = sum_j h_ij d_j, form = sum_i d_i t_i.
template <class Fill>
double formsReference(int64_t rows, int64_t cols, const double *h, const Fill &fill)
{
    std::vector<double> d(static_cast<size_t>(cols));
    double sum = 0;
    for (int64_t r = 0; r < rows; ++r) {
        fill(r, 1, d.data());
        double form = 0;
        for (int64_t i = 0; i < cols; ++i) {
            double t = 0;
            for (int64_t j = 0; j < cols; ++j)
                t += h[i * cols + j] * d[size_t(j)];
            form += d[size_t(i)] * t;
        }
        sum += form;
    }
    return sum;
}

double relativeError(double num, double den)
{
    if (den > 0.0)
        return std::sqrt(std::max(num, 0.0) / den);
    return num > 0.0 ? std::numeric_limits<double>::infinity() : 0.0;
}

[[noreturn]] void throwIndefinite(double form, double den)
{
    throwIn(kMethod, "the Hessian h is not positive semidefinite (a quadratic form is "
                         + str(form) + " against ||X W^T||^2 = " + str(den)
                         + "); h must be the raw sum X^T X");
}

// One grid point: W diag(s) on the integer grid (rtn) or the ggml type, and its rows decoded.
struct GridPoint {
    QuantizedTensor q;
    std::vector<std::byte> ggml;

    void rows(const AwqParams &p, int64_t cols, int64_t r0, int64_t n, float *out,
              bool reference) const
    {
        if (!p.ggml) {
            if (reference)
                q.dequantizeRowsReference(r0, n, out);
            else
                q.dequantizeRows(r0, n, out);
            return;
        }
        const auto rowBytes = int64_t(*storageBytes(*p.ggml, uint64_t(cols)));
        convertToFloat(*p.ggml,
                       std::span<const std::byte>(ggml.data() + r0 * rowBytes, size_t(n * rowBytes)),
                       std::span<float>(out, size_t(n * cols)));
    }
};

// llama.cpp's imatrix for the scaled weights: the mean square of the input they meet, x_j / s_j.
// Empty when no input moved (an all-zero imatrix weights nothing).
std::vector<float> scaledImportance(const double *h, int64_t cols, int64_t tokens,
                                    std::span<const float> s)
{
    std::vector<float> imp(static_cast<size_t>(cols));
    bool any = false;
    for (int64_t j = 0; j < cols; ++j) {
        const double sj = double(s[size_t(j)]);
        imp[size_t(j)] = float(h[j * cols + j] / double(tokens) / (sj * sj));
        any = any || imp[size_t(j)] > 0.0f;
    }
    if (!any)
        imp.clear();
    return imp;
}

GridPoint quantizeGrid(const float *ws, int64_t rows, int64_t cols, std::span<const float> s,
                       const double *h, int64_t tokens, const AwqParams &p, const JobContext &job,
                       bool fast)
{
    GridPoint g;
    if (!p.ggml) {
        const RtnParams rp = rtnParamsOf(p);
        g.q = fast ? quantizeRtn(ws, rows, cols, rp, job) : quantizeRtnReference(ws, rows, cols, rp);
        return g;
    }
    const std::vector<float> imp =
        p.importance ? scaledImportance(h, cols, tokens, s) : std::vector<float>{};
    g.ggml = ggmlQuantizeRows(*p.ggml, ws, rows, cols, imp.empty() ? nullptr : imp.data(), job);
    return g;
}

// GPTQ onto the ggml grid for the scaled weights ws = W diag(s): they meet the inputs x / s, whose
// Hessian is diag(1/s) H diag(1/s) (and whose imatrix is its diagonal over tokens, as above).
std::vector<std::byte> gptqOntoGrid(const float *ws, int64_t rows, int64_t cols,
                                    std::span<const float> s, const double *h, int64_t tokens,
                                    const AwqParams &p, const JobContext &job, bool fast)
{
    std::vector<double> hs(static_cast<size_t>(cols * cols));
    for (int64_t i = 0; i < cols; ++i)
        for (int64_t j = 0; j < cols; ++j)
            hs[size_t(i * cols + j)] =
                h[i * cols + j] / (double(s[size_t(i)]) * double(s[size_t(j)]));
    GptqGgmlParams g;
    g.type = *p.ggml;
    g.importance = p.importance;
    StoredMatrix m = fast ? gptqGgmlQuantize(ws, rows, cols, hs.data(), tokens, g, job)
                          : gptqGgmlQuantizeReference(ws, rows, cols, hs.data(), tokens, g);
    return std::move(m.bytes);
}

AwqResult search(const float *w, int64_t rows, int64_t cols, std::span<const double> meanAbs,
                 const double *h, int64_t tokens, const AwqParams &p, const JobContext &job,
                 bool fast)
{
    requireInput(w, rows, cols, meanAbs, h, tokens, p);

    // ||X W^T||^2 once.
    const auto fillW = [&](int64_t r0, int64_t n, double *out) {
        for (int64_t i = 0; i < n * cols; ++i)
            out[i] = double(w[r0 * cols + i]);
    };
    const double den =
        fast ? formsFast(rows, cols, h, job, fillW) : formsReference(rows, cols, h, fillW);
    if (den < 0.0)
        throwIndefinite(den, den);

    // sum_r d_r H d_r^T for W - dequant(grid) diag(1/s).
    const auto errorForms = [&](const GridPoint &q, const std::vector<float> &s) {
        if (fast)
            return formsFast(rows, cols, h, job, [&](int64_t r0, int64_t n, double *out) {
                std::vector<float> deq(static_cast<size_t>(n * cols));
                q.rows(p, cols, r0, n, deq.data(), false);
                for (int64_t i = 0; i < n; ++i)
                    diffRow(w + (r0 + i) * cols, deq.data() + i * cols, s.data(), cols,
                            out + i * cols);
            });
        std::vector<float> deq(static_cast<size_t>(cols));
        return formsReference(rows, cols, h, [&](int64_t r, int64_t, double *out) {
            q.rows(p, cols, r, 1, deq.data(), true);
            diffRow(w + r * cols, deq.data(), s.data(), cols, out);
        });
    };

    AwqResult best;
    best.gridErrors.assign(size_t(p.alphaGrid), std::numeric_limits<double>::infinity());
    double bestNum = std::numeric_limits<double>::infinity();
    std::vector<float> ws(static_cast<size_t>(rows * cols));
    for (int k = 0; k < p.alphaGrid; ++k) {
        job.checkCancelled();
        const double alpha = double(k) / double(p.alphaGrid);
        std::vector<float> s = awqInputScales(meanAbs, alpha);
        bool storable = std::all_of(s.begin(), s.end(),
                                    [](float v) { return std::isfinite(v) && v > 0.0f; });
        // W diag(s): the same float product in both paths, so the codes agree.
        const auto scaleRows = [&](int64_t r0, int64_t r1) {
            float *out = ws.data() + r0 * cols;
            awqScaleWeights(w + r0 * cols, r1 - r0, cols, s, out);
            return std::all_of(out, out + (r1 - r0) * cols,
                               [](float v) { return std::isfinite(v); });
        };
        if (storable) {
            if (fast) {
                std::vector<uint8_t> ok(static_cast<size_t>(rows), 1);
                tbb::parallel_for(tbb::blocked_range<int64_t>(0, rows, 16),
                                  [&](const tbb::blocked_range<int64_t> &r) {
                                      for (int64_t i = r.begin(); i < r.end(); ++i)
                                          ok[size_t(i)] = scaleRows(i, i + 1);
                                  });
                storable = std::all_of(ok.begin(), ok.end(), [](uint8_t v) { return v != 0; });
            } else {
                storable = scaleRows(0, rows);
            }
        }
        if (!storable) {
            if (k == 0) // s = 1: cannot happen with finite weights; kept as a guard
                throwIn(kMethod, "the weights cannot be quantized at alpha = 0");
            continue;
        }
        GridPoint q;
        try {
            q = quantizeGrid(ws.data(), rows, cols, s, h, tokens, p, job, fast);
        } catch (const Cancelled &) {
            throw;
        } catch (const Error &) {
            if (k == 0)
                throw; // plain RTN fails: report its message
            continue;  // e.g. a scale beyond fp16 range: this alpha is not storable
        }
        const double num = errorForms(q, s);
        if (num < -kNegativeTolerance * den)
            throwIndefinite(num, den);
        best.gridErrors[size_t(k)] = relativeError(num, den);
        if (num < bestNum) { // strict: ties keep the smaller alpha
            bestNum = num;
            best.q = std::move(q.q);
            best.ggmlBytes = std::move(q.ggml);
            best.inputScales = std::move(s);
            best.alpha = alpha;
        }
    }
    if (p.gptq) {
        // The chosen scales' final codes by GPTQ onto the grid, measured the same way.
        std::vector<float> scaled(static_cast<size_t>(rows * cols));
        awqScaleWeights(w, rows, cols, best.inputScales, scaled.data());
        GridPoint g;
        g.ggml = gptqOntoGrid(scaled.data(), rows, cols, best.inputScales, h, tokens, p, job,
                              fast);
        bestNum = errorForms(g, best.inputScales);
        best.ggmlBytes = std::move(g.ggml);
    }
    best.outputError = relativeError(bestNum, den);
    best.plainRtnError = best.gridErrors[0];
    return best;
}

} // namespace

std::vector<float> awqInputScales(std::span<const double> meanAbs, double alpha)
{
    requireMeanAbs(meanAbs);
    if (!std::isfinite(alpha) || alpha < 0.0)
        throwIn(kMethod, "alpha = " + str(alpha) + " must be finite and >= 0");
    std::vector<double> s(meanAbs.size());
    for (size_t j = 0; j < s.size(); ++j)
        s[j] = std::max(std::pow(meanAbs[j], alpha), 1e-4);
    const auto [mn, mx] = std::minmax_element(s.begin(), s.end());
    // sqrt(max min) as two roots: the product of two large values could overflow.
    const double norm = std::sqrt(*mx) * std::sqrt(*mn);
    std::vector<float> out(s.size());
    for (size_t j = 0; j < s.size(); ++j)
        out[j] = float(s[j] / norm);
    return out;
}

void awqScaleWeights(const float *w, int64_t rows, int64_t cols, std::span<const float> s,
                     float *ws)
{
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t j = 0; j < cols; ++j)
            ws[r * cols + j] = w[r * cols + j] * s[size_t(j)];
}

StoredMatrix awqGrid(const float *ws, int64_t rows, int64_t cols, std::span<const float> s,
                     const double *h, int64_t tokens, const AwqParams &p, const JobContext &job)
{
    requireParams(p, cols);
    if (int64_t(s.size()) != cols)
        throwIn(kMethod, "the input scales hold " + std::to_string(s.size())
                             + " values, expected cols = " + std::to_string(cols));
    GridPoint g;
    if (p.gptq)
        g.ggml = gptqOntoGrid(ws, rows, cols, s, h, tokens, p, job, true);
    else
        g = quantizeGrid(ws, rows, cols, s, h, tokens, p, job, true);
    if (p.ggml)
        return StoredMatrix::fromGgml(*p.ggml, std::move(g.ggml), rows, cols);
    return StoredMatrix::fromQuantized(std::move(g.q));
}

StoredMatrix awqStoredMatrix(AwqResult &&r, const AwqParams &p, int64_t rows, int64_t cols)
{
    if (!p.ggml)
        return StoredMatrix::fromQuantized(std::move(r.q), std::move(r.inputScales));
    StoredMatrix m = StoredMatrix::fromGgml(*p.ggml, std::move(r.ggmlBytes), rows, cols);
    m.inputScales = std::move(r.inputScales);
    return m;
}

AwqResult awqQuantize(const float *w, int64_t rows, int64_t cols, std::span<const double> meanAbs,
                      const double *h, int64_t tokens, const AwqParams &p, const JobContext &job)
{
    return search(w, rows, cols, meanAbs, h, tokens, p, job, true);
}

AwqResult awqQuantizeReference(const float *w, int64_t rows, int64_t cols,
                               std::span<const double> meanAbs, const double *h, int64_t tokens,
                               const AwqParams &p)
{
    return search(w, rows, cols, meanAbs, h, tokens, p, JobContext{}, false);
}

} // namespace cwb
