// SPDX-License-Identifier: MIT
#include "compression_job.h"

#include "background_run.h"

#include "model/model.h"
#include "pipeline/archive.h"
#include "util/error.h"

#include <QMetaObject>

#include <utility>

namespace cwb::gui {

CompressionJob::CompressionJob(std::shared_ptr<const cwb::Model> model, cwb::Plan plan,
                               cwb::CompressParams params, QString archivePath, QObject *parent)
    : QObject(parent), model_(std::move(model)), plan_(std::move(plan)),
      params_(std::move(params)), archivePath_(std::move(archivePath))
{
}

CompressionJob::~CompressionJob()
{
    cancel_.store(true);
    future_.waitForFinished();
}

void CompressionJob::cancel() { cancel_.store(true); }

void CompressionJob::start()
{
    if (started_)
        return;
    started_ = true;
    // Captures `this` for the flag and to post: the destructor waits for the worker first.
    auto work = [this]() -> std::shared_ptr<const cwb::CompressedModel> {
        cwb::JobContext ctx;
        ctx.cancelFlag = &cancel_;
        ProgressPoster post(this, [this](double f, const QString &what) {
            Q_EMIT progressed(f, what);
        });
        const double writeShare = archivePath_.isEmpty() ? 0.0 : 0.05;
        ctx.progress = [&](double f, const std::string &what) { post(f * (1.0 - writeShare), what); };
        const auto onTensor = [this](const cwb::CompressedTensor &t, size_t, size_t) {
            TensorResult r;
            r.canonical = QString::fromStdString(t.canonical);
            r.relativeError = t.report.relativeError;
            r.outputError = t.report.outputError;
            r.bitsPerWeight = t.report.bitsPerWeight;
            r.format = QString::fromStdString(t.report.format);
            r.matrix = t.shape.size() >= 2;
            QMetaObject::invokeMethod(
                this, [this, r] { Q_EMIT tensorFinished(r); }, Qt::QueuedConnection);
        };
        auto result = std::make_shared<cwb::CompressedModel>(
            cwb::compressModel(*model_, plan_, params_, ctx, onTensor));
        if (!archivePath_.isEmpty()) {
            cwb::JobContext writeCtx;
            writeCtx.cancelFlag = &cancel_;
            writeCtx.progress = [&](double f, const std::string &what) {
                post(1.0 - writeShare + writeShare * f, what);
            };
            cwb::writeArchive(archivePath_.toStdString(), *result, writeCtx);
        }
        return result;
    };
    using Result = std::shared_ptr<const cwb::CompressedModel>;
    future_ = runInBackground<Result>(
        this, std::move(work),
        [this](BackgroundOutcome<Result> o) {
            running_ = false;
            if (o.cancelled)
                Q_EMIT cancelled();
            else if (o.result)
                Q_EMIT succeeded(*o.result);
            else
                Q_EMIT failed(o.error);
        },
        tr("The compression ended without a result."));
    running_ = true;
}

} // namespace cwb::gui
