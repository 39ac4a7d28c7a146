// SPDX-License-Identifier: MIT
// ternary: {-1, 0, +1} times the tensor's absmean (BitNet b1.58), two bits a weight or five
// weights a byte.
#include "compress/quant_methods.h"
#include "methods/method_support.h"
#include "methods/recipe_forms.h"

namespace cwb {

MethodSpec ternaryMethod()
{
    using namespace methoddetail;
    MethodSpec m = quantizeMethod(
        "ternary",
        {floatRange("eps", 0.0, 1.0, 1e-5, "added to the absmean scale", true),
         choice("packing", {"two_bit", "base3"}, "two_bit",
                "two_bit: 4 weights per byte; base3: 5 weights per byte")},
        "{-1, 0, +1} times the tensor's absmean (BitNet b1.58)");
    m.storage = StorageKind::Quantized;
    m.quantizedForm = TernaryParams{};
    m.rowMultiple = [](const ParamReader &) { return int64_t{1}; };
    m.storedSize = [](const ParamReader &p, const StoredShape &s) {
        ByteEstimate e;
        e.codes = p.text("packing") == "two_bit" ? rowCodes(s.rows, s.cols, 2)
                                                 : s.rows * ceilDiv(s.cols, 5);
        e.extra = 4; // the float32 absmean scale
        return e;
    };
    m.exactZeros = [](const ParamReader &, DType) { return true; };
    m.label = [](const ParamReader &p, const std::string &) {
        return plainLabel(p.text("packing") == "two_bit"
                              ? CWB_TRANSLATE_NOOP("cwb::methods", "ternary, 2 bits each")
                              : CWB_TRANSLATE_NOOP("cwb::methods", "ternary, 5 per byte"));
    };
    m.exportForms = [](const ParamReader &, DType) {
        ExportForms f;
        f.note = "GGUF's TQ1_0 / TQ2_0 hold an fp16 scale per 256 weights, not one float32 "
                 "scale per tensor";
        return f;
    };
    m.recipeForms = [](const ParamReader &, DType) {
        return unsupportedRecipeForms("compressed-tensors has no ternary grid",
                                      "GPTQModel has no ternary grid",
                                      "ggml's TQ1_0 / TQ2_0 hold an fp16 scale per 256 weights, "
                                      "not one scale per tensor");
    };
    m.quantize = [](const ParamReader &p, const QuantizeInput &in) {
        TernaryParams t;
        t.eps = static_cast<float>(p.number("eps"));
        t.packing = p.text("packing") == "base3" ? TernaryPacking::Base3 : TernaryPacking::TwoBit;
        return StoredMatrix::fromQuantized(quantize(in.w, in.rows, in.cols, t, *in.job));
    };
    return m;
}

} // namespace cwb
