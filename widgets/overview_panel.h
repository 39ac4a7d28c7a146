// SPDX-License-Identifier: MIT
#pragma once
// The Model Overview: a metric box over the OverviewHeatmap of the document's model, filled from
// its analysis as tensors finish (redraws are coalesced). Clicking a cell asks the window
// to select that tensor (tensorActivated); the selected tensor's cell is outlined.

#include "overview_grid.h"

#include <QWidget>

class QComboBox;
class QLabel;
class QTimer;

namespace cwb::gui {

class Document;
class OverviewHeatmap;

class OverviewPanel : public QWidget {
    Q_OBJECT

public:
    explicit OverviewPanel(Document *document, QWidget *parent = nullptr);
    ~OverviewPanel() override;

    // Outlines this tensor's cell (original or canonical name).
    void setSelectedTensor(const QString &nameOrCanonical);
    void setMetric(OverviewMetric metric);

    [[nodiscard]] OverviewMetric metric() const;
    [[nodiscard]] const OverviewLayout &layout() const { return layout_; }
    [[nodiscard]] OverviewHeatmap *heatmap() const { return heatmap_; }
    [[nodiscard]] QComboBox *metricBox() const { return metricBox_; }
    [[nodiscard]] QString hintText() const;
    // Redraws now instead of at the next coalesced update (tests, screenshots).
    void refreshNow();

Q_SIGNALS:
    void tensorActivated(const QString &tensor);

private:
    void scheduleRefresh();

    Document *document_ = nullptr;
    OverviewLayout layout_; // of the document's model
    QComboBox *metricBox_ = nullptr;
    QLabel *hint_ = nullptr;
    OverviewHeatmap *heatmap_ = nullptr;
    QTimer *refreshTimer_ = nullptr;
};

} // namespace cwb::gui
