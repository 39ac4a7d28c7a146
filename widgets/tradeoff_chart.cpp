// SPDX-License-Identifier: MIT
#include "tradeoff_chart.h"

#include "chart_export.h"

#include "solve/pareto.h"

#include <qcustomplot.h>

#include <QCheckBox>
#include <QComboBox>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QToolTip>
#include <QVBoxLayout>

#include <algorithm>

namespace cwb::gui {
namespace {

const QColor kPlanColor(70, 130, 180);
const QColor kFrontColor(200, 60, 40);
const QColor kReferenceColor(60, 150, 60);
constexpr double kMiB = 1024.0 * 1024.0;
// How near (pixels) the pointer must be to a point for it to count as on it.
constexpr double kPickRadius = 9.0;

bool known(double v) { return std::isfinite(v); }

QString number(double v, int digits = 4) { return QLocale().toString(v, 'g', digits); }

} // namespace

TradeoffChart::TradeoffChart(QWidget *parent)
    : QWidget(parent), plot_(new QCustomPlot(this)), xBox_(new QComboBox(this)),
      yBox_(new QComboBox(this)), logBox_(new QCheckBox(tr("Log scale"), this)),
      exportButton_(new QPushButton(tr("Export\u2026"), this)), hint_(new QLabel(this))
{
    xBox_->addItem(tr("Size"), static_cast<int>(TradeoffX::Size));
    xBox_->addItem(tr("Bits per weight"), static_cast<int>(TradeoffX::BitsPerWeight));
    yBox_->addItem(tr("Mean KL divergence"), static_cast<int>(TradeoffY::Kld));
    yBox_->addItem(tr("Perplexity"), static_cast<int>(TradeoffY::Perplexity));
    yBox_->addItem(tr("Decode latency"), static_cast<int>(TradeoffY::DecodeLatency));
    yBox_->addItem(tr("Memory"), static_cast<int>(TradeoffY::Memory));
    // Narrow docks stay narrow: the combos shrink to a few characters (and elide) before they
    // widen the window.
    for (QComboBox *box : {xBox_, yBox_}) {
        box->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
        box->setMinimumContentsLength(6);
    }
    // The choices above the plot, the hint, log scale and Export below it: two short rows keep
    // the dock narrow beside the Layer Plan.
    auto *controls = new QHBoxLayout;
    controls->addWidget(new QLabel(tr("Show"), this));
    controls->addWidget(yBox_, 1);
    controls->addWidget(new QLabel(tr("against"), this));
    controls->addWidget(xBox_, 1);
    auto *below = new QHBoxLayout;
    below->addWidget(hint_, 1);
    below->addWidget(logBox_);
    below->addWidget(exportButton_);
    hint_->setWordWrap(true);
    hint_->setMinimumWidth(60);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(controls);
    layout->addWidget(plot_, 1);
    layout->addLayout(below);
    plot_->setMinimumSize(160, 120);
    plot_->legend->setVisible(true);
    plot_->legend->setFont(font());
    plot_->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignRight);

    connect(xBox_, &QComboBox::currentIndexChanged, this, [this] {
        setAxes(static_cast<TradeoffX>(xBox_->currentData().toInt()), y_);
    });
    connect(yBox_, &QComboBox::currentIndexChanged, this, [this] {
        setAxes(x_, static_cast<TradeoffY>(yBox_->currentData().toInt()));
    });
    connect(logBox_, &QCheckBox::toggled, this, &TradeoffChart::setLogY);
    connect(exportButton_, &QPushButton::clicked, this, [this] {
        exportChartInteractively(this, plot_, QStringLiteral("tradeoff.png"), csvHeader(),
                                 csvRows());
    });
    connect(plot_, &QCustomPlot::mouseMove, this, &TradeoffChart::hover);
    connect(plot_, &QCustomPlot::mousePress, this, &TradeoffChart::click);
    rebuild();
}

TradeoffChart::~TradeoffChart() = default;

void TradeoffChart::setPoints(std::vector<TradeoffPoint> points)
{
    points_ = std::move(points);
    rebuild();
}

void TradeoffChart::setAxes(TradeoffX x, TradeoffY y)
{
    x_ = x;
    y_ = y;
    const QSignalBlocker bx(xBox_), by(yBox_);
    xBox_->setCurrentIndex(xBox_->findData(static_cast<int>(x)));
    yBox_->setCurrentIndex(yBox_->findData(static_cast<int>(y)));
    rebuild();
}

void TradeoffChart::setLogY(bool log)
{
    log_ = log;
    const QSignalBlocker b(logBox_);
    logBox_->setChecked(log);
    rebuild();
}

double TradeoffChart::xOf(const TradeoffPoint &p) const
{
    return x_ == TradeoffX::Size ? p.bytes / kMiB : p.bitsPerWeight;
}

double TradeoffChart::yOf(const TradeoffPoint &p) const
{
    switch (y_) {
    case TradeoffY::Kld: return p.kld;
    case TradeoffY::Perplexity: return p.perplexity;
    case TradeoffY::DecodeLatency: return p.decodeMsPerToken;
    case TradeoffY::Memory: return p.memoryBytes / kMiB;
    }
    return NAN;
}

QString TradeoffChart::axisTitle(bool xAxis) const
{
    if (xAxis)
        return x_ == TradeoffX::Size ? tr("Model size (MiB)") : tr("Bits per weight (whole model)");
    switch (y_) {
    case TradeoffY::Kld: return tr("Mean KL divergence to the original");
    case TradeoffY::Perplexity: return tr("Perplexity");
    case TradeoffY::DecodeLatency: return tr("Decode latency, ms/token (measured on this machine)");
    case TradeoffY::Memory: return tr("Memory: weights + KV cache (MiB)");
    }
    return {};
}

std::vector<int> TradeoffChart::drawnPoints() const
{
    std::vector<int> out;
    for (size_t i = 0; i < points_.size(); ++i) {
        const double x = xOf(points_[i]), y = yOf(points_[i]);
        if (known(x) && known(y) && (!log_ || y > 0))
            out.push_back(static_cast<int>(i));
    }
    return out;
}

void TradeoffChart::rebuild()
{
    plot_->clearPlottables();
    plot_->clearGraphs();
    front_.clear();
    const std::vector<int> drawn = drawnPoints();
    // The front of the plans (references are compared against it, not part of it).
    std::vector<CostPoint> costs;
    std::vector<int> plans;
    for (const int i : drawn)
        if (!points_[size_t(i)].reference) {
            costs.push_back({xOf(points_[size_t(i)]), yOf(points_[size_t(i)])});
            plans.push_back(i);
        }
    for (const size_t k : paretoFront(costs))
        front_.push_back(plans[k]);

    const auto addScatter = [this](const QString &name, const QColor &color,
                                   QCPScatterStyle::ScatterShape shape, double size,
                                   bool line) {
        QCPGraph *g = plot_->addGraph();
        g->setName(name);
        g->setLineStyle(line ? QCPGraph::lsLine : QCPGraph::lsNone);
        g->setPen(line ? QPen(color, 1.6) : QPen(color));
        g->setScatterStyle(QCPScatterStyle(shape, QPen(color, 1.5), QBrush(color.lighter(150)),
                                           size));
        return g;
    };
    QCPGraph *plansGraph = addScatter(tr("Plans"), kPlanColor, QCPScatterStyle::ssCircle, 7, false);
    QCPGraph *frontGraph =
        addScatter(tr("Pareto front"), kFrontColor, QCPScatterStyle::ssDisc, 8, true);
    QCPGraph *refGraph = addScatter(tr("References"), kReferenceColor,
                                    QCPScatterStyle::ssDiamond, 10, false);
    for (const int i : drawn) {
        const TradeoffPoint &p = points_[size_t(i)];
        (p.reference ? refGraph : plansGraph)->addData(xOf(p), yOf(p));
    }
    for (const int i : front_)
        frontGraph->addData(xOf(points_[size_t(i)]), yOf(points_[size_t(i)]));
    // Only the series that have points appear in the legend.
    for (QCPGraph *g : {plansGraph, frontGraph, refGraph})
        if (g->dataCount() == 0)
            g->removeFromLegend();

    plot_->xAxis->setLabel(axisTitle(true));
    plot_->yAxis->setLabel(axisTitle(false));
    plot_->yAxis->setScaleType(log_ ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    if (log_)
        plot_->yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
    else
        plot_->yAxis->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
    plot_->rescaleAxes();
    // Room around the points, so none sits on a border.
    for (QCPAxis *axis : {plot_->xAxis, plot_->yAxis}) {
        const QCPRange r = axis->range();
        if (axis->scaleType() == QCPAxis::stLogarithmic) {
            axis->setRange(r.lower / 1.3, r.upper * 1.3);
        } else {
            const double pad = r.size() > 0 ? r.size() * 0.08 : std::max(1e-6, std::fabs(r.lower) * 0.1);
            axis->setRange(r.lower - pad, r.upper + pad);
        }
    }
    plot_->replot();
    if (drawn.empty())
        hint_->setText(points_.empty()
                           ? tr("No measured plans yet: evaluate a compression, or run a sweep.")
                           : tr("No plan has both measures shown here."));
    else
        hint_->setText(tr("%n plan(s) shown, %1 on the Pareto front. Hover a point for its "
                          "recipe; click a plan to load its recipe into the Layer Plan.",
                          nullptr, static_cast<int>(drawn.size()))
                           .arg(front_.size()));
}

int TradeoffChart::pointAt(const QPoint &plotPos) const
{
    int best = -1;
    double bestDistance = kPickRadius;
    for (const int i : drawnPoints()) {
        const QPoint at = positionOf(i);
        const double d = std::hypot(double(at.x() - plotPos.x()), double(at.y() - plotPos.y()));
        if (d <= bestDistance) {
            bestDistance = d;
            best = i;
        }
    }
    return best;
}

QPoint TradeoffChart::positionOf(int index) const
{
    if (index < 0 || size_t(index) >= points_.size())
        return {};
    const TradeoffPoint &p = points_[size_t(index)];
    return QPoint(int(std::lround(plot_->xAxis->coordToPixel(xOf(p)))),
                  int(std::lround(plot_->yAxis->coordToPixel(yOf(p)))));
}

QString TradeoffChart::describePoint(int index) const
{
    if (index < 0 || size_t(index) >= points_.size())
        return {};
    const TradeoffPoint &p = points_[size_t(index)];
    QStringList parts;
    if (known(p.bytes))
        parts << QLocale().formattedDataSize(qint64(p.bytes));
    if (known(p.bitsPerWeight))
        parts << tr("%1 bits/weight").arg(number(p.bitsPerWeight, 3));
    if (known(p.kld))
        parts << tr("KLD %1").arg(number(p.kld));
    if (known(p.perplexity))
        parts << tr("ppl %1").arg(number(p.perplexity, 5));
    if (known(p.decodeMsPerToken))
        parts << tr("%1 ms/token").arg(number(p.decodeMsPerToken, 3));
    QString text = p.name + QStringLiteral(": ") + parts.join(QStringLiteral(", "));
    if (std::find(front_.begin(), front_.end(), index) != front_.end())
        text += tr(" (on the Pareto front)");
    if (p.reference)
        text += tr(" (reference)");
    if (!p.summary.isEmpty())
        text += QLatin1Char('\n') + p.summary;
    return text;
}

void TradeoffChart::hover(QMouseEvent *event)
{
    const int i = pointAt(event->pos());
    if (i < 0) {
        QToolTip::hideText();
        return;
    }
    QToolTip::showText(event->globalPosition().toPoint(), describePoint(i), plot_);
}

void TradeoffChart::click(QMouseEvent *event)
{
    const int i = pointAt(event->pos());
    if (i >= 0 && !points_[size_t(i)].reference && !points_[size_t(i)].recipeJson.isEmpty())
        Q_EMIT pointActivated(i);
}

QStringList TradeoffChart::csvHeader() const
{
    return {QStringLiteral("name"),        QStringLiteral("bytes"),
            QStringLiteral("bits_per_weight"), QStringLiteral("mean_kld"),
            QStringLiteral("perplexity"),  QStringLiteral("decode_ms_per_token"),
            QStringLiteral("memory_bytes"), QStringLiteral("reference"),
            QStringLiteral("pareto_front"), QStringLiteral("summary")};
}

std::vector<QStringList> TradeoffChart::csvRows() const
{
    const auto cell = [](double v) {
        return known(v) ? QString::number(v, 'g', 10) : QString();
    };
    std::vector<QStringList> rows;
    for (size_t i = 0; i < points_.size(); ++i) {
        const TradeoffPoint &p = points_[i];
        const bool front = std::find(front_.begin(), front_.end(), int(i)) != front_.end();
        rows.push_back({p.name, cell(p.bytes), cell(p.bitsPerWeight), cell(p.kld),
                        cell(p.perplexity), cell(p.decodeMsPerToken), cell(p.memoryBytes),
                        p.reference ? QStringLiteral("1") : QStringLiteral("0"),
                        front ? QStringLiteral("1") : QStringLiteral("0"), p.summary});
    }
    return rows;
}

bool TradeoffChart::exportTo(const QString &path, QString *error) const
{
    if (QFileInfo(path).suffix().compare(QLatin1String("csv"), Qt::CaseInsensitive) == 0)
        return saveCsv(path, csvHeader(), csvRows(), error);
    return saveChartImage(plot_, path, error);
}

} // namespace cwb::gui
