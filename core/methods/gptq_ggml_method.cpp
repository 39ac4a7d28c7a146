// SPDX-License-Identifier: MIT
// gptq_ggml: GPTQ's error-compensating codes on a ggml block type's own grid, scales by
// llama.cpp's search (compress/gptq_ggml.h). The stored form is the type's bytes, so the GGUF
// export writes them as they are; recipe tools without GPTQ onto ggml blocks get the nearest form.
#include "methods/gptq_ggml_method.h"

#include "methods/ggml_methods.h"
#include "methods/method_support.h"
#include "methods/recipe_forms.h"
#include "methods/stored_types.h"

#include "util/error.h"

namespace cwb {

namespace {

DType typeOf(const ParamReader &p, const std::string &method = "gptq_ggml")
{
    return ggmlTypeParam(p, method);
}

} // namespace

GptqGgmlParams gptqGgmlParamsOf(const ParamReader &p, const std::string &method)
{
    GptqGgmlParams g;
    g.type = typeOf(p, method);
    g.importance = p.flag("imatrix");
    g.damp = p.number("damp");
    g.actOrder = p.flag("act_order");
    g.blockSize = static_cast<int>(p.integer("block_size"));
    g.refit = p.flag("refit");
    return g;
}

MethodSpec gptqGgmlDescriptor(const std::string &name, std::vector<ParamSpec> extra,
                              std::string summary, const char *label)
{
    using namespace methoddetail;
    std::vector<ParamSpec> params = {
        choice("type", ggmlMethodNames(), "q4_k",
               "the ggml block type whose grid GPTQ rounds onto"),
        boolean("imatrix", true,
                "weight the block scale search by the inputs' mean squares (llama.cpp's imatrix)"),
        dampParam(),
        boolean("act_order", true,
                "columns in order of decreasing Hessian diagonal, block scales searched on the "
                "original weights before the loop (false: searched on entering each block)"),
        blockSizeParam(),
        boolean("refit", false,
                "after GPTQ, refit each row's block scales and mins by least squares to the "
                "original weights for the chosen codes (kept where they lower the error)")};
    for (ParamSpec &e : extra)
        params.push_back(std::move(e));
    MethodSpec m = quantizeMethod(name, std::move(params), std::move(summary));
    m.needsCalibration = true;
    m.needsHessian = true;
    m.storage = StorageKind::Ggml;
    m.rowMultiple = [](const ParamReader &p) { return dtypeInfo(typeOf(p)).blockElems; };
    m.storedSize = [](const ParamReader &p, const StoredShape &s) {
        return typeBytes(typeOf(p), s.rows, s.cols);
    };
    m.exactZeros = [](const ParamReader &p, DType) {
        return typeDecodesZeroExactly(typeOf(p));
    };
    m.label = [label](const ParamReader &p, const std::string &) {
        const std::string typeName(dtypeName(typeOf(p)));
        return MethodLabel{label, {{typeName, false}}};
    };
    m.exportForms = [](const ParamReader &p, DType) { return typeExportForms(typeOf(p)); };
    m.recipeForms = [](const ParamReader &p, DType) {
        const DType type = typeOf(p);
        const std::string typeName(dtypeName(type));
        const std::string why = "has no ggml " + typeName
                                + " blocks: the nearest integer grid, quantized by its own GPTQ";
        // llama-quantize writes the same type with the same scale search, but rounds each weight
        // on its own: same size, not the same codes.
        return ggmlGridRecipeForms(
            p, type, why, "GPTQModel's gptq format",
            "llama-quantize has no GPTQ: it rounds to the same " + typeName
                + " grid without error compensation (our GGUF export keeps the codes)");
    };
    return m;
}

MethodSpec gptqGgmlMethod()
{
    MethodSpec m = gptqGgmlDescriptor(
        "gptq_ggml", {},
        "GPTQ onto a ggml block type: llama.cpp's scales, error-compensating codes",
        CWB_TRANSLATE_NOOP("cwb::methods", "GPTQ onto %1"));
    m.quantize = [](const ParamReader &p, const QuantizeInput &in) {
        const GptqGgmlParams g = gptqGgmlParamsOf(p, "gptq_ggml");
        const std::vector<double> &h = methoddetail::requireHessian(*in.in, "gptq_ggml");
        if (in.keepMask)
            in.notes->push_back("gptq_ggml kept the pruning mask (pruned weights rounded to the "
                                "code nearest zero, their error compensated)");
        return gptqGgmlQuantize(in.w, in.rows, in.cols, h.data(), in.in->tokens, g, *in.job,
                                in.keepMask);
    };
    return m;
}

} // namespace cwb
