// SPDX-License-Identifier: MIT
#include "compression_job.h"

#include "compress/archive.h"
#include "model/model.h"
#include "util/error.h"

#include <QFutureWatcher>
#include <QMetaObject>
#include <QtConcurrent/QtConcurrentRun>

#include <chrono>
#include <exception>
#include <mutex>
#include <utility>

namespace cwb::gui {
namespace {

constexpr auto kProgressInterval = std::chrono::milliseconds(50);

struct Outcome {
    std::shared_ptr<const cwb::CompressedModel> result;
    QString error;
    bool cancelled = false;
};

} // namespace

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
    auto *watcher = new QFutureWatcher<Outcome>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher] {
        running_ = false;
        watcher->deleteLater();
        if (watcher->future().resultCount() == 0) {
            Q_EMIT failed(tr("The compression ended without a result."));
            return;
        }
        const Outcome o = watcher->result();
        if (o.cancelled)
            Q_EMIT cancelled();
        else if (o.result)
            Q_EMIT succeeded(o.result);
        else
            Q_EMIT failed(o.error);
    });

    // Captures `this` for the flag and to post: the destructor waits for the worker first.
    const QFuture<Outcome> future = QtConcurrent::run([this] {
        Outcome o;
        cwb::JobContext ctx;
        ctx.cancelFlag = &cancel_;
        std::mutex postMutex;
        std::chrono::steady_clock::time_point lastPost{};
        const double writeShare = archivePath_.isEmpty() ? 0.0 : 0.05;
        const auto post = [&](double fraction, const std::string &what) {
            const std::lock_guard lock(postMutex);
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
        try {
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
            o.result = std::move(result);
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
