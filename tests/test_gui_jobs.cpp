// SPDX-License-Identifier: MIT
// The compression-results widgets, driven headless: the Jobs panel (rows newest first, progress,
// the time-left estimate under a fake clock, Cancel, finishing, "Clear finished"), the per-tensor
// error bar chart (35 tensors, two metrics, log scale, hover, tick thinning at 200+ tensors) and
// the histogram's comparison overlay on stories260K (a tensor against its values rounded to a
// coarse grid, counted in the original's bins off the GUI thread).
// With CWB_SCREENSHOT_DIR set, the rendered widgets are also written there as PNGs.

#include "app_setup.h"
#include "document.h"
#include "histogram_chart.h"
#include "histogram_panel.h"
#include "job_service.h"
#include "jobs_eta.h"
#include "jobs_panel.h"
#include "layer_error_chart.h"
#include "test_support.h"

#include "analysis/histogram.h"
#include "io/open_model.h"
#include "model/model.h"

#include <QAbstractButton>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QImage>
#include <QLocale>
#include <QMouseEvent>
#include <QPixmap>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <numeric>

using namespace cwb::gui;

namespace {

constexpr int kTimeoutMs = 20'000;

// 5 layers x (q, k, v, o, gate, up, down): 35 canonical tensor names, in model order.
std::vector<QString> tensorNames(int layers)
{
    std::vector<QString> names;
    for (int l = 0; l < layers; ++l) {
        for (const char *p : {"attn.q", "attn.k", "attn.v", "attn.o"})
            names.push_back(QStringLiteral("layers.%1.%2").arg(l).arg(QLatin1String(p)));
        for (const char *p : {"mlp.gate", "mlp.up", "mlp.down"})
            names.push_back(QStringLiteral("layers.%1.%2").arg(l).arg(QLatin1String(p)));
    }
    return names;
}

std::vector<LayerErrorEntry> entries(const std::vector<QString> &names,
                                     const std::function<double(int)> &value)
{
    std::vector<LayerErrorEntry> out;
    for (size_t i = 0; i < names.size(); ++i)
        out.push_back({names[i], QString(), value(static_cast<int>(i))});
    return out;
}

// Renders `w` at `size` and checks the picture has content; also saved under
// $CWB_SCREENSHOT_DIR when that is set.
bool grabTo(QWidget &w, QSize size, const QString &name, const QTemporaryDir &dir)
{
    w.resize(size);
    w.show();
    QCoreApplication::processEvents();
    const QPixmap pixmap = w.grab();
    if (pixmap.size() != size)
        return false;
    const QString extra = qEnvironmentVariable("CWB_SCREENSHOT_DIR");
    if (!extra.isEmpty() && QDir().mkpath(extra))
        pixmap.save(QDir(extra).filePath(name));
    const QImage image = pixmap.toImage();
    // More than one colour: something was drawn.
    const QRgb first = image.pixel(0, 0);
    for (int y = 0; y < image.height(); y += 3)
        for (int x = 0; x < image.width(); x += 3)
            if (image.pixel(x, y) != first)
                return pixmap.save(dir.filePath(name));
    return false;
}

void hoverAt(QWidget *target, QPoint pos)
{
    QMouseEvent move(QEvent::MouseMove, QPointF(pos), target->mapToGlobal(QPointF(pos)),
                     Qt::NoButton, Qt::NoButton, Qt::NoModifier);
    QCoreApplication::sendEvent(target, &move);
}

} // namespace

class TestGuiJobs : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        cwb::gui::initResources();
        QVERIFY(screenshots_.isValid());
    }

    void etaEstimate()
    {
        // Too early to tell: elapsed under a second, or 2 % done or less.
        QVERIFY(!estimateRemainingSeconds(0.5, 0.5));
        QVERIFY(!estimateRemainingSeconds(10.0, 0.02));
        QVERIFY(!estimateRemainingSeconds(10.0, 0.0));
        QVERIFY(!estimateRemainingSeconds(std::nan(""), 0.5));
        QVERIFY(!estimateRemainingSeconds(10.0, std::nan("")));
        // elapsed * (1 - f) / f
        QCOMPARE(*estimateRemainingSeconds(10.0, 0.25), 30.0);
        QCOMPARE(*estimateRemainingSeconds(12.0, 0.8), 3.0);
        QCOMPARE(*estimateRemainingSeconds(1.0, 0.5), 1.0);
        QVERIFY(std::abs(*estimateRemainingSeconds(2.1, 0.021) - 97.9) < 1e-9);
        QCOMPARE(*estimateRemainingSeconds(5.0, 1.0), 0.0);
    }

    void durationText()
    {
        const QLocale l;
        QCOMPARE(JobsPanel::formatDuration(4.2), l.toString(4.2, 'f', 1) + QStringLiteral(" s"));
        QCOMPARE(JobsPanel::formatDuration(42.4), QStringLiteral("42 s"));
        QCOMPARE(JobsPanel::formatDuration(185), QStringLiteral("3 min 05 s"));
        QCOMPARE(JobsPanel::formatDuration(3720), QStringLiteral("1 h 02 min"));
        QCOMPARE(JobsPanel::formatDuration(-1), QStringLiteral("\u2014"));
        QCOMPARE(JobsPanel::formatDuration(std::nan("")), QStringLiteral("\u2014"));
        QCOMPARE(JobsPanel::formatDuration(12.3, true),
                 l.toString(12.3, 'f', 1) + QStringLiteral(" s"));
        QCOMPARE(JobsPanel::formatDuration(185, true), QStringLiteral("3 min 05 s"));
    }

    void jobsPanelLifecycle()
    {
        JobsPanel panel;
        qint64 nowMs = 0;
        panel.setClock([&nowMs] { return nowMs; });
        QSignalSpy cancel(&panel, &JobsPanel::cancelRequested);
        QCOMPARE(panel.jobCount(), 0);
        QVERIFY(!panel.clearFinishedButton()->isEnabled());

        const int a = panel.addJob(QStringLiteral("Compress stories260K (q4_0)"));
        const int b = panel.addJob(QStringLiteral("Analyze"));
        const int c = panel.addJob(QStringLiteral("GPTQ"));
        QCOMPARE(panel.jobCount(), 3);
        QCOMPARE(panel.jobIds(), (std::vector<int>{c, b, a})); // newest first
        QVERIFY(a != b && b != c && a != c);
        for (int id : {a, b, c}) {
            QVERIFY(panel.isRunning(id));
            QCOMPARE(panel.progressOf(id), 0.0);
            QCOMPARE(panel.etaText(id), QStringLiteral("\u2014"));
            QVERIFY(panel.cancelButton(id)->isEnabled());
        }
        QCOMPARE(panel.titleOf(a), QStringLiteral("Compress stories260K (q4_0)"));

        // Half done after half a second: still too early for an estimate.
        nowMs = 500;
        panel.setProgress(a, 0.5, QStringLiteral("tensor 1/2: layers.0.attn.q"));
        QCOMPARE(panel.progressOf(a), 0.5);
        QCOMPARE(panel.statusOf(a), QStringLiteral("tensor 1/2: layers.0.attn.q"));
        QCOMPARE(panel.etaText(a), QStringLiteral("\u2014"));

        // A quarter after 10 s: 30 s left.
        nowMs = 10'000;
        panel.setProgress(a, 0.25, QStringLiteral("tensor 12/35: layers.1.mlp.up"));
        QCOMPARE(panel.statusOf(a), QStringLiteral("tensor 12/35: layers.1.mlp.up"));
        QCOMPARE(panel.elapsedText(a), QStringLiteral("10 s"));
        QCOMPARE(panel.etaText(a), QStringLiteral("30 s"));
        // An empty step keeps the last one; out-of-range fractions are clamped.
        panel.setProgress(a, 1.5);
        QCOMPARE(panel.progressOf(a), 1.0);
        QCOMPARE(panel.statusOf(a), QStringLiteral("tensor 12/35: layers.1.mlp.up"));
        panel.setProgress(a, 0.01);
        QCOMPARE(panel.etaText(a), QStringLiteral("\u2014"));
        panel.setProgress(a, 0.6);

        // Cancel: one signal with the id; the button is disabled; the job runs until finished.
        QTest::mouseClick(panel.cancelButton(b), Qt::LeftButton);
        QCOMPARE(cancel.count(), 1);
        QCOMPARE(cancel.first().first().toInt(), b);
        QVERIFY(!panel.cancelButton(b)->isEnabled());
        QVERIFY(panel.isRunning(b));
        QCOMPARE(panel.statusOf(b), JobsPanel::tr("Cancelling\u2026"));
        QTest::mouseClick(panel.cancelButton(b), Qt::LeftButton);
        QCOMPARE(cancel.count(), 1);
        panel.finishJob(b, false);
        QCOMPARE(panel.stateOf(b), JobsPanel::State::Cancelled);
        QCOMPARE(panel.statusOf(b), QStringLiteral("Cancelled"));

        nowMs = 12'300;
        panel.finishJob(a, true);
        QCOMPARE(panel.stateOf(a), JobsPanel::State::Done);
        QCOMPARE(panel.statusOf(a),
                 QStringLiteral("Done in %1 s").arg(QLocale().toString(12.3, 'f', 1)));
        QCOMPARE(panel.progressOf(a), 1.0);
        QVERIFY(!panel.cancelButton(a)->isEnabled());
        QVERIFY(panel.etaText(a).isEmpty());
        // Finished jobs ignore late progress and a second finish.
        nowMs = 20'000;
        panel.setProgress(a, 0.3, QStringLiteral("late"));
        panel.finishJob(a, false, QStringLiteral("late"));
        QCOMPARE(panel.progressOf(a), 1.0);
        QCOMPARE(panel.stateOf(a), JobsPanel::State::Done);
        QCOMPARE(panel.elapsedText(a), JobsPanel::formatDuration(12.3, true));

        // Failure without a cancel request: an error, its message shown.
        const QString error = QStringLiteral("layers.0.attn.q: Hessian is not positive definite");
        panel.finishJob(c, false, error);
        QCOMPARE(panel.stateOf(c), JobsPanel::State::Failed);
        QCOMPARE(panel.statusOf(c), error);
        QVERIFY(!panel.cancelButton(c)->isEnabled());

        // A running job survives "Clear finished".
        const int d = panel.addJob(QStringLiteral("Evaluate"));
        QVERIFY(panel.clearFinishedButton()->isEnabled());
        QTest::mouseClick(panel.clearFinishedButton(), Qt::LeftButton);
        QCOMPARE(panel.jobCount(), 1);
        QCOMPARE(panel.jobIds(), std::vector<int>{d});
        QVERIFY(!panel.hasJob(a));
        QCOMPARE(panel.stateOf(a), JobsPanel::State::Unknown);
        QCOMPARE(panel.progressOf(a), -1.0);
        QVERIFY(!panel.clearFinishedButton()->isEnabled());
        QVERIFY(panel.addJob(QStringLiteral("next")) > d); // ids are never reused
    }

    void jobsPanelScreenshot()
    {
        JobsPanel panel;
        qint64 nowMs = 0;
        panel.setClock([&nowMs] { return nowMs; });
        const int failed = panel.addJob(QStringLiteral("GPTQ 4-bit: stories260K"));
        const int done = panel.addJob(QStringLiteral("Analyze stories260K"));
        const int running = panel.addJob(QStringLiteral("Compress stories260K (recipe q4_k_m)"));
        nowMs = 41'000;
        panel.finishJob(failed, false,
                        QStringLiteral("layers.1.mlp.up: Hessian is not positive definite "
                                       "(damping 0.01 too small)"));
        panel.finishJob(done, true);
        panel.setProgress(running, 0.34, QStringLiteral("tensor 12/35: layers.1.mlp.up"));
        QVERIFY(grabTo(panel, QSize(420, 380), QStringLiteral("jobs-panel.png"), screenshots_));
    }

    void tensorNameHelpers()
    {
        QCOMPARE(projectionKindOf(QStringLiteral("layers.0.attn.q")), ProjectionKind::Attention);
        QCOMPARE(projectionKindOf(QStringLiteral("layers.3.mlp.down")), ProjectionKind::Mlp);
        QCOMPARE(projectionKindOf(QStringLiteral("blk.2.attn_k.weight")),
                 ProjectionKind::Attention);
        QCOMPARE(projectionKindOf(QStringLiteral("blk.2.ffn_up.weight")), ProjectionKind::Mlp);
        QCOMPARE(projectionKindOf(QStringLiteral("model.layers.4.self_attn.o_proj.weight")),
                 ProjectionKind::Attention);
        QCOMPARE(projectionKindOf(QStringLiteral("model.layers.4.mlp.gate_proj.weight")),
                 ProjectionKind::Mlp);
        QCOMPARE(projectionKindOf(QStringLiteral("layers.0.attn_norm")), ProjectionKind::Other);
        QCOMPARE(projectionKindOf(QStringLiteral("head")), ProjectionKind::Other);
        QCOMPARE(layerIndexOf(QStringLiteral("model.layers.12.mlp.down_proj.weight")), 12);
        QCOMPARE(layerIndexOf(QStringLiteral("blk.7.attn_q.weight")), 7);
        QCOMPARE(layerIndexOf(QStringLiteral("embed")), -1);
        QCOMPARE(shortTensorLabel(QStringLiteral("layers.0.attn.q")), QStringLiteral("0.q"));
        QCOMPARE(shortTensorLabel(QStringLiteral("layers.3.mlp.down")), QStringLiteral("3.down"));
        QCOMPARE(shortTensorLabel(QStringLiteral("head")), QStringLiteral("head"));
    }

    void layerErrorChartMetrics()
    {
        const auto names = tensorNames(5);
        QCOMPARE(names.size(), size_t{35});
        const QString frob = QStringLiteral("Relative Frobenius error");
        const QString output = QStringLiteral("Output error (calibration)");
        auto frobValue = [](int i) { return 0.02 + 0.001 * i; };
        auto outputValue = [](int i) { return i == 5 ? 0.0 : 0.5 / (i + 1); };

        LayerErrorChart chart;
        chart.resize(1280, 400);
        QCOMPARE(chart.barCount(), 0);
        chart.setSeries(frob, entries(names, frobValue));
        chart.setSeries(output, entries(names, outputValue));
        QCOMPARE(chart.metrics(), (QStringList{frob, output}));
        QCOMPARE(chart.metric(), frob); // the first one set stays shown
        QCOMPARE(chart.metricBox()->count(), 2);
        QCOMPARE(chart.barCount(), 35);
        std::vector<double> bars = chart.barValues();
        QCOMPARE(bars.size(), size_t{35});
        for (int i = 0; i < 35; ++i)
            QCOMPARE(bars[static_cast<size_t>(i)], frobValue(i));
        // Colours by projection: q k v o are attention, gate up down MLP.
        for (int i = 0; i < 35; ++i)
            QCOMPARE(chart.barKind(i),
                     i % 7 < 4 ? ProjectionKind::Attention : ProjectionKind::Mlp);
        QCOMPARE(chart.legendEntries(), (QStringList{LayerErrorChart::tr("attention"),
                                                     LayerErrorChart::tr("MLP")}));
        // Neighbours in a layer are one slot apart; a layer boundary adds a gap.
        QCOMPARE(chart.barKey(1) - chart.barKey(0), 1.0);
        QVERIFY(chart.barKey(7) - chart.barKey(6) > 1.0);

        // Switching through the combo box changes the plotted data.
        chart.metricBox()->setCurrentIndex(1);
        QCOMPARE(chart.metric(), output);
        QCOMPARE(chart.plot()->yAxis->label(), output);
        bars = chart.barValues();
        for (int i = 0; i < 35; ++i)
            QCOMPARE(bars[static_cast<size_t>(i)], outputValue(i));

        // Log scale: the zero has no bar.
        chart.logBox()->setChecked(true);
        QVERIFY(chart.logScale());
        QCOMPARE(chart.plot()->yAxis->scaleType(), QCPAxis::stLogarithmic);
        QCOMPARE(chart.barCount(), 34);
        QVERIFY(std::isnan(chart.barValues()[5]));
        QVERIFY(grabTo(chart, QSize(1280, 400), QStringLiteral("layer-error-chart-log.png"),
                       screenshots_));
        chart.setLogScale(false);
        QVERIFY(!chart.logBox()->isChecked());
        QCOMPARE(chart.barCount(), 35);
        chart.setMetric(frob);
        QCOMPARE(chart.metricBox()->currentText(), frob);

        // Replacing a metric's entries redraws it.
        chart.setSeries(frob, entries(names, [](int i) { return 1.0 + i; }));
        QCOMPARE(chart.barValues()[34], 35.0);
        QCOMPARE(chart.metrics().size(), 2);

        // 35 tensors at 1280 px: every label drawn.
        QVERIFY(grabTo(chart, QSize(1280, 400), QStringLiteral("layer-error-chart.png"),
                       screenshots_));
        QStringList ticks = chart.tickLabels();
        QCOMPARE(ticks.size(), 35);
        QCOMPARE(ticks.first(), QStringLiteral("0.q"));
        QCOMPARE(ticks.last(), QStringLiteral("4.down"));
        QVERIFY(!ticks.contains(QString()));
        // Half as wide: every other label.
        QVERIFY(grabTo(chart, QSize(640, 400), QStringLiteral("layer-error-chart-640.png"),
                       screenshots_));
        ticks = chart.tickLabels();
        QCOMPARE(ticks.size(), 35);
        QVERIFY(ticks.contains(QString()));
        QCOMPARE(ticks.first(), QStringLiteral("0.q"));
        chart.resize(1280, 400);

        // Hovering a bar names its tensor and value.
        chart.plot()->replot();
        const int y = chart.plot()->axisRect()->center().y();
        const int x = static_cast<int>(chart.plot()->xAxis->coordToPixel(chart.barKey(12)));
        QCOMPARE(chart.entryAt(QPoint(x, y)), 12);
        hoverAt(chart.plot(), QPoint(x, y));
        QVERIFY2(chart.hoverText().contains(QStringLiteral("layers.1.mlp.up")),
                 qPrintable(chart.hoverText()));
        QVERIFY(chart.hoverText().contains(QLocale().toString(13.0, 'g', 4)));
        hoverAt(chart.plot(), QPoint(2, 2)); // outside the plot area
        QVERIFY(!chart.hoverText().contains(QStringLiteral("layers.")));

        chart.clear();
        QCOMPARE(chart.barCount(), 0);
        QVERIFY(chart.metrics().isEmpty());
        QCOMPARE(chart.metricBox()->count(), 0);
        QVERIFY(chart.tickLabels().isEmpty());
    }

    // 210 layer tensors and the output head: labels are thinned out so they do not overlap,
    // the first one stays; the head is a third kind in the legend.
    void layerErrorChartManyTensors()
    {
        auto names = tensorNames(30);
        names.push_back(QStringLiteral("head"));
        LayerErrorChart chart;
        chart.setSeries(QStringLiteral("Relative Frobenius error"),
                        entries(names, [](int i) { return 0.01 * (1 + i % 13); }));
        QVERIFY(grabTo(chart, QSize(1280, 400), QStringLiteral("layer-error-chart-211.png"),
                       screenshots_));
        QCOMPARE(chart.barCount(), 211);
        QCOMPARE(chart.barKind(210), ProjectionKind::Other);
        QCOMPARE(chart.legendEntries().size(), 3);
        const QStringList ticks = chart.tickLabels();
        QCOMPARE(ticks.size(), 211);
        const auto drawn = std::count_if(ticks.begin(), ticks.end(),
                                         [](const QString &t) { return !t.isEmpty(); });
        QVERIFY2(drawn > 20 && drawn < 211, qPrintable(QString::number(drawn)));
        QCOMPARE(ticks.first(), QStringLiteral("0.q"));
        QVERIFY(chart.plot()->xAxis->tickLabelRotation() != 0);
    }

    void histogramComparisonOverlay()
    {
        CWB_SHARED_FILE(path, "models/stories260K/stories260K.gguf");
        auto model = std::make_shared<const cwb::Model>(cwb::io::openModel(path));
        const QString name = QStringLiteral("layers.0.mlp.up");
        const cwb::Tensor *tensor = model->findTensor(name.toStdString());
        QVERIFY(tensor);

        JobService jobs;
        Document document(&jobs);
        document.setModel(model);
        HistogramPanel panel(&document);
        QSignalSpy shown(&panel, &HistogramPanel::histogramShown);
        QSignalSpy compared(&panel, &HistogramPanel::comparisonShown);
        panel.showTensor(name);
        QTRY_COMPARE_WITH_TIMEOUT(shown.count(), 1, kTimeoutMs);
        HistogramChart *chart = panel.chart();
        QVERIFY(!chart->hasOverlay());
        QVERIFY(!chart->legendVisible());
        const std::vector<double> edges = chart->series().edges;
        const std::vector<double> counts = chart->series().counts;
        const size_t bins = counts.size();

        // The "dequantized" tensor: each value rounded to a grid of 9 levels over +-max|v|.
        const std::vector<float> original = tensor->toFloat();
        float amax = 0;
        for (float v : original)
            amax = std::max(amax, std::abs(v));
        const float step = amax / 4; // exact: a power-of-two division
        auto rounded = std::make_shared<std::vector<float>>(original.size());
        for (size_t i = 0; i < original.size(); ++i)
            (*rounded)[i] = std::round(original[i] / step) * step;

        panel.setComparison(name, rounded, QStringLiteral("dequantized"));
        QVERIFY(panel.hasComparison(name));
        QVERIFY(panel.hasComparison(QString::fromStdString(tensor->name)));
        QVERIFY(!chart->hasOverlay()); // counted on the thread pool
        QTRY_VERIFY_WITH_TIMEOUT(chart->hasOverlay(), kTimeoutMs);
        QCOMPARE(compared.count(), 1);
        QCOMPARE(compared.first().first().toString(), QString::fromStdString(tensor->name));

        // Same bins: the series is untouched, the overlay has one count per bin.
        QCOMPARE(chart->series().edges, edges);
        QCOMPARE(chart->series().counts, counts);
        const std::vector<double> overlay = chart->overlayCounts();
        QCOMPARE(overlay.size(), bins);
        QCOMPARE(std::accumulate(overlay.begin(), overlay.end(), 0.0),
                 static_cast<double>(original.size()));
        // The core's binning of the rounded values in those edges.
        cwb::Histogram want;
        want.edges = edges;
        want.counts.assign(bins, 0);
        cwb::addToHistogram(*rounded, want);
        QCOMPARE(overlay, std::vector<double>(want.counts.begin(), want.counts.end()));
        // Different from the original: the mass sits in at most 9 bins.
        QVERIFY(overlay != counts);
        const auto nonEmpty = [](const std::vector<double> &c) {
            return std::count_if(c.begin(), c.end(), [](double v) { return v > 0; });
        };
        QVERIFY(nonEmpty(overlay) <= 9);
        QVERIFY(nonEmpty(counts) > 9);
        QCOMPARE(chart->overlayPointCount(), static_cast<int>(2 * bins + 2));
        QVERIFY(chart->legendVisible());
        QCOMPARE(chart->overlayLabel(), QStringLiteral("dequantized"));
        QVERIFY(panel.statusText().contains(QStringLiteral("dequantized")));

        // Log counts keep the overlay.
        panel.logCountsBox()->setChecked(true);
        QVERIFY(chart->hasOverlay());
        QVERIFY(grabTo(panel, QSize(900, 560), QStringLiteral("histogram-overlay.png"),
                       screenshots_));
        panel.logCountsBox()->setChecked(false);

        // Another tensor has no comparison; coming back brings it back.
        panel.showTensor(QStringLiteral("layers.0.attn.q"));
        QTRY_COMPARE_WITH_TIMEOUT(shown.count(), 2, kTimeoutMs);
        QVERIFY(!chart->hasOverlay());
        QVERIFY(!chart->legendVisible());
        panel.showTensor(name);
        QTRY_COMPARE_WITH_TIMEOUT(compared.count(), 2, kTimeoutMs);
        QCOMPARE(chart->overlayCounts(), overlay);

        panel.clearComparisons();
        QVERIFY(!panel.hasComparison(name));
        QVERIFY(!chart->hasOverlay());
        QVERIFY(!panel.statusText().contains(QStringLiteral("dequantized")));
        QTRY_VERIFY(!panel.isBusy());
        QCOMPARE(compared.count(), 2);
    }

private:
    QTemporaryDir screenshots_;
};

QTEST_MAIN(TestGuiJobs)
#include "test_gui_jobs.moc"
