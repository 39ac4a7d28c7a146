// SPDX-License-Identifier: MIT
#pragma once
// Owns the open model's analysis: runs cwb::analyzeModel off the GUI thread (QtConcurrent, one
// QFuture result per finished tensor, so views fill in while the rest is computed), cancels it,
// and holds the results the Inspector and the Model Overview read. It also saves and opens the
// .cwbproj project (core/project) off the GUI thread: an opened project whose model is not the
// open one asks for that model first (modelRequested), and a stale project (the model's bytes
// changed) is reported and its results are not used. Errors come back as signals; showing them
// is the window's business.

#include "analysis/model_analysis.h"

#include <QFuture>
#include <QHash>
#include <QObject>
#include <QString>

class QFutureWatcherBase;

#include <atomic>
#include <memory>
#include <vector>

namespace cwb {
struct Model;
struct Project;
} // namespace cwb

namespace cwb::gui {

struct AnalysisEvent;

class AnalysisController : public QObject {
    Q_OBJECT

public:
    explicit AnalysisController(QObject *parent = nullptr);
    ~AnalysisController() override; // cancels and waits for every job

    // Cancels a running analysis and drops the results: they belong to the previous model. A
    // project waiting for this model (see openProject) is matched against it.
    void setModel(std::shared_ptr<const cwb::Model> model);
    [[nodiscard]] const std::shared_ptr<const cwb::Model> &model() const { return model_; }

    // Starts analysing the whole model; false when no model is open or a job is running.
    bool start(const cwb::ModelAnalysisParams &params);
    void cancel();

    // Writes the finished analysis to `path` (atomically); false when there is nothing to save
    // or a project job is running. Ends in projectSaved or projectFailed.
    bool saveProject(const QString &path);
    // Reads `path`; ends in projectOpened, projectStale or projectFailed (after modelRequested
    // and the window opening that model, when it is not the open one).
    bool openProject(const QString &path);

    [[nodiscard]] bool isRunning() const { return running_; }
    // A project is being read, matched against the model or written.
    [[nodiscard]] bool isProjectBusy() const { return projectJobs_ > 0; }
    // An opened project waits for its model (after modelRequested).
    [[nodiscard]] bool isProjectPending() const { return pending_ != nullptr; }
    // Every tensor has a result (from a finished analysis or an opened project).
    [[nodiscard]] bool isComplete() const { return complete_; }
    [[nodiscard]] bool hasResults() const { return resultCount_ > 0; }
    [[nodiscard]] int resultCount() const { return resultCount_; }
    [[nodiscard]] int tensorCount() const { return static_cast<int>(have_.size()); }
    // The result for a tensor (original or canonical name); nullptr while it has none.
    [[nodiscard]] const cwb::TensorAnalysis *result(const QString &nameOrCanonical) const;
    // Activation statistics of the last analysis with a calibration text; nullptr otherwise.
    [[nodiscard]] const cwb::ActivationStats *activations() const;
    // The parameters of the results shown (the last run's, or the opened project's settings).
    [[nodiscard]] const cwb::ModelAnalysisParams &params() const { return params_; }
    [[nodiscard]] const cwb::ModelAnalysis &analysis() const { return analysis_; }
    [[nodiscard]] QString projectPath() const { return projectPath_; }
    [[nodiscard]] double analysisSeconds() const { return analysis_.seconds; }

Q_SIGNALS:
    void started();
    void progressChanged(double fraction, const QString &what);
    // A tensor's result arrived (original name).
    void tensorAnalyzed(const QString &tensor);
    void finished();
    void failed(const QString &message);
    void cancelled();
    // All results changed at once: cleared (new model) or replaced (project opened).
    void resultsReset();
    void activationsChanged();

    void modelRequested(const QString &modelPath);
    void projectSaved(const QString &path);
    void projectOpened(const QString &path);
    void projectStale(const QString &path, const QString &reason);
    void projectFailed(const QString &path, const QString &message);

private:
    void clearResults();
    void onEvent(quint64 generation, const AnalysisEvent &event);
    void matchPending();
    void installProject(cwb::Project &&project, const QString &path);
    // Keeps `future` until `watcher` reports it finished, then deletes the watcher.
    void track(QFutureWatcherBase *watcher, const QFuture<void> &future);

    std::shared_ptr<const cwb::Model> model_;
    cwb::ModelAnalysis analysis_; // one entry per model tensor; have_ says which are filled
    std::vector<char> have_;
    QHash<QString, int> index_; // original and canonical names -> tensor index
    int resultCount_ = 0;
    bool complete_ = false;
    cwb::ModelAnalysisParams params_;

    quint64 generation_ = 0; // of the newest analysis; older events are dropped
    bool running_ = false;
    std::shared_ptr<std::atomic<bool>> cancel_;
    QHash<quint64, QFuture<void>> jobs_; // every job still in flight, waited for on destruction
    quint64 nextJob_ = 0;

    QString projectPath_;
    int projectJobs_ = 0;
    std::shared_ptr<cwb::Project> pending_; // read, waiting for its model to be open
    QString pendingPath_;
};

} // namespace cwb::gui
