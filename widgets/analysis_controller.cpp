// SPDX-License-Identifier: MIT
#include "analysis_controller.h"

#include "model/model.h"
#include "project/project_file.h"
#include "util/error.h"

#include <QFileInfo>
#include <QFutureWatcher>
#include <QPromise>
#include <QtConcurrent/QtConcurrentRun>

#include <utility>

namespace cwb::gui {

// What the analysis job hands to the GUI thread: one per finished tensor, then one final event.
struct AnalysisEvent {
    std::shared_ptr<const cwb::TensorAnalysis> tensor; // a tensor finished
    std::shared_ptr<cwb::ModelAnalysis> final;         // the whole run finished
    QString error;
    bool cancelled = false;
};

namespace {

// The outcome of a project job (read, match, or write).
struct ProjectJobResult {
    std::shared_ptr<cwb::Project> project; // read
    cwb::ProjectMatch match;               // matched
    QString error;
};

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

AnalysisController::AnalysisController(QObject *parent) : QObject(parent) {}

AnalysisController::~AnalysisController()
{
    if (cancel_)
        cancel_->store(true);
    for (QFuture<void> &f : jobs_)
        f.waitForFinished();
}

void AnalysisController::track(QFutureWatcherBase *watcher, const QFuture<void> &future)
{
    const quint64 id = ++nextJob_;
    jobs_.insert(id, future);
    // Connected before the caller's own handlers, which may still read the watcher's result:
    // deleteLater keeps it alive until they ran.
    connect(watcher, &QFutureWatcherBase::finished, this, [this, id, watcher] {
        jobs_.remove(id);
        watcher->deleteLater();
    });
}

void AnalysisController::setModel(std::shared_ptr<const cwb::Model> model)
{
    cancel();
    ++generation_; // events still in flight belong to the old model
    running_ = false;
    model_ = std::move(model);
    projectPath_.clear();
    clearResults();
    Q_EMIT resultsReset();
    if (pending_) {
        if (model_ && samePath(QString::fromStdString(model_->path),
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
    if (!model_)
        return;
    const auto &tensors = model_->tensors;
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
    if (!model_ || running_ || isProjectBusy())
        return false;
    const quint64 generation = ++generation_;
    clearResults();
    Q_EMIT resultsReset();
    params_ = params;
    projectPath_.clear(); // these results are not the project's any more
    running_ = true;
    auto cancel = std::make_shared<std::atomic<bool>>(false);
    cancel_ = cancel;

    // The job holds the model, so its tensors outlive any model switch in the GUI.
    auto model = model_;
    QFuture<AnalysisEvent> future = QtConcurrent::run(
        [model, params, cancel](QPromise<AnalysisEvent> &promise) {
            cwb::JobContext ctx;
            ctx.cancelFlag = cancel.get();
            promise.setProgressRange(0, 1000);
            ctx.progress = [&promise](double f, const std::string &what) {
                promise.setProgressValueAndText(static_cast<int>(f * 1000),
                                                QString::fromStdString(what));
            };
            AnalysisEvent last;
            try {
                auto analysis = std::make_shared<cwb::ModelAnalysis>(cwb::analyzeModel(
                    *model, params, ctx, [&promise](const cwb::TensorAnalysis &t) {
                        AnalysisEvent e;
                        e.tensor = std::make_shared<const cwb::TensorAnalysis>(t);
                        promise.addResult(std::move(e));
                    }));
                last.final = std::move(analysis);
            } catch (const cwb::Cancelled &) {
                last.cancelled = true;
            } catch (const std::exception &e) {
                last.error = QString::fromUtf8(e.what());
            }
            promise.addResult(std::move(last));
        });

    auto *watcher = new QFutureWatcher<AnalysisEvent>(this);
    connect(watcher, &QFutureWatcherBase::resultsReadyAt, this,
            [this, generation, watcher](int begin, int end) {
                for (int i = begin; i < end; ++i)
                    onEvent(generation, watcher->resultAt(i));
            });
    connect(watcher, &QFutureWatcherBase::progressValueChanged, this,
            [this, generation, watcher](int value) {
                if (generation == generation_)
                    Q_EMIT progressChanged(value / 1000.0, watcher->progressText());
            });
    track(watcher, QFuture<void>(future));
    watcher->setFuture(future);
    Q_EMIT started();
    return true;
}

void AnalysisController::cancel()
{
    if (cancel_)
        cancel_->store(true);
    cancel_.reset();
}

void AnalysisController::onEvent(quint64 generation, const AnalysisEvent &event)
{
    if (generation != generation_)
        return; // superseded by a newer run or another model
    if (event.tensor) {
        const size_t i = event.tensor->index;
        if (i >= have_.size())
            return;
        analysis_.tensors[i] = *event.tensor;
        if (!have_[i]) {
            have_[i] = 1;
            ++resultCount_;
        }
        Q_EMIT tensorAnalyzed(QString::fromStdString(event.tensor->name));
        return;
    }
    running_ = false;
    cancel_.reset();
    if (event.cancelled) {
        Q_EMIT cancelled();
        return;
    }
    if (!event.error.isEmpty()) {
        Q_EMIT failed(event.error);
        return;
    }
    if (event.final && event.final->tensors.size() == have_.size()) {
        analysis_ = std::move(*event.final);
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
    if (!model_ || !complete_ || running_ || isProjectBusy())
        return false;
    ++projectJobs_;
    auto model = model_;
    // A copy: the GUI keeps showing (and may replace) its results while the file is written.
    auto analysis = std::make_shared<cwb::ModelAnalysis>(analysis_);
    const cwb::ModelAnalysisParams params = params_;
    QFuture<ProjectJobResult> future = QtConcurrent::run([model, analysis, params, path] {
        ProjectJobResult r;
        try {
            cwb::writeProject(path.toStdString(),
                              cwb::makeProject(*model, std::move(*analysis), params));
        } catch (const std::exception &e) {
            r.error = QString::fromUtf8(e.what());
        }
        return r;
    });
    auto *watcher = new QFutureWatcher<ProjectJobResult>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, path] {
        --projectJobs_;
        const ProjectJobResult r = watcher->result();
        if (!r.error.isEmpty()) {
            Q_EMIT projectFailed(path, r.error);
            return;
        }
        projectPath_ = path;
        Q_EMIT projectSaved(path);
    });
    track(watcher, QFuture<void>(future));
    watcher->setFuture(future);
    return true;
}

bool AnalysisController::openProject(const QString &path)
{
    if (running_ || isProjectBusy())
        return false;
    ++projectJobs_;
    QFuture<ProjectJobResult> future = QtConcurrent::run([path] {
        ProjectJobResult r;
        try {
            r.project = std::make_shared<cwb::Project>(cwb::readProject(path.toStdString()));
        } catch (const std::exception &e) {
            r.error = QString::fromUtf8(e.what());
        }
        return r;
    });
    auto *watcher = new QFutureWatcher<ProjectJobResult>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, path] {
        --projectJobs_;
        ProjectJobResult r = watcher->result();
        if (!r.error.isEmpty()) {
            Q_EMIT projectFailed(path, r.error);
            return;
        }
        pending_ = std::move(r.project);
        pendingPath_ = path;
        const QString modelPath = QString::fromStdString(pending_->model.path);
        if (model_ && samePath(QString::fromStdString(model_->path), modelPath))
            matchPending();
        else
            Q_EMIT modelRequested(modelPath); // setModel() continues once it is open
    });
    track(watcher, QFuture<void>(future));
    watcher->setFuture(future);
    return true;
}

void AnalysisController::matchPending()
{
    cancel();
    ++generation_;
    running_ = false;
    ++projectJobs_;
    auto model = model_;
    auto project = pending_;
    // Fingerprinting reads the model's first MiB and sampled pages: not on the GUI thread.
    QFuture<ProjectJobResult> future = QtConcurrent::run([model, project] {
        ProjectJobResult r;
        try {
            r.match = cwb::matchProject(project->model, cwb::fingerprintModel(*model));
        } catch (const std::exception &e) {
            r.error = QString::fromUtf8(e.what());
        }
        return r;
    });
    auto *watcher = new QFutureWatcher<ProjectJobResult>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, model] {
        --projectJobs_;
        const ProjectJobResult r = watcher->result();
        std::shared_ptr<cwb::Project> project = std::move(pending_);
        const QString path = pendingPath_;
        pendingPath_.clear();
        if (!project || model != model_)
            return; // another model was opened meanwhile (setModel reported it)
        if (!r.error.isEmpty()) {
            Q_EMIT projectFailed(path, r.error);
        } else if (r.match.stale) {
            Q_EMIT projectStale(path, QString::fromStdString(r.match.reason));
        } else if (project->analysis.tensors.size() != have_.size()) {
            Q_EMIT projectFailed(path, tr("The project has %1 tensors, the model %2.")
                                           .arg(project->analysis.tensors.size())
                                           .arg(have_.size()));
        } else {
            installProject(std::move(*project), path);
        }
    });
    track(watcher, QFuture<void>(future));
    watcher->setFuture(future);
}

void AnalysisController::installProject(cwb::Project &&project, const QString &path)
{
    clearResults();
    analysis_ = std::move(project.analysis);
    have_.assign(have_.size(), 1);
    resultCount_ = static_cast<int>(have_.size());
    complete_ = true;
    params_ = paramsFromSettings(project.settings);
    projectPath_ = path;
    Q_EMIT resultsReset();
    if (analysis_.activations)
        Q_EMIT activationsChanged();
    Q_EMIT projectOpened(path);
}

} // namespace cwb::gui
