// SPDX-License-Identifier: MIT
#include "launch_options.h"

#include "evaluate_panel.h"
#include "histogram_panel.h"
#include "main_window.h"
#include "model_controller.h"

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

namespace cwb::gui {
namespace {

// Lets the last layout pass and repaint land before the window is grabbed.
constexpr int kSettleMs = 400;
// A screenshot run that has not finished by then is stuck (e.g. a tensor that never shows).
constexpr int kScreenshotTimeoutMs = 60'000;

class Tr {
    Q_DECLARE_TR_FUNCTIONS(cwb::gui::LaunchOptions)
};

void fail(const QString &message)
{
    std::fprintf(stderr, "%s\n", qPrintable(message));
    QCoreApplication::exit(1);
}

void grabAndQuit(MainWindow *window, const QString &file)
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
    parser.addOptions({select, screenshot, size, logCounts, evaluate, evalContext, evalChunks,
                       evalLatency, runEvaluation});
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
    const auto usageError = [&r](const QString &message) {
        r.exit = true;
        r.exitCode = 2;
        r.message = message;
        return r;
    };
    if (r.options.runEvaluation && r.options.evaluateText.isEmpty())
        return usageError(Tr::tr("--run-evaluation needs a text file (--evaluate TEXT)."));
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

void applyLaunchOptions(MainWindow &window, const LaunchOptions &options)
{
    if (options.windowSize.isValid())
        window.resize(options.windowSize);
    if (options.logCounts)
        window.histogramPanel()->logCountsBox()->setChecked(true);
    MainWindow *w = &window;
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
    // The screenshot waits for everything asked for: the histogram and the evaluation.
    auto pending = std::make_shared<int>(int(select) + int(evaluateOnLoad));
    const auto arrived = [w, pending, file = options.screenshotFile] {
        if (--*pending == 0)
            grabAndQuit(w, file);
    };
    if (shoot) {
        QTimer::singleShot(kScreenshotTimeoutMs, w, [] { fail(Tr::tr("Screenshot timed out.")); });
        QObject::connect(w->controller(), &ModelController::loadFailed, w,
                         [](const QString &, const QString &message) { fail(message); });
        QObject::connect(w->histogramPanel(), &HistogramPanel::histogramFailed, w,
                         [](const QString &, const QString &message) { fail(message); });
        QObject::connect(evaluate, &EvaluatePanel::evaluationFailed, w,
                         [](const QString &message) { fail(message); });
        if (select)
            QObject::connect(w->histogramPanel(), &HistogramPanel::histogramShown, w, arrived,
                             Qt::SingleShotConnection);
        if (evaluateOnLoad)
            QObject::connect(evaluate, &EvaluatePanel::evaluationFinished, w, arrived,
                             Qt::SingleShotConnection);
    }
    if (options.modelPath.isEmpty()) {
        if (shoot)
            grabAndQuit(w, options.screenshotFile);
        return;
    }
    QObject::connect(
        w->controller(), &ModelController::modelLoaded, w,
        [w, options, shoot, select, evaluateOnLoad] {
            // Set after the model is open: the panel clamps n_ctx to the model's context.
            if (options.evalContext > 0)
                w->evaluatePanel()->contextBox()->setValue(options.evalContext);
            if (evaluateOnLoad && !w->evaluatePanel()->run() && shoot)
                fail(Tr::tr("The evaluation could not be started."));
            if (select && !w->selectTensor(options.selectTensor) && shoot)
                fail(Tr::tr("The model has no tensor named %1.").arg(options.selectTensor));
            if (!select && !evaluateOnLoad && shoot)
                grabAndQuit(w, options.screenshotFile);
        },
        Qt::SingleShotConnection);
    w->openModel(options.modelPath);
}

} // namespace cwb::gui
