// SPDX-License-Identifier: MIT
#include "app_setup.h"

#include <QApplication>
#include <QLibraryInfo>
#include <QLocale>
#include <QSettings>
#include <QTranslator>

// Q_INIT_RESOURCE must not be used inside a namespace.
static void initCwbResources() { Q_INIT_RESOURCE(resources); }

namespace cwb::gui {

void initResources() { initCwbResources(); }

QIcon applicationIcon() { return QIcon(QStringLiteral(":/icons/compression-workbench.svg")); }

QString installTranslations(QApplication &app, const QSettings &settings)
{
    const QString choice = settings.value(QLatin1String(kLanguageKey)).toString();
    const QLocale locale = choice.isEmpty() ? QLocale::system() : QLocale(choice);
    if (!choice.isEmpty())
        QLocale::setDefault(locale);

    auto *qt = new QTranslator(&app);
    if (qt->load(locale, QStringLiteral("qtbase"), QStringLiteral("_"),
                 QLibraryInfo::path(QLibraryInfo::TranslationsPath)))
        QApplication::installTranslator(qt);
    else
        delete qt;

    auto *own = new QTranslator(&app);
    if (own->load(locale, QStringLiteral("cwb"), QStringLiteral("_"), QStringLiteral(":/i18n"))) {
        QApplication::installTranslator(own);
        return own->language().section(QLatin1Char('_'), 0, 0);
    }
    delete own;
    return {};
}

} // namespace cwb::gui
