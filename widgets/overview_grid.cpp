// SPDX-License-Identifier: MIT
#include "overview_grid.h"

#include "analysis/model_analysis.h"
#include "model/canonical_name.h"
#include "model/model.h"

#include <QCoreApplication>
#include <QHash>
#include <QSet>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <string>

namespace cwb::gui {
namespace {

class Tr {
    Q_DECLARE_TR_FUNCTIONS(cwb::gui::OverviewGrid)
};

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Roles of a decoder layer in forward order; others follow in the order the model lists them.
const char *const kLayerRoles[] = {"attn_norm", "attn.q",   "attn.k",      "attn.v",
                                   "attn.qkv",  "attn.o",   "mlp_norm",    "mlp.gate",
                                   "mlp.up",    "mlp.gate_up", "mlp.down"};
// Model-level roles, in the "model" column, listed after the layer roles.
const char *const kModelRoles[] = {"embed", "pos_embed", "final_norm", "head"};

bool isModelRole(const QString &first)
{
    return std::any_of(std::begin(kModelRoles), std::end(kModelRoles),
                       [&](const char *r) { return first == QLatin1String(r); });
}

struct Place {
    QString column; // "" for the model column
    int layer = -1; // numeric layer, else -1
    QString row;
};

// Where a canonical name goes; empty row: nowhere.
Place placeOf(const QString &canonical)
{
    Place p;
    const std::string name = canonical.toStdString();
    if (const auto parts = splitLayerTensorName(name); parts && !parts->role.empty()) {
        p.layer = static_cast<int>(parts->layer);
        p.column = QString::number(parts->layer);
        p.row = QString::fromStdString(std::string(parts->role));
        return p;
    }
    const qsizetype dot = canonical.indexOf(QLatin1Char('.'));
    const QString first = dot < 0 ? canonical : canonical.left(dot);
    if (isModelRole(first)) {
        p.row = canonical; // column "" = model
        return p;
    }
    if (dot > 0) { // a generic "<layer>.<param>" name (Keras)
        p.column = first;
        p.row = canonical.mid(dot + 1);
    }
    return p;
}

} // namespace

std::vector<OverviewMetric> overviewMetrics()
{
    return {OverviewMetric::Kurtosis,      OverviewMetric::OutlierChannels,
            OverviewMetric::AbsMax,        OverviewMetric::Std,
            OverviewMetric::StableRank,    OverviewMetric::EffectiveRank,
            OverviewMetric::EnergyRank90,  OverviewMetric::EnergyRank99,
            OverviewMetric::Alpha,         OverviewMetric::ActivationAbsMax,
            OverviewMetric::ActivationOutliers};
}

QString overviewMetricName(OverviewMetric metric)
{
    switch (metric) {
    case OverviewMetric::AbsMax: return Tr::tr("abs-max");
    case OverviewMetric::Std: return Tr::tr("standard deviation");
    case OverviewMetric::Kurtosis: return Tr::tr("kurtosis (excess)");
    case OverviewMetric::OutlierChannels: return Tr::tr("outlier channels");
    case OverviewMetric::StableRank: return Tr::tr("stable rank");
    case OverviewMetric::EffectiveRank: return Tr::tr("effective rank");
    case OverviewMetric::EnergyRank90: return Tr::tr("energy rank 90 %");
    case OverviewMetric::EnergyRank99: return Tr::tr("energy rank 99 %");
    case OverviewMetric::Alpha: return Tr::tr("power-law alpha");
    case OverviewMetric::ActivationAbsMax: return Tr::tr("activation abs-max");
    case OverviewMetric::ActivationOutliers: return Tr::tr("activation outlier channels");
    }
    return {};
}

bool metricNeedsSpectra(OverviewMetric metric)
{
    switch (metric) {
    case OverviewMetric::StableRank:
    case OverviewMetric::EffectiveRank:
    case OverviewMetric::EnergyRank90:
    case OverviewMetric::EnergyRank99:
    case OverviewMetric::Alpha: return true;
    default: return false;
    }
}

bool metricNeedsCalibration(OverviewMetric metric)
{
    return metric == OverviewMetric::ActivationAbsMax
        || metric == OverviewMetric::ActivationOutliers;
}

double overviewValue(const cwb::TensorAnalysis &a, const cwb::ActivationStats *activations,
                     OverviewMetric metric)
{
    if (!a.skipped.empty())
        return kNaN;
    const cwb::TensorStats &s = a.stats;
    const cwb::Spectrum &sp = a.spectrum;
    const bool spectrum = a.hasSpectrum();
    const cwb::LinearActivationStats *linear
        = activations && !a.canonical.empty() ? activations->find(a.canonical) : nullptr;
    switch (metric) {
    case OverviewMetric::AbsMax: return s.absMax;
    case OverviewMetric::Std: return s.std;
    case OverviewMetric::Kurtosis: return s.kurtosis;
    case OverviewMetric::OutlierChannels:
        return s.view.perChannel ? static_cast<double>(s.rowOutliers.count + s.colOutliers.count)
                                 : kNaN;
    case OverviewMetric::StableRank: return spectrum ? sp.stableRank : kNaN;
    case OverviewMetric::EffectiveRank: return spectrum ? sp.entropyRank : kNaN;
    case OverviewMetric::EnergyRank90:
        return spectrum ? static_cast<double>(sp.energyRank90) : kNaN;
    case OverviewMetric::EnergyRank99:
        return spectrum ? static_cast<double>(sp.energyRank99) : kNaN;
    case OverviewMetric::Alpha: return spectrum && sp.powerLaw.valid ? sp.powerLaw.alpha : kNaN;
    case OverviewMetric::ActivationAbsMax:
        return linear && !linear->absMax.empty()
            ? *std::max_element(linear->absMax.begin(), linear->absMax.end())
            : kNaN;
    case OverviewMetric::ActivationOutliers:
        return linear ? static_cast<double>(linear->outliers.size()) : kNaN;
    }
    return kNaN;
}

int OverviewLayout::tensorAt(int row, int column) const
{
    const qsizetype nCols = columns.size();
    if (row < 0 || column < 0 || row >= rows.size() || column >= nCols)
        return -1;
    return cells[static_cast<size_t>(row * nCols + column)];
}

OverviewLayout overviewLayout(const cwb::Model &model)
{
    struct Entry {
        Place place;
        int tensor;
    };
    std::vector<Entry> entries;
    bool hasModelColumn = false;
    std::map<int, QString> layers;  // numeric layers, sorted
    QStringList groups;             // other named groups, first seen first
    QStringList extraRoles;         // layer roles not in kLayerRoles, first seen first
    QStringList modelRoles;         // roles of the model column, first seen first
    for (size_t i = 0; i < model.tensors.size(); ++i) {
        const QString canonical = QString::fromStdString(model.tensors[i].canonical);
        if (canonical.isEmpty())
            continue;
        Place p = placeOf(canonical);
        if (p.row.isEmpty())
            continue;
        if (p.layer >= 0)
            layers[p.layer] = p.column;
        else if (p.column.isEmpty())
            hasModelColumn = true;
        else if (!groups.contains(p.column))
            groups << p.column;
        const bool known = std::any_of(std::begin(kLayerRoles), std::end(kLayerRoles),
                                       [&](const char *r) { return p.row == QLatin1String(r); });
        if (p.column.isEmpty()) {
            if (!modelRoles.contains(p.row))
                modelRoles << p.row;
        } else if (!known && !extraRoles.contains(p.row)) {
            extraRoles << p.row;
        }
        entries.push_back({std::move(p), static_cast<int>(i)});
    }

    OverviewLayout layout;
    QHash<QString, int> columnIndex; // "" = model column
    if (hasModelColumn) {
        columnIndex.insert(QString(), 0);
        layout.columns << Tr::tr("model");
    }
    for (const auto &[layer, label] : layers) {
        columnIndex.insert(label, static_cast<int>(layout.columns.size()));
        layout.columns << label;
    }
    for (const QString &g : groups) {
        columnIndex.insert(g, static_cast<int>(layout.columns.size()));
        layout.columns << g;
    }
    // Rows: known layer roles that occur, other layer roles, then model-level roles (in the
    // order of kModelRoles where known).
    QSet<QString> used;
    for (const Entry &e : entries)
        if (!e.place.column.isEmpty())
            used.insert(e.place.row);
    for (const char *r : kLayerRoles)
        if (used.contains(QLatin1String(r)))
            layout.rows << QLatin1String(r);
    layout.rows << extraRoles;
    std::stable_sort(modelRoles.begin(), modelRoles.end(), [](const QString &a, const QString &b) {
        const auto rank = [](const QString &s) {
            for (int k = 0; k < static_cast<int>(std::size(kModelRoles)); ++k)
                if (s == QLatin1String(kModelRoles[k]))
                    return k;
            return static_cast<int>(std::size(kModelRoles));
        };
        return rank(a) < rank(b);
    });
    for (const QString &r : modelRoles)
        if (!layout.rows.contains(r))
            layout.rows << r;

    layout.cells.assign(static_cast<size_t>(layout.rows.size() * layout.columns.size()), -1);
    for (const Entry &e : entries) {
        const int row = static_cast<int>(layout.rows.indexOf(e.place.row));
        const int col = columnIndex.value(e.place.column, -1);
        if (row < 0 || col < 0)
            continue;
        int &cell = layout.cells[static_cast<size_t>(row * layout.columns.size() + col)];
        if (cell < 0) // a tied duplicate under the same name keeps the first
            cell = e.tensor;
    }
    return layout;
}

HeatmapGrid overviewGrid(const cwb::Model &model, const OverviewLayout &layout,
                         OverviewMetric metric,
                         const std::function<const cwb::TensorAnalysis *(size_t index)> &result,
                         const cwb::ActivationStats *activations)
{
    HeatmapGrid g;
    g.columns = layout.columns;
    g.rows = layout.rows;
    g.metric = overviewMetricName(metric);
    const size_t n = layout.cells.size();
    g.values.assign(n, kNaN);
    g.tensors.assign(n, QString());
    double lo = std::numeric_limits<double>::infinity(), hi = 0;
    for (size_t i = 0; i < n; ++i) {
        const int t = layout.cells[i];
        if (t < 0 || static_cast<size_t>(t) >= model.tensors.size())
            continue;
        g.tensors[i] = QString::fromStdString(model.tensors[static_cast<size_t>(t)].name);
        if (const cwb::TensorAnalysis *a = result ? result(static_cast<size_t>(t)) : nullptr) {
            const double v = overviewValue(*a, activations, metric);
            g.values[i] = v;
            if (std::isfinite(v)) {
                lo = std::min(lo, v);
                hi = std::max(hi, v);
            }
        }
    }
    // Magnitudes spanning more than two decades (embedding vs. norm abs-max) read better on a
    // logarithmic colour scale; counts and signed metrics stay linear.
    const bool magnitude = metric == OverviewMetric::AbsMax || metric == OverviewMetric::Std
        || metric == OverviewMetric::ActivationAbsMax;
    g.logScale = magnitude && lo > 0 && hi / lo > 100;
    return g;
}

} // namespace cwb::gui
