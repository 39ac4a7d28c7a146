// SPDX-License-Identifier: MIT
#include "recent_files.h"

#include <QFileInfo>
#include <QSettings>

namespace cwb::gui {
namespace {

const QString kKey = QStringLiteral("recentFiles");

} // namespace

QStringList recentFiles(QSettings &settings)
{
    const QStringList stored = settings.value(kKey).toStringList();
    QStringList kept;
    for (const QString &p : stored)
        if (QFileInfo::exists(p) && !kept.contains(p) && kept.size() < kMaxRecentFiles)
            kept.append(p);
    if (kept != stored)
        settings.setValue(kKey, kept);
    return kept;
}

void addRecentFile(QSettings &settings, const QString &path)
{
    const QString absolute = QFileInfo(path).absoluteFilePath();
    QStringList list = recentFiles(settings);
    list.removeAll(absolute);
    list.prepend(absolute);
    while (list.size() > kMaxRecentFiles)
        list.removeLast();
    settings.setValue(kKey, list);
}

void clearRecentFiles(QSettings &settings) { settings.remove(kKey); }

} // namespace cwb::gui
