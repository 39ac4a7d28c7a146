// SPDX-License-Identifier: MIT
// `cwb export` as a user runs it: the verification table and its JSON form, the Hugging Face
// directory targets end to end (a compressed archive to compressed-tensors, a preview, float
// types), the exit statuses of a bad target, an output path that is a directory and a directory
// that is not an export.

#include "cli_runner.h"
#include "test_support.h"

#include <QDir>
#include <QFile>
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
    void recipeTargets();
    void huggingFaceDirectories();
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

// The recipe targets from the command line: an archive's own recipe (llama.cpp, with the
// imatrix from --calib), and --plan over a model (GPTQModel); gptq needs no --calib there, the
// tool calibrates on its own data.
void TestCliExport::recipeTargets()
{
    CWB_SHARED_FILE(dev, "models/dev256/dev256-f32.gguf");
    CWB_SHARED_FILE(calib, "data/dev256/calib.txt");
    QTemporaryDir dir;
    const QString recipe = dir.filePath(QStringLiteral("r.json"));
    QFile f(recipe);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(R"({"version": 1, "rules": [
        {"match": "layers.*.attn.*", "methods": [{"method": "q4_k", "params": {"imatrix": true}}]},
        {"match": "layers.*.mlp.*", "methods": [{"method": "q6_k"}]}]})");
    f.close();
    const QString archive = dir.filePath(QStringLiteral("a.cwbarchive"));
    const QStringList calibArgs{QStringLiteral("--calib"), QString::fromStdString(calib),
                                QStringLiteral("--sequences"), QStringLiteral("4"),
                                QStringLiteral("--seq-len"), QStringLiteral("64")};
    auto r = runCli(QStringList{QStringLiteral("compress"), QString::fromStdString(dev),
                                QStringLiteral("--plan"), recipe, QStringLiteral("--out"), archive}
                    + calibArgs);
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    const QString out = dir.filePath(QStringLiteral("llamacpp"));
    r = runCli(QStringList{QStringLiteral("export"), archive, QStringLiteral("--to"),
                           QStringLiteral("llama.cpp"), QStringLiteral("--out"), out,
                           QStringLiteral("--json")}
               + calibArgs);
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    const QJsonObject j = QJsonDocument::fromJson(r.out.toUtf8()).object();
    QCOMPARE(j[QStringLiteral("target")].toString(), QStringLiteral("llama.cpp"));
    QCOMPARE(j[QStringLiteral("files")].toArray().size(), 3);
    QVERIFY(QFile::exists(out + QStringLiteral("/imatrix.dat")));
    QVERIFY(QFile::exists(out + QStringLiteral("/tensor-types.txt")));

    const QString config = dir.filePath(QStringLiteral("quantize_config.json"));
    QFile g(recipe);
    QVERIFY(g.open(QIODevice::WriteOnly | QIODevice::Truncate));
    g.write(R"({"version": 1, "rules": [
        {"match": "layers.*", "methods": [{"method": "gptq", "params": {"bits": 4, "group": 64}}]},
        {"match": "layers.0.mlp.down", "methods": [{"method": "nf4"}]}]})");
    g.close();
    r = runCli({QStringLiteral("export"), QString::fromStdString(dev), QStringLiteral("--to"),
                QStringLiteral("gptqmodel"), QStringLiteral("--plan"), recipe,
                QStringLiteral("--out"), config});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY2(r.out.contains(QStringLiteral("has no NF4 codebook")), qPrintable(r.out));
    QFile c(config);
    QVERIFY(c.open(QIODevice::ReadOnly));
    const QJsonObject q = QJsonDocument::fromJson(c.readAll()).object();
    QCOMPARE(q[QStringLiteral("group_size")].toInt(), 64);
    QVERIFY(q[QStringLiteral("dynamic")].toObject().contains(
        QStringLiteral(R"(+:^model\.layers\.0\.mlp\.down_proj$)")));
}

void TestCliExport::huggingFaceDirectories()
{
    CWB_SHARED_FILE(bin, "models/stories260K/stories260K.bin");
    CWB_SHARED_FILE(dev, "models/dev256");
    QTemporaryDir dir;
    // Dense, BF16 matrices: norms stay F32 and exact, the rest say their rounding.
    const QString dense = dir.filePath(QStringLiteral("stories-hf"));
    auto r = runCli({QStringLiteral("export"), QString::fromStdString(bin), QStringLiteral("--to"),
                     QStringLiteral("safetensors"), QStringLiteral("--out"), dense,
                     QStringLiteral("--float-type"), QStringLiteral("bf16"),
                     QStringLiteral("--json")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    const QJsonObject j = QJsonDocument::fromJson(r.out.toUtf8()).object();
    QCOMPARE(j[QStringLiteral("target")].toString(), QStringLiteral("safetensors"));
    QVERIFY(j[QStringLiteral("verified")].toBool());
    QCOMPARE(j[QStringLiteral("tensors")].toArray().size(), 47);
    QCOMPARE(j[QStringLiteral("exact_tensors")].toInt(), 11);
    QVERIFY(QFile::exists(dense + QStringLiteral("/model.safetensors")));
    QVERIFY(QFile::exists(dense + QStringLiteral("/config.json")));

    // An archive of int grids to compressed-tensors: previewed (nothing written), then written.
    const QString recipe = dir.filePath(QStringLiteral("recipe.json"));
    {
        QFile f(recipe);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(R"({"version": 1, "rules": [{"match": "layers.*.*", "methods":
            [{"method": "rtn", "params": {"bits": 4, "group": 32}}]}]})");
    }
    const QString archive = dir.filePath(QStringLiteral("dev.cwbarchive"));
    r = runCli({QStringLiteral("compress"), QString::fromStdString(dev), QStringLiteral("--plan"),
                recipe, QStringLiteral("--out"), archive});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    const QString ct = dir.filePath(QStringLiteral("dev-ct"));
    const QStringList exportArgs{QStringLiteral("export"), archive, QStringLiteral("--to"),
                                 QStringLiteral("compressed-tensors"), QStringLiteral("--out"),
                                 ct};
    r = runCli(exportArgs + QStringList{QStringLiteral("--preview")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY2(r.out.startsWith(QStringLiteral("preview of compressed-tensors export")),
             qPrintable(r.out));
    QVERIFY(!QDir(ct).exists());
    r = runCli(exportArgs);
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY2(r.out.contains(QStringLiteral("56 of 56 exact")), qPrintable(r.out));
    QVERIFY(r.out.contains(QStringLiteral("model.layers.5.mlp.down_proj")));
    QVERIFY(r.out.contains(QStringLiteral("pack-quantized int4 g32 sym")));
    QVERIFY(QFile::exists(ct + QStringLiteral("/cwb-export.json")));
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

    // A directory that holds something else is never replaced.
    const QString user = dir.filePath(QStringLiteral("user"));
    QVERIFY(QDir().mkdir(user));
    {
        QFile f(user + QStringLiteral("/keep.txt"));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("keep");
    }
    r = runCli({QStringLiteral("export"), QString::fromStdString(bin), QStringLiteral("--to"),
                QStringLiteral("safetensors"), QStringLiteral("--out"), user});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains(QStringLiteral("refusing to replace it")), qPrintable(r.err));
    QCOMPARE(QDir(user).entryList(QDir::Files), QStringList{QStringLiteral("keep.txt")});

    r = runCli({QStringLiteral("export"), QString::fromStdString(bin), QStringLiteral("--to"),
                QStringLiteral("gguf"), QStringLiteral("--out"), dir.path()});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains(QStringLiteral("is a directory")), qPrintable(r.err));
}

QTEST_GUILESS_MAIN(TestCliExport)
#include "test_cli_export.moc"
