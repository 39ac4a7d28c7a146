// SPDX-License-Identifier: MIT
// The ggml block types as quantize methods, byte-exact with llama.cpp (formats/ggml_quantize.h),
// optionally weighting rounding errors by the calibration activations (llama.cpp's imatrix).
#include "methods/ggml_methods.h"

#include "methods/method_support.h"
#include "methods/stored_types.h"

#include <utility>
#include <vector>

namespace cwb {

namespace {

constexpr std::pair<std::string_view, DType> kGgmlMethods[] = {
    {"q4_0", DType::Q4_0}, {"q4_1", DType::Q4_1}, {"q5_0", DType::Q5_0}, {"q5_1", DType::Q5_1},
    {"q8_0", DType::Q8_0}, {"q2_k", DType::Q2_K}, {"q3_k", DType::Q3_K}, {"q4_k", DType::Q4_K},
    {"q5_k", DType::Q5_K}, {"q6_k", DType::Q6_K},
};

MethodSpec ggmlMethod(std::string_view name, DType type)
{
    using namespace methoddetail;
    MethodSpec m = quantizeMethod(
        std::string(name),
        {boolean("imatrix", false,
                 "weight rounding errors by calibration activations (llama.cpp's --imatrix)")},
        "ggml block type, llama.cpp's bytes");
    m.calibrationParam = "imatrix";
    m.storage = StorageKind::Ggml;
    const int64_t block = dtypeInfo(type).blockElems;
    m.rowMultiple = [block](const ParamReader &) { return block; };
    m.storedSize = [type](const ParamReader &, const StoredShape &s) {
        return typeBytes(type, s.rows, s.cols);
    };
    m.exactZeros = [type](const ParamReader &, DType) { return typeDecodesZeroExactly(type); };
    const std::string typeName(dtypeName(type));
    m.label = [typeName](const ParamReader &p, const std::string &) {
        if (!p.flag("imatrix"))
            return plainLabel(typeName);
        return MethodLabel{CWB_TRANSLATE_NOOP("cwb::methods", "%1 + imatrix"), {{typeName, false}}};
    };
    m.exportForms = [type](const ParamReader &, DType) { return typeExportForms(type); };
    const std::string method(name);
    m.quantize = [type, method](const ParamReader &p, const QuantizeInput &in) {
        std::vector<float> importance;
        if (p.flag("imatrix")) {
            const std::vector<double> &ms = requireMeanSquare(*in.in, method + " with imatrix");
            importance.assign(ms.begin(), ms.end());
        }
        return storeInType(type, in, importance.empty() ? nullptr : importance.data());
    };
    return m;
}

} // namespace

std::optional<DType> ggmlMethodType(std::string_view method)
{
    for (const auto &[name, type] : kGgmlMethods)
        if (name == method)
            return type;
    return std::nullopt;
}

std::vector<MethodSpec> ggmlMethods()
{
    std::vector<MethodSpec> out;
    for (const auto &[name, type] : kGgmlMethods)
        out.push_back(ggmlMethod(name, type));
    return out;
}

} // namespace cwb
