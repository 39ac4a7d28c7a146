// SPDX-License-Identifier: MIT
#pragma once
// A bar chart of one histogram, drawn with QCustomPlot (included only by the .cpp, because its
// header is heavy). It knows nothing about tensors: it draws a HistogramSeries.

#include <QString>
#include <QWidget>

#include <vector>

class QCustomPlot;
class QCPBars;
class QCPItemText;
class QCPTextElement;

namespace cwb::gui {

struct HistogramSeries {
    QString title;              // drawn above the plot (the tensor's name)
    std::vector<double> edges;  // bins + 1 ascending bin edges
    std::vector<double> counts; // one per bin
    QString statsText;          // a few lines drawn in the plot's top-right corner
    QString xLabel;             // value axis label; empty: "value"
};

class HistogramChart : public QWidget {
    Q_OBJECT

public:
    explicit HistogramChart(QWidget *parent = nullptr);
    ~HistogramChart() override;

    void setSeries(HistogramSeries series);
    // Empties the plot and shows `message` as its title.
    void clear(const QString &message = {});
    // Logarithmic count axis; empty bins are left out because log(0) has no place on it.
    void setLogCounts(bool log);

    [[nodiscard]] bool logCounts() const { return log_; }
    [[nodiscard]] bool hasData() const { return !series_.counts.empty(); }
    [[nodiscard]] int barCount() const; // bars drawn (in log mode: non-empty bins only)
    [[nodiscard]] QString title() const;
    [[nodiscard]] const HistogramSeries &series() const { return series_; }
    [[nodiscard]] QCustomPlot *plot() const { return plot_; }

private:
    void redraw();

    QCustomPlot *plot_ = nullptr;
    QCPBars *bars_ = nullptr;
    QCPTextElement *title_ = nullptr;
    QCPItemText *stats_ = nullptr;
    HistogramSeries series_;
    bool log_ = false;
};

} // namespace cwb::gui
