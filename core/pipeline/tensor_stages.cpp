// SPDX-License-Identifier: MIT
#include "pipeline/tensor_stages.h"

#include "analysis/activation_stats.h"
#include "compress/gptq.h"
#include "compress/low_rank.h"
#include "compress/output_error.h"
#include "compress/pruning.h"
#include "compress/quant_methods.h"
#include "compress/sparsegpt.h"
#include "formats/ggml_quantize.h"
#include "jobs/job_context.h"
#include "methods/registry.h"
#include "model/canonical_name.h"
#include "model/model.h"
#include "tensor/tensor.h"
#include "util/error.h"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <span>

namespace cwb::stages {

namespace {

using RowMatrixD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowMatrixF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

} // namespace

InputStats inputStatsOf(const ActivationStats *stats, const std::string &canonical)
{
    InputStats in;
    if (!stats)
        return in;
    const LinearActivationStats *s = stats->find(canonical);
    if (!s)
        return in;
    in.tokens = s->tokens;
    in.meanSquare = s->meanSquare;
    in.meanAbs = s->meanAbs;
    if (s->hessian)
        in.hessian = std::shared_ptr<const std::vector<double>>(s->hessian, &s->hessian->sum);
    if (s->originalCross)
        in.originalCross = std::shared_ptr<const std::vector<double>>(s->originalCross,
                                                                      &s->originalCross->sum);
    return in;
}

Matrix loadMatrix(const Model &model, const Tensor &t)
{
    Matrix m;
    m.values = t.toFloat();
    m.cols = t.rowLength();
    m.rows = m.cols > 0 ? int64_t(m.values.size()) / m.cols : 0;
    m.transposed = model.family == ArchFamily::Gpt2
                   && (model.format == ModelFormat::Safetensors
                       || model.format == ModelFormat::HfDirectory)
                   && t.shape.size() == 2 && isLayerTensorName(t.canonical);
    if (m.transposed) {
        std::vector<float> out(m.values.size());
        for (int64_t r = 0; r < m.rows; ++r)
            for (int64_t c = 0; c < m.cols; ++c)
                out[size_t(c * m.rows + r)] = m.values[size_t(r * m.cols + c)];
        m.values = std::move(out);
        std::swap(m.rows, m.cols);
    }
    return m;
}

std::vector<float> visitReconstruction(
    const CompressedTensor &ct, int64_t blockRows,
    const std::function<bool(int64_t firstRow, int64_t nRows, const float *values)> &visit)
{
    if (blockRows <= 0)
        blockRows = std::max<int64_t>(1, (int64_t(1) << 20) / std::max<int64_t>(1, ct.cols));
    std::vector<float> block(size_t(std::min(blockRows, ct.rows) * ct.cols));
    for (int64_t r0 = 0; r0 < ct.rows; r0 += blockRows) {
        const int64_t n = std::min(blockRows, ct.rows - r0);
        ct.reconstructRows(r0, n, block.data());
        if (!visit(r0, n, block.data()))
            break;
    }
    return block;
}

void finishReport(CompressedTensor &ct, const std::vector<float> &original, const InputStats &in,
                  bool wantOutputError)
{
    // The output error needs the whole reconstruction; the relative error alone is summed over
    // blocks of rows (the same sums in the same order), so a large matrix never has a second
    // full float copy beside the original (a streamed 7B run holds several tensors at once).
    const bool outputError = wantOutputError && in.hessian && ct.shape.size() >= 2;
    double num = 0, den = 0;
    const std::vector<float> result = visitReconstruction(
        ct, outputError || !ct.weight ? ct.rows : 0,
        [&](int64_t r0, int64_t n, const float *values) {
            const float *o = original.data() + r0 * ct.cols;
            for (int64_t i = 0; i < n * ct.cols; ++i) {
                const double d = double(o[i]) - double(values[i]);
                num += d * d;
                den += double(o[i]) * double(o[i]);
            }
            return true;
        });
    ct.report.relativeError = den > 0 ? std::sqrt(num / den) : (num > 0 ? 1.0 : 0.0);
    if (outputError)
        ct.report.outputError = relativeOutputError(original.data(), result.data(), ct.rows,
                                                    ct.cols, in.hessian->data());
    ct.report.storedBytes = ct.storedBytes();
    ct.report.bitsPerWeight = double(ct.report.storedBytes) * 8.0 / double(ct.rows * ct.cols);
}

InputStats factorInputStats(const InputStats &x, const std::vector<float> &b, int64_t rank,
                            int64_t cols)
{
    InputStats out;
    out.tokens = x.tokens;
    const Eigen::Map<const RowMatrixF> B(b.data(), rank, cols);
    if (x.hessian) {
        const Eigen::Map<const RowMatrixD> H(x.hessian->data(), cols, cols);
        const RowMatrixD Bd = B.cast<double>();
        auto h = std::make_shared<std::vector<double>>(size_t(rank * rank));
        Eigen::Map<RowMatrixD>(h->data(), rank, rank).noalias() = Bd * H * Bd.transpose();
        out.meanSquare.resize(size_t(rank));
        for (int64_t i = 0; i < rank; ++i)
            out.meanSquare[size_t(i)] = (*h)[size_t(i * rank + i)] / double(std::max<int64_t>(1, x.tokens));
        out.hessian = std::move(h);
        if (x.originalCross) { // B x against B x~: B C B^T
            const Eigen::Map<const RowMatrixD> C(x.originalCross->data(), cols, cols);
            auto c = std::make_shared<std::vector<double>>(size_t(rank * rank));
            Eigen::Map<RowMatrixD>(c->data(), rank, rank).noalias() = Bd * C * Bd.transpose();
            out.originalCross = std::move(c);
        }
    } else if (!x.meanSquare.empty()) {
        out.meanSquare.assign(size_t(rank), 0.0);
        for (int64_t i = 0; i < rank; ++i)
            for (int64_t j = 0; j < cols; ++j)
                out.meanSquare[size_t(i)] +=
                    double(B(i, j)) * double(B(i, j)) * x.meanSquare[size_t(j)];
    }
    out.meanAbs.resize(out.meanSquare.size());
    for (size_t i = 0; i < out.meanSquare.size(); ++i)
        out.meanAbs[i] = std::sqrt(std::max(0.0, out.meanSquare[i]));
    return out;
}

namespace {

// The slot's registry entry, with the function its stage runs.
const MethodSpec &methodFor(const SlotPlan &s, MethodSlot slot)
{
    const MethodSpec &m = requireMethod(s.method);
    if (m.slot != slot)
        throw Error("'" + s.method + "' is a " + std::string(slotName(m.slot)) + " method, not "
                    + std::string(slotName(slot)));
    return m;
}

} // namespace

PruneOutcome prune(const SlotPlan &s, const std::vector<float> &w, int64_t rows, int64_t cols,
                   const InputStats &in, const JobContext &job)
{
    return methodFor(s, MethodSlot::Prune).prune(s.reader(), w, rows, cols, in, job);
}

LowRankOutcome lowRank(const SlotPlan &s, const std::vector<float> &w, int64_t rows, int64_t cols,
                       const InputStats &in, const JobContext &job)
{
    return methodFor(s, MethodSlot::LowRank).lowRank(s.reader(), w, rows, cols, in, job);
}

StoredMatrix quantize(const SlotPlan &s, const std::vector<float> &w, int64_t rows, int64_t cols,
                      const InputStats &in, DType keepType, const uint8_t *keepMask,
                      const JobContext &job, std::vector<std::string> &notes)
{
    QuantizeInput q;
    q.w = w.data();
    q.rows = rows;
    q.cols = cols;
    q.in = &in;
    q.keepType = keepType;
    q.keepMask = keepMask;
    q.job = &job;
    q.notes = &notes;
    return methodFor(s, MethodSlot::Quantize).quantize(s.reader(), q);
}

} // namespace cwb::stages
