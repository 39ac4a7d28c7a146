// SPDX-License-Identifier: MIT
#include "export/compressed_tensors_pack.h"

#include "util/error.h"

#include <cstring>
#include <variant>

namespace cwb {
namespace {

std::vector<std::byte> bytesOf(const void *data, size_t n)
{
    std::vector<std::byte> out(n);
    std::memcpy(out.data(), data, n);
    return out;
}

// Row r of the result is row rowSources[r] of `in` (rows of `rowUnits` elements each).
template <typename T>
std::vector<T> reorderRows(const std::vector<T> &in, size_t rowUnits,
                           const std::vector<int64_t> &rowSources)
{
    if (rowSources.empty())
        return in;
    std::vector<T> out(in.size());
    for (size_t r = 0; r < rowSources.size(); ++r)
        std::memcpy(out.data() + r * rowUnits, in.data() + size_t(rowSources[r]) * rowUnits,
                    rowUnits * sizeof(T));
    return out;
}

io::SafetensorsTensor tensorOf(std::string name, DType type, std::vector<int64_t> shape,
                               const std::vector<std::byte> &bytes)
{
    return io::tensorFromBytes(std::move(name), type, std::move(shape), bytes);
}

} // namespace

std::optional<CtScheme> ctSchemeOf(const CompressedTensor &ct, std::string &whyNot)
{
    whyNot.clear();
    if (!ct.weight) {
        whyNot = "low-rank factors have no compressed-tensors form: their product is written";
        return std::nullopt;
    }
    const StoredMatrix &w = *ct.weight;
    if (!w.inputScales.empty()) {
        whyNot = "AWQ's explicit input multipliers have no compressed-tensors form (no "
                 "per-input-channel multiplier)";
        return std::nullopt;
    }
    if (ct.mask && ct.mask->applyWhenDecoding) {
        whyNot = "a grid that decodes pruned weights as non-zero needs its mask applied";
        return std::nullopt;
    }
    if (w.kind == StoredMatrix::Kind::Float)
        return std::nullopt;
    if (w.kind == StoredMatrix::Kind::Ggml) {
        whyNot = "ggml blocks (" + std::string(dtypeName(w.type))
               + ") have no compressed-tensors form";
        return std::nullopt;
    }
    const QuantizedTensor &q = w.quant;
    if (const auto *rtn = std::get_if<RtnParams>(&q.params)) {
        if (rtn->bits != 4 && rtn->bits != 8) {
            whyNot = "int" + std::to_string(rtn->bits) + " codes: vLLM's WNA16 kernels take 4 "
                     "and 8 bits (and compressed-tensors' packing of other widths differs "
                     "between its versions)";
            return std::nullopt;
        }
        if (rtn->granularity == Granularity::PerTensor) {
            whyNot = "one scale for the whole tensor: vLLM's WNA16 takes group or channel "
                     "scales";
            return std::nullopt;
        }
        CtScheme s;
        s.format = "pack-quantized";
        s.type = "int";
        s.numBits = rtn->bits;
        s.symmetric = rtn->symmetric;
        s.strategy = rtn->granularity == Granularity::Group ? "group" : "channel";
        s.groupSize = rtn->granularity == Granularity::Group ? rtn->groupSize : 0;
        return s;
    }
    if (const auto *fp8 = std::get_if<Fp8Params>(&q.params)) {
        if (fp8->format != Fp8Format::E4M3) {
            whyNot = "fp8 E5M2: compressed-tensors' float weights are E4M3 only";
            return std::nullopt;
        }
        CtScheme s;
        s.format = "float-quantized";
        s.type = "float";
        s.numBits = 8;
        s.symmetric = true;
        s.strategy = fp8->granularity == Granularity::PerChannel ? "channel" : "tensor";
        return s;
    }
    if (std::holds_alternative<Nf4Params>(q.params))
        whyNot = "nf4's 16 levels are not a uniform grid: compressed-tensors has no form for them";
    else if (std::holds_alternative<MxFp4Params>(q.params))
        whyNot = "mxfp4 (E8M0 group scales) is not written by this export";
    else if (std::holds_alternative<NvFp4Params>(q.params))
        whyNot = "nvfp4 (compressed-tensors' nvfp4-pack-quantized) is not written by this export";
    else
        whyNot = "ternary codes have no compressed-tensors form";
    return std::nullopt;
}

std::vector<io::SafetensorsTensor> packCtModule(const QuantizedTensor &q, const CtScheme &s,
                                                const std::string &module,
                                                const std::vector<int64_t> &rowSources)
{
    q.checkLayout();
    const int64_t rows = q.rows, cols = q.cols;
    if (!rowSources.empty() && int64_t(rowSources.size()) != rows)
        throw Error("compressed-tensors packing of " + module + ": a row order of "
                    + std::to_string(rowSources.size()) + " rows for " + std::to_string(rows));
    std::vector<io::SafetensorsTensor> out;
    // Scale entries per row: one (per channel), cols / groupSize (groups), or one for the
    // whole tensor.
    const int64_t perRow = q.groupSize == 0 ? 0 : cols / q.groupSize;
    const size_t scaleEntry = q.scaleType == ScaleType::F16 ? 2 : 4;
    if (q.scaleType != ScaleType::F16 && q.scaleType != ScaleType::F32)
        throw Error("compressed-tensors packing of " + module + ": scales are not F16 or F32");
    const DType scaleType = q.scaleType == ScaleType::F16 ? DType::F16 : DType::F32;
    const std::vector<std::byte> scales =
        perRow == 0 ? bytesOf(q.scales.data(), q.scales.size())
                    : reorderRows(bytesOf(q.scales.data(), q.scales.size()),
                                  size_t(perRow) * scaleEntry, rowSources);
    const std::vector<int64_t> scaleShape =
        perRow == 0 ? std::vector<int64_t>{1} : std::vector<int64_t>{rows, perRow};

    if (s.format == "float-quantized") {
        // One fp8 byte per weight, rows of `cols` bytes.
        const std::vector<std::byte> w =
            reorderRows(bytesOf(q.codes.data(), q.codes.size()), size_t(cols), rowSources);
        out.push_back(tensorOf(module + ".weight", DType::F8_E4M3, {rows, cols}, w));
        out.push_back(tensorOf(module + ".weight_scale", scaleType, scaleShape, scales));
        return out;
    }
    const int bits = s.numBits;
    std::vector<uint8_t> u(size_t(rows * cols));
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c)
            u[size_t(r * cols + c)] = uint8_t(q.codeAt(r, c));
    u = reorderRows(u, size_t(cols), rowSources);
    const std::vector<int32_t> packed = packAlongRows(u, rows, cols, bits);
    out.push_back(tensorOf(module + ".weight_packed", DType::I32,
                           {rows, packedWords(cols, bits)},
                           bytesOf(packed.data(), packed.size() * 4)));
    out.push_back(tensorOf(module + ".weight_scale", scaleType, scaleShape, scales));
    if (!s.symmetric) {
        if (perRow == 0)
            throw Error("compressed-tensors packing of " + module
                        + ": an asymmetric grid needs group or channel zero points");
        std::vector<uint8_t> z(size_t(rows * perRow));
        for (int64_t i = 0; i < rows * perRow; ++i)
            z[size_t(i)] = uint8_t(q.zeroAt(i));
        z = reorderRows(z, size_t(perRow), rowSources);
        const std::vector<int32_t> zp = packAlongColumns(z, rows, perRow, bits);
        out.push_back(tensorOf(module + ".weight_zero_point", DType::I32,
                               {packedWords(rows, bits), perRow},
                               bytesOf(zp.data(), zp.size() * 4)));
    }
    const int64_t shape[2] = {rows, cols};
    out.push_back(tensorOf(module + ".weight_shape", DType::I64, {2}, bytesOf(shape, 16)));
    return out;
}

} // namespace cwb
