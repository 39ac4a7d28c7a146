// SPDX-License-Identifier: MIT
// ternary: BitNet b1.58's absmean weights. s = mean(|W|) + eps, q = clamp(rne(w / s), -1, 1).
// The mean is defined row by row so that the parallel path reproduces it bit for bit: each row's
// |w| summed in double left to right, the row sums added in row order, divided by rows * cols and
// rounded to float.

#include "compress/quant_methods.h"
#include "formats/quant_common.h"
#include "formats/quant_packing.h"
#include "jobs/job_context.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace cwb {
namespace {

constexpr const char *kMethod = "ternary";

double rowAbsSum(const float *x, int64_t n)
{
    double sum = 0.0;
    for (int64_t j = 0; j < n; ++j)
        sum += std::fabs(x[j]);
    return sum;
}

float absmeanScale(double total, int64_t rows, int64_t cols, float eps)
{
    return float(total / (double(rows) * double(cols))) + eps;
}

inline uint8_t trit(float x, float s)
{
    return uint8_t(std::clamp(std::nearbyint(x / s), -1.0f, 1.0f) + 1.0f);
}

// The fast loop: value parameters only, so byte stores cannot alias them and it vectorizes.
void trits(const float *x, int64_t n, float s, uint8_t *u)
{
    for (int64_t j = 0; j < n; ++j)
        u[j] = trit(x[j], s);
}

} // namespace

QuantizedTensor quantizeTernaryReference(const float *w, int64_t rows, int64_t cols,
                                         const TernaryParams &p)
{
    quantdetail::requireInput(p, w, rows, cols);
    quantdetail::requireFinite(kMethod, w, rows, cols);
    QuantizedTensor q = quantdetail::makeLayout(p, rows, cols);
    double total = 0.0;
    for (int64_t r = 0; r < rows; ++r)
        total += rowAbsSum(w + r * cols, cols);
    const float s = absmeanScale(total, rows, cols, p.eps);
    q.tensorScale = s;
    const int64_t rowBytes = q.rowCodeBytes();
    static constexpr unsigned pow3[5] = {1, 3, 9, 27, 81};
    for (int64_t r = 0; r < rows; ++r) {
        uint8_t *row = q.codes.data() + r * rowBytes;
        for (int64_t c = 0; c < cols; ++c) {
            const uint8_t t = trit(w[r * cols + c], s);
            if (p.packing == TernaryPacking::Base3)
                row[c / 5] = uint8_t(row[c / 5] + t * pow3[c % 5]);
            else
                quantpack::putCode(row, c, 2, t);
        }
    }
    return q;
}

QuantizedTensor quantizeTernary(const float *w, int64_t rows, int64_t cols, const TernaryParams &p,
                                const JobContext &job)
{
    quantdetail::requireInput(p, w, rows, cols);
    QuantizedTensor q = quantdetail::makeLayout(p, rows, cols);
    std::vector<double> rowSums(static_cast<size_t>(rows), 0.0);
    quantdetail::forRowBlocks(kMethod, w, rows, cols, job, [&](int64_t r0, int64_t r1) -> int64_t {
        const int64_t bad = quantdetail::firstNonFiniteInRows(w, r0, r1, cols);
        if (bad >= 0)
            return bad;
        for (int64_t r = r0; r < r1; ++r)
            rowSums[size_t(r)] = rowAbsSum(w + r * cols, cols);
        return -1;
    });
    double total = 0.0;
    for (const double v : rowSums)
        total += v;
    const float s = absmeanScale(total, rows, cols, p.eps);
    q.tensorScale = s;
    const int64_t rowBytes = q.rowCodeBytes();
    const bool base3 = p.packing == TernaryPacking::Base3;
    quantdetail::forRowBlocks(kMethod, w, rows, cols, job, [&](int64_t r0, int64_t r1) -> int64_t {
        std::vector<uint8_t> u(static_cast<size_t>(cols));
        for (int64_t r = r0; r < r1; ++r) {
            const float *x = w + r * cols;
            trits(x, cols, s, u.data());
            uint8_t *row = q.codes.data() + r * rowBytes;
            if (base3)
                quantpack::packBase3(u.data(), cols, row);
            else
                quantpack::packCodes(u.data(), cols, 2, row);
        }
        return -1;
    });
    return q;
}

} // namespace cwb
