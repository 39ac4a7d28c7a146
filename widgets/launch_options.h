// SPDX-License-Identifier: MIT
#pragma once
// The GUI's command line: a model to open, a tensor to select, an evaluation to set up (and run),
// an analysis to run (with the Inspector tab and the Model Overview to show), and a screenshot
// mode that saves the window as PNG once the histogram is on screen and the evaluation and the
// analysis have finished (or, with whileRunning, while they still run), then quits
// (scripts/screenshot.sh).

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
    QString evaluateText;   // non-empty: show the Evaluate panel with this text file
    int evalContext = 0;    // n_ctx; 0: the panel's default
    int evalChunks = -1;    // windows, 0 = all; -1: the panel's default
    bool evalLatency = false;
    bool runEvaluation = false; // start the evaluation once the model is open
    bool hideEvaluate = false;  // start with the Evaluate panel hidden
    bool analyze = false;       // run Analyze Model (with spectra) once the model is open
    QString calibrationText;    // analyze: calibration text for activation statistics
    double outlierFactor = 0;   // analyze: k of the outlier tests; 0: the default
    int inspectorTab = -1;      // InspectorWidget::Tab to show; -1: leave as is
    bool overview = false;      // show the Model Overview dock, tall
    QString recipeFile;         // a recipe to load into the Layer Plan
    bool compress = false;      // run the Layer Plan once the model is open
    QString compressCalibration; // calibration text for the compression
    // File > Export… once the model is open (and compressed, with --compress): the target's name
    // as `cwb export --to` spells it, and where to write; a screenshot then shows the dialog
    // with its preview, or with runExport the verification after the export.
    QString sensitivityText;   // run Analysis > Measure Sensitivity on this text once open
    QString projectFile;       // open this .cwbproj once the model is open (a screenshot waits)
    QString showPanel;         // "tradeoffs" or "sensitivity": that view, tall
    QString structuresText;    // run Analysis > Score Structures on this text once open
    QString exportTarget;
    QString exportOut;
    bool runExport = false;
    // The comparison view (Evaluate > Compare Runs…): two sides, each "model" (the open model),
    // "compressed" (its compression by --compress) or a model or archive file, run once the
    // model is open (and compressed); a screenshot waits for the result and shows `compareTab`
    // (ComparePanel::Tab) beside the slice table.
    QStringList compareSides;
    QString compareText;
    QStringList compareSlices;
    int compareContext = 0;  // 0: the panel's default
    int compareChunks = -1;  // -1: the panel's default (all)
    int compareTab = -1;     // -1: leave as is
    // Screenshot while the evaluation, analysis and compression still run, once each has shown
    // progress and a time estimate in the Jobs dock, instead of after they finished.
    bool whileRunning = false;
};

struct LaunchParse {
    LaunchOptions options;
    bool exit = false; // print `message` and exit with `exitCode` (help, version, errors)
    int exitCode = 0;
    QString message;
};

[[nodiscard]] LaunchParse parseLaunchOptions(const QStringList &arguments);

// Resizes the window, opens the model, selects the tensor and starts the evaluation. In
// screenshot mode the app exits with 0 after writing the PNG, or with 1 (and a message on
// stderr) when anything fails.
void applyLaunchOptions(MainWindow &window, const LaunchOptions &options);

} // namespace cwb::gui
