// SPDX-License-Identifier: MIT
#pragma once
// The first window: model browser (tree of tensors) on the left, the Inspector (histogram,
// spectrum, channels of the selected tensor) on the right, the Evaluate panel, the Evaluation
// Runs table, the Model Overview heat map, the Layer Plan and the Jobs list as docks, a model
// summary in the status bar. It wires widgets and actions only: the model, its analysis, the
// recipe and the results are the Document's, every long operation runs through the JobService
// (shown in the Jobs dock), the menus of the analysis are AnalysisActions'.

#include <QMainWindow>

class QAction;
class QDockWidget;
class QLabel;
class QLineEdit;
class QMenu;
class QSortFilterProxyModel;
class QSplitter;
class QTabWidget;
class QTableView;
class QTreeView;

namespace cwb::gui {

class AnalysisActions;
class ComparePanel;
class ExportDialog;
class TradeoffChart;
class TradeoffsPanel;
class SweepDialog;
class SensitivityPanel;
class StructurePanel;
class AnalysisController;
class CompressionPanel;
class Document;
class JobService;
class JobsPanel;
class LayerErrorChart;
class EvaluatePanel;
class EvaluationRunsModel;
class HistogramPanel;
class InspectorWidget;
class ModelTreeModel;
class OverviewPanel;

class MainWindow : public QMainWindow {
    Q_OBJECT

public:
    explicit MainWindow(QWidget *parent = nullptr);
    // Cancels every job and waits for it, then takes the views down before the document.
    ~MainWindow() override;

    // Loads a model file or Hugging Face directory in the background (Document::open).
    void openModel(const QString &path);
    // Makes the tensor (canonical or original name) current in the browser, which shows it in
    // the Inspector. False if the open model has no such tensor.
    bool selectTensor(const QString &nameOrCanonical);

    [[nodiscard]] JobService *jobService() const { return jobService_; }
    [[nodiscard]] Document *document() const { return document_; }
    [[nodiscard]] HistogramPanel *histogramPanel() const;
    [[nodiscard]] InspectorWidget *inspector() const { return inspector_; }
    [[nodiscard]] AnalysisController *analysisController() const;
    [[nodiscard]] AnalysisActions *analysisActions() const { return analysisActions_; }
    [[nodiscard]] OverviewPanel *overviewPanel() const { return overview_; }
    [[nodiscard]] QDockWidget *overviewDock() const { return overviewDock_; }
    [[nodiscard]] ModelTreeModel *treeModel() const { return treeModel_; }
    [[nodiscard]] QTreeView *modelView() const { return tree_; }
    [[nodiscard]] EvaluatePanel *evaluatePanel() const { return evaluate_; }
    [[nodiscard]] QDockWidget *evaluateDock() const { return evaluateDock_; }
    [[nodiscard]] EvaluationRunsModel *runsModel() const;
    [[nodiscard]] QTableView *runsView() const { return runsView_; }
    [[nodiscard]] QDockWidget *runsDock() const { return runsDock_; }
    [[nodiscard]] CompressionPanel *compressionPanel() const { return compression_; }
    [[nodiscard]] QDockWidget *planDock() const { return planDock_; }
    [[nodiscard]] QDockWidget *errorsDock() const { return errorsDock_; }
    [[nodiscard]] QDockWidget *jobsDock() const { return jobsDock_; }
    [[nodiscard]] JobsPanel *jobsPanel() const { return jobs_; }
    [[nodiscard]] LayerErrorChart *errorChart() const { return errorChart_; }
    [[nodiscard]] QString summaryText() const;
    // File > Export…: created on first use, kept (with its choices) for the window's life.
    ExportDialog *showExportDialog();
    [[nodiscard]] ExportDialog *exportDialog() const { return exportDialog_; } // null before
    [[nodiscard]] TradeoffChart *tradeoffChart() const;
    [[nodiscard]] TradeoffsPanel *tradeoffsPanel() const { return tradeoffs_; }
    // Compress > Run Sweep… (and the Trade-offs dock's buttons): the sweep dialog with the
    // window's settings (a reference file given: that file alone), shown non-modally; accepting
    // it starts the sweep. Null when no model is open.
    SweepDialog *openSweepDialog(const QString &referenceFile = {});
    [[nodiscard]] QDockWidget *tradeoffDock() const { return tradeoffDock_; }
    // Loads the recipe of the chart's point `index` into the Layer Plan as one undoable change;
    // false when the point has none or it does not parse (the status bar says why).
    bool loadRecipeOfPoint(int index);
    // Analysis > Measure Sensitivity…: runs it on the calibration text as a Jobs dock job and
    // shows the Model Overview's Sensitivity tab; false when it cannot start (the tab says why).
    bool showSensitivity(const QString &calibrationPath);
    // The Model Overview's Sensitivity tab, tall (a row per tensor needs the height).
    void showSensitivityTab();
    // The Trade-offs dock, raised and tall.
    void showTradeoffs();
    [[nodiscard]] SensitivityPanel *sensitivityPanel() const { return sensitivity_; }
    // Evaluate > Compare Runs…: shows the comparison view, tall; with two evaluation runs
    // selected in the runs table, set up to compare them.
    void showCompare();
    // The runs table's "Compare": both selected runs into the comparison view, which starts;
    // false (the status bar says why) unless exactly two runs are selected and both are held.
    bool compareSelectedRuns();
    [[nodiscard]] ComparePanel *comparePanel() const { return compare_; }
    [[nodiscard]] QDockWidget *compareDock() const { return compareDock_; }
    // Analysis > Score Structures…: scores FFN channels, KV groups and blocks on the calibration
    // text as a Jobs dock job and shows the Model Overview's Structures tab; false when it
    // cannot start (the tab says why).
    bool showStructures(const QString &calibrationPath);
    [[nodiscard]] StructurePanel *structurePanel() const { return structures_; }

protected:
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dropEvent(QDropEvent *event) override;
    void closeEvent(QCloseEvent *event) override;

private:
    void createDocks();
    void createAnalysis();
    void createCompression();
    void createMenus();
    void createCompare();
    // The runs table's two selected runs as the comparison's sides; false with `why` otherwise.
    bool setUpSelectedRuns(QString *why);
    void createColumnMenu();
    void setColumnVisible(int column, bool visible);
    void fitBrowserColumns();
    QMenu *createLanguageMenu();
    void chooseModelFile();
    void chooseModelDirectory();
    void updateRecentMenu();
    void onLoadStarted(const QString &path);
    void onModelChanged();
    void onLoadFailed(const QString &path, const QString &message);
    void onCurrentChanged(const QModelIndex &current);
    void showAbout();

    JobService *jobService_ = nullptr;
    Document *document_ = nullptr;
    ModelTreeModel *treeModel_ = nullptr;
    QSortFilterProxyModel *proxy_ = nullptr;
    QLineEdit *filter_ = nullptr;
    QTreeView *tree_ = nullptr;
    QList<QAction *> columnActions_; // header context menu: one checkable action per column
    AnalysisActions *analysisActions_ = nullptr;
    InspectorWidget *inspector_ = nullptr;
    OverviewPanel *overview_ = nullptr;
    QDockWidget *overviewDock_ = nullptr;
    QSplitter *splitter_ = nullptr;
    QLabel *summary_ = nullptr;
    EvaluatePanel *evaluate_ = nullptr;
    QDockWidget *evaluateDock_ = nullptr;
    QTableView *runsView_ = nullptr;
    QDockWidget *runsDock_ = nullptr;
    QMenu *recentMenu_ = nullptr;
    JobsPanel *jobs_ = nullptr;
    QDockWidget *jobsDock_ = nullptr;
    LayerErrorChart *errorChart_ = nullptr;
    QDockWidget *errorsDock_ = nullptr;
    CompressionPanel *compression_ = nullptr;
    QDockWidget *planDock_ = nullptr;
    QAction *exportAction_ = nullptr;
    TradeoffsPanel *tradeoffs_ = nullptr;
    SensitivityPanel *sensitivity_ = nullptr;
    StructurePanel *structures_ = nullptr;
    QTabWidget *overviewTabs_ = nullptr;
    QDockWidget *tradeoffDock_ = nullptr;
    ExportDialog *exportDialog_ = nullptr;
    ComparePanel *compare_ = nullptr;
    QDockWidget *compareDock_ = nullptr;
    QAction *compareRunsAction_ = nullptr;
};

} // namespace cwb::gui
