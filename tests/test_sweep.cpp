// SPDX-License-Identifier: MIT
// Sweeps and the evaluation history on stories260K (TinyStories text, n_ctx 64, a few windows):
// the /history group written and read back field for field (and absent in older projects);
// keys that ignore formatting and comments but not settings; a sweep of three recipes plus
// the original with sane, ordered metrics and its trade-off chart; a sweep cancelled after its
// first point and resumed measures only the rest and leaves the stored point as it was (also
// when cancelled inside a point); the Slurm path end to end (emit, each task run locally with
// SLURM_ARRAY_TASK_ID, a missing task reported, collect, the same keys as a local sweep);
// bad recipes, malformed results and a project of another model refused naming the file;
// a reference file (llama-quantize's own Q8_0 of the quant zoo's model) measured as a point apart, off
// the Pareto front, kept through the project and a Slurm array, and one of another vocabulary
// refused naming it.

#include "cli_runner.h"
#include "test_support.h"

#include "host/memory_status.h"
#include "io/open_model.h"
#include "project/project_file.h"
#include "sweep/point_json.h"
#include "sweep/slurm_array.h"
#include "sweep/sweep_plan.h"
#include "choose/sensitivity.h"
#include "recipe/recipe.h"
#include "sweep/sweep.h"
#include "sweep/sweep_key.h"
#include "sweep/history_chart.h"
#include "util/error.h"

#include <nlohmann/json.hpp>

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QProcessEnvironment>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace fs = std::filesystem;
using namespace cwb; // a test source, not a header

namespace {

constexpr const char *kModel = "models/stories260K/stories260K.gguf";
constexpr const char *kText = "data/tinystories/tinystories_validation_head.txt";

// Three plans of decreasing size on every matrix: per-row scales (stories260K's 172-wide down
// projections take no group of 32), the smallest with GPTQ on the layers, which needs
// calibration (embed and head, whose inputs are not observed, get rtn).
const char *kRtn8 = R"({"version": 1, "name": "rtn 8",
  "defaults": {"methods": [{"method": "rtn", "params": {"bits": 8, "group": -1}}]}})";
const char *kRtn4 = R"({"version": 1,
  "defaults": {"methods": [{"method": "rtn", "params": {"bits": 4, "group": -1}}]}})";
const char *kGptq3 = R"({"version": 1,
  "defaults": {"methods": [{"method": "rtn", "params": {"bits": 3, "group": -1}}]},
  "rules": [{"match": "layers.*",
             "methods": [{"method": "gptq", "params": {"bits": 3, "group": -1}}]}]})";

std::string writeFile(const QTemporaryDir &dir, const char *name, const std::string &text)
{
    const std::string path = dir.filePath(QString::fromUtf8(name)).toStdString();
    std::ofstream(path, std::ios::binary) << text;
    return path;
}

std::string readFile(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

QString q(const std::string &s)
{
    return QString::fromStdString(s);
}

// Small and quick: 64-token windows, 3 of them; calibration 8 x 64 tokens.
SweepParams smallSweep(const Model &model, const std::string &text, const std::string &calib)
{
    SweepParams p;
    p.model = &model;
    p.evaluation.textPath = text;
    p.evaluation.nCtx = 64;
    p.evaluation.chunks = 3;
    p.calibration.path = calib;
    p.calibration.sequences = 8;
    p.calibration.tokensPerSequence = 64;
    return p;
}

HistoryPoint samplePoint(int i)
{
    HistoryPoint p;
    p.key = std::string(15, '0') + char('a' + i);
    p.name = "point " + std::to_string(i);
    if (i > 0) {
        p.recipeJson = kRtn4;
        p.recipeHash = "0123456789abcdef";
        p.calibrationPath = "/data/calib.txt";
    }
    p.settings = {{"eval.n_ctx", "64"}, {"weird/name.with%", "x"}};
    p.createdBy = "Compression Workbench test";
    p.finished = "2025-01-02T03:04:05Z";
    p.textPath = "/data/text.txt";
    p.threads = 3;
    p.bytes = 123456789012ull;
    p.parameters = 260032;
    p.bitsPerWeight = 4.0 + 1.0 / 3.0;
    p.ppl = 3.825;
    p.pplStderr = 0.0123;
    p.tokensScored = 96;
    p.windows = 3;
    p.hasKld = i > 0; // values only where measured: JSON writes null for the others
    p.kldMean = p.hasKld ? 0.1 / 7 : 0;
    p.kldP99 = p.hasKld ? 0.25 : 0;
    p.top1Pct = p.hasKld ? 93.75 : 0;
    p.hasLatency = i == 1;
    p.prefillTokPerS = p.hasLatency ? 12345.5 : 0;
    p.decodeTokPerS = p.hasLatency ? 2345.25 : 0;
    p.weightBytes = 140000;
    p.kvBytes = 20480;
    p.peakRssMiB = 55.5;
    p.seconds = 1.5;
    p.compressSeconds = 0.25;
    return p;
}

} // namespace

class TestSweep : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void historyRoundTrip();
    void pointJsonRoundTrip();
    void keysIgnoreFormattingNotMeaning();
    void sweepOfThreeRecipes();
    void interruptedAndResumed();
    void slurmArrayRunLocally();
    void badInputsNameTheFile();
    void peakRssResetsPerPoint();
    void analysisKeepsTheHistory();
    void referenceFilesArePointsApart();
    void pointsComposedFromChoices();
};

void TestSweep::historyRoundTrip()
{
    CWB_SHARED_FILE(modelPath, kModel);
    const Model model = io::openModel(modelPath);
    QTemporaryDir dir;
    const std::string path = dir.filePath(QStringLiteral("h.cwbproj")).toStdString();

    Project p = sweepProject(path, fingerprintModel(model)); // none yet: a new one
    QVERIFY(p.history.empty());
    writeProject(path, p);
    QVERIFY(readProject(path).history.empty()); // a project without /history reads

    p.history = {samplePoint(0), samplePoint(1), samplePoint(2)};
    writeProject(path, p);
    const Project back = readProject(path);
    QCOMPARE(back.history.size(), size_t(3));
    for (size_t i = 0; i < 3; ++i)
        QVERIFY2(back.history[i] == p.history[i], qPrintable(QString::number(i)));
    QCOMPARE(back.model.hashHex(), p.model.hashHex());
}

void TestSweep::pointJsonRoundTrip()
{
    for (int i = 0; i < 3; ++i) {
        const HistoryPoint p = samplePoint(i);
        const auto text = historyPointJson(p).dump();
        QVERIFY(historyPointFromJson(nlohmann::ordered_json::parse(text), "x.json") == p);
    }
    auto j = historyPointJson(samplePoint(1));
    j["ppl"] = "high";
    QCOMPARE(cwbtest::errorOf([&] { (void)historyPointFromJson(j, "r/001.json"); }),
             std::string("r/001.json: point.ppl: expected a number, got \"high\""));
    j = historyPointJson(samplePoint(1));
    j.erase("kv_bytes");
    QCOMPARE(cwbtest::errorOf([&] { (void)historyPointFromJson(j, "r/001.json"); }),
             std::string("r/001.json: point.kv_bytes: missing"));
}

void TestSweep::keysIgnoreFormattingNotMeaning()
{
    CWB_SHARED_FILE(modelPath, kModel);
    const Model model = io::openModel(modelPath);
    const ModelFingerprint fp = fingerprintModel(model);
    const std::string a = canonicalRecipe(kRtn4, "a");
    // Other spacing, key order, a name and a comment: the same plan.
    const std::string b = canonicalRecipe(
        R"({"defaults":{"methods":[{"params":{"group":-1,"bits":4},"method":"rtn"}]},
            "name": "four", "description": "d", "version": 1})",
        "b");
    QCOMPARE(a, b);
    QVERIFY(canonicalRecipe(kRtn8, "c") != a);
    QVERIFY(canonicalRecipe("", "original").empty());

    SweepEvaluation e;
    e.textPath = "t";
    e.nCtx = 64;
    const FileIdentity text{1000, 42};
    const auto s64 = evaluationSettings(e, text, nullptr, nullptr);
    e.nCtx = 128;
    const auto s128 = evaluationSettings(e, text, nullptr, nullptr);
    QVERIFY(historyKey(fp, a, s64) == historyKey(fp, b, s64));
    QVERIFY(historyKey(fp, a, s64) != historyKey(fp, a, s128));
    QVERIFY(historyKey(fp, a, s64) != historyKey(fp, "", s64));
    QCOMPARE(historyKey(fp, a, s64).size(), size_t(16));
    // Integer activations are another measurement; float ones add no setting (older keys stay).
    QVERIFY(!s128.contains("activations"));
    e.integerActivations = true;
    const auto integer = evaluationSettings(e, text, nullptr, nullptr);
    QCOMPARE(integer.at("activations"), std::string("integer"));
    QVERIFY(historyKey(fp, a, integer) != historyKey(fp, a, s128));
    e.integerActivations = false;
    // Calibration counts only where a plan reads it, with the pipeline's defaults spelled out.
    SweepCalibration c{"c.txt", 0, 0};
    const FileIdentity ct{500, 7};
    const auto withCalib = evaluationSettings(e, text, &c, &ct);
    QCOMPARE(withCalib.at("calibration.sequences"), std::string("64"));
    QCOMPARE(withCalib.at("calibration.seq_len"), std::string("256"));
    QVERIFY(!s128.contains("calibration.text.hash"));
    c.sequences = 64;
    QVERIFY(evaluationSettings(e, text, &c, &ct) == withCalib);

    // The recipe summary the chart and the table show.
    HistoryPoint point;
    QCOMPARE(historySummary(point), std::string("original"));
    point.recipeJson = kRtn8;
    QCOMPARE(historySummary(point), std::string("rtn 8; defaults: rtn(bits=8, group=-1)"));
    point.recipeJson = "{not json";
    QCOMPARE(historySummary(point), std::string("unreadable recipe"));
}

void TestSweep::sweepOfThreeRecipes()
{
    CWB_SHARED_FILE(modelPath, kModel);
    CWB_SHARED_FILE(text, kText);
    const Model model = io::openModel(modelPath);
    QTemporaryDir dir;
    SweepParams p = smallSweep(model, text, text);
    p.points = {originalPoint(), recipePoint(writeFile(dir, "rtn8.json", kRtn8)),
                recipePoint(writeFile(dir, "rtn4.json", kRtn4)),
                recipePoint(writeFile(dir, "gptq3.json", kGptq3))};
    p.projectPath = dir.filePath(QStringLiteral("s.cwbproj")).toStdString();
    p.evaluation.latency = true;
    p.evaluation.latencyPrompt = 32;
    p.evaluation.latencyGenerate = 8;
    p.threads = 2;
    size_t events = 0;
    p.onPoint = [&](const SweepEvent &e) {
        QCOMPARE(e.index, events++);
        QCOMPARE(e.total, size_t(4));
        QVERIFY(e.source == PointSource::Measured);
        // Written before the callback: what a kill now would leave.
        QCOMPARE(readProject(p.projectPath).history.size(), e.index + 1);
    };
    const SweepResult r = runSweep(p);
    QCOMPARE(events, size_t(4));
    QCOMPARE(r.measured, size_t(4));
    QCOMPARE(r.compressions, size_t(3));
    QCOMPARE(r.evaluations, size_t(4)); // the original's run is also the KLD base

    const std::vector<HistoryPoint> history = readProject(p.projectPath).history;
    QCOMPARE(history.size(), size_t(4));
    for (size_t i = 0; i < 4; ++i) {
        const HistoryPoint &h = history[i];
        QVERIFY(h == r.points[i]);
        qInfo("%-8s %s  %9llu bytes  %6.3f bpw  ppl %.4f +- %.4f  KLD %.5f (p99 %.4f)  top-1 "
              "%.2f%%  prefill %.0f tok/s  decode %.0f tok/s  weights %llu  KV %llu  RSS %.1f MiB"
              "  %.2f s",
              h.name.c_str(), h.key.c_str(), static_cast<unsigned long long>(h.bytes),
              h.bitsPerWeight, h.ppl, h.pplStderr, h.kldMean, h.kldP99, h.top1Pct,
              h.prefillTokPerS, h.decodeTokPerS, static_cast<unsigned long long>(h.weightBytes),
              static_cast<unsigned long long>(h.kvBytes), h.peakRssMiB, h.seconds);
        QVERIFY(std::isfinite(h.ppl) && h.ppl > 1.0);
        QVERIFY(h.pplStderr > 0);
        QVERIFY(h.hasKld && h.kldMean >= 0 && h.kldP99 >= h.kldMean * 0.999);
        QVERIFY(h.top1Pct > 0 && h.top1Pct <= 100);
        QVERIFY(h.hasLatency && h.prefillTokPerS > 0 && h.decodeTokPerS > 0);
        QCOMPARE(h.windows, int64_t(3));
        QCOMPARE(h.tokensScored, int64_t(3 * 31)); // second halves: positions 32..62 predict
        QCOMPARE(h.parameters, uint64_t(260032));
        QVERIFY(h.weightBytes > 0 && h.kvBytes > 0 && h.peakRssMiB > 0);
        QCOMPARE(h.settings.at("eval.n_ctx"), std::string("64"));
        QCOMPARE(h.settings.at("latency"), std::string("on"));
        QCOMPARE(h.threads, 2);
    }
    // The original is the base: no divergence; it and the recipes as given.
    QCOMPARE(history[0].name, std::string("original"));
    QVERIFY(history[0].recipeJson.empty() && history[0].kldMean == 0);
    QCOMPARE(history[0].top1Pct, 100.0);
    QCOMPARE(history[0].bytes, uint64_t(1040128));
    QCOMPARE(history[1].recipeJson, std::string(kRtn8));
    QCOMPARE(history[3].name, std::string("gptq3"));
    // Smaller plans store fewer bytes and diverge more.
    for (size_t i = 1; i < 4; ++i) {
        QVERIFY(history[i].bitsPerWeight < history[i - 1].bitsPerWeight);
        QVERIFY(history[i].bytes < history[i - 1].bytes);
        QVERIFY(history[i].weightBytes < history[i - 1].weightBytes);
        QVERIFY(history[i].kldMean > history[i - 1].kldMean);
        QVERIFY(history[i].compressSeconds > 0);
    }
    QVERIFY(history[2].top1Pct < 100);
    // Only the plan that reads calibration statistics has them in its key.
    QVERIFY(!history[1].settings.contains("calibration.text.hash"));
    QCOMPARE(history[3].settings.at("calibration.sequences"), std::string("8"));
    QCOMPARE(history[3].calibrationPath, text);

    // The chart data: sizes against KLD, all four on the front here (each smaller plan costs
    // more divergence), ordered by size.
    const HistoryChart c = historyChart(history, HistoryX::BitsPerWeight, HistoryY::KldMean);
    QCOMPARE(c.points.size(), size_t(4));
    QCOMPARE(c.front, (std::vector<size_t>{3, 2, 1, 0}));
    QVERIFY(c.points[0].original && c.points[0].onFront);
    QCOMPARE(c.points[1].summary, std::string("rtn 8; defaults: rtn(bits=8, group=-1)"));
    QCOMPARE(c.xLabel, std::string("bits/weight"));
    // A point that is bigger and worse than another is not on the front.
    std::vector<HistoryPoint> worse = history;
    worse.push_back(history[2]);
    worse.back().key = "ffffffffffffffff";
    worse.back().bytes = history[1].bytes + 1;
    worse.back().kldMean = history[3].kldMean + 1;
    const HistoryChart w = historyChart(worse, HistoryX::Bytes, HistoryY::KldMean);
    QCOMPARE(w.points.size(), size_t(5));
    QVERIFY(!w.points[4].onFront);
    QCOMPARE(w.front.size(), size_t(4));
    const HistoryChart lat = historyChart(history, HistoryX::Bytes, HistoryY::DecodeMsPerToken);
    QCOMPARE(lat.points.size(), size_t(4));
    QCOMPARE(lat.points[1].y, 1000.0 / history[1].decodeTokPerS);
    // Points measured on another text are left out when the chart asks for one evaluation.
    std::map<std::string, std::string> other = history[0].settings;
    other["eval.text.hash"] = "0000000000000000";
    QCOMPARE(historyChart(history, HistoryX::Bytes, HistoryY::Perplexity, other).points.size(),
             size_t(0));
    QCOMPARE(historyChart(history, HistoryX::Bytes, HistoryY::Perplexity, history[3].settings)
                 .points.size(),
             size_t(4));
    // One evaluation here; a point measured on another text makes a second one.
    std::vector<HistoryPoint> two = history;
    two.push_back(history[1]);
    two.back().settings["eval.text.hash"] = "0000000000000000";
    two.back().textPath = "/elsewhere/other.txt";
    const std::vector<HistoryEvaluation> evals = historyEvaluations(two);
    QCOMPARE(evals.size(), size_t(2));
    QCOMPARE(evals[0].points, size_t(4));
    QCOMPARE(evals[0].label, "tinystories_validation_head.txt, n_ctx 64, 3 windows");
    QCOMPARE(evals[1].label, std::string("other.txt, n_ctx 64, 3 windows"));
    QCOMPARE(historyChart(two, HistoryX::Bytes, HistoryY::Perplexity, evals[1].settings)
                 .points.size(),
             size_t(1));
}

void TestSweep::interruptedAndResumed()
{
    CWB_SHARED_FILE(modelPath, kModel);
    CWB_SHARED_FILE(text, kText);
    const Model model = io::openModel(modelPath);
    QTemporaryDir dir;
    SweepParams p = smallSweep(model, text, text);
    p.points = {recipePoint(writeFile(dir, "rtn8.json", kRtn8)),
                recipePoint(writeFile(dir, "rtn4.json", kRtn4)),
                recipePoint(writeFile(dir, "gptq3.json", kGptq3))};
    p.projectPath = dir.filePath(QStringLiteral("r.cwbproj")).toStdString();
    std::atomic<bool> cancel{false};
    JobContext job;
    job.cancelFlag = &cancel;

    // Cancelled from the callback after the first point.
    std::vector<std::string> seen;
    p.onPoint = [&](const SweepEvent &e) {
        seen.push_back(e.point.name);
        cancel = true;
    };
    QVERIFY_THROWS_EXCEPTION(Cancelled, (void)runSweep(p, job));
    QCOMPARE(seen, (std::vector<std::string>{"rtn8"}));
    const std::vector<HistoryPoint> first = readProject(p.projectPath).history;
    QCOMPARE(first.size(), size_t(1));
    const std::string firstJson = historyPointJson(first[0]).dump();
    const std::string firstFile = readFile(p.projectPath);

    // Resumed, then cancelled inside the third point's compression.
    cancel = false;
    seen.clear();
    std::vector<PointSource> sources;
    p.onPoint = [&](const SweepEvent &e) {
        seen.push_back(e.point.name);
        sources.push_back(e.source);
    };
    job.progress = [&](double, const std::string &what) {
        if (what.find("point 3/3 gptq3: compress") != std::string::npos)
            cancel = true;
    };
    QVERIFY_THROWS_EXCEPTION(Cancelled, (void)runSweep(p, job));
    QCOMPARE(seen, (std::vector<std::string>{"rtn8", "rtn4"}));
    QVERIFY(sources[0] == PointSource::Stored && sources[1] == PointSource::Measured);
    QCOMPARE(readProject(p.projectPath).history.size(), size_t(2));

    // Resumed to the end: only the last point is measured; the stored ones are untouched.
    cancel = false;
    job.progress = {};
    seen.clear();
    sources.clear();
    const SweepResult r = runSweep(p, job);
    QCOMPARE(seen, (std::vector<std::string>{"rtn8", "rtn4", "gptq3"}));
    QVERIFY(sources[0] == PointSource::Stored && sources[1] == PointSource::Stored
            && sources[2] == PointSource::Measured);
    QCOMPARE(r.measured, size_t(1));
    QCOMPARE(r.compressions, size_t(1));
    QCOMPARE(r.evaluations, size_t(2)); // the KLD base, then gptq3
    const std::vector<HistoryPoint> all = readProject(p.projectPath).history;
    QCOMPARE(all.size(), size_t(3));
    QVERIFY(all[0] == first[0]);
    QCOMPARE(historyPointJson(all[0]).dump(), firstJson);
    QCOMPARE(all[2].name, std::string("gptq3"));

    // Nothing left: nothing is run, not even the base, and the file is not rewritten.
    const std::string before = readFile(p.projectPath);
    const SweepResult none = runSweep(p, job);
    QCOMPARE(none.measured + none.compressions + none.evaluations, size_t(0));
    QCOMPARE(readFile(p.projectPath), before);
    QVERIFY(firstFile != before);
}

void TestSweep::slurmArrayRunLocally()
{
    CWB_SHARED_FILE(model, kModel);
    CWB_SHARED_FILE(text, kText);
    QTemporaryDir dir;
    const std::string r8 = writeFile(dir, "rtn8.json", kRtn8);
    const std::string r4 = writeFile(dir, "rtn4.json", kRtn4);
    const QString project = dir.filePath(QStringLiteral("slurm.cwbproj"));
    const QString array = dir.filePath(QStringLiteral("array"));
    const QStringList sweep{QStringLiteral("sweep"), q(model), QStringLiteral("--project"),
                            project, QStringLiteral("--text"), q(text),
                            QStringLiteral("--recipe"), q(r8), QStringLiteral("--recipe"),
                            q(r4), QStringLiteral("--ctx"), QStringLiteral("64"),
                            QStringLiteral("--chunks"), QStringLiteral("3")};

    auto r = cwbtest::runCli(sweep + QStringList{QStringLiteral("--emit-slurm"), array});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY2(r.out.contains(QStringLiteral(": 3 tasks")), qPrintable(r.out));
    const std::string a = array.toStdString();
    const std::string sbatch = readFile(a + "/sweep.sbatch");
    QVERIFY2(sbatch.find("#SBATCH --array=0-2\n") != std::string::npos, sbatch.c_str());
    QCOMPARE(readFile(a + "/recipes/001.json"), std::string(kRtn8));
    QCOMPARE(readFile(a + "/recipes/002.json"), std::string(kRtn4));
    QVERIFY(!fs::exists(a + "/recipes/000.json")); // the original has no recipe
    QVERIFY(fs::exists(a + "/results") && fs::exists(a + "/logs"));

    // Tasks 0 and 1 as Slurm would run them: the task script with SLURM_ARRAY_TASK_ID.
    for (int task : {0, 1}) {
        QProcess bash;
        auto env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("SLURM_ARRAY_TASK_ID"), QString::number(task));
        env.remove(QStringLiteral("CWB"));
        bash.setProcessEnvironment(env);
        bash.start(QStringLiteral("bash"), {array + QStringLiteral("/task.sh")});
        QVERIFY(bash.waitForFinished(120000));
        QVERIFY2(bash.exitCode() == 0, bash.readAllStandardError().constData());
    }
    QVERIFY(fs::exists(a + "/results/000.json") && fs::exists(a + "/results/001.json"));
    // Without the variable the script says what is missing.
    QProcess bare;
    auto env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("SLURM_ARRAY_TASK_ID"));
    bare.setProcessEnvironment(env);
    bare.start(QStringLiteral("bash"), {array + QStringLiteral("/task.sh")});
    QVERIFY(bare.waitForFinished(60000));
    QVERIFY(bare.exitCode() != 0);
    QVERIFY(bare.readAllStandardError().contains("SLURM_ARRAY_TASK_ID"));

    // Task 2 has not run: collected, it is reported missing, with the line to run it again.
    const QStringList collect{QStringLiteral("sweep"), q(model), QStringLiteral("--project"),
                              project, QStringLiteral("--collect"), array};
    r = cwbtest::runCli(collect);
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.out.contains(QStringLiteral("missing      task 2 (rtn4): results/002.json was "
                                           "not written")),
             qPrintable(r.out));
    QVERIFY2(r.out.contains(QStringLiteral("rerun        sbatch --array=2 ")), qPrintable(r.out));
    QVERIFY2(r.err.contains(QStringLiteral("1 of 3 tasks are not in the project (1 missing")),
             qPrintable(r.err));
    QCOMPARE(readProject(project.toStdString()).history.size(), size_t(2));

    // The task run directly, then a second collection merges it and keeps the others.
    r = cwbtest::runCli({QStringLiteral("sweep"), q(model), QStringLiteral("--task"),
                         QStringLiteral("2"), QStringLiteral("--out-dir"), array});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    r = cwbtest::runCli(collect + QStringList{QStringLiteral("--json")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    const QJsonObject o = QJsonDocument::fromJson(r.out.toUtf8()).object();
    QCOMPARE(o.value(QStringLiteral("schema")).toString(), QStringLiteral("cwb.sweep/1"));
    QCOMPARE(o.value(QStringLiteral("mode")).toString(), QStringLiteral("collect"));
    QCOMPARE(o.value(QStringLiteral("merged")).toInt(), 1);
    QCOMPARE(o.value(QStringLiteral("stored")).toInt(), 2);
    const std::vector<HistoryPoint> history = readProject(project.toStdString()).history;
    QCOMPARE(history.size(), size_t(3));
    QCOMPARE(history[2].name, std::string("rtn4"));
    QCOMPARE(history[1].recipeJson, std::string(kRtn8));
    QVERIFY(history[2].hasKld && history[2].kldMean > history[1].kldMean);

    // The same sweep here finds every point stored: the tasks measured under the same keys.
    r = cwbtest::runCli(sweep + QStringList{QStringLiteral("--json")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    const QJsonObject local = QJsonDocument::fromJson(r.out.toUtf8()).object();
    QCOMPARE(local.value(QStringLiteral("measured")).toInt(), 0);
    QCOMPARE(local.value(QStringLiteral("stored")).toInt(), 3);
    const QJsonArray points = local.value(QStringLiteral("points")).toArray();
    QCOMPARE(points.size(), 3);
    QCOMPARE(points.at(2).toObject().value(QStringLiteral("key")).toString(),
             q(history[2].key));
    QVERIFY(!local.value(QStringLiteral("front")).toObject().value(QStringLiteral("keys"))
                 .toArray().isEmpty());
    // ... and emitting again has nothing to do.
    r = cwbtest::runCli(sweep + QStringList{QStringLiteral("--emit-slurm"),
                                            dir.filePath(QStringLiteral("again"))});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY2(r.out.contains(QStringLiteral("nothing to run: all 3 points are already in")),
             qPrintable(r.out));
    QVERIFY(!fs::exists(dir.filePath(QStringLiteral("again")).toStdString()));

    // A damaged result is listed as failed, naming its file; the others are not disturbed.
    std::ofstream(a + "/results/001.json", std::ios::trunc) << "{\"schema\": \"cwb.sweep-res";
    r = cwbtest::runCli(collect);
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.out.contains(QStringLiteral("failed       task 1 (rtn8): ") + array
                            + QStringLiteral("/results/001.json: offset")),
             qPrintable(r.out));
    QVERIFY2(r.out.contains(QStringLiteral("not JSON")), qPrintable(r.out));
    QCOMPARE(readProject(project.toStdString()).history.size(), size_t(3));
    // A result of another array (its key) is refused the same way.
    std::string other = readFile(a + "/results/002.json");
    other.replace(other.find(history[2].key), 16, "0123456789abcdef");
    std::ofstream(a + "/results/002.json", std::ios::trunc) << other;
    r = cwbtest::runCli(collect);
    QVERIFY2(r.out.contains(QStringLiteral("/results/002.json: \"key\" is not the manifest's")),
             qPrintable(r.out));

    // A task of another model fails, and says so in its result.
    r = cwbtest::runCli({QStringLiteral("sweep"),
                         q(cwbtest::sharedPath("models/stories260K/stories260K.bin")),
                         QStringLiteral("--task"), QStringLiteral("0"),
                         QStringLiteral("--out-dir"), array});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains(QStringLiteral("the array was written for ")), qPrintable(r.err));
    QVERIFY(readFile(a + "/results/000.json").find("\"status\": \"failed\"") != std::string::npos);

    // Emitting a new point into a directory that holds something else is refused.
    const std::string r6 = writeFile(dir, "rtn6.json", R"({"version": 1,
      "defaults": {"methods": [{"method": "rtn", "params": {"bits": 6, "group": -1}}]}})");
    r = cwbtest::runCli(sweep + QStringList{QStringLiteral("--recipe"), q(r6),
                                            QStringLiteral("--emit-slurm"), array});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains(array + QStringLiteral(": exists and is not empty")),
             qPrintable(r.err));
}

void TestSweep::badInputsNameTheFile()
{
    CWB_SHARED_FILE(modelPath, kModel);
    CWB_SHARED_FILE(text, kText);
    const Model model = io::openModel(modelPath);
    QTemporaryDir dir;
    // group 32 does not divide the down projections' 172 columns; an unknown method.
    const std::string bad1 = writeFile(dir, "group32.json", R"({"version": 1,
      "defaults": {"methods": [{"method": "rtn", "params": {"bits": 4, "group": 32}}]}})");
    const std::string bad2 = writeFile(dir, "unknown.json", R"({"version": 1,
      "rules": [{"match": "embed", "methods": [{"method": "q4_z"}]}]})");
    SweepParams p = smallSweep(model, text, "");
    p.projectPath = dir.filePath(QStringLiteral("b.cwbproj")).toStdString();
    p.points = {originalPoint(), recipePoint(writeFile(dir, "ok.json", kRtn8)), recipePoint(bad1),
                recipePoint(bad2)};
    const std::string e = cwbtest::errorOf([&] { (void)runSweep(p); });
    QVERIFY2(e.starts_with("2 of the sweep's recipes cannot run:\n" + bad1 + ": "), e.c_str());
    QVERIFY2(e.find("rtn group 32 does not divide the row length 172") != std::string::npos,
             e.c_str());
    QVERIFY2(e.find("\n" + bad2 + ": ") != std::string::npos, e.c_str());
    QVERIFY2(e.find("unknown method \"q4_z\"") != std::string::npos, e.c_str());
    QVERIFY(!fs::exists(p.projectPath)); // refused before any work

    // A GPTQ plan without calibration text names its recipe.
    p.points = {recipePoint(writeFile(dir, "gptq3.json", kGptq3))};
    QVERIFY(cwbtest::errorOf([&] { (void)runSweep(p); }).find("gptq3.json") != std::string::npos);

    // A recipe file that is missing, a directory without recipes.
    QVERIFY(cwbtest::errorOf([&] { (void)recipePoint(dir.filePath(QStringLiteral("no.json"))
                                                         .toStdString()); })
                .starts_with(dir.filePath(QStringLiteral("no.json")).toStdString() + ": "));
    QDir(dir.path()).mkdir(QStringLiteral("empty"));
    const std::string emptyDir = dir.filePath(QStringLiteral("empty")).toStdString();
    QCOMPARE(cwbtest::errorOf([&] { (void)recipeFilesIn(emptyDir); }),
             emptyDir + ": holds no recipe (*.json)");

    // A project made for another model is refused, naming it.
    const Model bin = io::openModel(cwbtest::sharedPath("models/stories260K/stories260K.bin"));
    Project other = sweepProject(p.projectPath, fingerprintModel(bin));
    writeProject(p.projectPath, other);
    p.points = {originalPoint()};
    const std::string stale = cwbtest::errorOf([&] { (void)runSweep(p); });
    QVERIFY2(stale.starts_with(p.projectPath + ": the project belongs to another model: "),
             stale.c_str());

    // The command line: modes that mix, and a recipe that does not resolve.
    auto r = cwbtest::runCli({QStringLiteral("sweep"), q(modelPath), QStringLiteral("--task"),
                              QStringLiteral("0"), QStringLiteral("--out-dir"), dir.path(),
                              QStringLiteral("--text"), q(text)});
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains(QStringLiteral("--text is not used with --task")), qPrintable(r.err));
    r = cwbtest::runCli({QStringLiteral("sweep"), q(modelPath), QStringLiteral("--project"),
                         dir.filePath(QStringLiteral("c.cwbproj")), QStringLiteral("--recipe"),
                         q(bad1)});
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains(QStringLiteral("--text FILE is required")), qPrintable(r.err));
    r = cwbtest::runCli({QStringLiteral("sweep"), q(modelPath), QStringLiteral("--project"),
                         dir.filePath(QStringLiteral("c.cwbproj")), QStringLiteral("--text"),
                         q(text), QStringLiteral("--recipe"), q(bad1)});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.startsWith(QStringLiteral("cwb: error: ") + q(bad1) + QStringLiteral(": ")),
             qPrintable(r.err));
    r = cwbtest::runCli({QStringLiteral("sweep"), q(modelPath), QStringLiteral("--project"),
                         dir.filePath(QStringLiteral("c.cwbproj")),
                         QStringLiteral("--collect"), dir.path()});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains(QStringLiteral("no sweep.json: not a directory written by cwb sweep "
                                           "--emit-slurm")),
             qPrintable(r.err));
}

// Each point's peak RSS is its own: the high-water mark is lowered before it starts.
void TestSweep::peakRssResetsPerPoint()
{
    const double before = host::peakRssMiB();
    {
        std::vector<char> big(size_t(256) << 20);
        for (size_t i = 0; i < big.size(); i += 4096)
            big[i] = 1;
        QVERIFY(host::peakRssMiB() > before + 200);
    } // freed (an allocation this size is its own mapping, returned to the system)
    const double high = host::peakRssMiB();
    QVERIFY(host::resetPeakRss());
    QVERIFY2(host::peakRssMiB() < high - 200,
             qPrintable(QStringLiteral("%1 MiB after the reset, %2 before").arg(
                 host::peakRssMiB()).arg(high)));
}

// A new analysis written over a project keeps the points of the same model, and only those.
void TestSweep::analysisKeepsTheHistory()
{
    CWB_SHARED_FILE(modelPath, kModel);
    CWB_SHARED_FILE(text, kText);
    const Model model = io::openModel(modelPath);
    QTemporaryDir dir;
    SweepParams p = smallSweep(model, text, "");
    p.points = {originalPoint()};
    p.projectPath = dir.filePath(QStringLiteral("a.cwbproj")).toStdString();
    const HistoryPoint measured = runSweep(p).points.at(0);

    auto r = cwbtest::runCli({QStringLiteral("analyze"), q(modelPath), QStringLiteral("--project"),
                              q(p.projectPath)});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    const Project analysed = readProject(p.projectPath);
    QCOMPARE(analysed.analysis.tensors.size(), size_t(48));
    QCOMPARE(analysed.history.size(), size_t(1));
    QVERIFY(analysed.history[0] == measured);

    // Another model's analysis replaces the project, history and all.
    r = cwbtest::runCli({QStringLiteral("analyze"),
                         q(cwbtest::sharedPath("models/stories260K/stories260K.bin")),
                         QStringLiteral("--project"), q(p.projectPath)});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY(readProject(p.projectPath).history.empty());
}


void TestSweep::referenceFilesArePointsApart()
{
    // The quant zoo's F32 model and llama-quantize's own --pure Q8_0 of it: the kind of file a
    // user adds to compare against (stories260K's 172-wide rows take no Q8_0).
    CWB_SHARED_FILE(modelPath, "models/ggml-quant-zoo/zoo-f32.gguf");
    CWB_SHARED_FILE(q8File, "models/ggml-quant-zoo/zoo-Q8_0.gguf");
    CWB_SHARED_FILE(text, kText);
    CWB_SHARED_FILE(otherVocab, "models/dev256/dev256-f32.gguf");
    const Model model = io::openModel(modelPath);
    QTemporaryDir dir;
    const QString q8 = q(q8File);
    SweepParams p = smallSweep(model, text, {});
    p.points = {referencePoint(q8.toStdString()), originalPoint(),
                recipePoint(writeFile(dir, "rtn4.json", kRtn4))};
    p.projectPath = dir.filePath(QStringLiteral("ref.cwbproj")).toStdString();
    const SweepResult r = runSweep(p);
    QCOMPARE(r.measured, size_t(3));
    // The KLD base first (the reference needs it), the reference, the original's own point,
    // the recipe.
    QCOMPARE(r.evaluations, size_t(4));
    const HistoryPoint &ref = r.points[0];
    QCOMPARE(ref.name, std::string("zoo-Q8_0.gguf"));
    QCOMPARE(ref.referencePath, q8.toStdString());
    QVERIFY(ref.recipeJson.empty() && ref.recipeHash.empty());
    // Q8_0 stores the matrices in 8.5 bits: smaller than F32, close to the original.
    QVERIFY(ref.bytes < r.points[1].bytes && ref.bitsPerWeight > 8 && ref.bitsPerWeight < 32);
    QVERIFY(ref.hasKld && ref.kldMean > 0 && ref.kldMean < r.points[2].kldMean);
    QVERIFY(std::abs(ref.ppl - r.points[1].ppl) < 0.05 * r.points[1].ppl);
    QVERIFY(ref.key != r.points[1].key);

    // Through the project file, field for field.
    const std::vector<HistoryPoint> stored = readProject(p.projectPath).history;
    QCOMPARE(stored.size(), size_t(3));
    QVERIFY(stored[0] == ref);
    QVERIFY(historyPointFromJson(historyPointJson(ref), "r.json") == ref);

    // On the chart but never on the front, even when it would dominate: it is no plan of ours.
    std::vector<HistoryPoint> dominating = stored;
    dominating[0].bytes = 1;
    dominating[0].kldMean = 0;
    const HistoryChart c = historyChart(dominating, HistoryX::Bytes, HistoryY::KldMean);
    QCOMPARE(c.points.size(), size_t(3));
    QVERIFY(c.points[0].reference && !c.points[0].onFront && !c.points[0].original);
    QCOMPARE(c.front, (std::vector<size_t>{2, 1}));
    QCOMPARE(c.points[0].summary, "reference file " + q8.toStdString());

    // Resumed: known by content, nothing measured again.
    QCOMPARE(runSweep(p).measured, size_t(0));

    // With integer activations the same file is a new point (its own key), measured with
    // llama.cpp's arithmetic: the Q8_0 matrices' inputs are rounded too, so its KLD moves.
    SweepParams integer = p;
    integer.evaluation.integerActivations = true;
    integer.points = {referencePoint(q8.toStdString())};
    const SweepResult ri = runSweep(integer);
    QCOMPARE(ri.measured, size_t(1));
    const HistoryPoint &refInt = ri.points[0];
    QVERIFY(refInt.key != ref.key);
    QCOMPARE(refInt.settings.at("activations"), std::string("integer"));
    QVERIFY2(refInt.hasKld && refInt.kldMean > ref.kldMean,
             qPrintable(QStringLiteral("%1 vs %2").arg(refInt.kldMean).arg(ref.kldMean)));

    // A Slurm task measures the reference as the local sweep did (same key, same file).
    SweepParams array = p;
    array.projectPath.clear();
    array.points = {referencePoint(q8File)};
    const std::string arrayDir = dir.filePath(QStringLiteral("array")).toStdString();
    (void)emitSlurmArray(array, arrayDir, "cwb");
    const HistoryPoint task = runSlurmTask(model, arrayDir, 0);
    QCOMPARE(task.key, ref.key);
    QCOMPARE(task.referencePath, fs::absolute(q8File).string());
    QCOMPARE(task.kldMean, ref.kldMean);
    // The array carries the activation setting to its tasks.
    array.evaluation.integerActivations = true;
    const std::string intDir = dir.filePath(QStringLiteral("array-int")).toStdString();
    (void)emitSlurmArray(array, intDir, "cwb");
    const HistoryPoint intTask = runSlurmTask(model, intDir, 0);
    QCOMPARE(intTask.key, refInt.key);
    QCOMPARE(intTask.kldMean, refInt.kldMean);

    // A file of another vocabulary cannot be compared with the original's logits.
    p.points = {referencePoint(otherVocab)};
    const std::string e = cwbtest::errorOf([&] { (void)runSweep(p); });
    QVERIFY2(e.find(otherVocab) != std::string::npos && e.find("vocabulary") != std::string::npos,
             e.c_str());
}

void TestSweep::pointsComposedFromChoices()
{
    CWB_SHARED_FILE(modelPath, kModel);
    CWB_SHARED_FILE(text, kText);
    CWB_SHARED_FILE(reference, "models/ggml-quant-zoo/zoo-Q8_0.gguf");
    const Model model = io::openModel(modelPath);
    QTemporaryDir dir;
    SensitivityParams sp;
    sp.calibrationPath = text;
    sp.candidates = parseCandidates("q8_0,rtn:bits=4:group=-1,rtn:bits=3:group=-1");
    sp.windows = {1, 64};
    sp.statisticsSequences = 4;
    sp.statisticsTokensPerSequence = 64;
    sp.threads = 2;
    const SensitivityTable table = computeSensitivity(model, sp);

    SweepPlanRequest rq;
    rq.planJson = kRtn4;
    rq.mixtures = {"Q4_K_M", "Q8_0"};
    rq.budgetsBpw = {6.0, 9.0};
    rq.table = &table;
    rq.target = TargetFormat::Any;
    rq.recipeFiles = {writeFile(dir, "rtn8.json", kRtn8)};
    rq.referenceFiles = {reference};
    const std::vector<SweepPointSpec> pts = sweepPoints(model, rq);
    std::vector<std::string> names;
    for (const auto &x : pts)
        names.push_back(x.name);
    QCOMPARE(names, (std::vector<std::string>{"original", "current plan", "llama.cpp Q4_K_M",
                                              "llama.cpp pure Q8_0", "solver 6.00 bpw",
                                              "solver 9.00 bpw", "rtn8", "zoo-Q8_0.gguf"}));
    QVERIFY(pts[0].recipeJson.empty() && pts[0].modelPath.empty());
    QCOMPARE(pts[1].recipeJson, std::string(kRtn4));
    QCOMPARE(pts[7].modelPath, reference);
    // Every recipe made here parses, and the solver's carry their provenance.
    for (size_t i = 2; i < 6; ++i)
        (void)parseRecipe(pts[i].recipeJson, pts[i].name);
    QVERIFY(pts[4].recipeJson.find("solver (budget") != std::string::npos);
    QVERIFY(pts[4].recipeJson != pts[5].recipeJson);

    // What cannot be made is named.
    SweepPlanRequest bad;
    bad.budgetsBpw = {4.5};
    QVERIFY(cwbtest::errorOf([&] { (void)sweepPoints(model, bad); }).find("sensitivity")
            != std::string::npos);
    bad.table = &table;
    bad.target = TargetFormat::Any;
    bad.budgetsBpw = {0.5};
    QVERIFY2(cwbtest::errorOf([&] { (void)sweepPoints(model, bad); }).starts_with(
                 "solver 0.50 bpw: "),
             cwbtest::errorOf([&] { (void)sweepPoints(model, bad); }).c_str());
    bad.budgetsBpw.clear();
    bad.mixtures = {"Q9_Z"};
    QVERIFY(cwbtest::errorOf([&] { (void)sweepPoints(model, bad); }).find("Q9_Z")
            != std::string::npos);
}

QTEST_GUILESS_MAIN(TestSweep)
#include "test_sweep.moc"
