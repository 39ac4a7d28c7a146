// SPDX-License-Identifier: MIT
#include "job_service.h"

#include "util/error.h"

#include <QFuture>
#include <QFutureWatcher>
#include <QMetaObject>
#include <QThread>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <mutex>

namespace cwb::gui {
namespace {

// A small model finishes thousands of steps a second; the GUI needs far fewer.
constexpr auto kProgressInterval = std::chrono::milliseconds(50);
// Long jobs (analysis, evaluation, compression) can all run at once and still leave threads
// for the view jobs of a selection.
constexpr int kMinThreads = 6;

} // namespace

struct JobService::Job {
    JobOptions options;
    QPointer<QObject> receiver;
    bool hasReceiver = false;
    Finish finish;
    Progress progress;
    std::atomic<bool> cancel{false};
    QFuture<JobEnd> future;
    // Throttle state of the worker's progress reports.
    std::mutex mutex;
    std::chrono::steady_clock::time_point lastReport{};
};

JobService::JobService(QObject *parent, int maxThreads) : QObject(parent)
{
    qRegisterMetaType<cwb::gui::JobState>();
    pool_.setMaxThreadCount(maxThreads > 0 ? maxThreads
                                           : std::max(kMinThreads, QThread::idealThreadCount()));
}

JobService::~JobService() { shutdown(); }

int JobService::launch(const JobOptions &options, QObject *receiver, Body body, Finish finish,
                       Progress progress)
{
    const int id = nextId_++;
    auto job = std::make_shared<Job>();
    job->options = options;
    job->receiver = receiver;
    job->hasReceiver = receiver != nullptr;
    job->finish = std::move(finish);
    job->progress = std::move(progress);
    jobs_.insert(id, job);

    // `this` stays valid for the worker: the destructor waits for every job first.
    job->future = QtConcurrent::run(&pool_, [this, id, job, body = std::move(body)] {
        JobEnd end;
        end.id = id;
        cwb::JobContext ctx;
        ctx.cancelFlag = &job->cancel;
        ctx.progress = [this, id, job = job.get()](double f, const std::string &what) {
            {
                const std::lock_guard lock(job->mutex);
                const auto now = std::chrono::steady_clock::now();
                if (f < 1.0 && now - job->lastReport < kProgressInterval)
                    return;
                job->lastReport = now;
            }
            QMetaObject::invokeMethod(
                this,
                [this, id, f, text = QString::fromStdString(what)] { onProgress(id, f, text); },
                Qt::QueuedConnection);
        };
        try {
            ctx.checkCancelled(); // cancelled while queued: the work never starts
            body(ctx);
            end.state = JobState::Done;
        } catch (const cwb::Cancelled &) {
            end.state = JobState::Cancelled;
        } catch (const std::exception &e) {
            end.state = JobState::Failed;
            end.error = QString::fromUtf8(e.what());
        } catch (...) {
            end.state = JobState::Failed;
            end.error = tr("The job stopped with an unknown error.");
        }
        return end;
    });
    auto *watcher = new QFutureWatcher<JobEnd>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, id, watcher] {
        watcher->deleteLater();
        if (watcher->future().resultCount() > 0)
            onFinished(id, watcher->result());
    });
    watcher->setFuture(job->future);
    Q_EMIT jobStarted(id, options.title);
    return id;
}

void JobService::onProgress(int id, double fraction, const QString &what)
{
    const auto it = jobs_.constFind(id);
    if (it == jobs_.constEnd())
        return; // finished (or waited for) meanwhile
    const std::shared_ptr<Job> job = *it;
    Q_EMIT jobProgressed(id, fraction, what);
    if (job->progress && (!job->hasReceiver || job->receiver))
        job->progress(fraction, what);
}

void JobService::onFinished(int id, JobEnd end)
{
    const std::shared_ptr<Job> job = jobs_.take(id);
    if (!job)
        return; // cancelAndWait() already ended it
    if (job->finish && (!job->hasReceiver || job->receiver))
        job->finish(end);
    const QString message = end.message.isEmpty() ? end.error : end.message;
    Q_EMIT jobFinished(id, end.state, message);
}

void JobService::cancel(int id)
{
    if (const auto it = jobs_.constFind(id); it != jobs_.constEnd())
        (*it)->cancel.store(true);
}

void JobService::cancelAndWait(int id)
{
    const std::shared_ptr<Job> job = jobs_.take(id);
    if (!job)
        return;
    job->cancel.store(true);
    job->future.waitForFinished();
    Q_EMIT jobFinished(id, JobState::Cancelled, {});
}

bool JobService::isCancelRequested(int id) const
{
    const auto it = jobs_.constFind(id);
    return it != jobs_.constEnd() && (*it)->cancel.load();
}

JobOptions JobService::options(int id) const
{
    const auto it = jobs_.constFind(id);
    return it == jobs_.constEnd() ? JobOptions{} : (*it)->options;
}

void JobService::shutdown()
{
    for (const auto &job : std::as_const(jobs_))
        job->cancel.store(true);
    const auto ids = jobs_.keys();
    for (int id : ids)
        cancelAndWait(id);
    pool_.waitForDone();
}

} // namespace cwb::gui
