// SPDX-License-Identifier: MIT
#pragma once
// The GUI's command line: a model to open, a tensor to select, and a screenshot mode that saves
// the window as PNG once the histogram is on screen and then quits (scripts/screenshot.sh).

#include <QSize>
#include <QString>
#include <QStringList>

namespace cwb::gui {

class MainWindow;

struct LaunchOptions {
    QString modelPath;      // file or directory; empty: start with no model
    QString selectTensor;   // canonical or original name
    QString screenshotFile; // PNG to write; empty: normal interactive run
    QSize windowSize;       // invalid: restored/default size
    bool logCounts = false; // start with the histogram's log count axis
};

struct LaunchParse {
    LaunchOptions options;
    bool exit = false; // print `message` and exit with `exitCode` (help, version, errors)
    int exitCode = 0;
    QString message;
};

[[nodiscard]] LaunchParse parseLaunchOptions(const QStringList &arguments);

// Resizes the window, opens the model and selects the tensor. In screenshot mode the app exits
// with 0 after writing the PNG, or with 1 (and a message on stderr) when anything fails.
void applyLaunchOptions(MainWindow &window, const LaunchOptions &options);

} // namespace cwb::gui
