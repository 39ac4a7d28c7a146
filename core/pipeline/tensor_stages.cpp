// SPDX-License-Identifier: MIT
#include "pipeline/tensor_stages.h"

#include "analysis/activation_stats.h"
#include "compress/awq.h"
#include "compress/gptq.h"
#include "compress/low_rank.h"
#include "compress/output_error.h"
#include "compress/pruning.h"
#include "compress/quant_methods.h"
#include "compress/sparsegpt.h"
#include "formats/ggml_quantize.h"
#include "jobs/job_context.h"
#include "model/canonical_name.h"
#include "model/model.h"
#include "recipe/size_estimate.h"
#include "tensor/tensor.h"
#include "util/error.h"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <span>

namespace cwb::stages {

namespace {

using RowMatrixD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowMatrixF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

int intParam(const SlotPlan &s, std::string_view name)
{
    return static_cast<int>(paramInt(s.value(name)));
}

// "2:4" -> {2, 4}; "none" -> {0, 0}.
std::pair<int, int> nmOf(const SlotPlan &s)
{
    const std::string &nm = paramText(s.value("nm"));
    if (nm == "none")
        return {0, 0};
    return {nm[0] - '0', nm[2] - '0'};
}

const std::vector<double> &requireHessian(const InputStats &in, const std::string &method)
{
    if (!in.hessian)
        throw Error(method + " needs the calibration Hessian of this tensor's input, and there "
                             "is none (the tensor is not a layer projection, or no calibration "
                             "text was given)");
    return *in.hessian;
}

const std::vector<double> &requireMeanSquare(const InputStats &in, const std::string &method)
{
    if (in.meanSquare.empty())
        throw Error(method + " needs calibration statistics of this tensor's input, and there are "
                             "none (the tensor is not a layer projection, or no calibration text "
                             "was given)");
    return in.meanSquare;
}

// The recipe's group: -1 one scale per row, 0 one per tensor, else the group length.
void setGranularity(RtnParams &p, int64_t group)
{
    if (group < 0) {
        p.granularity = Granularity::PerChannel;
    } else if (group == 0) {
        p.granularity = Granularity::PerTensor;
    } else {
        p.granularity = Granularity::Group;
        p.groupSize = static_cast<int>(group);
    }
}

// gptq and awq take group 0 as "per channel"; a per-tensor scale is refused by the plan checks.
int rowGroup(const SlotPlan &s)
{
    const int64_t g = paramInt(s.value("group"));
    if (g == 0)
        throw Error(s.method + ": group 0 (one scale per tensor) is not supported; use -1 (one "
                               "per row) or a group size");
    return g < 0 ? 0 : static_cast<int>(g);
}

} // namespace

AwqParams awqParamsOf(const SlotPlan &s)
{
    AwqParams p;
    p.bits = intParam(s, "bits");
    p.group = rowGroup(s);
    p.sym = paramBool(s.value("sym"));
    p.alphaGrid = intParam(s, "alpha_grid");
    return p;
}

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

void finishReport(CompressedTensor &ct, const std::vector<float> &original, const InputStats &in,
                  bool wantOutputError)
{
    const std::vector<float> result = ct.reconstruct();
    double num = 0, den = 0;
    for (size_t i = 0; i < original.size(); ++i) {
        const double d = double(original[i]) - double(result[i]);
        num += d * d;
        den += double(original[i]) * double(original[i]);
    }
    ct.report.relativeError = den > 0 ? std::sqrt(num / den) : (num > 0 ? 1.0 : 0.0);
    if (wantOutputError && in.hessian && ct.shape.size() >= 2)
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

PruneOutcome prune(const SlotPlan &s, const std::vector<float> &w, int64_t rows, int64_t cols,
                   const InputStats &in, const JobContext &job)
{
    const auto [n, m] = nmOf(s);
    PruneParams pp;
    pp.sparsity = paramFloat(s.value("sparsity"));
    pp.nmN = n;
    pp.nmM = m;
    if (m > 0) // N:M keeps N of every M (pruning.h); `sparsity` is then implied
        pp.sparsity = 1.0 - double(n) / m;
    PruneOutcome o;
    o.nmN = n;
    o.nmM = m;
    if (s.method == "sparsegpt") {
        const std::vector<double> &h = requireHessian(in, s.method);
        SparseGptParams sp;
        sp.sparsity = pp.sparsity;
        // SparseGPT's nmN counts the PRUNED weights of each group; the recipe's "2:4" keeps 2.
        sp.nmN = m > 0 ? m - n : 0;
        sp.nmM = m;
        sp.blockSize = intParam(s, "block_size");
        sp.damp = paramFloat(s.value("damp"));
        SparseGptResult r = sparseGptPrune(w.data(), rows, cols, h.data(), in.tokens, sp, job);
        o.weights = std::move(r.weights);
        o.keep.assign((size_t(rows * cols) + 7) / 8, 0);
        int64_t removed = 0;
        for (size_t i = 0; i < r.pruned.size(); ++i) {
            if (r.pruned[i])
                ++removed;
            else
                o.keep[i / 8] |= uint8_t(1u << (i % 8));
        }
        o.sparsity = double(removed) / double(rows * cols);
        o.maskBytes = pruneMaskBytes(rows, cols, pp);
        return o;
    }
    PruneResult r;
    if (s.method == "magnitude") {
        r = pruneMagnitude(w, rows, cols, pp, job);
    } else if (s.method == "wanda") {
        LinearActivationStats st;
        st.meanSquare = requireMeanSquare(in, s.method);
        st.tokens = in.tokens;
        r = pruneWanda(w, rows, cols, inputNorms(st), pp, job);
    } else {
        throw Error("unknown pruning method '" + s.method + "'");
    }
    o.weights = std::move(r.weights);
    o.keep = std::move(r.mask);
    o.nmIndices = std::move(r.nmIndices);
    o.sparsity = double(r.pruned) / double(rows * cols);
    o.maskBytes = r.maskBytes;
    return o;
}

LowRankOutcome lowRank(const SlotPlan &s, const std::vector<float> &w, int64_t rows, int64_t cols,
                       const InputStats &in, const JobContext &job)
{
    LowRankParams lp;
    lp.rank = paramInt(s.value("rank"));
    lp.energy = paramFloat(s.value("energy"));
    lp.factorType = FactorType::F32; // the quantize stage decides how the factors are stored
    LowRankResult r;
    if (s.method == "svd") {
        r = svdLowRank(w, rows, cols, lp, job);
    } else if (s.method == "asvd") {
        lp.dampFraction = paramFloat(s.value("damp"));
        const std::vector<double> &h = requireHessian(in, s.method);
        r = asvdLowRank(w, rows, cols, h, in.tokens, lp, job);
    } else {
        throw Error("unknown low-rank method '" + s.method + "'");
    }
    LowRankOutcome o;
    o.a = std::move(r.a);
    o.b = std::move(r.b);
    o.rank = r.rank;
    o.truncationError = r.truncationError;
    return o;
}

StoredMatrix quantize(const SlotPlan &s, const std::vector<float> &w, int64_t rows, int64_t cols,
                      const InputStats &in, DType keepType, const uint8_t *keepMask,
                      const JobContext &job, std::vector<std::string> &notes)
{
    const std::string &name = s.method;
    if (name == "keep" || name == "f32" || name == "f16" || name == "bf16") {
        const DType t = name == "f32"   ? DType::F32
                        : name == "f16" ? DType::F16
                        : name == "bf16" ? DType::BF16
                                         : keepType;
        if (ggmlCanQuantize(t))
            return StoredMatrix::fromGgml(t, ggmlQuantizeRows(t, w.data(), rows, cols, nullptr, job),
                                          rows, cols);
        return StoredMatrix::fromFloats(w, rows, cols, t);
    }
    if (name == "rtn") {
        RtnParams p;
        p.bits = intParam(s, "bits");
        p.symmetric = paramBool(s.value("sym"));
        p.f16Scales = paramBool(s.value("f16_scales"));
        setGranularity(p, paramInt(s.value("group")));
        return StoredMatrix::fromQuantized(quantizeRtn(w.data(), rows, cols, p, job));
    }
    if (name == "gptq") {
        GptqParams p;
        p.bits = intParam(s, "bits");
        p.group = rowGroup(s);
        p.sym = paramBool(s.value("sym"));
        p.damp = paramFloat(s.value("damp"));
        p.actOrder = paramBool(s.value("act_order"));
        p.blockSize = intParam(s, "block_size");
        const std::vector<double> &h = requireHessian(in, name);
        if (keepMask)
            notes.push_back("gptq kept the pruning mask (pruned weights held at zero)");
        return StoredMatrix::fromQuantized(
            gptqQuantize(w.data(), rows, cols, h.data(), in.tokens, p, job, keepMask));
    }
    if (name == "awq") {
        const AwqParams p = awqParamsOf(s);
        const std::vector<double> &h = requireHessian(in, name);
        if (in.meanAbs.empty())
            throw Error("awq needs the mean |x| of this tensor's input channels");
        AwqResult r = awqQuantize(w.data(), rows, cols, in.meanAbs, h.data(), in.tokens, p, job);
        char buf[128];
        std::snprintf(buf, sizeof buf, "awq alpha %.3g: output error %.4g (plain rtn %.4g)",
                      r.alpha, r.outputError, r.plainRtnError);
        notes.emplace_back(buf);
        return StoredMatrix::fromQuantized(std::move(r.q), std::move(r.inputScales));
    }
    if (const auto t = ggmlMethodType(name)) {
        std::vector<float> importance;
        if (paramBool(s.value("imatrix"))) {
            const std::vector<double> &ms = requireMeanSquare(in, name + " with imatrix");
            importance.assign(ms.begin(), ms.end());
        }
        return StoredMatrix::fromGgml(
            *t,
            ggmlQuantizeRows(*t, w.data(), rows, cols,
                             importance.empty() ? nullptr : importance.data(), job),
            rows, cols);
    }
    QuantParams qp;
    if (name == "nf4") {
        Nf4Params p;
        p.blockSize = intParam(s, "block_size");
        p.doubleQuant = paramBool(s.value("double_quant"));
        p.dqBlockSize = intParam(s, "dq_block_size");
        qp = p;
    } else if (name == "fp8_e4m3" || name == "fp8_e5m2") {
        Fp8Params p;
        p.format = name == "fp8_e4m3" ? Fp8Format::E4M3 : Fp8Format::E5M2;
        p.granularity = paramText(s.value("granularity")) == "per-channel"
                            ? Granularity::PerChannel
                            : Granularity::PerTensor;
        qp = p;
    } else if (name == "mxfp4") {
        MxFp4Params p;
        p.scaleRule = paramText(s.value("scale_rule")) == "no_clip" ? MxScaleRule::NoClip
                                                                    : MxScaleRule::OcpFloor;
        qp = p;
    } else if (name == "nvfp4") {
        NvFp4Params p;
        p.globalAmax = static_cast<float>(paramFloat(s.value("global_amax")));
        qp = p;
    } else if (name == "ternary") {
        TernaryParams p;
        p.eps = static_cast<float>(paramFloat(s.value("eps")));
        p.packing = paramText(s.value("packing")) == "base3" ? TernaryPacking::Base3
                                                             : TernaryPacking::TwoBit;
        qp = p;
    } else {
        throw Error("unknown quantization method '" + name + "'");
    }
    return StoredMatrix::fromQuantized(cwb::quantize(w.data(), rows, cols, qp, job));
}

} // namespace cwb::stages
