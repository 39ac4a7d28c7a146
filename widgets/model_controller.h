// SPDX-License-Identifier: MIT
#pragma once
// Opens models off the GUI thread (cwb::io::openModel on the global thread pool) and holds the
// open one. Errors come back as loadFailed with core's message verbatim; showing them is the
// window's business, so tests and scripts never block on a dialog.

#include <QFuture>
#include <QObject>
#include <QString>

#include <memory>

namespace cwb {
struct Model;
} // namespace cwb

namespace cwb::gui {

class ModelController : public QObject {
    Q_OBJECT

public:
    explicit ModelController(QObject *parent = nullptr);
    ~ModelController() override; // waits for a load in flight

    // Starts loading; a newer call supersedes an older load still in flight.
    void open(const QString &path);

    [[nodiscard]] const std::shared_ptr<const cwb::Model> &model() const { return model_; }
    [[nodiscard]] QString path() const { return path_; }
    [[nodiscard]] bool isLoading() const { return loading_ > 0; }

Q_SIGNALS:
    void loadStarted(const QString &path);
    void modelLoaded(const QString &path);
    void loadFailed(const QString &path, const QString &message);

private:
    std::shared_ptr<const cwb::Model> model_;
    QString path_;
    quint64 generation_ = 0;
    int loading_ = 0;
    QFuture<void> pending_;
};

} // namespace cwb::gui
