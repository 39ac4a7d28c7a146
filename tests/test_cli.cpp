// SPDX-License-Identifier: MIT
// The `cwb` executable end to end: what a user types and what CI scripts parse.

#include "cli_runner.h"
#include "test_support.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <fstream>

namespace {

using cwbtest::CliResult;
using cwbtest::runCli;

QJsonObject inspectJson(const std::string &path)
{
    const auto r = runCli({QStringLiteral("inspect"), QStringLiteral("--json"), QString::fromStdString(path)});
    if (r.exitCode != 0)
        qWarning("cwb inspect failed: %s", qPrintable(r.err));
    QJsonParseError err{};
    const auto doc = QJsonDocument::fromJson(r.out.toUtf8(), &err);
    if (err.error != QJsonParseError::NoError)
        qWarning("bad JSON: %s", qPrintable(err.errorString()));
    return doc.object();
}

QJsonObject findTensor(const QJsonObject &doc, const QString &canonical)
{
    for (const auto &v : doc.value(QStringLiteral("tensors")).toArray())
        if (v.toObject().value(QStringLiteral("canonical")).toString() == canonical)
            return v.toObject();
    return {};
}

} // namespace

class TestCli : public QObject {
    Q_OBJECT
private slots:
    void stories260KParameters_data();
    void stories260KParameters();
    void kerasKernels();
    void inspectText();
    void errors_data();
    void errors();
    void usage();
};

void TestCli::stories260KParameters_data()
{
    QTest::addColumn<QString>("relative");
    QTest::addColumn<QString>("format");
    QTest::addColumn<int>("tensors");
    QTest::newRow("llama2c") << QStringLiteral("models/stories260K/stories260K.bin") << QStringLiteral("llama2c") << 47;
    QTest::newRow("gguf") << QStringLiteral("models/stories260K/stories260K.gguf") << QStringLiteral("gguf") << 48;
    QTest::newRow("hf") << QStringLiteral("models/stories260K-hf-derived") << QStringLiteral("hf-directory") << 47;
}

// Acceptance: 260,032 parameters for each form of stories260K, with every field of the schema.
void TestCli::stories260KParameters()
{
    QFETCH(QString, relative);
    QFETCH(QString, format);
    QFETCH(int, tensors);
    CWB_SHARED_FILE(path, relative.toUtf8().constData());
    const auto doc = inspectJson(path);
    QCOMPARE(doc.value(QStringLiteral("schema")).toString(), QStringLiteral("cwb.inspect/1"));
    QCOMPARE(doc.value(QStringLiteral("format")).toString(), format);
    QCOMPARE(doc.value(QStringLiteral("family")).toString(), QStringLiteral("llama"));
    const auto totals = doc.value(QStringLiteral("totals")).toObject();
    QCOMPARE(totals.value(QStringLiteral("parameters")).toInteger(), 260032);
    QCOMPARE(totals.value(QStringLiteral("tensors")).toInt(), tensors);
    QCOMPARE(totals.value(QStringLiteral("unknown_tensors")).toInt(), 0);
    QCOMPARE(totals.value(QStringLiteral("bits_per_weight")).toDouble(), 32.0);
    const auto hp = doc.value(QStringLiteral("hyperparameters")).toObject();
    QCOMPARE(hp.value(QStringLiteral("dim")).toInt(), 64);
    QCOMPARE(hp.value(QStringLiteral("n_layers")).toInt(), 5);
    QCOMPARE(hp.value(QStringLiteral("n_heads")).toInt(), 8);
    QCOMPARE(hp.value(QStringLiteral("n_kv_heads")).toInt(), 4);
    QCOMPARE(hp.value(QStringLiteral("hidden_dim")).toInt(), 172);
    QCOMPARE(hp.value(QStringLiteral("vocab_size")).toInt(), 512);

    const auto wk = findTensor(doc, QStringLiteral("layers.2.attn.k"));
    QCOMPARE(wk.value(QStringLiteral("shape")).toArray(), (QJsonArray{32, 64}));
    QCOMPARE(wk.value(QStringLiteral("dtype")).toString(), QStringLiteral("F32"));
    QCOMPARE(wk.value(QStringLiteral("bytes")).toInteger(), 32 * 64 * 4);
    QVERIFY(wk.value(QStringLiteral("offset")).toInteger() > 0);
    QVERIFY(!wk.value(QStringLiteral("name")).toString().isEmpty());
    const auto down = findTensor(doc, QStringLiteral("layers.4.mlp.down"));
    QCOMPARE(down.value(QStringLiteral("shape")).toArray(), (QJsonArray{64, 172}));
}

// Acceptance: the Keras MLP's 784x128 and 128x10 kernels and the CNN's conv kernels are listed.
void TestCli::kerasKernels()
{
    CWB_SHARED_FILE(mlp, "models/keras-mnist-mlp/mnist_mlp.h5");
    CWB_SHARED_FILE(cnn, "models/keras-mnist-cnn/mnist_cnn.h5");
    const auto m = inspectJson(mlp);
    QCOMPARE(m.value(QStringLiteral("format")).toString(), QStringLiteral("keras-h5"));
    QCOMPARE(findTensor(m, QStringLiteral("dense.kernel")).value(QStringLiteral("shape")).toArray(), (QJsonArray{784, 128}));
    QCOMPARE(findTensor(m, QStringLiteral("dense_1.kernel")).value(QStringLiteral("shape")).toArray(), (QJsonArray{128, 10}));
    const auto c = inspectJson(cnn);
    QCOMPARE(findTensor(c, QStringLiteral("conv2d_1.kernel")).value(QStringLiteral("shape")).toArray(), (QJsonArray{3, 3, 1, 32}));
    QCOMPARE(findTensor(c, QStringLiteral("conv2d_4.kernel")).value(QStringLiteral("shape")).toArray(), (QJsonArray{3, 3, 64, 64}));
    QCOMPARE(c.value(QStringLiteral("totals")).toObject().value(QStringLiteral("parameters")).toInteger(), 312202);
}

void TestCli::inspectText()
{
    CWB_SHARED_FILE(path, "models/stories260K/stories260K-Q4_0.gguf");
    const auto r = runCli({QStringLiteral("inspect"), QString::fromStdString(path)});
    QCOMPARE(r.exitCode, 0);
    const QString out = r.out;
    QVERIFY(out.contains(QStringLiteral("layers.0.attn.q")));
    QVERIFY(out.contains(QStringLiteral("Q4_0")));
    QVERIFY(out.contains(QStringLiteral("totals")));
    QVERIFY(out.contains(QStringLiteral("bits/weight")));
}

void TestCli::errors_data()
{
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<QString>("expected");
    QTest::newRow("truncated gguf") << QByteArray("GGUF\x03\x00\x00\x00", 8) << QStringLiteral("offset");
    QTest::newRow("unknown format") << QByteArray("hello world, not a model") << QStringLiteral("unrecognised");
    QTest::newRow("empty") << QByteArray() << QStringLiteral("file is empty");
}

// A bad file: exit status 1, a message naming the file, nothing on stdout, no crash.
void TestCli::errors()
{
    QFETCH(QByteArray, content);
    QFETCH(QString, expected);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("bad.gguf"));
    {
        std::ofstream f(path.toStdString(), std::ios::binary);
        f.write(content.constData(), content.size());
    }
    const auto r = runCli({QStringLiteral("inspect"), path});
    QCOMPARE(r.exitCode, 1);
    QVERIFY(r.out.isEmpty());
    const QString err = r.err;
    QVERIFY2(err.contains(path), qPrintable(err));
    QVERIFY2(err.contains(expected), qPrintable(err));
}

void TestCli::usage()
{
    QCOMPARE(runCli({}).exitCode, 2);
    QCOMPARE(runCli({QStringLiteral("frobnicate")}).exitCode, 2);
    QCOMPARE(runCli({QStringLiteral("inspect")}).exitCode, 2);
    QCOMPARE(runCli({QStringLiteral("bench"), QStringLiteral("open"), QStringLiteral("--gb"), QStringLiteral("-1")}).exitCode, 2);
    const auto v = runCli({QStringLiteral("--version")});
    QCOMPARE(v.exitCode, 0);
    QVERIFY(v.out.startsWith(QStringLiteral("cwb ")));
}

QTEST_GUILESS_MAIN(TestCli)
#include "test_cli.moc"
