// SPDX-License-Identifier: MIT
#include "launch_options.h"

#include "analysis_controller.h"
#include "compare_panel.h"
#include "compression_panel.h"
#include "document.h"
#include "evaluate_panel.h"
#include "export_dialog.h"
#include "histogram_panel.h"
#include "inspector_widget.h"
#include "job_service.h"
#include "jobs_eta.h"
#include "layer_plan_view.h"
#include "main_window.h"
#include "sensitivity_panel.h"
#include "structure_panel.h"

#include <QCheckBox>
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QDockWidget>
#include <QFileInfo>
#include <QPixmap>
#include <QRegularExpression>
#include <QSpinBox>
#include <QTimer>

#include <cstdio>
#include <memory>
#include <set>

namespace cwb::gui {
namespace {

// Lets the last layout pass and repaint land before the window is grabbed.
constexpr int kSettleMs = 400;
// A screenshot run that has not finished by then is stuck (e.g. a tensor that never shows).
constexpr int kScreenshotTimeoutMs = 300'000;
// --while-running: how long the jobs keep going after each has shown progress, so the Jobs dock
// has a time estimate to show (it needs a second of history).
constexpr int kWhileRunningMs = 1'500;

class Tr {
    Q_DECLARE_TR_FUNCTIONS(cwb::gui::LaunchOptions)
};

void fail(const QString &message)
{
    std::fprintf(stderr, "%s\n", qPrintable(message));
    QCoreApplication::exit(1);
}

void grabAndQuit(QWidget *window, const QString &file)
{
    QTimer::singleShot(kSettleMs, window, [window, file] {
        QDir().mkpath(QFileInfo(file).absolutePath());
        if (!window->grab().save(file, "PNG")) {
            fail(Tr::tr("Cannot write the screenshot %1").arg(file));
            return;
        }
        std::printf("%s\n", qPrintable(QFileInfo(file).absoluteFilePath()));
        QCoreApplication::exit(0);
    });
}

} // namespace

LaunchParse parseLaunchOptions(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        Tr::tr("Layer-by-layer compression workbench for neural networks."));
    const QCommandLineOption help = parser.addHelpOption();
    const QCommandLineOption version = parser.addVersionOption();
    const QCommandLineOption select(QStringLiteral("select"),
                                    Tr::tr("Select TENSOR (canonical or original name)."),
                                    QStringLiteral("TENSOR"));
    const QCommandLineOption screenshot(
        QStringLiteral("screenshot"),
        Tr::tr("Save the window as PNG to FILE once the histogram is shown, then quit."),
        QStringLiteral("FILE"));
    const QCommandLineOption size(QStringLiteral("window-size"),
                                  Tr::tr("Window size, e.g. 1280x800."), QStringLiteral("WxH"));
    const QCommandLineOption logCounts(QStringLiteral("log-counts"),
                                       Tr::tr("Start with a logarithmic count axis."));
    const QCommandLineOption evaluate(
        QStringLiteral("evaluate"), Tr::tr("Show the Evaluate panel with TEXT as the text file."),
        QStringLiteral("TEXT"));
    const QCommandLineOption evalContext(QStringLiteral("eval-ctx"),
                                         Tr::tr("Evaluation window length in tokens."),
                                         QStringLiteral("N"));
    const QCommandLineOption evalChunks(QStringLiteral("eval-chunks"),
                                        Tr::tr("Windows to evaluate (0: all)."),
                                        QStringLiteral("N"));
    const QCommandLineOption evalLatency(QStringLiteral("eval-latency"),
                                         Tr::tr("Also measure prefill and decode speed."));
    const QCommandLineOption runEvaluation(
        QStringLiteral("run-evaluation"),
        Tr::tr("Start the evaluation once the model is open (a screenshot waits for it)."));
    const QCommandLineOption hideEvaluate(QStringLiteral("hide-evaluate"),
                                          Tr::tr("Start with the Evaluate panel hidden."));
    const QCommandLineOption analyze(
        QStringLiteral("analyze"),
        Tr::tr("Analyze the model (with spectra) once it is open (a screenshot waits for it)."));
    const QCommandLineOption calibration(
        QStringLiteral("calibration"),
        Tr::tr("With --analyze: collect activation statistics on TEXT."), QStringLiteral("TEXT"));
    const QCommandLineOption outlierFactor(
        QStringLiteral("outlier-factor"),
        Tr::tr("With --analyze: a channel is an outlier above K times the median abs-max."),
        QStringLiteral("K"));
    const QCommandLineOption tab(QStringLiteral("tab"),
                                 Tr::tr("Inspector tab to show: histogram, spectrum or channels."),
                                 QStringLiteral("TAB"));
    const QCommandLineOption overview(QStringLiteral("overview"),
                                      Tr::tr("Show the Model Overview heat map, tall."));
    const QCommandLineOption recipe(QStringLiteral("recipe"),
                                    Tr::tr("Load the compression recipe FILE into the Layer Plan."),
                                    QStringLiteral("FILE"));
    const QCommandLineOption compress(
        QStringLiteral("compress"),
        Tr::tr("Run the Layer Plan once the model is open (a screenshot waits for it)."));
    const QCommandLineOption compressCalib(
        QStringLiteral("compress-calibration"),
        Tr::tr("Calibration text for the compression."), QStringLiteral("TEXT"));
    const QCommandLineOption whileRunning(
        QStringLiteral("while-running"),
        Tr::tr("With --screenshot: take it while the evaluation, analysis and compression still "
               "run, once each shows progress in the Jobs dock."));
    const QCommandLineOption exportTarget(
        QStringLiteral("export"),
        Tr::tr("Open File > Export… for TARGET (gguf, safetensors, compressed-tensors, "
               "llm-compressor, llama.cpp, gptqmodel) once the model is open (and compressed); "
               "a screenshot shows the dialog's preview."),
        QStringLiteral("TARGET"));
    const QCommandLineOption exportOut(QStringLiteral("export-out"),
                                       Tr::tr("With --export: the file or directory to write."),
                                       QStringLiteral("PATH"));
    const QCommandLineOption runExport(
        QStringLiteral("run-export"),
        Tr::tr("With --export: run the export (a screenshot shows the verification)."));
    const QCommandLineOption sensitivity(
        QStringLiteral("sensitivity"),
        Tr::tr("Measure the sensitivity on TEXT once the model is open (a screenshot waits for "
               "it and shows the Model Overview's Sensitivity tab)."),
        QStringLiteral("TEXT"));
    const QCommandLineOption project(
        QStringLiteral("project"),
        Tr::tr("Open the project FILE once the model is open: its analysis, sensitivity table "
               "and evaluation history (a screenshot waits for it)."),
        QStringLiteral("FILE"));
    const QCommandLineOption show(
        QStringLiteral("show"),
        Tr::tr("Show VIEW tall: tradeoffs (the Trade-offs dock) or sensitivity (the Model "
               "Overview's Sensitivity tab)."),
        QStringLiteral("VIEW"));
    const QCommandLineOption compare(
        QStringLiteral("compare"),
        Tr::tr("A side of a comparison, given twice (A, then B): \"model\" (the open model), "
               "\"compressed\" (its compression by --compress) or a model or .cwbarchive file; "
               "the comparison runs once the model is open (a screenshot waits for it)."),
        QStringLiteral("SIDE"));
    const QCommandLineOption compareText(QStringLiteral("compare-text"),
                                         Tr::tr("With --compare: the evaluation text, cut into "
                                                "documents at blank lines."),
                                         QStringLiteral("TEXT"));
    const QCommandLineOption compareSlices(
        QStringLiteral("compare-slices"),
        Tr::tr("With --compare: a slice file (repeatable), instead of --compare-text."),
        QStringLiteral("FILE"));
    const QCommandLineOption compareContext(QStringLiteral("compare-ctx"),
                                            Tr::tr("With --compare: window length in tokens."),
                                            QStringLiteral("N"));
    const QCommandLineOption compareChunks(
        QStringLiteral("compare-chunks"), Tr::tr("With --compare: windows in all (0: all)."),
        QStringLiteral("N"));
    const QCommandLineOption compareTab(
        QStringLiteral("compare-tab"),
        Tr::tr("With --compare: the tab beside the slice table: errors, histograms or "
               "behaviour."),
        QStringLiteral("TAB"));
    const QCommandLineOption structures(
        QStringLiteral("structures"),
        Tr::tr("Score FFN channels, KV groups and blocks on TEXT once the model is open (a "
               "screenshot waits for it and shows the Model Overview's Structures tab)."),
        QStringLiteral("TEXT"));
    parser.addOptions({select, screenshot, size, logCounts, evaluate, evalContext, evalChunks,
                       evalLatency, runEvaluation, hideEvaluate, analyze, calibration,
                       outlierFactor, tab, overview, recipe, compress, compressCalib,
                       whileRunning, exportTarget, exportOut, runExport, sensitivity, project,
                       show, compare, compareText, compareSlices, compareContext, compareChunks,
                       compareTab, structures});
    parser.addPositionalArgument(QStringLiteral("model"),
                                 Tr::tr("Model file or Hugging Face directory to open."),
                                 QStringLiteral("[model]"));

    LaunchParse r;
    if (!parser.parse(arguments)) {
        r.exit = true;
        r.exitCode = 2;
        r.message = parser.errorText() + QLatin1Char('\n') + parser.helpText();
        return r;
    }
    if (parser.isSet(help) || parser.isSet(version)) {
        r.exit = true;
        r.message = parser.isSet(help) ? parser.helpText()
                                       : QCoreApplication::applicationName() + QLatin1Char(' ')
                + QCoreApplication::applicationVersion();
        return r;
    }
    const QStringList positional = parser.positionalArguments();
    if (positional.size() > 1) {
        r.exit = true;
        r.exitCode = 2;
        r.message = Tr::tr("Only one model can be opened at a time.");
        return r;
    }
    if (!positional.isEmpty())
        r.options.modelPath = positional.first();
    r.options.selectTensor = parser.value(select);
    r.options.screenshotFile = parser.value(screenshot);
    r.options.logCounts = parser.isSet(logCounts);
    r.options.evaluateText = parser.value(evaluate);
    r.options.evalLatency = parser.isSet(evalLatency);
    r.options.runEvaluation = parser.isSet(runEvaluation);
    r.options.hideEvaluate = parser.isSet(hideEvaluate);
    r.options.analyze = parser.isSet(analyze);
    r.options.calibrationText = parser.value(calibration);
    r.options.overview = parser.isSet(overview);
    r.options.recipeFile = parser.value(recipe);
    r.options.compress = parser.isSet(compress);
    r.options.compressCalibration = parser.value(compressCalib);
    r.options.whileRunning = parser.isSet(whileRunning);
    r.options.sensitivityText = parser.value(sensitivity);
    r.options.structuresText = parser.value(structures);
    r.options.exportTarget = parser.value(exportTarget);
    r.options.exportOut = parser.value(exportOut);
    r.options.runExport = parser.isSet(runExport);
    r.options.projectFile = parser.value(project);
    r.options.showPanel = parser.value(show).toLower();
    r.options.compareSides = parser.values(compare);
    r.options.compareText = parser.value(compareText);
    r.options.compareSlices = parser.values(compareSlices);
    const auto usageError = [&r](const QString &message) {
        r.exit = true;
        r.exitCode = 2;
        r.message = message;
        return r;
    };
    const bool compareSet = !r.options.compareSides.isEmpty();
    if (compareSet && r.options.compareSides.size() != 2)
        return usageError(Tr::tr("--compare is given twice: side A, then side B."));
    if (compareSet && r.options.compareText.isEmpty() == r.options.compareSlices.isEmpty())
        return usageError(Tr::tr("--compare needs either --compare-text or --compare-slices."));
    if (!compareSet
        && (!r.options.compareText.isEmpty() || !r.options.compareSlices.isEmpty()
            || parser.isSet(compareContext) || parser.isSet(compareChunks)
            || parser.isSet(compareTab)))
        return usageError(Tr::tr("--compare-text, --compare-slices, --compare-ctx, "
                                 "--compare-chunks and --compare-tab need --compare."));
    if (r.options.compareSides.contains(QStringLiteral("compressed")) && !r.options.compress)
        return usageError(Tr::tr("--compare compressed needs --compress."));
    if (parser.isSet(compareTab)) {
        const QStringList tabs{QStringLiteral("errors"), QStringLiteral("histograms"),
                               QStringLiteral("behaviour")};
        r.options.compareTab = static_cast<int>(tabs.indexOf(parser.value(compareTab).toLower()));
        if (r.options.compareTab < 0)
            return usageError(Tr::tr("Invalid --compare-tab \"%1\" (expected errors, histograms "
                                     "or behaviour).")
                                  .arg(parser.value(compareTab)));
    }
    if (r.options.runEvaluation && r.options.evaluateText.isEmpty())
        return usageError(Tr::tr("--run-evaluation needs a text file (--evaluate TEXT)."));
    if (!r.options.exportTarget.isEmpty()
        && !cwb::exportTargetFromName(r.options.exportTarget.toStdString()))
        return usageError(Tr::tr("Invalid --export \"%1\" (expected gguf, safetensors, "
                                 "compressed-tensors, llm-compressor, llama.cpp or gptqmodel).")
                              .arg(r.options.exportTarget));
    if ((r.options.runExport || !r.options.exportOut.isEmpty()) && r.options.exportTarget.isEmpty())
        return usageError(Tr::tr("--export-out and --run-export need --export TARGET."));
    if (!r.options.showPanel.isEmpty() && r.options.showPanel != QLatin1String("tradeoffs")
        && r.options.showPanel != QLatin1String("sensitivity"))
        return usageError(Tr::tr("Invalid --show \"%1\" (expected tradeoffs or sensitivity).")
                              .arg(parser.value(show)));
    if (!r.options.projectFile.isEmpty() && r.options.modelPath.isEmpty())
        return usageError(Tr::tr("--project needs the project's model as well."));
    if (r.options.whileRunning && r.options.screenshotFile.isEmpty())
        return usageError(Tr::tr("--while-running needs --screenshot FILE."));
    const bool analyzeOnly = !r.options.calibrationText.isEmpty() || parser.isSet(outlierFactor);
    if (analyzeOnly && !r.options.analyze)
        return usageError(Tr::tr("--calibration and --outlier-factor need --analyze."));
    if (parser.isSet(outlierFactor)) {
        bool ok = false;
        r.options.outlierFactor = parser.value(outlierFactor).toDouble(&ok);
        if (!ok || !(r.options.outlierFactor > 1.0) || r.options.outlierFactor > 1000.0)
            return usageError(Tr::tr("Invalid --outlier-factor \"%1\" (expected a number above "
                                     "1).")
                                  .arg(parser.value(outlierFactor)));
    }
    if (parser.isSet(tab)) {
        const QStringList tabs{QStringLiteral("histogram"), QStringLiteral("spectrum"),
                               QStringLiteral("channels")};
        r.options.inspectorTab = static_cast<int>(tabs.indexOf(parser.value(tab).toLower()));
        if (r.options.inspectorTab < 0)
            return usageError(Tr::tr("Invalid --tab \"%1\" (expected histogram, spectrum or "
                                     "channels).")
                                  .arg(parser.value(tab)));
    }
    const auto count = [&parser](const QCommandLineOption &option, int min, int *out) {
        if (!parser.isSet(option))
            return true;
        bool ok = false;
        const int v = parser.value(option).toInt(&ok);
        if (!ok || v < min)
            return false;
        *out = v;
        return true;
    };
    if (!count(evalContext, 2, &r.options.evalContext))
        return usageError(Tr::tr("Invalid --eval-ctx \"%1\" (expected a whole number of at "
                                 "least 2).")
                              .arg(parser.value(evalContext)));
    if (!count(compareContext, 2, &r.options.compareContext))
        return usageError(Tr::tr("Invalid --compare-ctx \"%1\" (expected a whole number of at "
                                 "least 2).")
                              .arg(parser.value(compareContext)));
    if (!count(compareChunks, 0, &r.options.compareChunks))
        return usageError(Tr::tr("Invalid --compare-chunks \"%1\" (expected 0 or a positive "
                                 "whole number).")
                              .arg(parser.value(compareChunks)));
    if (!count(evalChunks, 0, &r.options.evalChunks))
        return usageError(Tr::tr("Invalid --eval-chunks \"%1\" (expected 0 or a positive whole "
                                 "number).")
                              .arg(parser.value(evalChunks)));
    if (parser.isSet(size)) {
        static const QRegularExpression re(QStringLiteral("^(\\d{2,5})x(\\d{2,5})$"));
        const auto m = re.match(parser.value(size));
        if (!m.hasMatch()) {
            r.exit = true;
            r.exitCode = 2;
            r.message = Tr::tr("Invalid window size \"%1\" (expected WIDTHxHEIGHT, e.g. 1280x800).")
                            .arg(parser.value(size));
            return r;
        }
        r.options.windowSize = QSize(m.captured(1).toInt(), m.captured(2).toInt());
    }
    return r;
}

namespace {

// --show VIEW.
void showView(MainWindow *w, const QString &view)
{
    if (view == QLatin1String("tradeoffs"))
        w->showTradeoffs();
    else if (view == QLatin1String("sensitivity"))
        w->showSensitivityTab();
}

} // namespace

void applyLaunchOptions(MainWindow &window, const LaunchOptions &options)
{
    if (options.windowSize.isValid())
        window.resize(options.windowSize);
    if (options.logCounts)
        window.histogramPanel()->logCountsBox()->setChecked(true);
    MainWindow *w = &window;
    if (options.hideEvaluate)
        w->evaluateDock()->hide();
    if (options.inspectorTab >= 0)
        w->inspector()->setCurrentIndex(options.inspectorTab);
    if (options.overview) {
        w->overviewDock()->show();
        // Tall enough for every role row to carry its value label at 800 px.
        w->resizeDocks({w->overviewDock()}, {w->height() * 11 / 20}, Qt::Vertical);
    }
    CompressionPanel *compression = w->compressionPanel();
    if (!options.compressCalibration.isEmpty())
        compression->setCalibrationPath(options.compressCalibration);
    EvaluatePanel *evaluate = w->evaluatePanel();
    if (!options.evaluateText.isEmpty()) {
        w->evaluateDock()->show();
        evaluate->setTextPath(options.evaluateText);
        if (options.evalLatency)
            evaluate->latencyBox()->setChecked(true);
        if (options.evalChunks >= 0)
            evaluate->chunksBox()->setValue(options.evalChunks);
    }
    const bool shoot = !options.screenshotFile.isEmpty();
    const bool select = !options.selectTensor.isEmpty();
    const bool evaluateOnLoad = options.runEvaluation && !options.modelPath.isEmpty();
    const bool analyzeOnLoad = options.analyze && !options.modelPath.isEmpty();
    const bool compressOnLoad = options.compress && !options.modelPath.isEmpty();
    const int longJobs = int(evaluateOnLoad) + int(analyzeOnLoad) + int(compressOnLoad);
    const bool whileRunning = options.whileRunning && longJobs > 0;
    // The screenshot waits for everything asked for: histogram, evaluation, analysis and
    // compression (finished, or with --while-running all of them under way: one arrival).
    const bool exportOnLoad = !options.exportTarget.isEmpty() && !options.modelPath.isEmpty();
    const bool sensitivityOnLoad =
        !options.sensitivityText.isEmpty() && !options.modelPath.isEmpty();
    const bool projectOnLoad = !options.projectFile.isEmpty();
    const bool compareOnLoad = !options.compareSides.isEmpty();
    const bool compareCompressed = options.compareSides.contains(QStringLiteral("compressed"));
    const bool structuresOnLoad =
        !options.structuresText.isEmpty() && !options.modelPath.isEmpty();
    auto pending = std::make_shared<int>(int(select) + (whileRunning ? 1 : longJobs)
                                         + int(exportOnLoad) + int(sensitivityOnLoad)
                                         + int(projectOnLoad) + int(compareOnLoad)
                                         + int(structuresOnLoad));
    // With --export the picture is of the Export dialog, taken once it shows its table.
    const auto arrived = [w, pending, exportOnLoad, file = options.screenshotFile] {
        if (--*pending == 0)
            grabAndQuit(exportOnLoad ? static_cast<QWidget *>(w->exportDialog()) : w, file);
    };
    // Opens the Export dialog (after the compression, when one runs) and reports its table.
    const auto openExport = [w, options, shoot = !options.screenshotFile.isEmpty(), arrived] {
        ExportDialog *dialog = w->showExportDialog();
        dialog->setTarget(*cwb::exportTargetFromName(options.exportTarget.toStdString()));
        if (!options.exportOut.isEmpty())
            dialog->setOutputPath(options.exportOut);
        if (!shoot) {
            if (options.runExport)
                dialog->startExport();
            return;
        }
        if (options.runExport) {
            QObject::connect(
                dialog, &ExportDialog::exportFinished, w,
                [dialog, arrived](bool ok) {
                    if (ok)
                        arrived();
                    else
                        fail(dialog->statusText());
                },
                Qt::SingleShotConnection);
            // The first preview settles the options; then the export runs.
            QObject::connect(
                dialog, &ExportDialog::previewShown, w,
                [dialog] {
                    if (!dialog->startExport())
                        fail(dialog->statusText());
                },
                Qt::SingleShotConnection);
        } else {
            QObject::connect(dialog, &ExportDialog::previewShown, w, arrived,
                             Qt::SingleShotConnection);
        }
        dialog->refreshPreview();
    };
    // Sets up the comparison view from the options and starts it.
    const auto startCompare = [w, options, shoot] {
        ComparePanel *panel = w->comparePanel();
        for (int s = 0; s < 2; ++s) {
            const QString &side = options.compareSides[s];
            const auto which = static_cast<ComparePanel::Side>(s);
            if (side == QLatin1String("model"))
                panel->setSide(which, ComparePanel::SideKind::OpenModel);
            else if (side == QLatin1String("compressed"))
                panel->setSide(which, ComparePanel::SideKind::Compressed);
            else
                panel->setSide(which, ComparePanel::SideKind::File, side);
        }
        panel->setTextPath(options.compareText);
        panel->setSliceFiles(options.compareSlices);
        if (options.compareContext > 0)
            panel->contextBox()->setValue(options.compareContext);
        if (options.compareChunks >= 0)
            panel->chunksBox()->setValue(options.compareChunks);
        if (options.compareTab >= 0)
            panel->tabs()->setCurrentIndex(options.compareTab);
        w->showCompare();
        if (!panel->run() && shoot)
            fail(panel->errorText());
    };
    if (shoot) {
        QTimer::singleShot(kScreenshotTimeoutMs, w, [] { fail(Tr::tr("Screenshot timed out.")); });
        if (compareOnLoad) {
            QObject::connect(w->comparePanel(), &ComparePanel::comparisonFinished, w, arrived,
                             Qt::SingleShotConnection);
            QObject::connect(w->comparePanel(), &ComparePanel::comparisonFailed, w,
                             [](const QString &message) { fail(message); });
        }
        QObject::connect(w->document(), &Document::openFailed, w,
                         [](const QString &, const QString &message) { fail(message); });
        QObject::connect(w->histogramPanel(), &HistogramPanel::histogramFailed, w,
                         [](const QString &, const QString &message) { fail(message); });
        QObject::connect(evaluate, &EvaluatePanel::evaluationFailed, w,
                         [](const QString &message) { fail(message); });
        if (select)
            QObject::connect(w->histogramPanel(), &HistogramPanel::histogramShown, w, arrived,
                             Qt::SingleShotConnection);
        if (evaluateOnLoad && !whileRunning)
            QObject::connect(evaluate, &EvaluatePanel::evaluationFinished, w, arrived,
                             Qt::SingleShotConnection);
        QObject::connect(w->analysisController(), &AnalysisController::failed, w,
                         [](const QString &message) { fail(message); });
        if (analyzeOnLoad && !whileRunning)
            QObject::connect(w->analysisController(), &AnalysisController::finished, w, arrived,
                             Qt::SingleShotConnection);
        if (compressOnLoad && !whileRunning)
            QObject::connect(compression, &CompressionPanel::resultReady, w, arrived,
                             Qt::SingleShotConnection);
        if (sensitivityOnLoad)
            QObject::connect(
                w->sensitivityPanel(), &SensitivityPanel::finished, w,
                [w, arrived](bool ok) {
                    if (ok)
                        arrived();
                    else
                        fail(w->sensitivityPanel()->statusText());
                },
                Qt::SingleShotConnection);
        if (projectOnLoad) {
            // The view asked for is shown once the project's history and table are in.
            QObject::connect(
                w->analysisController(), &AnalysisController::projectOpened, w,
                [w, arrived, view = options.showPanel](const QString &) {
                    showView(w, view);
                    QTimer::singleShot(300, arrived);
                },
                Qt::SingleShotConnection);
            QObject::connect(w->analysisController(), &AnalysisController::projectFailed, w,
                             [](const QString &, const QString &message) { fail(message); });
            QObject::connect(w->analysisController(), &AnalysisController::projectStale, w,
                             [](const QString &, const QString &reason) { fail(reason); });
        }
        if (structuresOnLoad)
            QObject::connect(
                w->structurePanel(), &StructurePanel::finished, w,
                [w, arrived](bool ok) {
                    if (ok)
                        arrived();
                    else
                        fail(w->structurePanel()->statusText());
                },
                Qt::SingleShotConnection);
        if (exportOnLoad)
            QTimer::singleShot(kScreenshotTimeoutMs - 1000, w, [w] {
                if (w->exportDialog() && w->exportDialog()->exportJobId() != 0)
                    fail(Tr::tr("The export did not finish in time."));
            });
        QObject::connect(compression, &CompressionPanel::compressionFailed, w,
                         [](const QString &message) { fail(message); });
    }
    if (options.modelPath.isEmpty()) {
        if (compareOnLoad && !compareCompressed)
            startCompare(); // two files: nothing to wait for
        else if (shoot)
            grabAndQuit(w, options.screenshotFile);
        return;
    }
    if (compareOnLoad && compareCompressed)
        QObject::connect(compression, &CompressionPanel::resultReady, w, startCompare,
                         Qt::SingleShotConnection);
    if (exportOnLoad && compressOnLoad)
        QObject::connect(compression, &CompressionPanel::resultReady, w, openExport,
                         Qt::SingleShotConnection);
    QObject::connect(
        w->document(), &Document::modelChanged, w,
        [w, options, shoot, select, evaluateOnLoad, analyzeOnLoad, compressOnLoad, whileRunning,
         exportOnLoad, openExport, arrived, compareOnLoad, compareCompressed, startCompare] {
            CompressionPanel *compression = w->compressionPanel();
            QString recipeError;
            if (!options.recipeFile.isEmpty()
                && !compression->planView()->importRecipeFile(options.recipeFile, &recipeError)
                && shoot)
                fail(recipeError);
            if (compressOnLoad) {
                w->jobsDock()->show();
                if (!compression->compress() && shoot)
                    fail(compression->messageText());
            }
            // Set after the model is open: the panel clamps n_ctx to the model's context.
            if (options.evalContext > 0)
                w->evaluatePanel()->contextBox()->setValue(options.evalContext);
            if (evaluateOnLoad && !w->evaluatePanel()->run() && shoot)
                fail(Tr::tr("The evaluation could not be started."));
            if (analyzeOnLoad) {
                cwb::ModelAnalysisParams params;
                params.spectra = true;
                params.calibrationText = options.calibrationText.toStdString();
                params.activations.sequences = 16; // the Analyze dialog's defaults
                params.activations.tokensPerSequence = 256;
                if (options.outlierFactor > 0) {
                    params.stats.outlierFactor = options.outlierFactor;
                    params.activations.outlierFactor = options.outlierFactor;
                }
                if (!w->analysisController()->start(params) && shoot)
                    fail(Tr::tr("The analysis could not be started."));
            }
            if (whileRunning) {
                // Every long job started above counts once it has shown some progress.
                auto waiting = std::make_shared<std::set<int>>();
                for (int id : {w->evaluatePanel()->jobId(), w->analysisController()->jobId(),
                               compressOnLoad ? w->compressionPanel()->lastJobId() : 0})
                    if (id > 0)
                        waiting->insert(id);
                auto done = std::make_shared<bool>(false);
                QObject::connect(w->jobService(), &JobService::jobProgressed, w,
                                 [w, waiting, done, arrived](int id, double fraction) {
                                     if (fraction > kEtaMinFraction)
                                         waiting->erase(id);
                                     if (!waiting->empty() || *done)
                                         return;
                                     *done = true;
                                     QTimer::singleShot(kWhileRunningMs, w, arrived);
                                 });
            }
            if (select && !w->selectTensor(options.selectTensor) && shoot)
                fail(Tr::tr("The model has no tensor named %1.").arg(options.selectTensor));
            if (exportOnLoad && !compressOnLoad)
                openExport();
            if (!options.sensitivityText.isEmpty() && !w->showSensitivity(options.sensitivityText)
                && shoot)
                fail(w->sensitivityPanel()->statusText());
            if (!options.projectFile.isEmpty()
                && !w->analysisController()->openProject(options.projectFile) && shoot)
                fail(Tr::tr("The project could not be opened."));
            if (options.projectFile.isEmpty())
                showView(w, options.showPanel);
            if (compareOnLoad && !compareCompressed)
                startCompare();
            if (!options.structuresText.isEmpty() && !w->showStructures(options.structuresText)
                && shoot)
                fail(w->structurePanel()->statusText());
            if (!select && !evaluateOnLoad && !analyzeOnLoad && !compressOnLoad && !exportOnLoad
                && options.sensitivityText.isEmpty() && options.projectFile.isEmpty()
                && !compareOnLoad && options.structuresText.isEmpty() && shoot)
                grabAndQuit(w, options.screenshotFile);
        },
        Qt::SingleShotConnection);
    w->openModel(options.modelPath);
}

} // namespace cwb::gui
