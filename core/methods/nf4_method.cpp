// SPDX-License-Identifier: MIT
// nf4: QLoRA's 4-bit NormalFloat with a float32 absmax per block, optionally double-quantized.
#include "compress/quant_methods.h"
#include "methods/method_support.h"
#include "methods/recipe_forms.h"

namespace cwb {

namespace {

// nf4 blocks: powers of two, as bitsandbytes allows.
const std::vector<int64_t> kNf4Blocks = {64, 128, 256, 512, 1024, 2048, 4096};

Nf4Params nf4Of(const ParamReader &p)
{
    Nf4Params n;
    n.blockSize = static_cast<int>(p.integer("block_size"));
    n.doubleQuant = p.flag("double_quant");
    n.dqBlockSize = static_cast<int>(p.integer("dq_block_size"));
    return n;
}

} // namespace

MethodSpec nf4Method()
{
    using namespace methoddetail;
    MethodSpec m = quantizeMethod(
        "nf4",
        {intSet("block_size", kNf4Blocks, 64, "weights of a row per absmax"),
         boolean("double_quant", false, "quantize the absmax values to 8 bits (QLoRA)"),
         intSet("dq_block_size", kNf4Blocks, 256,
                "absmax values per second-level scale (double_quant)")},
        "4-bit NormalFloat, a float32 absmax per block");
    m.storage = StorageKind::Quantized;
    m.quantizedForm = Nf4Params{};
    m.rowMultipleParam = "block_size";
    m.rowMultiple = [](const ParamReader &p) { return p.integer("block_size"); };
    // Codes 4 bits a weight; B absmax values of 4 bytes, or with double quantization B bytes,
    // a float32 absmax per dq_block_size of them and the float32 mean subtracted.
    m.storedSize = [](const ParamReader &p, const StoredShape &s) {
        ByteEstimate e;
        e.codes = rowCodes(s.rows, s.cols, 4);
        const uint64_t blocks =
            ceilDiv(s.rows * s.cols, static_cast<uint64_t>(p.integer("block_size")));
        if (p.flag("double_quant"))
            e.scales = blocks
                       + 4 * ceilDiv(blocks, static_cast<uint64_t>(p.integer("dq_block_size")))
                       + 4;
        else
            e.scales = 4 * blocks;
        return e;
    };
    m.exactZeros = [](const ParamReader &, DType) { return true; }; // level 7 is 0
    m.label = [](const ParamReader &p, const std::string &) {
        return MethodLabel{p.flag("double_quant")
                               ? CWB_TRANSLATE_NOOP("cwb::methods", "NF4 b%1 + 8-bit absmax")
                               : CWB_TRANSLATE_NOOP("cwb::methods", "NF4 b%1 + f32 absmax"),
                           {{std::to_string(p.integer("block_size")), false}}};
    };
    m.exportForms = [](const ParamReader &, DType) {
        ExportForms f;
        f.note = "bitsandbytes' NF4 layout; neither GGUF nor compressed-tensors has it";
        return f;
    };
    m.recipeForms = [](const ParamReader &p, DType) {
        // NF4's levels are symmetric around 0 and scaled by the block's absmax.
        const ToolGrid nearest{4, p.integer("block_size"), true};
        const std::string why = " has no NF4 codebook: the nearest integer grid (int4, one "
                                "symmetric scale per block), quantized with its own algorithm";
        return unsupportedRecipeForms("compressed-tensors" + why, "GPTQModel's gptq format" + why,
                                      "ggml has no NF4 type", nearest);
    };
    m.quantize = [](const ParamReader &p, const QuantizeInput &in) {
        return StoredMatrix::fromQuantized(quantize(in.w, in.rows, in.cols, nf4Of(p), *in.job));
    };
    return m;
}

} // namespace cwb
