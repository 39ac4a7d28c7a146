// SPDX-License-Identifier: MIT
#include "evaluation_job.h"

#include "background_run.h"

#include "model/model.h"

#include <utility>

namespace cwb::gui {

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
    // Captures `this` for the cancel flag and to post progress: the destructor waits for the
    // worker first. `model` keeps the weights params.model points at alive.
    auto work = [this, model = model_, params = params_]() -> cwb::EvalResult {
        cwb::JobContext ctx;
        ctx.cancelFlag = &cancel_;
        ProgressPoster post(this, [this](double f, const QString &what) {
            Q_EMIT progressed(f, what);
        });
        ctx.progress = [&post](double f, const std::string &what) { post(f, what); };
        return cwb::runEvaluation(params, ctx);
    };
    future_ = runInBackground<cwb::EvalResult>(
        this, std::move(work),
        [this](BackgroundOutcome<cwb::EvalResult> o) {
            running_ = false;
            if (o.cancelled)
                Q_EMIT cancelled();
            else if (o.result)
                Q_EMIT succeeded(*o.result);
            else
                Q_EMIT failed(o.error);
        },
        tr("The evaluation ended without a result."));
    running_ = true;
}

} // namespace cwb::gui
