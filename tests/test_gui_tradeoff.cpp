// SPDX-License-Identifier: MIT
// The trade-off chart: the Pareto front it draws is core's front of the plans (ties kept,
// dominated points and references left out), axes switch what is plotted, clicking a plan's point
// loads its recipe into the main window's Layer Plan as one undoable change (a reference point
// loads nothing), and the chart saves as PNG, SVG, PDF and CSV.

#include "layer_plan_model.h"
#include "layer_plan_view.h"
#include "compression_panel.h"
#include "document.h"
#include "main_window.h"
#include "test_support.h"
#include "tradeoff_chart.h"

#include "recipe/recipe.h"
#include "solve/pareto.h"

#include <qcustomplot.h>

#include <QFile>
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
};

QTEST_MAIN(TestGuiTradeoff)
#include "test_gui_tradeoff.moc"
