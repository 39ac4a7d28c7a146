// SPDX-License-Identifier: MIT
#include "grouped_tree_model.h"

namespace cwb::gui {

QModelIndex GroupedTreeModel::index(int row, int column, const QModelIndex &parent) const
{
    if (row < 0 || column < 0 || column >= columnCount(parent))
        return {};
    if (!parent.isValid())
        return row < groupCount() ? createIndex(row, column, kGroupId) : QModelIndex();
    if (!isGroupRow(parent) || parent.row() >= groupCount())
        return {};
    if (row >= memberCount(parent.row()))
        return {};
    return memberIndex(parent.row(), row, column);
}

QModelIndex GroupedTreeModel::parent(const QModelIndex &child) const
{
    if (!child.isValid() || isGroupRow(child))
        return {};
    return createIndex(groupOf(child), 0, kGroupId);
}

int GroupedTreeModel::rowCount(const QModelIndex &parent) const
{
    if (!parent.isValid())
        return groupCount();
    if (parent.column() != 0 || !isGroupRow(parent))
        return 0;
    return memberCount(parent.row());
}

} // namespace cwb::gui
