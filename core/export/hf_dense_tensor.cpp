// SPDX-License-Identifier: MIT
#include "export/hf_dense_tensor.h"

#include "export/engine_values.h"
#include "util/error.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace cwb {
namespace {

void addNote(std::string &note, const std::string &what)
{
    note += (note.empty() ? "" : "; ") + what;
}

// A float matrix the archive stores unchanged apart from its type (the "f16"/"bf16" methods).
bool plainFloat(const CompressedTensor &ct)
{
    return ct.weight && ct.weight->kind == StoredMatrix::Kind::Float
        && ct.weight->inputScales.empty() && !(ct.mask && ct.mask->applyWhenDecoding);
}

// The fate once it is known whether the values read back bit-identical.
ExportFate fateOf(const DenseTensorPlan &p, bool sameValues)
{
    if (!sameValues || p.forcedConverted)
        return ExportFate::Converted;
    if (p.formLost)
        return ExportFate::NotExpressible;
    return p.pruned ? ExportFate::Dense : ExportFate::Exact;
}

} // namespace

DenseTensorPlan planDenseTensor(const HfTensor &t, int64_t headDim, DType floatType,
                                bool materialize)
{
    DenseTensorPlan p;
    p.report.name = t.name;
    p.report.source = hfSourceLabel(t);
    p.shape = t.tensor->shape;
    const bool vector = p.shape.size() <= 1;
    p.type = vector ? DType::F32 : floatType;
    p.report.written = std::string(dtypeName(p.type));
    const CompressedTensor *ct = t.compressed;
    if (ct) {
        if (plainFloat(*ct)) {
            p.exactByConstruction = p.type == DType::F32 || ct->weight->type == p.type;
            if (vector)
                addNote(p.report.note, "as the archive has it: " + ct->plan);
        } else {
            p.exactByConstruction = p.type == DType::F32;
            addNote(p.report.note, "dequantized: the values the engine uses");
        }
        if (ct->weight && !ct->weight->inputScales.empty()) {
            p.forcedConverted = true;
            addNote(p.report.note, "AWQ's input multipliers folded into the weights (the "
                                   "engine divides the input instead: the same weights, "
                                   "rounded in another order)");
        }
        if (!ct->foldedScales.empty())
            addNote(p.report.note, "AWQ scales stay folded into the preceding norm");
        if (ct->mask) {
            p.pruned = true;
            addNote(p.report.note, "pruned zeros stored dense");
        }
    } else {
        p.exactByConstruction = p.type == DType::F32 || t.tensor->dtype == p.type;
        if (!t.tensor->decodable())
            throwIn(t.tensor->name, "its type " + t.tensor->typeLabel()
                                        + " cannot be read by this build");
    }
    if (!p.exactByConstruction)
        addNote(p.report.note, "rounded to " + std::string(dtypeName(p.type)));
    if (t.ropeHeads > 0)
        addNote(p.report.note, "rows permuted");
    if (materialize) {
        p.reference = hfValues(t, headDim);
        p.bytes = floatBytes(p.reference, p.type);
    }
    p.report.fate = expectedFate(p);
    return p;
}

ExportFate expectedFate(const DenseTensorPlan &p)
{
    return fateOf(p, p.exactByConstruction);
}

void checkDenseTensor(DenseTensorPlan &p, const Tensor &back, const std::string &path)
{
    const std::string who = "verification of " + p.report.name + ": ";
    if (back.name != p.report.name || back.dtype != p.type || back.shape != p.shape)
        throwIn(path, who + "read back as " + back.name + " " + back.typeLabel() + " "
                          + back.shapeString());
    if (back.copyBytes() != p.bytes)
        throwIn(path, who + "the stored bytes differ from those written");
    const std::vector<float> values = back.toFloat();
    const bool same = bitIdentical(values, p.reference);
    p.report.maxAbsError = same ? 0.0 : maxAbsDifference(values, p.reference);
    if (p.exactByConstruction && !same)
        throwIn(path, who + "expected bit-identical values, max |error| "
                          + std::to_string(p.report.maxAbsError));
    p.report.fate = fateOf(p, same);
}

std::string torchDtypeName(DType t)
{
    switch (t) {
    case DType::F32: return "float32";
    case DType::F16: return "float16";
    case DType::BF16: return "bfloat16";
    default: break;
    }
    throw Error("torch_dtype: " + std::string(dtypeName(t)) + " is not F32, F16 or BF16");
}


} // namespace cwb
