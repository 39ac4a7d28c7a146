// SPDX-License-Identifier: MIT
// compression-workbench: the GUI executable. Wiring only — the window, the command line and the
// translations live in cwb_widgets.

#include "app_setup.h"
#include "launch_options.h"
#include "main_window.h"

#include <QApplication>
#include <QSettings>

#include <cstdio>

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("CompressionWorkbench"));
    QApplication::setApplicationName(QStringLiteral("compression-workbench"));
    QApplication::setApplicationDisplayName(QStringLiteral("Compression Workbench"));
    QApplication::setApplicationVersion(QStringLiteral(CWB_VERSION));
    QApplication::setDesktopFileName(QStringLiteral("compression-workbench"));

    cwb::gui::initResources();
    QApplication::setWindowIcon(cwb::gui::applicationIcon());
    cwb::gui::installTranslations(app, QSettings());

    const cwb::gui::LaunchParse parsed = cwb::gui::parseLaunchOptions(QApplication::arguments());
    if (parsed.exit) {
        std::fprintf(parsed.exitCode ? stderr : stdout, "%s\n", qPrintable(parsed.message));
        return parsed.exitCode;
    }

    cwb::gui::MainWindow window;
    window.show();
    cwb::gui::applyLaunchOptions(window, parsed.options);
    return QApplication::exec();
}
