// SPDX-License-Identifier: MIT
// The tables and target verdicts of `cwb bench` (core/bench/bench_report.h, bench_targets.h)
// on made-up results, so a verdict or a column can be checked without timing anything.

#include "bench/bench_report.h"
#include "bench/bench_targets.h"
#include "bench/llama_bench.h"
#include "util/error.h"

#include <QTest>

#include <limits>
#include <string>

using namespace cwb::bench;

class TestBenchReport : public QObject {
    Q_OBJECT
private slots:
    void openVerdicts();
    void analyzeVerdicts();
    void openText();
    void analyzeText();
    void evalText();
    void llamaBenchJson();
    void compressText();
};

namespace {

bool contains(const std::string &text, const std::string &part)
{
    return text.find(part) != std::string::npos;
}

} // namespace

void TestBenchReport::openVerdicts()
{
    OpenBenchResult r;
    r.openSeconds = 0.049;
    r.rssGrowthOpenMiB = 49.9;
    QCOMPARE(openBenchVerdicts(r).open, Verdict::Met);
    QCOMPARE(openBenchVerdicts(r).rssGrowth, Verdict::Met);
    r.openSeconds = kOpenTargetSeconds; // the targets are strict: "< 50 ms"
    r.rssGrowthOpenMiB = kOpenRssGrowthTargetMiB;
    QCOMPARE(openBenchVerdicts(r).open, Verdict::Missed);
    QCOMPARE(openBenchVerdicts(r).rssGrowth, Verdict::Missed);
    QCOMPARE(std::string(verdictText(Verdict::Met)), std::string("met"));
    QCOMPARE(std::string(verdictText(Verdict::Missed)), std::string("MISSED"));
    QCOMPARE(std::string(verdictText(Verdict::NotMeasured)), std::string("not measured"));
}

void TestBenchReport::analyzeVerdicts()
{
    AnalyzeBenchResult r;
    r.triadGBps = 10;
    // No rows: nothing missed the target.
    QCOMPARE(analyzeBenchVerdicts(r).worstTriadSharePct, std::numeric_limits<double>::infinity());
    QCOMPARE(analyzeBenchVerdicts(r).statsHistogram, Verdict::Met);
    QCOMPARE(analyzeBenchVerdicts(r).spectrum, Verdict::NotMeasured);
    ThroughputRow fast, slow;
    fast.fusedGBps = 9;
    slow.fusedGBps = 5; // exactly 50%: met (">= 50%")
    r.throughput = {fast, slow};
    QCOMPARE(analyzeBenchVerdicts(r).worstTriadSharePct, 50.0);
    QCOMPARE(analyzeBenchVerdicts(r).statsHistogram, Verdict::Met);
    r.throughput[1].fusedGBps = 4.9;
    QCOMPARE(analyzeBenchVerdicts(r).statsHistogram, Verdict::Missed);
    r.referenceSeconds = 2;
    r.spectrumSeconds = 2; // "<= 1.0x LAPACK"
    QCOMPARE(analyzeBenchVerdicts(r).spectrum, Verdict::Met);
    r.spectrumSeconds = 2.1;
    QCOMPARE(analyzeBenchVerdicts(r).spectrum, Verdict::Missed);
    r.triadGBps = 0; // no triad: every share is 0
    QCOMPARE(analyzeBenchVerdicts(r).worstTriadSharePct, 0.0);
    QCOMPARE(triadSharePct(3, 0), 0.0);
}

void TestBenchReport::openText()
{
    OpenBenchParams p;
    OpenBenchResult r;
    r.modelBytes = 2ull << 30;
    r.shards = 4;
    r.openSeconds = 0.012;
    r.rssGrowthOpenMiB = 80;
    r.convertGBps = 3;
    r.triadGBps = 6;
    const std::string t = openBenchText(p, r);
    QVERIFY2(contains(t, "model       2048 MiB in 4 shards"), t.c_str());
    QVERIFY2(contains(t, "open        12.00 ms, RSS growth 80.0 MiB"), t.c_str());
    QVERIFY2(contains(t, "(from page cache)"), t.c_str());
    QVERIFY2(contains(t, "convert / triad = 50%"), t.c_str());
    QVERIFY2(contains(t, "targets     open < 50 ms: met; RSS growth < 50 MiB: MISSED\n"),
             t.c_str());
    p.dropPageCache = true;
    QVERIFY(contains(openBenchText(p, r), "(page cache dropped first)"));
}

void TestBenchReport::analyzeText()
{
    AnalyzeBenchParams p;
    AnalyzeBenchResult r;
    r.dtype = "bf16";
    r.triadGBps = 10;
    ThroughputRow row;
    row.shape = "4096 x 4096";
    row.fusedGBps = 6;
    r.throughput = {row};
    const std::string t = analyzeBenchText(p, r, "--no-lapack");
    QVERIFY2(contains(t, "generated heavy-tailed bf16 tensors"), t.c_str());
    QVERIFY2(contains(t, "4096 x 4096"), t.c_str());
    QVERIFY2(contains(t, "    60%\n"), t.c_str());
    QVERIFY2(contains(t, "vs LAPACK    not measured (--no-lapack)"), t.c_str());
    QVERIFY2(contains(t, "targets      stats+histogram >= 50% of triad: met; spectrum <= 1.0x "
                         "LAPACK: not measured\n"),
             t.c_str());
    p.referenceName = "LAPACKE_dgesdd";
    r.referenceSeconds = 2;
    r.spectrumSeconds = 1;
    const std::string withRef = analyzeBenchText(p, r, "unused");
    QVERIFY2(contains(withRef, "same matrix: LAPACKE_dgesdd 2.00 s; ours / LAPACK = 0.50x"),
             withRef.c_str());
    QVERIFY(contains(withRef, "spectrum <= 1.0x LAPACK: met"));
}

void TestBenchReport::evalText()
{
    EvalBenchParams p;
    EvalBenchResult r;
    r.threads = 2;
    r.promptTokens = 512;
    r.genTokens = 128;
    EvalBenchRow row;
    row.name = "stories260K-F32";
    row.prefillTokPerS = 200;
    row.llamaPrefillTokPerS = 100;
    row.decodeTokPerS = 50;
    r.rows = {row};
    const std::string t = evalBenchText(p, r);
    QVERIFY2(contains(t, "bench eval: pp512 and tg128 tokens/s, 2 threads, best of 3"), t.c_str());
    QVERIFY2(contains(t, "stories260K-F32"), t.c_str());
    QVERIFY2(contains(t, "  2.00x |"), t.c_str());  // prefill ratio
    QVERIFY2(contains(t, "      - |"), t.c_str());  // no llama.cpp decode figure: no ratio
    QVERIFY2(contains(t, "machine  triad"), t.c_str());

    // Side by side: ours is compared by its mean, the statistic llama-bench prints (avg_ts),
    // not by its best run.
    p.llamaBenchPath = "/tools/llama-bench";
    p.repetitions = 3;
    row.name = "Q4_0";
    row.llamaMeasured = true;
    row.prefillTokPerS = 900; // best run
    row.prefillTokPerSMean = 300;
    row.llamaPrefillTokPerS = 400;
    row.decodeTokPerS = 120;
    row.decodeTokPerSMean = 100;
    row.llamaDecodeTokPerS = 50;
    r.rows = {row};
    const std::string s = evalBenchText(p, r);
    QVERIFY2(contains(s, "mean of 3 runs each"), s.c_str());
    QVERIFY2(contains(s, "|      300.0 |  0.75x |"), s.c_str());
    QVERIFY2(contains(s, "|      100.0 |  2.00x |"), s.c_str());
}

void TestBenchReport::llamaBenchJson()
{
    const std::string json = R"([
        {"model_filename": "/a.gguf", "n_prompt": 512, "n_gen": 0, "avg_ts": 1075.5},
        {"model_filename": "/a.gguf", "n_prompt": 0, "n_gen": 128, "avg_ts": 139.25},
        {"model_filename": "/b.gguf", "n_prompt": 0, "n_gen": 128, "avg_ts": 300}])";
    const auto f = parseLlamaBenchJson(json, "test");
    QCOMPARE(f.size(), size_t(2));
    QCOMPARE(f[0].model, std::string("/a.gguf"));
    QCOMPARE(f[0].prefillTokPerS, 1075.5);
    QCOMPARE(f[0].decodeTokPerS, 139.25);
    QCOMPARE(f[1].prefillTokPerS, 0.0);
    QCOMPARE(f[1].decodeTokPerS, 300.0);
    const auto fails = [](const std::string &text, const char *expected) {
        try {
            (void)parseLlamaBenchJson(text, "test");
        } catch (const cwb::Error &e) {
            return contains(e.what(), expected);
        }
        return false;
    };
    QVERIFY(fails("[{\"model_filename\": \"/a\"", "no valid JSON"));
    QVERIFY(fails("{}", "not an array"));
    QVERIFY(fails(R"([{"model_filename": "/a", "n_prompt": 1, "n_gen": 0}])",
                  "test 0 has no \"avg_ts\""));

    LlamaBenchParams p;
    p.tool = "llama-bench";
    p.models = {"/a.gguf", "/b.gguf"};
    const auto a = llamaBenchArguments(p);
    std::string line;
    for (const auto &s : a)
        line += s + " ";
    QCOMPARE(line, std::string("llama-bench -m /a.gguf -m /b.gguf -p 512 -n 128 -t 2 -r 3 -ctk f16 "
                               "-ctv f16 -o json "));
}

void TestBenchReport::compressText()
{
    CompressBenchParams p;
    CompressBenchResult r;
    r.threads = 2;
    r.triadGBps = 10;
    CompressBenchRow row;
    row.name = "nf4";
    row.rows = 64;
    row.cols = 128;
    row.seconds = 0.002;
    row.inputGBps = 5;
    r.rows = {row};
    const std::string noHessian = compressBenchText(p, r);
    QVERIFY2(contains(noHessian, "64x128       nf4"), noHessian.c_str());
    QVERIFY2(contains(noHessian, "     50% |         - "), noHessian.c_str()); // no reference
    QVERIFY(!contains(noHessian, "Hessian methods"));
    HessianBenchShape hs;
    hs.rows = hs.cols = 256;
    hs.tokens = 600;
    hs.hessianSeconds = hs.prepSeconds = 0.1;
    hs.hessianFlops = hs.prepFlops = 1e9;
    HessianBenchMethod m;
    m.name = "gptq w4 g128";
    m.seconds = 1;
    m.flops = 4e9;
    m.baseline = "rtn w4 g128";
    m.sparsity = 0.5;
    hs.methods = {m};
    r.hessian = {hs};
    r.gemmSize = 2048;
    r.gemmGflops = 20;
    r.gemmGflopsPanels = 40;
    const std::string t = compressBenchText(p, r);
    QVERIFY2(contains(t, "X^T X (600 tokens)"), t.c_str());
    QVERIFY2(contains(t, "  (50.0% zeros)"), t.c_str());
    QVERIFY2(contains(t, "  minus preparation"), t.c_str()); // 0.9 s of 1 s is not noise
    QVERIFY2(contains(t, "     20%     10% |"), t.c_str());  // 4 GFLOP/s of 20 and 40
}

QTEST_GUILESS_MAIN(TestBenchReport)
#include "test_bench_report.moc"
