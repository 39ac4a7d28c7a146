// SPDX-License-Identifier: MIT
#pragma once
// Score curves of structures, drawn with QCustomPlot (included only by the .cpp): one curve per
// series, either sorted scores over the fraction of structures ranked above them (x 0..1, the
// FFN channels of each layer, most important first) with the cut marked as a vertical line at
// the kept fraction, or values per index (blocks by layer) with one index marked. Takes plain
// data; knows nothing of models.

#include <QString>
#include <QWidget>

#include <vector>

class QCustomPlot;

namespace cwb::gui {

struct ScoreSeries {
    QString name;
    std::vector<double> values; // in plotting order (sorted curves: descending)
};

struct ScoreChartData {
    QString title, xTitle, yTitle;
    std::vector<ScoreSeries> series;
    bool xIsFraction = true; // x = rank / (count - 1); else x = index
    bool logY = true;        // non-positive values are left out on a log axis
    double markX = -1;       // < 0: no mark; a fraction or an index
    QString markLabel;
};

class StructureScoreChart : public QWidget {
    Q_OBJECT

public:
    explicit StructureScoreChart(QWidget *parent = nullptr);

    void setData(const ScoreChartData &data);
    void clear(const QString &message);

    [[nodiscard]] QCustomPlot *plot() const { return plot_; }
    [[nodiscard]] int seriesCount() const;
    [[nodiscard]] double markX() const { return markX_; }

private:
    QCustomPlot *plot_ = nullptr;
    double markX_ = -1;
};

} // namespace cwb::gui
