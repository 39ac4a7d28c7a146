// SPDX-License-Identifier: MIT
// `cwb bench quality` (core/bench/quality_bench.h): the parsers of llama.cpp's logs on captured
// snippets, the pairing and ratio rule on made-up rows, the tool runner's failures and
// cancellation, and one real run on dev256 with llama.cpp's tools from CWB_SHARED (two types,
// a short text): llama.cpp's table and ours, ours judged by llama-perplexity.

#include "bench/llama_logs.h"
#include "bench/quality_bench.h"
#include "bench/tool_process.h"
#include "choose/candidates.h"
#include "util/error.h"

#include "support/test_support.h"

#include <QTemporaryDir>
#include <QTest>

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

using namespace cwb::bench;
namespace fs = std::filesystem;

class TestBenchQuality : public QObject {
    Q_OBJECT
private slots:
    void loadedSize();
    void perplexityLogs();
    void quantizeLog();
    void ratioRule();
    void toolFailureNamesTheTool();
    void toolCancelled();
    void missingToolsDirectory();
    void dev256WithLlamaTools();
};

namespace {

bool contains(const std::string &text, const std::string &part)
{
    return text.find(part) != std::string::npos;
}

// Captured from llama-perplexity c392e509 (tools/llama.cpp) on dev256: the load log on stderr.
const char *const kLoadLog = R"(llama_model_loader: - type  f32:   13 tensors
llama_model_loader: - type q2_K:   30 tensors
print_info: file format = GGUF V3 (latest)
print_info: file type   = Q2_K - Medium
print_info: file size   = 2.89 MiB (3.49 BPW) 
print_info: arch             = llama
load_tensors:   CPU_Mapped model buffer size =     2.89 MiB
)";

// Its --kl-divergence statistics on stdout (abridged: the per-chunk table and Δp lines cut).
const char *const kKldLog = R"(
chunk             PPL               ln(PPL(Q)/PPL(base))          KL Divergence              Δp RMS            Same top p
   4      27.4489 ±    3.5959       0.04888 ±    0.01213       0.02181 ±    0.00123     3.085 ±  0.340 %    89.286 ±  1.952 %

====== Perplexity statistics ======
Mean PPL(Q)                   :  27.448896 ±   3.595865
Mean PPL(base)                :  26.139455 ±   3.444995
Cor(ln(PPL(Q)), ln(PPL(base))):  99.58%

====== KL divergence statistics ======
Mean    KLD:   0.021808 ±   0.001228
Maximum KLD:   0.111159
99.9%   KLD:   0.110726
99.0%   KLD:   0.103693
99.0%   KLD:   0.103693
Median  KLD:   0.016005

====== Token probability statistics ======
Mean    Δp: -0.507 ± 0.192 %
RMS Δp    :  3.085 ± 0.340 %
Same top p: 89.286 ± 1.952 %
)";

// A plain run (or --kl-divergence-base): the estimate ends the progress line.
const char *const kBaseLog =
    "perplexity: calculating perplexity over 4 chunks, n_ctx=128, batch_size=128, n_seq=1\n"
    "perplexity: 0.02 seconds per pass - ETA 0.00 minutes\n"
    "[1]42.1649,[2]34.0897,[3]27.9194,[4]26.1396,\n"
    "perplexity: 0.02 seconds per pass - ETA Final estimate: PPL = 26.1396 +/- 3.44500\n";

// llama-quantize on stories260K (rows of 64: K-quants fall back), abridged.
const char *const kQuantizeLog = R"(llama_tensor_get_type : tensor cols 64 x 512 are not divisible by 256, required for q4_K - using fallback quantization q5_0
[   2/  48]                  token_embd.weight - [   64,   512,     1,     1], type =    f32, converting to q5_0 .. size =     0.12 MiB ->     0.02 MiB
llama_tensor_get_type : tensor cols 64 x 32 are not divisible by 256, required for q4_K - using fallback quantization q5_0
llama_model_quantize_impl: model size  =     1.13 MB
llama_model_quantize_impl: quant size  =     0.28 MB

main: quantize time =   363.54 ms
main:    total time =   363.54 ms
)";

JudgedFile judged(uint64_t bytes, double bpw, double kld)
{
    JudgedFile f;
    f.bytes = bytes;
    f.bitsPerWeight = bpw;
    f.meanKld = kld;
    return f;
}

} // namespace

void TestBenchQuality::loadedSize()
{
    const LoadedSize s = parseLoadedSize(kLoadLog, "perplexity");
    QCOMPARE(s.mebibytes, 2.89);
    QCOMPARE(s.bitsPerWeight, 3.49);
    const LoadedSize g =
        parseLoadedSize("print_info: file size   = 3.56 GiB (4.54 BPW) \n", "perplexity");
    QCOMPARE(g.mebibytes, 3.56 * 1024);
    QCOMPARE(g.bitsPerWeight, 4.54);
    // Older builds: "llm_load_print_meta: model size = ...".
    QCOMPARE(parseLoadedSize("llm_load_print_meta: model size       = 25.00 MiB (8.50 BPW) \n",
                             "p")
                 .bitsPerWeight,
             8.5);
    const std::string e = cwbtest::errorOf([] {
        (void)parseLoadedSize("load_tensors: CPU_Mapped model buffer size = 2.89 MiB\n",
                              "llama-perplexity (x.gguf)");
    });
    QVERIFY2(contains(e, "llama-perplexity (x.gguf)") && contains(e, "BPW"), e.c_str());
}

void TestBenchQuality::perplexityLogs()
{
    const PerplexityFigures k = parsePerplexityLog(kKldLog, "p");
    QVERIFY(k.hasKld);
    QCOMPARE(k.ppl, 27.448896);
    QCOMPARE(k.pplError, 3.595865);
    QCOMPARE(k.meanKld, 0.021808);
    QVERIFY(k.meanKldError);
    QCOMPARE(*k.meanKldError, 0.001228);
    QVERIFY(k.p99Kld && k.sameTopPct);
    QCOMPARE(*k.p99Kld, 0.103693);
    QCOMPARE(*k.sameTopPct, 89.286);

    const PerplexityFigures b = parsePerplexityLog(kBaseLog, "p");
    QVERIFY(!b.hasKld);
    QCOMPARE(b.ppl, 26.1396);
    QCOMPARE(b.pplError, 3.445);

    // A KLD block without its PPL(Q) line, and a log with neither: errors naming the source.
    const std::string noPpl = cwbtest::errorOf([] {
        (void)parsePerplexityLog("Mean    KLD:   0.5 ± 0.1\n", "llama-perplexity (q.gguf)");
    });
    QVERIFY2(contains(noPpl, "llama-perplexity (q.gguf)") && contains(noPpl, "Mean PPL(Q)"),
             noPpl.c_str());
    const std::string none =
        cwbtest::errorOf([] { (void)parsePerplexityLog("[1]42.1649,[2]34.0897,\n", "lp"); });
    QVERIFY2(contains(none, "lp") && contains(none, "Final estimate"), none.c_str());
    // "Mean    KLD" must be the whole key: "Mean PPL" or "Median  KLD" are not it.
    QVERIFY(!parsePerplexityLog(std::string(kBaseLog) + "Median  KLD:   0.01\n", "p").hasKld);
}

void TestBenchQuality::quantizeLog()
{
    const QuantizeFigures q = parseQuantizeLog(kQuantizeLog, "q");
    QCOMPARE(q.quantMegabytes, 0.28);
    QCOMPARE(q.fallbacks, 2);
    QCOMPARE(q.quantizeMs.value_or(-1), 363.54);
    QVERIFY(!parseQuantizeLog("llama_model_quantize_impl: quant size  =     0.28 MB\n", "q")
                 .quantizeMs.has_value());
    const std::string e = cwbtest::errorOf([] {
        (void)parseQuantizeLog("main: quantize time =   363.54 ms\n", "llama-quantize Q2_K");
    });
    QVERIFY2(contains(e, "llama-quantize Q2_K") && contains(e, "quant size"), e.c_str());
}

void TestBenchQuality::ratioRule()
{
    QualityBenchResult r;
    const auto llama = [&](const char *type, bool imatrix, uint64_t bytes, double kld) {
        LlamaQuantRow l;
        l.type = type;
        l.imatrix = imatrix;
        l.file = judged(bytes, double(bytes) / 100, kld);
        r.llama.push_back(l);
    };
    llama("Q3_K_M", false, 400, 0.020);
    llama("Q3_K_M", true, 400, 0.016);
    llama("Q4_K_M", false, 500, 0.008);
    llama("Q4_K_M", true, 500, 0.007);
    llama("Q8_0", false, 850, 0.0001);
    const auto ours = [&](const char *paired, uint64_t bytes, double kld) {
        OurRow o;
        o.pairedType = paired;
        o.budgetBytes = bytes;
        o.file = judged(bytes, double(bytes) / 100, kld);
        r.ours.push_back(o);
    };
    ours("Q3_K_M", 398, 0.008); // smaller than Q3_K_M: compared with its best (imatrix)
    ours("Q4_K_M", 501, 0.004); // one byte larger: compared with Q8_0, and flagged
    ours("", 900, 0.00001);     // larger than every file: no reference
    ours("", 500, 0.0035);      // equal size counts
    OurRow failed;
    failed.pairedType = "Q8_0";
    failed.problem = "the solver: budget infeasible";
    r.ours.push_back(failed);
    compareWithLlama(r);

    QCOMPARE(r.ours[0].bestLlamaName, std::string("Q3_K_M + imatrix"));
    QVERIFY(r.ours[0].ratio);
    QCOMPARE(*r.ours[0].ratio, 0.5);
    QVERIFY(!r.ours[0].largerThanPaired);
    QCOMPARE(r.ours[1].bestLlamaName, std::string("Q8_0"));
    QVERIFY(r.ours[1].largerThanPaired);
    QVERIFY(!r.ours[2].ratio && !r.ours[2].bestLlamaKld);
    QCOMPARE(r.ours[3].bestLlamaName, std::string("Q4_K_M + imatrix"));
    QCOMPARE(*r.ours[3].ratio, 0.5);
    QVERIFY(!r.ours[4].ratio);

    // The text flags the larger file and counts the target over 2.8 - 6.5 bpw only.
    r.params.types = {"Q3_K_M", "Q4_K_M", "Q8_0"};
    const std::string text = qualityBenchText(r);
    QVERIFY2(contains(text, "ours LARGER than Q4_K_M"), text.c_str());
    QVERIFY2(contains(text, "not measured: the solver: budget infeasible"), text.c_str());
    // In range (2.8..6.5 bpw): 3.98 (0.5, met), 5.01 (vs Q8_0), 5.00 (0.5, met); 9.00 is not.
    QVERIFY2(contains(text, "met at 2 of 3 budgets in that range"), text.c_str());
    const auto json = nlohmann::json::parse(qualityBenchJson(r));
    QCOMPARE(json["schema"].get<std::string>(), std::string("cwb.bench-quality/1"));
    QCOMPARE(json["target"]["met"].get<int>(), 2);
    QCOMPARE(json["ours"][1]["larger_than_paired"].get<bool>(), true);
    QVERIFY(json["ours"][4]["problem"].is_string());
}

void TestBenchQuality::toolFailureNamesTheTool()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const std::string e = cwbtest::errorOf([&] {
        (void)runTool({{"/bin/sh", "-c", "echo loading >&2; echo 'error: bad magic' >&2; exit 3"},
                       dir.path().toStdString(),
                       "failing"});
    });
    QVERIFY2(contains(e, "sh exited with status 3") && contains(e, "error: bad magic")
                 && contains(e, "stderr"),
             e.c_str());
    const std::string missing = cwbtest::errorOf([&] {
        (void)runTool({{dir.path().toStdString() + "/llama-nothing"}, dir.path().toStdString(),
                       "x"});
    });
    QVERIFY2(contains(missing, "llama-nothing") && contains(missing, "not an executable"),
             missing.c_str());
    const ToolOutput ok = runTool(
        {{"/bin/sh", "-c", "echo out; echo err >&2"}, dir.path().toStdString(), "ok"});
    QCOMPARE(ok.out, std::string("out\n"));
    QCOMPARE(ok.err, std::string("err\n"));
    QCOMPARE(commandLine({"/x/llama-quantize", "a b.gguf", "it's"}),
             std::string("/x/llama-quantize 'a b.gguf' 'it'\\''s'"));
}

void TestBenchQuality::toolCancelled()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    std::atomic<bool> cancel{false};
    cwb::JobContext ctx;
    ctx.cancelFlag = &cancel;
    std::thread stopper([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        cancel = true;
    });
    bool cancelled = false;
    try {
        (void)runTool({{"/bin/sleep", "30"}, dir.path().toStdString(), "sleep"}, ctx);
    } catch (const cwb::Cancelled &) {
        cancelled = true;
    }
    stopper.join();
    QVERIFY(cancelled);
}

void TestBenchQuality::missingToolsDirectory()
{
    CWB_SHARED_FILE(model, "models/dev256/dev256-f32.gguf");
    CWB_SHARED_FILE(text, "data/dev256/eval.txt");
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QualityBenchParams p;
    p.modelPath = model;
    p.evalTextPath = text;
    p.calibrationPath = text;
    p.llamaToolsDir = dir.path().toStdString();
    const std::string e = cwbtest::errorOf([&] { (void)runQualityBench(p); });
    QVERIFY2(contains(e, "llama-perplexity") && contains(e, "tools directory"), e.c_str());
}

namespace {

// The first `bytes` of a shared text, cut at a line end, in `dir`.
std::string head(const std::string &source, const QTemporaryDir &dir, const char *name,
                 size_t bytes)
{
    std::ifstream in(source, std::ios::binary);
    std::string text(bytes, '\0');
    in.read(text.data(), std::streamsize(bytes));
    text.resize(size_t(in.gcount()));
    text.resize(text.rfind('\n') + 1);
    const std::string path = dir.filePath(QString::fromUtf8(name)).toStdString();
    std::ofstream(path, std::ios::binary) << text;
    return path;
}

} // namespace

void TestBenchQuality::dev256WithLlamaTools()
{
    CWB_SHARED_FILE(model, "models/dev256/dev256-f32.gguf");
    CWB_SHARED_FILE(eval, "data/dev256/eval.txt");
    CWB_SHARED_FILE(calib, "data/dev256/calib.txt");
    CWB_SHARED_FILE(perplexity, "tools/llama.cpp/llama-perplexity");
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QualityBenchParams p;
    p.modelPath = model;
    p.evalTextPath = head(eval, dir, "eval.txt", 24000);
    p.calibrationPath = head(calib, dir, "calib.txt", 60000);
    p.llamaToolsDir = fs::path(perplexity).parent_path().string();
    p.types = {"Q2_K", "Q8_0"};
    p.nCtx = 128;
    p.chunks = 4;
    p.imatrixChunks = 4;
    p.threads = 1; // ggml's spinning threads crawl on a loaded 2-core machine
    // A small option set and calibration slice keep the sensitivity analysis to seconds; the
    // command's default is the whole GGUF set.
    p.candidates = cwb::parseCandidates("q2_k,q8_0");
    p.windows = 1;
    p.sequences = 4;
    p.seqLen = 64;
    p.tempParent = dir.path().toStdString();
    const QualityBenchResult r = runQualityBench(p);

    QVERIFY(!fs::exists(r.filesDir)); // the scratch directory is gone
    QVERIFY(!r.baseExported);
    QCOMPARE(r.base.bitsPerWeight, 32.0);
    QVERIFY(r.base.ppl > 1);
    QCOMPARE(r.llama.size(), size_t(4));
    for (const LlamaQuantRow &l : r.llama) {
        QVERIFY(contains(l.quantizeCommand, "llama-quantize"));
        QCOMPARE(contains(l.quantizeCommand, "--imatrix"), l.imatrix);
        QVERIFY(l.file.meanKld > 0 && l.file.meanKldError);
    }
    QCOMPARE(r.llama[0].type, std::string("Q2_K"));
    QCOMPARE(r.llama[2].type, std::string("Q8_0"));
    QVERIFY(r.llama[2].file.meanKld < r.llama[0].file.meanKld);
    QVERIFY(r.llama[0].file.bitsPerWeight < 4 && r.llama[2].file.bitsPerWeight > 8);

    // Ours: one budget per type, at or below its file's bytes, judged by llama-perplexity.
    QCOMPARE(r.ours.size(), size_t(2));
    QCOMPARE(r.ours[0].pairedType, std::string("Q2_K"));
    QCOMPARE(r.ours[1].pairedType, std::string("Q8_0"));
    for (size_t i = 0; i < 2; ++i) {
        const OurRow &o = r.ours[i];
        QVERIFY2(o.problem.empty(), o.problem.c_str());
        QCOMPARE(o.budgetBytes, r.llama[2 * i].file.bytes);
        QVERIFY(o.file.bytes <= o.budgetBytes && !o.largerThanPaired);
        QCOMPARE(o.file.bytes, o.plannedBytes); // our accounting = the GGUF's tensor bytes
        QCOMPARE(o.inexactTensors, int64_t(0));
        QVERIFY(contains(o.file.command, "llama-perplexity")
                && contains(o.file.command, "--kl-divergence")
                && contains(o.file.command, "ours-"));
        QVERIFY(o.file.meanKld > 0 && o.ratio);
    }
    QVERIFY(r.ours[1].file.meanKld < r.ours[0].file.meanKld);

    const auto json = nlohmann::json::parse(qualityBenchJson(r));
    QCOMPARE(json["llama"].size(), size_t(4));
    QVERIFY(contains(json["ours"][0]["file"]["command"].get<std::string>(), "llama-perplexity"));
    QCOMPARE(json["ours"][0]["paired_type"].get<std::string>(), std::string("Q2_K"));
    const std::string text = qualityBenchText(r);
    QVERIFY2(contains(text, "Q2_K      y") && contains(text, "target (issue 13)"), text.c_str());
    std::printf("%s", text.c_str());
}

QTEST_GUILESS_MAIN(TestBenchQuality)
#include "test_bench_quality.moc"
