// SPDX-License-Identifier: MIT
#include "model_tree_model.h"

#include "tensor_groups.h"

#include "model/model.h"

#include <QColor>
#include <QFont>
#include <QLocale>

#include <algorithm>
#include <map>
#include <string_view>

namespace cwb::gui {
namespace {

const QString kModelGroup = QStringLiteral("model");
const QString kOtherGroup = QStringLiteral("other");

QString numberText(qint64 v) { return QLocale().toString(v); }
QString bytesText(quint64 v)
{
    return QLocale().formattedDataSize(static_cast<qint64>(v), 2, QLocale::DataSizeIecFormat);
}
QString bitsText(quint64 bytes, qint64 params)
{
    if (params <= 0 || bytes == 0)
        return QStringLiteral("\u2013");
    return QLocale().toString(8.0 * static_cast<double>(bytes) / static_cast<double>(params), 'f',
                              2);
}

bool isNumeric(int column)
{
    return column == ModelTreeModel::ParametersColumn || column == ModelTreeModel::BytesColumn
        || column == ModelTreeModel::BitsColumn;
}

// Delegates of Qt 6.4 read the alignment as an int.
QVariant alignment(int column)
{
    return static_cast<int>(isNumeric(column) ? Qt::AlignRight | Qt::AlignVCenter
                                              : Qt::AlignLeft | Qt::AlignVCenter);
}


} // namespace

ModelTreeModel::ModelTreeModel(QObject *parent) : GroupedTreeModel(parent) {}
ModelTreeModel::~ModelTreeModel() = default;

void ModelTreeModel::setModel(std::shared_ptr<const cwb::Model> model)
{
    beginResetModel();
    model_ = std::move(model);
    groups_.clear();
    if (model_) {
        for (TensorGroup &tg : groupTensors(*model_)) {
            Group g{std::move(tg.name), std::move(tg.tensors), 0, 0};
            for (int i : g.tensors) {
                const auto &t = model_->tensors[static_cast<size_t>(i)];
                if (t.tiedTo.empty()) {
                    g.parameters += t.numel();
                    g.bytes += t.byteSize;
                }
            }
            groups_.push_back(std::move(g));
        }
    }
    endResetModel();
}

const cwb::Tensor *ModelTreeModel::tensorAt(const QModelIndex &index) const
{
    if (!index.isValid() || index.model() != this || index.internalId() == kGroupId || !model_)
        return nullptr;
    const Group &g = groups_[index.internalId() - 1];
    return &model_->tensors[static_cast<size_t>(g.tensors[static_cast<size_t>(index.row())])];
}

QModelIndex ModelTreeModel::indexOfTensor(const QString &nameOrCanonical) const
{
    if (!model_)
        return {};
    const cwb::Tensor *t = model_->findTensor(nameOrCanonical.toStdString());
    if (!t)
        return {};
    const int tensorIndex = static_cast<int>(t - model_->tensors.data());
    for (size_t g = 0; g < groups_.size(); ++g) {
        const auto &members = groups_[g].tensors;
        const auto it = std::find(members.begin(), members.end(), tensorIndex);
        if (it != members.end())
            return createIndex(static_cast<int>(it - members.begin()), 0,
                               static_cast<quintptr>(g + 1));
    }
    return {};
}

int ModelTreeModel::groupCount() const { return static_cast<int>(groups_.size()); }

int ModelTreeModel::memberCount(int group) const
{
    return static_cast<int>(groups_[static_cast<size_t>(group)].tensors.size());
}

int ModelTreeModel::columnCount(const QModelIndex &) const { return ColumnCount; }

Qt::ItemFlags ModelTreeModel::flags(const QModelIndex &index) const
{
    if (!index.isValid())
        return Qt::NoItemFlags;
    Qt::ItemFlags f = Qt::ItemIsEnabled | Qt::ItemIsSelectable;
    if (index.internalId() != kGroupId)
        f |= Qt::ItemNeverHasChildren;
    return f;
}

QVariant ModelTreeModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.model() != this)
        return {};
    if (role == Qt::TextAlignmentRole)
        return alignment(index.column());
    if (const cwb::Tensor *t = tensorAt(index))
        return tensorData(*t, index.column(), role);
    return groupData(groups_[static_cast<size_t>(index.row())], index.column(), role);
}

QVariant ModelTreeModel::groupData(const Group &g, int column, int role) const
{
    const qint64 members = static_cast<qint64>(g.tensors.size());
    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case NameColumn:
            if (g.name == kModelGroup)
                return tr("model");
            if (g.name == kOtherGroup)
                return tr("other");
            return g.name;
        case ShapeColumn: return tr("%1 tensors").arg(numberText(members));
        case ParametersColumn: return numberText(g.parameters);
        case BytesColumn: return bytesText(g.bytes);
        case BitsColumn: return bitsText(g.bytes, g.parameters);
        default: return {};
        }
    case Qt::ToolTipRole:
        if (g.name == kModelGroup)
            return tr("Embedding, output head and final norm");
        if (g.name == kOtherGroup)
            return tr("Tensors without a canonical role (unknown to the architecture adapter)");
        return {};
    case Qt::FontRole:
        if (column == NameColumn) {
            QFont f;
            f.setBold(true);
            return f;
        }
        return {};
    case SortValueRole:
        switch (column) {
        case ParametersColumn: return g.parameters;
        case BytesColumn: return g.bytes;
        default: return groupData(g, column, Qt::DisplayRole);
        }
    default: return {};
    }
}

QVariant ModelTreeModel::tensorData(const cwb::Tensor &t, int column, int role) const
{
    const QString original = QString::fromStdString(t.name);
    const bool unknown = t.canonical.empty();
    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case NameColumn: return unknown ? tr("unknown") : QString::fromStdString(t.canonical);
        case OriginalNameColumn: return original;
        case ShapeColumn:
            return QString::fromStdString(t.shapeString())
                .replace(QStringLiteral(" x "), QStringLiteral(" \u00d7 "));
        case TypeColumn:
            return QString::fromStdString(t.dtypeLabel.empty() ? std::string(dtypeName(t.dtype))
                                                               : t.dtypeLabel);
        case ParametersColumn: return numberText(t.numel());
        case BytesColumn: return t.byteSize ? bytesText(t.byteSize) : QStringLiteral("\u2013");
        case BitsColumn: return bitsText(t.byteSize, t.numel());
        default: return {};
        }
    case Qt::ToolTipRole: {
        QString tip = tr("Original name: %1").arg(original);
        if (unknown)
            tip += QLatin1Char('\n')
                + tr("No canonical role: the architecture adapter does not know this tensor");
        if (!t.tiedTo.empty())
            tip += QLatin1Char('\n')
                + tr("Same values as %1 (counted once in the totals)")
                      .arg(QString::fromStdString(t.tiedTo));
        return tip;
    }
    case Qt::FontRole:
        if (column == NameColumn && unknown) {
            QFont f;
            f.setItalic(true);
            return f;
        }
        return {};
    case Qt::ForegroundRole:
        // A tied tensor's numbers are not part of the totals: greyed, the tooltip says why.
        if (!t.tiedTo.empty() && column >= ParametersColumn)
            return QColor(Qt::gray);
        return {};
    case TensorNameRole: return original;
    case SortValueRole:
        switch (column) {
        case ParametersColumn: return static_cast<qint64>(t.numel());
        case BytesColumn: return static_cast<quint64>(t.byteSize);
        case BitsColumn:
            return t.numel() > 0
                ? 8.0 * static_cast<double>(t.byteSize) / static_cast<double>(t.numel())
                : 0.0;
        default: return tensorData(t, column, Qt::DisplayRole);
        }
    default: return {};
    }
}

QVariant ModelTreeModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::TextAlignmentRole)
        return alignment(section);
    if (role == Qt::ToolTipRole && section == BitsColumn)
        return tr("Stored bits per parameter");
    if (role != Qt::DisplayRole)
        return {};
    switch (section) {
    case NameColumn: return tr("Name");
    case OriginalNameColumn: return tr("Original name");
    case ShapeColumn: return tr("Shape");
    case TypeColumn: return tr("Type");
    case ParametersColumn: return tr("Parameters");
    case BytesColumn: return tr("Size");
    case BitsColumn: return tr("Bits/weight");
    default: return {};
    }
}

} // namespace cwb::gui
