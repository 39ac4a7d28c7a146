// SPDX-License-Identifier: MIT
// `cwb eval`, `cwb generate` and `cwb bench eval` end to end: the JSON a script parses, the text
// a user reads, exit codes and messages for bad input.

#include "cli_runner.h"
#include "test_support.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QProcessEnvironment>
#include <QTemporaryDir>
#include <QTest>

#include <fstream>

namespace {

using cwbtest::CliResult;
using cwbtest::runCli;

QString q(const std::string &s)
{
    return QString::fromStdString(s);
}

} // namespace

class TestCliEval : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void evalJson();
    void evalTextWithKldBase();
    void evalErrors_data();
    void evalErrors();
    void generateStreamsText();
    void benchEvalPrintsRatios();
    void benchEvalSideBySideWithLlamaBench();
};

void TestCliEval::evalJson()
{
    CWB_SHARED_FILE(model, "models/stories260K/stories260K.gguf");
    CWB_SHARED_FILE(text, "data/tinystories/tinystories_validation_head.txt");
    const auto r = runCli({QStringLiteral("eval"), q(model), QStringLiteral("--text"), q(text),
                           QStringLiteral("--ctx"), QStringLiteral("64"),
                           QStringLiteral("--chunks"), QStringLiteral("4"),
                           QStringLiteral("--json")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY2(r.err.contains(QStringLiteral("window 4/4")), qPrintable(r.err)); // progress on stderr
    QJsonParseError perr{};
    const auto doc = QJsonDocument::fromJson(r.out.toUtf8(), &perr);
    QVERIFY2(perr.error == QJsonParseError::NoError, qPrintable(r.out));
    const auto o = doc.object();
    QCOMPARE(o.value(QStringLiteral("protocol")).toString(), QStringLiteral("llama"));
    QCOMPARE(o.value(QStringLiteral("n_ctx")).toInt(), 64);
    QCOMPARE(o.value(QStringLiteral("windows")).toInt(), 4);
    QCOMPARE(o.value(QStringLiteral("tokens_scored")).toInt(), 4 * 31);
    const double ppl = o.value(QStringLiteral("ppl")).toDouble();
    QVERIFY2(ppl > 1.0 && ppl < 20.0, qPrintable(QString::number(ppl)));
    QVERIFY(o.value(QStringLiteral("memory"))
                .toObject()
                .value(QStringLiteral("weight_bytes"))
                .toDouble()
            > 0);
    QVERIFY(!o.contains(QStringLiteral("kld")));
}

void TestCliEval::evalTextWithKldBase()
{
    CWB_SHARED_FILE(f32, "models/stories260K/stories260K.gguf");
    CWB_SHARED_FILE(q4, "models/stories260K/stories260K-Q4_0.gguf");
    CWB_SHARED_FILE(text, "data/tinystories/tinystories_validation_head.txt");
    QTemporaryDir dir;
    const QString base = dir.filePath(QStringLiteral("base.logits"));
    const QStringList common{QStringLiteral("--text"),   q(text),
                             QStringLiteral("--ctx"),    QStringLiteral("128"),
                             QStringLiteral("--chunks"), QStringLiteral("8")};
    auto r = runCli(QStringList{QStringLiteral("eval"), q(f32)} + common
                    + QStringList{QStringLiteral("--save-logits"), base});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    r = runCli(QStringList{QStringLiteral("eval"), q(q4)} + common
               + QStringList{QStringLiteral("--kld-base"), base, QStringLiteral("--emulate-q8"),
                             QStringLiteral("--latency")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    for (const char *line : {"perplexity ", "kl-div       mean ", "top-1 ", "PPL/PPL(base) ",
                             "latency      all cores: prefill ", "latency      1 thr:    prefill ",
                             "peak RSS ", "stories260K-Q4_0.gguf"})
        QVERIFY2(r.out.contains(QLatin1String(line)), qPrintable(r.out));
    // the same base against another context length is refused, naming both
    r = runCli({QStringLiteral("eval"), q(q4), QStringLiteral("--text"), q(text),
                QStringLiteral("--ctx"), QStringLiteral("64"), QStringLiteral("--kld-base"), base});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains(QStringLiteral("n_ctx differs: the base used 128, this run 64")),
             qPrintable(r.err));
}

void TestCliEval::evalErrors_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QString>("message");
    QTest::newRow("no text") << QStringList{QStringLiteral("MODEL")} << 2
                             << QStringLiteral("--text FILE is required");
    QTest::newRow("bad ctx") << QStringList{QStringLiteral("MODEL"), QStringLiteral("--text"),
                                            QStringLiteral("TEXT"), QStringLiteral("--ctx"),
                                            QStringLiteral("1")}
                             << 2 << QStringLiteral("--ctx must be an integer >= 2");
    QTest::newRow("bad protocol") << QStringList{QStringLiteral("MODEL"), QStringLiteral("--text"),
                                                 QStringLiteral("TEXT"),
                                                 QStringLiteral("--protocol"),
                                                 QStringLiteral("half")}
                                  << 2 << QStringLiteral("--protocol is llama or full");
    QTest::newRow("both bases") << QStringList{QStringLiteral("MODEL"),
                                               QStringLiteral("--text"),
                                               QStringLiteral("TEXT"),
                                               QStringLiteral("--save-logits"),
                                               QStringLiteral("a"),
                                               QStringLiteral("--kld-base"),
                                               QStringLiteral("b")}
                                << 2 << QStringLiteral("exclusive");
    QTest::newRow("ctx above limit")
        << QStringList{QStringLiteral("MODEL"), QStringLiteral("--text"), QStringLiteral("TEXT"),
                       QStringLiteral("--ctx"), QStringLiteral("4096")}
        << 1 << QStringLiteral("n_ctx 4096 is outside 2..");
    QTest::newRow("binary text") << QStringList{QStringLiteral("MODEL"), QStringLiteral("--text"),
                                                QStringLiteral("BINARY")}
                                 << 1 << QStringLiteral("offset 4: NUL byte");
}

void TestCliEval::evalErrors()
{
    QFETCH(QStringList, args);
    QFETCH(int, exitCode);
    QFETCH(QString, message);
    CWB_SHARED_FILE(model, "models/stories260K/stories260K.gguf");
    CWB_SHARED_FILE(text, "data/tinystories/tinystories_validation_head.txt");
    QTemporaryDir dir;
    const QString binary = dir.filePath(QStringLiteral("binary.txt"));
    {
        std::ofstream f(binary.toStdString(), std::ios::binary);
        f.write("Once\0\1\2\3", 8);
    }
    args.replaceInStrings(QStringLiteral("MODEL"), q(model));
    args.replaceInStrings(QStringLiteral("BINARY"), binary);
    args.replaceInStrings(QStringLiteral("TEXT"), q(text));
    const auto r = runCli(QStringList{QStringLiteral("eval")} + args);
    QCOMPARE(r.exitCode, exitCode);
    QVERIFY2(r.err.contains(message), qPrintable(r.err));
    QVERIFY(r.out.isEmpty());
}

void TestCliEval::generateStreamsText()
{
    CWB_SHARED_FILE(model, "models/stories260K/stories260K.gguf");
    const auto r = runCli({QStringLiteral("generate"), q(model), QStringLiteral("--prompt"),
                           QStringLiteral("Once upon a time"), QStringLiteral("-n"),
                           QStringLiteral("20"), QStringLiteral("--threads"), QStringLiteral("1")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY2(r.out.startsWith(QStringLiteral("Once upon a time, there was a little girl")),
             qPrintable(r.out));
    QVERIFY2(r.err.contains(QStringLiteral("20 generated at")), qPrintable(r.err));
    QCOMPARE(runCli({QStringLiteral("generate"), q(model)}).exitCode, 2); // no prompt
}

void TestCliEval::benchEvalPrintsRatios()
{
    CWB_SHARED_FILE(model, "models/stories260K/stories260K.gguf");
    CWB_SHARED_FILE(figures, "reference/llamacpp_figures.json");
    // stories260K only (the ~100M model takes a minute): one repetition, figures printed
    const auto r = runCli({QStringLiteral("bench"), QStringLiteral("eval"),
                           QStringLiteral("--no-random"), QStringLiteral("--reps"),
                           QStringLiteral("1")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY2(r.out.contains(QStringLiteral("stories260K-F32")), qPrintable(r.out));
    QVERIFY2(r.out.contains(QStringLiteral("7408.7")) && r.out.contains(QStringLiteral("2232.1")),
             qPrintable(r.out));
    QVERIFY2(r.out.contains(QStringLiteral("x |")), qPrintable(r.out)); // the ratio columns
    QVERIFY2(r.out.contains(QStringLiteral("triad")) && r.out.contains(QStringLiteral("sgemm")),
             qPrintable(r.out));
}

// The real llama-bench on a tiny random model (dims whole Q4_K blocks): the table parses, has a
// row per file with both engines' figures and their ratios; no timing is asserted.
void TestCliEval::benchEvalSideBySideWithLlamaBench()
{
    CWB_SHARED_FILE(llamaBench, "tools/llama.cpp/llama-bench");
    QTemporaryDir cache;
    QVERIFY(cache.isValid());
    const QStringList args{QStringLiteral("bench"), QStringLiteral("eval"),
                           QStringLiteral("--llama-bench"), q(llamaBench),
                           QStringLiteral("--cache-dir"), cache.path(),
                           QStringLiteral("--dim"), QStringLiteral("256"),
                           QStringLiteral("--heads"), QStringLiteral("8"),
                           QStringLiteral("--kv-heads"), QStringLiteral("4"),
                           QStringLiteral("--layers"), QStringLiteral("2"),
                           QStringLiteral("--hidden"), QStringLiteral("512"),
                           QStringLiteral("--vocab"), QStringLiteral("512"),
                           QStringLiteral("--prompt"), QStringLiteral("16"),
                           QStringLiteral("--gen"), QStringLiteral("4"),
                           QStringLiteral("--reps"), QStringLiteral("1")};
    const auto r = runCli(args);
    QVERIFY2(r.exitCode == 0, qPrintable(r.err + r.out));
    QVERIFY2(r.out.contains(QStringLiteral("files: 4 written, 0 reused")), qPrintable(r.out));
    QVERIFY2(r.out.contains(QStringLiteral(" -p 16 -n 4 -t 2 -r 1 ")), qPrintable(r.out));
    const QStringList lines = r.out.split(QLatin1Char('\n'));
    const auto rowOf = [&](const QString &file) {
        for (const QString &line : lines) {
            const QStringList cells = line.split(QLatin1Char('|'));
            if (cells.size() == 12 && cells[1].trimmed() == file)
                return cells.mid(1, 10);
        }
        return QStringList();
    };
    for (const char *file : {"F32", "Q8_0", "Q4_0", "Q4_K_M"}) {
        const QStringList c = rowOf(QString::fromLatin1(file));
        QVERIFY2(c.size() == 10, file);
        for (const int i : {1, 2, 4, 5}) { // llama.cpp and ours, pp and tg: positive tokens/s
            bool ok = false;
            QVERIFY2(c[i].trimmed().toDouble(&ok) > 0 && ok, qPrintable(c.join(u'|')));
        }
        for (const int i : {3, 6}) // the ratios
            QVERIFY2(c[i].trimmed().endsWith(QLatin1Char('x')), qPrintable(c.join(u'|')));
        QVERIFY2(c[9].trimmed().endsWith(QLatin1Char('%')), qPrintable(c.join(u'|'))); // /triad
    }
    for (const char *file : {"rtn4 g32", "rtn4 g128"}) { // ours only
        const QStringList c = rowOf(QString::fromLatin1(file));
        QVERIFY2(c.size() == 10, file);
        QCOMPARE(c[1].trimmed(), QStringLiteral("-"));
        QVERIFY(c[2].trimmed().toDouble() > 0 && c[5].trimmed().toDouble() > 0);
    }
    QVERIFY2(r.out.contains(QStringLiteral("machine  triad")), qPrintable(r.out));
    // The files stay in --cache-dir for the next run.
    QCOMPARE(QDir(cache.path()).entryList({QStringLiteral("random-*.gguf")}).size(), 4);
}

QTEST_GUILESS_MAIN(TestCliEval)
#include "test_cli_eval.moc"
