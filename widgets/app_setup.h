// SPDX-License-Identifier: MIT
#pragma once
// Process-wide GUI setup that lives in the library so the app and the tests share it:
// resources compiled into this static library, the UI language and the translators.

#include <QIcon>
#include <QString>

class QApplication;
class QSettings;

namespace cwb::gui {

// QSettings key of the chosen UI language: "" (follow the system), "en" or "de".
inline constexpr char kLanguageKey[] = "language";

// Registers resources.qrc (icons); a static library's resources need an explicit init.
void initResources();
[[nodiscard]] QIcon applicationIcon();

// Installs the translators for the language chosen in `settings` (Qt's own strings too, where
// Qt's translations are installed). An explicit choice also becomes the default QLocale, so numbers
// match the language. Returns the language whose translation was loaded ("de"), or "" for English.
QString installTranslations(QApplication &app, const QSettings &settings);

} // namespace cwb::gui
