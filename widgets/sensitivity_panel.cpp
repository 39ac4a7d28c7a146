// SPDX-License-Identifier: MIT
#include "sensitivity_panel.h"

#include "document.h"
#include "job_service.h"
#include "overview_heatmap.h"
#include "sensitivity_table_model.h"

#include "analysis/sensitivity_table.h"
#include "choose/candidates.h"
#include "choose/sensitivity.h"

#include <QComboBox>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QStackedWidget>
#include <QTableView>
#include <QVBoxLayout>

#include <cmath>

namespace cwb::gui {

SensitivityPanel::SensitivityPanel(Document *document, QWidget *parent)
    : QWidget(parent), document_(document), measureBox_(new QComboBox(this)),
      status_(new QLabel(this)), correlation_(new QLabel(this)),
      heatmap_(new OverviewHeatmap(this)), model_(new SensitivityTableModel(this)),
      sorted_(new QSortFilterProxyModel(this)), view_(new QTableView(this))
{
    for (const SensitivityMeasure m :
         {SensitivityMeasure::DeltaKld, SensitivityMeasure::RelativeError,
          SensitivityMeasure::OutputError, SensitivityMeasure::Bytes})
        measureBox_->addItem(SensitivityTableModel::measureName(m), static_cast<int>(m));
    status_->setWordWrap(true);
    correlation_->setWordWrap(true);
    viewBox_ = new QComboBox(this);
    viewBox_->addItems({tr("Heat map"), tr("Table")});
    auto *controls = new QHBoxLayout;
    controls->addWidget(viewBox_);
    controls->addWidget(new QLabel(tr("Measure:"), this));
    controls->addWidget(measureBox_);
    controls->addWidget(correlation_, 1);

    sorted_->setSourceModel(model_);
    sorted_->setSortRole(SensitivityTableModel::SortValueRole);
    view_->setModel(sorted_);
    view_->setSortingEnabled(true);
    view_->setAlternatingRowColors(true);
    view_->verticalHeader()->hide();
    view_->verticalHeader()->setDefaultSectionSize(view_->fontMetrics().height() + 6);
    stack_ = new QStackedWidget(this);
    stack_->addWidget(heatmap_);
    stack_->addWidget(view_);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 2, 4, 2);
    layout->addLayout(controls);
    layout->addWidget(stack_, 1);
    layout->addWidget(status_);

    connect(viewBox_, &QComboBox::currentIndexChanged, stack_, &QStackedWidget::setCurrentIndex);
    connect(measureBox_, &QComboBox::currentIndexChanged, this, [this] {
        setMeasure(static_cast<SensitivityMeasure>(measureBox_->currentData().toInt()));
    });
    connect(heatmap_, &OverviewHeatmap::tensorClicked, this, &SensitivityPanel::tensorActivated);
    connect(document_, &Document::sensitivityChanged, this, &SensitivityPanel::refresh);
    connect(document_, &Document::modelChanged, this, &SensitivityPanel::refresh);
    refresh();
}

SensitivityPanel::~SensitivityPanel()
{
    if (job_ > 0 && document_->jobs()->isRunning(job_))
        document_->jobs()->cancelAndWait(job_);
}

void SensitivityPanel::showTable(bool table) { viewBox_->setCurrentIndex(table ? 1 : 0); }

bool SensitivityPanel::isTableShown() const { return stack_->currentIndex() == 1; }

QString SensitivityPanel::statusText() const { return status_->text(); }

QString SensitivityPanel::correlationText() const { return correlation_->text(); }

void SensitivityPanel::setMeasure(SensitivityMeasure m)
{
    const QSignalBlocker block(measureBox_);
    measureBox_->setCurrentIndex(measureBox_->findData(static_cast<int>(m)));
    model_->setMeasure(m);
    refresh();
}

void SensitivityPanel::refresh()
{
    const auto &table = document_->sensitivity();
    if (model_->table() != table)
        model_->setTable(table);
    if (!table) {
        heatmap_->clear(tr("No sensitivity yet: Analysis \u2192 Measure Sensitivity\u2026"));
        correlation_->clear();
        if (job_ == 0)
            status_->setText(tr("How much each tensor costs when only it is compressed, per "
                                "option: measured as \u0394KLD on calibration windows."));
        return;
    }
    const auto measure = static_cast<SensitivityMeasure>(measureBox_->currentData().toInt());
    HeatmapGrid grid;
    // The short id ("keep", "q4_k", "rtn:bits=4:group=32"): labels sit side by side under
    // narrow columns; the table's headers and the tooltips carry the long form.
    for (const auto &o : table->options)
        grid.columns << QString::fromStdString(o.id);
    for (const auto &t : table->tensors)
        grid.rows << QString::fromStdString(t.canonical.empty() ? t.name : t.canonical);
    // Damage spans orders of magnitude: a log colour scale, where "no damage" (0) has no colour.
    grid.logScale = measure != SensitivityMeasure::Bytes;
    for (int r = 0; r < grid.rowCount(); ++r)
        for (int c = 0; c < grid.columnCount(); ++c) {
            const double v = model_->value(r, c);
            grid.values.push_back(grid.logScale && !(v > 0) ? NAN : v);
            grid.tensors.push_back(QString::fromStdString(table->tensors[size_t(r)].name));
        }
    grid.metric = SensitivityTableModel::measureName(measure);
    grid.columnTitle = tr("option");
    heatmap_->setGrid(std::move(grid));
    view_->resizeColumnsToContents();

    QStringList parts;
    for (const cwb::ProxyCorrelation &p : cwb::proxyCorrelations(*table))
        parts << (p.spearman ? tr("%1 %2").arg(QString::fromStdString(p.proxy),
                                               QLocale().toString(*p.spearman, 'f', 2))
                             : tr("%1 n/a").arg(QString::fromStdString(p.proxy)));
    correlation_->setText(tr("Rank correlation with \u0394KLD (Spearman): %1")
                              .arg(parts.join(QStringLiteral(", "))));
    if (job_ == 0)
        status_->setText(tr("%1 tensors \u00d7 %2 options, %3 windows of %4 tokens, %5 s.")
                             .arg(table->tensors.size())
                             .arg(table->options.size())
                             .arg(table->windows)
                             .arg(table->tokensPerWindow)
                             .arg(QLocale().toString(table->seconds, 'f', 1)));
}

bool SensitivityPanel::run(const QString &calibrationPath)
{
    const auto model = document_->model();
    if (!model || job_ != 0 || calibrationPath.trimmed().isEmpty()) {
        status_->setText(!model ? tr("Open a model first.")
                         : job_ != 0 ? tr("A sensitivity analysis is running.")
                                     : tr("Choose a calibration text."));
        return false;
    }
    cwb::SensitivityParams params;
    params.calibrationPath = calibrationPath.toStdString();
    params.candidates = cwb::defaultCandidates(cwb::TargetFormat::Gguf);
    JobOptions options;
    options.title = tr("Sensitivity of %1").arg(QFileInfo(document_->path()).fileName());
    job_ = document_->jobs()->run(
        options, this,
        [model, params](const cwb::JobContext &ctx) {
            return std::make_shared<const cwb::SensitivityTable>(
                cwb::computeSensitivity(*model, params, ctx));
        },
        [this, model](JobOutcome<std::shared_ptr<const cwb::SensitivityTable>> &o) {
            job_ = 0;
            if (o.ok() && document_->model() == model)
                document_->setSensitivity(*o.result);
            status_->setText(o.ok() ? QString()
                             : o.cancelled() ? tr("Sensitivity analysis cancelled.")
                                             : tr("Sensitivity analysis failed: %1").arg(o.error));
            refresh();
            Q_EMIT finished(o.ok());
        });
    status_->setText(tr("Measuring\u2026 (progress and Cancel in the Jobs dock)"));
    return true;
}

} // namespace cwb::gui
