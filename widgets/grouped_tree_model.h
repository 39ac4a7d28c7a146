// SPDX-License-Identifier: MIT
#pragma once
// A two-level item model: top-level rows are groups, their children the groups' members (the
// model browser's and the Layer Plan's "layers.N" groups of tensors). Group indexes carry
// internalId kGroupId; a member's internalId is its group's row + 1. Subclasses say how many
// groups and members there are and provide columns and data.

#include <QAbstractItemModel>

namespace cwb::gui {

class GroupedTreeModel : public QAbstractItemModel {
    Q_OBJECT

public:
    using QAbstractItemModel::QAbstractItemModel;

    QModelIndex index(int row, int column, const QModelIndex &parent = {}) const override;
    QModelIndex parent(const QModelIndex &child) const override;
    int rowCount(const QModelIndex &parent = {}) const override;

protected:
    static constexpr quintptr kGroupId = 0;

    [[nodiscard]] virtual int groupCount() const = 0;
    [[nodiscard]] virtual int memberCount(int group) const = 0;

    [[nodiscard]] static bool isGroupRow(const QModelIndex &index)
    {
        return index.internalId() == kGroupId;
    }
    // The group of a member index (not of a group index).
    [[nodiscard]] static int groupOf(const QModelIndex &member)
    {
        return static_cast<int>(member.internalId() - 1);
    }
    [[nodiscard]] QModelIndex memberIndex(int group, int row, int column) const
    {
        return createIndex(row, column, static_cast<quintptr>(group + 1));
    }
};

} // namespace cwb::gui
