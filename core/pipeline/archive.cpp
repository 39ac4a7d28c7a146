// SPDX-License-Identifier: MIT
#include "pipeline/archive.h"
#include "pipeline/structure_step.h"

#include "h5/h5_store.h"
#include "h5/hdf5_lock.h"
#include "io/open_model.h"
#include "methods/registry.h"
#include "model/model_fingerprint.h"
#include "util/atomic_file.h"
#include "util/error.h"
#include "util/version.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <optional>

namespace cwb {

namespace {

namespace fs = std::filesystem;

template <class T, class A>
std::span<const T> bytesOf(const std::vector<T, A> &v)
{
    return {v.data(), v.size()};
}

std::span<const uint8_t> asU8(const std::vector<std::byte> &v)
{
    return {reinterpret_cast<const uint8_t *>(v.data()), v.size()};
}

template <class T, class A>
void putArray(const h5::Writer &w, const h5::Node &loc, std::string_view name,
              const std::vector<T, A> &v)
{
    if (!v.empty())
        w.dataset<T>(loc, name, bytesOf(v));
}

template <class T>
std::vector<T> getArray(const h5::Reader &r, const h5::Node &loc, std::string_view name)
{
    return r.has(loc, name) ? r.dataset<T>(loc, name) : std::vector<T>{};
}

// ---- QuantParams as attributes ----

void writeParams(const h5::Writer &w, const h5::Node &n, const QuantParams &params)
{
    std::visit(
        [&](const auto &p) {
            using P = std::decay_t<decltype(p)>;
            if constexpr (std::is_same_v<P, RtnParams>) {
                w.attr(n, "p_bits", int64_t(p.bits));
                w.attr(n, "p_symmetric", p.symmetric);
                w.attr(n, "p_granularity", int64_t(p.granularity));
                w.attr(n, "p_group_size", int64_t(p.groupSize));
                w.attr(n, "p_f16_scales", p.f16Scales);
            } else if constexpr (std::is_same_v<P, Nf4Params>) {
                w.attr(n, "p_block_size", int64_t(p.blockSize));
                w.attr(n, "p_double_quant", p.doubleQuant);
                w.attr(n, "p_dq_block_size", int64_t(p.dqBlockSize));
            } else if constexpr (std::is_same_v<P, Fp8Params>) {
                w.attr(n, "p_format", int64_t(p.format));
                w.attr(n, "p_granularity", int64_t(p.granularity));
            } else if constexpr (std::is_same_v<P, MxFp4Params>) {
                w.attr(n, "p_scale_rule", int64_t(p.scaleRule));
            } else if constexpr (std::is_same_v<P, NvFp4Params>) {
                w.attr(n, "p_global_amax", double(p.globalAmax));
            } else if constexpr (std::is_same_v<P, TernaryParams>) {
                w.attr(n, "p_eps", double(p.eps));
                w.attr(n, "p_packing", int64_t(p.packing));
            }
        },
        params);
}

// An enum stored as an integer, checked against its range.
template <class E>
E enumAttr(const h5::Reader &r, const h5::Node &n, const char *name, int64_t last)
{
    const int64_t v = r.attrInt(n, name);
    if (v < 0 || v > last)
        r.fail(n.path, std::string("@") + name + " = " + std::to_string(v) + " is out of range 0.."
                           + std::to_string(last));
    return static_cast<E>(v);
}

int intAttr(const h5::Reader &r, const h5::Node &n, const char *name)
{
    const int64_t v = r.attrInt(n, name);
    if (v < -1 || v > (int64_t(1) << 30))
        r.fail(n.path, std::string("@") + name + " = " + std::to_string(v) + " is out of range");
    return static_cast<int>(v);
}

// The params struct is the one the method registry says `method` writes (methods/registry.h);
// its fields are the attributes writeParams() wrote.
QuantParams readParams(const h5::Reader &r, const h5::Node &n, const std::string &method)
{
    std::optional<QuantParams> params = quantParamsOfStorage(method);
    if (!params)
        r.fail(n.path, "@method '" + method + "' is not a quantization method this build reads");
    std::visit(
        [&](auto &p) {
            using P = std::decay_t<decltype(p)>;
            if constexpr (std::is_same_v<P, RtnParams>) {
                p.bits = intAttr(r, n, "p_bits");
                p.symmetric = r.attrBool(n, "p_symmetric");
                p.granularity = enumAttr<Granularity>(r, n, "p_granularity", 2);
                p.groupSize = intAttr(r, n, "p_group_size");
                p.f16Scales = r.attrBool(n, "p_f16_scales");
            } else if constexpr (std::is_same_v<P, Nf4Params>) {
                p.blockSize = intAttr(r, n, "p_block_size");
                p.doubleQuant = r.attrBool(n, "p_double_quant");
                p.dqBlockSize = intAttr(r, n, "p_dq_block_size");
            } else if constexpr (std::is_same_v<P, Fp8Params>) {
                p.format = enumAttr<Fp8Format>(r, n, "p_format", 1);
                p.granularity = enumAttr<Granularity>(r, n, "p_granularity", 2);
            } else if constexpr (std::is_same_v<P, MxFp4Params>) {
                p.scaleRule = enumAttr<MxScaleRule>(r, n, "p_scale_rule", 1);
            } else if constexpr (std::is_same_v<P, NvFp4Params>) {
                p.globalAmax = float(r.attrDouble(n, "p_global_amax"));
            } else if constexpr (std::is_same_v<P, TernaryParams>) {
                p.eps = float(r.attrDouble(n, "p_eps"));
                p.packing = enumAttr<TernaryPacking>(r, n, "p_packing", 1);
            }
        },
        *params);
    return *params;
}

// ---- stored matrices ----

void writeMatrix(const h5::Writer &w, const h5::Node &parent, const char *name,
                 const StoredMatrix &m)
{
    const h5::Node n = w.createGroup(parent, name);
    w.attr(n, "rows", m.rows);
    w.attr(n, "cols", m.cols);
    putArray(w, n, "input_scales", m.inputScales);
    if (m.kind != StoredMatrix::Kind::Quantized) {
        w.attr(n, "kind", std::string_view(m.kind == StoredMatrix::Kind::Float ? "float" : "ggml"));
        w.attr(n, "type", dtypeName(m.type));
        if (!m.bytes.empty())
            w.dataset<uint8_t>(n, "bytes", asU8(m.bytes));
        return;
    }
    const QuantizedTensor &q = m.quant;
    w.attr(n, "kind", std::string_view("quantized"));
    w.attr(n, "method", std::string_view(q.method));
    w.attr(n, "code_bits", int64_t(q.codeBits));
    w.attr(n, "packing", int64_t(q.packing));
    w.attr(n, "group_size", q.groupSize);
    w.attr(n, "scale_type", int64_t(q.scaleType));
    w.attr(n, "dq_block_size", q.dqBlockSize);
    w.attr(n, "scale_offset", double(q.scaleOffset));
    w.attr(n, "has_tensor_scale", q.hasTensorScale);
    w.attr(n, "tensor_scale", double(q.tensorScale));
    writeParams(w, n, q.params);
    putArray(w, n, "codes", q.codes);
    putArray(w, n, "scales", q.scales);
    putArray(w, n, "zeros", q.zeros);
    putArray(w, n, "second_scales", q.secondScales);
}

StoredMatrix readMatrix(const h5::Reader &r, const h5::Node &parent, const char *name)
{
    const h5::Node n = r.openGroup(parent, name);
    StoredMatrix m;
    m.rows = r.attrInt(n, "rows");
    m.cols = r.attrInt(n, "cols");
    m.inputScales = getArray<float>(r, n, "input_scales");
    const std::string kind = r.attrString(n, "kind");
    if (kind == "float" || kind == "ggml") {
        m.kind = kind == "float" ? StoredMatrix::Kind::Float : StoredMatrix::Kind::Ggml;
        const std::string type = r.attrString(n, "type");
        const auto t = dtypeFromName(type);
        if (!t)
            r.fail(n.path, "@type '" + type + "' is not a type this build knows");
        m.type = *t;
        const std::vector<uint8_t> b = getArray<uint8_t>(r, n, "bytes");
        // (no memcpy: an archive without bytes gives null data, which memcpy must not get)
        m.bytes.assign(reinterpret_cast<const std::byte *>(b.data()),
                       reinterpret_cast<const std::byte *>(b.data()) + b.size());
    } else if (kind == "quantized") {
        m.kind = StoredMatrix::Kind::Quantized;
        m.type = DType::Unknown;
        QuantizedTensor &q = m.quant;
        q.method = r.attrString(n, "method");
        q.params = readParams(r, n, q.method);
        q.rows = m.rows;
        q.cols = m.cols;
        q.codeBits = intAttr(r, n, "code_bits");
        q.packing = enumAttr<CodePacking>(r, n, "packing", 1);
        q.groupSize = r.attrInt(n, "group_size");
        q.scaleType = enumAttr<ScaleType>(r, n, "scale_type", 5);
        q.dqBlockSize = r.attrInt(n, "dq_block_size");
        q.scaleOffset = float(r.attrDouble(n, "scale_offset"));
        q.hasTensorScale = r.attrBool(n, "has_tensor_scale");
        q.tensorScale = float(r.attrDouble(n, "tensor_scale"));
        const std::vector<uint8_t> codes = getArray<uint8_t>(r, n, "codes");
        q.codes.assign(codes.begin(), codes.end());
        q.scales = getArray<uint8_t>(r, n, "scales");
        q.zeros = getArray<uint8_t>(r, n, "zeros");
        q.secondScales = getArray<float>(r, n, "second_scales");
    } else {
        r.fail(n.path, "@kind '" + kind + "' is not float, quantized or ggml");
    }
    try {
        m.check(n.path);
    } catch (const Error &e) {
        r.fail(n.path, e.what());
    }
    return m;
}

// ---- tensors ----

void writeTensor(const h5::Writer &w, const h5::Node &parent, const CompressedTensor &t)
{
    const h5::Node n = w.createGroup(parent, h5::escapeName(t.canonical));
    w.attr(n, "index", uint64_t(t.index));
    w.attr(n, "name", std::string_view(t.name));
    w.attr(n, "canonical", std::string_view(t.canonical));
    w.attr(n, "rows", t.rows);
    w.attr(n, "cols", t.cols);
    w.attr(n, "plan", std::string_view(t.plan));
    putArray(w, n, "shape", t.shape);
    const TensorReport &rep = t.report;
    w.attr(n, "relative_error", rep.relativeError);
    w.attr(n, "output_error", rep.outputError);
    w.attr(n, "original_bytes", rep.originalBytes);
    w.attr(n, "stored_bytes", rep.storedBytes);
    w.attr(n, "bits_per_weight", rep.bitsPerWeight);
    w.attr(n, "sparsity", rep.sparsity);
    w.attr(n, "rank", rep.rank);
    w.attr(n, "seconds", rep.seconds);
    w.attr(n, "calibration_tokens", rep.calibrationTokens);
    w.attr(n, "format", std::string_view(rep.format));
    if (!rep.notes.empty())
        w.strings(n, "notes", rep.notes);
    putArray(w, n, "folded_scales", t.foldedScales);
    if (t.weight)
        writeMatrix(w, n, "weight", *t.weight);
    if (t.factorA)
        writeMatrix(w, n, "factor_a", *t.factorA);
    if (t.factorB)
        writeMatrix(w, n, "factor_b", *t.factorB);
    if (t.mask) {
        const h5::Node m = w.createGroup(n, "mask");
        w.attr(m, "nm_n", int64_t(t.mask->nmN));
        w.attr(m, "nm_m", int64_t(t.mask->nmM));
        w.attr(m, "stored_bytes", t.mask->storedBytes);
        w.attr(m, "apply_when_decoding", t.mask->applyWhenDecoding);
        putArray(w, m, "bitmap", t.mask->bitmap);
        putArray(w, m, "nm_indices", t.mask->nmIndices);
    }
}

CompressedTensor readTensor(const h5::Reader &r, const h5::Node &parent, const std::string &member)
{
    const h5::Node n = r.openGroup(parent, member);
    CompressedTensor t;
    t.index = size_t(r.attrUInt(n, "index"));
    t.name = r.attrString(n, "name");
    t.canonical = r.attrString(n, "canonical");
    t.rows = r.attrInt(n, "rows");
    t.cols = r.attrInt(n, "cols");
    t.plan = r.attrString(n, "plan");
    t.shape = getArray<int64_t>(r, n, "shape");
    TensorReport &rep = t.report;
    rep.relativeError = r.attrDouble(n, "relative_error");
    rep.outputError = r.attrDouble(n, "output_error");
    rep.originalBytes = r.attrUInt(n, "original_bytes");
    rep.storedBytes = r.attrUInt(n, "stored_bytes");
    rep.bitsPerWeight = r.attrDouble(n, "bits_per_weight");
    rep.sparsity = r.attrDouble(n, "sparsity");
    rep.rank = r.attrInt(n, "rank");
    rep.seconds = r.attrDouble(n, "seconds");
    // Optional: archives written before coverage was recorded lack it (0: unknown).
    if (r.hasAttr(n, "calibration_tokens"))
        rep.calibrationTokens = r.attrInt(n, "calibration_tokens");
    rep.format = r.attrString(n, "format");
    if (r.has(n, "notes"))
        rep.notes = r.strings(n, "notes");
    t.foldedScales = getArray<float>(r, n, "folded_scales");
    if (r.has(n, "weight"))
        t.weight = readMatrix(r, n, "weight");
    if (r.has(n, "factor_a"))
        t.factorA = readMatrix(r, n, "factor_a");
    if (r.has(n, "factor_b"))
        t.factorB = readMatrix(r, n, "factor_b");
    if (r.has(n, "mask")) {
        const h5::Node m = r.openGroup(n, "mask");
        PruneMask mask;
        mask.nmN = intAttr(r, m, "nm_n");
        mask.nmM = intAttr(r, m, "nm_m");
        mask.storedBytes = r.attrUInt(m, "stored_bytes");
        mask.applyWhenDecoding = r.attrBool(m, "apply_when_decoding");
        mask.bitmap = getArray<uint8_t>(r, m, "bitmap");
        mask.nmIndices = getArray<uint8_t>(r, m, "nm_indices");
        t.mask = std::move(mask);
    }
    int64_t count = 1;
    for (int64_t d : t.shape)
        count = d > 0 && count <= (int64_t(1) << 40) / d ? count * d : -1;
    if (t.shape.empty() || count != t.rows * t.cols)
        r.fail(n.path, "shape does not hold rows x cols = " + std::to_string(t.rows) + " x "
                           + std::to_string(t.cols) + " values");
    try {
        t.check();
    } catch (const Error &e) {
        r.fail(n.path, e.what());
    }
    if (t.storedBytes() != rep.storedBytes)
        r.fail(n.path, "@stored_bytes = " + std::to_string(rep.storedBytes) + " but the parts hold "
                           + std::to_string(t.storedBytes()) + " bytes");
    return t;
}

std::string singleString(const h5::Reader &r, const h5::Node &n, std::string_view name)
{
    const std::vector<std::string> v = r.strings(n, name);
    if (v.size() != 1)
        r.fail(n.child(name), "holds " + std::to_string(v.size()) + " strings, expected 1");
    return v[0];
}

void writeStructure(const h5::Writer &w, const h5::Node &root, const StructureRecord &st)
{
    const h5::Node n = w.createGroup(root, "structure");
    w.attr(n, "layers", st.layers);
    w.attr(n, "heads", st.heads);
    w.attr(n, "kv_heads", st.kvHeads);
    w.attr(n, "ffn_width", st.ffnWidth);
    w.attr(n, "parameters_before", st.parametersBefore);
    w.attr(n, "parameters_after", st.parametersAfter);
    putArray(w, n, "dropped_blocks", st.droppedBlocks);
    std::vector<int64_t> layer, before, after;
    std::vector<double> removed, repaired;
    std::vector<std::string> tensor, what;
    for (const StructureChange &c : st.changes) {
        layer.push_back(c.layer);
        before.push_back(c.before);
        after.push_back(c.after);
        removed.push_back(c.errorRemoved);
        repaired.push_back(c.errorRepaired);
        tensor.push_back(c.tensor);
        what.push_back(c.what);
    }
    if (st.changes.empty())
        return;
    putArray(w, n, "change_layer", layer);
    putArray(w, n, "change_before", before);
    putArray(w, n, "change_after", after);
    putArray(w, n, "change_error_removed", removed);
    putArray(w, n, "change_error_repaired", repaired);
    w.strings(n, "change_tensor", tensor);
    w.strings(n, "change_what", what);
}

StructureRecord readStructure(const h5::Reader &r, const h5::Node &root)
{
    StructureRecord st;
    const h5::Node n = r.openGroup(root, "structure");
    st.layers = r.attrInt(n, "layers");
    st.heads = r.attrInt(n, "heads");
    st.kvHeads = r.attrInt(n, "kv_heads");
    st.ffnWidth = r.attrInt(n, "ffn_width");
    st.parametersBefore = r.attrInt(n, "parameters_before");
    st.parametersAfter = r.attrInt(n, "parameters_after");
    if (st.layers <= 0 || st.heads <= 0 || st.kvHeads <= 0 || st.heads % st.kvHeads != 0
        || st.ffnWidth <= 0)
        r.fail("/structure", "holds no valid shape (layers " + std::to_string(st.layers)
                                 + ", heads " + std::to_string(st.heads) + ", kv heads "
                                 + std::to_string(st.kvHeads) + ", ffn width "
                                 + std::to_string(st.ffnWidth) + ")");
    st.droppedBlocks = getArray<int64_t>(r, n, "dropped_blocks");
    const auto layer = getArray<int64_t>(r, n, "change_layer");
    const auto before = getArray<int64_t>(r, n, "change_before");
    const auto after = getArray<int64_t>(r, n, "change_after");
    const auto removed = getArray<double>(r, n, "change_error_removed");
    const auto repaired = getArray<double>(r, n, "change_error_repaired");
    const auto tensor = r.has(n, "change_tensor") ? r.strings(n, "change_tensor")
                                                  : std::vector<std::string>{};
    const auto what =
        r.has(n, "change_what") ? r.strings(n, "change_what") : std::vector<std::string>{};
    const size_t k = layer.size();
    if (before.size() != k || after.size() != k || removed.size() != k || repaired.size() != k
        || tensor.size() != k || what.size() != k)
        r.fail("/structure", "the change_* datasets differ in length");
    for (size_t i = 0; i < k; ++i)
        st.changes.push_back(
            {layer[i], tensor[i], what[i], before[i], after[i], removed[i], repaired[i]});
    return st;
}

} // namespace

namespace {

// The root's attributes, recipe, plan, totals and structure of `model` (its tensors are written
// apart, one by one).
void writeHeader(const h5::Writer &w, const CompressedModel &model)
{
    const h5::Node &root = w.root();
    w.attr(root, "schema", std::string_view(kArchiveSchema));
    w.attr(root, "schema_version", kArchiveSchemaVersion);
    w.attr(root, "created_by", std::string_view(createdBy()));
    w.attr(root, "source_path", std::string_view(model.sourcePath));
    w.attr(root, "source_format", std::string_view(model.sourceFormat));
    w.attr(root, "source_size", model.sourceFileSize);
    w.attr(root, "source_hash", std::string_view(model.sourceHash));
    w.attr(root, "calibration_source", std::string_view(model.calibrationSource));
    w.attr(root, "calibration_tokens", model.calibrationTokens);
    w.attr(root, "calibration_sequential", model.calibrationSequential);
    const std::vector<std::string> recipe{model.recipeJson}, plan{model.planJson};
    w.strings(root, "recipe", recipe);
    w.strings(root, "plan", plan);
    const h5::Node totals = w.createGroup(root, "totals");
    const CompressionTotals &t = model.totals;
    w.attr(totals, "tensors", t.tensors);
    w.attr(totals, "original_bytes", t.originalBytes);
    w.attr(totals, "compressed_bytes", t.compressedBytes);
    w.attr(totals, "parameters", t.parameters);
    w.attr(totals, "bits_per_weight", t.bitsPerWeight);
    w.attr(totals, "compression_ratio", t.compressionRatio);
    w.attr(totals, "seconds", t.seconds);
    if (model.structure.any())
        writeStructure(w, root, model.structure);
}

// Both writers: `produce` hands each tensor to the sink (written at once, under the HDF5 lock
// for that tensor only: the producer may read an HDF5 model meanwhile, from other threads) and
// returns the model whose header is written last.
void writeArchiveFrom(const std::string &path,
                      const std::function<const CompressedModel &(const ArchiveTensorSink &)> &produce)
{
    const std::string target = fs::absolute(fs::path(path)).string();
    writeFileAtomically(target, [&](const std::string &temp) {
        try {
            std::optional<h5::Writer> w;
            std::optional<h5::Node> tensors;
            {
                h5::Hdf5Lock lock;
                w.emplace(temp);
                tensors = w->createGroup(w->root(), "tensors");
            }
            // Ids must be released under the lock, also when the producer throws.
            struct Release {
                std::optional<h5::Writer> &w;
                std::optional<h5::Node> &n;
                ~Release()
                {
                    h5::Hdf5Lock lock;
                    n.reset();
                    w.reset();
                }
            } release{w, tensors};
            const ArchiveTensorSink sink = [&](const CompressedTensor &t) {
                h5::Hdf5Lock lock;
                writeTensor(*w, *tensors, t);
            };
            const CompressedModel &model = produce(sink);
            h5::Hdf5Lock lock;
            writeHeader(*w, model);
            tensors.reset();
            w->close();
        } catch (const Cancelled &) {
            throw;
        } catch (const Error &e) {
            throwIn(target, std::string("cannot write the archive: ") + e.what());
        }
    });
}

} // namespace

void writeArchive(const std::string &path, const CompressedModel &model, const JobContext &job)
{
    writeArchiveFrom(path, [&](const ArchiveTensorSink &sink) -> const CompressedModel & {
        for (size_t i = 0; i < model.tensors.size(); ++i) {
            job.checkCancelled();
            sink(model.tensors[i]);
            job.report(double(i + 1) / double(model.tensors.size()),
                       "writing " + model.tensors[i].canonical);
        }
        return model;
    });
}

CompressedModel writeArchiveStreamed(
    const std::string &path,
    const std::function<CompressedModel(const ArchiveTensorSink &)> &produce)
{
    CompressedModel made;
    writeArchiveFrom(path, [&](const ArchiveTensorSink &sink) -> const CompressedModel & {
        int64_t written = 0;
        made = produce([&](const CompressedTensor &t) {
            sink(t);
            ++written;
        });
        // The reader checks /totals @tensors against /tensors: a producer whose totals disagree
        // with what it handed over would leave an archive nobody can read.
        if (made.totals.tensors != written)
            throw Error("the totals count " + std::to_string(made.totals.tensors)
                        + " tensors but " + std::to_string(written) + " were written");
        return made;
    });
    return made;
}

CompressedModel readArchive(const std::string &path)
{
    h5::Hdf5Lock lock;
    h5::Reader r(path);
    const h5::Node &root = r.root();
    if (!r.hasAttr(root, "schema") || r.attrString(root, "schema") != kArchiveSchema)
        r.fail("/", "is not a Compression Workbench archive (no @schema \"cwb-archive\")");
    const int64_t version = r.attrInt(root, "schema_version");
    if (version != kArchiveSchemaVersion)
        r.fail("/", "archive schema version " + std::to_string(version)
                        + " is not readable by this build (it reads version "
                        + std::to_string(kArchiveSchemaVersion) + ")");
    CompressedModel m;
    m.sourcePath = r.attrString(root, "source_path");
    m.sourceFormat = r.attrString(root, "source_format");
    m.sourceFileSize = r.attrUInt(root, "source_size");
    m.sourceHash = r.attrString(root, "source_hash");
    m.calibrationSource = r.attrString(root, "calibration_source");
    m.calibrationTokens = r.attrInt(root, "calibration_tokens");
    if (r.hasAttr(root, "calibration_sequential")) // optional: older archives lack it
        m.calibrationSequential = r.attrBool(root, "calibration_sequential");
    m.recipeJson = singleString(r, root, "recipe");
    m.planJson = singleString(r, root, "plan");
    const h5::Node totals = r.openGroup(root, "totals");
    CompressionTotals &t = m.totals;
    t.tensors = r.attrInt(totals, "tensors");
    t.originalBytes = r.attrUInt(totals, "original_bytes");
    t.compressedBytes = r.attrUInt(totals, "compressed_bytes");
    t.parameters = r.attrUInt(totals, "parameters");
    t.bitsPerWeight = r.attrDouble(totals, "bits_per_weight");
    t.compressionRatio = r.attrDouble(totals, "compression_ratio");
    t.seconds = r.attrDouble(totals, "seconds");
    if (r.has(root, "structure")) // only archives whose plan removed structures
        m.structure = readStructure(r, root);
    const h5::Node tensors = r.openGroup(root, "tensors");
    for (const std::string &member : r.members(tensors))
        m.tensors.push_back(readTensor(r, tensors, member));
    std::sort(m.tensors.begin(), m.tensors.end(),
              [](const CompressedTensor &a, const CompressedTensor &b) { return a.index < b.index; });
    if (int64_t(m.tensors.size()) != t.tensors)
        r.fail("/totals", "@tensors = " + std::to_string(t.tensors) + " but /tensors holds "
                              + std::to_string(m.tensors.size()));
    return m;
}

bool isArchive(const std::string &path)
{
    std::error_code ec;
    if (!fs::is_regular_file(path, ec))
        return false;
    try {
        h5::Hdf5Lock lock;
        if (H5Fis_hdf5(path.c_str()) <= 0) {
            (void)h5::errorText();
            return false;
        }
        h5::Reader r(path);
        return r.hasAttr(r.root(), "schema") && r.attrString(r.root(), "schema") == kArchiveSchema;
    } catch (const Error &) {
        return false;
    }
}

OpenedArchive openArchive(const std::string &path, const std::string &sourceOverride)
{
    OpenedArchive out;
    out.compressed = readArchive(path);
    const CompressedModel &cm = out.compressed;
    std::string source = sourceOverride;
    if (source.empty()) {
        source = cm.sourcePath;
        std::error_code ec;
        const fs::path beside = fs::path(path).parent_path() / fs::path(cm.sourcePath).filename();
        if (!fs::exists(source, ec) && fs::exists(beside, ec))
            source = beside.string();
    }
    auto model = std::make_shared<Model>(io::openModel(source));
    const ModelFingerprint fp = fingerprintModel(*model);
    if (fp.fileSize != cm.sourceFileSize || fp.hashHex() != cm.sourceHash)
        throwIn(path, "was made from " + cm.sourcePath + " (" + std::to_string(cm.sourceFileSize)
                          + " bytes, hash " + cm.sourceHash + "), but " + source + " is "
                          + std::to_string(fp.fileSize) + " bytes with hash " + fp.hashHex());
    if (cm.structure.any()) {
        try {
            *model = structuredSource(*model, cm);
        } catch (const Error &e) {
            throwIn(path, e.what());
        }
    }
    for (const CompressedTensor &t : cm.tensors) {
        if (t.index >= model->tensors.size() || model->tensors[t.index].canonical != t.canonical)
            throwIn(path, "tensor " + t.canonical + " is not at index " + std::to_string(t.index)
                              + " of " + source);
        const Tensor &src = model->tensors[t.index];
        if (src.shape != t.shape)
            throwIn(path, "tensor " + t.canonical + " has shape " + std::to_string(t.rows) + " x "
                              + std::to_string(t.cols) + ", the source's is " + src.shapeString());
    }
    out.replacements = replacementsOf(cm);
    out.source = std::move(model);
    return out;
}

} // namespace cwb
