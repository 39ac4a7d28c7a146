// SPDX-License-Identifier: MIT
#pragma once
// The Inspector: everything about the selected tensor of the document's model, one tab per view.
// Histogram (computed on selection, with the outlier thresholds marked once the analysis has
// stats, and the document's last compression of the tensor drawn over it), Spectrum and
// Channels (both read from the document's analysis and redrawn when the tensor's result
// arrives).

#include <QTabWidget>

namespace cwb::gui {

class ChannelsChart;
class Document;
class HistogramPanel;
class SpectrumChart;

class InspectorWidget : public QTabWidget {
    Q_OBJECT

public:
    enum Tab { HistogramTab, SpectrumTab, ChannelsTab };

    explicit InspectorWidget(Document *document, QWidget *parent = nullptr);
    ~InspectorWidget() override; // cancels a decode of the compressed tensor

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
    // The histogram overlay of the shown tensor's compressed values, decoded as a job.
    void showCompressed();

    Document *document_ = nullptr;
    QString tensor_;
    int decodeJob_ = 0;
    HistogramPanel *histogram_ = nullptr;
    SpectrumChart *spectrum_ = nullptr;
    ChannelsChart *channels_ = nullptr;
};

} // namespace cwb::gui
