// SPDX-License-Identifier: MIT
// `cwb compare` as a user runs it on stories260K: the table's sections, the JSON schema
// ("cwb.compare/1") with the slices in the order asked for, slice and prompt files, measured
// weight differences with their histograms, and the exit statuses of bad inputs (the file named
// on stderr) and of usage mistakes.

#include "cli_runner.h"
#include "test_support.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

using cwbtest::runCli;

namespace {

constexpr const char *kF32 = "models/stories260K/stories260K.gguf";
constexpr const char *kQ4 = "models/stories260K/stories260K-Q4_0.gguf";
constexpr const char *kText = "data/tinystories/tinystories_validation_head.txt";

QString q(const std::string &s)
{
    return QString::fromStdString(s);
}

void writeFile(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(bytes);
}

QByteArray head(const std::string &path, qint64 bytes)
{
    QFile f(q(path));
    return f.open(QIODevice::ReadOnly) ? f.read(bytes) : QByteArray();
}

} // namespace

class TestCliCompare : public QObject {
    Q_OBJECT

private slots:
    void tableAndJson();
    void sliceFilesAndPrompts();
    void weightDifferences();
    void errors();
};

void TestCliCompare::tableAndJson()
{
    CWB_SHARED_FILE(f32, kF32);
    CWB_SHARED_FILE(q4, kQ4);
    CWB_SHARED_FILE(text, kText);
    const QStringList run{QStringLiteral("compare"), q(f32),         q(q4),
                          QStringLiteral("--text"),  q(text),        QStringLiteral("--ctx"),
                          QStringLiteral("64"),      QStringLiteral("--chunks"),
                          QStringLiteral("24"),      QStringLiteral("--tokens"),
                          QStringLiteral("16"),      QStringLiteral("--agree"),
                          QStringLiteral("8")};
    auto r = runCli(run);
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    for (const char *section :
         {"slices, most degraded first (by mean KLD)", "behaviour    12 prompts",
          "first 8 tokens unchanged", "tensors, errors against the original",
          "were merged with the next"})
        QVERIFY2(r.out.contains(QString::fromUtf8(section)), section);

    r = runCli(run + QStringList{QStringLiteral("--json")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    const QJsonObject j = QJsonDocument::fromJson(r.out.toUtf8()).object();
    QCOMPARE(j[QStringLiteral("schema")].toString(), QStringLiteral("cwb.compare/1"));
    QCOMPARE(j[QStringLiteral("a")].toObject()[QStringLiteral("label")].toString(),
             QStringLiteral("stories260K.gguf"));
    QCOMPARE(j[QStringLiteral("b")].toObject()[QStringLiteral("archive")].toBool(), false);
    const QJsonObject settings = j[QStringLiteral("settings")].toObject();
    QCOMPARE(settings[QStringLiteral("n_ctx")].toInt(), 64);
    QCOMPARE(settings[QStringLiteral("order")].toString(), QStringLiteral("kld"));
    const QJsonObject total = j[QStringLiteral("total")].toObject();
    QCOMPARE(total[QStringLiteral("windows")].toInt(), 24);
    QVERIFY(total[QStringLiteral("kld")].toObject()[QStringLiteral("mean")].toDouble() > 0);
    const QJsonArray slices = j[QStringLiteral("slices")].toArray();
    QVERIFY(slices.size() > 5);
    double previous = 1e300;
    for (const auto &v : slices) {
        const double kld = v.toObject()[QStringLiteral("kld")].toObject()[QStringLiteral("mean")]
                               .toDouble();
        QVERIFY(kld <= previous);
        previous = kld;
    }
    const QJsonObject behaviour = j[QStringLiteral("behaviour")].toObject();
    QCOMPARE(behaviour[QStringLiteral("prompts")].toArray().size(), 12);
    QCOMPARE(behaviour[QStringLiteral("agree")].toInt(), 8);
    const QJsonArray tensors = j[QStringLiteral("tensors")].toArray();
    QCOMPARE(tensors.size(), 48);
    const QJsonObject q0 = tensors[3].toObject();
    QCOMPARE(q0[QStringLiteral("canonical")].toString(), QStringLiteral("layers.0.attn.q"));
    QCOMPARE(q0[QStringLiteral("b")].toObject()[QStringLiteral("format")].toString(),
             QStringLiteral("Q4_0"));
    QVERIFY(q0[QStringLiteral("b")].toObject()[QStringLiteral("relative_error")].isNull());
    QVERIFY(q0[QStringLiteral("difference")].isNull()); // only with --weights
}

void TestCliCompare::sliceFilesAndPrompts()
{
    CWB_SHARED_FILE(f32, kF32);
    CWB_SHARED_FILE(q4, kQ4);
    CWB_SHARED_FILE(text, kText);
    QTemporaryDir dir;
    const QByteArray bytes = head(text, 24000);
    const QString one = dir.filePath(QStringLiteral("one.txt"));
    const QString two = dir.filePath(QStringLiteral("two.txt"));
    const QString three = dir.filePath(QStringLiteral("three.txt"));
    writeFile(one, bytes.left(8000));
    writeFile(two, bytes.mid(8000, 8000));
    writeFile(three, bytes.mid(16000));
    const QString prompts = dir.filePath(QStringLiteral("prompts.txt"));
    writeFile(prompts, "Once upon a time\n\nThe cat sat\n");
    const auto r = runCli({QStringLiteral("compare"), q(f32), q(q4), QStringLiteral("--slices"),
                           one, QStringLiteral("--slices"), two, QStringLiteral("--slices"), three,
                           QStringLiteral("--ctx"), QStringLiteral("128"),
                           QStringLiteral("--order"), QStringLiteral("nll"),
                           QStringLiteral("--prompts"), prompts, QStringLiteral("--json")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    const QJsonObject j = QJsonDocument::fromJson(r.out.toUtf8()).object();
    const QJsonArray slices = j[QStringLiteral("slices")].toArray();
    QCOMPARE(slices.size(), 3);
    QStringList names;
    double previous = 1e300;
    for (const auto &v : slices) {
        const QJsonObject s = v.toObject();
        names << s[QStringLiteral("name")].toString();
        QCOMPARE(s[QStringLiteral("source")].toString(),
                 dir.filePath(s[QStringLiteral("name")].toString()));
        QVERIFY(s[QStringLiteral("delta_nll")].toDouble() <= previous);
        previous = s[QStringLiteral("delta_nll")].toDouble();
    }
    names.sort();
    QCOMPARE(names, (QStringList{QStringLiteral("one.txt"), QStringLiteral("three.txt"),
                                 QStringLiteral("two.txt")}));
    const QJsonObject slicing = j[QStringLiteral("slicing")].toObject();
    QCOMPARE(slicing[QStringLiteral("documents_merged")].toInt(), 0);
    const QJsonObject behaviour = j[QStringLiteral("behaviour")].toObject();
    QCOMPARE(behaviour[QStringLiteral("prompts_source")].toString(), prompts);
    const QJsonArray list = behaviour[QStringLiteral("prompts")].toArray();
    QCOMPARE(list.size(), 2);
    QCOMPARE(list[1].toObject()[QStringLiteral("prompt")].toString(),
             QStringLiteral("The cat sat"));
}

void TestCliCompare::weightDifferences()
{
    CWB_SHARED_FILE(f32, kF32);
    CWB_SHARED_FILE(q4, kQ4);
    CWB_SHARED_FILE(text, kText);
    const auto r = runCli({QStringLiteral("compare"), q(f32), q(q4), QStringLiteral("--text"),
                           q(text), QStringLiteral("--ctx"), QStringLiteral("64"),
                           QStringLiteral("--chunks"), QStringLiteral("2"),
                           QStringLiteral("--tokens"), QStringLiteral("2"),
                           QStringLiteral("--weights"), QStringLiteral("--bins"),
                           QStringLiteral("4"), QStringLiteral("--json")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    const QJsonArray tensors =
        QJsonDocument::fromJson(r.out.toUtf8()).object()[QStringLiteral("tensors")].toArray();
    QCOMPARE(tensors.size(), 48);
    for (const auto &v : tensors) {
        const QJsonObject t = v.toObject();
        const QJsonObject d = t[QStringLiteral("difference")].toObject();
        QVERIFY2(!d.isEmpty(), qPrintable(t[QStringLiteral("name")].toString()));
        const QJsonObject h = d[QStringLiteral("histogram")].toObject();
        QCOMPARE(h[QStringLiteral("counts")].toArray().size(), 4);
        QCOMPARE(h[QStringLiteral("edges")].toArray().size(), 5);
        const bool retyped =
            t[QStringLiteral("b")].toObject()[QStringLiteral("format")].toString()
            != QStringLiteral("F32");
        // Every re-typed tensor moved (by up to half a step of its grid); F32 ones did not.
        QCOMPARE(d[QStringLiteral("relative")].toDouble() > 0, retyped);
        QCOMPARE(d[QStringLiteral("max_abs")].toDouble() > 0, retyped);
    }
}

void TestCliCompare::errors()
{
    CWB_SHARED_FILE(f32, kF32);
    CWB_SHARED_FILE(text, kText);
    QTemporaryDir dir;
    const QString missing = dir.filePath(QStringLiteral("missing-model.gguf"));
    auto r = runCli({QStringLiteral("compare"), q(f32), missing, QStringLiteral("--text"),
                     q(text)});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains(QStringLiteral("missing-model.gguf")), qPrintable(r.err));

    const QString tiny = dir.filePath(QStringLiteral("tiny-slice.txt"));
    writeFile(tiny, "A short story.");
    r = runCli({QStringLiteral("compare"), q(f32), q(f32), QStringLiteral("--slices"), tiny,
                QStringLiteral("--ctx"), QStringLiteral("64")});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains(QStringLiteral("tiny-slice.txt"))
                 && r.err.contains(QStringLiteral("fewer than one window of 64 tokens")),
             qPrintable(r.err));

    r = runCli({QStringLiteral("compare"), q(f32), QStringLiteral("--text"), q(text)});
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains(QStringLiteral("compare: 1 of 2 models given (A B)")),
             qPrintable(r.err));
    QVERIFY(r.err.contains(QStringLiteral("usage: cwb compare A B")));
    r = runCli({QStringLiteral("compare"), q(f32), q(f32), QStringLiteral("--text"), q(text),
                QStringLiteral("--agree"), QStringLiteral("40")});
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains(QStringLiteral("--agree 40 exceeds --tokens 32")), qPrintable(r.err));
}

QTEST_GUILESS_MAIN(TestCliCompare)
#include "test_cli_compare.moc"
