// SPDX-License-Identifier: MIT
#pragma once
// What the GUI's job wrappers (EvaluationJob, CompressionJob) share: core work run on the global
// thread pool with its outcome delivered on the owner's thread, and progress posted there
// throttled (a small model finishes thousands of steps a second; the GUI needs far fewer).

#include "util/error.h"

#include <QFuture>
#include <QFutureWatcher>
#include <QMetaObject>
#include <QObject>
#include <QString>
#include <QtConcurrent/QtConcurrentRun>

#include <chrono>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

namespace cwb::gui {

// Exactly one of: a result, cancelled (cwb::Cancelled), or an error message.
template <class R>
struct BackgroundOutcome {
    std::optional<R> result;
    QString error;
    bool cancelled = false;
};

// Runs `work` on QThreadPool::globalInstance(); `finished` gets the outcome on `owner`'s thread
// (`noResult` as the error if the future ended without one). The caller keeps the returned
// future and waits for it before anything `work` uses goes away.
template <class R>
QFuture<void> runInBackground(QObject *owner, std::function<R()> work,
                              std::function<void(BackgroundOutcome<R>)> finished,
                              QString noResult)
{
    using Outcome = BackgroundOutcome<R>;
    auto *watcher = new QFutureWatcher<Outcome>(owner);
    QObject::connect(watcher, &QFutureWatcherBase::finished, owner,
                     [watcher, finished = std::move(finished), noResult = std::move(noResult)] {
                         watcher->deleteLater();
                         Outcome o;
                         if (watcher->future().resultCount() == 0)
                             o.error = noResult;
                         else
                             o = watcher->result();
                         finished(std::move(o));
                     });
    const QFuture<Outcome> future = QtConcurrent::run([work = std::move(work)] {
        Outcome o;
        try {
            o.result = work();
        } catch (const cwb::Cancelled &) {
            o.cancelled = true;
        } catch (const std::exception &e) {
            o.error = QString::fromUtf8(e.what());
        }
        return o;
    });
    watcher->setFuture(future);
    return QFuture<void>(future);
}

// Posts `post(fraction, text)` to `owner`'s thread at most every 50 ms (fraction 1 always);
// callable from any thread.
class ProgressPoster {
public:
    ProgressPoster(QObject *owner, std::function<void(double, const QString &)> post)
        : owner_(owner), post_(std::move(post))
    {
    }
    void operator()(double fraction, const std::string &what)
    {
        const std::lock_guard lock(mutex_);
        const auto now = std::chrono::steady_clock::now();
        if (fraction < 1.0 && now - last_ < std::chrono::milliseconds(50))
            return;
        last_ = now;
        QMetaObject::invokeMethod(
            owner_, [post = post_, fraction, text = QString::fromStdString(what)] {
                post(fraction, text);
            },
            Qt::QueuedConnection);
    }

private:
    QObject *owner_;
    std::function<void(double, const QString &)> post_;
    std::mutex mutex_;
    std::chrono::steady_clock::time_point last_{};
};

} // namespace cwb::gui
