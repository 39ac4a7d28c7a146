// SPDX-License-Identifier: MIT
// The compression GUI in the main window, on stories260K: a recipe loaded into the Layer Plan
// runs as a background job listed in the Jobs dock; per-tensor errors stream into the plan's
// "Last error" column and the Compression Errors chart; the result is offered to the Evaluate
// panel (which then evaluates the compressed weights) and drawn over the histogram; a plan with
// errors starts nothing and says why; Cancel ends a run with nothing written.

#include "compression_panel.h"
#include "document.h"
#include "evaluate_panel.h"
#include "evaluation_runs_model.h"
#include "histogram_panel.h"
#include "job_service.h"
#include "jobs_panel.h"
#include "layer_error_chart.h"
#include "layer_plan_model.h"
#include "layer_plan_view.h"
#include "main_window.h"
#include "test_support.h"

#include "recipe/recipe.h"

#include <QAbstractButton>
#include <QCheckBox>
#include <QComboBox>
#include <QDockWidget>
#include <QFile>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <filesystem>

namespace {

// Generous: waits end when the signal comes; a sanitizer build compresses several times slower.
constexpr int kTimeoutMs = 120'000;
const char *const kModel = "models/stories260K/stories260K.gguf";
const char *const kText = "data/tinystories/tinystories_validation_head.txt";

QString q(const std::string &s) { return QString::fromStdString(s); }

cwb::Recipe recipe(const std::string &json)
{
    return cwb::parseRecipe(json, "test recipe");
}

} // namespace

class TestGuiCompress : public QObject {
    Q_OBJECT

    bool openStories(cwb::gui::MainWindow &w)
    {
        const std::string model = cwbtest::sharedPath(kModel);
        w.show();
        QSignalSpy loaded(w.document(), &cwb::gui::Document::modelChanged);
        w.openModel(q(model));
        return loaded.wait(kTimeoutMs) || !loaded.isEmpty();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("CompressionWorkbenchTests"));
        QCoreApplication::setApplicationName(QStringLiteral("test_gui_compress"));
        QSettings().clear();
    }

    void runStreamsErrorsAndFeedsEvaluate()
    {
        cwb::gui::MainWindow w;
        QVERIFY(openStories(w));
        auto *panel = w.compressionPanel();
        auto *plan = panel->planView()->planModel();
        plan->setRecipe(recipe(R"({"version": 1, "rules": [{"match": "layers.*",
            "methods": [{"method": "gptq", "params": {"bits": 4, "group": -1}}]}]})"));
        // gptq without calibration text: the plan has errors, nothing starts, every one is named.
        QVERIFY(!plan->plan().valid());
        QVERIFY(!panel->compress());
        QVERIFY2(panel->messageText().contains(QStringLiteral("calibration")),
                 qPrintable(panel->messageText()));
        QCOMPARE(w.jobsPanel()->jobCount(), 0);

        panel->setCalibrationPath(q(cwbtest::sharedPath(kText)));
        QVERIFY(plan->plan().valid());
        QSignalSpy ready(panel, &cwb::gui::CompressionPanel::resultReady);
        QVERIFY(panel->compress());
        QCOMPARE(w.jobsPanel()->jobCount(), 1);
        QVERIFY(ready.wait(kTimeoutMs) || !ready.isEmpty());
        const int id = w.jobsPanel()->rowOf(panel->lastJobId());
        QCOMPARE(w.jobsPanel()->stateOf(id), cwb::gui::JobsPanel::State::Done);
        QCOMPARE(w.jobsPanel()->progressOf(id), 1.0);
        const auto result = w.document()->compression();
        QVERIFY(result);
        QCOMPARE(result->tensors.size(), size_t(35));

        // Every compressed tensor's error reached the plan and the chart.
        QCOMPARE(plan->tensorErrors().size(), 35);
        for (const auto &t : result->tensors)
            QCOMPARE(plan->tensorErrors().value(q(t.canonical)), t.report.relativeError);
        QCOMPARE(w.errorChart()->barCount(), 35);
        QVERIFY(w.errorChart()->metrics().size() == 2); // relative and output error
        QVERIFY(!w.errorsDock()->isHidden());

        // The histogram of a compressed tensor gets the decoded values as an overlay.
        QVERIFY(w.selectTensor(QStringLiteral("layers.1.mlp.up")));
        QTRY_VERIFY_WITH_TIMEOUT(w.histogramPanel()->hasComparison(QStringLiteral("layers.1.mlp.up")),
                                 kTimeoutMs);

        // The Evaluate panel offers the compressed weights and evaluates them.
        auto *evaluate = w.evaluatePanel();
        QCOMPARE(evaluate->weightsBox()->count(), 2);
        QCOMPARE(evaluate->weightsBox()->currentIndex(), 1);
        QVERIFY(!evaluate->params().replacements.empty());
        evaluate->setTextPath(q(cwbtest::sharedPath(kText)));
        evaluate->contextBox()->setValue(128);
        evaluate->chunksBox()->setValue(8);
        QVERIFY(evaluate->run());
        QTRY_COMPARE_WITH_TIMEOUT(w.runsModel()->rowCount(), 1, kTimeoutMs);
        evaluate->weightsBox()->setCurrentIndex(0);
        QVERIFY(evaluate->params().replacements.empty());
        QTRY_VERIFY_WITH_TIMEOUT(!evaluate->isRunning(), kTimeoutMs);
        QVERIFY(evaluate->run());
        QTRY_COMPARE_WITH_TIMEOUT(w.runsModel()->rowCount(), 2, kTimeoutMs);
        const double compressedPpl = w.runsModel()->runs()[0].result.ppl;
        const double originalPpl = w.runsModel()->runs()[1].result.ppl;
        QVERIFY2(compressedPpl > originalPpl,
                 qPrintable(QStringLiteral("%1 vs %2").arg(compressedPpl).arg(originalPpl)));
        QVERIFY(w.runsModel()->runs()[0].result.bitsPerWeight < w.runsModel()->runs()[1].result.bitsPerWeight);
    }

    // The calibration amount and the sequential mode set in the panel reach the pipeline, and
    // each tensor's coverage comes back with the result.
    void calibrationSettingsReachThePipeline()
    {
        cwb::gui::MainWindow w;
        QVERIFY(openStories(w));
        auto *panel = w.compressionPanel();
        QVERIFY(!panel->sequentialBox()->isChecked()); // the documented default: off
        QCOMPARE(panel->seqLenBox()->value(), 256);
        panel->planView()->planModel()->setRecipe(recipe(R"({"version": 1, "rules": [{"match": "layers.*",
            "methods": [{"method": "gptq", "params": {"bits": 4, "group": -1}}]}]})"));
        panel->setCalibrationPath(q(cwbtest::sharedPath(kText)));
        panel->sequencesBox()->setValue(4);
        panel->seqLenBox()->setValue(64);
        panel->sequentialBox()->setChecked(true);
        QSignalSpy ready(panel, &cwb::gui::CompressionPanel::resultReady);
        QVERIFY(panel->compress());
        QVERIFY(ready.wait(kTimeoutMs) || !ready.isEmpty());
        const auto result = w.document()->compression();
        QVERIFY(result);
        QVERIFY(result->calibrationSequential);
        QCOMPARE(result->calibrationTokens, int64_t(4 * 64));
        QCOMPARE(result->tensors.size(), size_t(35));
        for (const auto &t : result->tensors)
            QCOMPARE(t.report.calibrationTokens, int64_t(4 * 64));
    }

    void cancelWritesNothing()
    {
        cwb::gui::MainWindow w;
        QVERIFY(openStories(w));
        auto *panel = w.compressionPanel();
        // Cancel right after the start: the calibration pass alone outlasts the click.
        panel->planView()->planModel()->setRecipe(recipe(R"({"version": 1, "rules": [{"match": "layers.*",
            "methods": [{"method": "sparsegpt", "params": {"sparsity": 0.5}}, {"method": "gptq", "params": {"bits": 3, "group": -1}}]}]})"));
        panel->setCalibrationPath(q(cwbtest::sharedPath(kText)));
        QTemporaryDir dir;
        const QString archive = dir.filePath(QStringLiteral("out.cwbarchive"));
        QSignalSpy ready(panel, &cwb::gui::CompressionPanel::resultReady);
        QVERIFY(panel->compress(archive));
        const int id = w.jobsPanel()->rowOf(panel->lastJobId());
        w.jobsPanel()->cancelButton(id)->click(); // through the Jobs dock, as a user would
        QTRY_VERIFY_WITH_TIMEOUT(!panel->isRunning(), kTimeoutMs);
        QVERIFY(ready.isEmpty());
        QCOMPARE(w.jobsPanel()->stateOf(id), cwb::gui::JobsPanel::State::Cancelled);
        QVERIFY(std::filesystem::is_empty(dir.path().toStdString()));
        QVERIFY(!QFile::exists(archive));
    }
};

QTEST_MAIN(TestGuiCompress)
#include "test_gui_compress.moc"
