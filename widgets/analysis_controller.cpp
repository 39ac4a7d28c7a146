// SPDX-License-Identifier: MIT
#include "analysis_controller.h"

#include "document.h"
#include "job_service.h"

#include "model/model.h"
#include "model/model_fingerprint.h"
#include "project/project_file.h"

#include <QFileInfo>

#include <QMetaObject>

#include <algorithm>
#include <utility>

namespace cwb::gui {

namespace {

// Paths as the user typed them may be relative or go through links: compare the files.
bool samePath(const QString &a, const QString &b)
{
    const QFileInfo fa(a), fb(b);
    const QString ca = fa.canonicalFilePath(), cb = fb.canonicalFilePath();
    if (!ca.isEmpty() && !cb.isEmpty())
        return ca == cb;
    return fa.absoluteFilePath() == fb.absoluteFilePath();
}

// Analysis parameters back from a project's /settings (keys of cwb::analysisSettings); missing
// or unreadable values keep their defaults.
cwb::ModelAnalysisParams paramsFromSettings(const std::map<std::string, std::string> &s)
{
    cwb::ModelAnalysisParams p;
    const auto text = [&s](const char *key) {
        const auto it = s.find(key);
        return it == s.end() ? QString() : QString::fromStdString(it->second);
    };
    p.spectra = text("spectra") == QLatin1String("true");
    bool ok = false;
    if (const double k = text("stats.outlier_factor").toDouble(&ok); ok && k > 0)
        p.stats.outlierFactor = k;
    p.calibrationText = text("calibration.text").toStdString();
    if (const double k = text("calibration.outlier_factor").toDouble(&ok); ok && k > 0)
        p.activations.outlierFactor = k;
    return p;
}

} // namespace

AnalysisController::AnalysisController(Document *document)
    : QObject(document), document_(document), jobs_(document->jobs())
{
    // Both are saved with the project, so they change what Save can do.
    connect(document_, &Document::sensitivityChanged, this,
            &AnalysisController::projectContentChanged);
    connect(document_, &Document::historyChanged, this,
            &AnalysisController::projectContentChanged);
}

AnalysisController::~AnalysisController()
{
    // The analysis posts each finished tensor to this object: it must end before we do.
    if (jobs_ && job_)
        jobs_->cancelAndWait(job_);
}

const std::shared_ptr<const cwb::Model> &AnalysisController::model() const
{
    return document_->model();
}

QString AnalysisController::modelFileName() const
{
    const auto &model = document_->model();
    return model ? QFileInfo(QString::fromStdString(model->path)).fileName() : QString();
}

void AnalysisController::resetForModel()
{
    cancel();
    ++generation_; // events still in flight belong to the old model
    running_ = false;
    job_ = 0;
    projectPath_.clear();
    clearResults();
    Q_EMIT resultsReset();
    if (pending_) {
        const auto &model = document_->model();
        if (model && samePath(QString::fromStdString(model->path),
                              QString::fromStdString(pending_->model.path))) {
            matchPending();
        } else { // another model was opened meanwhile: the project no longer applies
            const QString path = pendingPath_;
            const QString wanted = QString::fromStdString(pending_->model.path);
            pending_.reset();
            pendingPath_.clear();
            Q_EMIT projectFailed(path,
                                 tr("The project belongs to %1, which is not the open model.")
                                     .arg(wanted));
        }
    }
}

void AnalysisController::clearResults()
{
    analysis_ = cwb::ModelAnalysis{};
    have_.clear();
    index_.clear();
    resultCount_ = 0;
    complete_ = false;
    const auto &model = document_->model();
    if (!model)
        return;
    const auto &tensors = model->tensors;
    analysis_.tensors.resize(tensors.size());
    have_.assign(tensors.size(), 0);
    // Canonical names first, so an original name that equals another tensor's canonical wins.
    for (int i = 0; i < static_cast<int>(tensors.size()); ++i)
        if (!tensors[i].canonical.empty())
            index_.insert(QString::fromStdString(tensors[i].canonical), i);
    for (int i = 0; i < static_cast<int>(tensors.size()); ++i)
        index_.insert(QString::fromStdString(tensors[i].name), i);
}

const cwb::TensorAnalysis *AnalysisController::result(const QString &nameOrCanonical) const
{
    const auto it = index_.constFind(nameOrCanonical);
    if (it == index_.constEnd() || !have_[static_cast<size_t>(*it)])
        return nullptr;
    return &analysis_.tensors[static_cast<size_t>(*it)];
}

const cwb::ActivationStats *AnalysisController::activations() const
{
    return analysis_.activations ? &*analysis_.activations : nullptr;
}

bool AnalysisController::start(const cwb::ModelAnalysisParams &params)
{
    if (!document_->model() || running_ || isProjectBusy() || !jobs_)
        return false;
    const quint64 generation = ++generation_;
    clearResults();
    Q_EMIT resultsReset();
    params_ = params;
    projectPath_.clear(); // these results are not the project's any more
    running_ = true;

    // The job holds the model, so its tensors outlive any model switch in the GUI. Each finished
    // tensor is posted to this object, which waits for the job in its destructor.
    auto model = document_->model();
    using Result = std::shared_ptr<cwb::ModelAnalysis>;
    job_ = jobs_->run(
        {tr("Analyze %1").arg(modelFileName())}, this,
        [this, model, params, generation](const cwb::JobContext &ctx) -> Result {
            return std::make_shared<cwb::ModelAnalysis>(cwb::analyzeModel(
                *model, params, ctx, [this, generation](const cwb::TensorAnalysis &t) {
                    QMetaObject::invokeMethod(
                        this,
                        [this, generation, t = std::make_shared<const cwb::TensorAnalysis>(t)] {
                            onTensor(generation, *t);
                        },
                        Qt::QueuedConnection);
                }));
        },
        [this, generation](JobOutcome<Result> &o) {
            onFinished(generation, o.ok(), o.cancelled(), o.error,
                       o.result ? *o.result : nullptr);
            if (o.ok())
                o.message = tr("%n tensor(s)", nullptr, tensorCount());
        },
        [this, generation](double fraction, const QString &what) {
            if (generation == generation_)
                Q_EMIT progressChanged(fraction, what);
        });
    Q_EMIT started();
    return true;
}

void AnalysisController::cancel()
{
    if (jobs_ && job_)
        jobs_->cancel(job_);
}

void AnalysisController::onTensor(quint64 generation, const cwb::TensorAnalysis &tensor)
{
    if (generation != generation_)
        return; // superseded by a newer run or another model
    const size_t i = tensor.index;
    if (i >= have_.size())
        return;
    analysis_.tensors[i] = tensor;
    if (!have_[i]) {
        have_[i] = 1;
        ++resultCount_;
    }
    Q_EMIT tensorAnalyzed(QString::fromStdString(tensor.name));
}

void AnalysisController::onFinished(quint64 generation, bool ok, bool cancelled,
                                    const QString &error,
                                    std::shared_ptr<cwb::ModelAnalysis> final)
{
    if (generation != generation_)
        return; // superseded by a newer run or another model
    running_ = false;
    job_ = 0;
    if (cancelled) {
        Q_EMIT this->cancelled();
        return;
    }
    if (!ok) {
        Q_EMIT failed(error);
        return;
    }
    if (final && final->tensors.size() == have_.size()) {
        analysis_ = std::move(*final);
        have_.assign(have_.size(), 1);
        resultCount_ = static_cast<int>(have_.size());
        complete_ = true;
        if (analysis_.activations)
            Q_EMIT activationsChanged();
    }
    Q_EMIT finished();
}

bool AnalysisController::saveProject(const QString &path)
{
    const auto &model = document_->model();
    if (!model || !canSaveProject() || !jobs_)
        return false;
    ++projectJobs_;
    // Copies: the GUI keeps showing (and may replace) its results while the file is written.
    auto analysis =
        complete_ ? std::make_shared<cwb::ModelAnalysis>(analysis_) : nullptr;
    const cwb::ModelAnalysisParams params = params_;
    const std::vector<cwb::HistoryPoint> history = document_->history();
    const std::shared_ptr<const cwb::SensitivityTable> sensitivity = document_->sensitivity();
    jobs_->run(
        {tr("Save project %1").arg(QFileInfo(path).fileName())}, this,
        [model, analysis, params, history, sensitivity, path](const cwb::JobContext &ctx) {
            // Fingerprinting reads the model; a cancel before the write leaves no file.
            cwb::Project project = analysis
                                       ? cwb::makeProject(*model, std::move(*analysis), params)
                                       : cwb::emptyProject(*model);
            // The points sweeps measured on this model stay in the file, with the window's.
            project.history = cwb::historyToKeep(path.toStdString(), project.model);
            for (const cwb::HistoryPoint &h : history) {
                const auto same =
                    std::find_if(project.history.begin(), project.history.end(),
                                 [&](const cwb::HistoryPoint &p) { return p.key == h.key; });
                if (same == project.history.end())
                    project.history.push_back(h);
            }
            if (sensitivity)
                project.sensitivity = *sensitivity;
            ctx.report(0.5, tr("Writing %1").arg(path).toStdString());
            ctx.checkCancelled();
            cwb::writeProject(path.toStdString(), project);
            ctx.report(1.0);
        },
        [this, path](JobOutcome<void> &o) {
            --projectJobs_;
            if (o.cancelled()) {
                Q_EMIT projectCancelled(path);
            } else if (!o.ok()) {
                Q_EMIT projectFailed(path, o.error);
            } else {
                projectPath_ = path;
                Q_EMIT projectSaved(path);
            }
        });
    return true;
}

bool AnalysisController::canSaveProject() const
{
    return document_->model() && !running_ && !isProjectBusy()
        && (complete_ || document_->sensitivity() || !document_->history().empty());
}

bool AnalysisController::openProject(const QString &path)
{
    if (running_ || isProjectBusy() || !jobs_)
        return false;
    ++projectJobs_;
    using Result = std::shared_ptr<cwb::Project>;
    jobs_->run(
        {tr("Open project %1").arg(QFileInfo(path).fileName())}, this,
        [path](const cwb::JobContext &ctx) -> Result {
            auto project = std::make_shared<cwb::Project>(cwb::readProject(path.toStdString()));
            ctx.checkCancelled(); // nothing changed yet: a cancel drops what was read
            return project;
        },
        [this, path](JobOutcome<Result> &o) {
            --projectJobs_;
            if (o.cancelled()) {
                Q_EMIT projectCancelled(path);
                return;
            }
            if (!o.ok()) {
                Q_EMIT projectFailed(path, o.error);
                return;
            }
            pending_ = std::move(*o.result);
            pendingPath_ = path;
            const QString modelPath = QString::fromStdString(pending_->model.path);
            const auto &model = document_->model();
            if (model && samePath(QString::fromStdString(model->path), modelPath))
                matchPending();
            else
                Q_EMIT modelRequested(modelPath); // resetForModel() continues once it is open
        });
    return true;
}

void AnalysisController::matchPending()
{
    cancel();
    ++generation_;
    running_ = false;
    job_ = 0;
    ++projectJobs_;
    auto model = document_->model();
    auto project = pending_;
    // Fingerprinting reads the model's first MiB and sampled pages: not on the GUI thread.
    jobs_->run(
        {tr("Check project %1").arg(QFileInfo(pendingPath_).fileName())}, this,
        [model, project](const cwb::JobContext &ctx) {
            cwb::ModelFingerprint fingerprint = cwb::fingerprintModel(*model);
            ctx.checkCancelled();
            return cwb::matchProject(project->model, fingerprint);
        },
        [this, model](JobOutcome<cwb::ProjectMatch> &o) {
            --projectJobs_;
            std::shared_ptr<cwb::Project> project = std::move(pending_);
            const QString path = pendingPath_;
            pendingPath_.clear();
            if (!project || model != document_->model())
                return; // another model was opened meanwhile (resetForModel reported it)
            if (o.cancelled()) {
                Q_EMIT projectCancelled(path);
            } else if (!o.ok()) {
                Q_EMIT projectFailed(path, o.error);
            } else if (o.result->stale) {
                Q_EMIT projectStale(path, QString::fromStdString(o.result->reason));
            } else if (!project->analysis.tensors.empty()
                       && project->analysis.tensors.size() != have_.size()) {
                Q_EMIT projectFailed(path, tr("The project has %1 tensors, the model %2.")
                                               .arg(project->analysis.tensors.size())
                                               .arg(have_.size()));
            } else {
                installProject(std::move(*project), path);
            }
        });
}

void AnalysisController::installProject(cwb::Project &&project, const QString &path)
{
    // A project may hold only a sensitivity table or a history (cwb sensitivity and cwb sweep
    // write those without an analysis): then the analysis shown stays as it is.
    if (!project.analysis.tensors.empty()) {
        clearResults();
        analysis_ = std::move(project.analysis);
        have_.assign(have_.size(), 1);
        resultCount_ = static_cast<int>(have_.size());
        complete_ = true;
        params_ = paramsFromSettings(project.settings);
    }
    projectPath_ = path;
    document_->setHistory(std::move(project.history));
    if (project.sensitivity)
        document_->setSensitivity(
            std::make_shared<const cwb::SensitivityTable>(std::move(*project.sensitivity)));
    Q_EMIT resultsReset();
    if (analysis_.activations)
        Q_EMIT activationsChanged();
    Q_EMIT projectOpened(path);
}

} // namespace cwb::gui
