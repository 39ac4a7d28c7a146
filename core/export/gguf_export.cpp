// SPDX-License-Identifier: MIT
// exportGguf: plan each tensor (name, type, bytes), write through io::GgufWriter, reopen with
// io::readGguf and compare every tensor with the values its source decodes to.
#include "export/gguf_export.h"

#include "export/engine_values.h"
#include "export/ggml_repack.h"
#include "export/gguf_metadata.h"
#include "export/gguf_names.h"
#include "formats/float_formats.h"
#include "formats/ggml_quantize.h"
#include "io/gguf_writer.h"
#include "io/readers.h"
#include "model/architecture.h"
#include "model/canonical_name.h"
#include "util/atomic_file.h"
#include "util/error.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>

namespace cwb {
namespace {

bool isRopeRole(std::string_view canonical, int64_t &heads, const HyperParams &h)
{
    const auto split = splitLayerTensorName(canonical);
    if (!split)
        return false;
    if (split->role == "attn.q" || split->role == "attn.q.bias") {
        heads = h.nHeads;
        return true;
    }
    if (split->role == "attn.k" || split->role == "attn.k.bias") {
        heads = h.nKvHeads > 0 ? h.nKvHeads : h.nHeads;
        return true;
    }
    return false;
}

// Hugging Face rotate_half rows -> GGUF's interleaved rows, whole rows of `rowBytes` each:
// GGUF row h*d + 2j + i = HF row h*d + i*d/2 + j (FORMATS.md; convert_hf_to_gguf.py permute()).
std::vector<std::byte> permuteRows(const std::vector<std::byte> &in, int64_t heads,
                                   int64_t headDim, size_t rowBytes, const std::string &who)
{
    if (headDim % 2 != 0 || in.size() != size_t(heads * headDim) * rowBytes)
        throw Error("GGUF export: " + who + ": " + std::to_string(in.size() / rowBytes)
                    + " rows do not form " + std::to_string(heads) + " heads of "
                    + std::to_string(headDim) + " (even) rows");
    std::vector<std::byte> out(in.size());
    const int64_t half = headDim / 2;
    for (int64_t h = 0; h < heads; ++h)
        for (int64_t j = 0; j < half; ++j)
            for (int64_t i = 0; i < 2; ++i) {
                const size_t dst = size_t(h * headDim + 2 * j + i);
                const size_t src = size_t(h * headDim + i * half + j);
                std::memcpy(out.data() + dst * rowBytes, in.data() + src * rowBytes, rowBytes);
            }
    return out;
}

std::vector<std::byte> floatBytes(const std::vector<float> &v, DType t)
{
    std::vector<std::byte> out;
    if (t == DType::F32) {
        out.resize(v.size() * 4);
        std::memcpy(out.data(), v.data(), out.size());
    } else {
        out.resize(v.size() * 2);
        for (size_t i = 0; i < v.size(); ++i) {
            const uint16_t h = floatToFp16(v[i]);
            std::memcpy(out.data() + 2 * i, &h, 2);
        }
    }
    return out;
}

// One tensor as it will be written.
struct Planned {
    ExportedTensor report;
    DType type = DType::F32;
    std::vector<int64_t> shape;
    std::vector<std::byte> bytes;  // in GGUF row order
    std::vector<float> reference;  // the source's values, GGUF row order (for verification)
    bool copied = false;           // bytes as stored in the source or the archive
    bool pruned = false;           // sparsity stored as dense zeros
};

std::string sourceLabel(const CompressedTensor &ct)
{
    std::string label;
    if (ct.weight)
        label = ct.weight->describe();
    else
        label = "rank " + std::to_string(ct.factorA ? ct.factorA->cols : 0) + " factors";
    if (ct.mask)
        label += ", pruned";
    return label + " (archive)";
}

// llama-quantize's fallback when a row is not a whole number of `type`'s blocks
// (src/llama-quant.cpp): Q4_K -> Q5_0, Q5_K -> Q5_1, Q6_K -> Q8_0, Q2_K / Q3_K -> IQ4_NL (which
// we do not write: Q4_0 instead, at the same 4.5 bits); F16 when even that does not divide.
DType requantTypeFor(DType wanted, int64_t cols, std::string &note)
{
    const auto fits = [&](DType t) { return cols % dtypeInfo(t).blockElems == 0; };
    if (fits(wanted))
        return wanted;
    DType fallback = DType::F16;
    switch (wanted) {
    case DType::Q4_K: fallback = DType::Q5_0; break;
    case DType::Q5_K: fallback = DType::Q5_1; break;
    case DType::Q6_K: fallback = DType::Q8_0; break;
    case DType::Q2_K:
    case DType::Q3_K: fallback = DType::Q4_0; break;
    default: break;
    }
    if (!fits(fallback))
        fallback = DType::F16;
    note = std::string(dtypeName(wanted)) + " needs rows of " +
           std::to_string(dtypeInfo(wanted).blockElems) + " (this one has " + std::to_string(cols)
           + "): " + std::string(dtypeName(fallback)) + " as llama-quantize falls back; ";
    return fallback;
}

// What one tensor becomes. With `materialize` false (a preview) only the type and the notes are
// decided: no values are decoded and no bytes made.
Planned planTensor(const Tensor &t, const CompressedTensor *ct, const GgufExportParams &params,
                   bool materialize)
{
    Planned p;
    p.shape = t.shape;
    const bool vector = t.shape.size() <= 1;
    const DType floatType = params.floatType;
    if (ct) {
        p.report.source = sourceLabel(*ct);
        if (materialize)
            p.reference = engineValues(*ct);
        const StoredMatrix *w = ct->weight ? &*ct->weight : nullptr;
        // Folded AWQ scales do not stop a copy: the engine multiplies the stored matrix with
        // the folded norm's output, and so will llama.cpp.
        const bool plain = w && !vector && w->inputScales.empty()
                        && !(ct->mask && ct->mask->applyWhenDecoding);
        const bool quantized = plain && w->kind == StoredMatrix::Kind::Quantized;
        const std::optional<DType> repacked =
            quantized ? exactGgmlTypeOf(w->quant) : std::nullopt;
        const std::optional<DType> nearly =
            quantized ? minimumGgmlTypeOf(w->quant) : std::nullopt;
        if (repacked) {
            p.type = *repacked;
            if (materialize)
                p.bytes = repackAsGgml(w->quant, *repacked);
            p.copied = true;
            p.report.note = "codes repacked into " + std::string(dtypeName(*repacked))
                          + " blocks (the method's export form)";
        } else if (nearly) {
            p.type = *nearly;
            if (materialize)
                p.bytes = repackAsGgml(w->quant, *nearly);
            p.report.note = "codes and scales repacked into " + std::string(dtypeName(*nearly))
                          + " blocks; the block minimum -s*zero is rounded to fp16 (exact "
                            "where every group's product is an fp16 value)";
        } else if (plain && (w->kind == StoredMatrix::Kind::Ggml
                      || (w->kind == StoredMatrix::Kind::Float && w->type != DType::BF16))) {
            p.type = w->type;
            if (materialize)
                p.bytes = w->bytes;
            p.copied = true;
            p.report.note = w->kind == StoredMatrix::Kind::Ggml
                                ? "ggml blocks as stored (the method's export form)"
                                : "float values as stored";
        } else {
            std::string why = "GGUF has no type that holds this form exactly";
            if (w && !w->inputScales.empty())
                why = "AWQ's input multipliers folded into the weights (GGUF cannot express "
                      "them)";
            else if (ct->mask && ct->mask->applyWhenDecoding)
                why = "pruning mask applied to the values (the stored grid decodes pruned "
                      "weights as non-zero)";
            const bool requant = !vector && params.requantize
                              && dtypeInfo(*params.requantize).quantized;
            if (requant) {
                std::string fallback;
                p.type = requantTypeFor(*params.requantize, t.shape.back(), fallback);
                if (materialize)
                    p.bytes = dtypeInfo(p.type).quantized
                                  ? ggmlQuantizeRows(p.type, p.reference.data(), t.rows(),
                                                     t.shape.back(), nullptr)
                                  : floatBytes(p.reference, p.type);
                p.report.note = fallback + "re-quantized to " + std::string(dtypeName(p.type))
                              + " from the values the engine uses: " + why;
            } else {
                p.type = vector ? DType::F32 : floatType;
                if (materialize)
                    p.bytes = floatBytes(p.reference, p.type);
                p.report.note = "dequantized to " + std::string(dtypeName(p.type)) + ": " + why;
            }
        }
        if (ct->mask) {
            p.pruned = true;
            p.report.note += "; pruned zeros stored dense";
        }
        if (!ct->foldedScales.empty())
            p.report.note += "; AWQ scales stay folded into the preceding norm";
        return p;
    }
    p.report.source = t.typeLabel();
    const DTypeInfo &info = dtypeInfo(t.dtype);
    if (!info.decodable)
        throw Error("GGUF export: tensor " + t.name + " has type " + t.typeLabel()
                    + ", whose values this build cannot read");
    if (materialize)
        p.reference = t.toFloat();
    if (info.quantized) {
        p.type = t.dtype;
        if (materialize)
            p.bytes = t.copyBytes();
        p.copied = true;
        p.report.note = "ggml blocks as stored";
    } else if (!vector && t.dtype == floatType) {
        p.type = t.dtype;
        if (materialize)
            p.bytes = t.copyBytes();
        p.copied = true;
    } else {
        p.type = vector ? DType::F32 : floatType;
        if (materialize)
            p.bytes = floatBytes(p.reference, p.type);
        if (p.type == DType::F16)
            p.report.note = "rounded to F16";
    }
    return p;
}

// Reopens the file and checks every tensor: shape, type, bytes, values against the reference.
void verify(const std::string &temp, const std::string &path, std::vector<Planned> &planned,
            const JobContext &job)
{
    const Model back = io::readGguf(temp);
    if (back.tensors.size() != planned.size())
        throwIn(path, "reopened with " + std::to_string(back.tensors.size())
                          + " tensors, " + std::to_string(planned.size()) + " were written");
    for (size_t i = 0; i < planned.size(); ++i) {
        job.checkCancelled();
        Planned &p = planned[i];
        const Tensor &t = back.tensors[i];
        const std::string who = "verification of " + p.report.name + ": ";
        if (t.name != p.report.name || t.dtype != p.type || t.shape != p.shape)
            throwIn(path, who + "reopened as " + t.name + " " + t.typeLabel() + " "
                              + t.shapeString());
        if (t.copyBytes() != p.bytes)
            throwIn(path, who + "the stored bytes differ from those written");
        const std::vector<float> values = t.toFloat();
        const bool same = bitIdentical(values, p.reference);
        p.report.maxAbsError = same ? 0.0 : maxAbsDifference(values, p.reference);
        if (p.report.exact() && !same)
            throwIn(path, who + "expected bit-identical values, max |error| "
                              + std::to_string(p.report.maxAbsError));
        p.report.fate = !same ? ExportFate::Converted
                      : p.pruned ? ExportFate::Dense
                                 : ExportFate::Exact;
    }
}

} // namespace

ExportResult exportGguf(const GgufExportParams &params, const JobContext &job)
{
    if (!params.model)
        throw Error("GGUF export: no model given");
    const Model &m = *params.model;
    if (params.floatType != DType::F32 && params.floatType != DType::F16)
        throw Error("GGUF export: float type " + std::string(dtypeName(params.floatType))
                    + " is not F32 or F16");
    if (params.outPath.empty())
        throw Error("GGUF export: no output path given");
    std::error_code ec;
    if (std::filesystem::is_directory(params.outPath, ec))
        throwIn(params.outPath, "is a directory; give the path of the .gguf file to write");
    if (m.family != ArchFamily::Llama)
        throwIn(m.path, "architecture '" + m.architecture + "' is not llama-family; the GGUF "
                        "export writes llama.cpp's \"llama\" architecture only");
    if (m.rope != RopeLayout::Interleaved && m.rope != RopeLayout::HalfSplit)
        throwIn(m.path, "the RoPE layout of its Q/K rows is unknown");

    ExportResult result;
    result.target = "gguf";
    result.path = params.outPath;
    io::GgufWriter writer;
    addLlamaMetadata(writer, m, result.notes);
    if (m.rope == RopeLayout::HalfSplit)
        result.notes.push_back("Q/K rows permuted from Hugging Face's rotate_half order into "
                               "GGUF's interleaved order (as convert_hf_to_gguf.py does)");

    std::vector<Planned> planned;
    planned.reserve(m.tensors.size()); // the writer views each Planned's bytes: no reallocation
    std::map<DType, int64_t> matrixParams;
    for (size_t i = 0; i < m.tensors.size(); ++i) {
        job.checkCancelled();
        const Tensor &t = m.tensors[i];
        const std::string name = ggufTensorName(t.canonical);
        if (name.empty()) {
            result.notes.push_back("not exported: " + t.name
                                   + " (llama.cpp's llama architecture has no such tensor)");
            continue;
        }
        job.report(0.8 * double(i) / double(m.tensors.size()), "tensor " + name);
        const CompressedTensor *ct =
            params.compressed ? params.compressed->find(t.canonical) : nullptr;
        Planned p = planTensor(t, ct, params, !params.preview);
        p.report.name = name;
        p.report.written = std::string(dtypeName(p.type));
        int64_t heads = 0;
        if (m.rope == RopeLayout::HalfSplit && isRopeRole(t.canonical, heads, m.hparams)
            && !params.preview) {
            const int64_t rows = t.shape.size() <= 1 ? t.numel() : t.rows();
            const size_t rowBytes = p.bytes.size() / size_t(rows);
            p.bytes = permuteRows(p.bytes, heads, m.hparams.headDim, rowBytes, t.name);
            std::vector<std::byte> ref(p.reference.size() * 4);
            std::memcpy(ref.data(), p.reference.data(), ref.size());
            ref = permuteRows(ref, heads, m.hparams.headDim, ref.size() / size_t(rows), t.name);
            std::memcpy(p.reference.data(), ref.data(), ref.size());
            p.report.note += std::string(p.report.note.empty() ? "" : "; ") + "rows permuted";
        } else if (m.rope == RopeLayout::HalfSplit && isRopeRole(t.canonical, heads, m.hparams)) {
            p.report.note += std::string(p.report.note.empty() ? "" : "; ") + "rows permuted";
        }
        // Exact unless values were rounded on the way: decided again by the verification.
        p.report.fate =
            p.copied || p.type == DType::F32 ? ExportFate::Exact : ExportFate::Converted;
        if (t.shape.size() >= 2)
            matrixParams[p.type] += t.numel();
        if (!params.preview)
            writer.addTensorView(name, p.type, p.shape, p.bytes);
        planned.push_back(std::move(p));
    }
    DType mainType = DType::F32;
    int64_t best = -1;
    for (const auto &[type, count] : matrixParams)
        if (count > best) {
            best = count;
            mainType = type;
        }
    writer.addMeta("general.file_type", MetaValue::ofUInt(llamaFileType(mainType), "u32"));

    if (params.preview) {
        for (auto &p : planned)
            result.tensors.push_back(std::move(p.report));
        return result;
    }
    // Written and verified under a temporary name, renamed over the target only when every
    // tensor reads back as planned: a failure leaves the previous file as it was.
    writeFileAtomically(params.outPath, [&](const std::string &temp) {
        job.report(0.8, "writing " + params.outPath);
        writer.write(temp, job);
        job.report(0.9, "verifying " + params.outPath);
        verify(temp, params.outPath, planned, job);
    }, params.writeHooks);
    result.fileBytes = std::filesystem::file_size(params.outPath, ec);
    result.files = {params.outPath};
    result.written = true;
    result.verified = true;
    for (auto &p : planned)
        result.tensors.push_back(std::move(p.report));
    job.report(1.0, "done");
    return result;
}

} // namespace cwb
