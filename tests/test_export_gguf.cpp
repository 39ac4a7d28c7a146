// SPDX-License-Identifier: MIT
// GGUF export (core/export): stories260K from its llama2.c .bin and from the HF safetensors
// directory, reopened with our reader, evaluates to the source's perplexity; an archive of dev256
// with a mixed recipe (q4_k / q6_k / q8_0 blocks, an rtn grid, F32 norms) comes back bit for bit;
// llama.cpp's own llama-perplexity on our exports gives our engine's perplexity within 0.1%;
// hostile output paths and a cancelled export leave nothing behind.

#include "eval/evaluation.h"
#include "export/gguf_export.h"
#include "export/export_result.h"
#include "io/gguf_reader.h"
#include "io/open_model.h"
#include "jobs/job_context.h"
#include "pipeline/archive.h"
#include "pipeline/pipeline.h"
#include "pipeline/run_inputs.h"
#include "recipe/recipe.h"
#include "recipe/resolve.h"
#include "test_support.h"
#include "util/error.h"

#include <nlohmann/json.hpp>

#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

namespace fs = std::filesystem;

namespace {

constexpr const char *kText = "data/tinystories/tinystories_validation_head.txt";
// The reference protocol of reference/llamacpp_figures.json ("tinystories_c256_chunks100").
constexpr int64_t kCtx = 256;
constexpr int64_t kChunks = 100;

double ourPerplexity(const cwb::Model &m, const std::string &text, int64_t chunks,
                     const cwb::OpenedArchive *archive = nullptr, bool emulateQ8 = false,
                     int threads = 2)
{
    cwb::EvalParams p;
    p.model = &m;
    if (archive)
        cwb::useArchive(p, *archive, "archive");
    p.textPath = text;
    p.nCtx = kCtx;
    p.chunks = chunks;
    p.threads = threads;
    p.emulateQ8 = emulateQ8;
    return cwb::runEvaluation(p).ppl;
}

cwb::ExportResult exportTo(const cwb::Model &m, const std::string &out,
                               const cwb::CompressedModel *c = nullptr,
                               cwb::DType floatType = cwb::DType::F32)
{
    cwb::GgufExportParams p;
    p.model = &m;
    p.compressed = c;
    p.outPath = out;
    p.floatType = floatType;
    return cwb::exportGguf(p);
}

// "Final estimate: PPL = 3.8867 +/- 0.06301" from llama-perplexity, or a failure naming why.
// One thread: the figure does not depend on it, and with two on a loaded 2-core machine ggml's
// spinning barrier makes the run ~20x slower (16.8 s instead of 0.8 s for 10 windows).
double llamaPerplexity(const std::string &model, const std::string &text, int64_t chunks,
                       QString &problem)
{
    const std::string tool = cwbtest::sharedDir() + "/tools/llama.cpp/llama-perplexity";
    if (!fs::exists(tool)) {
        problem = QStringLiteral("llama-perplexity not found at %1")
                      .arg(QString::fromStdString(tool));
        return 0;
    }
    QProcess proc;
    proc.setProcessChannelMode(QProcess::MergedChannels);
    proc.start(QString::fromStdString(tool),
               {QStringLiteral("-m"), QString::fromStdString(model), QStringLiteral("-f"),
                QString::fromStdString(text), QStringLiteral("-c"), QString::number(kCtx),
                QStringLiteral("-b"), QString::number(kCtx), QStringLiteral("--chunks"),
                QString::number(chunks), QStringLiteral("-t"), QStringLiteral("1")});
    if (!proc.waitForFinished(120000) || proc.exitCode() != 0) {
        problem = QStringLiteral("%1 failed: %2").arg(QString::fromStdString(tool),
                                                     QString::fromUtf8(proc.readAll().right(2000)));
        return 0;
    }
    const QString out = QString::fromUtf8(proc.readAll());
    const auto match =
        QRegularExpression(QStringLiteral("Final estimate: PPL = ([0-9.]+)")).match(out);
    if (!match.hasMatch()) {
        problem = QStringLiteral("no final estimate in: %1").arg(out.right(2000));
        return 0;
    }
    return match.captured(1).toDouble();
}

std::vector<std::string> filesIn(const std::string &dir)
{
    std::vector<std::string> names;
    for (const auto &e : fs::directory_iterator(dir))
        names.push_back(e.path().filename().string());
    return names;
}

// A mixed recipe over dev256: k-quants and Q8_0 (ggml blocks, copied), symmetric rtn grids in
// groups of 32 (repacked into Q8_0 / Q4_0 / Q5_0), nf4 (no ggml form: dequantized), norms kept
// F32.
// The rules of the mixed recipes below, before their last one.
const std::string kMixedRules = R"(
    {"match": "layers.*.attn.*", "methods": [{"method": "q4_k"}]},
    {"match": "layers.*.mlp.*", "methods": [{"method": "q6_k"}]},
    {"match": "layers.0.mlp.down", "methods":
        [{"method": "rtn", "params": {"bits": 8, "group": 32}}]},
    {"match": "layers.1.mlp.down", "methods":
        [{"method": "rtn", "params": {"bits": 4, "group": 32}}]},
    {"match": "layers.2.mlp.down", "methods": [{"method": "nf4"}]},
    {"match": "layers.3.mlp.down", "methods":
        [{"method": "rtn", "params": {"bits": 5, "group": 32}}]},)";
const std::string kMixedRecipe = R"({"version": 1, "rules": [)" + kMixedRules + R"(
    {"match": "embed", "methods": [{"method": "q8_0"}]}]})";

// The mixed recipe plus gptq 4-bit g32 (symmetric: repacked into Q4_0) on layers.4.mlp.down and
// AWQ onto Q4_K / Q6_K for the projections reading layer 5's two norms (the scales fold into the
// norms, so the file holds the scaled blocks and the divided norms), calibrated on dev256's
// calibration text.
const std::string kAwqGgml = R"([{"method": "awq_ggml", "params": {"type": "q4_k"}}]})";
const std::string kAwqGgml6 = R"([{"method": "awq_ggml", "params": {"type": "q6_k"}}]})";
const std::string kMixedGptqRecipe = R"({"version": 1, "rules": [)" + kMixedRules + R"(
    {"match": "layers.4.mlp.down", "methods":
        [{"method": "gptq", "params": {"bits": 4, "group": 32, "sym": true}}]},
    {"match": "layers.5.attn.q", "methods": )" + kAwqGgml + R"(,
    {"match": "layers.5.attn.k", "methods": )" + kAwqGgml + R"(,
    {"match": "layers.5.attn.v", "methods": )" + kAwqGgml + R"(,
    {"match": "layers.5.mlp.gate", "methods": )" + kAwqGgml6 + R"(,
    {"match": "layers.5.mlp.up", "methods": )" + kAwqGgml6 + R"(,
    {"match": "embed", "methods": [{"method": "q8_0"}]}]})";

// Forms GGUF holds only approximately: asymmetric grids (Q4_1 / Q5_1 with a rounded minimum),
// nf4 and awq with explicit input multipliers (re-quantized), an rtn 3-bit grid.
const char *kApproximateRecipe = R"({"version": 1, "rules": [
    {"match": "layers.*.attn.*", "methods": [{"method": "q4_k"}]},
    {"match": "layers.*.mlp.*", "methods": [{"method": "q6_k"}]},
    {"match": "layers.0.mlp.down", "methods":
        [{"method": "rtn", "params": {"bits": 4, "group": 32, "sym": false}}]},
    {"match": "layers.1.mlp.down", "methods":
        [{"method": "rtn", "params": {"bits": 5, "group": 32, "sym": false}}]},
    {"match": "layers.2.mlp.down", "methods": [{"method": "nf4"}]},
    {"match": "layers.3.mlp.down", "methods":
        [{"method": "awq", "params": {"bits": 4, "group": 32}}]},
    {"match": "layers.4.mlp.down", "methods":
        [{"method": "rtn", "params": {"bits": 3, "group": 32}}]}]})";

cwb::CompressedModel compressWith(const cwb::Model &m, const char *recipe,
                                  const std::string &calibration = {})
{
    cwb::PlanOptions o;
    o.calibration = !calibration.empty();
    const cwb::Plan plan =
        cwb::resolvePlan(cwb::parseRecipeLenient(recipe, "mixed recipe"), m, o);
    cwb::CompressParams params;
    params.recipeJson = recipe;
    params.outputError = false;
    params.calibrationPath = calibration;
    params.calibration.sequences = 8;
    params.calibration.tokensPerSequence = 128;
    return cwb::compressModel(m, plan, params);
}

cwb::CompressedModel compressMixed(const cwb::Model &m)
{
    return compressWith(m, kMixedRecipe.c_str());
}

} // namespace

class TestExportGguf : public QObject {
    Q_OBJECT

private slots:
    void storiesExportsEvaluateLikeTheSource_data();
    void storiesExportsEvaluateLikeTheSource();
    void mixedArchiveReloadsBitExact();
    void llamaPerplexityAgreesWithOurEngine();
    void approximateFormsSayTheirError();
    void hostilePathsAndCancellation();
};

void TestExportGguf::storiesExportsEvaluateLikeTheSource_data()
{
    QTest::addColumn<QString>("relative");
    QTest::newRow("llama2c-bin") << QStringLiteral("models/stories260K/stories260K.bin");
    QTest::newRow("hf-directory") << QStringLiteral("models/stories260K-hf-derived");
}

void TestExportGguf::storiesExportsEvaluateLikeTheSource()
{
    QFETCH(QString, relative);
    CWB_SHARED_FILE(path, relative.toUtf8().constData());
    CWB_SHARED_FILE(text, kText);
    CWB_SHARED_FILE(tok, "models/stories260K/tok512.bin");
    CWB_SHARED_FILE(original, "models/stories260K/stories260K.gguf");
    cwb::Model source = cwb::io::openModel(path);
    if (source.tokenizer.kind.empty()) // the derived HF directory has no tokenizer files
        source.tokenizer = {"llama2c-bin", {tok}};
    QTemporaryDir dir;
    const std::string out = dir.filePath(QStringLiteral("stories.gguf")).toStdString();
    const cwb::ExportResult r = exportTo(source, out);
    std::printf("%s", cwb::exportText(r).c_str());
    QCOMPARE(r.tensors.size(), size_t(47)); // tied head: no output.weight
    QCOMPARE(r.exactCount(), int64_t(47));

    const cwb::io::GgufFile f = [&] {
        std::ifstream in(out, std::ios::binary);
        std::vector<char> bytes((std::istreambuf_iterator<char>(in)), {});
        return cwb::io::parseGguf(std::as_bytes(std::span(bytes)), out);
    }();
    QCOMPARE(f.version, uint32_t(3));
    // The value types llama.cpp's loader checks.
    const std::pair<const char *, const char *> types[] = {
        {"general.architecture", "string"}, {"llama.context_length", "u32"},
        {"llama.embedding_length", "u32"}, {"llama.block_count", "u32"},
        {"llama.feed_forward_length", "u32"}, {"llama.attention.head_count", "u32"},
        {"llama.attention.head_count_kv", "u32"}, {"llama.rope.dimension_count", "u32"},
        {"llama.rope.freq_base", "f32"}, {"llama.attention.layer_norm_rms_epsilon", "f32"},
        {"tokenizer.ggml.model", "string"}, {"tokenizer.ggml.tokens", "array[string]"},
        {"tokenizer.ggml.scores", "array[f32]"}, {"tokenizer.ggml.token_type", "array[i32]"},
        {"tokenizer.ggml.bos_token_id", "u32"}, {"tokenizer.ggml.eos_token_id", "u32"},
        {"general.file_type", "u32"}, {"general.quantization_version", "u32"}};
    for (const auto &[key, type] : types) {
        const cwb::MetaValue *v = f.findMeta(key);
        QVERIFY2(v, key);
        QVERIFY2(v->typeName == type,
                 qPrintable(QStringLiteral("%1 is %2")
                                .arg(QString::fromUtf8(key), QString::fromStdString(v->typeName))));
    }
    QCOMPARE(f.findMeta("llama.attention.head_count_kv")->asInt(), int64_t(4));
    QCOMPARE(f.findMeta("tokenizer.ggml.tokens")->array.size(), size_t(512));

    // Q/K in GGUF order: every tensor equals llama.cpp's own conversion of the model.
    const cwb::Model exported = cwb::io::openModel(out);
    const cwb::Model reference = cwb::io::openModel(original);
    for (const cwb::Tensor &t : exported.tensors) {
        const cwb::Tensor *ref = reference.findTensor(t.name);
        QVERIFY2(ref, t.name.c_str());
        QVERIFY2(t.toFloat() == ref->toFloat(), t.name.c_str());
    }

    // The same weights (checked above) and the same tokens; the figure still moves by ~1e-9
    // between the two files (float sums in a different order on the two loading paths).
    const double ours = ourPerplexity(source, text, 20, nullptr, false, 1);
    const double back = ourPerplexity(exported, text, 20, nullptr, false, 1);
    std::printf("%s: source ppl %.6f, exported GGUF ppl %.6f\n", path.c_str(), ours, back);
    QVERIFY2(std::fabs(back / ours - 1) < 1e-7,
             qPrintable(QStringLiteral("%1 vs %2").arg(back, 0, 'g', 17)
                                          .arg(ours, 0, 'g', 17)));
}

void TestExportGguf::mixedArchiveReloadsBitExact()
{
    CWB_SHARED_FILE(path, "models/dev256");
    const cwb::Model m = cwb::io::openModel(path);
    const cwb::CompressedModel c = compressMixed(m);
    QTemporaryDir dir;
    const std::string archivePath = dir.filePath(QStringLiteral("mixed.cwbarchive")).toStdString();
    cwb::writeArchive(archivePath, c);
    const cwb::OpenedArchive archive = cwb::openArchive(archivePath);
    const std::string out = dir.filePath(QStringLiteral("mixed.gguf")).toStdString();
    const cwb::ExportResult r = exportTo(*archive.source, out, &archive.compressed);
    std::printf("%s", cwb::exportText(r).c_str());
    QCOMPARE(r.tensors.size(), size_t(56));
    QCOMPARE(r.exactCount(), int64_t(56)); // F32 holds every dequantized value exactly

    const cwb::Model back = cwb::io::openModel(out);
    std::map<std::string, int> written;
    for (const cwb::ExportedTensor &t : r.tensors)
        ++written[t.written];
    QCOMPARE(written["Q4_K"], 24); // q, k, v, o of 6 layers
    QCOMPARE(written["Q6_K"], 14); // gate, up, down of 6 layers but four mlp.down
    QCOMPARE(written["Q8_0"], 2);  // token_embd, and rtn 8-bit repacked
    QCOMPARE(written["Q4_0"], 1);  // rtn 4-bit repacked
    QCOMPARE(written["Q5_0"], 1);  // rtn 5-bit repacked
    QCOMPARE(written["F32"], 14);  // 13 norms + the nf4 tensor dequantized
    QCOMPARE(back.findTensor("blk.0.ffn_down.weight")->dtype, cwb::DType::Q8_0);
    QCOMPARE(back.findTensor("blk.1.ffn_down.weight")->dtype, cwb::DType::Q4_0);
    QCOMPARE(back.findTensor("blk.2.ffn_down.weight")->dtype, cwb::DType::F32);
    QCOMPARE(back.findTensor("blk.3.ffn_down.weight")->dtype, cwb::DType::Q5_0);
    // Block tensors are the archive's bytes (after the Q/K row permutation for HF order).
    const cwb::CompressedTensor *gate = archive.compressed.find("layers.2.mlp.gate");
    QVERIFY(gate && gate->weight);
    QVERIFY(back.findTensor("blk.2.ffn_gate.weight")->copyBytes() == gate->weight->bytes);
    QVERIFY(back.findTensor("token_embd.weight")->copyBytes()
            == archive.compressed.find("embed")->weight->bytes);
    // Q/K: the file's rows, permuted back, are the archive's.
    const cwb::CompressedTensor *q = archive.compressed.find("layers.1.attn.q");
    const std::vector<float> fileQ = back.findTensor("blk.1.attn_q.weight")->toFloat();
    const std::vector<float> archiveQ = q->reconstruct();
    const int64_t hd = m.hparams.headDim, cols = q->cols;
    for (int64_t h = 0; h < m.hparams.nHeads; ++h)
        for (int64_t j = 0; j < hd / 2; ++j)
            for (int64_t i = 0; i < 2; ++i)
                for (int64_t col = 0; col < cols; ++col)
                    QCOMPARE(fileQ[size_t((h * hd + 2 * j + i) * cols + col)],
                             archiveQ[size_t((h * hd + i * hd / 2 + j) * cols + col)]);

    // With F16 floats, the nf4 tensor is rounded (and says so); blocks and norms stay exact.
    const std::string half = dir.filePath(QStringLiteral("mixed-f16.gguf")).toStdString();
    const cwb::ExportResult h = exportTo(*archive.source, half, &archive.compressed,
                                             cwb::DType::F16);
    for (const cwb::ExportedTensor &t : h.tensors) {
        const bool nf4 = t.name == "blk.2.ffn_down.weight";
        QVERIFY2(t.exact() == !nf4, t.name.c_str());
        if (nf4) {
            QCOMPARE(t.written, std::string("F16"));
            QVERIFY(t.maxAbsError > 0 && t.maxAbsError < 1e-3);
        }
    }
}

void TestExportGguf::llamaPerplexityAgreesWithOurEngine()
{
    CWB_SHARED_FILE(bin, "models/stories260K/stories260K.bin");
    CWB_SHARED_FILE(text, kText);
    QTemporaryDir dir;
    const cwb::Model source = cwb::io::openModel(bin);
    const std::string out = dir.filePath(QStringLiteral("stories.gguf")).toStdString();
    (void)exportTo(source, out);
    QString problem;
    const double theirs = llamaPerplexity(out, text, kChunks, problem);
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
    const double ours = ourPerplexity(source, text, kChunks);
    std::printf("stories260K F32: llama-perplexity %.4f, ours %.4f\n", theirs, ours);
    // And the figure llama.cpp gives on its own conversion (reference/llamacpp_figures.json).
    CWB_SHARED_FILE(figures, "reference/llamacpp_figures.json");
    const double reference = nlohmann::json::parse(std::ifstream(figures))["perplexity"]
        ["stories260K-F32"]["tinystories_c256_chunks100"]["ppl"].get<double>();
    QCOMPARE(std::round(theirs * 1e4) / 1e4, reference);
    QVERIFY2(std::fabs(theirs / ours - 1) < 1e-3,
             qPrintable(QStringLiteral("llama-perplexity %1, ours %2").arg(theirs).arg(ours)));

    // The mixed dev256 archive (q4_k / q6_k / q8_0 blocks, rtn 8/5/4-bit and gptq 4-bit grids
    // repacked, nf4 dequantized, F32 norms): llama.cpp quantizes activations to Q8 for its block
    // dot products, so our engine emulates that.
    CWB_SHARED_FILE(dev, "models/dev256");
    CWB_SHARED_FILE(calib, "data/dev256/calib.txt");
    const cwb::Model m = cwb::io::openModel(dev);
    const std::string archivePath = dir.filePath(QStringLiteral("mixed.cwbarchive")).toStdString();
    cwb::writeArchive(archivePath, compressWith(m, kMixedGptqRecipe.c_str(), calib));
    const cwb::OpenedArchive archive = cwb::openArchive(archivePath);
    const std::string mixed = dir.filePath(QStringLiteral("mixed.gguf")).toStdString();
    const cwb::ExportResult exported = exportTo(*archive.source, mixed, &archive.compressed);
    const cwb::Model mixedModel = cwb::io::openModel(mixed);
    QCOMPARE(mixedModel.findTensor("blk.4.ffn_down.weight")->dtype,
             cwb::DType::Q4_0); // gptq's symmetric g32 codes, repacked
    // AWQ onto ggml grids: the scales folded into both norms of layer 5, the blocks as stored.
    for (const char *name : {"layers.5.attn.v", "layers.5.mlp.up"}) {
        const cwb::CompressedTensor *t = archive.compressed.find(name);
        QVERIFY2(t && t->weight && t->weight->inputScales.empty() && !t->foldedScales.empty(),
                 name);
        QCOMPARE(t->weight->kind, cwb::StoredMatrix::Kind::Ggml);
    }
    QVERIFY(mixedModel.findTensor("blk.5.attn_v.weight")->copyBytes()
            == archive.compressed.find("layers.5.attn.v")->weight->bytes);
    QCOMPARE(mixedModel.findTensor("blk.5.ffn_up.weight")->dtype, cwb::DType::Q6_K);
    QVERIFY(archive.compressed.find("layers.5.attn_norm") != nullptr);
    QCOMPARE(exported.exactCount(), int64_t(exported.tensors.size()));
    const int64_t devChunks = 10;
    const double theirsMixed = llamaPerplexity(mixed, text, devChunks, problem);
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
    const double oursMixed = ourPerplexity(*archive.source, text, devChunks, &archive, true);
    std::printf("dev256 mixed archive: llama-perplexity %.4f, ours (emulate-q8) %.4f\n",
                theirsMixed, oursMixed);
    QVERIFY2(std::fabs(theirsMixed / oursMixed - 1) < 1e-3,
             qPrintable(QStringLiteral("llama-perplexity %1, ours %2").arg(theirsMixed)
                            .arg(oursMixed)));
}

void TestExportGguf::approximateFormsSayTheirError()
{
    CWB_SHARED_FILE(dev, "models/dev256");
    CWB_SHARED_FILE(calib, "data/dev256/calib.txt");
    CWB_SHARED_FILE(text, kText);
    const cwb::Model m = cwb::io::openModel(dev);
    QTemporaryDir dir;
    const std::string archivePath = dir.filePath(QStringLiteral("approx.cwbarchive")).toStdString();
    cwb::writeArchive(archivePath, compressWith(m, kApproximateRecipe, calib));
    const cwb::OpenedArchive archive = cwb::openArchive(archivePath);

    // The preview decides the same types and writes nothing.
    const std::string out = dir.filePath(QStringLiteral("approx.gguf")).toStdString();
    cwb::GgufExportParams p;
    p.model = archive.source.get();
    p.compressed = &archive.compressed;
    p.outPath = out;
    p.requantize = cwb::DType::Q4_K;
    p.preview = true;
    const cwb::ExportResult preview = cwb::exportGguf(p);
    QVERIFY(!preview.written && !fs::exists(out));
    p.preview = false;
    const cwb::ExportResult r = cwb::exportGguf(p);
    std::printf("%s", cwb::exportText(r).c_str());
    QCOMPARE(preview.tensors.size(), r.tensors.size());
    for (size_t i = 0; i < r.tensors.size(); ++i)
        QCOMPARE(preview.tensors[i].written, r.tensors[i].written);

    const auto row = [&](const std::string &name) -> const cwb::ExportedTensor & {
        for (const auto &t : r.tensors)
            if (t.name == name)
                return t;
        qFatal("no row %s", name.c_str());
    };
    // Asymmetric grids: the same codes and scales, the minimum rounded to fp16 once, so the
    // error is a fraction of the grid's step (the rtn rounding itself is ~100x larger).
    for (const auto &[name, type, canonical] :
         {std::tuple{"blk.0.ffn_down.weight", "Q4_1", "layers.0.mlp.down"},
          std::tuple{"blk.1.ffn_down.weight", "Q5_1", "layers.1.mlp.down"}}) {
        const cwb::ExportedTensor &t = row(name);
        QCOMPARE(t.written, std::string(type));
        const cwb::CompressedTensor *ct = archive.compressed.find(canonical);
        float maxScale = 0;
        for (int64_t i = 0; i < ct->weight->quant.scaleCount(); ++i)
            maxScale = std::max(maxScale, ct->weight->quant.scaleAt(i));
        std::printf("%s: max |error| %.3g, largest grid step %.3g\n", name, t.maxAbsError,
                    double(maxScale));
        // |m| <= 15 (31) steps of the group's scale; fp16 rounds it to 11 significant bits.
        QVERIFY2(t.maxAbsError <= double(maxScale) * 31 / 2048, name);
    }
    // nf4, awq's explicit multipliers and the 3-bit grid have no GGUF form: re-quantized to
    // Q4_K from the values the engine uses, the error measured and said.
    for (const char *name : {"blk.2.ffn_down.weight", "blk.3.ffn_down.weight",
                             "blk.4.ffn_down.weight"}) {
        const cwb::ExportedTensor &t = row(name);
        QCOMPARE(t.written, std::string("Q4_K"));
        QCOMPARE(t.fate, cwb::ExportFate::Converted);
        QVERIFY2(t.maxAbsError > 0 && t.maxAbsError < 0.5, name);
        QVERIFY2(t.note.find("re-quantized to Q4_K") != std::string::npos, t.note.c_str());
    }
    QVERIFY(row("blk.3.ffn_down.weight").note.find("AWQ's input multipliers folded")
            != std::string::npos);

    // llama.cpp decodes Q4_1 / Q5_1 as we do: its perplexity on the file is our engine's on the
    // same file (not the archive: the re-quantized tensors differ from it by design).
    QString problem;
    const double theirs = llamaPerplexity(out, text, 10, problem);
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
    const cwb::Model back = cwb::io::openModel(out);
    const double ours = ourPerplexity(back, text, 10, nullptr, true);
    std::printf("approximate forms: llama-perplexity %.4f, ours on the file (emulate-q8) %.4f\n",
                theirs, ours);
    QVERIFY2(std::fabs(theirs / ours - 1) < 1e-3,
             qPrintable(QStringLiteral("llama-perplexity %1, ours %2").arg(theirs).arg(ours)));

    // Rows that fit no block of the requested type fall back as llama-quantize does:
    // stories260K's 64-wide rows take Q5_0 for Q4_K, its 172-wide rows F16.
    CWB_SHARED_FILE(bin, "models/stories260K/stories260K.bin");
    const cwb::Model stories = cwb::io::openModel(bin);
    const char *rtn3 = R"({"version": 1, "defaults": {"methods": [{"method": "rtn",
        "params": {"bits": 3, "group": -1}}]}})";
    const cwb::CompressedModel small = compressWith(stories, rtn3);
    p.model = &stories;
    p.compressed = &small;
    p.outPath = dir.filePath(QStringLiteral("stories-rtn3.gguf")).toStdString();
    const cwb::ExportResult fallback = cwb::exportGguf(p);
    int q50 = 0, f16 = 0;
    for (const auto &t : fallback.tensors) {
        if (t.name.find("ffn_down") != std::string::npos) {
            QCOMPARE(t.written, std::string("F16")); // 172 columns: no block fits
            ++f16;
        } else if (t.name.ends_with("_norm.weight")) {
            QCOMPARE(t.written, std::string("F32"));
        } else {
            QCOMPARE(t.written, std::string("Q5_0")); // 64 columns: Q4_K's fallback
            QVERIFY2(t.note.find("as llama-quantize falls back") != std::string::npos,
                     t.note.c_str());
            ++q50;
        }
    }
    QCOMPARE(f16, 5);
    QCOMPARE(q50, 5 * 6 + 1); // q k v o gate up per layer, and token_embd
}

void TestExportGguf::hostilePathsAndCancellation()
{
    CWB_SHARED_FILE(bin, "models/stories260K/stories260K.bin");
    const cwb::Model m = cwb::io::openModel(bin);
    QTemporaryDir dir;
    const std::string root = dir.path().toStdString();

    // The output path is an existing directory.
    const std::string sub = root + "/existing";
    fs::create_directory(sub);
    std::string e = cwbtest::errorOf([&] { (void)exportTo(m, sub); });
    QVERIFY2(e.find(sub) != std::string::npos && e.find("is a directory") != std::string::npos,
             e.c_str());

    // A read-only location (root ignores directory permissions, and nobody creates files in /proc).
    const std::string ro = root + "/readonly";
    fs::create_directory(ro);
    fs::permissions(ro, fs::perms::owner_read | fs::perms::owner_exec);
    const std::string roOut = (::geteuid() == 0 ? std::string("/proc") : ro) + "/model.gguf";
    e = cwbtest::errorOf([&] { (void)exportTo(m, roOut); });
    QVERIFY2(e.find(roOut) != std::string::npos, e.c_str());
    QVERIFY(!fs::exists(roOut));
    QVERIFY(filesIn(ro).empty());
    fs::permissions(ro, fs::perms::owner_all);

    // Cancelled while planning, and while writing: no file, no temporary file, and a previous
    // file under the same name is left as it was.
    const std::string out = root + "/model.gguf";
    {
        std::ofstream(out) << "previous";
    }
    // A write that fails after the data went out (a full disk at close, a failed sync): the
    // error names the file, the previous file stays, no temporary file is left.
    for (const std::string point : {"closed", "synced"}) {
        cwb::GgufExportParams p;
        p.model = &m;
        p.outPath = out;
        p.writeHooks.failpoint = [&](std::string_view at) {
            if (at == point)
                throw cwb::Error(out + ": No space left on device (simulated at " + point + ")");
        };
        e = cwbtest::errorOf([&] { (void)cwb::exportGguf(p); });
        QVERIFY2(e.find(out) != std::string::npos, e.c_str());
        std::ifstream in(out);
        std::string content;
        std::getline(in, content);
        QCOMPARE(content, std::string("previous"));
        for (const auto &n : filesIn(root))
            QVERIFY2(n.find(".tmp-") == std::string::npos, n.c_str());
    }
    for (const std::string stage : {"tensor", "writing", "verifying"}) {
        std::atomic<bool> cancel{false};
        cwb::JobContext job;
        job.cancelFlag = &cancel;
        job.progress = [&](double, const std::string &what) {
            if (what.starts_with(stage))
                cancel = true;
        };
        cwb::GgufExportParams p;
        p.model = &m;
        p.outPath = out;
        bool cancelled = false;
        try {
            (void)cwb::exportGguf(p, job);
        } catch (const cwb::Cancelled &) {
            cancelled = true;
        }
        QVERIFY2(cancelled, stage.c_str());
        std::ifstream in(out);
        std::string content;
        std::getline(in, content);
        QCOMPARE(content, std::string("previous"));
        const auto names = filesIn(root);
        for (const auto &n : names)
            QVERIFY2(n.find(".tmp-") == std::string::npos, n.c_str());
    }
}

QTEST_GUILESS_MAIN(TestExportGguf)
#include "test_export_gguf.moc"
