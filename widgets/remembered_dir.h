// SPDX-License-Identifier: MIT
#pragma once
// File dialogs that start in the directory the user last chose with the same settings key
// ("evaluate/textDirectory") and remember the new one: the pattern every panel's Browse…
// buttons share. An empty result means the user cancelled.

#include <QString>
#include <QStringList>

class QWidget;

namespace cwb::gui {

// `start` (a file or directory) wins over the remembered directory when it is not empty.
[[nodiscard]] QString openFileRemembering(QWidget *parent, const QString &title,
                                          const QString &key, const QString &filter,
                                          const QString &start = {});
[[nodiscard]] QStringList openFilesRemembering(QWidget *parent, const QString &title,
                                               const QString &key, const QString &filter);
[[nodiscard]] QString saveFileRemembering(QWidget *parent, const QString &title,
                                          const QString &key, const QString &filter);

} // namespace cwb::gui
