// SPDX-License-Identifier: MIT
#pragma once
// The distributions behind a comparison's means (compare/delta_histograms.h): per token, per
// slice and per tensor, one at a time in a HistogramChart, chosen in a combo box, with a line at
// zero (no change), a log count axis and Export… (the picture, or the bins as CSV). It draws what
// core counted and computes nothing.

#include "histogram_chart.h"

#include <QString>
#include <QStringList>
#include <QWidget>

#include <vector>

class QCheckBox;
class QComboBox;
class QLabel;
class QPushButton;

namespace cwb::gui {

struct DeltaDistribution {
    QString name;            // the combo box's entry ("ΔNLL per token")
    HistogramSeries series;  // bins, counts, title and x label
    QString stats;           // one line under the plot (n, mean, std): in the plot's corner it
                             // would cover the bars of a distribution centred near zero
    bool zeroLine = true;    // draw a line at 0 (differences; not for KLD, which is >= 0)
};

class CompareDeltaChart : public QWidget {
    Q_OBJECT

public:
    explicit CompareDeltaChart(QWidget *parent = nullptr);
    ~CompareDeltaChart() override;

    void setDistributions(std::vector<DeltaDistribution> distributions);
    void clear(const QString &message);
    // Shows the distribution at `index` of the list set; others are ignored.
    void setCurrent(int index);

    [[nodiscard]] int current() const { return current_; }
    [[nodiscard]] const std::vector<DeltaDistribution> &distributions() const { return list_; }
    [[nodiscard]] HistogramChart *chart() const { return chart_; }
    [[nodiscard]] QComboBox *distributionBox() const { return box_; }
    [[nodiscard]] QCheckBox *logBox() const { return log_; }
    [[nodiscard]] QString statsText() const;

    // The picture (by suffix) or, for .csv, the shown distribution's bins.
    bool exportTo(const QString &path, QString *error) const;
    [[nodiscard]] QStringList csvHeader() const;
    [[nodiscard]] std::vector<QStringList> csvRows() const;

private:
    HistogramChart *chart_ = nullptr;
    QComboBox *box_ = nullptr;
    QCheckBox *log_ = nullptr;
    QPushButton *export_ = nullptr;
    QLabel *stats_ = nullptr;
    std::vector<DeltaDistribution> list_;
    int current_ = -1;
};

} // namespace cwb::gui
