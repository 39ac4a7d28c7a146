// SPDX-License-Identifier: MIT
// Block-wise reconstruction onto ggml's grids (core/compress/block_recon.h, registry method
// gptq_ggml_recon) and the cross moments it needs (core/analysis/input_recorder.h, the
// layer-by-layer collector):
//  - the target W* = W - strength x W (H~ - C)(H~ + lambda I)^-1: fast path == scalar
//    reference; with damp 0 it solves the normal equations H~ W*^T = X~^T X W^T; it is W when
//    the inputs did not change, and exactly W at strength 0 (then the bytes are gptq_ggml's);
//  - on generated inputs perturbed as a compressed prefix perturbs them, the reconstruction's
//    error against the ORIGINAL output (||X~ Wq^T - X W^T||) is lower than gptq_ggml's, whether
//    gptq_ggml sees the original inputs or the perturbed ones, for several grids;
//  - the quantizer's fast path agrees with its reference; bad input is refused by name;
//  - the cross-moment accumulation agrees with its reference; the collector on stories260K
//    gives cross moments equal to the Hessians where nothing changed, different after a lossy
//    prefix, and within a layer after q/k/v were replaced only for attn.o's input;
//  - the pipeline turns sequential calibration on for a plan with the method, refuses
//    statistics collected before, and the default candidate sets leave the method out;
//  - on dev256 (every layer matrix onto Q3_K, embed Q6_K) the model's KL divergence on held-out
//    text is lower with reconstruction than with gptq_ggml at the same bytes.

#include "analysis/activation_stats.h"
#include "analysis/input_recorder.h"
#include "analysis/layerwise_activations.h"
#include "choose/candidates.h"
#include "compress/block_recon.h"
#include "compress/compressed_model.h"
#include "eval/dense_linear.h"
#include "eval/evaluation.h"
#include "formats/dtype.h"
#include "io/open_model.h"
#include "jobs/job_context.h"
#include "methods/registry.h"
#include "pipeline/pipeline.h"
#include "recipe/recipe.h"
#include "recipe/resolve.h"
#include "util/error.h"

#include "calibrated_layer.h"
#include "test_support.h"

#include <QTemporaryDir>
#include <QTest>

#include <Eigen/Core>

#include <cmath>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

Q_DECLARE_METATYPE(cwb::DType)

namespace {

using cwb::DType;
using cwbtest::RowMatrixD;

// A projection, its original inputs X and the inputs X~ = X + E of a compressed prefix: E is
// partly a fixed linear distortion of X (what a prefix's rounding does systematically) and partly
// noise, so a least-squares correction can undo some of it but not all.
struct PerturbedLayer {
    int64_t rows = 0, cols = 0, tokens = 0;
    std::vector<float> w;
    RowMatrixD x, xt;
    std::vector<double> h;     // X~^T X~
    std::vector<double> cross; // X^T X~
};

PerturbedLayer makePerturbedLayer(int64_t rows, int64_t cols, int64_t tokens, double distortion,
                                  double noise, uint64_t seed)
{
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> n01(0.0, 1.0);
    PerturbedLayer l;
    l.rows = rows;
    l.cols = cols;
    l.tokens = tokens;
    // Correlated channels with spread scales (support/calibrated_layer.h), then the prefix's
    // distortion and noise through the same channel mix.
    cwbtest::GeneratedActivations a = cwbtest::generateActivations(
        cols, cwbtest::ActivationShape{0.5, 0.7, 0}, tokens, rng);
    l.x = std::move(a.x);
    const RowMatrixD &mix = a.mix;
    RowMatrixD distort(cols, cols), e(tokens, cols);
    for (int64_t i = 0; i < distort.size(); ++i)
        distort.data()[i] = distortion * n01(rng) / std::sqrt(double(cols));
    for (int64_t i = 0; i < e.size(); ++i)
        e.data()[i] = noise * n01(rng);
    l.xt = l.x + l.x * distort + e * mix;
    const RowMatrixD h = l.xt.transpose() * l.xt;
    const RowMatrixD c = l.x.transpose() * l.xt;
    l.h.assign(h.data(), h.data() + h.size());
    l.cross.assign(c.data(), c.data() + c.size());
    l.w.resize(size_t(rows * cols));
    for (float &v : l.w)
        v = float(0.02 * n01(rng));
    return l;
}

// ||X~ Wq^T - X W^T||_F / ||X W^T||_F: the error against the original output.
double originalOutputError(const PerturbedLayer &l, const std::vector<float> &wq)
{
    const RowMatrixD W = Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic,
                                                        Eigen::RowMajor>>(l.w.data(), l.rows,
                                                                          l.cols)
                             .cast<double>();
    const RowMatrixD Q = Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic,
                                                        Eigen::RowMajor>>(wq.data(), l.rows,
                                                                          l.cols)
                             .cast<double>();
    const RowMatrixD want = l.x * W.transpose();
    return (l.xt * Q.transpose() - want).norm() / want.norm();
}

double maxAbsDiff(const std::vector<float> &a, const std::vector<float> &b)
{
    double m = 0;
    for (size_t i = 0; i < a.size(); ++i)
        m = std::max(m, double(std::abs(a[i] - b[i])));
    return m;
}

void addTypeRows()
{
    QTest::addColumn<DType>("type");
    for (const DType t : {DType::Q4_0, DType::Q2_K, DType::Q3_K, DType::Q4_K, DType::Q6_K})
        QTest::newRow(std::string(cwb::dtypeName(t)).c_str()) << t;
}

cwb::Plan planOf(const std::string &json, const cwb::Model &m)
{
    cwb::PlanOptions o;
    o.calibration = true;
    return cwb::resolvePlan(cwb::parseRecipeLenient(json, "test recipe"), m, o);
}

constexpr const char *kStories = "models/stories260K/stories260K.gguf";
constexpr const char *kStoriesText = "data/tinystories/tinystories_validation_head.txt";

} // namespace

class TestBlockRecon : public QObject {
    Q_OBJECT
private slots:
    void targetFastPathMatchesReference();
    void targetSolvesTheLeastSquares();
    void reconstructsTheOriginalOutput_data() { addTypeRows(); }
    void reconstructsTheOriginalOutput();
    void quantizeFastPathMatchesReference_data() { addTypeRows(); }
    void quantizeFastPathMatchesReference();
    void strengthZeroIsGptqGgml();
    void refusesBadInput();
    void crossAccumulationMatchesReference();
    void collectorCrossMoments();
    void pipelineTurnsSequentialOn();
    void dev256KldBelowGptqGgml();
};

void TestBlockRecon::targetFastPathMatchesReference()
{
    const PerturbedLayer l = makePerturbedLayer(40, 256, 1024, 0.3, 0.1, 3);
    for (const double strength : {1.0, 0.4}) {
        cwb::BlockReconParams p;
        p.strength = strength;
        const auto fast = cwb::blockReconTarget(l.w.data(), l.rows, l.cols, l.h.data(),
                                                l.cross.data(), l.tokens, p, cwb::JobContext{});
        const auto ref = cwb::blockReconTargetReference(l.w.data(), l.rows, l.cols, l.h.data(),
                                                        l.cross.data(), l.tokens, p);
        QCOMPARE(fast.size(), ref.size());
        // Double arithmetic in another order, rounded to float: a few float ulps of ~0.05.
        QVERIFY2(maxAbsDiff(fast, ref) < 1e-6, qPrintable(QString::number(maxAbsDiff(fast, ref))));
        QVERIFY(maxAbsDiff(fast, l.w) > 1e-3); // it did move
    }
}

void TestBlockRecon::targetSolvesTheLeastSquares()
{
    const PerturbedLayer l = makePerturbedLayer(8, 128, 2048, 0.3, 0.1, 4);
    cwb::BlockReconParams p;
    p.gptq.damp = 0.0;
    const auto t = cwb::blockReconTarget(l.w.data(), l.rows, l.cols, l.h.data(), l.cross.data(),
                                         l.tokens, p, cwb::JobContext{});
    // H~ W*^T = X~^T X W^T (the normal equations of min ||X~ W*^T - X W^T||).
    const Eigen::Map<const RowMatrixD> H(l.h.data(), l.cols, l.cols);
    const RowMatrixD Ws = Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic,
                                                         Eigen::RowMajor>>(t.data(), l.rows,
                                                                           l.cols)
                              .cast<double>();
    const RowMatrixD W = Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic,
                                                        Eigen::RowMajor>>(l.w.data(), l.rows,
                                                                          l.cols)
                             .cast<double>();
    const RowMatrixD lhs = H * Ws.transpose();
    const RowMatrixD rhs = l.xt.transpose() * l.x * W.transpose();
    QVERIFY2((lhs - rhs).norm() < 1e-5 * rhs.norm(),
             qPrintable(QString::number((lhs - rhs).norm() / rhs.norm())));

    // Unchanged inputs (C = H~): nothing to correct, dampened or not.
    const PerturbedLayer same = makePerturbedLayer(8, 128, 1024, 0.0, 0.0, 5);
    QCOMPARE(same.h, same.cross);
    cwb::BlockReconParams d;
    const auto keep = cwb::blockReconTarget(same.w.data(), same.rows, same.cols, same.h.data(),
                                            same.cross.data(), same.tokens, d, cwb::JobContext{});
    QVERIFY(maxAbsDiff(keep, same.w) < 1e-7);
}

void TestBlockRecon::reconstructsTheOriginalOutput()
{
    QFETCH(DType, type);
    const PerturbedLayer l = makePerturbedLayer(64, 512, 4096, 0.25, 0.05, 6);
    const RowMatrixD h0 = l.x.transpose() * l.x; // what one-pass calibration would give
    cwb::BlockReconParams p;
    p.gptq.type = type;
    const auto recon = cwb::blockReconQuantize(l.w.data(), l.rows, l.cols, l.h.data(),
                                               l.cross.data(), l.tokens, p, cwb::JobContext{});
    const auto onPrefix = cwb::gptqGgmlQuantize(l.w.data(), l.rows, l.cols, l.h.data(), l.tokens,
                                                p.gptq, cwb::JobContext{});
    const auto onOriginal = cwb::gptqGgmlQuantize(l.w.data(), l.rows, l.cols, h0.data(), l.tokens,
                                                  p.gptq, cwb::JobContext{});
    QCOMPARE(recon.storedBytes(), onPrefix.storedBytes()); // the same grid, the same size
    const double er = originalOutputError(l, recon.dequantize());
    const double ep = originalOutputError(l, onPrefix.dequantize());
    const double eo = originalOutputError(l, onOriginal.dequantize());
    qInfo("%s: error vs the original output: recon %.4f, gptq_ggml on the prefix's inputs %.4f, "
          "on the original inputs %.4f",
          cwb::dtypeName(type).data(), er, ep, eo);
    QVERIFY(er < ep);
    QVERIFY(er < eo);
}

void TestBlockRecon::quantizeFastPathMatchesReference()
{
    QFETCH(DType, type);
    const PerturbedLayer l = makePerturbedLayer(12, 512, 1024, 0.3, 0.1, 7);
    cwb::BlockReconParams p;
    p.gptq.type = type;
    p.gptq.blockSize = 64;
    const auto fast = cwb::blockReconQuantize(l.w.data(), l.rows, l.cols, l.h.data(),
                                              l.cross.data(), l.tokens, p, cwb::JobContext{});
    const auto ref = cwb::blockReconQuantizeReference(l.w.data(), l.rows, l.cols, l.h.data(),
                                                      l.cross.data(), l.tokens, p);
    // As gptq_ggml's own paths: codes differ only where a weight sits within rounding noise of
    // a midpoint; the errors agree closely.
    const auto a = fast.dequantize(), b = ref.dequantize();
    size_t differ = 0;
    for (size_t i = 0; i < a.size(); ++i)
        differ += a[i] != b[i];
    QVERIFY2(differ <= a.size() / 100, qPrintable(QString::number(differ)));
    const double ea = originalOutputError(l, a), eb = originalOutputError(l, b);
    QVERIFY(std::abs(ea - eb) <= 0.02 * eb);
}

void TestBlockRecon::strengthZeroIsGptqGgml()
{
    const PerturbedLayer l = makePerturbedLayer(16, 256, 1024, 0.3, 0.1, 8);
    cwb::BlockReconParams p;
    p.strength = 0.0;
    const auto t = cwb::blockReconTarget(l.w.data(), l.rows, l.cols, l.h.data(), l.cross.data(),
                                         l.tokens, p, cwb::JobContext{});
    QVERIFY(t == l.w);
    const auto a = cwb::blockReconQuantize(l.w.data(), l.rows, l.cols, l.h.data(), l.cross.data(),
                                           l.tokens, p, cwb::JobContext{});
    const auto b = cwb::gptqGgmlQuantize(l.w.data(), l.rows, l.cols, l.h.data(), l.tokens, p.gptq,
                                         cwb::JobContext{});
    QVERIFY(a.bytes == b.bytes);
}

void TestBlockRecon::refusesBadInput()
{
    const PerturbedLayer l = makePerturbedLayer(4, 64, 256, 0.3, 0.1, 9);
    cwb::BlockReconParams p;
    const auto run = [&](const double *cross, const cwb::BlockReconParams &q) {
        return cwbtest::errorOf([&] {
            (void)cwb::blockReconTarget(l.w.data(), l.rows, l.cols, l.h.data(), cross, l.tokens,
                                        q, cwb::JobContext{});
        });
    };
    QVERIFY(run(nullptr, p).find("sequential calibration") != std::string::npos);
    std::vector<double> bad = l.cross;
    bad[70] = std::nan("");
    QVERIFY(run(bad.data(), p).find("non-finite value at (1, 6)") != std::string::npos);
    cwb::BlockReconParams strong;
    strong.strength = 1.5;
    QVERIFY(run(l.cross.data(), strong).find("strength") != std::string::npos);
    cwb::BlockReconParams neg;
    neg.gptq.damp = -1;
    QVERIFY(run(l.cross.data(), neg).find("damp") != std::string::npos);

    // The registry method on statistics without the cross moment (one-pass calibration).
    const cwb::MethodSpec &m = cwb::requireMethod("gptq_ggml_recon");
    QVERIFY(m.needsOriginalCross && m.needsHessian);
    cwb::ParamSet params(m.params);
    params.set("type", cwb::ParamValue{std::string("q4_0")});
    cwb::InputStats in;
    in.hessian = std::make_shared<const std::vector<double>>(l.h);
    in.tokens = l.tokens;
    std::vector<std::string> notes;
    cwb::QuantizeInput qi;
    qi.w = l.w.data();
    qi.rows = l.rows;
    qi.cols = l.cols;
    qi.in = &in;
    const cwb::JobContext job;
    qi.job = &job;
    qi.notes = &notes;
    const std::string err = cwbtest::errorOf([&] { (void)m.quantize(params.reader(), qi); });
    QVERIFY2(err.find("only sequential calibration collects") != std::string::npos, err.c_str());
    in.originalCross = std::make_shared<const std::vector<double>>(l.cross);
    const cwb::StoredMatrix ok = m.quantize(params.reader(), qi);
    QVERIFY(ok.kind == cwb::StoredMatrix::Kind::Ggml && ok.type == DType::Q4_0);
    // 256 tokens for 64 channels: the report says the target may overfit.
    QCOMPARE(notes.size(), size_t(1));
    QVERIFY2(notes[0].find("may overfit") != std::string::npos, notes[0].c_str());
}

void TestBlockRecon::crossAccumulationMatchesReference()
{
    cwb::analysis::InputRecorder original, prefix;
    original.setRecording(true);
    prefix.setRecording(true);
    std::mt19937 rng(10);
    std::normal_distribution<float> n01(0.f, 1.f);
    cwb::LinearInputSite a{"layers.0.attn_norm.out", 0, {"layers.0.attn.q"}, 24};
    cwb::LinearInputSite b{"layers.0.mlp.act", 0, {"layers.0.mlp.down"}, 40};
    for (const auto *site : {&a, &b, &a}) { // a in two calls, as an engine may report it
        const int64_t n = 7;
        std::vector<float> x(size_t(n * site->inFeatures)), y(x.size());
        for (size_t i = 0; i < x.size(); ++i) {
            x[i] = n01(rng);
            y[i] = x[i] + 0.1f * n01(rng);
        }
        original.observe(*site, x.data(), n);
        prefix.observe(*site, y.data(), n);
    }
    std::map<std::string, std::shared_ptr<cwb::ActivationHessian>> fast, ref;
    cwb::analysis::accumulateCross(original, prefix, fast);
    cwb::analysis::accumulateCrossReference(original, prefix, ref);
    QCOMPARE(fast.size(), size_t(2));
    for (const auto &[name, f] : fast) {
        const auto &r = ref.at(name);
        QCOMPARE(f->tokens, r->tokens);
        QCOMPARE(f->tokens, name == a.name ? int64_t(14) : int64_t(7));
        for (size_t i = 0; i < f->sum.size(); ++i)
            QVERIFY(std::abs(f->sum[i] - r->sum[i]) <= 1e-12 * (1 + std::abs(r->sum[i])));
    }
    // Rows that do not pair up are refused by name.
    cwb::analysis::InputRecorder shorter;
    shorter.setRecording(true);
    std::vector<float> one(size_t(a.inFeatures), 1.0f);
    shorter.observe(a, one.data(), 1);
    const std::string err = cwbtest::errorOf([&] {
        std::map<std::string, std::shared_ptr<cwb::ActivationHessian>> into;
        cwb::analysis::accumulateCross(shorter, prefix, into);
    });
    QVERIFY2(err.find("layers.0.attn_norm.out") != std::string::npos, err.c_str());
}

void TestBlockRecon::collectorCrossMoments()
{
    CWB_SHARED_FILE(path, kStories);
    CWB_SHARED_FILE(text, kStoriesText);
    const cwb::Model m = cwb::io::openModel(path);
    cwb::ActivationParams ap;
    ap.sequences = 4;
    ap.tokensPerSequence = 64;
    ap.collectHessians = true;
    cwb::LayerwiseActivations layers(m, text, ap);
    layers.collectOriginalCross(m);
    const auto sameAsHessian = [](const cwb::LinearActivationStats &l) {
        if (!l.originalCross || !l.hessian || l.originalCross->tokens != l.hessian->tokens)
            return false;
        double diff = 0, scale = 0;
        for (size_t i = 0; i < l.hessian->sum.size(); ++i) {
            diff = std::max(diff, std::abs(l.originalCross->sum[i] - l.hessian->sum[i]));
            scale = std::max(scale, std::abs(l.hessian->sum[i]));
        }
        return diff <= 1e-9 * scale; // the same rows, summed in another order
    };
    // Layer 0, nothing replaced: the prefix is the original.
    const cwb::ActivationStats s0 = layers.collectLayer();
    QVERIFY(!s0.linears.empty());
    for (const auto &l : s0.linears)
        QVERIFY2(sameAsHessian(l), l.weight.c_str());
    // q/k/v replaced lossily: the heads (attn.o's input) change, the norm's output does not.
    const auto coarse = [&](const std::string &name) {
        const cwb::Tensor *t = m.findTensor(name);
        std::vector<float> w = t->toFloat();
        for (float &v : w)
            v = float(int(v * 8.0f)) / 8.0f;
        return std::make_shared<cwb::DenseLinear>(std::move(w), t->shape[0], t->rowLength());
    };
    for (const char *p : {"layers.0.attn.q", "layers.0.attn.k", "layers.0.attn.v"})
        layers.replaceWeights(p, coarse(p));
    const cwb::ActivationStats s0b = layers.collectLayer();
    QVERIFY(sameAsHessian(*s0b.find("layers.0.attn.q")));
    QVERIFY(!sameAsHessian(*s0b.find("layers.0.attn.o")));
    QCOMPARE(s0b.find("layers.0.attn.o")->originalCross->tokens,
             ap.sequences * ap.tokensPerSequence);
    layers.advance();
    // Layer 1 after a lossy layer 0: every input differs from the original's.
    const cwb::ActivationStats s1 = layers.collectLayer();
    for (const auto &l : s1.linears)
        QVERIFY2(l.originalCross && !sameAsHessian(l), l.weight.c_str());
    QVERIFY(!cwbtest::errorOf([&] { layers.collectOriginalCross(m); }).empty());
}

void TestBlockRecon::pipelineTurnsSequentialOn()
{
    CWB_SHARED_FILE(path, kStories);
    CWB_SHARED_FILE(text, kStoriesText);
    const cwb::Model m = cwb::io::openModel(path);
    const cwb::Plan plan = planOf(R"({"version": 1, "rules": [
        {"match": "layers.*", "methods": [{"method": "gptq_ggml_recon", "params": {"type": "q4_0"}}]},
        {"match": "layers.*.mlp.down", "methods": [{"method": "keep"}]}]})",
                                  m); // mlp.down's rows of 172 are no whole Q4_0 blocks
    QVERIFY2(plan.valid(), plan.errors.empty() ? "" : plan.errors[0].text().c_str());
    cwb::CompressParams cp;
    cp.calibrationPath = text;
    cp.calibration.sequences = 4;
    cp.calibration.tokensPerSequence = 64;
    QVERIFY(!cp.sequentialCalibration);
    const cwb::CompressedModel c = cwb::compressModel(m, plan, cp);
    QVERIFY(c.calibrationSequential);
    QCOMPARE(c.tensors.size(), size_t(30));
    for (const auto &t : c.tensors) {
        QVERIFY(t.weight && t.weight->type == DType::Q4_0);
        QCOMPARE(t.report.calibrationTokens, int64_t(4 * 64));
    }
    // Statistics collected before hold no cross moments: refused with the reason.
    cwb::ActivationParams ap;
    ap.sequences = 4;
    ap.tokensPerSequence = 64;
    ap.collectHessians = true;
    const cwb::ActivationStats stats = cwb::collectActivationStats(m, text, ap);
    cp.calibrationStats = &stats;
    const std::string err = cwbtest::errorOf([&] { (void)cwb::compressModel(m, plan, cp); });
    QVERIFY2(err.find("gptq_ggml_recon needs sequential calibration") != std::string::npos,
             err.c_str());
    // The sensitivity table cannot measure it: no default candidate set holds it, but it can be
    // named.
    for (const auto target : {cwb::TargetFormat::Gguf, cwb::TargetFormat::Any})
        for (const cwb::Candidate &cand : cwb::defaultCandidates(target))
            QVERIFY2(cand.id.find("recon") == std::string::npos, cand.id.c_str());
    QCOMPARE(cwb::parseCandidate("gptq_ggml_recon:type=q3_k").id,
             std::string("gptq_ggml_recon:type=q3_k"));
}

void TestBlockRecon::dev256KldBelowGptqGgml()
{
    CWB_SHARED_FILE(path, "models/dev256/model.safetensors");
    CWB_SHARED_FILE(calib, "data/dev256/calib.txt");
    CWB_SHARED_FILE(evalText, "data/dev256/eval.txt");
    const cwb::Model model = cwb::io::openModel(std::filesystem::path(path).parent_path().string());
    const auto plan = [&](const std::string &method) {
        return planOf(R"({"version": 1, "rules": [
            {"match": "layers.*", "methods": [{"method": ")"
                          + method + R"(", "params": {"type": "q3_k"}}]},
            {"match": "embed", "methods": [{"method": "q6_k"}]}]})",
                      model);
    };
    // The default amount of calibration (64 x 256 tokens): the least-squares target has one
    // unknown per input channel and row, and with 16 x 256 tokens (5 per channel of mlp.down's
    // 768) it measured slightly worse than gptq_ggml on dev256 (README, issue 13 part 5).
    cwb::CompressParams cp;
    cp.calibrationPath = calib;
    cp.outputError = false;
    cp.threads = 2;
#ifdef CWB_SANITIZED_BUILD
    // Under ASan + UBSan the same paths run on 8 x 64 calibration tokens and 2 windows (the
    // default amount took over CTest's 25 min there): what that build checks is memory and
    // undefined behaviour, and with that little calibration the least-squares target overfits
    // (see above), so the KLD ordering is checked by the Release suite only.
    cp.calibration.sequences = 8;
    cp.calibration.tokensPerSequence = 64;
#endif
    const cwb::CompressedModel plain = cwb::compressModel(model, plan("gptq_ggml"), cp);
    const cwb::CompressedModel recon = cwb::compressModel(model, plan("gptq_ggml_recon"), cp);
    QCOMPARE(recon.totals.compressedBytes, plain.totals.compressedBytes);

    QTemporaryDir dir;
    const std::string base = dir.filePath(QStringLiteral("base.logits")).toStdString();
    cwb::EvalParams ep;
    ep.model = &model;
    ep.textPath = evalText;
    ep.nCtx = 128;
    ep.chunks = 16;
    ep.threads = 2;
#ifdef CWB_SANITIZED_BUILD
    ep.chunks = 2;
#endif
    cwb::EvalParams saving = ep;
    saving.saveLogitsPath = base;
    (void)cwb::runEvaluation(saving);
    const auto kldOf = [&](const cwb::CompressedModel &c) {
        const cwb::CompressedReplacements r = cwb::replacementsOf(c);
        cwb::EvalParams e = ep;
        e.kldBasePath = base;
        e.replacements = r.matrices;
        e.vectorReplacements = r.vectors;
        return cwb::runEvaluation(e).kld.mean;
    };
    const double kp = kldOf(plain), kr = kldOf(recon);
    qInfo("dev256 KLD onto Q3_K: gptq_ggml %.3e, gptq_ggml_recon %.3e", kp, kr);
    QVERIFY(std::isfinite(kp) && std::isfinite(kr) && kp > 0 && kr > 0);
#ifndef CWB_SANITIZED_BUILD
    QVERIFY(kr < kp);
#endif
}

QTEST_GUILESS_MAIN(TestBlockRecon)
#include "test_block_recon.moc"
