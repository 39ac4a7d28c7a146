// SPDX-License-Identifier: MIT
// GPTQ onto ggml's grids (core/compress/gptq_ggml.h) and the block-code view it rests on
// (core/formats/ggml_block_codes.h):
//  - every type's blocks read as codes on an affine grid decode exactly as ggml's decoder does,
//    and writing the codes back leaves the bytes unchanged (scales kept, codes replaced);
//  - on generated correlated calibration data (tests/support/calibrated_layer.h) GPTQ onto a
//    type has a lower layer output error than llama.cpp's own quantizer of that type with the
//    same importance weighting, for every type, lazy and static scales;
//  - the fast path agrees with the reference, the result is the type's bytes (decodable), a
//    pruning mask is kept, bad arguments are refused;
//  - the registry method stores the type's bytes and exports as that GGUF type;
//  - on dev256 (every layer matrix onto Q4_K, embed Q6_K): every matrix's output error and the
//    model's KL divergence on held-out text are lower than with llama.cpp's Q4_K + imatrix.

#include "analysis/activation_stats.h"
#include "choose/recipe_bench.h"
#include "compress/gptq_ggml.h"
#include "formats/dtype.h"
#include "formats/ggml_block_codes.h"
#include "formats/ggml_dequant.h"
#include "formats/ggml_quantize.h"
#include "io/open_model.h"
#include "jobs/job_context.h"
#include "methods/method.h"
#include "methods/registry.h"
#include "pipeline/pipeline.h"
#include "recipe/recipe.h"
#include "recipe/resolve.h"
#include "calibrated_layer.h"
#include "test_support.h"
#include "util/error.h"

#include <QTest>

#include <Eigen/Core>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <memory>
#include <random>
#include <vector>

Q_DECLARE_METATYPE(cwb::DType)

namespace {

using cwb::DType;

constexpr DType kTypes[] = {DType::Q4_0, DType::Q4_1, DType::Q5_0, DType::Q5_1, DType::Q8_0,
                            DType::Q2_K, DType::Q3_K, DType::Q4_K, DType::Q5_K, DType::Q6_K};

void addTypeRows()
{
    QTest::addColumn<DType>("type");
    for (const DType t : kTypes)
        QTest::newRow(std::string(cwb::dtypeName(t)).c_str()) << t;
}

std::vector<float> randomValues(int64_t n, uint32_t seed)
{
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist(0.f, 1.f);
    std::vector<float> v(static_cast<size_t>(n));
    for (float &x : v)
        x = dist(rng);
    return v;
}

std::vector<float> decoded(const cwb::StoredMatrix &m) { return m.dequantize(); }

template <class Fn>
void expectError(Fn &&fn, const char *needle)
{
    try {
        fn();
    } catch (const cwb::Error &e) {
        QVERIFY2(QString::fromUtf8(e.what()).contains(QString::fromUtf8(needle)), e.what());
        return;
    }
    QFAIL(qPrintable(QStringLiteral("no error containing \"%1\"").arg(QString::fromUtf8(needle))));
}

// Output error of llama.cpp's quantizer for `t`, weighted by the inputs' mean squares as
// gptq_ggml weights its scale search.
double plainError(const cwbtest::CalibratedLayer &l, DType t)
{
    std::vector<float> importance(size_t(l.cols));
    for (int64_t c = 0; c < l.cols; ++c)
        importance[size_t(c)] = float(l.h[size_t(c * l.cols + c)] / double(l.tokens));
    const auto bytes = cwb::ggmlQuantizeRows(t, l.w.data(), l.rows, l.cols, importance.data());
    return cwbtest::relativeOutputError(l, decoded(cwb::StoredMatrix::fromGgml(t, bytes, l.rows,
                                                                                l.cols)));
}

} // namespace

class TestGptqGgml : public QObject {
    Q_OBJECT
private slots:
    void blockCodesDecodeAsGgml_data() { addTypeRows(); }
    void blockCodesDecodeAsGgml();
    void writtenCodesReadBack_data() { addTypeRows(); }
    void writtenCodesReadBack();
    void beatsLlamaCppQuantizer_data() { addTypeRows(); }
    void beatsLlamaCppQuantizer();
    void fastPathMatchesReference_data() { addTypeRows(); }
    void fastPathMatchesReference();
    void refitLowersTheError_data() { addTypeRows(); }
    void refitLowersTheError();
    void keepsPruningMask();
    void refusesBadArguments();
    void registryMethodStoresTheType();
    void dev256BeatsLlamaCppQ4K();
};

void TestGptqGgml::blockCodesDecodeAsGgml()
{
    QFETCH(DType, type);
    const int64_t len = 512;
    const auto x = randomValues(len, 11);
    const auto bytes = cwb::ggmlQuantizeRows(type, x.data(), 1, len, nullptr);
    std::vector<float> ref(static_cast<size_t>(len));
    cwb::ggmlDequantizeRow(type, bytes.data(), ref.data(), len);
    const auto &info = cwb::dtypeInfo(type);
    cwb::GgmlBlockGrid g;
    for (int64_t b = 0; b < len / info.blockElems; ++b) {
        cwb::readGgmlBlock(type, bytes.data() + b * int64_t(info.blockBytes), g);
        QCOMPARE(int64_t(g.values), info.blockElems);
        for (int e = 0; e < g.values; ++e) {
            QVERIFY(g.code[e] <= g.codeMax);
            const float v = g.step[e] * float(int(g.code[e]) - g.offset) + g.base[e];
            QCOMPARE(v, ref[size_t(b * info.blockElems + e)]);
        }
    }
}

void TestGptqGgml::writtenCodesReadBack()
{
    QFETCH(DType, type);
    const int64_t len = 256;
    const auto x = randomValues(len, 12);
    const auto bytes = cwb::ggmlQuantizeRows(type, x.data(), 1, len, nullptr);
    const auto &info = cwb::dtypeInfo(type);
    std::mt19937 rng(5);
    for (int64_t b = 0; b < len / info.blockElems; ++b) {
        const std::byte *blk = bytes.data() + b * int64_t(info.blockBytes);
        cwb::GgmlBlockGrid g;
        cwb::readGgmlBlock(type, blk, g);
        // The codes it holds, written back: the same bytes.
        std::vector<std::byte> copy(blk, blk + info.blockBytes);
        cwb::writeGgmlBlockCodes(type, copy.data(), g.code);
        QVERIFY(std::memcmp(copy.data(), blk, info.blockBytes) == 0);
        // Other codes: read back as written, scales untouched.
        uint8_t codes[256];
        for (int e = 0; e < g.values; ++e)
            codes[e] = uint8_t(std::uniform_int_distribution<int>(0, g.codeMax)(rng));
        cwb::writeGgmlBlockCodes(type, copy.data(), codes);
        cwb::GgmlBlockGrid back;
        cwb::readGgmlBlock(type, copy.data(), back);
        for (int e = 0; e < g.values; ++e) {
            QCOMPARE(back.code[e], codes[e]);
            QCOMPARE(back.step[e], g.step[e]);
            QCOMPARE(back.base[e], g.base[e]);
        }
    }
}

void TestGptqGgml::beatsLlamaCppQuantizer()
{
    QFETCH(DType, type);
    const auto l = cwbtest::makeCalibratedLayer(32, 512, {0.5, 0.7, 0}, 21, 1024);
    const double plain = plainError(l, type);
    for (const bool actOrder : {false, true}) {
        cwb::GptqGgmlParams p;
        p.type = type;
        p.actOrder = actOrder;
        const auto q = cwb::gptqGgmlQuantize(l.w.data(), l.rows, l.cols, l.h.data(), l.tokens, p,
                                             cwb::JobContext{});
        QCOMPARE(q.kind, cwb::StoredMatrix::Kind::Ggml);
        QCOMPARE(q.type, type);
        QCOMPARE(q.bytes.size(), size_t(*cwb::storageBytes(type, uint64_t(l.rows * l.cols))));
        const double gptq = cwbtest::relativeOutputError(l, decoded(q));
        qInfo("%s act_order %d: llama.cpp %.4f, gptq %.4f", cwb::dtypeName(type).data(),
              int(actOrder), plain, gptq);
        QVERIFY2(gptq < 0.95 * plain, qPrintable(QStringLiteral("%1 vs %2").arg(gptq).arg(plain)));
    }
}

void TestGptqGgml::fastPathMatchesReference()
{
    QFETCH(DType, type);
    const auto l = cwbtest::makeCalibratedLayer(12, 512, {0.5, 0.7, 0}, 22, 1024);
    for (const bool actOrder : {false, true}) {
        cwb::GptqGgmlParams p;
        p.type = type;
        p.actOrder = actOrder;
        p.blockSize = 64; // several lazy batches per row (rounded up to the block for lazy scales)
        const auto fast = cwb::gptqGgmlQuantize(l.w.data(), l.rows, l.cols, l.h.data(), l.tokens,
                                                p, cwb::JobContext{});
        const auto ref = cwb::gptqGgmlQuantizeReference(l.w.data(), l.rows, l.cols, l.h.data(),
                                                        l.tokens, p);
        // Same arithmetic in another summation order: codes differ only where a weight sits
        // within rounding noise of a midpoint; the output errors agree closely.
        const auto a = decoded(fast), b = decoded(ref);
        size_t differ = 0;
        for (size_t i = 0; i < a.size(); ++i)
            differ += a[i] != b[i];
        QVERIFY2(differ <= a.size() / 100, qPrintable(QString::number(differ)));
        const double ea = cwbtest::relativeOutputError(l, a);
        const double eb = cwbtest::relativeOutputError(l, b);
        QVERIFY(std::abs(ea - eb) <= 0.02 * eb);
    }
}

void TestGptqGgml::refitLowersTheError()
{
    // The refit keeps codes and sub-scales and changes a row's d / min only where the row's
    // output error drops: never worse, and better overall.
    QFETCH(DType, type);
    const auto l = cwbtest::makeCalibratedLayer(32, 512, {0.5, 0.7, 0}, 27, 1024);
    cwb::GptqGgmlParams p;
    p.type = type;
    const auto plain = cwb::gptqGgmlQuantize(l.w.data(), l.rows, l.cols, l.h.data(), l.tokens, p,
                                             cwb::JobContext{});
    p.refit = true;
    const auto refit = cwb::gptqGgmlQuantize(l.w.data(), l.rows, l.cols, l.h.data(), l.tokens, p,
                                             cwb::JobContext{});
    const auto a = decoded(plain), b = decoded(refit);
    const Eigen::Map<const cwbtest::RowMatrixD> H(l.h.data(), l.cols, l.cols);
    for (int64_t r = 0; r < l.rows; ++r) {
        Eigen::VectorXd da(l.cols), db(l.cols);
        for (int64_t c = 0; c < l.cols; ++c) {
            da(c) = double(l.w[size_t(r * l.cols + c)]) - a[size_t(r * l.cols + c)];
            db(c) = double(l.w[size_t(r * l.cols + c)]) - b[size_t(r * l.cols + c)];
        }
        QVERIFY(db.dot(H * db) <= da.dot(H * da) * (1 + 1e-12));
    }
    const double ea = cwbtest::relativeOutputError(l, a), eb = cwbtest::relativeOutputError(l, b);
    qInfo("%s: gptq %.4f, refit %.4f", cwb::dtypeName(type).data(), ea, eb);
    // Q6_K: one fp16 d over 16 int8 sub-scales; its least-squares d rounds back to the
    // search's (measured: 0.0108 either way), so only "never worse" holds there.
    if (type == DType::Q6_K)
        QVERIFY(eb <= ea);
    else
        QVERIFY(eb < ea);
}

void TestGptqGgml::keepsPruningMask()
{
    const auto l = cwbtest::makeCalibratedLayer(16, 256, {0.5, 0.7, 0}, 23, 1024);
    std::vector<uint8_t> keep(size_t(l.rows * l.cols / 8), 0xFF);
    for (size_t i = 0; i < keep.size(); i += 3)
        keep[i] = 0x55; // every other weight of every third byte pruned
    for (const DType t : {DType::Q4_0, DType::Q6_K}) { // types with an exact zero
        cwb::GptqGgmlParams p;
        p.type = t;
        const auto q = cwb::gptqGgmlQuantize(l.w.data(), l.rows, l.cols, l.h.data(), l.tokens, p,
                                             cwb::JobContext{}, keep.data());
        const auto v = decoded(q);
        for (size_t i = 0; i < v.size(); ++i)
            if (!((keep[i / 8] >> (i % 8)) & 1u))
                QCOMPARE(v[i], 0.0f);
    }
}

void TestGptqGgml::refusesBadArguments()
{
    const auto l = cwbtest::makeCalibratedLayer(4, 256, {0, 0, 0}, 24, 512);
    cwb::GptqGgmlParams p;
    p.type = DType::F16;
    expectError(
        [&] {
            (void)cwb::gptqGgmlQuantize(l.w.data(), l.rows, l.cols, l.h.data(), l.tokens, p,
                                        cwb::JobContext{});
        },
        "not a ggml block type");
    p.type = DType::Q4_K;
    const auto short_ = cwbtest::makeCalibratedLayer(4, 96, {0, 0, 0}, 25, 512);
    expectError(
        [&] {
            (void)cwb::gptqGgmlQuantize(short_.w.data(), short_.rows, short_.cols,
                                        short_.h.data(), short_.tokens, p, cwb::JobContext{});
        },
        "not whole Q4_K blocks");
    std::atomic<bool> cancel{true};
    cwb::JobContext job;
    job.cancelFlag = &cancel;
    p.type = DType::Q4_0;
    QVERIFY_THROWS_EXCEPTION(cwb::Cancelled, (void)cwb::gptqGgmlQuantize(
                                                 l.w.data(), l.rows, l.cols, l.h.data(),
                                                 l.tokens, p, job));
}

void TestGptqGgml::registryMethodStoresTheType()
{
    const cwb::MethodSpec &m = cwb::requireMethod("gptq_ggml");
    QVERIFY(m.needsHessian);
    cwb::ParamSet params(m.params);
    params.set("type", std::string("q5_k"));
    const cwb::ParamReader p = params.reader();
    QCOMPARE(m.exportForms(p, DType::F32).gguf, std::string("Q5_K"));
    QCOMPARE(m.rowMultiple(p), int64_t(256));
    const auto l = cwbtest::makeCalibratedLayer(8, 256, {0.5, 0.7, 0}, 26, 512);
    cwb::InputStats in;
    in.tokens = l.tokens;
    in.hessian = std::make_shared<const std::vector<double>>(l.h);
    std::vector<std::string> notes;
    cwb::JobContext job;
    cwb::QuantizeInput qi;
    qi.w = l.w.data();
    qi.rows = l.rows;
    qi.cols = l.cols;
    qi.in = &in;
    qi.job = &job;
    qi.notes = &notes;
    const cwb::StoredMatrix s = m.quantize(p, qi);
    QCOMPARE(s.type, DType::Q5_K);
    QCOMPARE(s.storedBytes(), m.storedSize(p, {uint64_t(l.rows), uint64_t(l.cols)}).total());
}

void TestGptqGgml::dev256BeatsLlamaCppQ4K()
{
    CWB_SHARED_FILE(path, "models/dev256/model.safetensors");
    CWB_SHARED_FILE(calib, "data/dev256/calib.txt");
    CWB_SHARED_FILE(evalText, "data/dev256/eval.txt");
    const cwb::Model model = cwb::io::openModel(std::filesystem::path(path).parent_path().string());
    const auto recipe = [](const std::string &method) {
        return cwb::parseRecipe(R"({"version": 1, "defaults": {"methods": [)" + method
                                    + R"(]}, "overrides": {"embed": {"methods": [{"method": "q6_k"}]}}})",
                                "test");
    };
    const cwb::Recipe plain = recipe(R"({"method": "q4_k", "params": {"imatrix": true}})");
    const cwb::Recipe gptq = recipe(R"({"method": "gptq_ggml", "params": {"type": "q4_k"}})");

    cwb::ActivationParams ap;
    ap.sequences = 8;
    ap.tokensPerSequence = 128;
    ap.collectHessians = true;
    const cwb::ActivationStats stats = cwb::collectActivationStats(model, calib, ap);
    cwb::CompressParams cp;
    cp.calibrationPath = calib;
    cp.calibrationStats = &stats;
    cp.threads = 2;
    cwb::PlanOptions withCalibration;
    withCalibration.calibration = true;
    const auto a = cwb::compressModel(model, cwb::resolvePlan(plain, model, withCalibration), cp);
    const auto b = cwb::compressModel(model, cwb::resolvePlan(gptq, model, withCalibration), cp);
    QCOMPARE(a.totals.compressedBytes, b.totals.compressedBytes); // the same types, the same size
    int compared = 0;
    for (const cwb::CompressedTensor &t : a.tensors) {
        if (t.report.outputError < 0 || t.canonical == "embed")
            continue;
        const cwb::CompressedTensor *g = b.find(t.canonical);
        QVERIFY(g);
        QVERIFY2(g->report.outputError < t.report.outputError,
                 qPrintable(QStringLiteral("%1: gptq %2 vs q4_k %3")
                                .arg(QString::fromStdString(t.canonical))
                                .arg(g->report.outputError)
                                .arg(t.report.outputError)));
        ++compared;
    }
    QCOMPARE(compared, 42); // 6 blocks x 7 matrices

    cwb::RecipeBenchParams bp;
    bp.calibrationPath = calib;
    bp.statisticsSequences = ap.sequences;
    bp.statisticsTokensPerSequence = ap.tokensPerSequence;
    bp.windows = {2, 128};
    bp.evalTextPath = evalText;
    bp.nCtx = 128;
    bp.chunks = 8;
    bp.threads = 2;
    cwb::RecipeBench bench(model, bp);
    const auto mp = bench.measure("q4_k", plain, nullptr);
    const auto mg = bench.measure("gptq_ggml q4_k", gptq, nullptr);
    qInfo("dev256 KLD: q4_k + imatrix %.3e, gptq onto q4_k %.3e", mp.eval.mean, mg.eval.mean);
    QVERIFY(mg.eval.mean < mp.eval.mean);
}

QTEST_GUILESS_MAIN(TestGptqGgml)
#include "test_gptq_ggml.moc"
