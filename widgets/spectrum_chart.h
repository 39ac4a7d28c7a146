// SPDX-License-Identifier: MIT
#pragma once
// The singular-value spectrum of one weight matrix, drawn with QCustomPlot (included only by the
// .cpp): singular values on a logarithmic left axis, cumulative energy (0..100 %) on the right
// axis, and a labelled vertical marker at each energy rank (90/95/99 %). The figures (stable rank,
// effective rank, power-law alpha) are a text block under the plot, so no curve ever hides them.

#include <QString>
#include <QWidget>

#include <vector>

class QCustomPlot;
class QCPGraph;
class QCPTextElement;
class QLabel;

namespace cwb::gui {

struct SpectrumRankMarker {
    double energy = 0; // fraction, e.g. 0.9
    int rank = 0;      // singular values needed to keep that much energy (1-based count)
};

struct SpectrumSeries {
    QString title;                       // drawn above the plot (the tensor's name)
    std::vector<double> singularValues;  // descending; zeros are left off the log axis
    std::vector<SpectrumRankMarker> ranks;
    QString statsText;                   // lines shown under the plot (monospace)
    QString note;                        // e.g. how a conv kernel was reshaped; empty: none
};

class SpectrumChart : public QWidget {
    Q_OBJECT

public:
    explicit SpectrumChart(QWidget *parent = nullptr);
    ~SpectrumChart() override;

    void setSeries(SpectrumSeries series);
    // Empties the plot and shows `message` as its title.
    void clear(const QString &message = {});

    [[nodiscard]] bool hasData() const { return !series_.singularValues.empty(); }
    [[nodiscard]] const SpectrumSeries &series() const { return series_; }
    [[nodiscard]] QString title() const;
    [[nodiscard]] QString statsText() const;
    // Points drawn: singular values (positive ones) and cumulative energy.
    [[nodiscard]] int singularPointCount() const;
    [[nodiscard]] int energyPointCount() const;
    [[nodiscard]] int markerCount() const { return markers_; }
    // Cumulative energy (percent) after the first k singular values, as drawn; k >= 1.
    [[nodiscard]] double energyPercentAt(int k) const;
    [[nodiscard]] QCustomPlot *plot() const { return plot_; }

private:
    void redraw();

    QCustomPlot *plot_ = nullptr;
    QCPTextElement *title_ = nullptr;
    QCPGraph *values_ = nullptr;
    QCPGraph *energy_ = nullptr;
    QLabel *stats_ = nullptr;
    SpectrumSeries series_;
    int markers_ = 0;
};

// Cumulative energy fractions: out[k-1] = sum_{i<k} s_i^2 / sum s_i^2 (all 0 when the sum is 0).
[[nodiscard]] std::vector<double> cumulativeEnergy(const std::vector<double> &singularValues);

} // namespace cwb::gui
