// SPDX-License-Identifier: MIT
#pragma once
// What each measured plan cost and bought, as one scatter chart (QCustomPlot, included only by
// the .cpp): x is the model's size (MiB) or bits/weight, y the mean KL divergence to the
// original, perplexity, decode latency or memory; the Pareto front (cwb::paretoFront: no other
// plan is both smaller and better) is drawn as a line through its points, highlighted;
// reference points (files the user added, e.g. llama.cpp's own Q4_K_M) are drawn apart and
// left out of the front. Hovering names a point and its recipe; clicking a plan's point emits
// pointActivated (the window loads its recipe into the Layer Plan, undoably). The picture saves
// as PNG / SVG / PDF and the points as CSV. Latency is "measured on this machine" and says so.
// It measures nothing: the points come from evaluation runs and sweeps.

#include <QString>
#include <QStringList>
#include <QWidget>

#include <cmath>
#include <vector>

class QCheckBox;
class QComboBox;
class QCustomPlot;
class QLabel;
class QMouseEvent;
class QPushButton;

namespace cwb::gui {

struct TradeoffPoint {
    QString name;                       // "gptq 4-bit g32", "solver 4.50 bpw", "Q4_K_M (llama.cpp)"
    double bytes = NAN;                 // stored bytes of the whole model
    double bitsPerWeight = NAN;
    double kld = NAN;                   // mean KLD against the original
    double perplexity = NAN;
    double decodeMsPerToken = NAN;      // measured on this machine
    double memoryBytes = NAN;           // weights + KV cache
    bool reference = false;             // drawn apart, not on the front, not loadable
    QString summary;                    // the recipe in a few words (tooltip)
    QString recipeJson;                 // empty: nothing to load
};

enum class TradeoffX { Size, BitsPerWeight };
enum class TradeoffY { Kld, Perplexity, DecodeLatency, Memory };

class TradeoffChart : public QWidget {
    Q_OBJECT

public:
    explicit TradeoffChart(QWidget *parent = nullptr);
    ~TradeoffChart() override;

    void setPoints(std::vector<TradeoffPoint> points);
    [[nodiscard]] const std::vector<TradeoffPoint> &points() const { return points_; }
    void setAxes(TradeoffX x, TradeoffY y);
    [[nodiscard]] TradeoffX xAxis() const { return x_; }
    [[nodiscard]] TradeoffY yAxis() const { return y_; }
    void setLogY(bool log);

    // The points drawn for the current axes (both coordinates known), and the indices of those
    // on the Pareto front, by increasing x.
    [[nodiscard]] std::vector<int> drawnPoints() const;
    [[nodiscard]] std::vector<int> frontPoints() const { return front_; }
    // The point at a position of the plot (within a few pixels), or -1.
    [[nodiscard]] int pointAt(const QPoint &plotPos) const;
    // Where point `index` is drawn, in plot widget coordinates (for tests).
    [[nodiscard]] QPoint positionOf(int index) const;
    // "gptq 4-bit g32: 6.2 MiB, KLD 0.0081 (on the Pareto front)\nrecipe: ..."
    [[nodiscard]] QString describePoint(int index) const;
    [[nodiscard]] QString axisTitle(bool xAxis) const;
    [[nodiscard]] QCustomPlot *plot() const { return plot_; }

    // Saves the picture (by suffix) or the points (.csv); false with `error` set on failure.
    bool exportTo(const QString &path, QString *error) const;
    // The points as CSV rows (every measure, whichever axes are shown).
    [[nodiscard]] QStringList csvHeader() const;
    [[nodiscard]] std::vector<QStringList> csvRows() const;

Q_SIGNALS:
    void pointActivated(int index);

private:
    [[nodiscard]] double xOf(const TradeoffPoint &p) const;
    [[nodiscard]] double yOf(const TradeoffPoint &p) const;
    void rebuild();
    void hover(QMouseEvent *event);
    void click(QMouseEvent *event);

    QCustomPlot *plot_ = nullptr;
    QComboBox *xBox_ = nullptr;
    QComboBox *yBox_ = nullptr;
    QCheckBox *logBox_ = nullptr;
    QPushButton *exportButton_ = nullptr;
    QLabel *hint_ = nullptr;
    std::vector<TradeoffPoint> points_;
    std::vector<int> front_;
    TradeoffX x_ = TradeoffX::Size;
    TradeoffY y_ = TradeoffY::Kld;
    bool log_ = false;
};

} // namespace cwb::gui
