// SPDX-License-Identifier: MIT
#include "model_controller.h"

#include "io/open_model.h"
#include "model/model.h"

#include <QFile>
#include <QFutureWatcher>
#include <QtConcurrent/QtConcurrentRun>

#include <exception>

namespace cwb::gui {

namespace {

struct LoadResult {
    std::shared_ptr<const cwb::Model> model;
    QString error;
};

LoadResult load(const QString &path)
{
    LoadResult r;
    try {
        // Local 8-bit encoding: what the file system expects for std::string paths.
        r.model = std::make_shared<const cwb::Model>(
            cwb::io::openModel(QFile::encodeName(path).toStdString()));
    } catch (const std::exception &e) {
        r.error = QString::fromUtf8(e.what());
    }
    return r;
}

} // namespace

ModelController::ModelController(QObject *parent) : QObject(parent) {}

ModelController::~ModelController() { pending_.waitForFinished(); }

void ModelController::open(const QString &path)
{
    const quint64 generation = ++generation_;
    auto *watcher = new QFutureWatcher<LoadResult>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, generation, path] {
        --loading_;
        watcher->deleteLater();
        if (generation != generation_)
            return; // a newer open() won
        const LoadResult r = watcher->result();
        if (!r.model) {
            Q_EMIT loadFailed(path, r.error);
            return;
        }
        model_ = r.model;
        path_ = path;
        Q_EMIT modelLoaded(path);
    });
    const QFuture<LoadResult> future = QtConcurrent::run(load, path);
    pending_ = QFuture<void>(future);
    watcher->setFuture(future);
    ++loading_;
    Q_EMIT loadStarted(path);
}

} // namespace cwb::gui
