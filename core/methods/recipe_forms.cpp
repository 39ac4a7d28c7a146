// SPDX-License-Identifier: MIT
#include "methods/recipe_forms.h"

#include "formats/ggml_int_grid.h"

#include <array>
#include <charconv>

namespace cwb {

std::string toolValueText(const ToolValue &v)
{
    struct Text {
        std::string operator()(std::monostate) const { return "null"; }
        std::string operator()(bool b) const { return b ? "true" : "false"; }
        std::string operator()(int64_t i) const { return std::to_string(i); }
        std::string operator()(double d) const
        {
            // Shortest text that reads back as the same double: 0.01, not 0.0100000000000000002.
            std::array<char, 32> buf{};
            const auto r = std::to_chars(buf.data(), buf.data() + buf.size(), d);
            return std::string(buf.data(), r.ptr);
        }
        std::string operator()(const std::string &s) const { return s; }
    };
    return std::visit(Text{}, v);
}

namespace methoddetail {

std::vector<ToolArg> llmCompressorIntWeights(const ToolGrid &g)
{
    std::vector<ToolArg> w{{"num_bits", g.bits}, {"type", std::string("int")},
                           {"symmetric", g.symmetric}};
    if (g.group > 0) {
        w.push_back({"strategy", std::string("group")});
        w.push_back({"group_size", g.group});
    } else {
        w.push_back({"strategy", std::string(g.group < 0 ? "channel" : "tensor")});
    }
    return w;
}

std::vector<ToolArg> gptqModelGridArgs(const ToolGrid &g, bool descAct)
{
    return {{"bits", g.bits},
            {"group_size", g.group > 0 ? g.group : int64_t{-1}},
            {"sym", g.symmetric},
            {"desc_act", descAct}};
}

ToolForm noToolForm(std::string note)
{
    ToolForm f;
    f.note = std::move(note);
    return f;
}

RecipeForms intGridRecipeForms(const ParamReader &p, bool f16Scales, const std::string &method)
{
    const ToolGrid g{p.integer("bits"), p.integer("group"), p.flag("sym")};
    RecipeForms f;
    f.llmCompressor.algorithm = "QuantizationModifier";
    f.llmCompressor.args = llmCompressorIntWeights(g);
    f.llmCompressor.exact = true;

    f.gptqModel.algorithm = "rtn";
    f.gptqModel.args = gptqModelGridArgs(g, false);
    f.gptqModel.exact = g.group != 0;
    if (g.group == 0)
        f.gptqModel.note = "GPTQModel has no per-tensor scale: one scale per output channel "
                           "(group_size -1) instead";

    if (const auto t = ggmlBlockTypeOfIntGrid(g.bits, g.symmetric, g.group, f16Scales)) {
        const std::string type(dtypeName(*t));
        f.llamaCpp.algorithm = type;
        f.llamaCpp.note = "llama-quantize has no " + method + ": " + type
                        + " holds this grid (the GGUF export repacks our codes into it exactly), "
                          "but llama-quantize fills it with its own scales and rounding";
    } else if (const auto m =
                   ggmlMinimumBlockTypeOfIntGrid(g.bits, g.symmetric, g.group, f16Scales)) {
        const std::string type(dtypeName(*m));
        f.llamaCpp.algorithm = type;
        f.llamaCpp.note = "llama-quantize has no " + method + ": " + type
                        + " is the block nearest this grid (the GGUF export repacks it with the "
                          "minimum rounded to fp16), filled by llama-quantize's own rounding";
    } else {
        f.llamaCpp.note = "no ggml type holds this grid (symmetric 4-, 5- and 8-bit or asymmetric "
                          "4- and 5-bit codes in groups of 32 with fp16 scales: Q4_0, Q5_0, Q8_0, "
                          "Q4_1, Q5_1)";
    }
    return f;
}

RecipeForms unsupportedRecipeForms(const std::string &llmCompressorNote,
                                   const std::string &gptqModelNote,
                                   const std::string &llamaCppNote,
                                   const std::optional<ToolGrid> &nearest)
{
    RecipeForms f;
    f.llmCompressor = noToolForm(llmCompressorNote);
    f.gptqModel = noToolForm(gptqModelNote);
    f.llamaCpp = noToolForm(llamaCppNote);
    if (nearest) {
        f.llmCompressor.algorithm = "QuantizationModifier";
        f.llmCompressor.args = llmCompressorIntWeights(*nearest);
        f.gptqModel.args = gptqModelGridArgs(*nearest, false);
    }
    return f;
}

RecipeForms storedTypeRecipeForms(DType t, bool keep)
{
    RecipeForms f;
    const std::string unquantized =
        "the checkpoint keeps unquantized weights in its own dtype (the recipe has no setting "
        "for " + std::string(dtypeName(t)) + ")";
    f.llmCompressor = noToolForm(keep ? "" : unquantized);
    f.llmCompressor.exact = keep;
    f.gptqModel = noToolForm(keep ? "" : unquantized);
    f.gptqModel.exact = keep;
    const DTypeInfo &info = dtypeInfo(t);
    if (info.ggmlType >= 0) {
        f.llamaCpp.algorithm = std::string(info.name);
        // llama-quantize reads an F32 model: a kept ggml block tensor is quantized again from
        // it, not copied.
        f.llamaCpp.exact = !(keep && info.quantized);
        if (!f.llamaCpp.exact)
            f.llamaCpp.note = "llama-quantize quantizes " + f.llamaCpp.algorithm
                            + " again from the F32 model instead of copying the stored blocks";
    } else {
        f.llamaCpp.note = "GGUF has no type " + std::string(dtypeName(t));
    }
    return f;
}

} // namespace methoddetail

} // namespace cwb
