// SPDX-License-Identifier: MIT
// The compression pipeline end to end on stories260K (TinyStories text, llama.cpp protocol,
// n_ctx 256, 40 windows): recipes resolved and run over the model, written to a .cwbarchive,
// read back and evaluated. Checks: every stage and storage kind survives the archive bit for bit
// (the perplexity through the archive equals the in-memory one to float summation order); pruning quality at 50%
// unstructured and 2:4 (sparsegpt <= wanda <= magnitude); a bad plan fails before any work with
// every problem listed; cancelling leaves no file; an archive written while the tensors are made
// (nothing held afterwards) reads back as the one written whole; hostile archives are refused by
// name.

#include "compress/compressed_model.h"
#include "eval/dense_linear.h"
#include "eval/evaluation.h"
#include "eval/linear_weights.h"
#include "h5/h5_store.h"
#include "h5/hdf5_lock.h"
#include "io/open_model.h"
#include "jobs/job_context.h"
#include "pipeline/archive.h"
#include "pipeline/pipeline.h"
#include "recipe/recipe.h"
#include "recipe/resolve.h"
#include "test_support.h"
#include "util/error.h"

#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

namespace {

constexpr const char *kModel = "models/stories260K/stories260K.gguf";
constexpr const char *kText = "data/tinystories/tinystories_validation_head.txt";

cwb::CompressParams smallCalibration(const std::string &text)
{
    cwb::CompressParams p;
    p.calibrationPath = text;
    p.calibration.sequences = 32;
    p.calibration.tokensPerSequence = 256;
    return p;
}

cwb::Plan planOf(const std::string &json, const cwb::Model &m, bool calibration = true)
{
    cwb::PlanOptions o;
    o.calibration = calibration;
    return cwb::resolvePlan(cwb::parseRecipeLenient(json, "test recipe"), m, o);
}

double perplexity(const cwb::Model &m, const std::string &text,
                  const cwb::CompressedReplacements &r)
{
    cwb::EvalParams p;
    p.model = &m;
    p.textPath = text;
    p.nCtx = 256;
    p.chunks = 40;
    p.replacements = r.matrices;
    p.vectorReplacements = r.vectors;
    return cwb::runEvaluation(p).ppl;
}

double perplexity(const cwb::Model &m, const std::string &text, const cwb::CompressedModel &c)
{
    return perplexity(m, text, cwb::replacementsOf(c));
}

std::string pruneRecipe(const std::string &method, const std::string &pattern)
{
    const std::string params = pattern == "50%" ? R"({"sparsity": 0.5})"
                                                : R"({"nm": ")" + pattern + R"("})";
    return R"({"version": 1, "rules": [{"match": "layers.*", "methods": [{"method": ")" + method
           + R"(", "params": )" + params + "}]}]}";
}

} // namespace

class TestCompressPipeline : public QObject {
    Q_OBJECT

private slots:
    void everyStageSurvivesTheArchive();
    void awqFoldKeepsTheFunction();
    void pruningQuality();
    void badPlanFailsBeforeWork();
    void cancelLeavesNoFile();
    void streamedArchiveEqualsTheWholeOne();
    void releasedPagesReadBackTheSame();
    void hostileArchivesAreRefused();
};

void TestCompressPipeline::everyStageSurvivesTheArchive()
{
    CWB_SHARED_FILE(path, kModel);
    CWB_SHARED_FILE(text, kText);
    const cwb::Model m = cwb::io::openModel(path);
    // One layer per family of storage: rtn/gptq/awq grids, NF4 with double quantization, FP8,
    // MX/NV FP4, ternary, ggml blocks with an importance matrix, an offset ggml type after
    // pruning (mask applied when decoding), SVD and ASVD factors, a norm in F16, the head in
    // Q8_0 and the embedding in Q5_0. (Rows of 64 and 172 values: no k-quant fits this model;
    // test_ggml_quantize covers those.)
    const std::string recipe = R"({"version": 1,
      "rules": [
        {"match": "layers.0.attn.*", "methods": [{"method": "gptq", "params": {"bits": 4, "group": 32}}]},
        {"match": "layers.0.mlp.*", "methods": [{"method": "awq", "params": {"bits": 4, "group": -1, "alpha_grid": 5}}]},
        {"match": "layers.1.attn.*", "methods": [{"method": "nf4", "params": {"block_size": 64, "double_quant": true, "dq_block_size": 64}}]},
        {"match": "layers.1.mlp.*", "methods": [{"method": "fp8_e4m3", "params": {"granularity": "per-channel"}}]},
        {"match": "layers.2.attn.*", "methods": [{"method": "mxfp4"}]},
        {"match": "layers.2.mlp.gate", "methods": [{"method": "nvfp4"}]},
        {"match": "layers.2.mlp.up", "methods": [{"method": "ternary", "params": {"packing": "base3"}}]},
        {"match": "layers.3.attn.*", "methods": [{"method": "q4_0", "params": {"imatrix": true}}]},
        {"match": "layers.3.mlp.gate", "methods": [{"method": "magnitude", "params": {"sparsity": 0.3}}, {"method": "q4_1"}]},
        {"match": "layers.3.mlp.up", "methods": [{"method": "wanda", "params": {"nm": "2:4"}}, {"method": "gptq", "params": {"bits": 8, "group": -1}}]},
        {"match": "layers.4.attn.q", "methods": [{"method": "svd", "params": {"rank": 32}}, {"method": "rtn", "params": {"bits": 8, "group": 32}}]},
        {"match": "layers.4.attn.k", "methods": [{"method": "asvd", "params": {"energy": 0.99}}]},
        {"match": "layers.4.mlp.*", "methods": [{"method": "sparsegpt", "params": {"sparsity": 0.25}}, {"method": "rtn", "params": {"bits": 8, "group": -1}}]}
      ],
      "overrides": {"layers.4.mlp_norm": {"methods": [{"method": "f16"}]},
                    "head": {"methods": [{"method": "q8_0"}]},
                    "embed": {"methods": [{"method": "q5_0"}]}}})";
    const cwb::Plan plan = planOf(recipe, m);
    QVERIFY2(plan.valid(), plan.errors.empty() ? "" : plan.errors[0].text().c_str());

    size_t streamed = 0;
    const cwb::CompressedModel c = cwb::compressModel(
        m, plan, smallCalibration(text), {},
        [&](const cwb::CompressedTensor &, size_t done, size_t total) {
            ++streamed;
            QCOMPARE(done, streamed);
            QVERIFY(total >= done);
        });
    QCOMPARE(streamed, c.tensors.size());
    // 35 matrices less layers.{2,3}.mlp.down and layers.4.attn.{v,o}, plus a norm, the
    // embedding and the head (a tied copy in this file, planned apart from the embedding), and
    // layers.0.mlp_norm holding the folded AWQ scales.
    QCOMPARE(c.tensors.size(), size_t(35));

    const cwb::CompressedTensor *gate3 = c.find("layers.3.mlp.gate");
    QVERIFY(gate3 && gate3->mask && gate3->mask->applyWhenDecoding);
    const std::vector<float> w3 = gate3->reconstruct();
    int64_t zeros = 0;
    for (float v : w3)
        zeros += v == 0.0f;
    QVERIFY2(zeros >= int64_t(0.3 * double(w3.size())) - gate3->rows, qPrintable(QString::number(zeros)));
    const cwb::CompressedTensor *up3 = c.find("layers.3.mlp.up");
    QVERIFY(up3 && !up3->mask); // gptq's grid holds the zeros: no mask needed
    QVERIFY(std::abs(up3->report.sparsity - 0.5) < 1e-9);
    const std::vector<float> wu = up3->reconstruct();
    for (size_t g = 0; g < wu.size(); g += 4) {
        int nz = 0;
        for (size_t k = 0; k < 4; ++k)
            nz += wu[g + k] != 0.0f;
        QVERIFY2(nz <= 2, qPrintable(QStringLiteral("group at %1 has %2 non-zeros").arg(g).arg(nz)));
    }
    QCOMPARE(c.find("layers.4.attn.q")->report.rank, int64_t(32));
    QVERIFY(c.find("layers.4.attn.k")->factorA.has_value());
    // gate and up read mlp_norm's output and are planned alike: one scale, folded into the norm;
    // down has no norm before it and keeps its multiplier.
    const cwb::CompressedTensor *up0 = c.find("layers.0.mlp.up");
    QVERIFY(up0->weight->inputScales.empty());
    QCOMPARE(up0->foldedScales.size(), size_t(64));
    QCOMPARE(c.find("layers.0.mlp.gate")->foldedScales, up0->foldedScales);
    QVERIFY(c.find("layers.0.mlp_norm") != nullptr);
    QCOMPARE(c.find("layers.0.mlp.down")->weight->inputScales.size(), size_t(172));
    for (const cwb::CompressedTensor &t : c.tensors) {
        QCOMPARE(t.report.storedBytes, t.storedBytes());
        if (t.shape.size() == 2) // what the engine counts as the weight's memory
            QCOMPARE(t.linear()->storedBytes(), t.storedBytes());
        // A norm holding folded AWQ scales computes the same function: no error to report.
        const bool foldedNorm = t.plan.starts_with("keep (AWQ");
        QVERIFY2(foldedNorm ? t.report.relativeError == 0.0
                            : t.report.relativeError > 0 && t.report.relativeError < 1.0,
                 t.canonical.c_str());
        if (t.canonical.starts_with("layers.") && t.shape.size() == 2)
            QVERIFY2(t.report.outputError >= 0, t.canonical.c_str());
        std::printf("  %-18s %-28s %8.3f bpw  rel %.4f  out %.4f\n", t.canonical.c_str(),
                    t.report.format.c_str(), t.report.bitsPerWeight, t.report.relativeError,
                    t.report.outputError);
    }

    QTemporaryDir dir;
    const std::string archive = dir.filePath(QStringLiteral("mixed.cwbarchive")).toStdString();
    cwb::writeArchive(archive, c);
    QVERIFY(cwb::isArchive(archive));
    QVERIFY(!cwb::isArchive(path));
    const cwb::OpenedArchive opened = cwb::openArchive(archive);
    QCOMPARE(opened.compressed.tensors.size(), c.tensors.size());
    QCOMPARE(opened.compressed.totals.compressedBytes, c.totals.compressedBytes);
    for (size_t i = 0; i < c.tensors.size(); ++i)
        QVERIFY2(opened.compressed.tensors[i].reconstruct() == c.tensors[i].reconstruct(),
                 c.tensors[i].canonical.c_str());

    const double inMemory = perplexity(m, text, c);
    const double throughArchive = perplexity(*opened.source, text, opened.replacements);
    std::printf("mixed recipe: %.3f bits/weight, ppl in memory %.6f, through the archive %.6f\n",
                c.totals.bitsPerWeight, inMemory, throughArchive);
    // The same stored bytes (checked above); the engines differ only in where their float
    // buffers sit, which can change Eigen's vectorized summation order in the last bits.
    QVERIFY2(std::abs(throughArchive - inMemory) <= 1e-6 * inMemory,
             qPrintable(QStringLiteral("%1 vs %2").arg(throughArchive, 0, 'g', 12).arg(inMemory, 0, 'g', 12)));
    QVERIFY(inMemory < 20.0);
}

void TestCompressPipeline::awqFoldKeepsTheFunction()
{
    CWB_SHARED_FILE(path, kModel);
    CWB_SHARED_FILE(text, kText);
    const cwb::Model m = cwb::io::openModel(path);
    const cwb::Plan plan = planOf(
        R"({"version": 1, "rules": [{"match": "layers.*", "methods": [{"method": "awq", "params": {"bits": 3, "group": -1, "alpha_grid": 10}}]}]})",
        m);
    QVERIFY(plan.valid());
    const cwb::CompressedModel folded = cwb::compressModel(m, plan, smallCalibration(text));
    // Every layer's attn_norm and mlp_norm hold the scales of the projections after them.
    int norms = 0;
    for (const auto &t : folded.tensors)
        norms += t.canonical.ends_with("_norm") ? 1 : 0;
    QCOMPARE(norms, 10);
    QCOMPARE(folded.tensors.size(), size_t(45));

    // The same weights as plain dense matrices with the original norms: the folded form must
    // compute the same function (up to float rounding of x / s).
    cwb::CompressedReplacements dense;
    for (const auto &t : folded.tensors)
        if (t.shape.size() == 2)
            dense.matrices[t.canonical] =
                std::make_shared<cwb::DenseLinear>(t.reconstruct(), t.rows, t.cols);
    const double viaFold = perplexity(m, text, folded);
    const double viaDense = perplexity(m, text, dense);
    std::printf("awq 3-bit per channel: folded %.6f, dense equivalent %.6f\n", viaFold, viaDense);
    QVERIFY2(std::abs(viaFold - viaDense) <= 1e-4 * viaDense,
             qPrintable(QStringLiteral("%1 vs %2").arg(viaFold).arg(viaDense)));

    // Folding uses one joint scale per norm: the projections after a norm share it.
    QCOMPARE(folded.find("layers.2.attn.q")->foldedScales, folded.find("layers.2.attn.v")->foldedScales);
    QVERIFY(folded.find("layers.2.attn.o")->foldedScales.empty());
    QVERIFY(!folded.find("layers.2.attn.o")->weight->inputScales.empty());
}

void TestCompressPipeline::pruningQuality()
{
    CWB_SHARED_FILE(path, kModel);
    CWB_SHARED_FILE(text, kText);
    const cwb::Model m = cwb::io::openModel(path);
    const double base = perplexity(m, text, cwb::CompressedReplacements{});
    std::printf("stories260K base ppl %.4f\n", base);
    for (const std::string pattern : {"50%", "2:4"}) {
        std::map<std::string, double> ppl;
        for (const std::string method : {"magnitude", "wanda", "sparsegpt"}) {
            const cwb::Plan plan = planOf(pruneRecipe(method, pattern), m);
            QVERIFY2(plan.valid(), plan.errors.empty() ? "" : plan.errors[0].text().c_str());
            const cwb::CompressedModel c = cwb::compressModel(m, plan, smallCalibration(text));
            for (const auto &t : c.tensors)
                QVERIFY2(std::abs(t.report.sparsity - 0.5) < 1e-9, t.canonical.c_str());
            ppl[method] = perplexity(m, text, c);
        }
        std::printf("  %s: magnitude %.4f, wanda %.4f, sparsegpt %.4f\n", pattern.c_str(),
                    ppl["magnitude"], ppl["wanda"], ppl["sparsegpt"]);
        QVERIFY2(ppl["sparsegpt"] <= ppl["wanda"] && ppl["wanda"] <= ppl["magnitude"],
                 pattern.c_str());
    }
}

void TestCompressPipeline::badPlanFailsBeforeWork()
{
    CWB_SHARED_FILE(path, kModel);
    const cwb::Model m = cwb::io::openModel(path);
    // Unknown tensor, unknown method, a group not dividing 172, N:M on 172 columns (not a
    // multiple of 8), rank too large, bits out of range, gptq without calibration.
    const std::string recipe = R"({"version": 1,
      "rules": [{"match": "layers.*", "methods": [{"method": "gptq", "params": {"bits": 4, "group": 32}}]},
                {"match": "layers.0.mlp.down", "methods": [{"method": "magnitude", "params": {"nm": "4:8"}}]},
                {"match": "layers.1.attn.q", "methods": [{"method": "svd", "params": {"rank": 65}}]},
                {"match": "layers.2.attn.q", "methods": [{"method": "rtn", "params": {"bits": 9}}]},
                {"match": "layers.3.attn.q", "methods": [{"method": "zip"}]}],
      "overrides": {"layers.9.attn.q": {"methods": [{"method": "rtn"}]}}})";
    const cwb::Plan plan = planOf(recipe, m, false);
    QVERIFY(!plan.valid());
    cwb::CompressParams p;
    bool ran = false;
    const std::string e = cwbtest::errorOf([&] {
        (void)cwb::compressModel(m, plan, p, {},
                                 [&](const cwb::CompressedTensor &, size_t, size_t) { ran = true; });
    });
    QVERIFY(!ran);
    for (const char *expected : {"layers.9.attn.q", "zip", "group 32", "4:8", "rank 65", "bits",
                                 "calibration"})
        QVERIFY2(e.find(expected) != std::string::npos, (std::string(expected) + " in: " + e).c_str());
}

void TestCompressPipeline::cancelLeavesNoFile()
{
    CWB_SHARED_FILE(path, kModel);
    const cwb::Model m = cwb::io::openModel(path);
    const cwb::Plan plan = planOf(
        R"({"version": 1, "rules": [{"match": "layers.*", "methods": [{"method": "rtn", "params": {"bits": 4, "group": -1}}]}]})",
        m, false);
    std::atomic<bool> cancel{false};
    cwb::JobContext job;
    job.cancelFlag = &cancel;
    size_t seen = 0;
    bool cancelled = false;
    try {
        (void)cwb::compressModel(m, plan, {}, job, [&](const cwb::CompressedTensor &, size_t, size_t) {
            if (++seen == 3)
                cancel = true;
        });
    } catch (const cwb::Cancelled &) {
        cancelled = true;
    }
    QVERIFY(cancelled);
    QVERIFY(seen < 35);

    // Cancelling the archive write leaves neither the archive nor a temporary file.
    cancel = false;
    const cwb::CompressedModel c = cwb::compressModel(m, plan, {});
    QTemporaryDir dir;
    const std::string archive = dir.filePath(QStringLiteral("c.cwbarchive")).toStdString();
    cwb::JobContext writeJob;
    writeJob.cancelFlag = &cancel;
    writeJob.progress = [&](double f, const std::string &) {
        if (f > 0.3)
            cancel = true;
    };
    cancelled = false;
    try {
        cwb::writeArchive(archive, c, writeJob);
    } catch (const cwb::Cancelled &) {
        cancelled = true;
    }
    QVERIFY(cancelled);
    QVERIFY(std::filesystem::is_empty(dir.path().toStdString()));
}

// `cwb compress --out`'s path: each tensor goes into the archive as it finishes and is dropped.
// The archive must read back as the one written from the whole model, every storage kind
// (quantized grids, ggml blocks, a pruning mask, low-rank factors, a plain float norm) included;
// the result keeps only reports; a cancel or a failure mid-stream leaves the previous file.
void TestCompressPipeline::streamedArchiveEqualsTheWholeOne()
{
    CWB_SHARED_FILE(path, kModel);
    const cwb::Model m = cwb::io::openModel(path);
    const cwb::Plan plan = planOf(R"({"version": 1,
      "rules": [
        {"match": "layers.0.attn.*", "methods": [{"method": "rtn", "params": {"bits": 4, "group": 32}}]},
        {"match": "layers.1.attn.*", "methods": [{"method": "nf4"}]},
        {"match": "layers.1.mlp.*", "methods": [{"method": "fp8_e4m3"}]},
        {"match": "layers.2.attn.*", "methods": [{"method": "q4_0"}]},
        {"match": "layers.3.mlp.gate", "methods": [{"method": "magnitude", "params": {"sparsity": 0.3}}, {"method": "q4_1"}]},
        {"match": "layers.4.attn.q", "methods": [{"method": "svd", "params": {"rank": 32}}, {"method": "rtn", "params": {"bits": 8, "group": 32}}]}
      ],
      "overrides": {"layers.4.mlp_norm": {"methods": [{"method": "f16"}]}}})",
                                  m, false);
    QVERIFY2(plan.valid(), plan.errors.empty() ? "" : plan.errors[0].text().c_str());
    const cwb::CompressedModel whole = cwb::compressModel(m, plan, {});

    QTemporaryDir dir;
    const std::string wholePath = dir.filePath(QStringLiteral("whole.cwbarchive")).toStdString();
    const std::string streamedPath =
        dir.filePath(QStringLiteral("streamed.cwbarchive")).toStdString();
    cwb::writeArchive(wholePath, whole);
    cwb::CompressParams params;
    params.keepStoredData = false;
    params.threads = 2;
    size_t handed = 0;
    const cwb::CompressedModel streamed =
        cwb::writeArchiveStreamed(streamedPath, [&](const cwb::ArchiveTensorSink &sink) {
            return cwb::compressModel(m, plan, params, {},
                                      [&](const cwb::CompressedTensor &t, size_t, size_t) {
                                          QVERIFY(t.weight || t.factorA);
                                          sink(t);
                                          ++handed;
                                      });
        });
    QCOMPARE(handed, whole.tensors.size());
    QCOMPARE(streamed.tensors.size(), whole.tensors.size());
    QCOMPARE(streamed.totals.compressedBytes, whole.totals.compressedBytes);
    for (size_t i = 0; i < streamed.tensors.size(); ++i) {
        const cwb::CompressedTensor &t = streamed.tensors[i];
        QVERIFY2(!t.weight && !t.factorA && !t.factorB && !t.mask && t.foldedScales.empty(),
                 t.canonical.c_str());
        QCOMPARE(t.canonical, whole.tensors[i].canonical);
        QCOMPARE(t.report.storedBytes, whole.tensors[i].report.storedBytes);
        QCOMPARE(t.report.relativeError, whole.tensors[i].report.relativeError);
    }
    const cwb::CompressedModel a = cwb::readArchive(wholePath), b = cwb::readArchive(streamedPath);
    QCOMPARE(b.tensors.size(), a.tensors.size());
    QCOMPARE(b.totals.tensors, a.totals.tensors);
    QCOMPARE(b.planJson, a.planJson);
    bool sawMask = false, sawFactors = false;
    for (size_t i = 0; i < a.tensors.size(); ++i) {
        QCOMPARE(b.tensors[i].canonical, a.tensors[i].canonical);
        QCOMPARE(b.tensors[i].storedBytes(), a.tensors[i].storedBytes());
        QVERIFY2(b.tensors[i].reconstruct() == a.tensors[i].reconstruct(),
                 a.tensors[i].canonical.c_str());
        sawMask = sawMask || b.tensors[i].mask.has_value();
        sawFactors = sawFactors || b.tensors[i].factorA.has_value();
    }
    QVERIFY(sawMask && sawFactors);

    // A budget smaller than any tensor: one tensor at a time (the gate always admits one), the
    // same results.
    cwb::CompressParams oneAtATime;
    oneAtATime.threads = 2;
    oneAtATime.memoryBudgetBytes = 1;
    const cwb::CompressedModel serial = cwb::compressModel(m, plan, oneAtATime);
    QCOMPARE(serial.tensors.size(), whole.tensors.size());
    for (size_t i = 0; i < serial.tensors.size(); ++i)
        QVERIFY2(serial.tensors[i].reconstruct() == whole.tensors[i].reconstruct(),
                 whole.tensors[i].canonical.c_str());
    // The row-block reconstruction the reports and streamed passes use equals the whole one.
    for (const cwb::CompressedTensor &t : a.tensors) {
        const std::vector<float> full = t.reconstruct();
        std::vector<float> rows(size_t(3 * t.cols));
        for (int64_t r0 = 0; r0 + 3 <= t.rows; r0 += 5) {
            t.reconstructRows(r0, 3, rows.data());
            QVERIFY2(std::equal(rows.begin(), rows.end(), full.begin() + r0 * t.cols),
                     t.canonical.c_str());
        }
    }

    // Cancelled after a few tensors: the previous archive is untouched and nothing is left
    // beside it.
    const auto before = std::filesystem::file_size(streamedPath);
    std::atomic<bool> cancel{false};
    cwb::JobContext job;
    job.cancelFlag = &cancel;
    bool cancelled = false;
    try {
        (void)cwb::writeArchiveStreamed(streamedPath, [&](const cwb::ArchiveTensorSink &sink) {
            size_t seen = 0;
            return cwb::compressModel(m, plan, params, job,
                                      [&](const cwb::CompressedTensor &t, size_t, size_t) {
                                          sink(t);
                                          if (++seen == 3)
                                              cancel = true;
                                      });
        });
    } catch (const cwb::Cancelled &) {
        cancelled = true;
    }
    QVERIFY(cancelled);
    QCOMPARE(std::filesystem::file_size(streamedPath), before);
    QCOMPARE(cwb::readArchive(streamedPath).tensors.size(), whole.tensors.size());
    size_t files = 0;
    for ([[maybe_unused]] const auto &e : std::filesystem::directory_iterator(dir.path().toStdString()))
        ++files;
    QCOMPARE(files, size_t(2));

    // A producer whose totals disagree with what it handed over is refused, naming the file.
    const std::string e = cwbtest::errorOf([&] {
        (void)cwb::writeArchiveStreamed(streamedPath, [&](const cwb::ArchiveTensorSink &sink) {
            sink(whole.tensors.front());
            return whole;
        });
    });
    QVERIFY2(e.find("streamed.cwbarchive") != std::string::npos
                 && e.find("were written") != std::string::npos,
             e.c_str());
    QCOMPARE(std::filesystem::file_size(streamedPath), before);
}

// A pass over a model larger than memory gives each tensor's mapped pages back once read
// (Tensor::releaseMappedPages); the values must read back the same afterwards, and a tensor
// whose bytes are not that mapping's is left alone.
void TestCompressPipeline::releasedPagesReadBackTheSame()
{
    CWB_SHARED_FILE(path, kModel);
    const cwb::Model m = cwb::io::openModel(path);
    for (const cwb::Tensor &t : m.tensors) {
        QVERIFY2(t.mappedFrom != nullptr, t.name.c_str());
        const std::vector<float> first = t.toFloat();
        t.releaseMappedPages();
        QVERIFY2(t.toFloat() == first, t.name.c_str());
    }
    // A copy holding its own bytes (keepAlive is no longer the mapping): untouched.
    cwb::Tensor copy = m.tensors.back();
    auto own = std::make_shared<std::vector<std::byte>>(copy.data.begin(), copy.data.end());
    copy.data = std::span<const std::byte>(*own);
    copy.keepAlive = own;
    const std::vector<std::byte> saved = *own;
    copy.releaseMappedPages();
    QVERIFY(*own == saved);
}

void TestCompressPipeline::hostileArchivesAreRefused()
{
    CWB_SHARED_FILE(path, kModel);
    const cwb::Model m = cwb::io::openModel(path);
    const cwb::Plan plan = planOf(
        R"({"version": 1, "rules": [{"match": "layers.0.attn.*", "methods": [{"method": "rtn", "params": {"bits": 4, "group": 32, "sym": false}}]}]})",
        m, false);
    const cwb::CompressedModel c = cwb::compressModel(m, plan, {});
    QTemporaryDir dir;
    const std::string good = dir.filePath(QStringLiteral("good.cwbarchive")).toStdString();
    cwb::writeArchive(good, c);
    const auto size = std::filesystem::file_size(good);

    // Truncated: the file is named.
    const std::string cut = dir.filePath(QStringLiteral("cut.cwbarchive")).toStdString();
    std::filesystem::copy_file(good, cut);
    std::filesystem::resize_file(cut, size / 2);
    std::string e = cwbtest::errorOf([&] { (void)cwb::readArchive(cut); });
    QVERIFY2(e.find("cut.cwbarchive") != std::string::npos, e.c_str());

    // Codes that disagree with the layout: the object is named.
    cwb::CompressedModel bad = c;
    bad.tensors[0].weight->quant.codes.pop_back();
    const std::string shortCodes = dir.filePath(QStringLiteral("short.cwbarchive")).toStdString();
    cwb::writeArchive(shortCodes, bad);
    e = cwbtest::errorOf([&] { (void)cwb::readArchive(shortCodes); });
    QVERIFY2(e.find("short.cwbarchive") != std::string::npos
                 && e.find("layers.0.attn.q") != std::string::npos,
             e.c_str());

    // A different source model is refused, naming both.
    cwb::CompressedModel other = c;
    other.sourceHash = "0123456789abcdef";
    const std::string moved = dir.filePath(QStringLiteral("other.cwbarchive")).toStdString();
    cwb::writeArchive(moved, other);
    e = cwbtest::errorOf([&] { (void)cwb::openArchive(moved); });
    QVERIFY2(e.find("0123456789abcdef") != std::string::npos && e.find("stories260K") != std::string::npos,
             e.c_str());

    // Not an archive at all.
    e = cwbtest::errorOf([&] { (void)cwb::readArchive(path); });
    QVERIFY2(e.find("stories260K.gguf") != std::string::npos, e.c_str());
}

QTEST_GUILESS_MAIN(TestCompressPipeline)
#include "test_compress_pipeline.moc"
