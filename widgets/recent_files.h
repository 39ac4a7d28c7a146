// SPDX-License-Identifier: MIT
#pragma once
// The "Open Recent" list in QSettings: newest first, at most kMaxRecentFiles, and paths that no
// longer exist are dropped whenever the list is read.

#include <QStringList>

class QSettings;

namespace cwb::gui {

inline constexpr int kMaxRecentFiles = 10;

[[nodiscard]] QStringList recentFiles(QSettings &settings); // prunes missing paths
void addRecentFile(QSettings &settings, const QString &path);
void clearRecentFiles(QSettings &settings);

} // namespace cwb::gui
