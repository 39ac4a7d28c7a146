// SPDX-License-Identifier: MIT
// `cwb compress --dry-run` end to end on stories260K: the table a user reads, the JSON a script
// parses, every problem of a bad plan listed at once, calibration gating Hessian methods, the
// explicit refusal without --dry-run, and usage errors.

#include "cli_runner.h"
#include "test_support.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QProcessEnvironment>
#include <QTemporaryDir>
#include <QTest>

namespace {

using cwbtest::CliResult;
using cwbtest::runCli;

QString q(const std::string &s)
{
    return QString::fromStdString(s);
}

QString writeRecipe(const QTemporaryDir &dir, const char *name, const char *json)
{
    const QString path = dir.filePath(QString::fromUtf8(name));
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        return {};
    f.write(json);
    return path;
}

// The brief's example form on stories260K: its 172-wide down projections take per-channel scales.
const char *kRecipe = R"({"version": 1,
  "rules": [
    {"match": "layers.*", "methods": [{"method": "rtn", "params": {"bits": 4, "group": 32}}]},
    {"match": "layers.*.mlp.down", "methods": [{"method": "rtn", "params": {"group": -1}}]},
    {"match": "embed", "methods": [{"method": "q8_0"}]},
    {"match": "head", "methods": [{"method": "q8_0"}]},
    {"match": "layers.5.*", "methods": [{"method": "f16"}]}],
  "overrides": {"layers.0.mlp.down": {"methods": [{"method": "rtn", "params": {"bits": 8}}]}}})";

} // namespace

class TestCliRecipe : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void dryRunTable();
    void dryRunJson();
    void badPlanListsEveryProblem();
    void calibrationEnablesHessianMethods();
    void compressWritesArchive();
    void usageErrors_data();
    void usageErrors();
};

void TestCliRecipe::dryRunTable()
{
    CWB_SHARED_FILE(model, "models/stories260K/stories260K.gguf");
    QTemporaryDir dir;
    const QString recipe = writeRecipe(dir, "r.json", kRecipe);
    const auto r = runCli({QStringLiteral("compress"), q(model), QStringLiteral("--plan"), recipe,
                           QStringLiteral("--dry-run")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    for (const char *part :
         {"layers.0.mlp.down   blk.0.ffn_down.weight     64 x 172  F32         11,136",
          "rtn(bits=8, group=-1, sym=true, f16_scales=true)",
          "set by rules[0] \"layers.*\": rtn | rules[1] \"layers.*.mlp.down\": group | override "
          "\"layers.0.mlp.down\": bits | schema: sym, f16_scales",
          "final_norm", "keep (1-D: only exact names change it)",
          "totals       48 tensors, 37 changed, 260,032 parameters",
          "(estimated)", "ratio 6.20x",
          "rules[4] \"layers.5.*\": matches no tensor of this model (dead rule"})
        QVERIFY2(r.out.contains(QString::fromUtf8(part)),
                 qPrintable(QString::fromUtf8(part) + QStringLiteral(" missing in\n") + r.out));
    QVERIFY2(r.err.isEmpty(), qPrintable(r.err)); // the table lists the warning itself
}

void TestCliRecipe::dryRunJson()
{
    CWB_SHARED_FILE(model, "models/stories260K/stories260K.gguf");
    QTemporaryDir dir;
    const QString recipe = writeRecipe(dir, "r.json", kRecipe);
    const auto r = runCli({QStringLiteral("compress"), q(model), QStringLiteral("--plan"), recipe,
                           QStringLiteral("--dry-run"), QStringLiteral("--json")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY2(r.err.contains(QStringLiteral("cwb: warning: rules[4] \"layers.5.*\"")),
             qPrintable(r.err));
    QJsonParseError perr{};
    const QJsonObject o = QJsonDocument::fromJson(r.out.toUtf8(), &perr).object();
    QVERIFY2(perr.error == QJsonParseError::NoError, qPrintable(r.out));
    QCOMPARE(o.value(QStringLiteral("schema")).toString(), QStringLiteral("cwb.plan/1"));
    QCOMPARE(o.value(QStringLiteral("valid")).toBool(), true);
    QCOMPARE(o.value(QStringLiteral("recipe")).toObject().value(QStringLiteral("version")).toInt(),
             1);
    const QJsonArray tensors = o.value(QStringLiteral("tensors")).toArray();
    QCOMPARE(tensors.size(), 48);
    int rtn = 0, q8 = 0, untouched = 0;
    for (const auto &v : tensors) {
        const QJsonObject t = v.toObject();
        const QString method = t.value(QStringLiteral("methods")).toArray().at(2).toObject().value(
            QStringLiteral("method")).toString();
        if (method == QStringLiteral("rtn"))
            ++rtn;
        else if (method == QStringLiteral("q8_0"))
            ++q8;
        else if (method == QStringLiteral("keep")
                 && t.value(QStringLiteral("shape")).toArray().size() == 1)
            ++untouched;
    }
    QCOMPARE(rtn, 35);
    QCOMPARE(q8, 2);
    QCOMPARE(untouched, 11);
    const QJsonObject totals = o.value(QStringLiteral("totals")).toObject();
    QCOMPARE(totals.value(QStringLiteral("estimated_bytes")).toInteger(), qint64(167776));
    QCOMPARE(totals.value(QStringLiteral("original_bytes")).toInteger(), qint64(1040128));
    QCOMPARE(o.value(QStringLiteral("rules")).toArray().at(1).toObject().value(
                 QStringLiteral("selected")).toInt(),
             5);
}

void TestCliRecipe::badPlanListsEveryProblem()
{
    CWB_SHARED_FILE(model, "models/stories260K/stories260K.gguf");
    QTemporaryDir dir;
    const QString recipe = writeRecipe(dir, "bad.json", R"({"version": 1,
      "rules": [{"match": "layers.*", "methods": [{"method": "rtn", "params": {"group": 32}}]},
                {"match": "embed", "methods": [{"method": "q4_z"}]}],
      "overrides": {"layers.9.attn.q": {"methods": [{"method": "f16"}]},
                    "lm_head.weight": {"methods": [{"method": "svd", "params": {"rank": 4}}]}}})");
    const auto r = runCli({QStringLiteral("compress"), q(model), QStringLiteral("--plan"), recipe,
                           QStringLiteral("--dry-run")});
    QCOMPARE(r.exitCode, 1);
    QVERIFY(r.out.isEmpty());
    // 1 unknown method, 2 unknown tensors, 5 down projections whose rows (172) group 32 cannot
    // split.
    QVERIFY2(r.err.contains(QStringLiteral("bad.json: 8 problems in the plan for ")),
             qPrintable(r.err));
    for (const char *part :
         {"rules[1].methods[0].method: unknown method \"q4_z\"",
          "overrides[\"layers.9.attn.q\"]: no tensor named",
          "overrides[\"lm_head.weight\"]: no tensor named",
          "layers.0.mlp.down (blk.0.ffn_down.weight): rtn group 32 does not divide "
          "the row length 172 (group set by rules[0] \"layers.*\")",
          "layers.4.mlp.down (blk.4.ffn_down.weight): rtn group 32"})
        QVERIFY2(r.err.contains(QString::fromUtf8(part)),
                 qPrintable(QString::fromUtf8(part) + QStringLiteral(" missing in\n") + r.err));
}

void TestCliRecipe::calibrationEnablesHessianMethods()
{
    CWB_SHARED_FILE(model, "models/stories260K/stories260K.gguf");
    CWB_SHARED_FILE(text, "data/tinystories/tinystories_validation_head.txt");
    QTemporaryDir dir;
    const QString recipe = writeRecipe(dir, "gptq.json", R"({"version": 1, "rules": [
      {"match": "layers.*", "methods": [{"method": "wanda", "params": {"nm": "2:4"}},
                                        {"method": "gptq", "params": {"group": -1}}]}]})");
    const QStringList base = {QStringLiteral("compress"), q(model), QStringLiteral("--plan"),
                              recipe, QStringLiteral("--dry-run")};
    const auto without = runCli(base);
    QCOMPARE(without.exitCode, 1);
    QVERIFY2(without.err.contains(QStringLiteral("70 problems")), qPrintable(without.err));
    QVERIFY(without.err.contains(QStringLiteral("layers.2.attn.k (blk.2.attn_k.weight): wanda "
                                                "needs calibration text (cwb: --calib FILE)")));

    const auto with = runCli(base + QStringList{QStringLiteral("--calib"), q(text)});
    QVERIFY2(with.exitCode == 0, qPrintable(with.err));
    QVERIFY(with.out.contains(QStringLiteral("calibration  available")));
    QVERIFY(
        with.out.contains(QStringLiteral("wanda(sparsity=0.5, nm=2:4) -> gptq(bits=4, group=-1")));

    const auto missing = runCli(
        base + QStringList{QStringLiteral("--calib"), dir.filePath(QStringLiteral("none.txt"))});
    QCOMPARE(missing.exitCode, 1);
    QVERIFY2(missing.err.contains(QStringLiteral("none.txt: cannot open the calibration text")),
             qPrintable(missing.err));
}

void TestCliRecipe::compressWritesArchive()
{
    CWB_SHARED_FILE(model, "models/stories260K/stories260K.gguf");
    CWB_SHARED_FILE(text, "data/tinystories/tinystories_validation_head.txt");
    QTemporaryDir dir;
    const QString recipe = writeRecipe(dir, "r.json", kRecipe);
    auto r = runCli({QStringLiteral("compress"), q(model), QStringLiteral("--plan"), recipe});
    QCOMPARE(r.exitCode, 2);
    QVERIFY(r.out.isEmpty());
    QVERIFY2(r.err.contains(QStringLiteral("--out OUT.cwbarchive is required")), qPrintable(r.err));

    const QString archive = dir.filePath(QStringLiteral("out.cwbarchive"));
    r = runCli({QStringLiteral("compress"), q(model), QStringLiteral("--plan"), recipe,
                QStringLiteral("--out"), archive});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    // 37 tensors change; the tied head follows the embedding and is not stored twice.
    for (const char *part : {"tensors      36 compressed", "6.20x", "layers.0.mlp.down", "int8 per-channel sym"})
        QVERIFY2(r.out.contains(QString::fromUtf8(part)), qPrintable(QString::fromUtf8(part) + QStringLiteral("\n") + r.out));
    QVERIFY(QFile::exists(archive));

    const auto inspected = runCli({QStringLiteral("inspect"), archive});
    QVERIFY2(inspected.exitCode == 0, qPrintable(inspected.err));
    QVERIFY(inspected.out.contains(QStringLiteral("tensors      36 compressed")));

    const auto eval = runCli({QStringLiteral("eval"), archive, QStringLiteral("--text"), q(text),
                              QStringLiteral("--ctx"), QStringLiteral("128"),
                              QStringLiteral("--chunks"), QStringLiteral("4")});
    QVERIFY2(eval.exitCode == 0, qPrintable(eval.err));
    QVERIFY2(eval.out.contains(QStringLiteral("model        out.cwbarchive")), qPrintable(eval.out));
    QVERIFY(eval.out.contains(QStringLiteral("perplexity")));
}

void TestCliRecipe::usageErrors_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QString>("message");
    const QString model = q(cwbtest::sharedPath("models/stories260K/stories260K.gguf"));
    QTest::newRow("no model") << QStringList{QStringLiteral("compress"),
                                             QStringLiteral("--dry-run")}
                              << 2 << QStringLiteral("compress: no model given");
    QTest::newRow("no plan") << QStringList{QStringLiteral("compress"), model,
                                            QStringLiteral("--dry-run")}
                             << 2 << QStringLiteral("compress: --plan RECIPE.json is required");
    QTest::newRow("unknown option")
        << QStringList{QStringLiteral("compress"), model, QStringLiteral("--fast")} << 2
        << QStringLiteral("compress: unknown option or missing value: --fast");
    QTest::newRow("plan without value")
        << QStringList{QStringLiteral("compress"), model, QStringLiteral("--plan")} << 2
        << QStringLiteral("compress: unknown option or missing value: --plan");
    QTest::newRow("missing recipe")
        << QStringList{QStringLiteral("compress"), model, QStringLiteral("--plan"),
                       QStringLiteral("/nonexistent/r.json"), QStringLiteral("--dry-run")}
        << 1 << QStringLiteral("/nonexistent/r.json: cannot read recipe");
    QTest::newRow("help lists compress") << QStringList{QStringLiteral("help")} << 0
                                         << QStringLiteral("compress MODEL --plan RECIPE.json");
}

void TestCliRecipe::usageErrors()
{
    QFETCH(QStringList, args);
    QFETCH(int, exitCode);
    QFETCH(QString, message);
    const auto r = runCli(args);
    QCOMPARE(r.exitCode, exitCode);
    QVERIFY2((r.err + r.out).contains(message), qPrintable(r.err + r.out));
}

QTEST_GUILESS_MAIN(TestCliRecipe)
#include "test_cli_recipe.moc"
