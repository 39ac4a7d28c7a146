// SPDX-License-Identifier: MIT
#include "methods/int_grid.h"

#include "formats/ggml_int_grid.h"
#include "methods/method_support.h"
#include "methods/recipe_forms.h"
#include "util/error.h"

namespace cwb {

namespace methoddetail {

namespace {

uint64_t scaleEntries(int64_t group, const StoredShape &s)
{
    if (group == 0)
        return 1;
    if (group < 0)
        return s.rows;
    return s.rows * ceilDiv(s.cols, static_cast<uint64_t>(group));
}

bool f16ScalesOf(const ParamReader &p, bool hasParam)
{
    return !hasParam || p.flag("f16_scales");
}

} // namespace

RtnParams intGridOf(const ParamReader &p, bool f16Scales)
{
    RtnParams r;
    r.bits = static_cast<int>(p.integer("bits"));
    r.symmetric = p.flag("sym");
    r.f16Scales = f16Scales;
    const int64_t group = p.integer("group");
    if (group < 0) {
        r.granularity = Granularity::PerChannel;
    } else if (group == 0) {
        r.granularity = Granularity::PerTensor;
    } else {
        r.granularity = Granularity::Group;
        r.groupSize = static_cast<int>(group);
    }
    return r;
}

int rowGroupOf(const ParamReader &p, const std::string &method)
{
    const int64_t g = p.integer("group");
    if (g == 0)
        throw Error(method + ": group 0 (one scale per tensor) is not supported; use -1 (one "
                             "per row) or a group size");
    return g < 0 ? 0 : static_cast<int>(g);
}

std::optional<ParamProblem> perTensorGroupProblem(const ParamReader &p)
{
    if (p.integer("group") != 0)
        return std::nullopt;
    return ParamProblem{"group", "group 0 (one scale per tensor) is not supported; use -1 (one "
                                 "per row) or a group size"};
}

int64_t groupRowMultiple(const ParamReader &p)
{
    const int64_t g = p.integer("group");
    return g > 0 ? g : 1;
}

ByteEstimate intGridBytes(const ParamReader &p, const StoredShape &s, bool f16Scales)
{
    ByteEstimate e;
    const int64_t bits = p.integer("bits");
    e.codes = rowCodes(s.rows, s.cols, static_cast<int>(bits));
    const uint64_t entries = scaleEntries(p.integer("group"), s);
    e.scales = entries * (f16Scales ? 2 : 4);
    if (!p.flag("sym"))
        e.zeros = ceilDiv(entries * static_cast<uint64_t>(bits), 8);
    return e;
}

MethodLabel intGridLabel(const ParamReader &p, bool f16Scales)
{
    const int64_t group = p.integer("group");
    MethodLabel::Arg g{std::string("g").append(std::to_string(group)), false};
    if (group == -1)
        g = {CWB_TRANSLATE_NOOP("cwb::methods", "per-row"), true};
    else if (group == 0)
        g = {CWB_TRANSLATE_NOOP("cwb::methods", "per-tensor"), true};
    return MethodLabel{
        CWB_TRANSLATE_NOOP("cwb::methods", "int%1 %2 %3 + %4"),
        {{std::to_string(p.integer("bits")), false},
         g,
         {p.flag("sym") ? CWB_TRANSLATE_NOOP("cwb::methods", "sym")
                        : CWB_TRANSLATE_NOOP("cwb::methods", "asym"),
          true},
         {f16Scales ? CWB_TRANSLATE_NOOP("cwb::methods", "f16 scales")
                    : CWB_TRANSLATE_NOOP("cwb::methods", "f32 scales"),
          true}}};
}

ExportForms intGridExportForms(const ParamReader &p, bool f16Scales)
{
    ExportForms f;
    const int64_t bits = p.integer("bits"), group = p.integer("group");
    const bool sym = p.flag("sym");
    if (const auto t = ggmlBlockTypeOfIntGrid(bits, sym, group, f16Scales))
        f.gguf = std::string(dtypeName(*t));
    // compressed-tensors' pack-quantized decodes (q - zero_point) * scale per group, channel or
    // tensor: the same values for 4- and 8-bit codes (it packs those widths into int32).
    if ((bits == 4 || bits == 8) && f16Scales)
        f.compressedTensors = "pack-quantized";
    if (f.gguf == "Q4_0" || f.gguf == "Q5_0")
        f.note = "GGUF: the export repacks the codes into ggml's order (weights j and j + 16 of "
                 "a block share byte j; Q5_0's fifth bits in qh)";
    else if (f.gguf == "Q8_0")
        f.note = "GGUF: int8 code = u - 128";
    else
        f.note = "GGUF: only symmetric 4-, 5- and 8-bit codes in groups of 32 with fp16 scales "
                 "match a ggml block (Q4_0, Q5_0, Q8_0) exactly; asymmetric 4- / 5-bit ones go "
                 "into Q4_1 / Q5_1 with the fp16 minimum -scale*zero rounded (exact only where "
                 "that product is an fp16 value; the export measures it)";
    return f;
}

void setIntGridStorage(MethodSpec &m, bool hasF16ScalesParam)
{
    m.storage = StorageKind::Quantized;
    m.quantizedForm = RtnParams{};
    m.rowMultipleParam = "group";
    m.rowMultiple = groupRowMultiple;
    m.storedSize = [hasF16ScalesParam](const ParamReader &p, const StoredShape &s) {
        return intGridBytes(p, s, f16ScalesOf(p, hasF16ScalesParam));
    };
    // Zero is on every grid: symmetric code 2^(b-1), and the asymmetric range includes 0.
    m.exactZeros = [](const ParamReader &, DType) { return true; };
    m.label = [hasF16ScalesParam](const ParamReader &p, const std::string &) {
        return intGridLabel(p, f16ScalesOf(p, hasF16ScalesParam));
    };
    m.exportForms = [hasF16ScalesParam](const ParamReader &p, DType) {
        return intGridExportForms(p, f16ScalesOf(p, hasF16ScalesParam));
    };
    m.recipeForms = [hasF16ScalesParam, name = m.name](const ParamReader &p, DType) {
        return intGridRecipeForms(p, f16ScalesOf(p, hasF16ScalesParam), name);
    };
}

} // namespace methoddetail

} // namespace cwb
