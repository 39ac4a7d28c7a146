// SPDX-License-Identifier: MIT
#include "analysis_series.h"

#include "analysis/model_analysis.h"

#include <QCoreApplication>
#include <QLocale>
#include <QStringList>

#include <algorithm>
#include <cmath>

namespace cwb::gui {
namespace {

class Tr {
    Q_DECLARE_TR_FUNCTIONS(cwb::gui::AnalysisSeries)
};

QString num(double v, int precision = 4) { return QLocale().toString(v, 'g', precision); }

QString shapeText(const std::vector<int64_t> &shape)
{
    QStringList dims;
    for (int64_t d : shape)
        dims << QString::number(d);
    return QLatin1Char('(') + dims.join(QStringLiteral(", ")) + QLatin1Char(')');
}

// Aligned "label   value" lines, as in the histogram's statistics box.
QString aligned(const QList<std::pair<QString, QString>> &lines)
{
    qsizetype width = 0;
    for (const auto &l : lines)
        width = std::max(width, l.first.size());
    QStringList out;
    for (const auto &l : lines)
        out << l.first.leftJustified(width + 2) + l.second;
    return out.join(QLatin1Char('\n'));
}

std::vector<int64_t> indexesOf(const cwb::OutlierReport &report)
{
    std::vector<int64_t> out;
    out.reserve(report.channels.size());
    for (const auto &c : report.channels)
        out.push_back(c.index);
    return out;
}

QString outlierSummary(int64_t count, double factor)
{
    if (count == 0)
        return Tr::tr("no outliers above %1 \u00d7 median").arg(num(factor, 3));
    if (count == 1)
        return Tr::tr("1 outlier above %1 \u00d7 median").arg(num(factor, 3));
    return Tr::tr("%1 outliers above %2 \u00d7 median").arg(count).arg(num(factor, 3));
}

ChannelPanel weightPanel(const QString &title, const std::vector<float> &absMax,
                         const cwb::OutlierReport &outliers, double factor)
{
    ChannelPanel p;
    p.values.assign(absMax.begin(), absMax.end());
    p.outliers = indexesOf(outliers);
    p.threshold = outliers.threshold;
    p.title = Tr::tr("%1, %2: %3")
                  .arg(title)
                  .arg(absMax.size())
                  .arg(outlierSummary(outliers.count, factor));
    return p;
}

} // namespace

QString tensorTitle(const QString &name, const QString &canonical)
{
    if (canonical.isEmpty() || canonical == name)
        return name;
    return QStringLiteral("%1   (%2)").arg(canonical, name);
}

QString matrixViewNote(const std::vector<int64_t> &shape, const cwb::MatrixView &view)
{
    const QString shapeString = shapeText(shape);
    const QString rows = QString::number(view.rows), cols = QString::number(view.cols);
    if (view.transposed && shape.size() == 2)
        return Tr::tr("Keras Dense kernel (in, out) %1 transposed to out \u00d7 in = %2 \u00d7 %3")
            .arg(shapeString, rows, cols);
    if (view.transposed && shape.size() == 4)
        return Tr::tr("Conv kernel (kh, kw, in, out) %1 reshaped to out \u00d7 kh\u00b7kw\u00b7in "
                      "= %2 \u00d7 %3")
            .arg(shapeString, rows, cols);
    if (view.transposed)
        return Tr::tr("Kernel %1 reshaped to out \u00d7 rest = %2 \u00d7 %3")
            .arg(shapeString, rows, cols);
    if (shape.size() == 4)
        return Tr::tr("Conv kernel (out, in, kh, kw) %1 reshaped to out \u00d7 in\u00b7kh\u00b7kw "
                      "= %2 \u00d7 %3")
            .arg(shapeString, rows, cols);
    if (shape.size() > 2)
        return Tr::tr("Tensor %1 reshaped to out \u00d7 rest = %2 \u00d7 %3")
            .arg(shapeString, rows, cols);
    return {};
}

SpectrumSeries spectrumSeries(const cwb::TensorAnalysis &a)
{
    SpectrumSeries s;
    const QString title = tensorTitle(QString::fromStdString(a.name),
                                      QString::fromStdString(a.canonical));
    if (!a.skipped.empty()) {
        s.title = Tr::tr("No spectrum for %1").arg(title);
        s.statsText = Tr::tr("Not analyzed: %1").arg(QString::fromStdString(a.skipped));
        return s;
    }
    const cwb::Spectrum &sp = a.spectrum;
    if (!sp.skipped.empty() || sp.singularValues.empty()) {
        s.title = Tr::tr("No spectrum for %1").arg(title);
        if (a.shape.size() < 2)
            s.statsText = Tr::tr("A vector (1-D tensor) has no singular values.");
        else if (sp.skipped == "spectra not requested")
            s.statsText = Tr::tr("Spectra were not computed. Run Analysis \u2192 Analyze Model "
                                 "with \u201cSingular-value spectra\u201d checked.");
        else
            s.statsText = Tr::tr("Skipped: %1").arg(QString::fromStdString(sp.skipped));
        return s;
    }

    s.title = title;
    s.singularValues = sp.singularValues;
    const auto n = static_cast<int64_t>(sp.singularValues.size());
    s.ranks = {{0.90, static_cast<int>(sp.energyRank90)},
               {0.95, static_cast<int>(sp.energyRank95)},
               {0.99, static_cast<int>(sp.energyRank99)}};
    // One short row per figure: the panel is ~400 px wide at 1280x800, and one long row per
    // group ("90 %: … 95 %: … 99 %: … (of 256)") wrapped mid-phrase there.
    QList<std::pair<QString, QString>> lines{
        {Tr::tr("stable rank"), num(sp.stableRank)},
        {Tr::tr("effective rank"), num(sp.entropyRank)},
        {Tr::tr("energy rank %1 %").arg(90), Tr::tr("%1 of %2").arg(sp.energyRank90).arg(n)},
        {Tr::tr("energy rank %1 %").arg(95), QString::number(sp.energyRank95)},
        {Tr::tr("energy rank %1 %").arg(99), QString::number(sp.energyRank99)}};
    if (sp.powerLaw.valid) {
        lines.append({Tr::tr("alpha"), Tr::tr("%1   (tail %2)")
                                           .arg(num(sp.powerLaw.alpha, 3))
                                           .arg(sp.powerLaw.nTail)});
        lines.append({Tr::tr("power-law fit"), Tr::tr("xmin %1, KS %2")
                                                   .arg(num(sp.powerLaw.xmin, 3),
                                                        num(sp.powerLaw.ks, 3))});
    } else {
        lines.append({Tr::tr("alpha"), Tr::tr("no power-law fit (too few eigenvalues)")});
    }
    s.statsText = aligned(lines);
    s.note = matrixViewNote(a.shape, sp.view);
    return s;
}

std::vector<ChannelPanel> channelPanels(const cwb::TensorAnalysis &a,
                                        const cwb::ActivationStats *activations,
                                        double outlierFactor)
{
    const cwb::TensorStats &st = a.stats;
    if (!a.skipped.empty() || !st.view.perChannel || st.rowStats.absMax.empty())
        return {};
    std::vector<ChannelPanel> panels;
    panels.push_back(weightPanel(Tr::tr("Weight output channels (rows)"), st.rowStats.absMax,
                                 st.rowOutliers, outlierFactor));
    panels.push_back(weightPanel(Tr::tr("Weight input channels (columns)"), st.colStats.absMax,
                                 st.colOutliers, outlierFactor));

    ChannelPanel act;
    const cwb::LinearActivationStats *linear
        = activations ? activations->find(a.canonical) : nullptr;
    if (!activations) {
        act.title = Tr::tr("Activation input channels");
        act.message = Tr::tr("No calibration data: run Analysis \u2192 Analyze Model with a "
                             "calibration text.");
    } else if (!linear) {
        act.title = Tr::tr("Activation input channels");
        act.message = Tr::tr("The calibration run did not observe this tensor's input.");
    } else {
        act.values = linear->absMax;
        for (const auto &o : linear->outliers)
            act.outliers.push_back(o.channel);
        const double factor = activations->outlierFactor;
        act.threshold = factor * linear->medianAbsMax;
        act.title = Tr::tr("Activation input channels, %1 (%2 tokens): %3")
                        .arg(linear->inFeatures)
                        .arg(QLocale().toString(static_cast<qlonglong>(linear->tokens)))
                        .arg(outlierSummary(static_cast<int64_t>(linear->outliers.size()), factor));
    }
    panels.push_back(std::move(act));
    return panels;
}

std::vector<HistogramMarker> outlierMarkers(const cwb::TensorStats &stats, double outlierFactor)
{
    std::vector<HistogramMarker> out;
    if (!stats.view.perChannel)
        return out;
    const auto add = [&](const cwb::OutlierReport &r, const QString &label) {
        if (!(r.threshold > 0) || !std::isfinite(r.threshold))
            return;
        out.push_back({r.threshold, label});
        out.push_back({-r.threshold, QString()}); // the mirror line needs no second label
    };
    const QString factor = num(outlierFactor, 3);
    add(stats.rowOutliers, Tr::tr("%1 \u00d7 median row abs-max").arg(factor));
    add(stats.colOutliers, Tr::tr("%1 \u00d7 median column abs-max").arg(factor));
    return out;
}

QString outlierNote(const cwb::TensorStats &stats, double outlierFactor)
{
    if (!stats.view.perChannel || stats.rowStats.absMax.empty())
        return {};
    return Tr::tr("Outlier channels (abs-max above %1 \u00d7 median): %2 of %3 rows (beyond "
                  "\u00b1%4), %5 of %6 columns (beyond \u00b1%7)")
        .arg(num(outlierFactor, 3))
        .arg(stats.rowOutliers.count)
        .arg(stats.rowStats.absMax.size())
        .arg(num(stats.rowOutliers.threshold, 3))
        .arg(stats.colOutliers.count)
        .arg(stats.colStats.absMax.size())
        .arg(num(stats.colOutliers.threshold, 3));
}

} // namespace cwb::gui
