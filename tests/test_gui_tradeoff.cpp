// SPDX-License-Identifier: MIT
// The trade-off chart: the Pareto front it draws is core's front of the plans (ties kept,
// dominated points and references left out), axes switch what is plotted, clicking a plan's point
// loads its recipe into the main window's Layer Plan as one undoable change (a reference point
// loads nothing), and the chart saves as PNG, SVG, PDF and CSV. The Trade-offs dock's sweep:
// the dialog's checks, a sweep run as a Jobs dock job on stories260K whose points (a llama.cpp
// reference file among them) join the document's history and the chart as they finish, a
// cancelled one resumed without measuring again, a history point's recipe loaded by a click,
// and the history and sensitivity table saved with the project (without an analysis) and
// installed again when it is opened.

#include "layer_plan_model.h"
#include "layer_plan_view.h"
#include "compression_panel.h"
#include "document.h"
#include "main_window.h"
#include "test_support.h"
#include "tradeoff_chart.h"
#include "tradeoffs_panel.h"
#include "analysis_controller.h"
#include "job_service.h"
#include "sweep_dialog.h"

#include "analysis/sensitivity_table.h"
#include "project/project_file.h"
#include "recipe/recipe.h"
#include "solve/pareto.h"

#include <qcustomplot.h>

#include <QCheckBox>
#include <QComboBox>
#include <QFile>
#include <QLabel>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QUndoStack>

namespace {

constexpr int kTimeoutMs = 30'000;

cwb::gui::TradeoffPoint plan(const char *name, double mib, double kld, const char *recipe = "")
{
    cwb::gui::TradeoffPoint p;
    p.name = QString::fromUtf8(name);
    p.bytes = mib * 1024 * 1024;
    p.bitsPerWeight = mib; // any monotone stand-in
    p.kld = kld;
    p.perplexity = 4 + 100 * kld;
    p.recipeJson = QString::fromUtf8(recipe);
    return p;
}

const char *kRtn4 = R"({"version": 1, "name": "rtn 4",
  "defaults": {"methods": [{"method": "rtn", "params": {"bits": 4, "group": -1}}]}})";

// A small, quick sweep on stories260K: 64-token windows, 3 of them.
cwb::gui::SweepSetup smallSetup(const QString &project)
{
    cwb::gui::SweepSetup s;
    s.projectPath = project;
    s.evaluation.textPath = cwbtest::sharedPath("data/tinystories/tinystories_validation_head.txt");
    s.evaluation.nCtx = 64;
    s.evaluation.chunks = 3;
    return s;
}

bool openAndWait(cwb::gui::MainWindow &w, const char *relative)
{
    QSignalSpy loaded(w.document(), &cwb::gui::Document::modelChanged);
    w.openModel(QString::fromStdString(cwbtest::sharedPath(relative)));
    return loaded.wait(kTimeoutMs) || !loaded.isEmpty();
}

const char *kRecipeA = R"({"version": 1, "name": "A", "rules": [{"match": "layers.*",
    "methods": [{"method": "rtn", "params": {"bits": 8, "group": -1}}]}]})";

} // namespace

class TestGuiTradeoff : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("CompressionWorkbenchTests"));
        QCoreApplication::setApplicationName(QStringLiteral("test_gui_tradeoff"));
        QSettings().clear();
    }

    void frontIsCoresFront()
    {
        cwb::gui::TradeoffChart chart;
        chart.resize(700, 450);
        std::vector<cwb::gui::TradeoffPoint> points{
            plan("a", 10, 0.010), plan("b", 6, 0.050), plan("c", 8, 0.020),
            plan("dominated", 9, 0.030), plan("tie", 8, 0.020), plan("no kld", 7, NAN),
            plan("reference", 5, 0.001)};
        points.back().reference = true;
        chart.setPoints(points);
        // Front: b (6), c and its tie (8), a (10); the dominated point, the point without a KLD
        // and the reference (better than all, but not a plan) are not on it.
        const std::vector<int> front = chart.frontPoints();
        QCOMPARE(front, (std::vector<int>{1, 2, 4, 0}));
        std::vector<cwb::CostPoint> costs;
        for (int i = 0; i < 6; ++i)
            costs.push_back({points[size_t(i)].bytes / 1048576.0, points[size_t(i)].kld});
        std::vector<int> core;
        for (size_t i : cwb::paretoFront(costs))
            core.push_back(int(i));
        QCOMPARE(front, core);
        QCOMPARE(chart.drawnPoints().size(), size_t(6)); // all but "no kld"
        QVERIFY(chart.describePoint(2).contains(QStringLiteral("Pareto front")));
        QVERIFY(chart.describePoint(6).contains(QStringLiteral("reference")));

        // Perplexity against bits/weight: the same order here, so the same front.
        chart.setAxes(cwb::gui::TradeoffX::BitsPerWeight, cwb::gui::TradeoffY::Perplexity);
        QCOMPARE(chart.frontPoints(), front);
        QVERIFY(chart.axisTitle(true).contains(QStringLiteral("Bits per weight")));
        // Latency was not measured for any of them: nothing drawn, and the chart says so.
        chart.setAxes(cwb::gui::TradeoffX::Size, cwb::gui::TradeoffY::DecodeLatency);
        QVERIFY(chart.drawnPoints().empty());
        QVERIFY(chart.axisTitle(false).contains(QStringLiteral("measured on this machine")));
    }

    void clickLoadsTheRecipeUndoably()
    {
        cwb::gui::MainWindow w;
        w.show();
        QSignalSpy loaded(w.document(), &cwb::gui::Document::modelChanged);
        w.openModel(QString::fromStdString(
            cwbtest::sharedPath("models/stories260K/stories260K.gguf")));
        QVERIFY(loaded.wait(kTimeoutMs) || !loaded.isEmpty());
        cwb::gui::LayerPlanModel *planModel = w.compressionPanel()->planView()->planModel();
        const std::string before = cwb::recipeSummary(planModel->recipe());

        cwb::gui::TradeoffChart *chart = w.tradeoffChart();
        w.tradeoffDock()->show();
        w.tradeoffDock()->raise();
        chart->setPoints({plan("A", 1.0, 0.01, kRecipeA),
                          [] {
                              auto r = plan("ref", 0.5, 0.02, kRecipeA);
                              r.reference = true;
                              return r;
                          }()});
        QTest::qWait(50);
        QSignalSpy activated(chart, &cwb::gui::TradeoffChart::pointActivated);
        // A reference point loads nothing, even with a recipe.
        QTest::mouseClick(chart->plot(), Qt::LeftButton, {}, chart->positionOf(1));
        QCOMPARE(activated.count(), 0);
        QTest::mouseClick(chart->plot(), Qt::LeftButton, {}, chart->positionOf(0));
        QCOMPARE(activated.count(), 1);
        QCOMPARE(activated.first().first().toInt(), 0);
        QCOMPARE(planModel->recipe().name, std::string("A"));
        QVERIFY(planModel->undoStack()->canUndo());
        planModel->undoStack()->undo();
        QCOMPARE(cwb::recipeSummary(planModel->recipe()), before);
        planModel->undoStack()->redo();
        QCOMPARE(planModel->recipe().name, std::string("A"));
    }

    void exportsEveryFormat()
    {
        cwb::gui::TradeoffChart chart;
        chart.resize(640, 400);
        chart.setPoints({plan("a, with comma", 10, 0.010), plan("b", 6, 0.050)});
        QTemporaryDir dir;
        for (const char *suffix : {"png", "svg", "pdf", "csv"}) {
            const QString path = dir.filePath(QStringLiteral("chart.") + QString::fromUtf8(suffix));
            QString error;
            QVERIFY2(chart.exportTo(path, &error), qPrintable(error));
            QFile f(path);
            QVERIFY(f.open(QIODevice::ReadOnly));
            const QByteArray head = f.read(64);
            QVERIFY2(!head.isEmpty(), suffix);
            if (QByteArray(suffix) == "png")
                QVERIFY(head.startsWith("\x89PNG"));
            if (QByteArray(suffix) == "pdf")
                QVERIFY(head.startsWith("%PDF"));
            if (QByteArray(suffix) == "svg")
                QVERIFY(head.contains("<?xml") || head.contains("<svg"));
            if (QByteArray(suffix) == "csv") {
                f.seek(0);
                const QList<QByteArray> lines = f.readAll().split('\n');
                QVERIFY(lines[0].startsWith("name,bytes,bits_per_weight,mean_kld"));
                QVERIFY(lines[1].startsWith("\"a, with comma\",10485760,"));
                QVERIFY(lines[1].contains(",0,1,")); // not a reference, on the front
            }
        }
        QString error;
        QVERIFY(!chart.exportTo(dir.filePath(QStringLiteral("chart.bmpx")), &error));
        QVERIFY(error.contains(QStringLiteral("bmpx")));
    }

    void sweepDialogChecksItsChoices()
    {
        cwb::gui::SweepDefaults d;
        d.textPath = QString::fromStdString(
            cwbtest::sharedPath("data/tinystories/tinystories_validation_head.txt"));
        cwb::gui::SweepDialog dialog(d);
        QString why;
        (void)dialog.setup(&why);
        QVERIFY(why.contains(QStringLiteral("project")));
        d.projectPath = QStringLiteral("/tmp/p.cwbproj");
        d.haveSensitivity = true;
        d.planJson = QString::fromUtf8(kRtn4);
        cwb::gui::SweepDialog ok(d);
        ok.setBudgets(QStringLiteral("4.5, 5"));
        ok.setMixtures({QStringLiteral("Q8_0"), QStringLiteral("Q4_K_M")});
        ok.addReferenceFile(QStringLiteral("/models/ref.gguf"));
        const cwb::gui::SweepSetup s = ok.setup(&why);
        QVERIFY2(why.isEmpty(), qPrintable(why));
        QVERIFY(s.points.original);
        QCOMPARE(s.points.planJson, std::string(kRtn4));
        QCOMPARE(s.points.mixtures, (std::vector<std::string>{"Q8_0", "Q4_K_M"}));
        QCOMPARE(s.points.budgetsBpw, (std::vector<double>{4.5, 5.0}));
        QCOMPARE(s.points.referenceFiles, (std::vector<std::string>{"/models/ref.gguf"}));
        QCOMPARE(s.evaluation.nCtx, int64_t(512));
        QVERIFY(!s.evaluation.integerActivations);
        auto *integer = ok.findChild<QCheckBox *>(QStringLiteral("sweepIntegerActivations"));
        QVERIFY(integer);
        integer->setChecked(true);
        QVERIFY(ok.setup(&why).evaluation.integerActivations);
        ok.setBudgets(QStringLiteral("4.5 lots"));
        (void)ok.setup(&why);
        QVERIFY(why.contains(QStringLiteral("bits/weight")));
        ok.setBudgets({});
        ok.setOriginal(false);
        ok.setPlan(false);
        ok.setMixtures({});
        cwb::gui::SweepDialog none(d);
        none.setOriginal(false);
        none.setPlan(false);
        none.setMixtures({});
        (void)none.setup(&why);
        QVERIFY(why.contains(QStringLiteral("at least one point")));
    }

    void sweepJobFillsTheHistoryAndProject()
    {
        cwb::gui::MainWindow w;
        w.resize(1280, 800);
        w.show();
        QVERIFY(openAndWait(w, "models/ggml-quant-zoo/zoo-f32.gguf"));
        QTemporaryDir dir;
        const QString project = dir.filePath(QStringLiteral("zoo.cwbproj"));
        cwb::gui::TradeoffsPanel *panel = w.tradeoffsPanel();
        cwb::gui::SweepSetup setup = smallSetup(project);
        setup.points.mixtures = {"Q8_0", "Q4_0"};
        setup.points.referenceFiles = {cwbtest::sharedPath("models/ggml-quant-zoo/zoo-Q4_K_M.gguf")};

        // Cancelled once its first point is in: that point stays, in the file and the window.
        QSignalSpy finished(panel, &cwb::gui::TradeoffsPanel::sweepFinished);
        QVERIFY(panel->startSweep(setup));
        QVERIFY(!panel->startSweep(setup)); // one at a time
        QTRY_VERIFY_WITH_TIMEOUT(!w.document()->history().empty(), kTimeoutMs);
        w.document()->jobs()->cancel(panel->sweepJobId());
        QVERIFY(finished.wait(kTimeoutMs));
        QCOMPARE(finished.first().first().toBool(), false);
        const size_t stored = cwb::readProject(project.toStdString()).history.size();
        QVERIFY(stored >= 1 && stored < 4);
        QCOMPARE(w.document()->history().size(), stored);

        // Resumed: only the rest is measured, every point arrives, the chart follows.
        finished.clear();
        QVERIFY(panel->startSweep(setup));
        QVERIFY(finished.wait(2 * kTimeoutMs));
        QCOMPARE(finished.first().first().toBool(), true);
        QVERIFY2(panel->statusText().contains(QStringLiteral("%1 already stored").arg(stored)),
                 qPrintable(panel->statusText()));
        const std::vector<cwb::HistoryPoint> &history = w.document()->history();
        QCOMPARE(history.size(), size_t(4));
        QCOMPARE(cwb::readProject(project.toStdString()).history, history);
        QVERIFY(w.tradeoffDock()->isVisible());
        QVERIFY(panel->sourceBox()->currentText().startsWith(QStringLiteral("History: ")));
        cwb::gui::TradeoffChart *chart = w.tradeoffChart();
        QCOMPARE(chart->points().size(), size_t(4));
        int reference = -1, q8 = -1;
        for (size_t i = 0; i < chart->points().size(); ++i) {
            if (chart->points()[i].reference)
                reference = int(i);
            if (chart->points()[i].name == QStringLiteral("llama.cpp pure Q8_0"))
                q8 = int(i);
        }
        QVERIFY(reference >= 0 && q8 >= 0);
        QCOMPARE(chart->points()[size_t(reference)].name, QStringLiteral("zoo-Q4_K_M.gguf"));
        const std::vector<int> front = chart->frontPoints();
        QVERIFY(std::find(front.begin(), front.end(), reference) == front.end());
        QVERIFY(std::find(front.begin(), front.end(), q8) != front.end());

        // A history point's recipe loads into the Layer Plan.
        QTest::qWait(50);
        QSignalSpy activated(chart, &cwb::gui::TradeoffChart::pointActivated);
        QTest::mouseClick(chart->plot(), Qt::LeftButton, {}, chart->positionOf(q8));
        QCOMPARE(activated.count(), 1);
        const std::string loaded =
            cwb::recipeSummary(w.compressionPanel()->planView()->planModel()->recipe());
        QVERIFY2(loaded.find("pure Q8_0") != std::string::npos, loaded.c_str());

        // Another window opens the project: no analysis in it, but the history is installed.
        cwb::gui::MainWindow other;
        QVERIFY(openAndWait(other, "models/ggml-quant-zoo/zoo-f32.gguf"));
        QSignalSpy opened(other.document()->analysis(),
                          &cwb::gui::AnalysisController::projectOpened);
        QVERIFY(other.document()->analysis()->openProject(project));
        QVERIFY(opened.wait(kTimeoutMs));
        QCOMPARE(other.document()->history(), history);
        QCOMPARE(other.tradeoffChart()->points().size(), size_t(4));
    }

    void projectKeepsSensitivityWithoutAnalysis()
    {
        cwb::gui::MainWindow w;
        QVERIFY(openAndWait(w, "models/ggml-quant-zoo/zoo-f32.gguf"));
        cwb::gui::AnalysisController *analysis = w.document()->analysis();
        QVERIFY(!analysis->canSaveProject()); // nothing to save yet
        cwb::SensitivityTable table;
        table.key = "0123456789abcdef";
        table.windows = 2;
        table.tokensPerWindow = 64;
        w.document()->setSensitivity(std::make_shared<const cwb::SensitivityTable>(table));
        QVERIFY(analysis->canSaveProject());
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("s.cwbproj"));
        QSignalSpy saved(analysis, &cwb::gui::AnalysisController::projectSaved);
        QVERIFY(analysis->saveProject(path));
        QVERIFY(saved.wait(kTimeoutMs));
        const cwb::Project p = cwb::readProject(path.toStdString());
        QVERIFY(p.sensitivity.has_value());
        QCOMPARE(p.sensitivity->key, table.key);
        QVERIFY(p.analysis.tensors.empty());

        cwb::gui::MainWindow other;
        QVERIFY(openAndWait(other, "models/ggml-quant-zoo/zoo-f32.gguf"));
        QSignalSpy opened(other.document()->analysis(),
                          &cwb::gui::AnalysisController::projectOpened);
        QVERIFY(other.document()->analysis()->openProject(path));
        QVERIFY(opened.wait(kTimeoutMs));
        QVERIFY(other.document()->sensitivity() != nullptr);
        QCOMPARE(other.document()->sensitivity()->key, table.key);
    }
};

QTEST_MAIN(TestGuiTradeoff)
#include "test_gui_tradeoff.moc"
