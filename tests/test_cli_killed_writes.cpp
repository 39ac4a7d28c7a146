// SPDX-License-Identifier: MIT
// kill -9 of `cwb` in the middle of a write leaves the previous file intact. The real executable
// is made to stop at a chosen write step (CWB_WRITE_PAUSE_AT, util/write_steps.h) - the first
// one, one in the middle, and the final rename that publishes the new file - and is killed with
// SIGKILL while it waits there, so the test is deterministic. A trace run (CWB_WRITE_TRACE) of
// the same command into another directory says which step is which.

#include "cli_runner.h"
#include "test_support.h"

#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <map>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

using Snapshot = std::map<std::string, std::string>;

Snapshot snapshot(const fs::path &p)
{
    const auto bytes = [](const fs::path &f) {
        std::ifstream in(f, std::ios::binary);
        return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    };
    Snapshot s;
    if (fs::is_regular_file(p))
        s[""] = bytes(p);
    else if (fs::is_directory(p))
        for (const auto &e : fs::recursive_directory_iterator(p))
            if (e.is_regular_file())
                s[fs::relative(e.path(), p).string()] = bytes(e.path());
    return s;
}

QProcessEnvironment environment()
{
    auto env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("CWB_SHARED"), QString::fromStdString(cwbtest::sharedDir()));
    env.remove(QStringLiteral("CWB_WRITE_PAUSE_AT"));
    env.remove(QStringLiteral("CWB_WRITE_TRACE"));
    return env;
}

// The write steps `args` takes, in order ("write", "fsync", "rename").
std::vector<QString> traceSteps(const QStringList &args)
{
    QProcess p;
    auto env = environment();
    env.insert(QStringLiteral("CWB_WRITE_TRACE"), QStringLiteral("1"));
    p.setProcessEnvironment(env);
    p.start(QStringLiteral(CWB_CLI_PATH), args);
    std::vector<QString> kinds;
    if (!p.waitForFinished(120000) || p.exitCode() != 0) {
        p.kill();
        p.waitForFinished();
        return kinds;
    }
    // Progress lines share stderr (ending in \r, not \n), so a step's line is not anchored.
    static const QRegularExpression line(QStringLiteral("cwb: write step (\\d+): (\\w+) "));
    auto it = line.globalMatch(QString::fromUtf8(p.readAllStandardError()));
    while (it.hasNext()) {
        const auto m = it.next();
        if (m.captured(1).toULongLong() != kinds.size() + 1)
            return {}; // a line lost: the numbering would be wrong
        kinds.push_back(m.captured(2));
    }
    return kinds;
}

// Runs `args` until it pauses before write step `k`, then kills it with SIGKILL. Returns the
// pause message ("" when it never paused).
QString killAtStep(const QStringList &args, size_t k)
{
    QProcess p;
    auto env = environment();
    env.insert(QStringLiteral("CWB_WRITE_PAUSE_AT"), QString::number(k));
    p.setProcessEnvironment(env);
    p.start(QStringLiteral(CWB_CLI_PATH), args);
    QString err;
    const QString expected = QStringLiteral("cwb: paused before step %1:").arg(k);
    QDeadlineTimer deadline(120000);
    while (!err.contains(expected) && !deadline.hasExpired()
           && p.state() != QProcess::NotRunning) {
        p.waitForReadyRead(200);
        err += QString::fromUtf8(p.readAllStandardError());
    }
    p.kill(); // SIGKILL
    p.waitForFinished();
    const qsizetype at = err.indexOf(expected);
    return at < 0 ? QString() : err.mid(at).section(QLatin1Char('\n'), 0, 0);
}

} // namespace

class TestCliKilledWrites : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void killedWriteKeepsThePreviousFile_data();
    void killedWriteKeepsThePreviousFile();
};

void TestCliKilledWrites::killedWriteKeepsThePreviousFile_data()
{
    QTest::addColumn<QString>("command");
    QTest::addColumn<QString>("out");
    QTest::addColumn<QStringList>("previousArgs"); // options of the run that writes the previous
    QTest::addColumn<QStringList>("nextArgs");     // options of the run that is killed
    const auto row = [](const char *tag, const char *command, const char *out,
                        std::initializer_list<const char *> previous,
                        std::initializer_list<const char *> next) {
        QStringList p, n;
        for (const char *a : previous)
            p << QString::fromLatin1(a);
        for (const char *a : next)
            n << QString::fromLatin1(a);
        QTest::newRow(tag) << QString::fromLatin1(command) << QString::fromLatin1(out) << p << n;
    };
    row("export gguf", "export", "model.gguf", {"--to", "gguf", "--float-type", "f16"},
        {"--to", "gguf", "--float-type", "f32"});
    row("export safetensors", "export", "hf", {"--to", "safetensors", "--float-type", "bf16"},
        {"--to", "safetensors", "--float-type", "f32"});
    row("compress archive", "compress", "model.cwbarchive", {"--plan", "PLAN8"},
        {"--plan", "PLAN4"});
    row("analyze project", "analyze", "model.cwbproj", {}, {"--spectra"});
}

void TestCliKilledWrites::killedWriteKeepsThePreviousFile()
{
    QFETCH(QString, command);
    QFETCH(QString, out);
    QFETCH(QStringList, previousArgs);
    QFETCH(QStringList, nextArgs);
    CWB_SHARED_FILE(model, "models/stories260K/stories260K.gguf");
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString plan8 = dir.filePath(QStringLiteral("plan8.json"));
    const QString plan4 = dir.filePath(QStringLiteral("plan4.json"));
    std::ofstream(plan8.toStdString()) << R"({"version": 1, "rules": [{"match": "layers.*.attn.*", "methods": [{"method": "q8_0"}]}]})";
    std::ofstream(plan4.toStdString()) << R"({"version": 1, "rules": [{"match": "layers.*.attn.*", "methods": [{"method": "rtn", "params": {"bits": 4, "group": 32}}]}]})";
    for (QStringList *l : {&previousArgs, &nextArgs})
        l->replaceInStrings(QStringLiteral("PLAN8"), plan8).replaceInStrings(QStringLiteral("PLAN4"), plan4);
    const QString outOption = command == QLatin1String("analyze") ? QStringLiteral("--project")
                                                                  : QStringLiteral("--out");
    const auto args = [&](const QString &target, const QStringList &options) {
        return QStringList{command, QString::fromStdString(model), outOption, target} + options;
    };

    // The trace run replaces a previous output too, as the killed runs will (a directory
    // export then has one more rename: the previous directory moved aside).
    fs::create_directories(dir.filePath(QStringLiteral("trace")).toStdString());
    const QString traced = dir.filePath(QStringLiteral("trace/")) + out;
    const cwbtest::CliResult tracePrevious = cwbtest::runCli(args(traced, previousArgs));
    QVERIFY2(tracePrevious.exitCode == 0, qPrintable(tracePrevious.err));
    const std::vector<QString> steps = traceSteps(args(traced, nextArgs));
    QVERIFY2(steps.size() >= 3, "the trace run failed or wrote in fewer than 3 steps");
    size_t commit = 0;
    for (size_t i = 0; i < steps.size(); ++i)
        if (steps[i] == QLatin1String("rename"))
            commit = i + 1;
    QVERIFY(commit > 1);

    const QString target = dir.filePath(out);
    const cwbtest::CliResult first = cwbtest::runCli(args(target, previousArgs));
    QVERIFY2(first.exitCode == 0, qPrintable(first.err));
    const Snapshot before = snapshot(target.toStdString());
    QVERIFY(!before.empty());

    for (const size_t k : {size_t{1}, commit / 2 + 1, commit}) {
        const QString paused = killAtStep(args(target, nextArgs), k);
        QVERIFY2(!paused.isEmpty(), qPrintable(QStringLiteral("never paused at step %1").arg(k)));
        if (k == commit)
            QVERIFY2(paused.contains(QLatin1String(" rename ")), qPrintable(paused));
        QVERIFY2(snapshot(target.toStdString()) == before,
                 qPrintable(QStringLiteral("killed at '%1', the previous output changed").arg(paused)));
    }
    // The next run replaces it as usual.
    const cwbtest::CliResult again = cwbtest::runCli(args(target, nextArgs));
    QVERIFY2(again.exitCode == 0, qPrintable(again.err));
    QVERIFY(snapshot(target.toStdString()) != before);
}

QTEST_GUILESS_MAIN(TestCliKilledWrites)
#include "test_cli_killed_writes.moc"
