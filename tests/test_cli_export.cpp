// SPDX-License-Identifier: MIT
// `cwb export` as a user runs it: the verification table and its JSON form, the exit statuses of
// a bad target and an output path that is a directory.

#include "cli_runner.h"
#include "test_support.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

using cwbtest::runCli;

class TestCliExport : public QObject {
    Q_OBJECT

private slots:
    void tableAndJson();
    void errors();
};

void TestCliExport::tableAndJson()
{
    CWB_SHARED_FILE(bin, "models/stories260K/stories260K.bin");
    QTemporaryDir dir;
    const QString out = dir.filePath(QStringLiteral("s.gguf"));
    auto r = runCli({QStringLiteral("export"), QString::fromStdString(bin), QStringLiteral("--to"),
                     QStringLiteral("gguf"), QStringLiteral("--out"), out});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY2(r.out.contains(QStringLiteral("47 of 47 exact")), qPrintable(r.out));
    QVERIFY(r.out.contains(QStringLiteral("blk.4.ffn_down.weight")));

    r = runCli({QStringLiteral("export"), QString::fromStdString(bin), QStringLiteral("--to"),
                QStringLiteral("gguf"), QStringLiteral("--out"), out,
                QStringLiteral("--float-type"), QStringLiteral("f16"), QStringLiteral("--json")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    const QJsonObject j = QJsonDocument::fromJson(r.out.toUtf8()).object();
    QCOMPARE(j[QStringLiteral("schema")].toString(), QStringLiteral("cwb.export/1"));
    const QJsonArray tensors = j[QStringLiteral("tensors")].toArray();
    QCOMPARE(tensors.size(), 47);
    int exact = 0;
    for (const auto &v : tensors) {
        const QJsonObject t = v.toObject();
        const bool norm = t[QStringLiteral("name")].toString().contains(QStringLiteral("norm"));
        // Norms stay F32 (exact); matrices are rounded to F16 and say by how much.
        QCOMPARE(t[QStringLiteral("written")].toString(),
                 norm ? QStringLiteral("F32") : QStringLiteral("F16"));
        QCOMPARE(t[QStringLiteral("exact")].toBool(), norm);
        if (!norm)
            QVERIFY(t[QStringLiteral("max_abs_error")].toDouble() > 0);
        exact += norm;
    }
    QCOMPARE(j[QStringLiteral("exact_tensors")].toInt(), exact);
    QCOMPARE(exact, 11); // 5 layers x 2 norms + output_norm
}

void TestCliExport::errors()
{
    CWB_SHARED_FILE(bin, "models/stories260K/stories260K.bin");
    QTemporaryDir dir;
    auto r = runCli({QStringLiteral("export"), QString::fromStdString(bin), QStringLiteral("--to"),
                     QStringLiteral("onnx"), QStringLiteral("--out"),
                     dir.filePath(QStringLiteral("x"))});
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains(QStringLiteral("--to is gguf, safetensors")), qPrintable(r.err));

    // A recipe target needs a recipe: an archive's, or --plan.
    r = runCli({QStringLiteral("export"), QString::fromStdString(bin), QStringLiteral("--to"),
                QStringLiteral("gptqmodel"), QStringLiteral("--out"),
                dir.filePath(QStringLiteral("q.json"))});
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains(QStringLiteral("give --plan RECIPE.json or a .cwbarchive")),
             qPrintable(r.err));

    // Not a ggml type.
    r = runCli({QStringLiteral("export"), QString::fromStdString(bin), QStringLiteral("--to"),
                QStringLiteral("gguf"), QStringLiteral("--out"), dir.filePath(QStringLiteral("x")),
                QStringLiteral("--requantize"), QStringLiteral("q9_z")});
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains(QStringLiteral("'q9_z' is not a ggml type")), qPrintable(r.err));

    r = runCli({QStringLiteral("export"), QString::fromStdString(bin), QStringLiteral("--to"),
                QStringLiteral("gguf"), QStringLiteral("--out"), dir.path()});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains(QStringLiteral("is a directory")), qPrintable(r.err));
}

QTEST_GUILESS_MAIN(TestCliExport)
#include "test_cli_export.moc"
