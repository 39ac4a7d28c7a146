// SPDX-License-Identifier: MIT
// The analysis GUI: the chart classes (SpectrumChart, ChannelsChart, OverviewHeatmap) and the
// data that feeds them (analysis_series, overview_grid) on synthetic structs; then, with
// stories260K open in a MainWindow, the whole loop: Analysis -> Analyze Model through the action
// and its dialog, results streaming into the Inspector and the Model Overview, a heat-map click
// selecting the tensor, saving a .cwbproj and reopening it in a fresh window without analysing,
// a stale project refused, cancelling mid-way, and errors reported in message boxes.

#include "analysis_actions.h"
#include "analysis_controller.h"
#include "analysis_series.h"
#include "analyze_dialog.h"
#include "app_setup.h"
#include "channels_chart.h"
#include "chart_text.h"
#include "document.h"
#include "histogram_chart.h"
#include "histogram_panel.h"
#include "inspector_widget.h"
#include "job_service.h"
#include "launch_options.h"
#include "main_window.h"
#include "overview_grid.h"
#include "overview_heatmap.h"
#include "overview_panel.h"
#include "spectrum_chart.h"
#include "test_support.h"

#include "analysis/model_analysis.h"
#include "model/model.h"

#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QDockWidget>
#include <QFile>
#include <QLineEdit>
#include <QMessageBox>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QToolButton>
#include <QTreeView>

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>

using namespace cwb::gui;

namespace {

constexpr int kTimeoutMs = 20'000;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

QString q(const std::string &s) { return QString::fromStdString(s); }

// An F32 tensor whose bytes the Model owns; values a deterministic pseudo-random pattern, so
// every matrix has full rank.
void addTensor(cwb::Model &m, const std::string &name, const std::string &canonical,
               std::vector<int64_t> shape)
{
    cwb::Tensor t;
    t.name = name;
    t.canonical = canonical;
    t.dtype = cwb::DType::F32;
    t.dtypeLabel = "F32";
    t.shape = std::move(shape);
    const auto n = static_cast<size_t>(t.numel());
    std::vector<float> values(n);
    uint32_t state = 2463534242u + static_cast<uint32_t>(m.tensors.size());
    for (float &v : values) { // xorshift32
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        v = static_cast<float>(state % 20001) / 10000.0f - 1.0f;
    }
    auto bytes = std::make_shared<std::vector<std::byte>>(n * sizeof(float));
    std::memcpy(bytes->data(), values.data(), bytes->size());
    t.byteSize = bytes->size();
    t.data = std::span<const std::byte>(*bytes);
    t.keepAlive = bytes;
    m.tensors.push_back(std::move(t));
}

cwb::Model layoutModel()
{
    cwb::Model m;
    m.format = cwb::ModelFormat::Safetensors;
    addTensor(m, "tok", "embed", {8, 4});
    addTensor(m, "l0.down", "layers.0.mlp.down", {4, 6});
    addTensor(m, "l0.q", "layers.0.attn.q", {4, 4});
    addTensor(m, "l1.q", "layers.1.attn.q", {4, 4});
    addTensor(m, "l10.norm", "layers.10.attn_norm", {4});
    addTensor(m, "l1.odd", "layers.1.attn.rotary", {4});
    addTensor(m, "k1", "dense_1.kernel", {4, 3});
    addTensor(m, "rope", "", {4});
    addTensor(m, "norm", "final_norm", {4});
    addTensor(m, "out", "head", {8, 4});
    return m;
}

// A result with every metric set to known values.
cwb::TensorAnalysis syntheticAnalysis()
{
    cwb::TensorAnalysis a;
    a.name = "blk.3.attn_q.weight";
    a.canonical = "layers.3.attn.q";
    a.shape = {4, 6};
    a.stats.view.rows = 4;
    a.stats.view.cols = 6;
    a.stats.absMax = 9.0;
    a.stats.std = 0.5;
    a.stats.kurtosis = 12.5;
    a.stats.rowStats.absMax = {1.0f, 9.0f, 1.5f, 1.2f};
    a.stats.colStats.absMax = {1, 1, 9, 1, 1, 1.1f};
    a.stats.rowOutliers.median = 1.35;
    a.stats.rowOutliers.threshold = 8.1;
    a.stats.rowOutliers.count = 1;
    a.stats.rowOutliers.channels = {{1, 9.0, 9.0 / 1.35}};
    a.stats.colOutliers.median = 1.0;
    a.stats.colOutliers.threshold = 6.0;
    a.stats.colOutliers.count = 1;
    a.stats.colOutliers.channels = {{2, 9.0, 9.0}};
    a.spectrum.view = a.stats.view;
    a.spectrum.singularValues = {8, 4, 2, 1};
    a.spectrum.stableRank = 85.0 / 64.0;
    a.spectrum.entropyRank = 3.1;
    a.spectrum.energyRank90 = 2;
    a.spectrum.energyRank95 = 3;
    a.spectrum.energyRank99 = 4;
    a.spectrum.powerLaw = {true, 2.75, 0.125, 0.05, 3};
    return a;
}

cwb::ActivationStats syntheticActivations()
{
    cwb::ActivationStats s;
    s.outlierFactor = 6.0;
    cwb::LinearActivationStats l;
    l.weight = "layers.3.attn.q";
    l.input = "layers.3.attn_norm.out";
    l.layer = 3;
    l.inFeatures = 6;
    l.tokens = 512;
    l.absMax = {0.5, 0.4, 7.0, 0.6, 0.5, 0.45};
    l.medianAbsMax = 0.5;
    l.outliers = {{2, 14.0}};
    s.linears.push_back(l);
    return s;
}

// Flips bytes near the end of a file (inside the last tensor's data): same size, new content.
bool touchFile(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadWrite))
        return false;
    const qint64 at = f.size() - 64;
    f.seek(at);
    QByteArray bytes = f.read(8);
    for (char &c : bytes)
        c = static_cast<char>(~c);
    f.seek(at);
    return f.write(bytes) == 8;
}

} // namespace

class TestGuiAnalysis : public QObject {
    Q_OBJECT

private:
    // Opens stories260K (or `path`) in `w` and waits for it.
    static bool openModel(MainWindow &w, const QString &path)
    {
        QSignalSpy loaded(w.document(), &Document::modelChanged);
        w.openModel(path);
        return loaded.wait(kTimeoutMs) || loaded.count() > 0;
    }

    // Analysis -> Analyze Model..., options set in its dialog, Analyze pressed.
    static void analyzeThroughDialog(MainWindow &w, bool spectra, const QString &calibration)
    {
        QVERIFY(w.analysisActions()->analyzeAction()->isEnabled());
        w.analysisActions()->analyzeAction()->trigger();
        AnalyzeDialog *dialog = w.analysisActions()->dialog();
        QVERIFY(dialog);
        QTRY_VERIFY(dialog->isVisible());
        dialog->spectraBox()->setChecked(spectra);
        dialog->calibrationEdit()->setText(calibration);
        dialog->sequencesBox()->setValue(4);
        dialog->tokensBox()->setValue(128);
        QVERIFY(dialog->sequencesBox()->isEnabled() == !calibration.isEmpty());
        dialog->accept();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("CompressionWorkbenchTests"));
        QCoreApplication::setApplicationName(QStringLiteral("test_gui_analysis"));
        QSettings().clear();
        initResources();
    }

    // --- charts and their data, synthetic ---------------------------------------------------

    void cumulativeEnergy_data()
    {
        QTest::addColumn<QList<double>>("values");
        QTest::addColumn<QList<double>>("expected");
        QTest::newRow("3-4-5") << QList<double>{4, 3} << QList<double>{16.0 / 25.0, 1.0};
        QTest::newRow("equal") << QList<double>{1, 1, 1, 1} << QList<double>{0.25, 0.5, 0.75, 1};
        QTest::newRow("zero matrix") << QList<double>{0, 0} << QList<double>{0, 0};
        QTest::newRow("empty") << QList<double>{} << QList<double>{};
    }
    void cumulativeEnergy()
    {
        QFETCH(QList<double>, values);
        QFETCH(QList<double>, expected);
        const std::vector<double> out
            = cwb::gui::cumulativeEnergy(std::vector<double>(values.begin(), values.end()));
        QCOMPARE(out.size(), static_cast<size_t>(expected.size()));
        for (size_t i = 0; i < out.size(); ++i)
            QVERIFY2(std::abs(out[i] - expected[static_cast<qsizetype>(i)]) < 1e-12,
                     qPrintable(QString::number(out[i])));
    }

    void spectrumChartDrawsCurvesAndRanks()
    {
        SpectrumChart chart;
        QVERIFY(!chart.hasData());
        SpectrumSeries s;
        s.title = QStringLiteral("layers.3.attn.q");
        s.singularValues = {8, 4, 2, 1, 0}; // the zero stays off the log axis
        s.ranks = {{0.9, 2}, {0.95, 3}, {0.99, 4}, {0.999, 9}}; // 9 > n: not drawn
        s.statsText = QStringLiteral("stable rank 1.33");
        s.note = QStringLiteral("reshaped");
        chart.setSeries(s);
        QVERIFY(chart.hasData());
        QCOMPARE(chart.title(), s.title);
        QCOMPARE(chart.singularPointCount(), 4);
        QCOMPARE(chart.energyPointCount(), 5);
        QCOMPARE(chart.markerCount(), 3);
        QCOMPARE(chart.energyPercentAt(1), 100.0 * 64.0 / 85.0);
        QCOMPARE(chart.energyPercentAt(5), 100.0);
        QVERIFY(std::isnan(chart.energyPercentAt(6)));
        QVERIFY(chart.statsText().contains(QStringLiteral("stable rank 1.33")));
        QVERIFY(chart.statsText().contains(QStringLiteral("reshaped")));
        chart.clear(QStringLiteral("nothing"));
        QCOMPARE(chart.title(), QStringLiteral("nothing"));
        QCOMPARE(chart.singularPointCount(), 0);
        QCOMPARE(chart.markerCount(), 0);
    }

    void channelsChartHighlightsOutliers()
    {
        ChannelsChart chart;
        QCOMPARE(chart.panelCount(), 0);
        ChannelPanel a;
        a.title = QStringLiteral("rows");
        a.values = {1, 9, 1.5, 1.2};
        a.outliers = {1, 17}; // 17 is no channel: ignored
        a.threshold = 8.1;
        ChannelPanel dense; // > 256 channels: drawn without outlines, outliers marked on top
        dense.values.assign(1000, 1.0);
        dense.values[123] = 50;
        dense.outliers = {123};
        ChannelPanel none;
        none.message = QStringLiteral("no calibration data");
        chart.setPanels({a, dense, none}, QStringLiteral("tensor"));
        QCOMPARE(chart.title(), QStringLiteral("tensor"));
        QCOMPARE(chart.panelCount(), 3);
        QCOMPARE(chart.barCount(0), 4);
        QCOMPARE(chart.outlierBarCount(0), 1);
        QCOMPARE(chart.barCount(1), 1000);
        QCOMPARE(chart.outlierBarCount(1), 1);
        QCOMPARE(chart.barCount(2), 0);
        QCOMPARE(chart.barCount(3), 0);
        chart.clear(QStringLiteral("vector"));
        QCOMPARE(chart.panelCount(), 0);
        QCOMPARE(chart.message(), QStringLiteral("vector"));
    }

    void histogramChartDrawsMarkersInRange()
    {
        HistogramChart chart;
        HistogramSeries s;
        s.edges = {-2, -1, 0, 1, 2};
        s.counts = {1, 5, 5, 1};
        chart.setSeries(s);
        chart.setMarkers({{1.5, QStringLiteral("a")}, {-1.5, QStringLiteral("a")},
                          {7.0, QStringLiteral("beyond the bins")}});
        QCOMPARE(chart.markers().size(), size_t{3});
        QCOMPARE(chart.visibleMarkerCount(), 2);
        chart.clear();
        QCOMPARE(chart.visibleMarkerCount(), 0);
    }

    // QCustomPlot's titles neither wrap nor elide: at 1280x800 the Channels tab's panel titles
    // were cut at both ends. They are broken after ": " and elided to the plot's width now.
    void channelsChartTitlesFitTheirWidth()
    {
        const QFont font;
        const QFontMetrics fm(font);
        const QString fits = QStringLiteral("abs-max");
        QCOMPARE(cwb::gui::fitTextToWidth(fits, font, 400), fits);
        const QString long_ = QStringLiteral("Weight output channels (rows), 1024: no outliers "
                                             "above 6 \u00d7 median");
        const QString two = cwb::gui::fitTextToWidth(long_, font, fm.horizontalAdvance(long_) - 10);
        QCOMPARE(two, QStringLiteral("Weight output channels (rows), 1024:\nno outliers above "
                                     "6 \u00d7 median"));
        for (const QString &line : cwb::gui::fitTextToWidth(long_, font, 60).split(QLatin1Char('\n')))
            QVERIFY2(fm.horizontalAdvance(line) <= 60, qPrintable(line));

        ChannelsChart chart;
        chart.resize(390, 420);
        chart.show();
        QVERIFY(QTest::qWaitForWindowExposed(&chart));
        std::vector<ChannelPanel> panels(2);
        panels[0].title = long_;
        panels[0].values.assign(64, 0.1);
        panels[0].threshold = 0.5;
        panels[1].title = QStringLiteral("Activation input channels");
        panels[1].message = QStringLiteral("No calibration data: run Analysis \u2192 Analyze Model "
                                           "with a calibration text");
        chart.setPanels(panels, QStringLiteral("layers.0.mlp.up   (blk.0.ffn_up.weight)"));
        QCOMPARE(chart.panels().front().title, long_); // the full text is kept
        int texts = 0;
        const int width = chart.plot()->width();
        for (int i = 0; i < chart.plot()->plotLayout()->elementCount(); ++i) {
            auto *text = qobject_cast<QCPTextElement *>(chart.plot()->plotLayout()->elementAt(i));
            if (!text)
                continue;
            ++texts;
            const QFontMetrics m(text->font());
            for (const QString &line : text->text().split(QLatin1Char('\n')))
                QVERIFY2(m.horizontalAdvance(line) <= width,
                         qPrintable(QStringLiteral("%1 px > %2 px: %3")
                                        .arg(m.horizontalAdvance(line)).arg(width).arg(line)));
        }
        QCOMPARE(texts, 3);
        for (int i = 0; i < chart.plot()->itemCount(); ++i)
            if (auto *t = qobject_cast<QCPItemText *>(chart.plot()->item(i)))
                for (const QString &line : t->text().split(QLatin1Char('\n')))
                    QVERIFY2(QFontMetrics(t->font()).horizontalAdvance(line) <= width,
                             qPrintable(line));
    }

    // The statistics box sits in the top-right corner; at small chart heights (1280x800 main
    // window) it covered the peak of a bell-shaped histogram. The count axis now leaves it room
    // at every size, linear and logarithmic.
    void histogramStatisticsBoxClearsThePeak()
    {
        HistogramSeries s;
        for (int i = 0; i <= 64; ++i)
            s.edges.push_back(-1.0 + i / 32.0);
        for (int i = 0; i < 64; ++i)
            s.counts.push_back(std::round(10000.0 * std::exp(-0.5 * std::pow((i - 31.5) / 8.0, 2))));
        const double peak = *std::max_element(s.counts.begin(), s.counts.end());
        s.statsText = QStringLiteral("min    -1\nmax    1\nmean   0\nstd    0.25\nzeros  0");
        for (const QSize size : {QSize(400, 300), QSize(420, 420), QSize(900, 700)})
            for (const bool log : {false, true}) {
                HistogramChart chart;
                chart.resize(size);
                chart.show();
                QVERIFY(QTest::qWaitForWindowExposed(&chart));
                chart.setLogCounts(log);
                chart.setSeries(s);
                QCPItemText *box = nullptr;
                for (int i = 0; i < chart.plot()->itemCount(); ++i)
                    if (auto *t = qobject_cast<QCPItemText *>(chart.plot()->item(i));
                        t && t->text() == s.statsText)
                        box = t;
                QVERIFY(box && box->visible());
                const auto clear = [&] {
                    return chart.plot()->yAxis->coordToPixel(peak)
                           > box->bottom->pixelPosition().y();
                };
                QTRY_VERIFY2(clear(), qPrintable(QStringLiteral("%1x%2 %3: peak at %4 px, box "
                                                                "ends at %5 px")
                                                     .arg(size.width())
                                                     .arg(size.height())
                                                     .arg(QLatin1String(log ? "log" : "linear"))
                                                     .arg(chart.plot()->yAxis->coordToPixel(peak))
                                                     .arg(box->bottom->pixelPosition().y())));
            }
    }

    void heatmapCellsAndClicks()
    {
        OverviewHeatmap map;
        map.resize(640, 320);
        map.show();
        QVERIFY(QTest::qWaitForWindowExposed(&map));
        HeatmapGrid g;
        g.columns = {QStringLiteral("0"), QStringLiteral("1"), QStringLiteral("2")};
        g.rows = {QStringLiteral("attn.q"), QStringLiteral("mlp.down")};
        g.values = {1, 2, kNaN, 4, 5, 6};
        g.tensors = {QStringLiteral("q0"), QStringLiteral("q1"), QString(),
                     QStringLiteral("d0"), QStringLiteral("d1"), QStringLiteral("d2")};
        g.metric = QStringLiteral("kurtosis");
        map.setGrid(g);
        map.replot();
        QCOMPARE(map.grid().value(1, 2), 6.0);
        QVERIFY(std::isnan(map.grid().value(0, 2)));
        QVERIFY(std::isnan(map.grid().value(5, 0)));
        QCOMPARE(map.visibleValueLabels(), 5); // one per finite cell: they fit at this size
        for (int r = 0; r < 2; ++r)
            for (int c = 0; c < 3; ++c) {
                int row = -1, column = -1;
                QVERIFY(map.cellAt(map.cellCenter(r, c), &row, &column));
                QCOMPARE(row, r);
                QCOMPARE(column, c);
            }
        QSignalSpy clicked(&map, &OverviewHeatmap::tensorClicked);
        QTest::mouseClick(map.canvas(), Qt::LeftButton, {}, map.cellCenter(1, 2));
        QCOMPARE(clicked.count(), 1);
        QCOMPARE(clicked.first().first().toString(), QStringLiteral("d2"));
        QCOMPARE(map.selectedTensor(), QStringLiteral("d2"));
        QTest::mouseClick(map.canvas(), Qt::LeftButton, {}, map.cellCenter(0, 2)); // no tensor
        QCOMPARE(clicked.count(), 1);

        // Many small cells: the value labels would not fit, so none is shown.
        HeatmapGrid wide;
        for (int c = 0; c < 60; ++c)
            wide.columns << QString::number(c);
        wide.rows = g.rows;
        wide.values.assign(120, 1.0);
        wide.values[7] = 3.0;
        wide.tensors.assign(120, QStringLiteral("t"));
        map.setGrid(wide);
        map.replot();
        QCOMPARE(map.visibleValueLabels(), 0);
        map.clear(QStringLiteral("empty"));
        QCOMPARE(map.message(), QStringLiteral("empty"));
        int row = 0, column = 0;
        QVERIFY(!map.cellAt(map.cellCenter(0, 0), &row, &column));
    }

    // Columns: model, numeric layers in order, then named groups; rows: known layer roles in
    // forward order, other roles, then the model-level roles. Unknown tensors are left out.
    void overviewLayoutPlacesTensors()
    {
        const cwb::Model m = layoutModel();
        const OverviewLayout l = overviewLayout(m);
        QCOMPARE(l.columns, (QStringList{QStringLiteral("model"), QStringLiteral("0"),
                                         QStringLiteral("1"), QStringLiteral("10"),
                                         QStringLiteral("dense_1")}));
        QCOMPARE(l.rows, (QStringList{QStringLiteral("attn_norm"), QStringLiteral("attn.q"),
                                      QStringLiteral("mlp.down"), QStringLiteral("attn.rotary"),
                                      QStringLiteral("kernel"), QStringLiteral("embed"),
                                      QStringLiteral("final_norm"), QStringLiteral("head")}));
        const auto at = [&](const char *row, const char *column) {
            return l.tensorAt(static_cast<int>(l.rows.indexOf(QLatin1String(row))),
                              static_cast<int>(l.columns.indexOf(QLatin1String(column))));
        };
        QCOMPARE(at("attn.q", "0"), 2);
        QCOMPARE(at("mlp.down", "0"), 1);
        QCOMPARE(at("attn.q", "1"), 3);
        QCOMPARE(at("attn_norm", "10"), 4);
        QCOMPARE(at("attn.rotary", "1"), 5);
        QCOMPARE(at("kernel", "dense_1"), 6);
        QCOMPARE(l.tensorAt(static_cast<int>(l.rows.indexOf(QStringLiteral("embed"))), 0), 0);
        QCOMPARE(l.tensorAt(static_cast<int>(l.rows.indexOf(QStringLiteral("head"))), 0), 9);
        QCOMPARE(at("attn.q", "10"), -1);
        QCOMPARE(l.tensorAt(99, 0), -1);
        int placed = 0;
        for (int cell : l.cells)
            placed += cell >= 0;
        QCOMPARE(placed, 9); // all but "rope"
    }

    void overviewValues_data()
    {
        QTest::addColumn<int>("metric");
        QTest::addColumn<double>("expected");
        QTest::addColumn<double>("withoutSpectrum");
        QTest::newRow("abs-max") << int(OverviewMetric::AbsMax) << 9.0 << 9.0;
        QTest::newRow("std") << int(OverviewMetric::Std) << 0.5 << 0.5;
        QTest::newRow("kurtosis") << int(OverviewMetric::Kurtosis) << 12.5 << 12.5;
        QTest::newRow("outliers") << int(OverviewMetric::OutlierChannels) << 2.0 << 2.0;
        QTest::newRow("stable rank") << int(OverviewMetric::StableRank) << 85.0 / 64.0 << kNaN;
        QTest::newRow("effective rank") << int(OverviewMetric::EffectiveRank) << 3.1 << kNaN;
        QTest::newRow("energy 90") << int(OverviewMetric::EnergyRank90) << 2.0 << kNaN;
        QTest::newRow("energy 99") << int(OverviewMetric::EnergyRank99) << 4.0 << kNaN;
        QTest::newRow("alpha") << int(OverviewMetric::Alpha) << 2.75 << kNaN;
        QTest::newRow("activation abs-max") << int(OverviewMetric::ActivationAbsMax) << 7.0 << 7.0;
        QTest::newRow("activation outliers")
            << int(OverviewMetric::ActivationOutliers) << 1.0 << 1.0;
    }
    void overviewValues()
    {
        QFETCH(int, metric);
        QFETCH(double, expected);
        QFETCH(double, withoutSpectrum);
        const auto m = static_cast<OverviewMetric>(metric);
        QVERIFY(!overviewMetricName(m).isEmpty());
        const cwb::ActivationStats act = syntheticActivations();
        cwb::TensorAnalysis a = syntheticAnalysis();
        QCOMPARE(overviewValue(a, &act, m), expected);
        a.spectrum.skipped = "spectra not requested";
        const double v = overviewValue(a, &act, m);
        QVERIFY(std::isnan(withoutSpectrum) ? std::isnan(v) : v == withoutSpectrum);
        QCOMPARE(std::isnan(withoutSpectrum), metricNeedsSpectra(m));
        if (metricNeedsCalibration(m))
            QVERIFY(std::isnan(overviewValue(a, nullptr, m)));
        a.skipped = "undecodable";
        QVERIFY(std::isnan(overviewValue(a, &act, m)));
    }

    void overviewGridLogScaleAndMissing()
    {
        const cwb::Model m = layoutModel();
        const OverviewLayout l = overviewLayout(m);
        std::vector<cwb::TensorAnalysis> results(m.tensors.size());
        for (size_t i = 0; i < results.size(); ++i) {
            results[i].name = m.tensors[i].name;
            results[i].stats.absMax = std::pow(10.0, static_cast<double>(i) - 4.0);
        }
        const auto lookup = [&](size_t i) -> const cwb::TensorAnalysis * {
            return i == 3 ? nullptr : &results[i]; // layers.1.attn.q has no result yet
        };
        const HeatmapGrid g = overviewGrid(m, l, OverviewMetric::AbsMax, lookup, nullptr);
        QCOMPARE(g.rowCount(), static_cast<int>(l.rows.size()));
        QCOMPARE(g.columnCount(), static_cast<int>(l.columns.size()));
        QVERIFY(g.logScale); // nine decades
        const int q = static_cast<int>(l.rows.indexOf(QStringLiteral("attn.q")));
        QCOMPARE(g.tensor(q, 2), QStringLiteral("l1.q"));
        QVERIFY(std::isnan(g.value(q, 2)));
        QCOMPARE(g.value(q, 1), 1e-2);
        const HeatmapGrid k = overviewGrid(m, l, OverviewMetric::Kurtosis, lookup, nullptr);
        QVERIFY(!k.logScale);
    }

    void spectrumSeriesFromAnalysis()
    {
        cwb::TensorAnalysis a = syntheticAnalysis();
        SpectrumSeries s = spectrumSeries(a);
        QCOMPARE(s.singularValues.size(), size_t{4});
        QCOMPARE(s.ranks.size(), size_t{3});
        QCOMPARE(s.ranks[1].rank, 3);
        QVERIFY(s.title.contains(QStringLiteral("layers.3.attn.q")));
        QVERIFY(s.title.contains(QStringLiteral("blk.3.attn_q.weight")));
        QVERIFY2(s.statsText.contains(QLocale().toString(2.75, 'g', 3)), qPrintable(s.statsText));
        QVERIFY(s.statsText.contains(QLocale().toString(0.125, 'g', 3)));
        QVERIFY(s.note.isEmpty()); // already a matrix

        a.shape = {8, 2, 3, 3}; // OIHW conv kernel
        a.spectrum.view.rows = 8;
        a.spectrum.view.cols = 18;
        s = spectrumSeries(a);
        QVERIFY2(s.note.contains(QStringLiteral("8 \u00d7 18")), qPrintable(s.note));
        QVERIFY(s.note.contains(QStringLiteral("(8, 2, 3, 3)")));

        a.spectrum.skipped = "spectra not requested";
        s = spectrumSeries(a);
        QVERIFY(s.singularValues.empty());
        QVERIFY(s.statsText.contains(QStringLiteral("Analyze Model")));
        a.shape = {4};
        QVERIFY(spectrumSeries(a).statsText.contains(QStringLiteral("1-D")));
    }

    void channelPanelsFromAnalysis()
    {
        const cwb::TensorAnalysis a = syntheticAnalysis();
        std::vector<ChannelPanel> p = channelPanels(a, nullptr, 6.0);
        QCOMPARE(p.size(), size_t{3});
        QCOMPARE(p[0].values.size(), size_t{4});
        QCOMPARE(p[0].outliers, std::vector<int64_t>{1});
        QCOMPARE(p[0].threshold, 8.1);
        QCOMPARE(p[1].outliers, std::vector<int64_t>{2});
        QVERIFY(p[2].values.empty());
        QVERIFY(p[2].message.contains(QStringLiteral("calibration")));

        const cwb::ActivationStats act = syntheticActivations();
        p = channelPanels(a, &act, 6.0);
        QCOMPARE(p[2].values.size(), size_t{6});
        QCOMPARE(p[2].outliers, std::vector<int64_t>{2});
        QCOMPARE(p[2].threshold, 3.0);
        QVERIFY(p[2].title.contains(QLocale().toString(512)));

        cwb::TensorAnalysis other = a;
        other.canonical = "layers.3.mlp.down"; // not observed by this calibration run
        p = channelPanels(other, &act, 6.0);
        QVERIFY(p[2].values.empty());
        QVERIFY(!p[2].message.isEmpty());

        cwb::TensorAnalysis vec = a;
        vec.stats.view.perChannel = false;
        QVERIFY(channelPanels(vec, &act, 6.0).empty());

        const std::vector<HistogramMarker> markers = outlierMarkers(a.stats, 6.0);
        QCOMPARE(markers.size(), size_t{4});
        QCOMPARE(markers[0].value, 8.1);
        QCOMPARE(markers[1].value, -8.1);
        QCOMPARE(markers[3].value, -6.0);
        QVERIFY(!markers[0].label.isEmpty());
        const QString note = outlierNote(a.stats, 6.0);
        QVERIFY2(note.contains(QStringLiteral("1 of 4 rows")), qPrintable(note));
        QVERIFY(note.contains(QStringLiteral("1 of 6 columns")));
        cwb::TensorStats vector;
        vector.view.perChannel = false;
        QVERIFY(outlierNote(vector, 6.0).isEmpty());
        QVERIFY(outlierMarkers(vector, 6.0).empty());
    }

    // --- the whole loop on stories260K --------------------------------------------------

    void analyzeSaveAndReopenStories260K()
    {
        CWB_SHARED_FILE(model, "models/stories260K/stories260K.gguf");
        CWB_SHARED_FILE(text, "data/tinystories/tinystories_validation_head.txt");
        QTemporaryDir dir;
        const QString project = dir.filePath(QStringLiteral("stories"));

        std::vector<double> singular;
        {
            MainWindow w;
            w.resize(1280, 800);
            w.show();
            QVERIFY(QTest::qWaitForWindowExposed(&w));
            QVERIFY(!w.analysisActions()->analyzeAction()->isEnabled()); // no model yet
            QVERIFY(openModel(w, q(model)));
            QVERIFY(w.selectTensor(QStringLiteral("layers.0.attn.q")));
            QVERIFY(w.inspector()->spectrumChart()->title().contains(QStringLiteral("Analysis")));
            QVERIFY(!w.analysisActions()->saveProjectAction()->isEnabled());

            AnalysisController *c = w.analysisController();
            QSignalSpy arrived(c, &AnalysisController::tensorAnalyzed);
            QSignalSpy finished(c, &AnalysisController::finished);
            QSignalSpy shown(w.inspector(), &InspectorWidget::resultShown);
            analyzeThroughDialog(w, true, q(text));
            if (QTest::currentTestFailed())
                return;
            QVERIFY(c->isRunning());
            QVERIFY(w.analysisActions()->cancelAction()->isEnabled());
            QVERIFY(!w.overviewDock()->isHidden());
            QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kTimeoutMs);
            QCOMPARE(arrived.count(), 48);
            QCOMPARE(c->resultCount(), 48);
            QVERIFY(c->isComplete());
            QVERIFY(c->activations());
            QVERIFY(!w.analysisActions()->progressWidget()->isVisible());
            // The selected tensor's result reached the Inspector when it arrived.
            QVERIFY(shown.contains(QVariantList{QStringLiteral("blk.0.attn_q.weight")}));
            for (const cwb::Tensor &t : c->model()->tensors)
                QVERIFY2(c->result(q(t.name)), t.name.c_str());

            // Spectrum and Channels tabs of the selected tensor (64 x 64, with activations).
            SpectrumChart *spectrum = w.inspector()->spectrumChart();
            QVERIFY(spectrum->hasData());
            QCOMPARE(spectrum->series().singularValues.size(), size_t{64});
            QCOMPARE(spectrum->markerCount(), 3);
            QVERIFY(spectrum->statsText().contains(QStringLiteral("stable rank")));
            singular = spectrum->series().singularValues;
            // The histogram of the selected tensor says how its channels compare with k x median.
            QTRY_VERIFY(!w.histogramPanel()->noteText().isEmpty());
            QVERIFY(w.histogramPanel()->noteText().contains(QStringLiteral("64 rows")));
            ChannelsChart *channels = w.inspector()->channelsChart();
            QCOMPARE(channels->panelCount(), 3);
            QCOMPARE(channels->barCount(0), 64);
            QCOMPARE(channels->barCount(1), 64);
            QCOMPARE(channels->barCount(2), 64); // activations at attn_norm's output
            w.inspector()->setCurrentIndex(InspectorWidget::ChannelsTab);

            // The output head is not observed by the calibration run: said in its panel.
            QVERIFY(w.selectTensor(QStringLiteral("head")));
            QCOMPARE(channels->barCount(2), 0);
            QVERIFY(!channels->panels().at(2).message.isEmpty());
            QCOMPARE(channels->barCount(0), 512);
            // A norm vector has no channels and no spectrum.
            QVERIFY(w.selectTensor(QStringLiteral("layers.1.mlp_norm")));
            QCOMPARE(channels->panelCount(), 0);
            QVERIFY(!spectrum->hasData());

            // The overview: model column + 5 layers; every cell of a known tensor has a value.
            OverviewPanel *overview = w.overviewPanel();
            overview->setMetric(OverviewMetric::StableRank);
            overview->refreshNow();
            const HeatmapGrid &grid = overview->heatmap()->grid();
            QCOMPARE(grid.columnCount(), 6);
            QCOMPARE(grid.rowCount(), 9 + 3);
            const int down = static_cast<int>(grid.rows.indexOf(QStringLiteral("mlp.down")));
            QVERIFY(down >= 0);
            QCOMPARE(grid.tensor(down, 3), QStringLiteral("blk.2.ffn_down.weight"));
            QVERIFY(std::isfinite(grid.value(down, 3)));
            overview->heatmap()->replot();
            QTest::mouseClick(overview->heatmap()->canvas(), Qt::LeftButton, {},
                              overview->heatmap()->cellCenter(down, 3));
            const QModelIndex current = w.modelView()->currentIndex();
            QCOMPARE(current.data().toString(), QStringLiteral("layers.2.mlp.down"));
            QCOMPARE(w.inspector()->currentTensor(), QStringLiteral("blk.2.ffn_down.weight"));
            QCOMPARE(overview->heatmap()->selectedTensor(),
                     QStringLiteral("blk.2.ffn_down.weight"));

            QVERIFY(w.selectTensor(QStringLiteral("layers.0.attn.q")));
            QVERIFY(w.analysisActions()->saveProjectAction()->isEnabled());
            QSignalSpy saved(c, &AnalysisController::projectSaved);
            QVERIFY(w.analysisActions()->saveProjectTo(project)); // suffix added
            QTRY_COMPARE_WITH_TIMEOUT(saved.count(), 1, kTimeoutMs);
            QCOMPARE(saved.first().first().toString(), project + QStringLiteral(".cwbproj"));
            QCOMPARE(c->projectPath(), project + QStringLiteral(".cwbproj"));
        }
        QVERIFY(QFile::exists(project + QStringLiteral(".cwbproj")));

        // A fresh window opens the project: the model comes with it and nothing is recomputed.
        MainWindow w;
        w.resize(1280, 800);
        w.show();
        AnalysisController *c = w.analysisController();
        QSignalSpy started(c, &AnalysisController::started);
        QSignalSpy opened(c, &AnalysisController::projectOpened);
        QSignalSpy requested(c, &AnalysisController::modelRequested);
        QVERIFY(c->openProject(project + QStringLiteral(".cwbproj")));
        QTRY_COMPARE_WITH_TIMEOUT(opened.count(), 1, kTimeoutMs);
        QCOMPARE(requested.count(), 1);
        QCOMPARE(started.count(), 0);
        QVERIFY(c->isComplete());
        QCOMPARE(c->resultCount(), 48);
        QVERIFY(c->activations());
        QVERIFY(!w.overviewDock()->isHidden());
        QVERIFY(w.selectTensor(QStringLiteral("layers.0.attn.q")));
        QCOMPARE(w.inspector()->spectrumChart()->series().singularValues, singular);
        QCOMPARE(w.inspector()->channelsChart()->barCount(2), 64);
        QVERIFY(std::isfinite(w.overviewPanel()->heatmap()->grid().value(1, 1)));
        QCOMPARE(started.count(), 0);
    }

    void staleProjectIsNotUsed()
    {
        CWB_SHARED_FILE(model, "models/stories260K/stories260K.gguf");
        QTemporaryDir dir;
        const QString copy = dir.filePath(QStringLiteral("copy.gguf"));
        QVERIFY(QFile::copy(q(model), copy));
        const QString project = dir.filePath(QStringLiteral("copy.cwbproj"));
        {
            MainWindow w;
            QVERIFY(openModel(w, copy));
            QSignalSpy finished(w.analysisController(), &AnalysisController::finished);
            analyzeThroughDialog(w, false, QString());
            if (QTest::currentTestFailed())
                return;
            QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kTimeoutMs);
            QSignalSpy saved(w.analysisController(), &AnalysisController::projectSaved);
            QVERIFY(w.analysisActions()->saveProjectTo(project));
            QTRY_COMPARE_WITH_TIMEOUT(saved.count(), 1, kTimeoutMs);
        }
        QVERIFY(touchFile(copy));

        MainWindow w;
        w.show();
        AnalysisController *c = w.analysisController();
        QSignalSpy stale(c, &AnalysisController::projectStale);
        QSignalSpy opened(c, &AnalysisController::projectOpened);
        QVERIFY(c->openProject(project));
        QTRY_COMPARE_WITH_TIMEOUT(stale.count(), 1, kTimeoutMs);
        QCOMPARE(opened.count(), 0);
        QVERIFY(!stale.first().at(1).toString().isEmpty()); // the reason
        QVERIFY(!c->hasResults());
        QVERIFY(c->model()); // the model itself is open
        QMessageBox *box = nullptr;
        QTRY_VERIFY((box = w.findChild<QMessageBox *>(QStringLiteral("projectStaleBox"))));
        QVERIFY(box->isVisible());
        QVERIFY(!box->informativeText().isEmpty());
        box->close();
        QVERIFY(w.analysisActions()->analyzeAction()->isEnabled());
    }

    void projectErrorsAreReported()
    {
        QTemporaryDir dir;
        const QString bogus = dir.filePath(QStringLiteral("bogus.cwbproj"));
        QFile f(bogus);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("not an HDF5 file");
        f.close();
        MainWindow w;
        w.show();
        QSignalSpy failed(w.analysisController(), &AnalysisController::projectFailed);
        QVERIFY(w.analysisController()->openProject(bogus));
        QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, kTimeoutMs);
        QVERIFY2(failed.first().at(1).toString().contains(QStringLiteral("bogus.cwbproj")),
                 qPrintable(failed.first().at(1).toString()));
        QTRY_VERIFY(w.findChild<QMessageBox *>(QStringLiteral("projectErrorBox")));
        // Nothing analysed: nothing to save.
        QVERIFY(!w.analysisController()->saveProject(dir.filePath(QStringLiteral("x.cwbproj"))));
    }

    // Cancel through the action after the first result: the run stops early, results so far
    // stay, and the incomplete analysis cannot be saved.
    void cancelMidway()
    {
        auto model = std::make_shared<cwb::Model>();
        model->format = cwb::ModelFormat::Safetensors;
        for (int i = 0; i < 32; ++i)
            addTensor(*model, "w" + std::to_string(i), "layers." + std::to_string(i) + ".attn.q",
                      {512, 512});
        QWidget host;
        JobService jobs;
        Document document(&jobs);
        AnalysisController &c = *document.analysis();
        AnalysisActions actions(&c, &host);
        document.setModel(model);
        QSignalSpy arrived(&c, &AnalysisController::tensorAnalyzed);
        QSignalSpy cancelled(&c, &AnalysisController::cancelled);
        QSignalSpy finished(&c, &AnalysisController::finished);
        cwb::ModelAnalysisParams params;
        params.spectra = true;
        QVERIFY(c.start(params));
        QVERIFY(!c.start(params)); // one at a time
        QVERIFY(actions.cancelAction()->isEnabled());
        QVERIFY(!actions.progressWidget()->isHidden());
        QTRY_VERIFY_WITH_TIMEOUT(arrived.count() >= 1, kTimeoutMs);
        actions.cancelAction()->trigger();
        QTRY_COMPARE_WITH_TIMEOUT(cancelled.count(), 1, kTimeoutMs);
        QCOMPARE(finished.count(), 0);
        QVERIFY(!c.isRunning());
        QVERIFY(!c.isComplete());
        QVERIFY2(c.resultCount() >= 1 && c.resultCount() < 32,
                 qPrintable(QString::number(c.resultCount())));
        QVERIFY(actions.progressWidget()->isHidden());
        QVERIFY(!actions.saveProjectAction()->isEnabled());
        QVERIFY(!c.saveProject(QStringLiteral("never-written.cwbproj")));
        QVERIFY(!QFile::exists(QStringLiteral("never-written.cwbproj")));
        // A new run starts from scratch and completes.
        params.spectra = false;
        QVERIFY(c.start(params));
        QCOMPARE(c.resultCount(), 0);
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kTimeoutMs);
        QCOMPARE(c.resultCount(), 32);
    }

    // A calibration run that cannot start (this model has no tokenizer) fails with core's
    // message, shown in a box; the tensor results stay.
    void analysisErrorIsReported()
    {
        auto model = std::make_shared<cwb::Model>();
        model->format = cwb::ModelFormat::Safetensors;
        addTensor(*model, "w", "layers.0.attn.q", {8, 8});
        QWidget host;
        JobService jobs;
        Document document(&jobs);
        AnalysisController &c = *document.analysis();
        AnalysisActions actions(&c, &host);
        document.setModel(model);
        QSignalSpy failed(&c, &AnalysisController::failed);
        cwb::ModelAnalysisParams params;
        params.calibrationText = "/nonexistent/calibration.txt";
        QVERIFY(c.start(params));
        QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, kTimeoutMs);
        QVERIFY(!failed.first().first().toString().isEmpty());
        QVERIFY(!c.isComplete());
        QCOMPARE(c.resultCount(), 1);
        QTRY_VERIFY(host.findChild<QMessageBox *>(QStringLiteral("analysisErrorBox")));
    }

    void launchOptionsForAnalysis_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<bool>("exits");
        QTest::addColumn<int>("tab");
        QTest::newRow("spectrum tab")
            << QStringList{QStringLiteral("--analyze"), QStringLiteral("--tab"),
                           QStringLiteral("spectrum"), QStringLiteral("--overview")}
            << false << int(InspectorWidget::SpectrumTab);
        QTest::newRow("channels tab") << QStringList{QStringLiteral("--tab=Channels")} << false
                                      << int(InspectorWidget::ChannelsTab);
        QTest::newRow("unknown tab")
            << QStringList{QStringLiteral("--tab"), QStringLiteral("lines")} << true << -1;
        QTest::newRow("calibration without analyze")
            << QStringList{QStringLiteral("--calibration"), QStringLiteral("x.txt")} << true << -1;
        QTest::newRow("outlier factor")
            << QStringList{QStringLiteral("--analyze"), QStringLiteral("--outlier-factor"),
                           QStringLiteral("3")}
            << false << -1;
        QTest::newRow("outlier factor too small")
            << QStringList{QStringLiteral("--analyze"), QStringLiteral("--outlier-factor=0.5")}
            << true << -1;
        QTest::newRow("outlier factor without analyze")
            << QStringList{QStringLiteral("--outlier-factor=3")} << true << -1;
    }
    void launchOptionsForAnalysis()
    {
        QFETCH(QStringList, args);
        QFETCH(bool, exits);
        QFETCH(int, tab);
        const LaunchParse p
            = parseLaunchOptions(QStringList{QStringLiteral("compression-workbench")} + args);
        QCOMPARE(p.exit, exits);
        if (exits) {
            QCOMPARE(p.exitCode, 2);
            return;
        }
        QCOMPARE(p.options.inspectorTab, tab);
        QCOMPARE(p.options.analyze, args.contains(QStringLiteral("--analyze")));
        QCOMPARE(p.options.overview, args.contains(QStringLiteral("--overview")));
        QCOMPARE(p.options.outlierFactor, args.contains(QStringLiteral("3")) ? 3.0 : 0.0);
    }
};

QTEST_MAIN(TestGuiAnalysis)
#include "test_gui_analysis.moc"
