// SPDX-License-Identifier: MIT
#include "document.h"

#include "analysis_controller.h"
#include "evaluation_runs_model.h"
#include "job_service.h"
#include "layer_plan_model.h"

#include "analysis/sensitivity_table.h"
#include "io/open_model.h"
#include "model/model.h"

#include <QFile>
#include <QFileInfo>

#include <algorithm>
#include <utility>

namespace cwb::gui {

Document::Document(JobService *jobs, QObject *parent)
    : QObject(parent), jobs_(jobs), analysis_(new AnalysisController(this)),
      plan_(new LayerPlanModel(this)), runs_(new EvaluationRunsModel(this))
{
}

// The open job posts nothing to this object (its result reaches a continuation the service
// drops once we are gone); the analysis waits for its own job.
Document::~Document() = default;

void Document::open(const QString &path)
{
    if (openJob_)
        jobs_->cancel(openJob_); // superseded: its model, should it still arrive, is dropped
    using Result = std::shared_ptr<const cwb::Model>;
    JobOptions options;
    options.title = tr("Open %1").arg(QFileInfo(path).fileName());
    options.transient = true; // the browser shows the model; the dock keeps only a failure
    options.reveal = false;
    openJob_ = jobs_->run(
        options, this,
        [path](const cwb::JobContext &) -> Result {
            // Local 8-bit encoding: what the file system expects for std::string paths.
            return std::make_shared<const cwb::Model>(
                cwb::io::openModel(QFile::encodeName(path).toStdString()));
        },
        [this, path](JobOutcome<Result> &o) {
            if (o.id != openJob_)
                return; // a newer open() won
            openJob_ = 0;
            if (o.cancelled())
                Q_EMIT openCancelled(path);
            else if (!o.ok())
                Q_EMIT openFailed(path, o.error);
            else
                setModel(std::move(*o.result), path);
        });
    Q_EMIT openStarted(path);
}

void Document::setModel(std::shared_ptr<const cwb::Model> model, const QString &path)
{
    model_ = std::move(model);
    path_ = path;
    const bool hadCompression = compression_ != nullptr;
    const bool hadSensitivity = sensitivity_ != nullptr;
    const bool hadHistory = !history_.empty();
    compression_.reset();
    compressedWeights_.reset();
    compressedSource_.reset();
    sensitivity_.reset();
    history_.clear();
    // In this order, so that whoever hears modelChanged finds both already for the new model.
    analysis_->resetForModel();
    plan_->setModel(model_);
    Q_EMIT modelChanged();
    if (hadCompression)
        Q_EMIT compressionChanged();
    if (hadSensitivity)
        Q_EMIT sensitivityChanged();
    if (hadHistory)
        Q_EMIT historyChanged();
}

void Document::setHistory(std::vector<cwb::HistoryPoint> history)
{
    history_ = std::move(history);
    Q_EMIT historyChanged();
}

void Document::addHistoryPoint(const cwb::HistoryPoint &point)
{
    const auto same = std::find_if(history_.begin(), history_.end(),
                                   [&](const cwb::HistoryPoint &h) { return h.key == point.key; });
    if (same != history_.end())
        *same = point;
    else
        history_.push_back(point);
    Q_EMIT historyChanged();
}

void Document::setSensitivity(std::shared_ptr<const cwb::SensitivityTable> table)
{
    sensitivity_ = std::move(table);
    Q_EMIT sensitivityChanged();
}

const cwb::Recipe &Document::recipe() const { return plan_->recipe(); }

QUndoStack *Document::undoStack() const { return plan_->undoStack(); }

void Document::setCompression(std::shared_ptr<const cwb::CompressedModel> result,
                              std::shared_ptr<const cwb::Model> source)
{
    compression_ = std::move(result);
    compressedSource_.reset();
    if (compression_)
        compressedSource_ = source ? std::move(source) : model_;
    compressedWeights_ = compression_ ? std::make_shared<const cwb::CompressedReplacements>(
                                            cwb::replacementsOf(*compression_))
                                      : nullptr;
    Q_EMIT compressionChanged();
}

QString Document::compressionLabel() const
{
    return compression_ ? tr("%1 bits/weight").arg(compression_->totals.bitsPerWeight, 0, 'f', 2)
                        : QString();
}

void Document::addRun(const EvaluationRun &run)
{
    runs_->addRun(run);
    Q_EMIT runsChanged();
}

} // namespace cwb::gui
