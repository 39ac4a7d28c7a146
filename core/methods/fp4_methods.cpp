// SPDX-License-Identifier: MIT
// mxfp4 (OCP MX: E2M1 codes, an E8M0 scale per 32 weights) and nvfp4 (E2M1 codes, an FP8 E4M3
// scale per 16 weights and a float32 tensor scale).
#include "compress/quant_methods.h"
#include "methods/method_support.h"
#include "methods/recipe_forms.h"

#include <vector>

namespace cwb {

namespace {

// E2M1 codes 4 bits a weight, one scale byte per `block` weights of a row, `tensorScale` bytes.
ByteEstimate fp4Bytes(const StoredShape &s, uint64_t block, uint64_t tensorScale)
{
    ByteEstimate e;
    e.codes = methoddetail::rowCodes(s.rows, s.cols, 4);
    e.scales = s.rows * methoddetail::ceilDiv(s.cols, block);
    e.extra = tensorScale;
    return e;
}

MethodSpec mxfp4Method()
{
    using namespace methoddetail;
    MethodSpec m = quantizeMethod(
        "mxfp4",
        {choice("scale_rule", {"ocp_floor", "no_clip"}, "ocp_floor",
                "ocp_floor: the OCP MX v1.0 scale (large values clip); no_clip: the smallest "
                "power of two that does not clip")},
        "OCP MX: E2M1 codes, one E8M0 scale per 32 weights");
    m.storage = StorageKind::Quantized;
    m.quantizedForm = MxFp4Params{};
    m.rowMultiple = [](const ParamReader &) { return int64_t{32}; };
    m.storedSize = [](const ParamReader &, const StoredShape &s) { return fp4Bytes(s, 32, 0); };
    m.exactZeros = [](const ParamReader &, DType) { return true; };
    m.label = [](const ParamReader &, const std::string &) {
        return plainLabel(CWB_TRANSLATE_NOOP("cwb::methods", "MXFP4: E2M1 + E8M0 scale / 32"));
    };
    m.exportForms = [](const ParamReader &, DType) {
        ExportForms f;
        // ggml's MXFP4 block: one E8M0 byte and 16 bytes of E2M1 nibbles per 32 weights, decoded
        // as the same E2M1 value times 2^(e - 127).
        f.gguf = "MXFP4";
        f.note = "GGUF MXFP4 puts weights j and j + 16 of a block in byte j: the export repacks "
                 "the nibbles; compressed-tensors has no MX form";
        return f;
    };
    m.recipeForms = [](const ParamReader &, DType) {
        return unsupportedRecipeForms(
            "the config groups written here hold int and float8 grids; compressed-tensors' MX "
            "form needs its preset scheme (MXFP4A16), which a config group does not carry",
            "GPTQModel has no MXFP4",
            "llama-quantize c392e509 has no MXFP4 type (later versions use it for MoE experts)");
    };
    m.quantize = [](const ParamReader &p, const QuantizeInput &in) {
        MxFp4Params x;
        x.scaleRule = p.text("scale_rule") == "no_clip" ? MxScaleRule::NoClip
                                                        : MxScaleRule::OcpFloor;
        return StoredMatrix::fromQuantized(quantize(in.w, in.rows, in.cols, x, *in.job));
    };
    return m;
}

MethodSpec nvfp4Method()
{
    using namespace methoddetail;
    MethodSpec m = quantizeMethod(
        "nvfp4",
        {floatRange("global_amax", 0.0, 3.4e38, 0.0,
                    "amax behind the float32 tensor scale; 0 = the tensor's own (share one "
                    "between tensors an engine fuses)")},
        "E2M1 codes, one FP8 E4M3 scale per 16 weights, one float32 tensor scale");
    m.storage = StorageKind::Quantized;
    m.quantizedForm = NvFp4Params{};
    m.rowMultiple = [](const ParamReader &) { return int64_t{16}; };
    m.storedSize = [](const ParamReader &, const StoredShape &s) { return fp4Bytes(s, 16, 4); };
    m.exactZeros = [](const ParamReader &, DType) { return true; };
    m.label = [](const ParamReader &, const std::string &) {
        return plainLabel(CWB_TRANSLATE_NOOP("cwb::methods", "NVFP4: E2M1 + E4M3 scale / 16"));
    };
    m.exportForms = [](const ParamReader &, DType) {
        ExportForms f;
        f.note = "compressed-tensors' nvfp4-pack-quantized stores the reciprocal global scale and "
                 "divides by it, which is not bitwise our product with the tensor scale; GGUF "
                 "has no NVFP4 type";
        return f;
    };
    m.recipeForms = [](const ParamReader &, DType) {
        return unsupportedRecipeForms(
            "the config groups written here hold int and float8 grids; compressed-tensors' "
            "NVFP4 needs its preset scheme (NVFP4A16, which also shares the global scale across "
            "q/k/v and gate/up)",
            "GPTQModel has no NVFP4", "ggml has no NVFP4 type");
    };
    m.quantize = [](const ParamReader &p, const QuantizeInput &in) {
        NvFp4Params x;
        x.globalAmax = static_cast<float>(p.number("global_amax"));
        return StoredMatrix::fromQuantized(quantize(in.w, in.rows, in.cols, x, *in.job));
    };
    return m;
}

} // namespace

std::vector<MethodSpec> fp4Methods()
{
    return {mxfp4Method(), nvfp4Method()};
}

} // namespace cwb
