// SPDX-License-Identifier: MIT
#pragma once
// The Model Overview: a metric box over the OverviewHeatmap of the whole model, filled from
// AnalysisController as tensors finish (redraws are coalesced). Clicking a cell asks the window
// to select that tensor (tensorActivated); the selected tensor's cell is outlined.

#include "overview_grid.h"

#include <QWidget>

#include <memory>

class QComboBox;
class QLabel;
class QTimer;

namespace cwb {
struct Model;
} // namespace cwb

namespace cwb::gui {

class AnalysisController;
class OverviewHeatmap;

class OverviewPanel : public QWidget {
    Q_OBJECT

public:
    explicit OverviewPanel(AnalysisController *analysis, QWidget *parent = nullptr);
    ~OverviewPanel() override;

    void setModel(std::shared_ptr<const cwb::Model> model);
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

    AnalysisController *analysis_ = nullptr;
    std::shared_ptr<const cwb::Model> model_;
    OverviewLayout layout_;
    QComboBox *metricBox_ = nullptr;
    QLabel *hint_ = nullptr;
    OverviewHeatmap *heatmap_ = nullptr;
    QTimer *refreshTimer_ = nullptr;
};

} // namespace cwb::gui
