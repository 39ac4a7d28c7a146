// SPDX-License-Identifier: MIT
#include "remembered_dir.h"

#include <QFileDialog>
#include <QFileInfo>
#include <QSettings>

namespace cwb::gui {
namespace {

QString startIn(const QString &key, const QString &start)
{
    return start.isEmpty() ? QSettings().value(key).toString() : start;
}

void remember(const QString &key, const QString &path)
{
    if (!path.isEmpty())
        QSettings().setValue(key, QFileInfo(path).absolutePath());
}

} // namespace

QString openFileRemembering(QWidget *parent, const QString &title, const QString &key,
                            const QString &filter, const QString &start)
{
    const QString path =
        QFileDialog::getOpenFileName(parent, title, startIn(key, start), filter);
    remember(key, path);
    return path;
}

QStringList openFilesRemembering(QWidget *parent, const QString &title, const QString &key,
                                 const QString &filter)
{
    const QStringList paths =
        QFileDialog::getOpenFileNames(parent, title, startIn(key, {}), filter);
    if (!paths.isEmpty())
        remember(key, paths.first());
    return paths;
}

QString saveFileRemembering(QWidget *parent, const QString &title, const QString &key,
                            const QString &filter)
{
    const QString path = QFileDialog::getSaveFileName(parent, title, startIn(key, {}), filter);
    remember(key, path);
    return path;
}

} // namespace cwb::gui
