// SPDX-License-Identifier: MIT
#pragma once
// One cwb::compressModel() (and, when an archive path is given, cwb::writeArchive()) on the
// global thread pool, wrapped for the GUI thread: progress and every finished tensor are posted
// as queued signals, cancel() raises the flag core polls (between and inside tensors; a
// cancelled run writes nothing), and the destructor cancels and waits.

#include "compress/compressed_model.h"
#include "pipeline/pipeline.h"
#include "recipe/plan.h"

#include <QFuture>
#include <QObject>
#include <QString>

#include <atomic>
#include <memory>

namespace cwb::gui {

// What the GUI shows of one finished tensor while the run goes on.
struct TensorResult {
    QString canonical;
    double relativeError = 0;
    double outputError = -1;
    double bitsPerWeight = 0;
    QString format;
    bool matrix = true; // false for 1-D tensors (norms, biases)
};

class CompressionJob : public QObject {
    Q_OBJECT

public:
    CompressionJob(std::shared_ptr<const cwb::Model> model, cwb::Plan plan,
                   cwb::CompressParams params, QString archivePath = {},
                   QObject *parent = nullptr);
    ~CompressionJob() override; // cancels and waits

    void start(); // once
    void cancel();
    [[nodiscard]] bool isRunning() const { return running_; }
    [[nodiscard]] bool isCancelRequested() const { return cancel_.load(); }
    [[nodiscard]] const QString &archivePath() const { return archivePath_; }

Q_SIGNALS:
    void progressed(double fraction, const QString &what);
    void tensorFinished(const cwb::gui::TensorResult &result);
    // Exactly one of these three ends every started job.
    void succeeded(std::shared_ptr<const cwb::CompressedModel> result);
    void failed(const QString &message);
    void cancelled();

private:
    std::shared_ptr<const cwb::Model> model_;
    cwb::Plan plan_;
    cwb::CompressParams params_;
    QString archivePath_;
    std::atomic<bool> cancel_{false};
    QFuture<void> future_;
    bool started_ = false;
    bool running_ = false;
};

} // namespace cwb::gui
