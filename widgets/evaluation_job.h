// SPDX-License-Identifier: MIT
#pragma once
// One cwb::runEvaluation() on the global thread pool, wrapped for the GUI thread. Progress is
// posted to the GUI thread as queued calls (throttled; the last window always arrives), cancel()
// raises the atomic flag core polls between windows and layers, and the destructor cancels and
// waits, so the worker never outlives the object it posts to.

#include "eval/evaluation.h"

#include <QFuture>
#include <QObject>
#include <QString>

#include <atomic>
#include <memory>

namespace cwb::gui {

class EvaluationJob : public QObject {
    Q_OBJECT

public:
    // The job holds `model` until it finishes, so a model switch in the GUI cannot pull the
    // weights from under it; params.model is pointed at it.
    EvaluationJob(std::shared_ptr<const cwb::Model> model, cwb::EvalParams params,
                  QObject *parent = nullptr);
    ~EvaluationJob() override; // cancels and waits

    void start(); // once
    void cancel();

    [[nodiscard]] bool isRunning() const { return running_; }
    [[nodiscard]] bool isCancelRequested() const { return cancel_.load(); }
    [[nodiscard]] const cwb::EvalParams &params() const { return params_; }

Q_SIGNALS:
    // fraction in [0,1]; `what` is core's label ("window 3/100: ppl 4.21").
    void progressed(double fraction, const QString &what);
    // Exactly one of these three ends every started job.
    void succeeded(const cwb::EvalResult &result);
    void failed(const QString &message);
    void cancelled();

private:
    std::shared_ptr<const cwb::Model> model_;
    cwb::EvalParams params_;
    std::atomic<bool> cancel_{false};
    QFuture<void> future_;
    bool started_ = false; // a default QFuture reads as started (and cancelled): not usable here
    bool running_ = false;
};

} // namespace cwb::gui
