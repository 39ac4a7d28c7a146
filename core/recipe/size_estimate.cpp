// SPDX-License-Identifier: MIT
#include "recipe/size_estimate.h"

#include <cmath>

namespace cwb {

namespace {

uint64_t ceilDiv(uint64_t a, uint64_t b)
{
    return b == 0 ? 0 : (a + b - 1) / b;
}

struct Matrix {
    uint64_t rows = 1, cols = 1;
    [[nodiscard]] uint64_t count() const { return rows * cols; }
};

struct Sparsity {
    bool active = false;
    double kept = 1.0; // fraction of values kept
    int m = 0;         // N:M group length; 0 = unstructured
};

// Bits per value of plain (non-block) stored types; 0 for block types and unknown ones.
int plainBits(DType t)
{
    const DTypeInfo &info = dtypeInfo(t);
    if (info.quantized || info.blockElems != 1 || t == DType::Unknown)
        return 0;
    return info.blockBytes * 8;
}

int ceilLog2(int m)
{
    int b = 0;
    while ((1 << b) < m)
        ++b;
    return b;
}

// Codes of `bits`-bit values, each row starting on a byte boundary; with pruning, the kept
// values plus a mask when that is smaller than the dense codes.
void elementwise(ByteEstimate &e, const Matrix &m, int bits, const Sparsity &sp)
{
    const uint64_t dense = m.rows * ceilDiv(m.cols * static_cast<uint64_t>(bits), 8);
    e.codes += dense;
    if (!sp.active)
        return;
    const auto kept = static_cast<uint64_t>(std::llround(static_cast<double>(m.count()) * sp.kept));
    const uint64_t codes = ceilDiv(kept * static_cast<uint64_t>(bits), 8);
    const uint64_t mask = sp.m > 0 ? ceilDiv(kept * static_cast<uint64_t>(ceilLog2(sp.m)), 8)
                                   : ceilDiv(m.count(), 8);
    if (codes + mask < dense) {
        e.codes -= dense - codes;
        e.masks += mask;
    } else {
        e.note = "pruned weights stored densely (smaller than kept codes + mask)";
    }
}

uint64_t scaleEntries(int64_t group, const Matrix &m)
{
    if (group == 0)
        return 1;
    if (group < 0)
        return m.rows;
    return m.rows * ceilDiv(m.cols, static_cast<uint64_t>(group));
}

// Adds the bytes of `m` stored by quantize method `q`. `floatType` is what "keep" stores (the
// tensor's type, or the factors' float type); `keptBytes` is the unfactorized tensor's stored
// size (0 for factors).
void addQuantized(ByteEstimate &e, const SlotPlan &q, const Matrix &m, DType floatType,
                  uint64_t keptBytes, const Sparsity &sp)
{
    const std::string &name = q.method;
    const bool blockFormat =
        !(name == "keep" || name == "f32" || name == "f16" || name == "bf16" || name == "rtn"
          || name == "gptq" || name == "awq" || name.starts_with("fp8_")
          || (name == "ternary" && paramText(q.value("packing")) == "two_bit"));
    Sparsity dense;
    if (sp.active && blockFormat)
        e.note = name + " stores pruned weights as zero values (no saving from sparsity)";
    const Sparsity &s = blockFormat ? dense : sp;
    if (name == "keep") {
        const int bits = plainBits(floatType);
        if (keptBytes > 0 && (!s.active || bits == 0))
            e.codes += keptBytes;
        else
            elementwise(e, m, bits > 0 ? bits : 16, s);
    } else if (name == "f32") {
        elementwise(e, m, 32, s);
    } else if (name == "f16" || name == "bf16") {
        elementwise(e, m, 16, s);
    } else if (name == "rtn" || name == "gptq" || name == "awq") {
        const int64_t bits = paramInt(q.value("bits"));
        const int64_t group = paramInt(q.value("group"));
        elementwise(e, m, static_cast<int>(bits), s);
        const uint64_t entries = scaleEntries(group, m);
        const bool f32Scales = name == "rtn" && !paramBool(q.value("f16_scales"));
        e.scales += entries * (f32Scales ? 4 : 2);
        if (!paramBool(q.value("sym")))
            e.zeros += ceilDiv(entries * static_cast<uint64_t>(bits), 8);
        if (name == "gptq" && paramBool(q.value("act_order")) && group > 0)
            e.extra += 4 * m.cols;
    } else if (name == "nf4") {
        e.codes += m.rows * ceilDiv(m.cols, 2);
        const uint64_t blocks =
            ceilDiv(m.count(), static_cast<uint64_t>(paramInt(q.value("block_size"))));
        if (paramBool(q.value("double_quant")))
            e.scales +=
                blocks
                + 4 * ceilDiv(blocks, static_cast<uint64_t>(paramInt(q.value("dq_block_size"))))
                + 4;
        else
            e.scales += 4 * blocks;
    } else if (name.starts_with("fp8_")) {
        elementwise(e, m, 8, s);
        e.scales += paramText(q.value("granularity")) == "per-channel" ? 4 * m.rows : 4;
    } else if (name == "mxfp4" || name == "nvfp4") {
        const bool mx = name == "mxfp4";
        e.codes += m.rows * ceilDiv(m.cols, 2);
        e.scales += m.rows * ceilDiv(m.cols, mx ? 32 : 16);
        e.extra += mx ? 0 : 4;
    } else if (name == "ternary") {
        if (paramText(q.value("packing")) == "two_bit")
            elementwise(e, m, 2, s);
        else
            e.codes += m.rows * ceilDiv(m.cols, 5);
        e.extra += 4;
    } else if (const auto t = ggmlMethodType(name)) {
        const DTypeInfo &info = dtypeInfo(*t);
        const uint64_t blocks = m.rows * ceilDiv(m.cols, static_cast<uint64_t>(info.blockElems));
        const uint64_t scaleBytes = blocks * static_cast<uint64_t>(ggmlScaleBytesPerBlock(*t));
        e.scales += scaleBytes;
        e.codes += blocks * static_cast<uint64_t>(info.blockBytes) - scaleBytes;
    }
}

} // namespace

std::optional<DType> ggmlMethodType(std::string_view method)
{
    static constexpr std::pair<std::string_view, DType> kTypes[] = {
        {"q4_0", DType::Q4_0}, {"q4_1", DType::Q4_1}, {"q5_0", DType::Q5_0},
        {"q5_1", DType::Q5_1}, {"q8_0", DType::Q8_0}, {"q2_k", DType::Q2_K},
        {"q3_k", DType::Q3_K}, {"q4_k", DType::Q4_K}, {"q5_k", DType::Q5_K},
        {"q6_k", DType::Q6_K},
    };
    for (const auto &[name, type] : kTypes)
        if (name == method)
            return type;
    return std::nullopt;
}

int ggmlScaleBytesPerBlock(DType t)
{
    // From ggml's block structs: legacy types hold d (+ m) as fp16; k-quants hold d (+ dmin)
    // plus their packed sub-block scales.
    switch (t) {
    case DType::Q4_0: return 2;          // d
    case DType::Q4_1: return 4;          // d, m
    case DType::Q5_0: return 2;          // d
    case DType::Q5_1: return 4;          // d, m
    case DType::Q8_0: return 2;          // d
    case DType::Q2_K: return 16 + 2 + 2; // scales[16], d, dmin
    case DType::Q3_K: return 12 + 2;     // scales[12], d
    case DType::Q4_K: return 2 + 2 + 12; // d, dmin, scales[12]
    case DType::Q5_K: return 2 + 2 + 12; // d, dmin, scales[12]
    case DType::Q6_K: return 16 + 2;     // scales[16], d
    default: return 0;
    }
}

int64_t quantRowMultiple(const SlotPlan &q)
{
    if (q.method == "rtn" || q.method == "gptq" || q.method == "awq") {
        const int64_t g = paramInt(q.value("group"));
        return g > 0 ? g : 1;
    }
    if (q.method == "nf4")
        return paramInt(q.value("block_size"));
    if (q.method == "mxfp4")
        return 32;
    if (q.method == "nvfp4")
        return 16;
    if (const auto t = ggmlMethodType(q.method))
        return dtypeInfo(*t).blockElems;
    return 1;
}

ByteEstimate estimateTensorBytes(const TensorPlan &plan)
{
    ByteEstimate e;
    Matrix m;
    if (!plan.shape.empty()) {
        m.cols = static_cast<uint64_t>(plan.shape.back());
        for (size_t i = 0; i + 1 < plan.shape.size(); ++i)
            m.rows *= static_cast<uint64_t>(plan.shape[i]);
    }
    const SlotPlan &prune = plan.slot(MethodSlot::Prune);
    const SlotPlan &lowrank = plan.slot(MethodSlot::LowRank);
    const SlotPlan &quant = plan.slot(MethodSlot::Quantize);

    Sparsity sp;
    if (prune.used()) {
        sp.active = true;
        const std::string &nm = paramText(prune.value("nm"));
        if (nm == "none") {
            sp.kept = 1.0 - paramFloat(prune.value("sparsity"));
        } else {
            const int n = nm[0] - '0';
            sp.m = nm[2] - '0';
            sp.kept = static_cast<double>(n) / sp.m;
        }
    }
    const int64_t rank = lowrank.used() ? paramInt(lowrank.value("rank")) : 0;
    if (lowrank.used() && rank > 0) {
        const DType factorType =
            plan.dtype == DType::F32 || plan.dtype == DType::BF16 ? plan.dtype : DType::F16;
        const auto r = static_cast<uint64_t>(rank);
        addQuantized(e, quant, Matrix{m.rows, r}, factorType, 0, Sparsity{});
        addQuantized(e, quant, Matrix{r, m.cols}, factorType, 0, Sparsity{});
        e.rank = rank;
        if (sp.active)
            e.note = "factors are dense: the pruning mask is not stored";
        return e;
    }
    addQuantized(e, quant, m, plan.dtype, plan.originalBytes, sp);
    if (lowrank.used())
        e.note = "rank comes from the spectrum (energy "
                 + formatParamValue(lowrank.value("energy"))
                 + ") at run time: counted without factorization";
    return e;
}

} // namespace cwb
