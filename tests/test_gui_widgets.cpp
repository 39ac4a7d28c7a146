// SPDX-License-Identifier: MIT
// The first window's widgets: the model tree (under QAbstractItemModelTester), the histogram
// panel computing off the GUI thread, the main window opening real models through the
// controller, load errors, drag and drop, recent files and the launch options.

#include "app_setup.h"
#include "document.h"
#include "histogram_chart.h"
#include "histogram_panel.h"
#include "job_service.h"
#include "launch_options.h"
#include "main_window.h"
#include "model_tree_model.h"
#include "recent_files.h"
#include "test_support.h"

#include "analysis/histogram.h"
#include "model/model.h"

#include <QAbstractItemModelTester>
#include <QCheckBox>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFile>
#include <QImage>
#include <QLocale>
#include <QMessageBox>
#include <QMimeData>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeView>

#include <cmath>
#include <cstring>
#include <memory>

using cwb::gui::ModelTreeModel;

namespace {

constexpr int kLoadTimeoutMs = 20'000;

// Adds an F32 tensor whose bytes the Model owns (through keepAlive); values are a smooth
// deterministic ramp with a few exact zeros.
void addTensor(cwb::Model &m, const char *name, const char *canonical, std::vector<int64_t> shape,
               const char *tiedTo = "")
{
    cwb::Tensor t;
    t.name = name;
    t.canonical = canonical;
    t.dtype = cwb::DType::F32;
    t.dtypeLabel = "F32";
    t.shape = std::move(shape);
    t.tiedTo = tiedTo;
    const auto n = static_cast<size_t>(t.numel());
    std::vector<float> values(n);
    for (size_t i = 0; i < n; ++i)
        values[i]
            = (i % 11 == 0) ? 0.0f : std::sin(0.37f * static_cast<float>(i + m.tensors.size()));
    auto bytes = std::make_shared<std::vector<std::byte>>(n * sizeof(float));
    std::memcpy(bytes->data(), values.data(), bytes->size());
    t.byteSize = bytes->size();
    t.data = std::span<const std::byte>(*bytes);
    t.keepAlive = bytes;
    m.tensors.push_back(std::move(t));
}

std::shared_ptr<const cwb::Model> makeModel()
{
    auto m = std::make_shared<cwb::Model>();
    m->path = "hand-built";
    m->format = cwb::ModelFormat::Safetensors;
    m->family = cwb::ArchFamily::Llama;
    m->architecture = "llama";
    addTensor(*m, "model.embed_tokens.weight", "embed", {16, 8});
    addTensor(*m, "model.layers.0.self_attn.q_proj.weight", "layers.0.attn.q", {8, 8});
    addTensor(*m, "model.layers.0.input_layernorm.weight", "layers.0.attn_norm", {8});
    addTensor(*m, "model.layers.10.self_attn.q_proj.weight", "layers.10.attn.q", {8, 8});
    addTensor(*m, "model.layers.1.mlp.down_proj.weight", "layers.1.mlp.down", {8, 12});
    addTensor(*m, "rope.freqs", "", {4});
    addTensor(*m, "model.norm.weight", "final_norm", {8});
    addTensor(*m, "lm_head.weight", "head", {16, 8}, "model.embed_tokens.weight");
    // Stored in a type whose values we cannot decode: the panel must say so, not crash.
    cwb::Tensor q;
    q.name = "blk.9.odd.weight";
    q.dtype = cwb::DType::IQ2_XXS;
    q.dtypeLabel = "IQ2_XXS";
    q.shape = {1, 256};
    q.byteSize = *cwb::storageBytes(cwb::DType::IQ2_XXS, 256);
    auto bytes = std::make_shared<std::vector<std::byte>>(q.byteSize);
    q.data = std::span<const std::byte>(*bytes);
    q.keepAlive = bytes;
    m->tensors.push_back(std::move(q));
    return m;
}

QString cell(const ModelTreeModel &model, const QModelIndex &row, int column,
             int role = Qt::DisplayRole)
{
    return model.index(row.row(), column, row.parent()).data(role).toString();
}

QString sharedQString(const std::string &s) { return QString::fromStdString(s); }

} // namespace

class TestGuiWidgets : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true); // QSettings go to a test location
        QCoreApplication::setOrganizationName(QStringLiteral("CompressionWorkbenchTests"));
        QCoreApplication::setApplicationName(QStringLiteral("test_gui_widgets"));
        QSettings().clear();
        cwb::gui::initResources();
    }

    void resourcesAreRegistered()
    {
        QVERIFY(QFile::exists(QStringLiteral(":/icons/compression-workbench.svg")));
        QVERIFY(!cwb::gui::applicationIcon().isNull());
    }

    void treeModelPassesTester()
    {
        ModelTreeModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setModel(makeModel());
        QCOMPARE(model.rowCount(), 5);
        model.setModel(nullptr);
        QCOMPARE(model.rowCount(), 0);
        model.setModel(makeModel());
    }

    // model first, layers in numeric order (10 after 1), unknown roles last.
    void treeModelGroups()
    {
        ModelTreeModel model;
        model.setModel(makeModel());
        const QStringList groups{model.tr("model"), QStringLiteral("layers.0"),
                                 QStringLiteral("layers.1"), QStringLiteral("layers.10"),
                                 model.tr("other")};
        QCOMPARE(model.rowCount(), static_cast<int>(groups.size()));
        const QList<int> members{3, 2, 1, 1, 2};
        for (int i = 0; i < groups.size(); ++i) {
            const QModelIndex g = model.index(i, 0);
            QCOMPARE(g.data().toString(), groups[i]);
            QCOMPARE(model.rowCount(g), members[i]);
            QVERIFY(model.tensorAt(g) == nullptr);
        }
        // Tied head is listed but counted once: 128 + 8 parameters in "model".
        QCOMPARE(cell(model, model.index(0, 0), ModelTreeModel::ParametersColumn),
                 QLocale().toString(136));
        const QModelIndex head = model.indexOfTensor(QStringLiteral("head"));
        QVERIFY(head.isValid());
        QCOMPARE(head.parent().row(), 0);
        QVERIFY(cell(model, head, ModelTreeModel::NameColumn, Qt::ToolTipRole)
                    .contains(QStringLiteral("model.embed_tokens.weight")));
    }

    void treeModelColumns_data()
    {
        QTest::addColumn<QString>("tensor");
        QTest::addColumn<int>("column");
        QTest::addColumn<QString>("expected");
        const QLocale l;
        QTest::newRow("name") << "model.layers.1.mlp.down_proj.weight"
                              << int(ModelTreeModel::NameColumn) << "layers.1.mlp.down";
        QTest::newRow("original") << "layers.1.mlp.down" << int(ModelTreeModel::OriginalNameColumn)
                                  << "model.layers.1.mlp.down_proj.weight";
        QTest::newRow("shape") << "layers.1.mlp.down" << int(ModelTreeModel::ShapeColumn)
                               << QStringLiteral("8 \u00d7 12");
        QTest::newRow("1-d shape") << "final_norm" << int(ModelTreeModel::ShapeColumn) << "8";
        QTest::newRow("type") << "layers.1.mlp.down" << int(ModelTreeModel::TypeColumn) << "F32";
        QTest::newRow("parameters")
            << "embed" << int(ModelTreeModel::ParametersColumn) << l.toString(128);
        QTest::newRow("bytes") << "embed" << int(ModelTreeModel::BytesColumn)
                               << l.formattedDataSize(512, 2, QLocale::DataSizeIecFormat);
        QTest::newRow("bits") << "embed" << int(ModelTreeModel::BitsColumn)
                              << l.toString(32.0, 'f', 2);
        QTest::newRow("quantized bits")
            << "blk.9.odd.weight" << int(ModelTreeModel::BitsColumn) << l.toString(2.06, 'f', 2);
        QTest::newRow("unknown role")
            << "rope.freqs" << int(ModelTreeModel::NameColumn) << ModelTreeModel::tr("unknown");
        QTest::newRow("unknown original")
            << "rope.freqs" << int(ModelTreeModel::OriginalNameColumn) << "rope.freqs";
    }
    void treeModelColumns()
    {
        QFETCH(QString, tensor);
        QFETCH(int, column);
        QFETCH(QString, expected);
        ModelTreeModel model;
        model.setModel(makeModel());
        const QModelIndex row = model.indexOfTensor(tensor);
        QVERIFY2(row.isValid(), qPrintable(tensor));
        QCOMPARE(cell(model, row, column), expected);
        const int align
            = model.index(row.row(), column, row.parent()).data(Qt::TextAlignmentRole).toInt();
        const bool numeric = column >= ModelTreeModel::ParametersColumn;
        QCOMPARE(bool(align & Qt::AlignRight), numeric);
        QVERIFY(cell(model, row, ModelTreeModel::NameColumn, Qt::ToolTipRole)
                    .contains(cell(model, row, ModelTreeModel::OriginalNameColumn)));
        QCOMPARE(cell(model, row, 0, ModelTreeModel::TensorNameRole),
                 cell(model, row, ModelTreeModel::OriginalNameColumn));
    }

    // The panel's bars are exactly the core histogram of the tensor's values.
    void histogramPanelShowsSelectedTensor()
    {
        const auto model = makeModel();
        cwb::gui::JobService jobs;
        cwb::gui::Document document(&jobs);
        document.setModel(model);
        cwb::gui::HistogramPanel panel(&document);
        QSignalSpy shown(&panel, &cwb::gui::HistogramPanel::histogramShown);
        panel.showTensor(QStringLiteral("layers.1.mlp.down"));
        // Computed on the thread pool: nothing is shown before the event loop delivers the result.
        QVERIFY(panel.isBusy());
        QCOMPARE(shown.count(), 0);
        QTRY_COMPARE(shown.count(), 1);
        QCOMPARE(shown.first().first().toString(),
                 QStringLiteral("model.layers.1.mlp.down_proj.weight"));
        QVERIFY(!panel.isBusy());

        const auto *chart = panel.chart();
        QVERIFY(chart->hasData());
        QVERIFY(chart->title().contains(QStringLiteral("layers.1.mlp.down")));
        const auto values = model->findTensor("layers.1.mlp.down")->toFloat();
        const auto want = cwb::computeHistogramReference(
            values, {.bins = static_cast<int>(chart->series().counts.size())});
        QCOMPARE(chart->series().edges, want.edges);
        QCOMPARE(chart->series().counts,
                 std::vector<double>(want.counts.begin(), want.counts.end()));
        QCOMPARE(chart->barCount(), static_cast<int>(want.counts.size()));
        QVERIFY(chart->series().statsText.contains(QLocale().toString(want.max, 'g', 5)));
        QVERIFY(panel.statusText().contains(QLocale().toString(96)));

        // Log counts: empty bins have no bar on a log axis.
        panel.logCountsBox()->setChecked(true);
        QVERIFY(chart->logCounts());
        const auto nonEmpty = std::count_if(want.counts.begin(), want.counts.end(),
                                            [](uint64_t c) { return c > 0; });
        QCOMPARE(chart->barCount(), static_cast<int>(nonEmpty));
        QVERIFY(nonEmpty
                < static_cast<long>(want.counts.size())); // the check above means something
        panel.logCountsBox()->setChecked(false);
        QCOMPARE(chart->barCount(), static_cast<int>(want.counts.size()));
    }

    void histogramPanelNewerSelectionWins()
    {
        cwb::gui::JobService jobs;
        cwb::gui::Document document(&jobs);
        document.setModel(makeModel());
        cwb::gui::HistogramPanel panel(&document);
        QSignalSpy shown(&panel, &cwb::gui::HistogramPanel::histogramShown);
        panel.showTensor(QStringLiteral("embed"));
        panel.showTensor(QStringLiteral("layers.0.attn.q"));
        QTRY_COMPARE(shown.count(), 1);
        QTest::qWait(50); // a late result of the first job would arrive now
        QCOMPARE(shown.count(), 1);
        QCOMPARE(shown.first().first().toString(),
                 QStringLiteral("model.layers.0.self_attn.q_proj.weight"));
        QVERIFY(panel.chart()->title().contains(QStringLiteral("layers.0.attn.q")));
    }

    void histogramPanelReportsUndecodable()
    {
        cwb::gui::JobService jobs;
        cwb::gui::Document document(&jobs);
        document.setModel(makeModel());
        cwb::gui::HistogramPanel panel(&document);
        QSignalSpy failed(&panel, &cwb::gui::HistogramPanel::histogramFailed);
        panel.showTensor(QStringLiteral("blk.9.odd.weight"));
        QTRY_COMPARE(failed.count(), 1);
        const QString message = failed.first().at(1).toString();
        QVERIFY2(message.contains(QStringLiteral("IQ2_XXS")), qPrintable(message));
        QCOMPARE(panel.statusText(), message);
        QVERIFY(!panel.chart()->hasData());
    }

    void mainWindowOpensRealModel()
    {
        CWB_SHARED_FILE(path, "models/stories260K/stories260K.gguf");
        cwb::gui::MainWindow w;
        w.show();
        QSignalSpy loaded(w.document(), &cwb::gui::Document::modelChanged);
        w.openModel(sharedQString(path));
        QVERIFY(w.document()->isOpening());
        QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, kLoadTimeoutMs);
        QVERIFY2(w.summaryText().contains(QLocale().toString(260032)), qPrintable(w.summaryText()));
        QVERIFY(w.summaryText().contains(QStringLiteral("GGUF")));
        QVERIFY(w.summaryText().contains(QStringLiteral("llama")));
        QVERIFY(w.windowTitle().contains(QStringLiteral("stories260K.gguf")));
        QCOMPARE(w.treeModel()->rowCount(), 6); // model + 5 layers
        QSettings settings;
        QCOMPARE(cwb::gui::recentFiles(settings).value(0),
                 QFileInfo(sharedQString(path)).absoluteFilePath());

        QSignalSpy shown(w.histogramPanel(), &cwb::gui::HistogramPanel::histogramShown);
        QVERIFY(w.selectTensor(QStringLiteral("layers.0.attn.q")));
        QTRY_COMPARE(shown.count(), 1);
        QCOMPARE(shown.first().first().toString(), QStringLiteral("blk.0.attn_q.weight"));
        QVERIFY(w.histogramPanel()->chart()->title().contains(QStringLiteral("layers.0.attn.q")));
        QVERIFY(!w.selectTensor(QStringLiteral("layers.99.attn.q")));
    }

    void mainWindowReportsLoadError()
    {
        QTemporaryDir dir;
        const QString bad = dir.filePath(QStringLiteral("truncated.gguf"));
        QFile f(bad);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("GGUF\x03\x00\x00\x00\x30", 9); // header cut off inside the tensor count
        f.close();

        cwb::gui::MainWindow w;
        w.show();
        QSignalSpy failed(w.document(), &cwb::gui::Document::openFailed);
        QSignalSpy loaded(w.document(), &cwb::gui::Document::modelChanged);
        w.openModel(bad);
        QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, kLoadTimeoutMs);
        QCOMPARE(loaded.count(), 0);
        QCOMPARE(failed.first().first().toString(), bad);
        const QString message = failed.first().at(1).toString();
        QVERIFY2(message.contains(QStringLiteral("truncated.gguf")), qPrintable(message));
        QVERIFY(!w.document()->model());

        QMessageBox *box = nullptr;
        QTRY_VERIFY((box = w.findChild<QMessageBox *>(QStringLiteral("loadErrorBox"))) != nullptr);
        QTRY_VERIFY(box->isVisible());
        QCOMPARE(box->informativeText(), message);
        box->close();
    }

    // Dropping a Hugging Face directory opens it, the same as File → Open Model Directory.
    void dropOpensDirectory()
    {
        CWB_SHARED_FILE(dir, "models/stories260K-hf-derived");
        cwb::gui::MainWindow w;
        w.show();
        QMimeData text;
        text.setText(QStringLiteral("not a file"));
        QDragEnterEvent refused(QPoint(5, 5), Qt::CopyAction, &text, Qt::LeftButton,
                                Qt::NoModifier);
        QCoreApplication::sendEvent(&w, &refused);
        QVERIFY(!refused.isAccepted());

        QMimeData mime;
        mime.setUrls({QUrl::fromLocalFile(sharedQString(dir))});
        QDragEnterEvent enter(QPoint(5, 5), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QCoreApplication::sendEvent(&w, &enter);
        QVERIFY(enter.isAccepted());
        QSignalSpy loaded(w.document(), &cwb::gui::Document::modelChanged);
        QDropEvent drop(QPointF(5, 5), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QCoreApplication::sendEvent(&w, &drop);
        QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, kLoadTimeoutMs);
        QVERIFY2(w.summaryText().contains(QLocale().toString(260032)), qPrintable(w.summaryText()));
    }

    void recentFilesPruneAndLimit()
    {
        QSettings settings;
        cwb::gui::clearRecentFiles(settings);
        QTemporaryDir dir;
        QStringList paths;
        for (int i = 0; i < 12; ++i) {
            paths << dir.filePath(QStringLiteral("m%1.gguf").arg(i));
            QFile f(paths.last());
            QVERIFY(f.open(QIODevice::WriteOnly));
            cwb::gui::addRecentFile(settings, paths.last());
        }
        QStringList list = cwb::gui::recentFiles(settings);
        QCOMPARE(list.size(), qsizetype(cwb::gui::kMaxRecentFiles));
        QCOMPARE(list.first(), paths[11]);
        QCOMPARE(list.last(), paths[2]);

        cwb::gui::addRecentFile(settings, paths[5]); // reopened: moves to the front, no duplicate
        list = cwb::gui::recentFiles(settings);
        QCOMPARE(list.first(), paths[5]);
        QCOMPARE(list.count(paths[5]), qsizetype(1));
        QCOMPARE(list.size(), qsizetype(cwb::gui::kMaxRecentFiles));

        QVERIFY(QFile::remove(paths[11]));
        list = cwb::gui::recentFiles(settings);
        QVERIFY(!list.contains(paths[11]));
        QCOMPARE(list.size(), qsizetype(cwb::gui::kMaxRecentFiles - 1));
        cwb::gui::clearRecentFiles(settings);
        QVERIFY(cwb::gui::recentFiles(settings).isEmpty());
    }

    void launchOptions_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<bool>("exit");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("model");
        QTest::addColumn<QString>("select");
        QTest::addColumn<QSize>("size");
        const QString app = QStringLiteral("compression-workbench");
        QTest::newRow("plain") << QStringList{app} << false << 0 << QString() << QString()
                               << QSize();
        QTest::newRow("full") << QStringList{app,
                                             QStringLiteral("--select"),
                                             QStringLiteral("layers.0.attn.q"),
                                             QStringLiteral("--window-size"),
                                             QStringLiteral("1280x800"),
                                             QStringLiteral("--log-counts"),
                                             QStringLiteral("m.gguf")}
                              << false << 0 << QStringLiteral("m.gguf")
                              << QStringLiteral("layers.0.attn.q") << QSize(1280, 800);
        QTest::newRow("bad size") << QStringList{app, QStringLiteral("--window-size"),
                                                 QStringLiteral("big")}
                                  << true << 2 << QString() << QString() << QSize();
        QTest::newRow("two models")
            << QStringList{app, QStringLiteral("a.gguf"), QStringLiteral("b.gguf")} << true << 2
            << QString() << QString() << QSize();
        QTest::newRow("unknown option") << QStringList{app, QStringLiteral("--frobnicate")} << true
                                        << 2 << QString() << QString() << QSize();
        QTest::newRow("help") << QStringList{app, QStringLiteral("--help")} << true << 0
                              << QString() << QString() << QSize();
    }
    void launchOptions()
    {
        QFETCH(QStringList, args);
        QFETCH(bool, exit);
        QFETCH(int, exitCode);
        QFETCH(QString, model);
        QFETCH(QString, select);
        QFETCH(QSize, size);
        const auto r = cwb::gui::parseLaunchOptions(args);
        QCOMPARE(r.exit, exit);
        QCOMPARE(r.exitCode, exitCode);
        if (exit) {
            QVERIFY(!r.message.isEmpty());
            return;
        }
        QCOMPARE(r.options.modelPath, model);
        QCOMPARE(r.options.selectTensor, select);
        QCOMPARE(r.options.windowSize, size);
        QCOMPARE(r.options.logCounts, args.contains(QStringLiteral("--log-counts")));
    }

    // What scripts/screenshot.sh relies on: open, select, wait for the histogram, write the PNG.
    void screenshotMode()
    {
        CWB_SHARED_FILE(path, "models/stories260K/stories260K.gguf");
        QTemporaryDir dir;
        cwb::gui::LaunchOptions o;
        o.modelPath = sharedQString(path);
        o.selectTensor = QStringLiteral("layers.2.mlp.down");
        o.screenshotFile = dir.filePath(QStringLiteral("shots/window.png"));
        o.windowSize = QSize(900, 600);
        cwb::gui::MainWindow w;
        w.show();
        cwb::gui::applyLaunchOptions(w, o);
        QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(o.screenshotFile), kLoadTimeoutMs);
        QTRY_VERIFY(QImage(o.screenshotFile).size() == QSize(900, 600));
        QVERIFY(w.histogramPanel()->chart()->title().contains(QStringLiteral("layers.2.mlp.down")));
    }
};

QTEST_MAIN(TestGuiWidgets)
#include "test_gui_widgets.moc"
