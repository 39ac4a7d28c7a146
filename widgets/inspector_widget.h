// SPDX-License-Identifier: MIT
#pragma once
// The Inspector: everything about the selected tensor, one tab per view. Histogram (computed on
// selection, with the outlier thresholds marked once the analysis has stats), Spectrum and
// Channels (both read from AnalysisController and redrawn when the tensor's result arrives).

#include <QTabWidget>

#include <memory>

namespace cwb {
struct Model;
} // namespace cwb

namespace cwb::gui {

class AnalysisController;
class ChannelsChart;
class HistogramPanel;
class SpectrumChart;

class InspectorWidget : public QTabWidget {
    Q_OBJECT

public:
    enum Tab { HistogramTab, SpectrumTab, ChannelsTab };

    explicit InspectorWidget(AnalysisController *analysis, QWidget *parent = nullptr);
    ~InspectorWidget() override;

    void setModel(std::shared_ptr<const cwb::Model> model);
    // Shows the tensor (canonical or original name) in every tab.
    void showTensor(const QString &nameOrCanonical);

    [[nodiscard]] QString currentTensor() const { return tensor_; }
    [[nodiscard]] HistogramPanel *histogramPanel() const { return histogram_; }
    [[nodiscard]] SpectrumChart *spectrumChart() const { return spectrum_; }
    [[nodiscard]] ChannelsChart *channelsChart() const { return channels_; }

Q_SIGNALS:
    // The Spectrum and Channels tabs show the analysis result of `tensor` (original name).
    void resultShown(const QString &tensor);

private:
    void refresh();

    AnalysisController *analysis_ = nullptr;
    std::shared_ptr<const cwb::Model> model_;
    QString tensor_;
    HistogramPanel *histogram_ = nullptr;
    SpectrumChart *spectrum_ = nullptr;
    ChannelsChart *channels_ = nullptr;
};

} // namespace cwb::gui
