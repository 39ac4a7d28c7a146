// SPDX-License-Identifier: MIT
#include "analysis/input_recorder.h"

#include "util/error.h"

#include <Eigen/Core>

namespace cwb::analysis {
namespace {

using RowMatrixF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowMatrixD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// The matching rows of `original` for a site of `prefix`, and the accumulator, checked.
struct Pair {
    const InputRecorder::Rows *x = nullptr;  // original
    const InputRecorder::Rows *xt = nullptr; // compressed prefix
    ActivationHessian *sum = nullptr;
    int64_t rows = 0;
};

template <class Body>
void forEachPair(const InputRecorder &original, const InputRecorder &prefix,
                 std::map<std::string, std::shared_ptr<ActivationHessian>> &into, Body &&body)
{
    for (const auto &[name, xt] : prefix.sites()) {
        const auto it = original.sites().find(name);
        if (it == original.sites().end())
            throwIn("cross moments", "the original model gave no inputs for " + name);
        const InputRecorder::Rows &x = it->second;
        if (x.inFeatures != xt.inFeatures || x.values.size() != xt.values.size())
            throwIn("cross moments", name + ": the original model gave "
                                         + std::to_string(x.values.size()) + " values of width "
                                         + std::to_string(x.inFeatures) + ", the compressed one "
                                         + std::to_string(xt.values.size()) + " of width "
                                         + std::to_string(xt.inFeatures));
        std::shared_ptr<ActivationHessian> &acc = into[name];
        if (!acc) {
            acc = std::make_shared<ActivationHessian>();
            acc->inFeatures = x.inFeatures;
            acc->sum.assign(size_t(x.inFeatures * x.inFeatures), 0.0);
        }
        Pair p{&x, &xt, acc.get(),
               x.inFeatures > 0 ? int64_t(x.values.size()) / x.inFeatures : 0};
        body(p);
        acc->tokens += p.rows;
    }
}

} // namespace

void InputRecorder::observe(const LinearInputSite &site, const float *x, int64_t nRows)
{
    if (!sites_.empty() && !sites_.contains(site.name))
        return;
    if (next_)
        next_->observe(site, x, nRows);
    if (!recording_)
        return;
    Rows &r = rows_[site.name];
    r.inFeatures = site.inFeatures;
    r.values.insert(r.values.end(), x, x + nRows * site.inFeatures);
}

void accumulateCross(const InputRecorder &original, const InputRecorder &prefix,
                     std::map<std::string, std::shared_ptr<ActivationHessian>> &into)
{
    forEachPair(original, prefix, into, [](const Pair &p) {
        const int64_t n = p.x->inFeatures;
        const RowMatrixD X =
            Eigen::Map<const RowMatrixF>(p.x->values.data(), p.rows, n).cast<double>();
        const RowMatrixD Xt =
            Eigen::Map<const RowMatrixF>(p.xt->values.data(), p.rows, n).cast<double>();
        Eigen::Map<RowMatrixD>(p.sum->sum.data(), n, n).noalias() += X.transpose() * Xt;
    });
}

void accumulateCrossReference(const InputRecorder &original, const InputRecorder &prefix,
                              std::map<std::string, std::shared_ptr<ActivationHessian>> &into)
{
    forEachPair(original, prefix, into, [](const Pair &p) {
        const int64_t n = p.x->inFeatures;
        for (int64_t r = 0; r < p.rows; ++r)
            for (int64_t i = 0; i < n; ++i)
                for (int64_t j = 0; j < n; ++j)
                    p.sum->sum[size_t(i * n + j)] += double(p.x->values[size_t(r * n + i)])
                                                     * double(p.xt->values[size_t(r * n + j)]);
    });
}

} // namespace cwb::analysis
