// SPDX-License-Identifier: MIT
// The GUI's one job service and the Jobs dock that follows it: results, errors and cancels reach
// the typed continuation, progress is throttled, transient rows go, a dead receiver drops its
// continuation, and the destructor cancels and waits. Then the main window on stories260K: every
// long operation (open, histogram, analysis, project save and open, evaluation, compression)
// shows in the Jobs dock with progress and is cancelled by its row's Cancel button, and
// destroying the window while jobs run cancels them and waits for them.

#include "analysis_controller.h"
#include "compression_panel.h"
#include "document.h"
#include "evaluate_panel.h"
#include "histogram_panel.h"
#include "job_service.h"
#include "jobs_panel.h"
#include "launch_options.h"
#include "layer_plan_model.h"
#include "layer_plan_view.h"
#include "main_window.h"
#include "test_support.h"

#include "recipe/recipe.h"
#include "util/error.h"

#include <QAbstractButton>
#include <QCoreApplication>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QFile>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <thread>

using namespace cwb::gui;

namespace {

constexpr int kTimeoutMs = 60'000;
const char *const kModel = "models/stories260K/stories260K.gguf";
const char *const kText = "data/tinystories/tinystories_validation_head.txt";

QString q(const std::string &s) { return QString::fromStdString(s); }

void sleepMs(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

// Work that runs until cancelled, counting how many such workers are alive.
auto untilCancelled(std::shared_ptr<std::atomic<int>> live)
{
    return [live](const cwb::JobContext &ctx) {
        ++*live;
        while (!ctx.cancelled())
            sleepMs(1);
        --*live;
        ctx.checkCancelled();
    };
}

// What the window's service announced: start, progress and end of every job.
struct JobLog {
    explicit JobLog(JobService *jobs)
        : started(jobs, &JobService::jobStarted), progressed(jobs, &JobService::jobProgressed),
          finished(jobs, &JobService::jobFinished)
    {
    }
    [[nodiscard]] int last() const
    {
        return started.isEmpty() ? 0 : started.last().first().toInt();
    }
    [[nodiscard]] QString title(int id) const
    {
        for (const auto &s : started)
            if (s.first().toInt() == id)
                return s.at(1).toString();
        return {};
    }
    [[nodiscard]] bool sawProgress(int id) const
    {
        for (const auto &p : progressed)
            if (p.first().toInt() == id && p.at(1).toDouble() > 0)
                return true;
        return false;
    }
    [[nodiscard]] std::optional<JobState> end(int id) const
    {
        for (const auto &f : finished)
            if (f.first().toInt() == id)
                return f.at(1).value<JobState>();
        return std::nullopt;
    }
    QSignalSpy started, progressed, finished;
};

} // namespace

class TestGuiJobService : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("CompressionWorkbenchTests"));
        QCoreApplication::setApplicationName(QStringLiteral("test_gui_job_service"));
        QSettings().clear();
    }

    void launchOptionWhileRunning()
    {
        const QString app = QStringLiteral("compression-workbench");
        LaunchParse p = parseLaunchOptions({app, QStringLiteral("--while-running")});
        QVERIFY(p.exit);
        QCOMPARE(p.exitCode, 2);
        QVERIFY(p.message.contains(QStringLiteral("--screenshot")));
        p = parseLaunchOptions({app, QStringLiteral("--screenshot"), QStringLiteral("a.png"),
                                QStringLiteral("--while-running"), QStringLiteral("--analyze")});
        QVERIFY(!p.exit);
        QVERIFY(p.options.whileRunning);
        QVERIFY(!parseLaunchOptions({app}).options.whileRunning);
    }

    void resultProgressAndRow()
    {
        JobService jobs;
        JobsPanel panel;
        panel.follow(&jobs);
        QSignalSpy progressed(&jobs, &JobService::jobProgressed);
        std::optional<int> got;
        const int id = jobs.run(
            {QStringLiteral("Count to 100000")}, nullptr,
            [](const cwb::JobContext &ctx) {
                for (int i = 1; i <= 100'000; ++i)
                    ctx.report(i / 100'000.0, "step " + std::to_string(i));
                return 42;
            },
            [&got](JobOutcome<int> &o) {
                got = o.result;
                o.message = QStringLiteral("forty-two");
            });
        const int row = panel.rowOf(id);
        QVERIFY(row > 0);
        QVERIFY(panel.isRunning(row));
        QVERIFY(jobs.isRunning(id));
        QCOMPARE(panel.titleOf(row), QStringLiteral("Count to 100000"));
        QTRY_VERIFY_WITH_TIMEOUT(got.has_value(), kTimeoutMs);
        QCOMPARE(*got, 42);
        QVERIFY(!jobs.isRunning(id));
        QCOMPARE(panel.stateOf(row), JobsPanel::State::Done);
        QCOMPARE(panel.progressOf(row), 1.0);
        QVERIFY2(panel.statusOf(row).contains(QStringLiteral("forty-two")),
                 qPrintable(panel.statusOf(row)));
        // Throttled: a few reports reached the GUI thread, the last one (done) among them.
        QVERIFY2(progressed.count() >= 1 && progressed.count() < 1000,
                 qPrintable(QString::number(progressed.count())));
        QCOMPARE(progressed.last().at(1).toDouble(), 1.0);
        QCOMPARE(progressed.last().at(2).toString(), QStringLiteral("step 100000"));
    }

    void errorsAndCancels()
    {
        JobService jobs;
        JobsPanel panel;
        panel.follow(&jobs);

        QString error;
        const int failing = jobs.run(
            {QStringLiteral("Fail")}, nullptr,
            [](const cwb::JobContext &) -> int { throw cwb::Error("model.gguf: bad header"); },
            [&error](JobOutcome<int> &o) {
                QVERIFY(!o.result);
                QCOMPARE(o.state, JobState::Failed);
                error = o.error;
            });
        QTRY_VERIFY_WITH_TIMEOUT(!error.isEmpty(), kTimeoutMs);
        QCOMPARE(error, QStringLiteral("model.gguf: bad header"));
        QCOMPARE(panel.stateOf(panel.rowOf(failing)), JobsPanel::State::Failed);
        QCOMPARE(panel.statusOf(panel.rowOf(failing)), error);

        // Cancel from the dock: core sees the flag and ends with cwb::Cancelled.
        auto live = std::make_shared<std::atomic<int>>(0);
        std::optional<JobState> end;
        const int byDock = jobs.run({QStringLiteral("Loop")}, nullptr, untilCancelled(live),
                                    [&end](JobOutcome<void> &o) { end = o.state; });
        QTRY_COMPARE_WITH_TIMEOUT(live->load(), 1, kTimeoutMs);
        panel.cancelButton(panel.rowOf(byDock))->click();
        QVERIFY(jobs.isCancelRequested(byDock));
        QTRY_VERIFY_WITH_TIMEOUT(end.has_value(), kTimeoutMs);
        QCOMPARE(*end, JobState::Cancelled);
        QCOMPARE(live->load(), 0);
        QCOMPARE(panel.stateOf(panel.rowOf(byDock)), JobsPanel::State::Cancelled);

        // Cancelled by its owner (a menu action, a newer request): cancelled in the dock too.
        end.reset();
        const int byOwner = jobs.run({QStringLiteral("Loop")}, nullptr, untilCancelled(live),
                                     [&end](JobOutcome<void> &o) { end = o.state; });
        QTRY_COMPARE_WITH_TIMEOUT(live->load(), 1, kTimeoutMs);
        jobs.cancel(byOwner);
        QTRY_VERIFY_WITH_TIMEOUT(end.has_value(), kTimeoutMs);
        QCOMPARE(panel.stateOf(panel.rowOf(byOwner)), JobsPanel::State::Cancelled);
    }

    void transientRowsGoUnlessFailed()
    {
        JobService jobs;
        JobsPanel panel;
        panel.follow(&jobs);
        JobOptions options;
        options.title = QStringLiteral("Histogram");
        options.transient = true;
        int ended = 0;
        const int ok = jobs.run(
            options, nullptr, [](const cwb::JobContext &) {},
            [&ended](JobOutcome<void> &) { ++ended; });
        const int failing = jobs.run(
            options, nullptr, [](const cwb::JobContext &) { throw cwb::Error("no decoder"); },
            [&ended](JobOutcome<void> &) { ++ended; });
        QVERIFY(panel.rowOf(ok) > 0);
        QVERIFY(panel.isRunning(panel.rowOf(ok)));
        QTRY_COMPARE_WITH_TIMEOUT(ended, 2, kTimeoutMs);
        QCOMPARE(panel.rowOf(ok), -1);
        QCOMPARE(panel.jobCount(), 1);
        QCOMPARE(panel.stateOf(panel.rowOf(failing)), JobsPanel::State::Failed);
    }

    void deadReceiverDropsContinuation()
    {
        JobService jobs;
        QSignalSpy finished(&jobs, &JobService::jobFinished);
        bool called = false;
        auto *receiver = new QObject;
        auto gate = std::make_shared<std::atomic<bool>>(false);
        jobs.run(
            {QStringLiteral("Wait")}, receiver,
            [gate](const cwb::JobContext &) {
                while (!gate->load())
                    sleepMs(1);
                return 1;
            },
            [&called](JobOutcome<int> &) { called = true; });
        delete receiver;
        gate->store(true);
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kTimeoutMs);
        QVERIFY(!called);
        QCOMPARE(finished.first().at(1).value<JobState>(), JobState::Done);
    }

    void destructorCancelsAndWaits()
    {
        auto live = std::make_shared<std::atomic<int>>(0);
        auto queuedRan = std::make_shared<std::atomic<bool>>(false);
        {
            JobService jobs(nullptr, 2);
            QCOMPARE(jobs.maxThreadCount(), 2);
            jobs.run({QStringLiteral("A")}, nullptr, untilCancelled(live),
                     [](JobOutcome<void> &) {});
            jobs.run({QStringLiteral("B")}, nullptr, untilCancelled(live),
                     [](JobOutcome<void> &) {});
            // No thread left: this one waits in the queue and, cancelled there, never starts.
            jobs.run({QStringLiteral("C")}, nullptr,
                     [queuedRan](const cwb::JobContext &) { queuedRan->store(true); },
                     [](JobOutcome<void> &) {});
            QTRY_COMPARE_WITH_TIMEOUT(live->load(), 2, kTimeoutMs);
            QCOMPARE(jobs.runningCount(), 3);
        }
        QCOMPARE(live->load(), 0);
        QVERIFY(!queuedRan->load());
    }

    // Every long operation of the window, run to its end: a row in the Jobs dock, progress
    // where core reports it, Done at the end.
    void everyOperationShowsInJobsDock()
    {
        CWB_SHARED_FILE(model, kModel);
        CWB_SHARED_FILE(text, kText);
        QTemporaryDir dir;
        MainWindow w;
        w.show();
        JobsPanel *panel = w.jobsPanel();
        JobLog log(w.jobService());
        const auto inDock = [&](int id) {
            const int row = panel->rowOf(id);
            return row > 0 && panel->isRunning(row) && panel->titleOf(row) == log.title(id);
        };

        QSignalSpy opened(w.document(), &Document::modelChanged);
        w.openModel(q(model));
        int id = log.last();
        QVERIFY(log.title(id).contains(QStringLiteral("stories260K.gguf")));
        QVERIFY(inDock(id));
        QTRY_COMPARE_WITH_TIMEOUT(opened.count(), 1, kTimeoutMs);
        QCOMPARE(log.end(id), JobState::Done);

        QSignalSpy shown(w.histogramPanel(), &HistogramPanel::histogramShown);
        QVERIFY(w.selectTensor(QStringLiteral("layers.0.mlp.up")));
        id = log.last();
        QVERIFY(inDock(id));
        QTRY_COMPARE_WITH_TIMEOUT(shown.count(), 1, kTimeoutMs);
        QCOMPARE(log.end(id), JobState::Done);
        QVERIFY(log.sawProgress(id));

        AnalysisController *analysis = w.analysisController();
        QSignalSpy analyzed(analysis, &AnalysisController::finished);
        cwb::ModelAnalysisParams params;
        params.spectra = true;
        QVERIFY(analysis->start(params));
        id = analysis->jobId();
        QCOMPARE(id, log.last());
        QVERIFY(inDock(id));
        QVERIFY(!w.jobsDock()->isHidden()); // work the user waits for brings the dock up
        QTRY_COMPARE_WITH_TIMEOUT(analyzed.count(), 1, kTimeoutMs);
        QCOMPARE(log.end(id), JobState::Done);
        QVERIFY(log.sawProgress(id));

        const QString project = dir.filePath(QStringLiteral("stories.cwbproj"));
        QSignalSpy saved(analysis, &AnalysisController::projectSaved);
        QVERIFY(analysis->saveProject(project));
        id = log.last();
        QVERIFY(inDock(id));
        QTRY_COMPARE_WITH_TIMEOUT(saved.count(), 1, kTimeoutMs);
        QCOMPARE(log.end(id), JobState::Done);
        QVERIFY(log.sawProgress(id));

        QSignalSpy projectOpened(analysis, &AnalysisController::projectOpened);
        QVERIFY(analysis->openProject(project));
        id = log.last();
        QVERIFY(inDock(id));
        QTRY_COMPARE_WITH_TIMEOUT(projectOpened.count(), 1, kTimeoutMs);
        QCOMPARE(log.end(id), JobState::Done);
        QCOMPARE(log.end(log.last()), JobState::Done); // matching it against the model

        EvaluatePanel *evaluate = w.evaluatePanel();
        QSignalSpy evaluated(evaluate, &EvaluatePanel::evaluationFinished);
        evaluate->setTextPath(q(text));
        evaluate->contextBox()->setValue(128);
        evaluate->chunksBox()->setValue(4);
        QVERIFY(evaluate->run());
        id = evaluate->jobId();
        QVERIFY(inDock(id));
        QTRY_COMPARE_WITH_TIMEOUT(evaluated.count(), 1, kTimeoutMs);
        QCOMPARE(log.end(id), JobState::Done);
        QVERIFY(log.sawProgress(id));

        CompressionPanel *compression = w.compressionPanel();
        compression->planView()->planModel()->setRecipe(cwb::parseRecipe(
            R"({"version": 1, "rules": [{"match": "layers.*",
                "methods": [{"method": "rtn", "params": {"bits": 4, "group": -1}}]}]})",
            "test recipe"));
        QSignalSpy compressed(compression, &CompressionPanel::resultReady);
        QVERIFY2(compression->compress(), qPrintable(compression->messageText()));
        id = compression->lastJobId();
        QVERIFY(inDock(id));
        QTRY_COMPARE_WITH_TIMEOUT(compressed.count(), 1, kTimeoutMs);
        QCOMPARE(log.end(id), JobState::Done);
        QVERIFY(log.sawProgress(id));
        QVERIFY(w.document()->compression());
        QTRY_COMPARE_WITH_TIMEOUT(w.jobService()->runningCount(), 0, kTimeoutMs);
    }

    // Each operation again, its job cancelled from its row in the Jobs dock. Every thread of the
    // service is held busy while it starts, so the job is surely still waiting when Cancel is
    // pressed (on a fast machine most of them finish in milliseconds otherwise).
    void everyOperationCancelsFromJobsDock()
    {
        CWB_SHARED_FILE(model, kModel);
        CWB_SHARED_FILE(text, kText);
        QTemporaryDir dir;
        MainWindow w;
        w.show();
        JobService *jobs = w.jobService();
        JobsPanel *panel = w.jobsPanel();
        JobLog log(jobs);
        const auto cancelFromDock = [&](const std::function<void()> &start) {
            auto gate = std::make_shared<std::atomic<bool>>(false);
            for (int i = 0; i < jobs->maxThreadCount(); ++i)
                jobs->run(
                    {QStringLiteral("Busy")}, nullptr,
                    [gate](const cwb::JobContext &) {
                        while (!gate->load())
                            sleepMs(1);
                    },
                    [](JobOutcome<void> &) {});
            start();
            const int id = log.last();
            const int row = panel->rowOf(id);
            if (row <= 0 || !panel->isRunning(row))
                return std::optional<JobState>();
            panel->cancelButton(row)->click();
            gate->store(true);
            if (!QTest::qWaitFor([&] { return log.end(id).has_value(); }, kTimeoutMs))
                return std::optional<JobState>();
            return log.end(id);
        };

        QSignalSpy openCancelled(w.document(), &Document::openCancelled);
        QCOMPARE(cancelFromDock([&] { w.openModel(q(model)); }), JobState::Cancelled);
        QCOMPARE(openCancelled.count(), 1);
        QVERIFY(!w.document()->model());

        QSignalSpy opened(w.document(), &Document::modelChanged);
        w.openModel(q(model));
        QTRY_COMPARE_WITH_TIMEOUT(opened.count(), 1, kTimeoutMs);

        QSignalSpy shown(w.histogramPanel(), &HistogramPanel::histogramShown);
        QCOMPARE(cancelFromDock([&] { w.selectTensor(QStringLiteral("layers.0.attn.q")); }),
                 JobState::Cancelled);
        QCOMPARE(shown.count(), 0);

        AnalysisController *analysis = w.analysisController();
        QSignalSpy analysisCancelled(analysis, &AnalysisController::cancelled);
        cwb::ModelAnalysisParams params;
        QCOMPARE(cancelFromDock([&] { QVERIFY(analysis->start(params)); }), JobState::Cancelled);
        QTRY_COMPARE_WITH_TIMEOUT(analysisCancelled.count(), 1, kTimeoutMs);
        QVERIFY(!analysis->isRunning());

        // A finished analysis to save; the cancelled save writes nothing.
        QSignalSpy analyzed(analysis, &AnalysisController::finished);
        QVERIFY(analysis->start(params));
        QTRY_COMPARE_WITH_TIMEOUT(analyzed.count(), 1, kTimeoutMs);
        const QString project = dir.filePath(QStringLiteral("stories.cwbproj"));
        QSignalSpy projectCancelled(analysis, &AnalysisController::projectCancelled);
        QCOMPARE(cancelFromDock([&] { QVERIFY(analysis->saveProject(project)); }),
                 JobState::Cancelled);
        QCOMPARE(projectCancelled.count(), 1);
        QVERIFY(!QFile::exists(project));
        QVERIFY(!analysis->isProjectBusy());

        QSignalSpy saved(analysis, &AnalysisController::projectSaved);
        QVERIFY(analysis->saveProject(project));
        QTRY_COMPARE_WITH_TIMEOUT(saved.count(), 1, kTimeoutMs);
        QSignalSpy projectOpened(analysis, &AnalysisController::projectOpened);
        QCOMPARE(cancelFromDock([&] { QVERIFY(analysis->openProject(project)); }),
                 JobState::Cancelled);
        QCOMPARE(projectCancelled.count(), 2);
        QCOMPARE(projectOpened.count(), 0);
        QVERIFY(!analysis->isProjectBusy());

        EvaluatePanel *evaluate = w.evaluatePanel();
        QSignalSpy evaluationCancelled(evaluate, &EvaluatePanel::evaluationCancelled);
        evaluate->setTextPath(q(text));
        evaluate->contextBox()->setValue(128);
        evaluate->chunksBox()->setValue(4);
        QCOMPARE(cancelFromDock([&] { QVERIFY(evaluate->run()); }), JobState::Cancelled);
        QCOMPARE(evaluationCancelled.count(), 1);
        QVERIFY(!evaluate->isRunning());
        QCOMPARE(w.runsModel()->rowCount(), 0);

        CompressionPanel *compression = w.compressionPanel();
        compression->planView()->planModel()->setRecipe(cwb::parseRecipe(
            R"({"version": 1, "rules": [{"match": "layers.*",
                "methods": [{"method": "rtn", "params": {"bits": 4, "group": -1}}]}]})",
            "test recipe"));
        QSignalSpy compressed(compression, &CompressionPanel::resultReady);
        QCOMPARE(cancelFromDock([&] {
                     QVERIFY2(compression->compress(), qPrintable(compression->messageText()));
                 }),
                 JobState::Cancelled);
        QVERIFY(!compression->isRunning());
        QCOMPARE(compressed.count(), 0);
        QVERIFY(!w.document()->compression());
    }

    // Closing the window while an evaluation (about 1500 windows) and a job that only stops
    // when cancelled run: both are cancelled and waited for, promptly.
    void destroyingWindowCancelsAndWaits()
    {
        CWB_SHARED_FILE(model, kModel);
        CWB_SHARED_FILE(text, kText);
        auto live = std::make_shared<std::atomic<int>>(0);
        auto *w = new MainWindow;
        w->show();
        QSignalSpy opened(w->document(), &Document::modelChanged);
        w->openModel(q(model));
        QTRY_COMPARE_WITH_TIMEOUT(opened.count(), 1, kTimeoutMs);
        JobLog log(w->jobService());
        EvaluatePanel *evaluate = w->evaluatePanel();
        evaluate->setTextPath(q(text));
        evaluate->contextBox()->setValue(128);
        QSignalSpy evaluated(evaluate, &EvaluatePanel::evaluationFinished);
        QVERIFY(evaluate->run());
        const int evaluation = evaluate->jobId();
        w->jobService()->run({QStringLiteral("Until cancelled")}, w, untilCancelled(live),
                             [](JobOutcome<void> &) {});
        QTRY_VERIFY_WITH_TIMEOUT(log.sawProgress(evaluation) && live->load() == 1, kTimeoutMs);
        QCOMPARE(w->jobService()->runningCount(), 2);

        QElapsedTimer timer;
        timer.start();
        delete w;
        QVERIFY2(timer.elapsed() < 10'000, qPrintable(QString::number(timer.elapsed())));
        QCOMPARE(live->load(), 0);
        QCOMPARE(evaluated.count(), 0);
        QTest::qWait(100); // nothing the jobs posted is left to crash on
    }
};

QTEST_MAIN(TestGuiJobService)
#include "test_gui_job_service.moc"
