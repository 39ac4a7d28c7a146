// SPDX-License-Identifier: MIT
#include "sensitivity_table_model.h"

#include "sensitivity_panel.h"

#include "analysis/sensitivity_table.h"

#include <QLocale>

#include <cmath>

namespace cwb::gui {

SensitivityTableModel::SensitivityTableModel(QObject *parent)
    : QAbstractTableModel(parent), measure_(SensitivityMeasure::DeltaKld)
{
}

SensitivityTableModel::~SensitivityTableModel() = default;

void SensitivityTableModel::setTable(std::shared_ptr<const cwb::SensitivityTable> table)
{
    beginResetModel();
    table_ = std::move(table);
    endResetModel();
}

void SensitivityTableModel::setMeasure(SensitivityMeasure m)
{
    measure_ = m;
    if (rowCount() > 0)
        Q_EMIT dataChanged(index(0, kFixedColumns), index(rowCount() - 1, columnCount() - 1));
    Q_EMIT headerDataChanged(Qt::Horizontal, 0, columnCount() - 1);
}

QString SensitivityTableModel::measureName(SensitivityMeasure m)
{
    switch (m) {
    case SensitivityMeasure::DeltaKld: return tr("\u0394KLD (nats/token)");
    case SensitivityMeasure::RelativeError: return tr("Relative weight error");
    case SensitivityMeasure::OutputError: return tr("Relative output error");
    case SensitivityMeasure::Bytes: return tr("Stored bytes");
    }
    return {};
}

double SensitivityTableModel::value(int row, int option) const
{
    if (!table_ || row < 0 || size_t(row) >= table_->tensors.size() || option < 0
        || size_t(option) >= table_->options.size())
        return NAN;
    const cwb::SensitivityCell &c = table_->tensors[size_t(row)].cells[size_t(option)];
    if (!c.fits)
        return NAN;
    switch (measure_) {
    case SensitivityMeasure::DeltaKld: return c.deltaKld;
    case SensitivityMeasure::RelativeError: return c.relativeError;
    case SensitivityMeasure::OutputError: return c.outputError >= 0 ? c.outputError : NAN;
    case SensitivityMeasure::Bytes: return double(c.bytes);
    }
    return NAN;
}

int SensitivityTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() || !table_ ? 0 : static_cast<int>(table_->tensors.size());
}

int SensitivityTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() || !table_ ? 0
                                       : kFixedColumns + static_cast<int>(table_->options.size());
}

QVariant SensitivityTableModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || !table_ || index.row() >= rowCount())
        return {};
    const cwb::SensitivityTensor &t = table_->tensors[size_t(index.row())];
    const int column = index.column();
    if (column < kFixedColumns) {
        if (role == SortValueRole) {
            if (column == 1)
                return qlonglong(t.parameters);
            if (column == 2)
                return qulonglong(t.storedBytes);
        }
        if (role != Qt::DisplayRole && role != SortValueRole)
            return {};
        switch (column) {
        case 0: return QString::fromStdString(t.canonical.empty() ? t.name : t.canonical);
        case 1: return QLocale().toString(qlonglong(t.parameters));
        case 2: return QLocale().formattedDataSize(qint64(t.storedBytes));
        }
        return {};
    }
    const int option = column - kFixedColumns;
    const cwb::SensitivityCell &c = t.cells[size_t(option)];
    const double v = value(index.row(), option);
    switch (role) {
    case SortValueRole:
        // Cells that do not fit sort after every number, whichever direction.
        return std::isnan(v) ? QVariant() : QVariant(v);
    case Qt::DisplayRole:
        if (std::isnan(v))
            return QStringLiteral("\u2014");
        return measure_ == SensitivityMeasure::Bytes ? QLocale().formattedDataSize(qint64(v))
                                                     : QLocale().toString(v, 'g', 3);
    case Qt::ToolTipRole:
        if (!c.fits)
            return tr("Does not fit: %1").arg(QString::fromStdString(c.why));
        return tr("%1 as %2: \u0394KLD %3, weight error %4, %5")
            .arg(QString::fromStdString(t.canonical.empty() ? t.name : t.canonical),
                 QString::fromStdString(table_->options[size_t(option)].label),
                 QLocale().toString(c.deltaKld, 'g', 3),
                 QLocale().toString(c.relativeError, 'g', 3),
                 QLocale().formattedDataSize(qint64(c.bytes)));
    case Qt::TextAlignmentRole: return int(Qt::AlignRight | Qt::AlignVCenter);
    default: return {};
    }
}

QVariant SensitivityTableModel::headerData(int section, Qt::Orientation orientation,
                                           int role) const
{
    if (orientation != Qt::Horizontal || !table_)
        return QAbstractTableModel::headerData(section, orientation, role);
    if (role == Qt::ToolTipRole && section >= kFixedColumns)
        return QString::fromStdString(table_->options[size_t(section - kFixedColumns)].id);
    if (role != Qt::DisplayRole)
        return {};
    switch (section) {
    case 0: return tr("Tensor");
    case 1: return tr("Parameters");
    case 2: return tr("Stored");
    default:
        if (section - kFixedColumns < int(table_->options.size()))
            return QString::fromStdString(table_->options[size_t(section - kFixedColumns)].label);
        return {};
    }
}

} // namespace cwb::gui
