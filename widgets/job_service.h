// SPDX-License-Identifier: MIT
#pragma once
// The one way the GUI runs long work (Qt Creator's ProgressManager pattern). run() takes a
// callable `R work(const cwb::JobContext &)` and runs it on the service's thread pool; the
// context's progress is posted to the GUI thread at most every 50 ms (the last report always
// arrives) and its cancel flag is the job's. The outcome (result, error message or cancelled)
// reaches a typed continuation on the GUI thread, and every job is announced with signals that
// the Jobs dock (JobsPanel::follow) shows as a row with progress, ETA and Cancel.
//
// Lifetime: the destructor and shutdown() cancel every job and wait for it. An object that a
// job's work posts to (QMetaObject::invokeMethod, e.g. streamed per-tensor results) waits for
// that job in its own destructor (cancelAndWait), so no worker outlives what it posts to. The
// work itself holds what it reads (shared_ptr copies), never the widgets.

#include "jobs/job_context.h"

#include <QHash>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QThreadPool>

#include <functional>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

namespace cwb::gui {

enum class JobState { Running, Done, Failed, Cancelled };

// How a job is shown.
struct JobOptions {
    QString title; // the Jobs dock's row title ("Analyze stories260K.gguf")
    // The row leaves the Jobs dock when the job ends without an error: view jobs that run on
    // every selection (histograms) would otherwise fill the list.
    bool transient = false;
    // Starting the job brings up the Jobs dock (work the user started and waits for). Opening a
    // model and view jobs leave the dock as it is.
    bool reveal = true;
};

// What a continuation receives on the GUI thread. It may set `message`: the Jobs dock shows it
// after "Done in 1.2 s" (or instead of the error text).
struct JobEnd {
    int id = 0;
    JobState state = JobState::Done;
    QString error; // Failed: the exception's message
    QString message;
    [[nodiscard]] bool ok() const { return state == JobState::Done; }
    [[nodiscard]] bool cancelled() const { return state == JobState::Cancelled; }
};

template <class R>
struct JobOutcome : JobEnd {
    std::optional<R> result; // set exactly when ok()
};
template <>
struct JobOutcome<void> : JobEnd {};

class JobService : public QObject {
    Q_OBJECT

public:
    // Progress on the GUI thread: fraction in [0, 1] and core's label.
    using Progress = std::function<void(double fraction, const QString &what)>;

    // `maxThreads` 0: enough threads that a quick view job never waits behind long jobs (each
    // long job parallelises inside core with its own threads).
    explicit JobService(QObject *parent = nullptr, int maxThreads = 0);
    ~JobService() override; // shutdown()

    // Starts `work` (callable as R(const cwb::JobContext &)); returns the job's id (1, 2, ...).
    // `done(JobOutcome<R> &)` and `progress` run on the GUI thread, and only while `receiver`
    // lives (receiver null: always). A cancelled or failed job has no result.
    template <class Work, class Done>
    int run(const JobOptions &options, QObject *receiver, Work work, Done done,
            Progress progress = {});

    // Raises the job's cancel flag; the job ends as Cancelled once core sees it (or Done when it
    // finished first). Unknown or finished ids are ignored.
    void cancel(int id);
    // cancel(), then blocks until the job's work has returned (its continuation is dropped).
    void cancelAndWait(int id);
    // Cancels every job and waits for all of them; later run() calls still work.
    void shutdown();

    [[nodiscard]] bool isRunning(int id) const { return jobs_.contains(id); }
    [[nodiscard]] bool isCancelRequested(int id) const;
    [[nodiscard]] int runningCount() const { return static_cast<int>(jobs_.size()); }
    [[nodiscard]] JobOptions options(int id) const;
    [[nodiscard]] int maxThreadCount() const { return pool_.maxThreadCount(); }

Q_SIGNALS:
    void jobStarted(int id, const QString &title);
    void jobProgressed(int id, double fraction, const QString &what);
    // After the job's continuation ran; `message` is JobEnd::message, or the error text.
    void jobFinished(int id, cwb::gui::JobState state, const QString &message);

private:
    struct Job;
    using Body = std::function<void(const cwb::JobContext &)>;
    using Finish = std::function<void(JobEnd &)>;

    int launch(const JobOptions &options, QObject *receiver, Body body, Finish finish,
               Progress progress);
    void onProgress(int id, double fraction, const QString &what);
    void onFinished(int id, JobEnd end);

    QThreadPool pool_;
    QHash<int, std::shared_ptr<Job>> jobs_; // running jobs
    int nextId_ = 1;
};

template <class Work, class Done>
int JobService::run(const JobOptions &options, QObject *receiver, Work work, Done done,
                    Progress progress)
{
    using R = std::invoke_result_t<Work &, const cwb::JobContext &>;
    if constexpr (std::is_void_v<R>) {
        return launch(
            options, receiver, Body(std::move(work)),
            [done = std::move(done)](JobEnd &end) mutable {
                JobOutcome<void> o;
                static_cast<JobEnd &>(o) = end;
                done(o);
                end.message = o.message;
            },
            std::move(progress));
    } else {
        // Written by the worker, read on the GUI thread after the future finished.
        auto slot = std::make_shared<std::optional<R>>();
        return launch(
            options, receiver,
            [slot, work = std::move(work)](const cwb::JobContext &ctx) mutable {
                slot->emplace(work(ctx));
            },
            [slot, done = std::move(done)](JobEnd &end) mutable {
                JobOutcome<R> o;
                static_cast<JobEnd &>(o) = end;
                if (end.ok())
                    o.result = std::move(*slot);
                done(o);
                end.message = o.message;
            },
            std::move(progress));
    }
}

} // namespace cwb::gui

Q_DECLARE_METATYPE(cwb::gui::JobState)
