// SPDX-License-Identifier: MIT
// exportCompressedTensors: decide each Linear module's scheme (or dense), refuse fused sets that
// disagree, group the schemes into config groups with one anchored target per module, write the
// directory, then read it back through our decoder and compare every module with the archive.
#include "export/compressed_tensors_export.h"

#include "export/compressed_tensors_decode.h"
#include "export/compressed_tensors_format.h"
#include "export/compressed_tensors_pack.h"
#include "export/hf_config.h"
#include "export/engine_values.h"
#include "export/hf_dense_tensor.h"
#include "export/hf_tensors.h"
#include "io/json_meta.h"
#include "io/readers.h"
#include "io/safetensors_reader.h"
#include "model/canonical_name.h"
#include "util/atomic_directory.h"
#include "util/error.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <set>

namespace cwb {
namespace {

namespace fs = std::filesystem;

constexpr const char *kWho = "compressed-tensors export";

// One tensor of the directory: a packed module, or a dense tensor.
struct Planned {
    HfTensor src;
    std::optional<CtScheme> scheme; // packed
    std::string group;              // its config group
    DenseTensorPlan dense;          // the report lives here for both kinds
    std::vector<io::SafetensorsTensor> packed; // packed: what is written for the module
    std::vector<float> reference;   // packed: the archive's values in HF order
};

void addNote(std::string &note, const std::string &what)
{
    note += (note.empty() ? "" : "; ") + what;
}

// What one tensor becomes (see the header). Preview: decided, nothing decoded or packed.
Planned planTensor(const HfTensor &t, const Model &m, DType floatType, bool materialize,
                   std::set<std::string> &modelNotes)
{
    Planned p;
    p.src = t;
    std::string whyNot;
    if (t.linear && t.compressed) {
        p.scheme = ctSchemeOf(*t.compressed, whyNot);
        if (p.scheme && t.tensor->canonical == "head") {
            p.scheme.reset();
            whyNot = "vLLM does not quantize lm_head through compressed-tensors";
        }
    }
    if (!p.scheme) {
        p.dense = planDenseTensor(t, m.hparams.headDim, floatType, materialize);
        if (!whyNot.empty()) {
            p.dense.formLost = true;
            p.dense.report.note = whyNot + (p.dense.report.note.empty() ? "" : "; ")
                                + p.dense.report.note;
            p.dense.report.fate = expectedFate(p.dense);
        }
        if (t.linear)
            addNote(p.dense.report.note, "dense, in `ignore`");
        return p;
    }
    const CtScheme &s = *p.scheme;
    const CompressedTensor &ct = *t.compressed;
    ExportedTensor &r = p.dense.report;
    r.name = t.module;
    r.source = hfSourceLabel(t);
    r.written = s.label();
    r.fate = ct.mask ? ExportFate::Dense : ExportFate::Exact;
    const QuantizedTensor &q = ct.weight->quant;
    if (s.format == "float-quantized")
        r.note = "fp8 bytes and F32 scales as stored";
    else
        r.note = std::string(s.symmetric ? "codes" : "codes and zero points")
               + " repacked into int32, scales as stored ("
               + (q.scaleType == ScaleType::F16 ? "F16" : "F32") + ")";
    if (s.format == "pack-quantized" && q.scaleType == ScaleType::F32)
        modelNotes.insert("F32 scales are written F32; vLLM casts them to the model dtype "
                          "(torch_dtype) when loading, which rounds them");
    if (!s.symmetric)
        modelNotes.insert("asymmetric grids carry weight_zero_point: they need a vLLM release "
                          "whose WNA16 scheme takes zero points (symmetric grids load in every "
                          "release)");
    if (s.strategy == "group" && s.groupSize > 128)
        modelNotes.insert("groups of " + std::to_string(s.groupSize) + ": vLLM's Marlin "
                          "kernels take groups of 32, 64 and 128 or per-channel scales; other "
                          "kernels must run them");
    if (!ct.foldedScales.empty())
        addNote(r.note, "AWQ scales stay folded into the preceding norm");
    if (ct.mask)
        addNote(r.note, "pruned zeros stored as codes (compressed-tensors keeps no sparsity "
                        "here)");
    if (t.ropeHeads > 0)
        addNote(r.note, "rows permuted");
    if (materialize) {
        const std::vector<int64_t> order =
            t.ropeHeads > 0 ? halfSplitRowSources(t.ropeHeads, m.hparams.headDim)
                            : std::vector<int64_t>{};
        p.packed = packCtModule(q, s, t.module, order);
        p.reference = hfValues(t, m.hparams.headDim);
    }
    return p;
}

// The scheme a module is read with, for the fused-set check and the report.
std::string schemeKey(const Planned &p)
{
    return p.scheme ? p.scheme->label() : "dense";
}

// vLLM loads q/k/v and gate/up of a layer as one fused layer with one scheme.
void checkFusedSets(const std::vector<Planned> &planned, const Model &m)
{
    std::map<std::pair<int64_t, std::string>, std::vector<const Planned *>> sets;
    for (const Planned &p : planned) {
        if (!p.src.linear)
            continue;
        const auto split = splitLayerTensorName(p.src.tensor->canonical);
        if (!split)
            continue;
        const std::string role(split->role);
        if (role == "attn.q" || role == "attn.k" || role == "attn.v")
            sets[{split->layer, "qkv"}].push_back(&p);
        else if (role == "mlp.gate" || role == "mlp.up")
            sets[{split->layer, "gate_up"}].push_back(&p);
    }
    for (const auto &[key, members] : sets) {
        bool same = true;
        for (const Planned *p : members)
            same = same && schemeKey(*p) == schemeKey(*members.front());
        if (same)
            continue;
        std::string names, schemes;
        for (const Planned *p : members) {
            const std::string why = p->scheme ? "" : " (" + p->dense.report.note + ")";
            names += (names.empty() ? "" : ", ") + p->src.module;
            schemes += (schemes.empty() ? "" : "; ") + p->src.module + ": " + schemeKey(*p) + why;
        }
        throwIn(m.path, std::string(kWho) + ": vLLM runs " + names
                            + " as one fused layer with one scheme, but the plan splits them ("
                            + schemes + "); plan them alike (the same method, bits, group and "
                              "symmetry)");
    }
}

CtQuantizationConfig configOf(std::vector<Planned> &planned)
{
    CtQuantizationConfig c;
    for (Planned &p : planned) {
        if (!p.src.linear)
            continue;
        if (!p.scheme) {
            c.ignore.push_back(p.src.module);
            continue;
        }
        CtGroup *group = nullptr;
        for (CtGroup &g : c.groups)
            if (g.scheme == *p.scheme)
                group = &g;
        if (!group) {
            c.groups.push_back({"group_" + std::to_string(c.groups.size()), *p.scheme, {}});
            group = &c.groups.back();
        }
        group->targets.push_back(moduleTarget(p.src.module));
        p.group = group->name;
    }
    if (std::find(c.ignore.begin(), c.ignore.end(), "lm_head") == c.ignore.end())
        c.ignore.push_back("lm_head");
    std::set<std::string> formats;
    for (const CtGroup &g : c.groups)
        formats.insert(g.scheme.format);
    c.format = formats.size() == 1 ? *formats.begin() : "mixed-precision";
    return c;
}

void verify(const std::string &temp, const std::string &path, std::vector<Planned> &planned,
            const JobContext &job)
{
    const std::string configPath = (fs::path(temp) / "config.json").string();
    const nlohmann::ordered_json config = io::readJsonFile(configPath, 64ull << 20, "config.json");
    if (!config.contains("quantization_config"))
        throwIn(path, "verification: config.json has no quantization_config");
    const CtQuantizationConfig qc =
        parseQuantizationConfig(config["quantization_config"], path + "/config.json");
    const Model file = io::readSafetensorsFile((fs::path(temp) / kHfWeightsFile).string());
    size_t expected = 0;
    for (Planned &p : planned) {
        job.checkCancelled();
        const std::string who = "verification of " + p.src.module + ": ";
        if (!p.scheme) {
            ++expected;
            if (p.src.linear) {
                bool unmatched = false;
                if (resolveModule(qc, p.src.module, &unmatched) || unmatched)
                    throwIn(path, who + "config.json does not resolve it to `ignore`");
            }
            const Tensor *t = file.findTensor(p.dense.report.name);
            if (!t)
                throwIn(path, who + p.dense.report.name + " is missing");
            checkDenseTensor(p.dense, *t, path);
            continue;
        }
        const CtGroup *g = resolveModule(qc, p.src.module);
        if (!g || g->name != p.group || g->scheme != *p.scheme)
            throwIn(path, who + "config.json resolves it to "
                              + (g ? g->name + " (" + g->scheme.label() + ")" : "dense")
                              + ", planned " + p.group + " (" + p.scheme->label() + ")");
        for (const io::SafetensorsTensor &w : p.packed) {
            const Tensor *t = file.findTensor(w.name);
            if (!t || t->dtype != w.dtype || t->shape != w.shape)
                throwIn(path, who + w.name + " is missing or changed type or shape");
            const std::vector<std::byte> bytes = t->copyBytes();
            if (!std::equal(bytes.begin(), bytes.end(), w.bytes.begin(), w.bytes.end()))
                throwIn(path, who + w.name + ": the stored bytes differ from those written");
        }
        expected += ctTensorNames(p.src.module, &*p.scheme).size();
        const CtDecodedWeight d = decodeCtWeight(file, p.src.module, &g->scheme, path);
        if (d.shape != p.src.tensor->shape || !bitIdentical(d.values, p.reference))
            throwIn(path, who + "decodes to values that differ from the archive's (max |error| "
                              + std::to_string(maxAbsDifference(d.values, p.reference)) + ")");
    }
    if (file.tensors.size() != expected)
        throwIn(path, "verification: " + std::to_string(file.tensors.size())
                          + " tensors read back, " + std::to_string(expected)
                          + " were written");
}

} // namespace

ExportResult exportCompressedTensors(const ExportRequest &request, const JobContext &job)
{
    if (!request.model)
        throw Error(std::string(kWho) + ": no model given");
    const Model &m = *request.model;
    if (request.floatType != DType::F32 && request.floatType != DType::F16
        && request.floatType != DType::BF16)
        throw Error(std::string(kWho) + ": float type "
                    + std::string(dtypeName(request.floatType)) + " is not F32, F16 or BF16");
    if (request.outPath.empty())
        throw Error(std::string(kWho) + ": no output directory given");
    checkReplaceableDirectory(request.outPath, kExportMarkerFile);

    ExportResult result;
    result.target = "compressed-tensors";
    result.path = request.outPath;
    const HfTensorList list = hfTensorList(m, request.compressed, kWho);
    result.notes = list.notes;
    std::vector<Planned> planned;
    planned.reserve(list.tensors.size());
    std::set<std::string> modelNotes;
    for (size_t i = 0; i < list.tensors.size(); ++i) {
        job.checkCancelled();
        const HfTensor &t = list.tensors[i];
        job.report(0.7 * double(i) / double(list.tensors.size()), "tensor " + t.name);
        planned.push_back(planTensor(t, m, request.floatType, !request.preview, modelNotes));
    }
    checkFusedSets(planned, m);
    const CtQuantizationConfig qc = configOf(planned);
    if (qc.groups.empty())
        throwIn(m.path, std::string(kWho) + ": no tensor has a compressed-tensors form (int4 / "
                        "int8 grids with group or channel scales from rtn, gptq or awq; fp8 "
                        "E4M3): export an archive that has some, or use --to safetensors");
    // vLLM's compressed-tensors kernels run in float16 or bfloat16; fp16 scales load exactly
    // into float16.
    const std::string torchDtype = request.floatType == DType::BF16 ? "bfloat16" : "float16";
    nlohmann::ordered_json config = hfLlamaConfig(m, list.tiedHead, torchDtype, result.notes);
    config["quantization_config"] = quantizationConfigJson(qc);
    result.notes.push_back("quantization_config: format " + qc.format + ", "
                           + std::to_string(qc.groups.size()) + " config groups, "
                           + std::to_string(qc.ignore.size())
                           + " modules in `ignore`; weight-only (input_activations null); no "
                             "weight_g_idx (our groups are contiguous: gptq's act_order keeps "
                             "static groups)");
    result.notes.push_back("norms and other 1-D tensors are written F32, dense matrices "
                           + std::string(dtypeName(request.floatType)) + "; torch_dtype "
                           + torchDtype + " (vLLM runs these kernels in float16 or bfloat16"
                           + (request.floatType == DType::F32
                                  ? ": it casts the F32 tensors when loading)"
                                  : ")"));
    if (qc.format == "mixed-precision")
        modelNotes.insert("format mixed-precision (int and fp8 groups, each with its own "
                          "format): vLLM reads per-group formats only in its newer releases; an "
                          "archive of int grids alone (or fp8 alone) gets a single format");
    if (request.floatType == DType::BF16)
        modelNotes.insert("torch_dtype bfloat16: vLLM casts the fp16 scales to bfloat16 when "
                          "loading, which rounds them; export with --float-type f16 or f32 to "
                          "keep them exact");
    for (const auto &n : modelNotes)
        result.notes.push_back(n);

    if (request.preview) {
        (void)copyTokenizerFiles(m, {}, true, result.notes);
        for (auto &p : planned)
            result.tensors.push_back(std::move(p.dense.report));
        return result;
    }
    std::vector<std::string> files;
    writeDirectoryAtomically(request.outPath, kExportMarkerFile, [&](const std::string &temp) {
        job.report(0.7, "writing " + request.outPath);
        job.checkCancelled();
        std::vector<io::SafetensorsTensor> tensors;
        for (const Planned &p : planned) {
            if (p.scheme) {
                tensors.insert(tensors.end(), p.packed.begin(), p.packed.end());
                continue;
            }
            tensors.push_back({.name = p.dense.report.name, .dtype = p.dense.type,
                               .shape = p.dense.shape, .bytes = p.dense.bytes});
        }
        files = writeHfDirectory(temp, tensors, config, m, result.target,
                                 request.compressed != nullptr, result.notes);
        job.checkCancelled();
        job.report(0.85, "verifying " + request.outPath);
        verify(temp, request.outPath, planned, job);
    }, request.writeHooks);
    listWrittenFiles(result, request.outPath, files);
    for (auto &p : planned)
        result.tensors.push_back(std::move(p.dense.report));
    job.report(1.0, "done");
    return result;
}

} // namespace cwb
