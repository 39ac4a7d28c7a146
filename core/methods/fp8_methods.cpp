// SPDX-License-Identifier: MIT
// fp8_e4m3 and fp8_e5m2: 8-bit float codes with a float32 scale per tensor or per row.
#include "compress/quant_methods.h"
#include "methods/method_support.h"
#include "methods/recipe_forms.h"

#include <vector>

namespace cwb {

namespace {

MethodSpec fp8Method(const char *name, Fp8Format format)
{
    using namespace methoddetail;
    MethodSpec m = quantizeMethod(name,
                                  {choice("granularity", {"per-tensor", "per-channel"},
                                          "per-tensor", "one float32 scale per tensor or per row")},
                                  "8-bit float codes");
    Fp8Params form;
    form.format = format;
    m.storage = StorageKind::Quantized;
    m.quantizedForm = form;
    m.rowMultiple = [](const ParamReader &) { return int64_t{1}; };
    m.storedSize = [](const ParamReader &p, const StoredShape &s) {
        ByteEstimate e;
        e.codes = s.rows * s.cols;
        e.scales = p.text("granularity") == "per-channel" ? 4 * s.rows : 4;
        return e;
    };
    m.exactZeros = [](const ParamReader &, DType) { return true; };
    const std::string variant = format == Fp8Format::E4M3 ? "E4M3" : "E5M2";
    m.label = [variant](const ParamReader &p, const std::string &) {
        return MethodLabel{p.text("granularity") == "per-channel"
                               ? CWB_TRANSLATE_NOOP("cwb::methods", "FP8 %1 + f32 scale per row")
                               : CWB_TRANSLATE_NOOP("cwb::methods",
                                                    "FP8 %1 + f32 scale per tensor"),
                           {{variant, false}}};
    };
    m.exportForms = [format](const ParamReader &, DType) {
        ExportForms f;
        if (format == Fp8Format::E4M3) {
            // compressed-tensors' float-quantized: e4m3 codes times a float32 scale per tensor
            // or per channel, decoded exactly as here.
            f.compressedTensors = "float-quantized";
            f.note = "GGUF has no fp8 type";
        } else {
            f.note = "GGUF has no fp8 type; compressed-tensors stores e4m3 only";
        }
        return f;
    };
    m.recipeForms = [format](const ParamReader &p, DType) {
        const std::string notGptqModel =
            "GPTQModel quantizes to fp8 only as a whole model (quant_method fp8)";
        if (format != Fp8Format::E4M3)
            return unsupportedRecipeForms("compressed-tensors' float weights are e4m3 only",
                                          notGptqModel + ", e4m3 only", "ggml has no fp8 type");
        RecipeForms f = unsupportedRecipeForms("", notGptqModel, "ggml has no fp8 type");
        // compressed-tensors' float8 weights: e4m3 codes, absmax / 448 per tensor or channel.
        f.llmCompressor.algorithm = "QuantizationModifier";
        f.llmCompressor.args = {
            {"num_bits", int64_t{8}},
            {"type", std::string("float")},
            {"symmetric", true},
            {"strategy",
             std::string(p.text("granularity") == "per-channel" ? "channel" : "tensor")}};
        f.llmCompressor.exact = true;
        return f;
    };
    m.quantize = [format](const ParamReader &p, const QuantizeInput &in) {
        Fp8Params f;
        f.format = format;
        f.granularity = p.text("granularity") == "per-channel" ? Granularity::PerChannel
                                                                : Granularity::PerTensor;
        return StoredMatrix::fromQuantized(quantize(in.w, in.rows, in.cols, f, *in.job));
    };
    return m;
}

} // namespace

std::vector<MethodSpec> fp8Methods()
{
    return {fp8Method("fp8_e4m3", Fp8Format::E4M3), fp8Method("fp8_e5m2", Fp8Format::E5M2)};
}

} // namespace cwb
