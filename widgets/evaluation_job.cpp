// SPDX-License-Identifier: MIT
#include "evaluation_job.h"

#include "model/model.h"
#include "util/error.h"

#include <QFutureWatcher>
#include <QMetaObject>
#include <QtConcurrent/QtConcurrentRun>

#include <chrono>
#include <exception>
#include <optional>
#include <utility>

namespace cwb::gui {
namespace {

// A small model finishes thousands of windows a second; the GUI needs far fewer updates.
constexpr auto kProgressInterval = std::chrono::milliseconds(50);

struct Outcome {
    std::optional<cwb::EvalResult> result;
    QString error;
    bool cancelled = false;
};

} // namespace

EvaluationJob::EvaluationJob(std::shared_ptr<const cwb::Model> model, cwb::EvalParams params,
                             QObject *parent)
    : QObject(parent), model_(std::move(model)), params_(std::move(params))
{
    params_.model = model_.get();
}

EvaluationJob::~EvaluationJob()
{
    cancel_.store(true);
    future_.waitForFinished();
}

void EvaluationJob::cancel() { cancel_.store(true); }

void EvaluationJob::start()
{
    if (started_)
        return;
    started_ = true;
    auto *watcher = new QFutureWatcher<Outcome>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher] {
        running_ = false;
        watcher->deleteLater();
        if (watcher->future().resultCount() == 0) {
            Q_EMIT failed(tr("The evaluation ended without a result."));
            return;
        }
        const Outcome o = watcher->result();
        if (o.cancelled)
            Q_EMIT cancelled();
        else if (o.result)
            Q_EMIT succeeded(*o.result);
        else
            Q_EMIT failed(o.error);
    });

    // Captures `this` for the cancel flag and to post progress: the destructor waits for the
    // worker first. `model` keeps the weights params.model points at alive.
    const QFuture<Outcome> future = QtConcurrent::run([this, model = model_, params = params_] {
        Outcome o;
        cwb::JobContext ctx;
        ctx.cancelFlag = &cancel_;
        std::chrono::steady_clock::time_point lastPost{};
        ctx.progress = [this, &lastPost](double fraction, const std::string &what) {
            const auto now = std::chrono::steady_clock::now();
            if (fraction < 1.0 && now - lastPost < kProgressInterval)
                return;
            lastPost = now;
            QMetaObject::invokeMethod(
                this,
                [this, fraction, text = QString::fromStdString(what)] {
                    Q_EMIT progressed(fraction, text);
                },
                Qt::QueuedConnection);
        };
        try {
            o.result = cwb::runEvaluation(params, ctx);
        } catch (const cwb::Cancelled &) {
            o.cancelled = true;
        } catch (const std::exception &e) {
            o.error = QString::fromUtf8(e.what());
        }
        return o;
    });
    running_ = true;
    future_ = QFuture<void>(future);
    watcher->setFuture(future);
}

} // namespace cwb::gui
