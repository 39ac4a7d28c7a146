// SPDX-License-Identifier: MIT
#pragma once
// Per-channel abs-max bars of one tensor, drawn with QCustomPlot (included only by the .cpp):
// one panel per axis (weight output channels, weight input channels, activation input channels),
// stacked so the two input-channel panels share their channel index vertically. Outlier channels
// are drawn in a second colour and the outlier threshold as a dashed line. A panel without values
// shows its message instead (e.g. "no calibration data").

#include <QString>
#include <QWidget>

#include <cstdint>
#include <vector>

class QCustomPlot;
class QCPItemText;
class QCPMarginGroup;
class QCPTextElement;

namespace cwb::gui {

struct ChannelPanel {
    QString title;               // above the panel
    QString xLabel;              // e.g. "output channel"
    std::vector<double> values;  // one abs-max per channel; empty: show `message`
    std::vector<int64_t> outliers; // channel indexes drawn in the outlier colour
    double threshold = 0;        // outlier threshold; <= 0: no line
    QString message;             // shown when `values` is empty
};

class ChannelsChart : public QWidget {
    Q_OBJECT

public:
    explicit ChannelsChart(QWidget *parent = nullptr);
    ~ChannelsChart() override;

    // `title` (the tensor's name) is drawn above the first panel.
    void setPanels(std::vector<ChannelPanel> panels, const QString &title = {});
    // No panels; `message` in the middle of the plot.
    void clear(const QString &message = {});

    [[nodiscard]] const std::vector<ChannelPanel> &panels() const { return panels_; }
    [[nodiscard]] int panelCount() const { return static_cast<int>(panels_.size()); }
    // Bars drawn in panel `i`: all channels, and those in the outlier colour.
    [[nodiscard]] int barCount(int panel) const;
    [[nodiscard]] int outlierBarCount(int panel) const;
    [[nodiscard]] QString message() const { return message_; }
    [[nodiscard]] QString title() const { return title_; }
    [[nodiscard]] QCustomPlot *plot() const { return plot_; }

protected:
    void resizeEvent(QResizeEvent *event) override;

private:
    void redraw();
    // Titles and panel messages refitted to the plot's width (chart_text.h), full text kept.
    void fitTexts();

    QCustomPlot *plot_ = nullptr;
    QCPMarginGroup *margins_ = nullptr; // aligns the panels' plot areas
    std::vector<ChannelPanel> panels_;
    std::vector<std::pair<int, int>> counts_; // per panel: bars, outlier bars
    QString message_;
    QString title_;
    std::vector<std::pair<QCPTextElement *, QString>> titleElements_; // with their full text
    std::vector<std::pair<QCPItemText *, QString>> messageItems_;
};

} // namespace cwb::gui
