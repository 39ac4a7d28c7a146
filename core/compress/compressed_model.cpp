// SPDX-License-Identifier: MIT
#include "compress/compressed_model.h"

#include "eval/low_rank_linear.h"
#include "eval/masked_linear.h"
#include "util/error.h"

#include <Eigen/Core>

namespace cwb {

uint64_t CompressedTensor::storedBytes() const
{
    uint64_t b = 0;
    for (const auto *m : {&weight, &factorA, &factorB})
        if (*m)
            b += (*m)->storedBytes();
    if (mask)
        b += mask->storedBytes;
    return b;
}

void CompressedTensor::check() const
{
    const std::string where = "tensor " + canonical;
    if (rows <= 0 || cols <= 0)
        throwIn(where, "has shape " + std::to_string(rows) + " x " + std::to_string(cols));
    if (weight) {
        if (factorA || factorB)
            throwIn(where, "holds both a matrix and low-rank factors");
        if (weight->rows != rows || weight->cols != cols)
            throwIn(where, "stores a " + std::to_string(weight->rows) + " x "
                               + std::to_string(weight->cols) + " matrix, expected "
                               + std::to_string(rows) + " x " + std::to_string(cols));
        weight->check(where + " weight");
    } else {
        if (!factorA || !factorB)
            throwIn(where, "has neither a matrix nor both low-rank factors");
        if (factorA->rows != rows || factorB->cols != cols || factorA->cols != factorB->rows)
            throwIn(where, "has factors " + std::to_string(factorA->rows) + " x "
                               + std::to_string(factorA->cols) + " and "
                               + std::to_string(factorB->rows) + " x "
                               + std::to_string(factorB->cols) + " for a " + std::to_string(rows)
                               + " x " + std::to_string(cols) + " matrix");
        factorA->check(where + " factor A");
        factorB->check(where + " factor B");
        if (mask)
            throwIn(where, "holds a pruning mask beside low-rank factors");
    }
    if (!foldedScales.empty() && (int64_t(foldedScales.size()) != cols || !weight))
        throwIn(where, "has " + std::to_string(foldedScales.size())
                           + " folded AWQ scales for " + std::to_string(cols) + " columns");
    if (mask && mask->bitmap.size() != (uint64_t(rows) * uint64_t(cols) + 7) / 8)
        throwIn(where, "mask holds " + std::to_string(mask->bitmap.size()) + " bytes, expected "
                           + std::to_string((uint64_t(rows) * uint64_t(cols) + 7) / 8));
}

std::shared_ptr<const LinearWeights> CompressedTensor::linear() const
{
    check();
    if (!weight)
        return std::make_shared<LowRankLinear>(factorA->linear(), factorB->linear());
    std::shared_ptr<const LinearWeights> lw = weight->linear();
    if (mask && mask->applyWhenDecoding)
        lw = std::make_shared<MaskedLinear>(lw, mask->bitmap, mask->storedBytes);
    return lw;
}

std::vector<float> CompressedTensor::reconstruct() const
{
    check();
    std::vector<float> w(size_t(rows * cols));
    reconstructRows(0, rows, w.data());
    return w;
}

void CompressedTensor::reconstructRows(int64_t firstRow, int64_t nRows, float *out) const
{
    check();
    if (firstRow < 0 || nRows < 0 || firstRow > rows - nRows)
        throwIn("tensor " + canonical, "rows [" + std::to_string(firstRow) + ", +"
                                           + std::to_string(nRows) + ") are outside its "
                                           + std::to_string(rows) + " rows");
    if (!weight) {
        using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
        std::vector<float> a(size_t(nRows * factorA->cols));
        factorA->dequantizeRows(firstRow, nRows, a.data());
        const std::vector<float> b = factorB->dequantize();
        Eigen::Map<RowMatrix>(out, nRows, cols).noalias() =
            Eigen::Map<const RowMatrix>(a.data(), nRows, factorA->cols)
            * Eigen::Map<const RowMatrix>(b.data(), factorB->rows, cols);
        return;
    }
    weight->dequantizeRows(firstRow, nRows, out);
    if (mask && mask->applyWhenDecoding)
        for (int64_t r = 0; r < nRows; ++r)
            for (int64_t c = 0; c < cols; ++c) {
                const uint64_t i = uint64_t(firstRow + r) * uint64_t(cols) + uint64_t(c);
                if (!((mask->bitmap[i / 8] >> (i % 8)) & 1u))
                    out[r * cols + c] = 0.0f;
            }
    if (!foldedScales.empty())
        for (int64_t r = 0; r < nRows; ++r)
            for (int64_t c = 0; c < cols; ++c)
                out[r * cols + c] /= foldedScales[size_t(c)];
}

const CompressedTensor *CompressedModel::find(const std::string &canonicalOrName) const
{
    for (const auto &t : tensors)
        if (t.canonical == canonicalOrName || t.name == canonicalOrName)
            return &t;
    return nullptr;
}

CompressedReplacements replacementsOf(const CompressedModel &m)
{
    CompressedReplacements r;
    for (const CompressedTensor &t : m.tensors) {
        if (t.shape.size() == 1)
            r.vectors[t.canonical] = std::make_shared<const std::vector<float>>(t.reconstruct());
        else
            r.matrices[t.canonical] = t.linear();
    }
    return r;
}

} // namespace cwb
