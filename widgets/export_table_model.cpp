// SPDX-License-Identifier: MIT
#include "export_table_model.h"

#include <QBrush>
#include <QColor>
#include <QLocale>

namespace cwb::gui {

ExportTableModel::ExportTableModel(QObject *parent) : QAbstractTableModel(parent) {}

ExportTableModel::~ExportTableModel() = default;

void ExportTableModel::setResult(cwb::ExportResult result)
{
    beginResetModel();
    result_ = std::move(result);
    endResetModel();
}

void ExportTableModel::clear()
{
    setResult({});
}

QString ExportTableModel::fateText(cwb::ExportFate fate)
{
    switch (fate) {
    case cwb::ExportFate::Exact: return tr("exact");
    case cwb::ExportFate::Converted: return tr("converted");
    case cwb::ExportFate::Dense: return tr("stored dense");
    case cwb::ExportFate::NotExpressible: return tr("not expressible");
    }
    return {};
}

QString ExportTableModel::summary() const
{
    QStringList parts;
    for (const cwb::ExportFate f : {cwb::ExportFate::Exact, cwb::ExportFate::Converted,
                                    cwb::ExportFate::Dense, cwb::ExportFate::NotExpressible})
        if (const int64_t n = result_.count(f); n > 0)
            parts << QStringLiteral("%1 %2").arg(n).arg(fateText(f));
    return parts.join(QStringLiteral(", "));
}

int ExportTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(result_.tensors.size());
}

int ExportTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ExportTableModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount())
        return {};
    const cwb::ExportedTensor &t = result_.tensors[size_t(index.row())];
    if (role == FateRole)
        return static_cast<int>(t.fate);
    if (role == SortValueRole) {
        if (index.column() == ErrorColumn)
            return t.maxAbsError;
        if (index.column() == OutcomeColumn) // what needs a look sorts above what does not
            return t.fate == cwb::ExportFate::Exact ? 0
                 : t.fate == cwb::ExportFate::Dense ? 1
                 : t.fate == cwb::ExportFate::Converted ? 2
                                                        : 3;
        return data(index, Qt::DisplayRole);
    }
    if (role == Qt::ForegroundRole && index.column() == OutcomeColumn) {
        switch (t.fate) {
        case cwb::ExportFate::Exact: return QBrush(QColor(0x1b, 0x7f, 0x3a));
        case cwb::ExportFate::Converted: return QBrush(QColor(0xb3, 0x5c, 0x00));
        case cwb::ExportFate::Dense: return QBrush(QColor(0x1f, 0x5f, 0xbf));
        case cwb::ExportFate::NotExpressible: return QBrush(QColor(0xc0, 0x1c, 0x28));
        }
    }
    if (role == Qt::ToolTipRole) // cells elide long texts: the tooltip has them whole
        return data(index, Qt::DisplayRole);
    if (role == Qt::TextAlignmentRole && index.column() == ErrorColumn)
        return int(Qt::AlignRight | Qt::AlignVCenter);
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case NameColumn: return QString::fromStdString(t.name);
    case SourceColumn: return QString::fromStdString(t.source);
    case WrittenColumn: return QString::fromStdString(t.written);
    case OutcomeColumn: return fateText(t.fate);
    case ErrorColumn:
        // Measured only once the file was read back; a preview has nothing to show.
        if (!result_.verified || t.fate != cwb::ExportFate::Converted)
            return QStringLiteral("\u2014");
        return QLocale().toString(t.maxAbsError, 'g', 3);
    case NoteColumn: return QString::fromStdString(t.note);
    default: return {};
    }
}

QVariant ExportTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case NameColumn: return tr("Tensor");
    case SourceColumn: return tr("Source");
    case WrittenColumn: return tr("Becomes");
    case OutcomeColumn: return tr("Outcome");
    case ErrorColumn: return tr("Max error");
    case NoteColumn: return tr("Note");
    default: return {};
    }
}

} // namespace cwb::gui
