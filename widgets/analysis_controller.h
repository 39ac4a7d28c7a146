// SPDX-License-Identifier: MIT
#pragma once
// The document's analysis (Document::analysis()): runs cwb::analyzeModel as a JobService job
// (each finished tensor is posted to the GUI thread, so views fill in while the rest is
// computed), cancels it, and holds the results the Inspector and the Model Overview read. It
// also saves and opens the .cwbproj project (core/project) as jobs: an opened project whose
// model is not the open one asks for that model first (modelRequested), and a stale project
// (the model's bytes changed) is reported and its results are not used. Errors come back as
// signals; showing them is the window's business.

#include "analysis/model_analysis.h"

#include <QHash>
#include <QObject>
#include <QPointer>
#include <QString>

#include <memory>
#include <vector>

namespace cwb {
struct Model;
struct Project;
} // namespace cwb

namespace cwb::gui {

class Document;
class JobService;

class AnalysisController : public QObject {
    Q_OBJECT

public:
    // The analysis of `document`'s model; its jobs run on the document's JobService.
    explicit AnalysisController(Document *document);
    ~AnalysisController() override; // cancels the analysis and waits for it

    // The document's model.
    [[nodiscard]] const std::shared_ptr<const cwb::Model> &model() const;

    // Starts analysing the whole model; false when no model is open or a job is running.
    bool start(const cwb::ModelAnalysisParams &params);
    void cancel();

    // Writes the finished analysis, the document's sensitivity table and evaluation history
    // (with the points already in the file for this model) to `path`, atomically; false when
    // there is nothing to save or a project job is running. Ends in projectSaved or
    // projectFailed.
    bool saveProject(const QString &path);
    // There is something to save (a finished analysis, a sensitivity table or history points)
    // and nothing runs that would change it.
    [[nodiscard]] bool canSaveProject() const;
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
    // The JobService id of the running analysis; 0 when none runs.
    [[nodiscard]] int jobId() const { return job_; }

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

    // The document's sensitivity table or evaluation history changed (saved with the project).
    void projectContentChanged();
    void modelRequested(const QString &modelPath);
    void projectSaved(const QString &path);
    void projectOpened(const QString &path);
    void projectStale(const QString &path, const QString &reason);
    void projectFailed(const QString &path, const QString &message);
    // Cancelled from the Jobs dock: nothing was written, or the project read is dropped.
    void projectCancelled(const QString &path);

private:
    friend class Document;
    // The document's model changed (Document::setModel calls it before modelChanged): cancels a
    // running analysis and drops the results. A project waiting for this model (see
    // openProject) is matched against it.
    void resetForModel();
    void clearResults();
    void onTensor(quint64 generation, const cwb::TensorAnalysis &tensor);
    void onFinished(quint64 generation, bool ok, bool cancelled, const QString &error,
                    std::shared_ptr<cwb::ModelAnalysis> final);
    void matchPending();
    void installProject(cwb::Project &&project, const QString &path);
    [[nodiscard]] QString modelFileName() const;

    Document *document_ = nullptr;
    QPointer<JobService> jobs_;
    cwb::ModelAnalysis analysis_; // one entry per model tensor; have_ says which are filled
    std::vector<char> have_;
    QHash<QString, int> index_; // original and canonical names -> tensor index
    int resultCount_ = 0;
    bool complete_ = false;
    cwb::ModelAnalysisParams params_;

    quint64 generation_ = 0; // of the newest analysis; older events are dropped
    bool running_ = false;
    int job_ = 0; // the running analysis job

    QString projectPath_;
    int projectJobs_ = 0;
    std::shared_ptr<cwb::Project> pending_; // read, waiting for its model to be open
    QString pendingPath_;
};

} // namespace cwb::gui
