// SPDX-License-Identifier: MIT
// `cwb sensitivity` and `cwb solve` end to end on stories260K: the JSON a script reads, the
// project cache (written, reused, refused for another model), the recipe the solver writes and
// the dry run that shows why each tensor got its option, verification with baselines, the
// latency budget, and the usage errors of the budget options.

#include "cli_runner.h"
#include "recipe/recipe.h"
#include "test_support.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

namespace {

using cwbtest::CliResult;
using cwbtest::runCli;

QString q(const std::string &s)
{
    return QString::fromStdString(s);
}

QJsonObject jsonOf(const CliResult &r)
{
    QJsonParseError error{};
    const QJsonObject o = QJsonDocument::fromJson(r.out.toUtf8(), &error).object();
    if (error.error != QJsonParseError::NoError)
        qWarning("not JSON: %s", qPrintable(r.out.left(400)));
    return o;
}

// The quick analysis settings every run here shares.
QStringList quick(const std::string &text)
{
    return {QStringLiteral("--calib"),    q(text),          QStringLiteral("--windows"),
            QStringLiteral("2"),          QStringLiteral("--seq-len"), QStringLiteral("128"),
            QStringLiteral("--sequences"), QStringLiteral("8"),   QStringLiteral("--threads"),
            QStringLiteral("2")};
}

const QString kCandidates = QStringLiteral("f16,q8_0,q4_0,rtn:bits=4:group=-1,rtn:bits=8:group=-1");

} // namespace

class TestCliSolve : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void sensitivityJsonAndCache();
    void projectOfAnotherModelIsRefused();
    void solveWritesRecipeTheDryRunExplains();
    void solveVerifiesAgainstBaselines();
    void latencyBudgetIsAnEstimate();
    void usageErrors_data();
    void usageErrors();
};

void TestCliSolve::sensitivityJsonAndCache()
{
    CWB_SHARED_FILE(model, "models/stories260K/stories260K.gguf");
    CWB_SHARED_FILE(text, "data/tinystories/tinystories_validation_head.txt");
    QTemporaryDir dir;
    const QString project = dir.filePath(QStringLiteral("s.cwbproj"));
    QStringList args{QStringLiteral("sensitivity"), q(model), QStringLiteral("--candidates"),
                     QStringLiteral("q8_0,q4_0,rtn:bits=4:group=-1"), QStringLiteral("--project"),
                     project, QStringLiteral("--json")};
    args << quick(text);
    const CliResult first = runCli(args);
    QVERIFY2(first.exitCode == 0, qPrintable(first.err));
    const QJsonObject o = jsonOf(first);
    QCOMPARE(o.value(QStringLiteral("schema")).toString(), QStringLiteral("cwb.sensitivity/1"));
    QCOMPARE(o.value(QStringLiteral("reused")).toBool(), false);
    QCOMPARE(o.value(QStringLiteral("project")).toString(), project);
    const QJsonArray options = o.value(QStringLiteral("options")).toArray();
    QCOMPARE(options.size(), 4);
    QCOMPARE(options.at(0).toObject().value(QStringLiteral("id")).toString(),
             QStringLiteral("keep"));
    QCOMPARE(options.at(3).toObject().value(QStringLiteral("id")).toString(),
             QStringLiteral("rtn:group=-1"));
    const QJsonArray tensors = o.value(QStringLiteral("tensors")).toArray();
    QCOMPARE(tensors.size(), 36);
    int notFitting = 0;
    for (const auto &t : tensors)
        for (const auto &c : t.toObject().value(QStringLiteral("cells")).toArray()) {
            const QJsonObject cell = c.toObject();
            if (!cell.value(QStringLiteral("fits")).toBool()) {
                ++notFitting;
                QVERIFY(cell.value(QStringLiteral("delta_kld")).isNull());
                const QString why = cell.value(QStringLiteral("why")).toString();
                QVERIFY2(why.contains(QStringLiteral("172")), qPrintable(why));
            } else {
                QVERIFY(cell.value(QStringLiteral("delta_kld")).toDouble() >= 0);
            }
        }
    QCOMPARE(notFitting, 10); // q8_0 and q4_0 on the five 172-long down projections
    QCOMPARE(o.value(QStringLiteral("correlations")).toArray().size(), 3);
    QVERIFY(QFile::exists(project));
    QVERIFY(first.err.contains(QStringLiteral("dKLD"))); // progress per tensor and option

    // The same settings again: read from the project, not computed.
    args.removeAll(QStringLiteral("--json"));
    const CliResult second = runCli(args);
    QVERIFY2(second.exitCode == 0, qPrintable(second.err));
    for (const QString &part :
         {QStringLiteral("reused from ") + project, QStringLiteral("ΔKLD, nats per token"),
          QStringLiteral("not fitting"), QStringLiteral("q8_0: 5 tensors"),
          QStringLiteral("proxy vs ΔKLD"), QStringLiteral("key ")
                                               + o.value(QStringLiteral("key")).toString()})
        QVERIFY2(second.out.contains(part), qPrintable(part + QStringLiteral(" missing in\n")
                                                       + second.out));
    QVERIFY(!second.err.contains(QStringLiteral("dKLD")));

    // Re-analysing the model into the project keeps the table.
    const CliResult analyze =
        runCli({QStringLiteral("analyze"), q(model), QStringLiteral("--project"), project});
    QVERIFY2(analyze.exitCode == 0, qPrintable(analyze.err));
    const CliResult third = runCli(args);
    QVERIFY2(third.out.contains(QStringLiteral("reused from ")), qPrintable(third.out));
}

void TestCliSolve::projectOfAnotherModelIsRefused()
{
    CWB_SHARED_FILE(model, "models/stories260K/stories260K.gguf");
    CWB_SHARED_FILE(other, "models/stories260K/stories260K-Q8_0.gguf");
    CWB_SHARED_FILE(text, "data/tinystories/tinystories_validation_head.txt");
    QTemporaryDir dir;
    const QString project = dir.filePath(QStringLiteral("s.cwbproj"));
    QStringList args{QStringLiteral("sensitivity"), q(model), QStringLiteral("--candidates"),
                     QStringLiteral("q4_0"), QStringLiteral("--project"), project};
    args << quick(text);
    QCOMPARE(runCli(args).exitCode, 0);
    args[1] = q(other);
    const CliResult r = runCli(args);
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains(QStringLiteral("belongs to another model")), qPrintable(r.err));
}

void TestCliSolve::solveWritesRecipeTheDryRunExplains()
{
    CWB_SHARED_FILE(model, "models/stories260K/stories260K.gguf");
    CWB_SHARED_FILE(text, "data/tinystories/tinystories_validation_head.txt");
    QTemporaryDir dir;
    const QString recipe = dir.filePath(QStringLiteral("r.json"));
    QStringList args{QStringLiteral("solve"), q(model), QStringLiteral("--candidates"),
                     kCandidates, QStringLiteral("--target"), QStringLiteral("any"),
                     QStringLiteral("--budget-bpw"), QStringLiteral("6"),
                     QStringLiteral("--lock"), QStringLiteral("embed=q8_0"),
                     QStringLiteral("--out"), recipe, QStringLiteral("--json")};
    args << quick(text);
    const CliResult r = runCli(args);
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    const QJsonObject o = jsonOf(r);
    QCOMPARE(o.value(QStringLiteral("schema")).toString(), QStringLiteral("cwb.solve/1"));
    QCOMPARE(o.value(QStringLiteral("target")).toString(), QStringLiteral("any"));
    const qint64 budget =
        o.value(QStringLiteral("budget")).toObject().value(QStringLiteral("bytes")).toInteger();
    QCOMPARE(budget, qint64(260032 * 6 / 8));
    QVERIFY(o.value(QStringLiteral("total_bytes")).toInteger() <= budget);
    QVERIFY(o.value(QStringLiteral("bits_per_weight")).toDouble() <= 6.0);
    QVERIFY(o.value(QStringLiteral("verification")).isNull());
    const QJsonArray tensors = o.value(QStringLiteral("tensors")).toArray();
    QCOMPARE(tensors.size(), 36);
    const QJsonObject embed = tensors.at(0).toObject();
    QCOMPARE(embed.value(QStringLiteral("canonical")).toString(), QStringLiteral("embed"));
    QCOMPARE(embed.value(QStringLiteral("option")).toString(), QStringLiteral("q8_0"));
    QCOMPARE(embed.value(QStringLiteral("locked_by")).toString(), QStringLiteral("embed=q8_0"));

    const cwb::ParsedRecipe parsed = cwb::readRecipeFile(recipe.toStdString());
    QVERIFY(parsed.problems.empty());
    QCOMPARE(parsed.recipe.version, 1);
    QCOMPARE(parsed.recipe.overrides.size(), size_t(37)); // 36 tensors and the tied head
    const CliResult dry = runCli({QStringLiteral("compress"), q(model), QStringLiteral("--plan"),
                                  recipe, QStringLiteral("--dry-run")});
    QVERIFY2(dry.exitCode == 0, qPrintable(dry.err));
    for (const QString &part :
         {QStringLiteral("why: solver (budget 6.00 bpw, predicted ΔKLD "),
          QStringLiteral("why: locked by --lock embed=q8_0; solver (budget 6.00 bpw"),
          QStringLiteral("why: tied copy of embed: planned like it, stored once")})
        QVERIFY2(dry.out.contains(part),
                 qPrintable(part + QStringLiteral(" missing in\n") + dry.out));
    const CliResult dryJson =
        runCli({QStringLiteral("compress"), q(model), QStringLiteral("--plan"), recipe,
                QStringLiteral("--dry-run"), QStringLiteral("--json")});
    QVERIFY2(dryJson.exitCode == 0, qPrintable(dryJson.err));
    const QJsonObject plan = jsonOf(dryJson);
    const QJsonObject totals = plan.value(QStringLiteral("totals")).toObject();
    QCOMPARE(totals.value(QStringLiteral("estimated_bytes")).toInteger(),
             o.value(QStringLiteral("total_bytes")).toInteger());
    QVERIFY(plan.value(QStringLiteral("tensors")).toArray().at(0).toObject().value(
        QStringLiteral("comment")).toString().startsWith(QStringLiteral("locked by --lock")));
}

void TestCliSolve::solveVerifiesAgainstBaselines()
{
    CWB_SHARED_FILE(model, "models/stories260K/stories260K.gguf");
    CWB_SHARED_FILE(text, "data/tinystories/tinystories_validation_head.txt");
    QTemporaryDir dir;
    QStringList args{QStringLiteral("solve"), q(model), QStringLiteral("--candidates"),
                     kCandidates, QStringLiteral("--target"), QStringLiteral("any"),
                     QStringLiteral("--budget-bpw"), QStringLiteral("7"), QStringLiteral("--out"),
                     dir.filePath(QStringLiteral("r.json")), QStringLiteral("--verify"),
                     QStringLiteral("--text"), q(text), QStringLiteral("--ctx"),
                     QStringLiteral("128"), QStringLiteral("--chunks"), QStringLiteral("6"),
                     QStringLiteral("--baselines"), QStringLiteral("--json")};
    args << quick(text);
    const CliResult r = runCli(args, 300000);
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    const QJsonObject v = jsonOf(r).value(QStringLiteral("verification")).toObject();
    QCOMPARE(v.value(QStringLiteral("n_ctx")).toInt(), 128);
    QCOMPARE(v.value(QStringLiteral("chunks")).toInt(), 6);
    const QJsonArray rows = v.value(QStringLiteral("rows")).toArray();
    QVERIFY(rows.size() >= 3);
    const QJsonObject solver = rows.at(0).toObject();
    QCOMPARE(solver.value(QStringLiteral("name")).toString(), QStringLiteral("solver"));
    QVERIFY(solver.value(QStringLiteral("bits_per_weight")).toDouble() <= 7.0);
    QVERIFY(solver.value(QStringLiteral("eval_kld")).toDouble() > 0);
    QVERIFY(solver.value(QStringLiteral("predicted_kld")).toDouble() > 0);
    QVERIFY(solver.value(QStringLiteral("calibration_kld")).toDouble() > 0);
    bool uniform = false, q4km = false;
    for (const auto &row : rows) {
        const QString name = row.toObject().value(QStringLiteral("name")).toString();
        uniform = uniform || name.startsWith(QStringLiteral("uniform "));
        q4km = q4km || name == QStringLiteral("llama.cpp Q4_K_M");
        if (name == QStringLiteral("llama.cpp Q4_K_M")) // llama-quantize's 289,696 tensor bytes
            QCOMPARE(row.toObject().value(QStringLiteral("bytes")).toInteger(), qint64(289696));
        if (row.toObject().value(QStringLiteral("at_or_below_solver_size")).toBool())
            QVERIFY2(row.toObject().value(QStringLiteral("solver_lower")).toBool(),
                     qPrintable(name));
    }
    QVERIFY(uniform && q4km);
}

void TestCliSolve::latencyBudgetIsAnEstimate()
{
    CWB_SHARED_FILE(model, "models/stories260K/stories260K.gguf");
    CWB_SHARED_FILE(text, "data/tinystories/tinystories_validation_head.txt");
    QTemporaryDir dir;
    // 3e-4 ms at 3,350 GB/s: 1,005,000 bytes a token, less the KV cache at position 512
    // (5 layers x 2 x 512 x 32 floats = 655,360 bytes).
    QStringList args{QStringLiteral("solve"), q(model), QStringLiteral("--candidates"),
                     kCandidates, QStringLiteral("--target"), QStringLiteral("any"),
                     QStringLiteral("--budget-latency"), QStringLiteral("0.0003"),
                     QStringLiteral("--device"), QStringLiteral("h100-sxm"),
                     QStringLiteral("--out"), dir.filePath(QStringLiteral("r.json"))};
    args << quick(text);
    const CliResult r = runCli(args);
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY2(r.out.contains(QStringLiteral("ms/token on NVIDIA H100")), qPrintable(r.out));
    QVERIFY(r.out.contains(QStringLiteral("(estimate)")));
    QVERIFY(r.out.contains(QStringLiteral("349,640 bytes for the whole model")));
}

void TestCliSolve::usageErrors_data()
{
    QTest::addColumn<QStringList>("extra");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("message");
    const QString out = QStringLiteral("--out");
    QTest::newRow("two budgets") << QStringList{QStringLiteral("--budget-bpw"),
                                                QStringLiteral("4"),
                                                QStringLiteral("--budget-bytes"),
                                                QStringLiteral("1000"), out, QStringLiteral("r")}
                                 << 2 << QStringLiteral("are alternatives");
    QTest::newRow("no budget")
        << QStringList{out, QStringLiteral("r")} << 2
        << QStringLiteral("one of --budget-bpw B | --budget-bytes N | --budget-latency MS "
                          "--device PROFILE is required");
    QTest::newRow("latency without device")
        << QStringList{QStringLiteral("--budget-latency"), QStringLiteral("5"), out,
                       QStringLiteral("r")}
        << 2 << QStringLiteral("--budget-latency needs --device PROFILE");
    QTest::newRow("device without latency")
        << QStringList{QStringLiteral("--budget-bpw"), QStringLiteral("4"),
                       QStringLiteral("--device"), QStringLiteral("h100-sxm"), out,
                       QStringLiteral("r")}
        << 2 << QStringLiteral("--device needs --budget-latency MS");
    QTest::newRow("bad candidate")
        << QStringList{QStringLiteral("--budget-bpw"), QStringLiteral("4"),
                       QStringLiteral("--candidates"), QStringLiteral("q4_k,q9_9"), out,
                       QStringLiteral("r")}
        << 2 << QStringLiteral("--candidates: candidate \"q9_9\": unknown method");
    QTest::newRow("bad lock")
        << QStringList{QStringLiteral("--budget-bpw"), QStringLiteral("4"),
                       QStringLiteral("--lock"), QStringLiteral("q8_0"), out, QStringLiteral("r")}
        << 2 << QStringLiteral("--lock: lock \"q8_0\" is not PATTERN=METHOD");
    QTest::newRow("baselines without verify")
        << QStringList{QStringLiteral("--budget-bpw"), QStringLiteral("4"),
                       QStringLiteral("--baselines"), out, QStringLiteral("r")}
        << 2 << QStringLiteral("--baselines needs --verify");
    QTest::newRow("verify without text")
        << QStringList{QStringLiteral("--budget-bpw"), QStringLiteral("4"),
                       QStringLiteral("--verify"), out, QStringLiteral("r")}
        << 2 << QStringLiteral("--verify needs --text FILE");
    QTest::newRow("bpw out of range")
        << QStringList{QStringLiteral("--budget-bpw"), QStringLiteral("0"), out,
                       QStringLiteral("r")}
        << 2 << QStringLiteral("--budget-bpw must be a number in (0, 64]");
    QTest::newRow("unknown device")
        << QStringList{QStringLiteral("--budget-latency"), QStringLiteral("5"),
                       QStringLiteral("--device"), QStringLiteral("abacus"), out,
                       QStringLiteral("r")}
        << 1 << QStringLiteral("unknown device profile 'abacus' (known: a100-80gb");
}

void TestCliSolve::usageErrors()
{
    QFETCH(QStringList, extra);
    QFETCH(int, status);
    QFETCH(QString, message);
    CWB_SHARED_FILE(model, "models/stories260K/stories260K.gguf");
    CWB_SHARED_FILE(text, "data/tinystories/tinystories_validation_head.txt");
    QTemporaryDir dir;
    QStringList args{QStringLiteral("solve"), q(model), QStringLiteral("--calib"), q(text)};
    for (const QString &a : extra)
        args << (a == QStringLiteral("r") ? dir.filePath(QStringLiteral("r.json")) : a);
    const CliResult r = runCli(args);
    QCOMPARE(r.exitCode, status);
    QVERIFY2(r.err.contains(message), qPrintable(r.err));
    QVERIFY(!QFile::exists(dir.filePath(QStringLiteral("r.json"))));
}

QTEST_GUILESS_MAIN(TestCliSolve)
#include "test_cli_solve.moc"
