// SPDX-License-Identifier: MIT
#pragma once
// The slice table of a comparison: one row per evaluated slice in core's order (the most
// degraded first), with the perplexity of A and of B, their NLL difference and the KL
// divergence of B from A. Cells format core's numbers; SortValueRole gives the raw ones so a
// QSortFilterProxyModel sorts numerically.

#include "compare/compare.h"

#include <QAbstractTableModel>

#include <memory>

namespace cwb::gui {

class CompareSlicesModel : public QAbstractTableModel {
    Q_OBJECT

public:
    enum Column {
        SliceColumn,
        TokensColumn,
        PplAColumn,
        PplBColumn,
        PplChangeColumn,
        DeltaNllColumn,
        KldColumn,
        KldP99Column,
        Top1Column,
        TextColumn,
        ColumnCount
    };
    enum Role {
        SortValueRole = Qt::UserRole + 1,
        RankRole, // 0 for the most degraded slice (core's order)
    };

    explicit CompareSlicesModel(QObject *parent = nullptr);
    ~CompareSlicesModel() override;

    // Null: empty.
    void setResult(std::shared_ptr<const cwb::CompareResult> result);
    [[nodiscard]] const std::shared_ptr<const cwb::CompareResult> &result() const
    {
        return result_;
    }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    std::shared_ptr<const cwb::CompareResult> result_;
};

} // namespace cwb::gui
