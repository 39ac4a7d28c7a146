// SPDX-License-Identifier: MIT
// `cwb prune` end to end on stories260K: the block ranking and the per-layer errors it prints,
// the smaller GGUF it writes (which `cwb inspect` reads with the new widths), and the plan-time
// refusal of non-uniform widths for GGUF, naming the tensor and llama.cpp.

#include "cli_runner.h"
#include "test_support.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

namespace {

using cwbtest::runCli;

QString q(const std::string &s)
{
    return QString::fromStdString(s);
}

} // namespace

class TestCliPrune : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void prunesAndWritesGguf()
    {
        CWB_SHARED_FILE(model, "models/stories260K/stories260K.gguf");
        CWB_SHARED_FILE(text, "data/tinystories/tinystories_validation_head.txt");
        QTemporaryDir dir;
        const QString out = dir.filePath(QStringLiteral("pruned.gguf"));
        const auto r = runCli({QStringLiteral("prune"), q(model), QStringLiteral("--calib"), q(text),
                               QStringLiteral("--ffn-keep"), QStringLiteral("0.5"),
                               QStringLiteral("--kv-groups-keep"), QStringLiteral("2"),
                               QStringLiteral("--block-scores"), QStringLiteral("--windows"),
                               QStringLiteral("2"), QStringLiteral("--sequences"),
                               QStringLiteral("8"), QStringLiteral("--seq-len"),
                               QStringLiteral("128"), QStringLiteral("--out"), out,
                               QStringLiteral("--threads"), QStringLiteral("2")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY2(r.out.contains(QStringLiteral("least important first, by dKLD:")),
                 qPrintable(r.out));
        QVERIFY(r.out.contains(QStringLiteral("layers.4.mlp.down     ffn channels      172 -> 86")));
        QVERIFY(r.out.contains(QStringLiteral("layers.0.attn.o       kv groups           4 -> 2")));
        QVERIFY(r.out.contains(QStringLiteral("read back and verified")));
        const auto inspect = runCli({QStringLiteral("inspect"), out});
        QVERIFY2(inspect.exitCode == 0, qPrintable(inspect.err));
        QVERIFY2(inspect.out.contains(QStringLiteral("heads 4 (kv 2, head_dim 8), ffn 86")),
                 qPrintable(inspect.out));
    }

    void nonUniformWidthsRefusedForGguf()
    {
        CWB_SHARED_FILE(model, "models/stories260K/stories260K.gguf");
        CWB_SHARED_FILE(text, "data/tinystories/tinystories_validation_head.txt");
        QTemporaryDir dir;
        const QString out = dir.filePath(QStringLiteral("pruned.gguf"));
        const auto r = runCli({QStringLiteral("prune"), q(model), QStringLiteral("--calib"), q(text),
                               QStringLiteral("--ffn-keep-global"), QStringLiteral("0.5"),
                               QStringLiteral("--sequences"), QStringLiteral("4"),
                               QStringLiteral("--seq-len"), QStringLiteral("64"),
                               QStringLiteral("--out"), out});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(QStringLiteral("mlp.gate/up/down: FFN width"))
                     && r.err.contains(QStringLiteral("llama.cpp (gguf, architecture llama)")),
                 qPrintable(r.err));
        QVERIFY(!QFile::exists(out));
        // A block that does not exist is refused before any calibration runs.
        const auto bad = runCli({QStringLiteral("prune"), q(model), QStringLiteral("--calib"),
                                 q(text), QStringLiteral("--drop-blocks"), QStringLiteral("7")});
        QCOMPARE(bad.exitCode, 1);
        QVERIFY2(bad.err.contains(QStringLiteral("block 7 does not exist")), qPrintable(bad.err));
        QVERIFY(!bad.err.contains(QStringLiteral("sequence")));
    }
};

QTEST_GUILESS_MAIN(TestCliPrune)
#include "test_cli_prune.moc"
