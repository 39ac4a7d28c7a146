// SPDX-License-Identifier: MIT
#include "main_window.h"

#include "analysis_actions.h"
#include "analysis_controller.h"
#include "app_setup.h"
#include "compare_panel.h"
#include "compression_panel.h"
#include "document.h"
#include "evaluate_panel.h"
#include "evaluation_runs_model.h"
#include "export_dialog.h"
#include "histogram_panel.h"
#include "inspector_widget.h"
#include "job_service.h"
#include "jobs_panel.h"
#include "layer_error_chart.h"
#include "layer_plan_model.h"
#include "layer_plan_view.h"
#include "model_summary.h"
#include "model_tree_model.h"
#include "overview_panel.h"
#include "recent_files.h"
#include "sensitivity_panel.h"
#include "sweep_dialog.h"
#include "structure_panel.h"
#include "tradeoff_chart.h"
#include "tradeoffs_panel.h"

#include "model/model.h"
#include "project/project_file.h"
#include "recipe/recipe.h"
#include "recipe/recipe_edit.h"
#include "util/cpu_features.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QSpinBox>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QTabWidget>
#include <QSettings>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QStyle>
#include <QStatusBar>
#include <QTableView>
#include <QTreeView>
#include <QVBoxLayout>

#include <algorithm>

namespace cwb::gui {
namespace {

// Expanding every group of a model with thousands of tensors makes the first paint slow.
constexpr int kExpandAllLimit = 400;
// Two job rows (an analysis beside an evaluation) without scrolling.
constexpr int kJobsDockHeight = 300;
constexpr int kPlanDockHeight = 330;

const QString kGeometryKey = QStringLiteral("mainWindow/geometry");
const QString kSplitterKey = QStringLiteral("mainWindow/splitter");
const QString kStateKey = QStringLiteral("mainWindow/state");
const QString kLastDirKey = QStringLiteral("lastDirectory");

} // namespace

MainWindow::MainWindow(QWidget *parent)
    : QMainWindow(parent), jobService_(new JobService(this)),
      document_(new Document(jobService_, this)), treeModel_(new ModelTreeModel(this)),
      proxy_(new QSortFilterProxyModel(this))
{
    setWindowTitle(tr("Compression Workbench"));
    setWindowIcon(applicationIcon());
    setAcceptDrops(true);

    proxy_->setSourceModel(treeModel_);
    proxy_->setRecursiveFilteringEnabled(true);
    proxy_->setFilterCaseSensitivity(Qt::CaseInsensitive);
    proxy_->setFilterKeyColumn(-1); // canonical or original name, shape, type

    auto *browser = new QWidget(this);
    filter_ = new QLineEdit(browser);
    filter_->setPlaceholderText(tr("Filter tensors by name, shape or type"));
    filter_->setClearButtonEnabled(true);
    tree_ = new QTreeView(browser);
    tree_->setTextElideMode(Qt::ElideMiddle);
    tree_->setModel(proxy_);
    tree_->setUniformRowHeights(true);
    tree_->setAlternatingRowColors(true);
    tree_->setSelectionBehavior(QAbstractItemView::SelectRows);
    tree_->header()->setStretchLastSection(false);
    tree_->header()->setSectionsMovable(true);
    createColumnMenu();
    auto *browserLayout = new QVBoxLayout(browser);
    browserLayout->setContentsMargins(0, 0, 0, 0);
    browserLayout->addWidget(filter_);
    browserLayout->addWidget(tree_, 1);

    inspector_ = new InspectorWidget(document_, this);
    splitter_ = new QSplitter(Qt::Horizontal, this);
    splitter_->addWidget(browser);
    splitter_->addWidget(inspector_);
    splitter_->setStretchFactor(0, 1);
    splitter_->setStretchFactor(1, 1);
    splitter_->setChildrenCollapsible(false);
    setCentralWidget(splitter_);

    summary_ = new QLabel(
        tr("No model open. Use File \u2192 Open, or drop a model file or folder here."), this);
    summary_->setObjectName(QStringLiteral("modelSummary"));
    summary_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    statusBar()->addWidget(summary_, 1);

    createDocks();
    createAnalysis();
    createCompression();
    createCompare();
    createMenus();

    connect(filter_, &QLineEdit::textChanged, proxy_, &QSortFilterProxyModel::setFilterFixedString);
    connect(tree_->selectionModel(), &QItemSelectionModel::currentChanged, this,
            [this](const QModelIndex &current) { onCurrentChanged(current); });
    connect(document_, &Document::openStarted, this, &MainWindow::onLoadStarted);
    connect(document_, &Document::modelChanged, this, &MainWindow::onModelChanged);
    connect(document_, &Document::openFailed, this, &MainWindow::onLoadFailed);
    connect(document_, &Document::openCancelled, this, [this] { statusBar()->clearMessage(); });

    const QSettings settings;
    if (!restoreGeometry(settings.value(kGeometryKey).toByteArray()))
        resize(1280, 800);
    if (!splitter_->restoreState(settings.value(kSplitterKey).toByteArray()))
        splitter_->setSizes({520, 420});
    restoreState(settings.value(kStateKey).toByteArray());
}

MainWindow::~MainWindow()
{
    // No job outlives the window. The panels' destructors reach the document (to cancel their
    // jobs), so the views go first; the document and the service follow as children.
    jobService_->shutdown();
    delete exportDialog_;
    delete takeCentralWidget();
    qDeleteAll(findChildren<QDockWidget *>(QString(), Qt::FindDirectChildrenOnly));
}

HistogramPanel *MainWindow::histogramPanel() const { return inspector_->histogramPanel(); }

AnalysisController *MainWindow::analysisController() const { return document_->analysis(); }

EvaluationRunsModel *MainWindow::runsModel() const { return document_->runs(); }

void MainWindow::createDocks()
{
    evaluate_ = new EvaluatePanel(document_);
    auto *scroll = new QScrollArea; // the settings stay reachable in a short window
    scroll->setWidget(evaluate_);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    // It scrolls only vertically, so it is never narrower than the panel: at 1280x800 the dock
    // came up 216 px wide for a 348 px panel, cutting every field and check box at the right.
    scroll->setMinimumWidth(evaluate_->minimumSizeHint().width()
                            + scroll->verticalScrollBar()->sizeHint().width());
    evaluateDock_ = new QDockWidget(tr("Evaluate"), this);
    evaluateDock_->setObjectName(QStringLiteral("evaluateDock"));
    evaluateDock_->setWidget(scroll);
    addDockWidget(Qt::RightDockWidgetArea, evaluateDock_);

    auto *sorted = new QSortFilterProxyModel(this);
    sorted->setSourceModel(document_->runs());
    sorted->setSortRole(EvaluationRunsModel::SortValueRole);
    runsView_ = new QTableView;
    runsView_->setModel(sorted);
    runsView_->setSortingEnabled(true);
    runsView_->sortByColumn(-1, Qt::AscendingOrder); // in the order the runs finished
    runsView_->setSelectionBehavior(QAbstractItemView::SelectRows);
    runsView_->setAlternatingRowColors(true);
    runsView_->verticalHeader()->hide();
    runsView_->horizontalHeader()->setStretchLastSection(false);
    runsView_->horizontalHeader()->setSectionsMovable(true);
    runsDock_ = new QDockWidget(tr("Evaluation Runs"), this);
    runsDock_->setObjectName(QStringLiteral("runsDock"));
    runsDock_->setWidget(runsView_);
    addDockWidget(Qt::BottomDockWidgetArea, runsDock_);
    runsDock_->hide(); // appears with the first finished run
    resizeDocks({evaluateDock_}, {330}, Qt::Horizontal);

    // Every run and every point of the evaluation history is a point of the trade-off chart,
    // tabbed with the runs table.
    tradeoffs_ = new TradeoffsPanel(document_);
    tradeoffDock_ = new QDockWidget(tr("Trade-offs"), this);
    tradeoffDock_->setObjectName(QStringLiteral("tradeoffDock"));
    tradeoffDock_->setWidget(tradeoffs_);
    addDockWidget(Qt::BottomDockWidgetArea, tradeoffDock_);
    tabifyDockWidget(runsDock_, tradeoffDock_);
    tradeoffDock_->hide();
    connect(tradeoffs_->chart(), &TradeoffChart::pointActivated, this,
            &MainWindow::loadRecipeOfPoint);
    connect(tradeoffs_, &TradeoffsPanel::sweepRequested, this,
            [this](const QString &reference) { openSweepDialog(reference); });
    connect(document_, &Document::historyChanged, this, [this] {
        if (!document_->history().empty() && tradeoffDock_->isHidden())
            tradeoffDock_->show(); // beside the views on show, not over them
    });

    connect(document_, &Document::runsChanged, this, [this] {
        runsView_->resizeColumnsToContents();
        runsView_->scrollToBottom();
        if (runsDock_->isHidden()) {
            runsDock_->show();
            tradeoffDock_->show();
            runsDock_->raise();
            resizeDocks({runsDock_}, {170}, Qt::Vertical);
        }
    });
}

bool MainWindow::showSensitivity(const QString &calibrationPath)
{
    showSensitivityTab();
    return sensitivity_->run(calibrationPath);
}

void MainWindow::showSensitivityTab()
{
    overviewDock_->show();
    overviewDock_->raise();
    overviewTabs_->setCurrentWidget(sensitivity_);
    // A row per tensor: the heat map needs most of the window's height to be read, and its
    // option labels the width beside the Layer Plan.
    resizeDocks({overviewDock_}, {height() * 3 / 5}, Qt::Vertical);
    resizeDocks({overviewDock_}, {width() * 3 / 5}, Qt::Horizontal);
}

void MainWindow::showTradeoffs()
{
    tradeoffDock_->show();
    tradeoffDock_->raise();
    resizeDocks({tradeoffDock_}, {height() * 11 / 20}, Qt::Vertical);
    resizeDocks({tradeoffDock_}, {width() * 3 / 5}, Qt::Horizontal);
}

TradeoffChart *MainWindow::tradeoffChart() const { return tradeoffs_->chart(); }

SweepDialog *MainWindow::openSweepDialog(const QString &referenceFile)
{
    if (!document_->model())
        return nullptr;
    SweepDefaults d;
    d.projectPath = document_->analysis()->projectPath();
    if (d.projectPath.isEmpty()) {
        const QFileInfo model(document_->path());
        d.projectPath = model.absoluteDir().filePath(model.completeBaseName()
                                                     + QLatin1String(cwb::kProjectExtension));
    }
    d.textPath = evaluate_->textPathEdit()->text().trimmed();
    d.nCtx = evaluate_->contextBox()->value();
    d.chunks = evaluate_->chunksBox()->value();
    d.calibrationPath = compression_->calibrationEdit()->text().trimmed();
    const cwb::Recipe &recipe = document_->recipe();
    if (!recipe.defaultMethods.empty() || !recipe.rules.empty() || !recipe.overrides.empty())
        d.planJson = QString::fromStdString(cwb::recipeToJson(recipe));
    d.haveSensitivity = document_->sensitivity() != nullptr;
    auto *dialog = new SweepDialog(d, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    if (!referenceFile.isEmpty()) {
        dialog->setOriginal(false);
        dialog->setPlan(false);
        dialog->setMixtures({});
        dialog->addReferenceFile(referenceFile);
    }
    connect(dialog, &QDialog::accepted, this, [this, dialog] {
        if (tradeoffs_->startSweep(dialog->setup())) {
            tradeoffDock_->show();
            tradeoffDock_->raise();
        }
    });
    dialog->open();
    return dialog;
}

bool MainWindow::showStructures(const QString &calibrationPath)
{
    overviewDock_->show();
    overviewDock_->raise();
    overviewTabs_->setCurrentWidget(structures_);
    resizeDocks({overviewDock_}, {height() * 3 / 5}, Qt::Vertical);
    return structures_->run(calibrationPath);
}

bool MainWindow::loadRecipeOfPoint(int index)
{
    const auto &points = tradeoffChart()->points();
    if (index < 0 || size_t(index) >= points.size() || points[size_t(index)].recipeJson.isEmpty())
        return false;
    const TradeoffPoint &p = points[size_t(index)];
    try {
        cwb::Recipe recipe = cwb::parseRecipe(p.recipeJson.toStdString(), p.name.toStdString());
        compression_->planView()->planModel()->changeRecipe(
            std::move(recipe), tr("Load the recipe of %1").arg(p.name));
    } catch (const std::exception &e) {
        statusBar()->showMessage(tr("Cannot load the recipe of %1: %2")
                                     .arg(p.name, QString::fromUtf8(e.what())));
        return false;
    }
    planDock_->show();
    planDock_->raise();
    statusBar()->showMessage(tr("Loaded the recipe of %1 into the Layer Plan (Undo restores the "
                                "previous plan)")
                                 .arg(p.name),
                             8000);
    return true;
}

void MainWindow::createCompression()
{
    jobs_ = new JobsPanel;
    jobsDock_ = new QDockWidget(tr("Jobs"), this);
    jobsDock_->setObjectName(QStringLiteral("jobsDock"));
    jobsDock_->setWidget(jobs_);
    addDockWidget(Qt::RightDockWidgetArea, jobsDock_);
    jobsDock_->hide(); // appears with the first job the user waits for
    jobs_->follow(jobService_);
    connect(jobService_, &JobService::jobStarted, this, [this](int id) {
        if (!jobService_->options(id).reveal || !jobsDock_->isHidden())
            return;
        jobsDock_->show();
        resizeDocks({jobsDock_}, {kJobsDockHeight}, Qt::Vertical);
    });

    errorChart_ = new LayerErrorChart;
    errorsDock_ = new QDockWidget(tr("Compression Errors"), this);
    errorsDock_->setObjectName(QStringLiteral("errorsDock"));
    errorsDock_->setWidget(errorChart_);
    addDockWidget(Qt::BottomDockWidgetArea, errorsDock_);
    errorsDock_->hide(); // appears with the first finished tensor

    compression_ = new CompressionPanel(document_, errorChart_);
    planDock_ = new QDockWidget(tr("Layer Plan"), this);
    planDock_->setObjectName(QStringLiteral("planDock"));
    planDock_->setWidget(compression_);
    addDockWidget(Qt::BottomDockWidgetArea, planDock_);
    tabifyDockWidget(planDock_, errorsDock_);
    planDock_->raise();
    // Tall enough for a layer's rows (a block and its shapes after a structure step) beside
    // the controls; the dock's minimum alone left three rows at 1280 x 800.
    resizeDocks({planDock_}, {kPlanDockHeight}, Qt::Vertical);

    connect(document_, &Document::compressionChanged, this, [this] {
        if (!document_->compression())
            return;
        if (errorsDock_->isHidden())
            errorsDock_->show();
        errorsDock_->raise();
    });
}

void MainWindow::createAnalysis()
{
    AnalysisController *analysis = document_->analysis();
    analysisActions_ = new AnalysisActions(analysis, this);
    statusBar()->addPermanentWidget(analysisActions_->progressWidget());
    connect(analysisActions_, &AnalysisActions::statusMessage, this,
            [this](const QString &text) { statusBar()->showMessage(text, 10'000); });

    overview_ = new OverviewPanel(document_);
    sensitivity_ = new SensitivityPanel(document_);
    structures_ = new StructurePanel(document_);
    overviewTabs_ = new QTabWidget;
    overviewTabs_->addTab(overview_, tr("Layers"));
    overviewTabs_->addTab(sensitivity_, tr("Sensitivity"));
    overviewTabs_->addTab(structures_, tr("Structures"));
    overviewDock_ = new QDockWidget(tr("Model Overview"), this);
    overviewDock_->setObjectName(QStringLiteral("overviewDock"));
    overviewDock_->setWidget(overviewTabs_);
    addDockWidget(Qt::BottomDockWidgetArea, overviewDock_);
    // One tab group with the runs and the trade-offs: side by side with the Layer Plan, three
    // bottom docks would need more than a 1280 px window's width.
    tabifyDockWidget(tradeoffDock_, overviewDock_);
    overviewDock_->hide(); // appears with the first analysis results
    const auto showOverview = [this, analysis] {
        if (!overviewDock_->isHidden() || (!analysis->hasResults() && !analysis->isRunning()))
            return;
        overviewDock_->show();
        resizeDocks({overviewDock_}, {260}, Qt::Vertical);
    };
    connect(analysis, &AnalysisController::started, this, showOverview);
    connect(analysis, &AnalysisController::resultsReset, this, showOverview);
    connect(overview_, &OverviewPanel::tensorActivated, this,
            [this](const QString &tensor) { selectTensor(tensor); });
    connect(sensitivity_, &SensitivityPanel::tensorActivated, this,
            [this](const QString &tensor) { selectTensor(tensor); });
    // An opened project names its model: open it, and the controller matches the two.
    connect(analysis, &AnalysisController::modelRequested, this, &MainWindow::openModel);
}

ExportDialog *MainWindow::showExportDialog()
{
    if (!exportDialog_) {
        exportDialog_ = new ExportDialog(document_, this);
        exportDialog_->setCalibrationPath(compression_->calibrationEdit()->text());
    }
    exportDialog_->show();
    exportDialog_->raise();
    exportDialog_->activateWindow();
    return exportDialog_;
}

void MainWindow::createMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    QAction *openFile
        = file->addAction(tr("&Open Model File\u2026"), this, &MainWindow::chooseModelFile);
    openFile->setShortcut(QKeySequence::Open);
    openFile->setStatusTip(tr("Open a GGUF, safetensors, llama2.c or Keras model file"));
    QAction *openDir = file->addAction(tr("Open Model &Directory\u2026"), this,
                                       &MainWindow::chooseModelDirectory);
    openDir->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O));
    openDir->setStatusTip(tr("Open a Hugging Face model directory (config.json and weights)"));
    recentMenu_ = file->addMenu(tr("Open &Recent"));
    connect(recentMenu_, &QMenu::aboutToShow, this, &MainWindow::updateRecentMenu);
    updateRecentMenu();
    file->addSeparator();
    file->addAction(analysisActions_->openProjectAction());
    file->addAction(analysisActions_->saveProjectAction());
    file->addAction(analysisActions_->saveProjectAsAction());
    file->addSeparator();
    exportAction_ = file->addAction(tr("&Export…"), this, [this] { showExportDialog(); });
    exportAction_->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    exportAction_->setStatusTip(tr("Write the model or its compression for llama.cpp, vLLM or "
                                   "Hugging Face, or the plan as another tool's recipe"));
    exportAction_->setEnabled(false);
    connect(document_, &Document::modelChanged, exportAction_,
            [this] { exportAction_->setEnabled(document_->model() != nullptr); });
    file->addSeparator();
    QAction *quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);

    QMenu *view = menuBar()->addMenu(tr("&View"));
    view->addAction(tr("&Expand All"), tree_, &QTreeView::expandAll);
    view->addAction(tr("&Collapse All"), tree_, &QTreeView::collapseAll);
    view->addSeparator();
    QAction *original = view->addAction(tr("Show &Original Names"));
    original->setCheckable(true);
    original->setChecked(true);
    connect(original, &QAction::toggled, this,
            [this](bool on) { tree_->setColumnHidden(ModelTreeModel::OriginalNameColumn, !on); });
    QAction *filter = view->addAction(tr("&Filter Tensors"), this, [this] { filter_->setFocus(); });
    filter->setShortcut(QKeySequence::Find);
    view->addSeparator();
    QAction *evaluate = evaluateDock_->toggleViewAction();
    evaluate->setText(tr("E&valuate Panel"));
    evaluate->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    view->addAction(evaluate);
    QAction *runs = runsDock_->toggleViewAction();
    runs->setText(tr("Evaluation &Runs"));
    view->addAction(runs);
    QAction *overview = overviewDock_->toggleViewAction();
    overview->setText(tr("Model &Overview"));
    overview->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_M));
    view->addAction(overview);
    QAction *plan = planDock_->toggleViewAction();
    plan->setText(tr("&Layer Plan"));
    plan->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_L));
    view->addAction(plan);
    view->addAction(tradeoffDock_->toggleViewAction());
    view->addAction(compareDock_->toggleViewAction());
    QAction *errors = errorsDock_->toggleViewAction();
    errors->setText(tr("Compression &Errors"));
    view->addAction(errors);
    QAction *jobs = jobsDock_->toggleViewAction();
    jobs->setText(tr("&Jobs"));
    view->addAction(jobs);

    QMenu *evaluateMenu = menuBar()->addMenu(tr("&Evaluate"));
    evaluateMenu->addAction(compareRunsAction_);

    QMenu *compress = menuBar()->addMenu(tr("&Compress"));
    LayerPlanView *planView = compression_->planView();
    compress->addAction(planView->importAction());
    compress->addAction(planView->exportAction());
    compress->addSeparator();
    compress->addAction(planView->undoAction());
    compress->addAction(planView->redoAction());
    compress->addAction(planView->fillDownAction());
    compress->addSeparator();
    compress->addAction(tr("&Run Plan"), this, [this] { compression_->compress(); });
    compress->addAction(tr("&Cancel"), compression_, &CompressionPanel::cancel);
    compress->addSeparator();
    compress->addAction(tr("Run S&weep…"), this, [this] { openSweepDialog(); });

    QMenu *analysis = menuBar()->addMenu(tr("&Analysis"));
    analysis->addAction(analysisActions_->analyzeAction());
    analysis->addAction(analysisActions_->cancelAction());
    analysis->addSeparator();
    analysis->addAction(tr("Measure &Sensitivity\u2026"), this, [this] {
        QString text = compression_->calibrationEdit()->text().trimmed();
        if (text.isEmpty())
            text = QFileDialog::getOpenFileName(this, tr("Calibration Text for the Sensitivity"),
                                                {}, tr("Text files (*.txt);;All files (*)"));
        if (!text.isEmpty())
            showSensitivity(text);
    });
    analysis->addAction(tr("Score S&tructures\u2026"), this, [this] {
        QString text = compression_->calibrationEdit()->text().trimmed();
        if (text.isEmpty())
            text = QFileDialog::getOpenFileName(this, tr("Calibration Text for the Structures"),
                                                {}, tr("Text files (*.txt);;All files (*)"));
        if (!text.isEmpty())
            showStructures(text);
    });

    QMenu *settings = menuBar()->addMenu(tr("&Settings"));
    settings->addMenu(createLanguageMenu());

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About Compression Workbench"), this, &MainWindow::showAbout);
    help->addAction(tr("About &Qt"), qApp, &QApplication::aboutQt);
}

void MainWindow::createCompare()
{
    compare_ = new ComparePanel(document_);
    compareDock_ = new QDockWidget(tr("Compare"), this);
    compareDock_->setObjectName(QStringLiteral("compareDock"));
    compareDock_->setWidget(compare_);
    // Across the window (the slice table and the charts need the width), tabbed with the Layer
    // Plan: a row of its own would leave the central view too little height.
    addDockWidget(Qt::BottomDockWidgetArea, compareDock_);
    tabifyDockWidget(planDock_, compareDock_);
    compareDock_->hide(); // Evaluate > Compare Runs… brings it up

    compareRunsAction_ = new QAction(tr("Compare &Runs…"), this);
    compareRunsAction_->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_R));
    compareRunsAction_->setStatusTip(tr("Compare two runs before and after: per-slice perplexity "
                                        "and KLD, per-tensor errors, greedy continuations"));
    connect(compareRunsAction_, &QAction::triggered, this, &MainWindow::showCompare);

    // The runs table's context menu: two selected runs compared at once.
    runsView_->setContextMenuPolicy(Qt::ActionsContextMenu);
    auto *compareSelected = new QAction(tr("Compare the Two Selected Runs"), runsView_);
    runsView_->addAction(compareSelected);
    connect(compareSelected, &QAction::triggered, this, &MainWindow::compareSelectedRuns);
    connect(runsView_->selectionModel(), &QItemSelectionModel::selectionChanged, compareSelected,
            [this, compareSelected] {
                compareSelected->setEnabled(runsView_->selectionModel()->selectedRows().size()
                                            == 2);
            });
    compareSelected->setEnabled(false);
}

bool MainWindow::setUpSelectedRuns(QString *why)
{
    const QModelIndexList rows = runsView_->selectionModel()->selectedRows();
    if (rows.size() != 2) {
        *why = tr("Select two evaluation runs to compare.");
        return false;
    }
    const auto *sorted = static_cast<QSortFilterProxyModel *>(runsView_->model());
    const auto &runs = document_->runs()->runs();
    // The earlier run is A: "before" and "after" in the order they were made.
    const int x = sorted->mapToSource(rows[0]).row();
    const int y = sorted->mapToSource(rows[1]).row();
    return compare_->setRuns(runs[size_t(std::min(x, y))], runs[size_t(std::max(x, y))], why);
}

void MainWindow::showCompare()
{
    compareDock_->show();
    compareDock_->raise();
    // The slice table and the charts beside it need most of the window's height.
    resizeDocks({compareDock_}, {height() * 3 / 5}, Qt::Vertical);
    QString why;
    if (runsView_->selectionModel()->selectedRows().size() == 2 && !setUpSelectedRuns(&why))
        statusBar()->showMessage(why, 8000);
}

bool MainWindow::compareSelectedRuns()
{
    QString why;
    if (!setUpSelectedRuns(&why)) {
        statusBar()->showMessage(why, 8000);
        return false;
    }
    if (compareDock_->isHidden())
        showCompare();
    compareDock_->raise();
    return compare_->run();
}

QMenu *MainWindow::createLanguageMenu()
{
    auto *menu = new QMenu(tr("&Language"), this);
    auto *group = new QActionGroup(menu);
    const QString current = QSettings().value(QLatin1String(kLanguageKey)).toString();
    const std::pair<QString, QString> languages[] = {
        {QString(), tr("System Default")},
        {QStringLiteral("en"), tr("English")},
        {QStringLiteral("de"), tr("Deutsch")},
    };
    for (const auto &[code, label] : languages) {
        QAction *a = menu->addAction(label);
        a->setCheckable(true);
        a->setData(code);
        a->setChecked(code == current);
        group->addAction(a);
    }
    connect(group, &QActionGroup::triggered, this, [this](QAction *a) {
        QSettings settings;
        if (settings.value(QLatin1String(kLanguageKey)).toString() == a->data().toString())
            return;
        settings.setValue(QLatin1String(kLanguageKey), a->data().toString());
        auto *box
            = new QMessageBox(QMessageBox::Information, tr("Language"),
                              tr("The new language takes effect when Compression Workbench is "
                                 "started the next time."),
                              QMessageBox::Ok, this);
        box->setAttribute(Qt::WA_DeleteOnClose);
        box->open();
    });
    return menu;
}

void MainWindow::chooseModelFile()
{
    QSettings settings;
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Open Model File"), settings.value(kLastDirKey).toString(),
        tr("Models (*.gguf *.safetensors *.json *.bin *.h5 *.hdf5 *.keras);;All files (*)"));
    if (path.isEmpty())
        return;
    settings.setValue(kLastDirKey, QFileInfo(path).absolutePath());
    openModel(path);
}

void MainWindow::chooseModelDirectory()
{
    QSettings settings;
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Open Model Directory"),
                                                          settings.value(kLastDirKey).toString());
    if (dir.isEmpty())
        return;
    settings.setValue(kLastDirKey, dir);
    openModel(dir);
}

void MainWindow::updateRecentMenu()
{
    recentMenu_->clear();
    QSettings settings;
    const QStringList files = recentFiles(settings);
    for (const QString &path : files) {
        QAction *a = recentMenu_->addAction(QDir::toNativeSeparators(path));
        connect(a, &QAction::triggered, this, [this, path] { openModel(path); });
    }
    if (!files.isEmpty()) {
        recentMenu_->addSeparator();
        recentMenu_->addAction(tr("&Clear List"), this, [this] {
            QSettings s;
            clearRecentFiles(s);
            updateRecentMenu();
        });
    }
    recentMenu_->setEnabled(!files.isEmpty());
}

void MainWindow::openModel(const QString &path) { document_->open(path); }

bool MainWindow::selectTensor(const QString &nameOrCanonical)
{
    const QModelIndex source = treeModel_->indexOfTensor(nameOrCanonical);
    if (!source.isValid())
        return false;
    QModelIndex index = proxy_->mapFromSource(source);
    if (!index.isValid()) { // hidden by the filter
        filter_->clear();
        index = proxy_->mapFromSource(source);
    }
    tree_->scrollTo(index);
    tree_->setCurrentIndex(index);
    // The Layer Plan shows the same tensor's row (its plan, shapes and estimate).
    LayerPlanView *plan = compression_->planView();
    const QModelIndex planIndex = plan->planModel()->indexOfTensor(nameOrCanonical);
    if (planIndex.isValid()) {
        plan->treeView()->scrollTo(planIndex, QAbstractItemView::PositionAtCenter);
        plan->treeView()->setCurrentIndex(planIndex);
    }
    return true;
}

QString MainWindow::summaryText() const { return summary_->text(); }

void MainWindow::onLoadStarted(const QString &path)
{
    statusBar()->showMessage(tr("Opening %1\u2026").arg(QDir::toNativeSeparators(path)));
}

void MainWindow::onModelChanged()
{
    statusBar()->clearMessage();
    const auto &model = document_->model();
    treeModel_->setModel(model); // the browser's item model; the panels observe the document
    if (!model)
        return;
    summary_->setText(ModelSummary::text(*model));
    const QString path = document_->path();
    setWindowTitle(tr("%1 \u2013 Compression Workbench").arg(QFileInfo(path).fileName()));
    if (!path.isEmpty()) {
        QSettings settings;
        addRecentFile(settings, path);
    }

    if (model->tensors.size() <= static_cast<size_t>(kExpandAllLimit))
        tree_->expandAll();
    else
        tree_->expand(proxy_->index(0, 0));
    fitBrowserColumns();
}

void MainWindow::createColumnMenu()
{
    // Right-click on the header lists the columns; hidden ones come back from here.
    auto *header = tree_->header();
    header->setContextMenuPolicy(Qt::ActionsContextMenu);
    for (int c = 0; c < ModelTreeModel::ColumnCount; ++c) {
        auto *action = new QAction(treeModel_->headerData(c, Qt::Horizontal).toString(), header);
        action->setCheckable(true);
        action->setChecked(true);
        action->setEnabled(c != ModelTreeModel::NameColumn); // the name always stays
        connect(action, &QAction::toggled, this, [this, c](bool on) { setColumnVisible(c, on); });
        header->addAction(action);
        columnActions_.append(action);
    }
}

void MainWindow::setColumnVisible(int column, bool visible)
{
    tree_->header()->setSectionHidden(column, !visible);
    if (auto *action = columnActions_.value(column); action && action->isChecked() != visible)
        action->setChecked(visible);
}

void MainWindow::fitBrowserColumns()
{
    // Columns + frame + vertical scroll bar + a little air, so no horizontal scroll bar appears.
    auto *header = tree_->header();
    int wanted = 2 * tree_->frameWidth()
        + style()->pixelMetric(QStyle::PM_ScrollBarExtent, nullptr, tree_) + 12;
    for (int c = 0; c < ModelTreeModel::ColumnCount; ++c) {
        tree_->resizeColumnToContents(c);
        if (!header->isSectionHidden(c))
            wanted += header->sectionSize(c);
    }
    const int total = splitter_->width();
    // The Inspector keeps ~400 px (readable axes); the browser gets the rest, at least 55 %.
    const int left = std::min(wanted, std::max(total * 11 / 20, total - 400));
    // Long original names (HF's "model.layers.N.self_attn...") would push the numeric columns out
    // of view: shrink that column and elide its middle; when even that does not fit, hide it (the
    // name's tooltip still shows it, and the header's context menu brings the column back).
    constexpr int originalColumn = ModelTreeModel::OriginalNameColumn;
    if (wanted > left && !header->isSectionHidden(originalColumn)) {
        const int shrunk = header->sectionSize(originalColumn) - (wanted - left);
        if (shrunk >= 120)
            header->resizeSection(originalColumn, shrunk);
        else
            setColumnVisible(originalColumn, false);
    }
    if (splitter_->sizes().value(0) < left)
        splitter_->setSizes({left, total - left});
}

void MainWindow::onLoadFailed(const QString &path, const QString &message)
{
    statusBar()->clearMessage();
    // Window-modal and opened with open(), not exec(): nothing waits in a nested event loop.
    auto *box = new QMessageBox(QMessageBox::Critical, tr("Cannot Open Model"),
                                tr("Could not open %1.").arg(QDir::toNativeSeparators(path)),
                                QMessageBox::Ok, this);
    box->setObjectName(QStringLiteral("loadErrorBox"));
    box->setInformativeText(message);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

void MainWindow::onCurrentChanged(const QModelIndex &current)
{
    if (const cwb::Tensor *t = treeModel_->tensorAt(proxy_->mapToSource(current))) {
        const QString name = QString::fromStdString(t->name);
        inspector_->showTensor(name);
        overview_->setSelectedTensor(name);
    }
}

void MainWindow::showAbout()
{
    QMessageBox::about(this, tr("About Compression Workbench"),
                       tr("<h3>Compression Workbench %1</h3>"
                          "<p>Look at every layer of a neural network, choose how to compress it, "
                          "and measure what that costs.</p>"
                          "<p>Kernels: %2</p>"
                          "<p>Licensed under the MIT License.</p>")
                           .arg(QApplication::applicationVersion(),
                                QString::fromStdString(kernelLevelDescription())));
}

void MainWindow::dragEnterEvent(QDragEnterEvent *event)
{
    const QList<QUrl> urls = event->mimeData()->urls();
    if (!urls.isEmpty() && urls.first().isLocalFile())
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent *event)
{
    const QList<QUrl> urls = event->mimeData()->urls();
    if (urls.isEmpty() || !urls.first().isLocalFile())
        return;
    event->acceptProposedAction();
    openModel(urls.first().toLocalFile());
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    QSettings settings;
    settings.setValue(kGeometryKey, saveGeometry());
    settings.setValue(kSplitterKey, splitter_->saveState());
    settings.setValue(kStateKey, saveState());
    QMainWindow::closeEvent(event);
}

} // namespace cwb::gui
