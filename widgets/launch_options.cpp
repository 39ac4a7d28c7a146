// SPDX-License-Identifier: MIT
#include "launch_options.h"

#include "histogram_panel.h"
#include "main_window.h"
#include "model_controller.h"

#include <QCheckBox>
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QPixmap>
#include <QRegularExpression>
#include <QTimer>

#include <cstdio>

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
    parser.addOptions({select, screenshot, size, logCounts});
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
    const bool shoot = !options.screenshotFile.isEmpty();
    if (shoot) {
        QTimer::singleShot(kScreenshotTimeoutMs, w, [] { fail(Tr::tr("Screenshot timed out.")); });
        QObject::connect(w->controller(), &ModelController::loadFailed, w,
                         [](const QString &, const QString &message) { fail(message); });
        QObject::connect(w->histogramPanel(), &HistogramPanel::histogramFailed, w,
                         [](const QString &, const QString &message) { fail(message); });
        QObject::connect(
            w->histogramPanel(), &HistogramPanel::histogramShown, w,
            [w, file = options.screenshotFile] { grabAndQuit(w, file); }, Qt::SingleShotConnection);
    }
    if (options.modelPath.isEmpty()) {
        if (shoot)
            grabAndQuit(w, options.screenshotFile);
        return;
    }
    QObject::connect(
        w->controller(), &ModelController::modelLoaded, w,
        [w, options, shoot] {
            if (options.selectTensor.isEmpty()) {
                if (shoot)
                    grabAndQuit(w, options.screenshotFile);
                return;
            }
            if (!w->selectTensor(options.selectTensor) && shoot)
                fail(Tr::tr("The model has no tensor named %1.").arg(options.selectTensor));
        },
        Qt::SingleShotConnection);
    w->openModel(options.modelPath);
}

} // namespace cwb::gui
