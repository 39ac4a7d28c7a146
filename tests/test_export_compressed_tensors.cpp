// SPDX-License-Identifier: MIT
// compressed-tensors export (core/export/compressed_tensors_export.h). The written directory is
// read here by code written from the format description (../shared/FORMATS.md) alone - a
// safetensors parser, fp16 / fp8 decoding, the int32 unpacking and the (q - zp) * scale rule -
// without calling the export's own decoder, and must give the archive's dequantized weights bit
// for bit. config.json's targets must resolve every Linear module to its planned scheme under
// vLLM's first-match rule and under compressed-tensors' exact > regex > class ranking. A plan that
// splits a fused set (q/k/v, gate/up) is refused naming the modules; forms without a
// compressed-tensors form go dense with a note; a preview writes nothing.

#include "export/export.h"
#include "export/export_result.h"
#include "io/open_model.h"
#include "pipeline/archive.h"
#include "pipeline/pipeline.h"
#include "recipe/recipe.h"
#include "recipe/resolve.h"
#include "test_support.h"
#include "util/error.h"

#include <nlohmann/json.hpp>

#include <QTemporaryDir>
#include <QTest>

#include <bit>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>

namespace fs = std::filesystem;

namespace {

// ---- A reader of the written directory, from the format description only ----

struct RawTensor {
    std::string dtype;
    std::vector<int64_t> shape;
    std::string bytes;
};

// safetensors: u64 header length, JSON header {name: {dtype, shape, data_offsets}}, data.
std::map<std::string, RawTensor> readSafetensors(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    const std::string all((std::istreambuf_iterator<char>(in)), {});
    uint64_t n = 0;
    std::memcpy(&n, all.data(), 8);
    const auto header = nlohmann::json::parse(all.substr(8, n));
    std::map<std::string, RawTensor> out;
    for (const auto &[name, e] : header.items()) {
        if (name == "__metadata__")
            continue;
        RawTensor t;
        t.dtype = e["dtype"].get<std::string>();
        t.shape = e["shape"].get<std::vector<int64_t>>();
        const auto begin = e["data_offsets"][0].get<uint64_t>();
        const auto end = e["data_offsets"][1].get<uint64_t>();
        t.bytes = all.substr(8 + n + begin, end - begin);
        out[name] = std::move(t);
    }
    return out;
}

uint32_t word(const RawTensor &t, size_t i)
{
    uint32_t w = 0;
    std::memcpy(&w, t.bytes.data() + 4 * i, 4);
    return w;
}

// IEEE binary16 -> float, from the bit layout (1 sign, 5 exponent bits biased 15, 10 fraction).
float halfToFloat(uint16_t h)
{
    const int sign = h >> 15, exp = (h >> 10) & 31, frac = h & 1023;
    float v = exp == 0 ? std::ldexp(float(frac), -24)
            : exp == 31 ? (frac ? NAN : INFINITY)
                        : std::ldexp(float(1024 + frac), exp - 25);
    return sign ? -v : v;
}

// OCP float8 E4M3FN: 1 sign, 4 exponent bits biased 7, 3 fraction; S.1111.111 is NaN.
float fp8ToFloat(uint8_t b)
{
    const int sign = b >> 7, exp = (b >> 3) & 15, frac = b & 7;
    float v = exp == 0 ? std::ldexp(float(frac), -9)
            : (exp == 15 && frac == 7) ? NAN
                                       : std::ldexp(float(8 + frac), exp - 10);
    return sign ? -v : v;
}

std::vector<float> floatsOf(const RawTensor &t)
{
    std::vector<float> v;
    const size_t width = t.dtype == "F32" ? 4 : t.dtype == "F16" ? 2 : 0;
    if (width == 0)
        qFatal("unexpected scale dtype %s", t.dtype.c_str());
    for (size_t i = 0; i < t.bytes.size() / width; ++i) {
        if (width == 4) {
            float f;
            std::memcpy(&f, t.bytes.data() + 4 * i, 4);
            v.push_back(f);
        } else {
            uint16_t h;
            std::memcpy(&h, t.bytes.data() + 2 * i, 2);
            v.push_back(halfToFloat(h));
        }
    }
    return v;
}

// Element k of a packed run of b-bit values: bits [k b, k b + b) of the LSB-first word stream.
uint32_t element(const RawTensor &t, size_t firstWord, int64_t k, int bits)
{
    uint32_t v = 0;
    for (int i = 0; i < bits; ++i) {
        const int64_t bit = k * bits + i;
        v |= ((word(t, firstWord + size_t(bit / 32)) >> (bit % 32)) & 1u) << i;
    }
    return v;
}

struct Scheme {
    std::string format, type, strategy;
    int bits = 0;
    bool symmetric = true;
    int64_t group = 0;
    bool operator==(const Scheme &) const = default;
};

// The weight of module P decoded per FORMATS.md.
std::vector<float> decodeReference(const std::map<std::string, RawTensor> &f, const std::string &p,
                                   const Scheme &s, int64_t &out, int64_t &in)
{
    std::vector<float> w;
    if (s.format == "float-quantized") {
        const RawTensor &weight = f.at(p + ".weight");
        if (weight.dtype != "F8_E4M3")
            qFatal("%s.weight is %s", p.c_str(), weight.dtype.c_str());
        out = weight.shape[0];
        in = weight.shape[1];
        const std::vector<float> scale = floatsOf(f.at(p + ".weight_scale"));
        for (int64_t r = 0; r < out; ++r)
            for (int64_t c = 0; c < in; ++c)
                w.push_back(fp8ToFloat(uint8_t(weight.bytes[size_t(r * in + c)]))
                            * scale[s.strategy == "tensor" ? 0 : size_t(r)]);
        return w;
    }
    const RawTensor &shape = f.at(p + ".weight_shape");
    if (shape.dtype != "I64" || shape.shape != std::vector<int64_t>{2})
        qFatal("%s.weight_shape is %s", p.c_str(), shape.dtype.c_str());
    std::memcpy(&out, shape.bytes.data(), 8);
    std::memcpy(&in, shape.bytes.data() + 8, 8);
    const int b = s.bits;
    const int64_t wordsPerRow = (in * b + 31) / 32;
    const RawTensor &packed = f.at(p + ".weight_packed");
    if (packed.dtype != "I32" || packed.shape != std::vector<int64_t>{out, wordsPerRow})
        qFatal("%s.weight_packed has the wrong type or shape", p.c_str());
    const int64_t perRow = s.strategy == "group" ? in / s.group : 1;
    const std::vector<float> scale = floatsOf(f.at(p + ".weight_scale"));
    if (f.at(p + ".weight_scale").shape != std::vector<int64_t>{out, perRow})
        qFatal("%s.weight_scale has the wrong shape", p.c_str());
    const int64_t offset = int64_t(1) << (b - 1);
    for (int64_t r = 0; r < out; ++r)
        for (int64_t c = 0; c < in; ++c) {
            const int64_t g = s.strategy == "group" ? c / s.group : 0;
            const int64_t q = int64_t(element(packed, size_t(r * wordsPerRow), c, b)) - offset;
            int64_t zp = 0;
            if (!s.symmetric) {
                // Packed down each column: zero point of (row r, group g) is element r of
                // column g, columns of ceil(out b / 32) words stored row-major.
                const RawTensor &z = f.at(p + ".weight_zero_point");
                const int64_t zRows = (out * b + 31) / 32;
                if (z.dtype != "I32" || z.shape != std::vector<int64_t>{zRows, perRow})
                    qFatal("%s.weight_zero_point has the wrong type or shape", p.c_str());
                uint32_t u = 0;
                for (int i = 0; i < b; ++i) {
                    const int64_t bit = r * b + i;
                    u |= ((word(z, size_t((bit / 32) * perRow + g)) >> (bit % 32)) & 1u) << i;
                }
                zp = int64_t(u) - offset;
            }
            w.push_back(float(q - zp) * scale[size_t(r * perRow + g)]);
        }
    return w;
}

// ---- The two target-resolution rules ----

using OrderedJson = nlohmann::ordered_json;

// Python re.match: the pattern must match at the start of the name (not necessarily the end).
bool reMatch(const std::string &pattern, const std::string &name)
{
    return std::regex_search(name, std::regex(pattern), std::regex_constants::match_continuous);
}

bool entryMatches(const std::string &entry, const std::string &name)
{
    return entry.starts_with("re:") ? reMatch(entry.substr(3), name) : entry == name;
}

bool ignored(const OrderedJson &qc, const std::string &module)
{
    for (const auto &e : qc["ignore"])
        if (entryMatches(e.get<std::string>(), module))
            return true;
    return false;
}

// vLLM: the first group in file order with a matching target. "" = dense.
std::string firstMatch(const OrderedJson &qc, const std::string &module)
{
    if (ignored(qc, module))
        return "";
    for (const auto &[group, g] : qc["config_groups"].items())
        for (const auto &t : g["targets"])
            if (entryMatches(t.get<std::string>(), module))
                return group;
    return "unmatched";
}

// compressed-tensors: an exact name beats a regex, regexes are taken in sorted order, a class
// name ("Linear") comes last.
std::string ranked(const OrderedJson &qc, const std::string &module)
{
    if (ignored(qc, module))
        return "";
    std::vector<std::pair<std::string, std::string>> regexes; // {target, group}
    std::string exact, byClass;
    for (const auto &[group, g] : qc["config_groups"].items())
        for (const auto &tj : g["targets"]) {
            const std::string t = tj.get<std::string>();
            if (t == module)
                exact = group;
            else if (t.starts_with("re:") && reMatch(t.substr(3), module))
                regexes.emplace_back(t, group);
            else if (t == "Linear")
                byClass = group;
        }
    if (!exact.empty())
        return exact;
    if (!regexes.empty())
        return std::min_element(regexes.begin(), regexes.end())->second;
    return byClass.empty() ? "unmatched" : byClass;
}

Scheme schemeOf(const OrderedJson &g)
{
    const auto &w = g["weights"];
    Scheme s;
    s.format = g["format"].get<std::string>();
    s.type = w["type"].get<std::string>();
    s.strategy = w["strategy"].get<std::string>();
    s.bits = w["num_bits"].get<int>();
    s.symmetric = w["symmetric"].get<bool>();
    s.group = w["group_size"].is_null() ? 0 : w["group_size"].get<int64_t>();
    if (!w["actorder"].is_null() || w["dynamic"].get<bool>() || !g["input_activations"].is_null())
        qFatal("not a static weight-only scheme");
    return s;
}

// ---- Building archives ----

cwb::CompressedModel compressWith(const cwb::Model &m, const char *recipe,
                                  const std::string &calibration = {})
{
    cwb::PlanOptions o;
    o.calibration = !calibration.empty();
    const cwb::Plan plan = cwb::resolvePlan(cwb::parseRecipeLenient(recipe, "recipe"), m, o);
    cwb::CompressParams params;
    params.recipeJson = recipe;
    params.outputError = false;
    params.calibrationPath = calibration;
    params.calibration.sequences = 8;
    params.calibration.tokensPerSequence = 128;
    return cwb::compressModel(m, plan, params);
}

cwb::ExportRequest requestFor(const cwb::Model &m, const std::string &out,
                              const cwb::CompressedModel *c)
{
    cwb::ExportRequest r;
    r.target = cwb::ExportTarget::CompressedTensors;
    r.model = &m;
    r.compressed = c;
    r.outPath = out;
    return r;
}

// gptq on layer 5's q/k/v (symmetric int4 g32, static groups), int4 g32 on the other attention
// inputs, int8 per-channel outputs, int4 g128 asymmetric gate/up, int8 per-channel down with
// layer 1 asymmetric, nf4 (no form: dense) on layer 2, fp8 per-channel / per-tensor on 3 / 4.
const char *kMixedRecipe = R"({"version": 1, "rules": [
    {"match": "layers.*.attn.*", "methods":
        [{"method": "rtn", "params": {"bits": 4, "group": 32, "sym": true}}]},
    {"match": "layers.5.attn.*", "methods":
        [{"method": "gptq", "params": {"bits": 4, "group": 32, "sym": true}}]},
    {"match": "layers.*.attn.o", "methods":
        [{"method": "rtn", "params": {"bits": 8, "group": -1, "sym": true}}]},
    {"match": "layers.*.mlp.*", "methods":
        [{"method": "rtn", "params": {"bits": 4, "group": 128, "sym": false}}]},
    {"match": "layers.*.mlp.down", "methods":
        [{"method": "rtn", "params": {"bits": 8, "group": -1, "sym": true}}]},
    {"match": "layers.1.mlp.down", "methods":
        [{"method": "rtn", "params": {"bits": 8, "group": -1, "sym": false}}]},
    {"match": "layers.2.mlp.down", "methods": [{"method": "nf4"}]},
    {"match": "layers.3.mlp.down", "methods":
        [{"method": "fp8_e4m3", "params": {"granularity": "per-channel"}}]},
    {"match": "layers.4.mlp.down", "methods":
        [{"method": "fp8_e4m3", "params": {"granularity": "per-tensor"}}]}]})";

// What the recipe above plans for a module; nullopt = dense (in `ignore`).
std::optional<Scheme> plannedScheme(int layer, const std::string &role)
{
    const auto intGrid = [](int bits, bool sym, int64_t group) {
        return Scheme{"pack-quantized", "int", group ? "group" : "channel", bits, sym, group};
    };
    if (role == "q_proj" || role == "k_proj" || role == "v_proj")
        return intGrid(4, true, 32);
    if (role == "o_proj")
        return intGrid(8, true, 0);
    if (role == "gate_proj" || role == "up_proj")
        return intGrid(4, false, 128);
    if (layer == 2)
        return std::nullopt;
    if (layer == 3 || layer == 4)
        return Scheme{"float-quantized", "float", layer == 3 ? "channel" : "tensor", 8, true, 0};
    return intGrid(8, layer != 1, 0);
}

const cwb::ExportedTensor *rowOf(const cwb::ExportResult &r, const std::string &prefix)
{
    for (const auto &t : r.tensors)
        if (t.name.starts_with(prefix))
            return &t;
    return nullptr;
}

} // namespace

class TestExportCompressedTensors : public QObject {
    Q_OBJECT

private slots:
    void mixedArchiveDecodesExactly();
    void interleavedSourcePermutesPackedRows();
    void awqFoldedAndExplicitScales();
    void splitFusedSetsAreRefused();
    void previewWritesNothing();
    void aModelWithoutGridsIsRefused();
};

void TestExportCompressedTensors::mixedArchiveDecodesExactly()
{
    CWB_SHARED_FILE(dev, "models/dev256");
    CWB_SHARED_FILE(calib, "data/dev256/calib.txt");
    const cwb::Model m = cwb::io::openModel(dev);
    QTemporaryDir dir;
    const std::string archivePath = dir.filePath(QStringLiteral("mixed.cwbarchive")).toStdString();
    cwb::writeArchive(archivePath, compressWith(m, kMixedRecipe, calib));
    const cwb::OpenedArchive archive = cwb::openArchive(archivePath);
    const std::string out = dir.filePath(QStringLiteral("ct")).toStdString();
    const cwb::ExportResult r =
        cwb::runExport(requestFor(*archive.source, out, &archive.compressed));
    std::printf("%s", cwb::exportText(r).c_str());
    QVERIFY(r.written && r.verified);

    const auto config = OrderedJson::parse(std::ifstream(out + "/config.json"));
    const OrderedJson &qc = config["quantization_config"];
    QCOMPARE(qc["quant_method"].get<std::string>(), std::string("compressed-tensors"));
    QCOMPARE(qc["format"].get<std::string>(), std::string("mixed-precision"));
    QCOMPARE(qc["quantization_status"].get<std::string>(), std::string("compressed"));
    QVERIFY(qc["version"].is_string());
    QCOMPARE(config["torch_dtype"].get<std::string>(), std::string("float16"));
    const auto file = readSafetensors(out + "/model.safetensors");
    for (const auto &[name, t] : file)
        QVERIFY2(!name.ends_with("weight_g_idx"), name.c_str()); // contiguous groups only

    int packed = 0, dense = 0;
    for (int layer = 0; layer < 6; ++layer) {
        for (const std::string role : {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj",
                                       "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj",
                                       "mlp.down_proj"}) {
            const std::string module = "model.layers." + std::to_string(layer) + "." + role;
            const std::string shortRole = role.substr(role.find('.') + 1);
            const std::optional<Scheme> want = plannedScheme(layer, shortRole);
            // Both resolution rules give the planned scheme.
            const std::string first = firstMatch(qc, module);
            QCOMPARE(ranked(qc, module), first);
            const char *canonicalRole = shortRole == "q_proj"      ? "attn.q"
                                      : shortRole == "k_proj"      ? "attn.k"
                                      : shortRole == "v_proj"      ? "attn.v"
                                      : shortRole == "o_proj"      ? "attn.o"
                                      : shortRole == "gate_proj"   ? "mlp.gate"
                                      : shortRole == "up_proj"     ? "mlp.up"
                                                                   : "mlp.down";
            const cwb::CompressedTensor *ct = archive.compressed.find(
                "layers." + std::to_string(layer) + "." + canonicalRole);
            QVERIFY2(ct && ct->weight, module.c_str());
            if (!want) {
                QCOMPARE(first, std::string()); // in `ignore`
                const RawTensor &w = file.at(module + ".weight");
                QCOMPARE(w.dtype, std::string("F32"));
                const std::vector<float> values = floatsOf(w);
                QVERIFY2(values == ct->reconstruct(), module.c_str());
                const cwb::ExportedTensor *row = rowOf(r, module);
                QVERIFY(row && row->fate == cwb::ExportFate::NotExpressible);
                QVERIFY2(row->note.find("nf4") != std::string::npos, row->note.c_str());
                ++dense;
                continue;
            }
            QVERIFY2(first != "" && first != "unmatched", module.c_str());
            QVERIFY2(schemeOf(qc["config_groups"][first]) == *want, module.c_str());
            // The independent decoder gives the archive's dequantized weights bit for bit.
            int64_t rows = 0, cols = 0;
            const std::vector<float> decoded = decodeReference(file, module, *want, rows, cols);
            QCOMPARE(rows, ct->rows);
            QCOMPARE(cols, ct->cols);
            const std::vector<float> archiveValues = ct->weight->quant.dequantize();
            QVERIFY2(std::memcmp(decoded.data(), archiveValues.data(), decoded.size() * 4) == 0
                         && decoded.size() == archiveValues.size(),
                     module.c_str());
            QVERIFY(!file.contains(module + ".weight") || want->format == "float-quantized");
            QVERIFY(rowOf(r, module)->exact());
            ++packed;
        }
    }
    QCOMPARE(packed, 41);
    QCOMPARE(dense, 1);
    // lm_head (tied here) resolves to dense under both rules too.
    QCOMPARE(firstMatch(qc, "lm_head"), std::string());
    QCOMPARE(ranked(qc, "lm_head"), std::string());
    // Targets are anchored at both ends, one module each.
    for (const auto &[group, g] : qc["config_groups"].items())
        for (const auto &t : g["targets"]) {
            const std::string s = t.get<std::string>();
            QVERIFY2(s.starts_with("re:^") && s.ends_with("$"), s.c_str());
        }
    // Everything else is dense and as the engine uses it: norms and the embedding F32.
    QCOMPARE(floatsOf(file.at("model.norm.weight")),
             archive.source->findTensor("final_norm")->toFloat());
    std::printf("dev256 mixed archive: %d modules packed and decoded bit for bit by the test's "
                "own reader, %d dense (nf4)\n", packed, dense);
}

void TestExportCompressedTensors::interleavedSourcePermutesPackedRows()
{
    CWB_SHARED_FILE(bin, "models/stories260K/stories260K.bin");
    const cwb::Model m = cwb::io::openModel(bin);
    // 4-bit per-channel asymmetric everywhere: 172-wide rows end inside a word, 172-row gate/up
    // put their zero points in 22 words down each column.
    const cwb::CompressedModel c = compressWith(m, R"({"version": 1, "rules": [
        {"match": "layers.*.*", "methods":
            [{"method": "rtn", "params": {"bits": 4, "group": -1, "sym": false}}]}]})");
    QTemporaryDir dir;
    const std::string out = dir.filePath(QStringLiteral("ct")).toStdString();
    const cwb::ExportResult r = cwb::runExport(requestFor(m, out, &c));
    QVERIFY(r.verified);
    const auto file = readSafetensors(out + "/model.safetensors");
    const Scheme s{"pack-quantized", "int", "channel", 4, false, 0};
    const int64_t headDim = m.hparams.headDim;
    for (int layer = 0; layer < 5; ++layer)
        for (const std::string role : {"q", "k", "v", "o", "gate", "up", "down"}) {
            const bool attn = role.size() == 1;
            const std::string module = "model.layers." + std::to_string(layer)
                                     + (attn ? ".self_attn." + role + "_proj"
                                             : ".mlp." + role + "_proj");
            const cwb::CompressedTensor *ct = c.find("layers." + std::to_string(layer)
                                                     + (attn ? ".attn." : ".mlp.") + role);
            QVERIFY(ct);
            int64_t rows = 0, cols = 0;
            const std::vector<float> decoded = decodeReference(file, module, s, rows, cols);
            const std::vector<float> archiveValues = ct->weight->quant.dequantize();
            // HF row h d + i d/2 + j is llama2.c row h d + 2j + i (q and k only).
            const bool rope = role == "q" || role == "k";
            for (int64_t row = 0; row < rows; ++row) {
                int64_t from = row;
                if (rope) {
                    const int64_t h = row / headDim, within = row % headDim;
                    const int64_t i = within / (headDim / 2), j = within % (headDim / 2);
                    from = h * headDim + 2 * j + i;
                }
                QVERIFY2(std::memcmp(decoded.data() + row * cols,
                                     archiveValues.data() + from * cols, size_t(cols) * 4) == 0,
                         qPrintable(QStringLiteral("%1 row %2")
                                        .arg(QString::fromStdString(module)).arg(row)));
            }
        }
    QCOMPARE(file.at("model.layers.0.mlp.gate_proj.weight_zero_point").shape,
             (std::vector<int64_t>{22, 1}));
    QCOMPARE(file.at("model.layers.0.mlp.down_proj.weight_packed").shape,
             (std::vector<int64_t>{64, 22}));
}

void TestExportCompressedTensors::awqFoldedAndExplicitScales()
{
    CWB_SHARED_FILE(dev, "models/dev256");
    CWB_SHARED_FILE(calib, "data/dev256/calib.txt");
    const cwb::Model m = cwb::io::openModel(dev);
    // q/k/v and gate/up share their norm's scales, folded into it; o and down keep explicit
    // input multipliers.
    const cwb::CompressedModel c = compressWith(m, R"({"version": 1, "rules": [
        {"match": "layers.*.*", "methods": [{"method": "awq", "params": {"bits": 4,
                                                                          "group": 32}}]}]})",
                                                calib);
    QTemporaryDir dir;
    const std::string out = dir.filePath(QStringLiteral("ct")).toStdString();
    const cwb::ExportResult r = cwb::runExport(requestFor(m, out, &c));
    const auto file = readSafetensors(out + "/model.safetensors");
    const Scheme s{"pack-quantized", "int", "group", 4, false, 32};
    int folded = 0, explicitScales = 0, changedNorms = 0;
    for (const cwb::CompressedTensor &ct : c.tensors) {
        if (ct.shape.size() == 1) {
            // The norm carries the scales: written as the archive has it, not as the source.
            const std::string name = ct.canonical.ends_with("attn_norm")
                                         ? "input_layernorm" : "post_attention_layernorm";
            const std::string layer = ct.canonical.substr(7, ct.canonical.find('.', 7) - 7);
            const std::vector<float> v =
                floatsOf(file.at("model.layers." + layer + "." + name + ".weight"));
            QVERIFY2(v == ct.reconstruct(), ct.canonical.c_str());
            changedNorms += v != m.findTensor(ct.canonical)->toFloat() ? 1 : 0;
            continue;
        }
        const cwb::ExportedTensor *row = nullptr;
        for (const auto &t : r.tensors)
            if (t.name.starts_with(ct.name.substr(0, ct.name.rfind('.'))))
                row = &t;
        QVERIFY2(row, ct.name.c_str());
        if (!ct.foldedScales.empty()) {
            // The stored codes (of W diag(s)) packed: what the engine multiplies the folded
            // norm's output with, bit for bit.
            int64_t rows = 0, cols = 0;
            const std::string module = ct.name.substr(0, ct.name.rfind('.'));
            const std::vector<float> decoded = decodeReference(file, module, s, rows, cols);
            QVERIFY2(decoded == ct.weight->quant.dequantize(), module.c_str());
            QVERIFY(row->exact());
            ++folded;
        } else {
            QVERIFY2(!ct.weight->inputScales.empty(), ct.name.c_str());
            QCOMPARE(row->fate, cwb::ExportFate::Converted);
            QVERIFY2(row->note.find("explicit input multipliers") != std::string::npos,
                     row->note.c_str());
            QVERIFY(floatsOf(file.at(ct.name)) == ct.reconstruct());
            ++explicitScales;
        }
    }
    std::printf("awq: %d modules packed with their scales folded into the norms (%d norms "
                "changed by it; alpha 0 folds ones), %d with explicit multipliers written dense\n",
                folded, changedNorms, explicitScales);
    QCOMPARE(folded, 6 * 5);
    QVERIFY(changedNorms > 0);
    QCOMPARE(explicitScales, 6 * 2);
}

void TestExportCompressedTensors::splitFusedSetsAreRefused()
{
    CWB_SHARED_FILE(dev, "models/dev256");
    const cwb::Model m = cwb::io::openModel(dev);
    QTemporaryDir dir;
    const std::string out = dir.filePath(QStringLiteral("ct")).toStdString();
    const struct {
        const char *recipe;
        std::vector<std::string> modules;
    } cases[] = {
        {R"({"version": 1, "rules": [
            {"match": "layers.*.attn.*", "methods":
                [{"method": "rtn", "params": {"bits": 4, "group": 32}}]},
            {"match": "layers.3.attn.k", "methods":
                [{"method": "rtn", "params": {"bits": 4, "group": 128}}]}]})",
         {"model.layers.3.self_attn.q_proj", "model.layers.3.self_attn.k_proj",
          "model.layers.3.self_attn.v_proj"}},
        {R"({"version": 1, "rules": [
            {"match": "layers.*.mlp.*", "methods":
                [{"method": "rtn", "params": {"bits": 8, "group": -1}}]},
            {"match": "layers.0.mlp.gate", "methods": [{"method": "nf4"}]}]})",
         {"model.layers.0.mlp.gate_proj", "model.layers.0.mlp.up_proj"}},
    };
    for (const auto &[recipe, modules] : cases) {
        const cwb::CompressedModel c = compressWith(m, recipe);
        for (const bool preview : {true, false}) {
            cwb::ExportRequest r = requestFor(m, out, &c);
            r.preview = preview;
            const std::string e = cwbtest::errorOf([&] { (void)cwb::runExport(r); });
            std::printf("refused: %s\n", e.c_str());
            QVERIFY2(e.find("fused") != std::string::npos, e.c_str());
            for (const auto &module : modules)
                QVERIFY2(e.find(module) != std::string::npos, e.c_str());
            QVERIFY(!fs::exists(out));
        }
    }
}

void TestExportCompressedTensors::previewWritesNothing()
{
    CWB_SHARED_FILE(dev, "models/dev256");
    const cwb::Model m = cwb::io::openModel(dev);
    const cwb::CompressedModel c = compressWith(m, R"({"version": 1, "rules": [
        {"match": "layers.*.*", "methods":
            [{"method": "rtn", "params": {"bits": 4, "group": 64, "sym": false}}]},
        {"match": "layers.*.mlp.down", "methods": [{"method": "q4_k"}]},
        {"match": "layers.*.attn.o", "methods":
            [{"method": "rtn", "params": {"bits": 3, "group": 64}}]}]})");
    QTemporaryDir dir;
    const std::string out = dir.filePath(QStringLiteral("ct")).toStdString();
    cwb::ExportRequest r = requestFor(m, out, &c);
    r.preview = true;
    const cwb::ExportResult preview = cwb::runExport(r);
    QVERIFY(!preview.written && preview.files.empty() && !fs::exists(out));
    r.preview = false;
    const cwb::ExportResult real = cwb::runExport(r);
    QCOMPARE(preview.tensors.size(), real.tensors.size());
    for (size_t i = 0; i < real.tensors.size(); ++i) {
        QCOMPARE(preview.tensors[i].name, real.tensors[i].name);
        QCOMPARE(preview.tensors[i].written, real.tensors[i].written);
        QCOMPARE(preview.tensors[i].fate, real.tensors[i].fate);
    }
    // ggml blocks and 3-bit codes have no compressed-tensors form: dense, said so.
    const cwb::ExportedTensor *down = rowOf(real, "model.layers.0.mlp.down_proj");
    const cwb::ExportedTensor *o = rowOf(real, "model.layers.0.self_attn.o_proj");
    QVERIFY(down && o);
    QCOMPARE(down->fate, cwb::ExportFate::NotExpressible);
    QVERIFY2(down->note.find("Q4_K") != std::string::npos, down->note.c_str());
    QCOMPARE(o->fate, cwb::ExportFate::NotExpressible);
    QVERIFY2(o->note.find("int3") != std::string::npos, o->note.c_str());
    QCOMPARE(rowOf(real, "model.layers.0.mlp.up_proj")->written,
             std::string("pack-quantized int4 g64 asym"));
}

void TestExportCompressedTensors::aModelWithoutGridsIsRefused()
{
    CWB_SHARED_FILE(dev, "models/dev256");
    const cwb::Model m = cwb::io::openModel(dev);
    QTemporaryDir dir;
    const std::string out = dir.filePath(QStringLiteral("ct")).toStdString();
    const std::string e =
        cwbtest::errorOf([&] { (void)cwb::runExport(requestFor(m, out, nullptr)); });
    QVERIFY2(e.find("no tensor has a compressed-tensors form") != std::string::npos, e.c_str());
    QVERIFY(!fs::exists(out));
}

QTEST_GUILESS_MAIN(TestExportCompressedTensors)
#include "test_export_compressed_tensors.moc"
