// SPDX-License-Identifier: MIT
#include "export/compressed_tensors_decode.h"

#include "util/error.h"

#include <cstring>

namespace cwb {
namespace {

struct Reader {
    const Model &file;
    const std::string &module;
    const std::string &source;

    const Tensor &get(const std::string &suffix) const
    {
        const Tensor *t = file.findTensor(module + "." + suffix);
        if (!t)
            throwIn(source, "tensor " + module + "." + suffix + " is missing");
        return *t;
    }
    [[noreturn]] void fail(const Tensor &t, const std::string &what) const
    {
        throwIn(source, "tensor " + t.name + " (" + t.typeLabel() + " " + t.shapeString()
                            + "): " + what);
    }
    void expect(const Tensor &t, DType type, const std::vector<int64_t> &shape,
                const char *what) const
    {
        if (t.dtype != type || t.shape != shape) {
            std::string s;
            for (int64_t d : shape)
                s += (s.empty() ? "" : " x ") + std::to_string(d);
            fail(t, std::string("expected ") + std::string(dtypeName(type)) + " " + s + " ("
                        + what + ")");
        }
    }
};

template <typename T>
std::vector<T> raw(const Tensor &t)
{
    const std::vector<std::byte> bytes = t.copyBytes();
    std::vector<T> out(bytes.size() / sizeof(T));
    std::memcpy(out.data(), bytes.data(), out.size() * sizeof(T));
    return out;
}

// {out, in} from P.weight_shape (int64, or int32 as older writers declare it).
std::vector<int64_t> weightShape(const Reader &r)
{
    const Tensor &t = r.get("weight_shape");
    if (t.shape != std::vector<int64_t>{2} || (t.dtype != DType::I64 && t.dtype != DType::I32))
        r.fail(t, "expected I64 [2] {out, in}");
    std::vector<int64_t> shape;
    if (t.dtype == DType::I64)
        shape = raw<int64_t>(t);
    else
        for (int32_t v : raw<int32_t>(t))
            shape.push_back(v);
    if (shape[0] <= 0 || shape[1] <= 0)
        r.fail(t, "holds a non-positive dimension");
    return shape;
}

// Scale entries per row and the scale tensor as floats, checked against the strategy.
std::vector<float> scales(const Reader &r, const CtScheme &s, int64_t out, int64_t in,
                          int64_t &perRow)
{
    const Tensor &t = r.get("weight_scale");
    if (t.dtype != DType::F32 && t.dtype != DType::F16 && t.dtype != DType::BF16)
        r.fail(t, "a scale must be F32, F16 or BF16");
    std::vector<int64_t> want;
    if (s.strategy == "group") {
        if (s.groupSize <= 0 || in % s.groupSize != 0)
            r.fail(t, "group_size " + std::to_string(s.groupSize) + " does not divide "
                          + std::to_string(in) + " columns");
        perRow = in / s.groupSize;
        want = {out, perRow};
    } else if (s.strategy == "channel") {
        perRow = 1;
        want = {out, 1};
    } else if (s.strategy == "tensor") {
        perRow = 0;
        want = {1};
    } else {
        r.fail(t, "strategy '" + s.strategy + "' is not decoded");
    }
    if (t.shape != want)
        r.fail(t, "the shape does not fit strategy " + s.strategy);
    return t.toFloat();
}

CtDecodedWeight packQuantized(const Reader &r, const CtScheme &s)
{
    if (s.type != "int" || s.numBits < 1 || s.numBits > 8)
        throwIn(r.source, r.module + ": pack-quantized needs int weights of 1..8 bits");
    CtDecodedWeight d;
    d.shape = weightShape(r);
    const int64_t out = d.shape[0], in = d.shape[1];
    const int bits = s.numBits;
    const Tensor &packed = r.get("weight_packed");
    r.expect(packed, DType::I32, {out, packedWords(in, bits)}, "weight_packed");
    const std::vector<uint8_t> u = unpackAlongRows(raw<int32_t>(packed), out, in, bits);
    int64_t perRow = 0;
    const std::vector<float> scale = scales(r, s, out, in, perRow);
    const int half = 1 << (bits - 1);
    std::vector<uint8_t> zu;
    const bool zeroPoints = !s.symmetric && perRow > 0;
    if (zeroPoints) {
        const Tensor &zp = r.get("weight_zero_point");
        r.expect(zp, DType::I32, {packedWords(out, bits), perRow}, "weight_zero_point");
        zu = unpackAlongColumns(raw<int32_t>(zp), out, perRow, bits);
    } else if (!s.symmetric) {
        throwIn(r.source, r.module + ": an asymmetric per-tensor grid is not decoded");
    }
    d.values.resize(size_t(out * in));
    for (int64_t row = 0; row < out; ++row)
        for (int64_t c = 0; c < in; ++c) {
            const int64_t g = perRow == 0 ? 0 : row * perRow + c * perRow / in;
            const int q = int(u[size_t(row * in + c)]) - half;
            const int z = zeroPoints ? int(zu[size_t(g)]) - half : 0;
            d.values[size_t(row * in + c)] = float(q - z) * scale[size_t(g)];
        }
    return d;
}

CtDecodedWeight floatQuantized(const Reader &r, const CtScheme &s)
{
    if (s.type != "float" || s.numBits != 8)
        throwIn(r.source, r.module + ": float-quantized is decoded for fp8 (8-bit float) only");
    const Tensor &w = r.get("weight");
    if (w.dtype != DType::F8_E4M3 || w.shape.size() != 2)
        r.fail(w, "expected F8_E4M3 [out, in]");
    CtDecodedWeight d;
    d.shape = w.shape;
    const int64_t out = d.shape[0], in = d.shape[1];
    int64_t perRow = 0;
    const std::vector<float> scale = scales(r, s, out, in, perRow);
    d.values = w.toFloat();
    for (int64_t row = 0; row < out; ++row)
        for (int64_t c = 0; c < in; ++c)
            d.values[size_t(row * in + c)] *= scale[size_t(perRow == 0 ? 0 : row)];
    return d;
}

} // namespace

CtDecodedWeight decodeCtWeight(const Model &file, const std::string &module,
                               const CtScheme *scheme, const std::string &source)
{
    const Reader r{file, module, source};
    if (!scheme) {
        const Tensor &w = r.get("weight");
        if (!w.decodable() || w.shape.size() != 2)
            r.fail(w, "expected a float matrix");
        return {w.shape, w.toFloat()};
    }
    if (scheme->format == "pack-quantized")
        return packQuantized(r, *scheme);
    if (scheme->format == "float-quantized")
        return floatQuantized(r, *scheme);
    throwIn(source, module + ": format '" + scheme->format + "' is not decoded");
}

std::vector<std::string> ctTensorNames(const std::string &module, const CtScheme *scheme)
{
    if (!scheme || scheme->format == "float-quantized")
        return scheme ? std::vector<std::string>{module + ".weight", module + ".weight_scale"}
                      : std::vector<std::string>{module + ".weight"};
    std::vector<std::string> names{module + ".weight_packed", module + ".weight_scale",
                                   module + ".weight_shape"};
    if (!scheme->symmetric && scheme->strategy != "tensor")
        names.push_back(module + ".weight_zero_point");
    return names;
}

} // namespace cwb
