// SPDX-License-Identifier: MIT
// awq_ggml: AWQ's activation-aware per-input-channel scales, then a ggml block type's own grid
// (compress/awq.h with AwqParams::ggml): llama.cpp's scale search on W diag(s), weighted by the
// scaled inputs' mean squares. Where the scales fold into the preceding norm (q/k/v, gate/up:
// pipeline/awq_fold.h) the projections are the type's plain bytes, which the GGUF export writes as
// they are; elsewhere (attn.o, mlp.down) s stays an explicit multiplier that GGUF cannot store.
#include "methods/awq_ggml_method.h"

#include "methods/ggml_methods.h"
#include "methods/method_support.h"
#include "methods/recipe_forms.h"
#include "methods/stored_types.h"
#include "util/error.h"

#include <cstdio>

namespace cwb {

namespace {

constexpr const char *kName = "awq_ggml";

DType typeOf(const ParamReader &p)
{
    return ggmlTypeParam(p, kName);
}

} // namespace

AwqParams awqGgmlParamsOf(const ParamReader &p)
{
    AwqParams a;
    a.ggml = typeOf(p);
    a.importance = p.flag("imatrix");
    a.alphaGrid = static_cast<int>(p.integer("alpha_grid"));
    a.gptq = p.flag("gptq");
    return a;
}

MethodSpec awqGgmlMethod()
{
    using namespace methoddetail;
    MethodSpec m = quantizeMethod(
        kName,
        {choice("type", ggmlMethodNames(), "q4_k",
                "the ggml block type whose grid the scaled weights are quantized onto"),
         boolean("imatrix", true,
                 "weight the block scale search by the scaled inputs' mean squares "
                 "(llama.cpp's imatrix of x / s)"),
         intRange("alpha_grid", 1, 100, 20,
                  "points of the search over the activation scale exponent"),
         boolean("gptq", false,
                 "the chosen scales' codes by GPTQ onto the grid (gptq_ggml's defaults) "
                 "instead of plain rounding")},
        "AWQ onto a ggml block type: activation-aware scales, then llama.cpp's grid");
    m.needsCalibration = true;
    m.needsHessian = true;
    m.awqFold = awqGgmlParamsOf;
    m.storage = StorageKind::Ggml;
    m.rowMultiple = [](const ParamReader &p) { return dtypeInfo(typeOf(p)).blockElems; };
    m.storedSize = [](const ParamReader &p, const StoredShape &s) {
        ByteEstimate e = typeBytes(typeOf(p), s.rows, s.cols);
        e.extra += 4 * s.cols; // s: one float32 per input channel (none once folded)
        return e;
    };
    m.exactZeros = [](const ParamReader &p, DType) {
        return typeDecodesZeroExactly(typeOf(p));
    };
    m.label = [](const ParamReader &p, const std::string &) {
        return MethodLabel{CWB_TRANSLATE_NOOP("cwb::methods", "AWQ onto %1"),
                           {{std::string(dtypeName(typeOf(p))), false}}};
    };
    // Not exact in general: attn.o and mlp.down keep s as a multiplier. So the solver's GGUF
    // candidates leave it out; a plan can still choose it where it folds.
    m.exportForms = [](const ParamReader &p, DType) {
        ExportForms f;
        const std::string type(dtypeName(typeOf(p)));
        f.note = "the per-input-channel scales have no GGUF field; where they fold into a norm "
                 "(q/k/v, gate/up) the projections are plain "
                 + type + " blocks, exported as they are";
        return f;
    };
    m.recipeForms = [](const ParamReader &p, DType) {
        const DType type = typeOf(p);
        const std::string typeName(dtypeName(type));
        const std::string why = "has no ggml " + typeName
                                + " blocks or AWQ scales chosen per tensor: the nearest integer "
                                  "grid, without the activation-aware scales";
        return ggmlGridRecipeForms(
            p, type, why, "GPTQModel's formats",
            "llama-quantize has no AWQ scales: it quantizes the unscaled weights to the same "
                + typeName
                + " grid (our GGUF export keeps the scaled blocks where the scales fold into a "
                  "norm)");
    };
    m.quantize = [](const ParamReader &p, const QuantizeInput &in) {
        const AwqParams a = awqGgmlParamsOf(p);
        const std::vector<double> &h = requireHessian(*in.in, kName);
        if (in.in->meanAbs.empty())
            throwIn(kName, "needs the mean |x| of this tensor's input channels");
        AwqResult r = awqQuantize(in.w, in.rows, in.cols, in.in->meanAbs, h.data(), in.in->tokens,
                                  a, *in.job);
        char buf[160];
        std::snprintf(buf, sizeof buf, "awq_ggml alpha %.3g: output error %.4g (plain %s %.4g)",
                      r.alpha, r.outputError, std::string(dtypeName(*a.ggml)).c_str(), r.plainRtnError);
        in.notes->emplace_back(buf);
        return awqStoredMatrix(std::move(r), a, in.rows, in.cols);
    };
    return m;
}

} // namespace cwb
