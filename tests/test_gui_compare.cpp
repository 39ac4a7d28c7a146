// SPDX-License-Identifier: MIT
// The comparison view (widgets/compare_panel): its slice table under QAbstractItemModelTester
// (numeric sorting, core's order first), then real comparisons of stories260K off the GUI
// thread: the open model against its compression held in memory on slice files fills the slice
// table, the per-tensor error bars of both sides, the Δ histograms and the prompts side by side,
// with core's numbers; Cancel stops a long comparison; two runs of the runs table set up the
// sides; the launch options parse and a screenshot waits for the comparison.

#include "compare_delta_chart.h"
#include "compare_error_chart.h"
#include "compare_panel.h"
#include "compare_slices_model.h"
#include "document.h"
#include "evaluation_runs_model.h"
#include "job_service.h"
#include "launch_options.h"
#include "main_window.h"
#include "test_support.h"

#include "compare/compare.h"
#include "io/open_model.h"
#include "pipeline/pipeline.h"
#include "recipe/recipe.h"
#include "recipe/resolve.h"

#include <QAbstractItemModelTester>
#include <QComboBox>
#include <QCoreApplication>
#include <QDockWidget>
#include <QFile>
#include <QImage>
#include <QLineEdit>
#include <QLocale>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QSpinBox>
#include <QStatusBar>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBrowser>

#include <cmath>
#include <fstream>
#include <memory>

using cwb::gui::ComparePanel;
using cwb::gui::CompareSlicesModel;

namespace {

constexpr int kRunTimeoutMs = 60'000;
const char *const kModel = "models/stories260K/stories260K.gguf";
const char *const kText = "data/tinystories/tinystories_validation_head.txt";
constexpr const char *kAttention4 = R"({"version": 1, "rules": [{"match": "layers.*.attn.*",
    "methods": [{"method": "rtn", "params": {"bits": 4, "group": -1}}]}]})";

QString q(const std::string &s) { return QString::fromStdString(s); }

// The model as opened, and its attention compressed to rtn 4-bit (no calibration needed).
struct Compressed {
    std::shared_ptr<const cwb::Model> model;
    std::shared_ptr<const cwb::CompressedModel> compression;
};

Compressed compressStories(const std::string &path)
{
    Compressed c;
    c.model = std::make_shared<const cwb::Model>(cwb::io::openModel(path));
    cwb::PlanOptions o;
    o.calibration = false;
    const cwb::Plan plan =
        cwb::resolvePlan(cwb::parseRecipeLenient(kAttention4, "test recipe"), *c.model, o);
    auto compressed = cwb::compressModel(*c.model, plan, {});
    compressed.recipeJson = kAttention4;
    c.compression = std::make_shared<const cwb::CompressedModel>(std::move(compressed));
    return c;
}

// Three slice files of consecutive stretches of the text, each well over one window of 64.
QStringList writeSlices(const QTemporaryDir &dir, const std::string &text)
{
    std::ifstream in(text, std::ios::binary);
    QStringList paths;
    for (int i = 0; i < 3; ++i) {
        std::string piece(1500, '\0');
        in.read(piece.data(), static_cast<std::streamsize>(piece.size()));
        const auto end = piece.rfind('\n');
        piece.resize(end == std::string::npos ? piece.size() : end);
        const QString path = dir.filePath(QStringLiteral("slice%1.txt").arg(i + 1));
        std::ofstream(path.toStdString(), std::ios::binary) << piece;
        paths.append(path);
    }
    return paths;
}

cwb::CompareResult syntheticResult()
{
    cwb::CompareResult r;
    const double kld[3] = {0.02, 0.05, 0.01};
    for (int i = 0; i < 3; ++i) {
        cwb::SliceResult s;
        s.index = i;
        s.name = "doc " + std::to_string(i + 1);
        s.source = "t.txt";
        s.preview = "Once upon a time " + std::to_string(i);
        s.scores.tokens = 100 + 50 * i;
        s.scores.pplA = 5.0 + i;
        s.scores.pplB = 5.5 + i;
        s.scores.deltaNll = std::log(s.scores.pplB / s.scores.pplA);
        s.scores.kld.mean = kld[i];
        s.scores.kld.top1AgreementPct = 95.0 - i;
        r.slices.evaluated.push_back(s);
    }
    // Core's order: the most degraded first.
    std::sort(r.slices.evaluated.begin(), r.slices.evaluated.end(),
              [](const auto &x, const auto &y) { return x.scores.kld.mean > y.scores.kld.mean; });
    r.slices.slices = 3;
    return r;
}

} // namespace

class TestGuiCompare : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("CompressionWorkbenchTests"));
        QCoreApplication::setApplicationName(QStringLiteral("test_gui_compare"));
        QSettings().clear();
    }

    void slicesModelPassesTester()
    {
        CompareSlicesModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QCOMPARE(model.rowCount(), 0);
        model.setResult(std::make_shared<const cwb::CompareResult>(syntheticResult()));
        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(model.data(model.index(0, CompareSlicesModel::SliceColumn)).toString(),
                 QStringLiteral("doc 2"));
        QVERIFY(model.data(model.index(0, CompareSlicesModel::PplChangeColumn))
                    .toString()
                    .startsWith(QLatin1Char('+')));
        QVERIFY(!model.data(model.index(0, CompareSlicesModel::SliceColumn), Qt::ToolTipRole)
                     .toString()
                     .isEmpty());
        // Sorting is numeric: KLD ascending puts doc 3 (0.01) first.
        QSortFilterProxyModel sorted;
        sorted.setSourceModel(&model);
        sorted.setSortRole(CompareSlicesModel::SortValueRole);
        sorted.sort(CompareSlicesModel::KldColumn, Qt::AscendingOrder);
        QCOMPARE(sorted.index(0, CompareSlicesModel::SliceColumn).data().toString(),
                 QStringLiteral("doc 3"));
        sorted.sort(CompareSlicesModel::TokensColumn, Qt::DescendingOrder);
        QCOMPARE(sorted.index(0, CompareSlicesModel::SliceColumn).data().toString(),
                 QStringLiteral("doc 3"));
        model.setResult(nullptr);
        QCOMPARE(model.rowCount(), 0);
    }

    void panelNeedsSidesAndText()
    {
        cwb::gui::JobService jobs;
        cwb::gui::Document document(&jobs);
        ComparePanel panel(&document);
        QCOMPARE(panel.sideKind(ComparePanel::SideA), ComparePanel::SideKind::OpenModel);
        QCOMPARE(panel.sideKind(ComparePanel::SideB), ComparePanel::SideKind::Compressed);
        QVERIFY(!panel.runButton()->isEnabled());
        QVERIFY(!panel.cancelButton()->isEnabled());
        panel.setTextPath(QStringLiteral("/some/text.txt"));
        QVERIFY(!panel.runButton()->isEnabled()); // no model, no compression
        QVERIFY(!panel.run());
        QVERIFY(panel.errorText().contains(QStringLiteral("no model is open")));
        panel.setSide(ComparePanel::SideA, ComparePanel::SideKind::File, QStringLiteral("a.gguf"));
        panel.setSide(ComparePanel::SideB, ComparePanel::SideKind::File, QStringLiteral("b.gguf"));
        QVERIFY(panel.sidePathEdit(ComparePanel::SideA)->isVisibleTo(&panel));
        QVERIFY(panel.runButton()->isEnabled());
        panel.setSliceFiles({QStringLiteral("x.txt"), QStringLiteral("y.txt")});
        QCOMPARE(panel.sliceFiles(), QStringList({QStringLiteral("x.txt"), QStringLiteral("y.txt")}));
    }

    // The open model against its compression held in memory, on three slice files.
    void comparesModelWithItsCompression()
    {
        CWB_SHARED_FILE(model, kModel);
        CWB_SHARED_FILE(text, kText);
        QTemporaryDir dir;
        const QStringList slices = writeSlices(dir, text);
        const Compressed c = compressStories(model);
        cwb::gui::JobService jobs;
        cwb::gui::Document document(&jobs);
        document.setModel(c.model, q(model));
        document.setCompression(c.compression);
        ComparePanel panel(&document);
        QAbstractItemModelTester tester(panel.slicesModel(),
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        panel.setSliceFiles(slices);
        panel.contextBox()->setValue(64);
        panel.tokensBox()->setValue(8);
        panel.agreeBox()->setValue(4);
        QVERIFY(panel.runButton()->isEnabled());
        QSignalSpy finished(&panel, &ComparePanel::comparisonFinished);
        QSignalSpy started(&jobs, &cwb::gui::JobService::jobStarted);
        QTest::mouseClick(panel.runButton(), Qt::LeftButton);
        QVERIFY(panel.isRunning());
        QCOMPARE(started.count(), 1); // a Jobs dock job
        QVERIFY(!panel.runButton()->isEnabled());
        QVERIFY(panel.cancelButton()->isEnabled());
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kRunTimeoutMs);
        QVERIFY2(panel.errorText().isEmpty(), qPrintable(panel.errorText()));
        QCOMPARE(panel.progressBar()->value(), panel.progressBar()->maximum());

        // Core's numbers for the same two sides.
        cwb::CompareParams p;
        for (const QString &s : slices)
            p.sliceFiles.push_back(s.toStdString());
        p.evaluation.nCtx = 64;
        p.behaviour.tokens = 8;
        p.behaviour.agree = 4;
        const cwb::CompareResult expected = cwb::runComparison(
            cwb::modelCompareSide(c.model),
            cwb::compressedCompareSide(c.model, c.compression, "b"), p);
        const auto &r = panel.result();
        QVERIFY(r);
        QCOMPARE(r->slices.total.kld.mean, expected.slices.total.kld.mean);
        QVERIFY(r->slices.total.kld.mean > 0);

        // The slice table: one row per file, the most degraded first.
        auto *table = panel.slicesModel();
        QCOMPARE(table->rowCount(), 3);
        for (int row = 1; row < 3; ++row)
            QVERIFY(table->data(table->index(row - 1, CompareSlicesModel::KldColumn),
                                CompareSlicesModel::SortValueRole)
                        .toDouble()
                    >= table->data(table->index(row, CompareSlicesModel::KldColumn),
                                   CompareSlicesModel::SortValueRole)
                           .toDouble());
        QCOMPARE(table->data(table->index(0, CompareSlicesModel::SliceColumn)).toString(),
                 q(expected.slices.evaluated.front().name));
        QVERIFY(panel.summaryText().contains(QStringLiteral("stories260K.gguf")));
        // Sorting the view by a column, then back to core's order.
        panel.slicesView()->sortByColumn(CompareSlicesModel::SliceColumn, Qt::AscendingOrder);
        QCOMPARE(panel.slicesView()->model()->index(0, 0).data().toString(),
                 QStringLiteral("slice1.txt"));

        // Per-tensor errors: the original's zeros beside the 20 compressed attention matrices.
        auto *errors = panel.errorChart();
        QCOMPARE(errors->metrics().size(), 2);
        QCOMPARE(errors->entries().size(), size_t(20));
        QCOMPARE(errors->barCount(0), 20);
        QCOMPARE(errors->barCount(1), 20);
        for (const auto &e : errors->entries()) {
            QCOMPARE(e.a, 0.0);
            QVERIFY(e.b > 0);
        }
        QVERIFY(errors->describeEntry(0).contains(QStringLiteral("layers.0.attn.q")));
        QCOMPARE(errors->legendText(0), QStringLiteral("A: stories260K.gguf"));
        QVERIFY(errors->legendText(1).startsWith(QStringLiteral("B: stories260K.gguf (compressed")));
        errors->setLogScale(true);
        QCOMPARE(errors->barCount(0), 0); // zeros have no place on a log axis
        QCOMPARE(errors->barCount(1), 20);
        errors->setLogScale(false);
        QCOMPARE(errors->csvRows().size(), size_t(40)); // two metrics x 20 tensors

        // Δ histograms: every scored token counted once.
        auto *delta = panel.deltaChart();
        QCOMPARE(delta->distributions().size(), size_t(5));
        double counted = 0;
        for (double n : delta->distributions()[0].series.counts)
            counted += n;
        QVERIFY(counted > 0 && counted <= double(r->slices.total.positions));
        QVERIFY(delta->chart()->hasData());
        QVERIFY(delta->statsText().contains(
            QStringLiteral("n = %1").arg(QLocale().toString(r->slices.total.positions))));
        delta->setCurrent(3);
        QCOMPARE(delta->chart()->series().title, delta->distributions()[3].name);
        QVERIFY(!delta->csvRows().empty());
        QTemporaryDir out;
        QString error;
        QVERIFY2(delta->exportTo(out.filePath(QStringLiteral("d.csv")), &error),
                 qPrintable(error));
        QVERIFY2(errors->exportTo(out.filePath(QStringLiteral("e.png")), &error),
                 qPrintable(error));
        QVERIFY(!QImage(out.filePath(QStringLiteral("e.png"))).isNull());

        // Behaviour: a row per prompt, continuations side by side.
        QCOMPARE(r->behaviour.prompts.size(), size_t(12));
        QVERIFY(panel.behaviourSummaryText().contains(QStringLiteral("of 12 prompts")));
        const QString html = panel.behaviourView()->toHtml();
        QVERIFY(html.contains(QString::fromStdString(r->behaviour.prompts.front().prompt)));
        for (const auto &prompt : r->behaviour.prompts)
            if (prompt.firstDivergence >= 0)
                QVERIFY(html.contains(QStringLiteral("differs from token %1")
                                          .arg(prompt.firstDivergence + 1)));
        // Changed prompts come before identical ones.
        const qsizetype firstChanged = html.indexOf(QStringLiteral("differs from token"));
        const qsizetype firstIdentical = html.indexOf(QStringLiteral(">identical<"));
        QVERIFY(firstChanged < 0 || firstIdentical < 0 || firstChanged < firstIdentical);
    }

    void cancelStopsTheComparison()
    {
        CWB_SHARED_FILE(model, kModel);
        CWB_SHARED_FILE(text, kText);
        cwb::gui::JobService jobs;
        cwb::gui::Document document(&jobs);
        const auto opened = std::make_shared<const cwb::Model>(cwb::io::openModel(model));
        document.setModel(opened, q(model));
        ComparePanel panel(&document);
        panel.setSide(ComparePanel::SideB, ComparePanel::SideKind::File,
                      q(cwbtest::sharedPath("models/stories260K/stories260K-Q4_0.gguf")));
        panel.setTextPath(q(text)); // the whole text: far longer than the test waits
        panel.contextBox()->setValue(64);
        QSignalSpy cancelled(&panel, &ComparePanel::comparisonCancelled);
        QSignalSpy finished(&panel, &ComparePanel::comparisonFinished);
        QVERIFY(panel.run());
        QVERIFY(!panel.run()); // one at a time
        QTRY_VERIFY_WITH_TIMEOUT(panel.progressBar()->value() > 0, kRunTimeoutMs);
        QVERIFY2(panel.isRunning(), "the whole text finished before it could be cancelled");
        QTest::mouseClick(panel.cancelButton(), Qt::LeftButton);
        QVERIFY(!panel.cancelButton()->isEnabled());
        QTRY_COMPARE_WITH_TIMEOUT(cancelled.count(), 1, 10'000);
        QCOMPARE(finished.count(), 0);
        QVERIFY(!panel.isRunning());
        QVERIFY(!panel.result());
        QCOMPARE(panel.slicesModel()->rowCount(), 0);
        QVERIFY(panel.runButton()->isEnabled());
    }

    // The runs table's two selected runs become the sides: the original and its compression.
    void runsTableSetsUpTheSides()
    {
        CWB_SHARED_FILE(model, kModel);
        const Compressed c = compressStories(model);
        cwb::gui::MainWindow w;
        w.document()->setModel(c.model, q(model));
        w.document()->setCompression(c.compression);
        cwb::gui::EvaluationRun original;
        original.result.modelLabel = "stories260K.gguf";
        original.result.nCtx = 96;
        original.modelPath = q(model);
        original.textPath = QStringLiteral("/data/text.txt");
        cwb::gui::EvaluationRun compressed = original;
        compressed.result.modelLabel = "stories260K.gguf (compressed)";
        compressed.recipeJson = QString::fromUtf8(kAttention4);
        w.document()->addRun(compressed); // the earlier run: side A
        w.document()->addRun(original);
        QTableView *view = w.runsView();
        view->selectRow(0);
        QVERIFY(!w.compareSelectedRuns()); // one row is not two
        view->selectionModel()->select(view->model()->index(1, 0),
                                       QItemSelectionModel::Select | QItemSelectionModel::Rows);
        QCOMPARE(view->selectionModel()->selectedRows().size(), 2);
        w.statusBar()->clearMessage();
        w.showCompare();
        QVERIFY2(w.statusBar()->currentMessage().isEmpty(),
                 qPrintable(w.statusBar()->currentMessage()));
        QVERIFY(w.compareDock()->isVisibleTo(&w));
        ComparePanel *panel = w.comparePanel();
        QCOMPARE(panel->sideKind(ComparePanel::SideA), ComparePanel::SideKind::Compressed);
        QCOMPARE(panel->sideKind(ComparePanel::SideB), ComparePanel::SideKind::OpenModel);
        QCOMPARE(panel->contextBox()->value(), 96);
        QCOMPARE(panel->textPathEdit()->text(), QStringLiteral("/data/text.txt"));
        QVERIFY(!panel->isRunning()); // the menu sets up; Compare starts

        // A compressed run whose weights are no longer held cannot be compared.
        compressed.recipeJson = QStringLiteral("{\"version\": 1}");
        QString why;
        QVERIFY(!panel->setRuns(original, compressed, &why));
        QVERIFY(why.contains(QStringLiteral("no longer held")));
    }

    void launchOptionsParse_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<bool>("ok");
        const QString app = QStringLiteral("app");
        QTest::newRow("two sides, text")
            << QStringList{app, QStringLiteral("--compare"), QStringLiteral("model"),
                           QStringLiteral("--compare"), QStringLiteral("b.cwbarchive"),
                           QStringLiteral("--compare-text"), QStringLiteral("t.txt"),
                           QStringLiteral("--compare-ctx"), QStringLiteral("128"),
                           QStringLiteral("--compare-tab"), QStringLiteral("behaviour")}
            << true;
        QTest::newRow("slices, compressed")
            << QStringList{app, QStringLiteral("--recipe"), QStringLiteral("r.json"),
                           QStringLiteral("--compress"), QStringLiteral("--compare"),
                           QStringLiteral("model"), QStringLiteral("--compare"),
                           QStringLiteral("compressed"), QStringLiteral("--compare-slices"),
                           QStringLiteral("a.txt"), QStringLiteral("--compare-slices"),
                           QStringLiteral("b.txt"), QStringLiteral("--compare-chunks"),
                           QStringLiteral("0")}
            << true;
        QTest::newRow("one side") << QStringList{app, QStringLiteral("--compare"),
                                                 QStringLiteral("model"),
                                                 QStringLiteral("--compare-text"),
                                                 QStringLiteral("t.txt")}
                                  << false;
        QTest::newRow("no text") << QStringList{app, QStringLiteral("--compare"),
                                                QStringLiteral("a"), QStringLiteral("--compare"),
                                                QStringLiteral("b")}
                                 << false;
        QTest::newRow("compressed without --compress")
            << QStringList{app, QStringLiteral("--compare"), QStringLiteral("model"),
                           QStringLiteral("--compare"), QStringLiteral("compressed"),
                           QStringLiteral("--compare-text"), QStringLiteral("t.txt")}
            << false;
        QTest::newRow("text without --compare")
            << QStringList{app, QStringLiteral("--compare-text"), QStringLiteral("t.txt")}
            << false;
        QTest::newRow("bad tab") << QStringList{app, QStringLiteral("--compare"),
                                                QStringLiteral("a"), QStringLiteral("--compare"),
                                                QStringLiteral("b"),
                                                QStringLiteral("--compare-text"),
                                                QStringLiteral("t.txt"),
                                                QStringLiteral("--compare-tab"),
                                                QStringLiteral("slices")}
                                 << false;
        QTest::newRow("bad ctx") << QStringList{app, QStringLiteral("--compare"),
                                                QStringLiteral("a"), QStringLiteral("--compare"),
                                                QStringLiteral("b"),
                                                QStringLiteral("--compare-text"),
                                                QStringLiteral("t.txt"),
                                                QStringLiteral("--compare-ctx"),
                                                QStringLiteral("1")}
                                 << false;
    }

    void launchOptionsParse()
    {
        QFETCH(QStringList, args);
        QFETCH(bool, ok);
        const cwb::gui::LaunchParse r = cwb::gui::parseLaunchOptions(args);
        QCOMPARE(!r.exit, ok);
        if (!ok) {
            QCOMPARE(r.exitCode, 2);
            QVERIFY(!r.message.isEmpty());
            return;
        }
        QCOMPARE(r.options.compareSides.size(), 2);
        QCOMPARE(r.options.compareSides.front(), QStringLiteral("model"));
        if (args.contains(QStringLiteral("--compare-tab")))
            QCOMPARE(r.options.compareTab, int(ComparePanel::BehaviourTab));
        if (args.contains(QStringLiteral("--compare-ctx")))
            QCOMPARE(r.options.compareContext, 128);
        if (args.contains(QStringLiteral("--compare-chunks")))
            QCOMPARE(r.options.compareChunks, 0);
        QCOMPARE(r.options.compareSlices.size(),
                 args.count(QStringLiteral("--compare-slices")));
    }

    // What scripts/screenshot.sh relies on: the model opened, both sides compared, then the PNG.
    void screenshotAfterComparison()
    {
        CWB_SHARED_FILE(model, kModel);
        CWB_SHARED_FILE(q4, "models/stories260K/stories260K-Q4_0.gguf");
        CWB_SHARED_FILE(text, kText);
        QTemporaryDir dir;
        cwb::gui::LaunchOptions o;
        o.modelPath = q(model);
        o.screenshotFile = dir.filePath(QStringLiteral("compare.png"));
        o.windowSize = QSize(1280, 800); // as scripts/screenshot.sh takes it
        o.compareSides = {QStringLiteral("model"), q(q4)};
        o.compareSlices = writeSlices(dir, text);
        o.compareContext = 64;
        o.compareTab = ComparePanel::BehaviourTab;
        cwb::gui::MainWindow w;
        w.show();
        cwb::gui::applyLaunchOptions(w, o);
        QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(o.screenshotFile), kRunTimeoutMs);
        QTRY_VERIFY2(QImage(o.screenshotFile).size() == QSize(1280, 800),
                     qPrintable(QStringLiteral("%1x%2").arg(QImage(o.screenshotFile).width())
                                    .arg(QImage(o.screenshotFile).height())));
        QVERIFY(w.compareDock()->isVisible());
        QCOMPARE(w.comparePanel()->tabs()->currentIndex(), int(ComparePanel::BehaviourTab));
        QCOMPARE(w.comparePanel()->slicesModel()->rowCount(), 3); // grabbed after the result
    }
};

QTEST_MAIN(TestGuiCompare)
#include "test_gui_compare.moc"
