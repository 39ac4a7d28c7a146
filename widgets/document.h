// SPDX-License-Identifier: MIT
#pragma once
// The one document of a window: the open model, its analysis, the compression recipe with its
// undo stack (the Layer Plan's item model) and the results (the last compression, the
// evaluation runs). Panels observe it (modelChanged, compressionChanged, runsChanged and the
// analysis' own signals) instead of holding copies; the window only wires them. Opening a model
// is one call, open(path), run through the JobService. Not a widget: tests drive it headless.

#include "compress/compressed_model.h"
#include "project/evaluation_history.h"

#include <QObject>
#include <QString>

#include <memory>
#include <vector>

class QUndoStack;

namespace cwb {
struct Model;
struct Recipe;
struct SensitivityTable;
} // namespace cwb

namespace cwb::gui {

class AnalysisController;
class EvaluationRunsModel;
class JobService;
class LayerPlanModel;
struct EvaluationRun;

class Document : public QObject {
    Q_OBJECT

public:
    // Jobs run on `jobs`, which outlives the document (or is shut down first).
    explicit Document(JobService *jobs, QObject *parent = nullptr);
    ~Document() override;

    [[nodiscard]] JobService *jobs() const { return jobs_; }

    // Opens a model file or Hugging Face directory as a job; a newer call supersedes an older
    // one still loading. Ends in modelChanged, openFailed (core's message verbatim) or, when
    // cancelled from the Jobs dock, openCancelled; the open model stays until then.
    void open(const QString &path);
    // Installs a loaded model (null: none) as open() does once loading finished: the analysis is
    // reset and the plan re-resolved first, the compression result dropped, then modelChanged.
    void setModel(std::shared_ptr<const cwb::Model> model, const QString &path = {});
    [[nodiscard]] const std::shared_ptr<const cwb::Model> &model() const { return model_; }
    // The path the model was opened from (empty for setModel without one).
    [[nodiscard]] QString path() const { return path_; }
    [[nodiscard]] bool isOpening() const { return openJob_ != 0; }
    // The Jobs dock id of the open in flight; 0 when none.
    [[nodiscard]] int openJobId() const { return openJob_; }

    // The model's analysis and its project file.
    [[nodiscard]] AnalysisController *analysis() const { return analysis_; }

    // The recipe as the Layer Plan edits it (resolved against the model), with its undo stack.
    [[nodiscard]] LayerPlanModel *plan() const { return plan_; }
    [[nodiscard]] const cwb::Recipe &recipe() const;
    [[nodiscard]] QUndoStack *undoStack() const;

    // The last compression run of the open model; null before the first one and after another
    // model was installed.
    // `source`: the model its tensors belong to (pipeline/structure_step.h structuredSource,
    // built by the compression job off the GUI thread); null: the open model.
    void setCompression(std::shared_ptr<const cwb::CompressedModel> result,
                        std::shared_ptr<const cwb::Model> source = nullptr);
    [[nodiscard]] const std::shared_ptr<const cwb::CompressedModel> &compression() const
    {
        return compression_;
    }
    // The model the compression's tensors replace weights of: the open model, or the smaller
    // model a structure step left. What an evaluation, comparison or export of the compression
    // runs with compressedWeights(). Null without a compression.
    [[nodiscard]] const std::shared_ptr<const cwb::Model> &compressedSource() const
    {
        return compressedSource_;
    }
    // Its tensors as engine replacements (what an evaluation of the compressed model uses).
    [[nodiscard]] const std::shared_ptr<const cwb::CompressedReplacements> &
    compressedWeights() const
    {
        return compressedWeights_;
    }
    // "4.25 bits/weight": how the runs table and the Weights choice name it.
    [[nodiscard]] QString compressionLabel() const;

    // The open model's sensitivity analysis (choose/sensitivity.h); null before one finished and
    // after another model was installed.
    void setSensitivity(std::shared_ptr<const cwb::SensitivityTable> table);
    [[nodiscard]] const std::shared_ptr<const cwb::SensitivityTable> &sensitivity() const
    {
        return sensitivity_;
    }

    // The open model's evaluation history (project/evaluation_history.h): the points its project
    // holds and those sweeps measured since; emptied when another model is installed.
    void setHistory(std::vector<cwb::HistoryPoint> history);
    // Adds a point, or replaces the one with its key.
    void addHistoryPoint(const cwb::HistoryPoint &point);
    [[nodiscard]] const std::vector<cwb::HistoryPoint> &history() const { return history_; }

    // Finished evaluation runs, of every model opened in this window, in the order they ended.
    [[nodiscard]] EvaluationRunsModel *runs() const { return runs_; }
    void addRun(const EvaluationRun &run);

Q_SIGNALS:
    void openStarted(const QString &path);
    // model() and path() are new; analysis() and plan() already belong to it.
    void modelChanged();
    void openFailed(const QString &path, const QString &message);
    void openCancelled(const QString &path);
    void compressionChanged();
    void sensitivityChanged();
    void historyChanged();
    void runsChanged();

private:
    JobService *jobs_ = nullptr;
    std::shared_ptr<const cwb::Model> model_;
    QString path_;
    int openJob_ = 0;
    AnalysisController *analysis_ = nullptr;
    LayerPlanModel *plan_ = nullptr;
    std::shared_ptr<const cwb::CompressedModel> compression_;
    std::shared_ptr<const cwb::CompressedReplacements> compressedWeights_;
    std::shared_ptr<const cwb::Model> compressedSource_;
    std::shared_ptr<const cwb::SensitivityTable> sensitivity_;
    std::vector<cwb::HistoryPoint> history_;
    EvaluationRunsModel *runs_ = nullptr;
};

} // namespace cwb::gui
