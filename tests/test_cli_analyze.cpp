// SPDX-License-Identifier: MIT
// `cwb analyze` end to end on stories260K: the JSON a script parses, the table a user reads, the
// project file it leaves behind, usage errors, and Ctrl-C leaving no project file.

#include "cli_runner.h"
#include "test_support.h"

#include "project/project_file.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QProcessEnvironment>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

namespace {

using cwbtest::CliResult;
using cwbtest::runCli;

QString q(const std::string &s)
{
    return QString::fromStdString(s);
}

} // namespace

class TestCliAnalyze : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void analyzeJsonWithCalibration();
    void analyzeTable();
    void usageErrors_data();
    void usageErrors();
    void interruptWritesNothing();
};

void TestCliAnalyze::analyzeJsonWithCalibration()
{
    CWB_SHARED_FILE(model, "models/stories260K/stories260K.gguf");
    CWB_SHARED_FILE(text, "data/tinystories/tinystories_validation_head.txt");
    QTemporaryDir dir;
    const QString project = dir.filePath(QStringLiteral("s.cwbproj"));
    const auto r = runCli({QStringLiteral("analyze"), q(model), QStringLiteral("--spectra"),
                           QStringLiteral("--calib"), q(text), QStringLiteral("--sequences"),
                           QStringLiteral("3"), QStringLiteral("--seq-len"), QStringLiteral("32"),
                           QStringLiteral("--hessians"), QStringLiteral("--project"), project,
                           QStringLiteral("--json")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY2(r.err.contains(QStringLiteral("tensor 48/48")), qPrintable(r.err)); // progress
    QJsonParseError perr{};
    const QJsonObject o = QJsonDocument::fromJson(r.out.toUtf8(), &perr).object();
    QVERIFY2(perr.error == QJsonParseError::NoError, qPrintable(r.out));
    QCOMPARE(o.value(QStringLiteral("schema")).toString(), QStringLiteral("cwb.analyze/1"));
    QCOMPARE(o.value(QStringLiteral("project")).toString(), project);
    QCOMPARE(o.value(QStringLiteral("model")).toObject().value(QStringLiteral("format")).toString(),
             QStringLiteral("gguf"));
    const QJsonArray tensors = o.value(QStringLiteral("tensors")).toArray();
    QCOMPARE(tensors.size(), 48);
    int spectra = 0;
    for (const auto &v : tensors) {
        const QJsonObject t = v.toObject();
        QVERIFY(!t.contains(QStringLiteral("skipped")));
        const QJsonObject s = t.value(QStringLiteral("stats")).toObject();
        QVERIFY(s.value(QStringLiteral("count")).toDouble() > 0);
        QVERIFY(s.value(QStringLiteral("std")).toDouble() > 0);
        if (t.value(QStringLiteral("spectrum")).toObject().contains(QStringLiteral("stable_rank")))
            ++spectra;
        if (t.value(QStringLiteral("name")).toString() == QLatin1String("blk.0.attn_q.weight")) {
            QCOMPARE(t.value(QStringLiteral("canonical")).toString(),
                     QStringLiteral("layers.0.attn.q"));
            const QJsonObject spectrum = t.value(QStringLiteral("spectrum")).toObject();
            QCOMPARE(spectrum.value(QStringLiteral("rank")).toInt(), 64);
        }
    }
    QCOMPARE(spectra, 37); // 7 matrices x 5 layers + embedding + output; norms are 1-D
    const QJsonObject act = o.value(QStringLiteral("activations")).toObject();
    const QJsonObject coverage = act.value(QStringLiteral("coverage")).toObject();
    QCOMPARE(coverage.value(QStringLiteral("sequences")).toInt(), 3);
    QCOMPARE(act.value(QStringLiteral("linears")).toArray().size(), 35);
    QVERIFY(act.value(QStringLiteral("hessians")).toBool());

    // The project file holds the same analysis.
    const cwb::Project p = cwb::readProject(project.toStdString());
    QCOMPARE(p.analysis.tensors.size(), size_t{48});
    QVERIFY(p.analysis.activations && p.analysis.activations->hasHessians);
    QCOMPARE(p.settings.at("calibration.tokens_per_sequence"), std::string("32"));
    QCOMPARE(QDir(dir.path()).entryList(QDir::Files), QStringList{QStringLiteral("s.cwbproj")});
}

void TestCliAnalyze::analyzeTable()
{
    CWB_SHARED_FILE(model, "models/stories260K/stories260K.gguf");
    QTemporaryDir dir;
    const QString project = dir.filePath(QStringLiteral("t.cwbproj"));
    const auto r =
        runCli({QStringLiteral("analyze"), q(model), QStringLiteral("--project"), project});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    for (const char *text : {"tensor ", "canonical", "kurt", "blk.4.ffn_down.weight",
                             "layers.4.mlp.down", "64x172", "project written to "})
        QVERIFY2(r.out.contains(QLatin1String(text)), qPrintable(r.out));
    QVERIFY(!r.out.contains(QLatin1String("s.rank"))); // no spectra asked for
    QVERIFY(QFile::exists(project));
}

void TestCliAnalyze::usageErrors_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QString>("message");
    QTest::newRow("no project") << QStringList{QStringLiteral("MODEL")} << 2
                                << QStringLiteral("--project OUT.cwbproj is required");
    QTest::newRow("no model") << QStringList{QStringLiteral("--project"), QStringLiteral("OUT")}
                              << 2 << QStringLiteral("analyze: no model given");
    QTest::newRow("hessians without text")
        << QStringList{QStringLiteral("MODEL"), QStringLiteral("--hessians"),
                       QStringLiteral("--project"), QStringLiteral("OUT")}
        << 2 << QStringLiteral("--hessians needs --calib FILE");
    QTest::newRow("bad sequences")
        << QStringList{QStringLiteral("MODEL"), QStringLiteral("--sequences"), QStringLiteral("0"),
                       QStringLiteral("--project"), QStringLiteral("OUT")}
        << 2 << QStringLiteral("--sequences must be a positive integer");
    QTest::newRow("missing calibration text")
        << QStringList{QStringLiteral("MODEL"), QStringLiteral("--calib"),
                       QStringLiteral("/nonexistent/calib.txt"), QStringLiteral("--project"),
                       QStringLiteral("OUT")}
        << 1 << QStringLiteral("/nonexistent/calib.txt");
    QTest::newRow("unwritable project")
        << QStringList{QStringLiteral("MODEL"), QStringLiteral("--project"),
                       QStringLiteral("/nonexistent/dir/p.cwbproj")}
        << 1 << QStringLiteral("/nonexistent/dir/p.cwbproj: cannot write the project");
}

void TestCliAnalyze::usageErrors()
{
    QFETCH(QStringList, args);
    QFETCH(int, exitCode);
    QFETCH(QString, message);
    CWB_SHARED_FILE(model, "models/stories260K/stories260K.gguf");
    QTemporaryDir dir;
    args.replaceInStrings(QStringLiteral("MODEL"), q(model));
    args.replaceInStrings(QStringLiteral("OUT"), dir.filePath(QStringLiteral("o.cwbproj")));
    const auto r = runCli(QStringList{QStringLiteral("analyze")} + args);
    QCOMPARE(r.exitCode, exitCode);
    QVERIFY2(r.err.contains(message), qPrintable(r.err));
    QVERIFY(r.out.isEmpty());
    QVERIFY(QDir(dir.path()).entryList(QDir::Files).isEmpty());
}

void TestCliAnalyze::interruptWritesNothing()
{
    // Long enough to be interrupted: 128 calibration sequences of 512 tokens on one thread
    // (several seconds; the interrupt comes as soon as the calibration run reports progress).
    CWB_SHARED_FILE(model, "models/stories260K/stories260K.gguf");
    CWB_SHARED_FILE(text, "data/tinystories/tinystories_validation_head.txt");
    QTemporaryDir dir;
    const QString project = dir.filePath(QStringLiteral("c.cwbproj"));
    QProcess p;
    p.start(QStringLiteral(CWB_CLI_PATH),
            {QStringLiteral("analyze"), q(model), QStringLiteral("--spectra"),
             QStringLiteral("--calib"), q(text), QStringLiteral("--sequences"),
             QStringLiteral("128"), QStringLiteral("--seq-len"), QStringLiteral("512"),
             QStringLiteral("--hessians"), QStringLiteral("--threads"), QStringLiteral("1"),
             QStringLiteral("--project"), project});
    QVERIFY(p.waitForStarted());
    // Interrupt once the calibration run is under way (its progress lines say so).
    QByteArray err;
    QTRY_VERIFY_WITH_TIMEOUT((err += p.readAllStandardError()).contains("calibration"), 60000);
    ::kill(static_cast<pid_t>(p.processId()), SIGINT);
    QVERIFY(p.waitForFinished(30000));
    err += p.readAllStandardError();
    QCOMPARE(p.exitCode(), 130);
    QVERIFY2(err.contains("cwb: cancelled"), err.constData());
    QVERIFY(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden).isEmpty());
}

QTEST_GUILESS_MAIN(TestCliAnalyze)
#include "test_cli_analyze.moc"
