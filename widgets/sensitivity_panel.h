// SPDX-License-Identifier: MIT
#pragma once
// The Sensitivity tab of the Model Overview: how much each tensor's compression alone costs, for
// every candidate option (core's choose/sensitivity.h measured it: dKLD on calibration windows,
// with proxies beside it). A heat map of tensors (rows) by options (columns), coloured by the
// measure chosen (dKLD, relative weight error, relative output error, stored bytes), or the same
// numbers as a sortable table (one at a time, each with the whole tab: a row per tensor needs
// the height and the option labels the width); options that do not fit a tensor stay grey and say why. The line
// above says how well each proxy ranks the options the way dKLD does (Spearman). Run… measures
// it as a Jobs dock job on a calibration text; the result goes to the document (and is saved
// with the project). Clicking a cell selects its tensor in the window.

#include <QWidget>

#include <memory>

class QComboBox;
class QLabel;
class QPushButton;
class QSortFilterProxyModel;
class QStackedWidget;
class QTableView;

namespace cwb {
struct SensitivityTable;
}

namespace cwb::gui {

class Document;
class OverviewHeatmap;
class SensitivityTableModel;

enum class SensitivityMeasure { DeltaKld, RelativeError, OutputError, Bytes };

class SensitivityPanel : public QWidget {
    Q_OBJECT

public:
    explicit SensitivityPanel(Document *document, QWidget *parent = nullptr);
    ~SensitivityPanel() override; // cancels and waits for a running analysis

    // Starts measuring the open model on `calibrationPath` with the default candidates of GGUF
    // (the registry's GGUF-exact options); false with the reason in statusText() when no model
    // is open, no text is given or a run is going.
    bool run(const QString &calibrationPath);
    void setMeasure(SensitivityMeasure m);
    void refresh();

    [[nodiscard]] OverviewHeatmap *heatmap() const { return heatmap_; }
    [[nodiscard]] QTableView *tableView() const { return view_; }
    // Shows the table instead of the heat map (false: the heat map).
    void showTable(bool table);
    [[nodiscard]] bool isTableShown() const;
    [[nodiscard]] SensitivityTableModel *tableModel() const { return model_; }
    [[nodiscard]] QString statusText() const;
    [[nodiscard]] QString correlationText() const;
    [[nodiscard]] int jobId() const { return job_; }

Q_SIGNALS:
    void tensorActivated(const QString &tensor);
    void finished(bool ok);

private:
    Document *document_ = nullptr;
    QComboBox *measureBox_ = nullptr;
    QComboBox *viewBox_ = nullptr;
    QStackedWidget *stack_ = nullptr;
    QPushButton *runButton_ = nullptr;
    QLabel *status_ = nullptr;
    QLabel *correlation_ = nullptr;
    OverviewHeatmap *heatmap_ = nullptr;
    SensitivityTableModel *model_ = nullptr;
    QSortFilterProxyModel *sorted_ = nullptr;
    QTableView *view_ = nullptr;
    int job_ = 0;
};

} // namespace cwb::gui
