// SPDX-License-Identifier: MIT
// The ggml block types as quantize methods, byte-exact with llama.cpp (formats/ggml_quantize.h),
// optionally weighting rounding errors by the calibration activations (llama.cpp's imatrix).
#include "methods/ggml_methods.h"

#include "methods/method_support.h"
#include "methods/recipe_forms.h"
#include "methods/stored_types.h"
#include "util/error.h"

#include <utility>
#include <vector>

namespace cwb {

namespace {

constexpr std::pair<std::string_view, DType> kGgmlMethods[] = {
    {"q4_0", DType::Q4_0}, {"q4_1", DType::Q4_1}, {"q5_0", DType::Q5_0}, {"q5_1", DType::Q5_1},
    {"q8_0", DType::Q8_0}, {"q2_k", DType::Q2_K}, {"q3_k", DType::Q3_K}, {"q4_k", DType::Q4_K},
    {"q5_k", DType::Q5_K}, {"q6_k", DType::Q6_K},
};

} // namespace

// The legacy types' groups of 32 (Q4_1 / Q5_1 with a minimum, so asymmetric), the k-quants'
// sub-blocks (Q2_K / Q4_K / Q5_K with sub-block minima: asymmetric; Q3_K / Q6_K: symmetric, 16
// weights each).
methoddetail::ToolGrid ggmlNearestToolGrid(DType t)
{
    switch (t) {
    case DType::Q4_0: return {4, 32, true};
    case DType::Q4_1: return {4, 32, false};
    case DType::Q5_0: return {5, 32, true};
    case DType::Q5_1: return {5, 32, false};
    case DType::Q8_0: return {8, 32, true};
    case DType::Q2_K: return {2, 16, false};
    case DType::Q3_K: return {3, 16, true};
    case DType::Q4_K: return {4, 32, false};
    case DType::Q5_K: return {5, 32, false};
    default: return {6, 16, true}; // Q6_K
    }
}

namespace {

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
    m.recipeForms = [typeName, type](const ParamReader &p, DType) {
        const std::string why = "has no ggml " + typeName + " blocks: the nearest integer grid, "
                                "quantized with its own algorithm";
        RecipeForms f = unsupportedRecipeForms("compressed-tensors " + why,
                                               "GPTQModel's gptq format " + why, "",
                                               ggmlNearestToolGrid(type));
        // llama-quantize runs the same quantizer (formats/ggml_quantize.h is byte-exact with it),
        // with the imatrix .dat when the plan weights by calibration activations.
        f.llamaCpp.algorithm = typeName;
        f.llamaCpp.args = {{"imatrix", p.flag("imatrix")}};
        f.llamaCpp.exact = true;
        return f;
    };
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

DType ggmlTypeParam(const ParamReader &p, std::string_view method)
{
    const std::string &name = p.text("type");
    const std::optional<DType> t = ggmlMethodType(name);
    if (!t)
        throwIn(method, "type \"" + name + "\" is not a ggml block type");
    return *t;
}

RecipeForms ggmlGridRecipeForms(const ParamReader &p, DType type, const std::string &why,
                                const std::string &gptqModelFormat, std::string llamaNote)
{
    RecipeForms f = unsupportedRecipeForms("compressed-tensors " + why,
                                           gptqModelFormat + " " + why, "",
                                           ggmlNearestToolGrid(type));
    f.llamaCpp.algorithm = p.text("type");
    f.llamaCpp.args = {{"imatrix", p.flag("imatrix")}};
    f.llamaCpp.exact = false;
    f.llamaCpp.note = std::move(llamaNote);
    return f;
}

std::vector<std::string> ggmlMethodNames()
{
    std::vector<std::string> out;
    for (const auto &entry : kGgmlMethods)
        out.emplace_back(entry.first);
    return out;
}

std::vector<MethodSpec> ggmlMethods()
{
    std::vector<MethodSpec> out;
    for (const auto &[name, type] : kGgmlMethods)
        out.push_back(ggmlMethod(name, type));
    return out;
}

} // namespace cwb
