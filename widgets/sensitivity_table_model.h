// SPDX-License-Identifier: MIT
#pragma once
// The sensitivity table as rows: one per tensor, its parameters and stored bytes, then one
// column per candidate option holding the chosen measure (dKLD by default) — sortable by any
// column (SortValueRole gives numbers; options that do not fit sort last and show "—" with the
// reason as tooltip).

#include <QAbstractTableModel>

#include <memory>

namespace cwb {
struct SensitivityTable;
}

namespace cwb::gui {

enum class SensitivityMeasure;

class SensitivityTableModel : public QAbstractTableModel {
    Q_OBJECT

public:
    enum Role { SortValueRole = Qt::UserRole + 1 };
    static constexpr int kFixedColumns = 3; // tensor, parameters, stored bytes

    explicit SensitivityTableModel(QObject *parent = nullptr);
    ~SensitivityTableModel() override;

    void setTable(std::shared_ptr<const cwb::SensitivityTable> table);
    void setMeasure(SensitivityMeasure m);
    [[nodiscard]] const std::shared_ptr<const cwb::SensitivityTable> &table() const
    {
        return table_;
    }
    // The chosen measure of tensor `row`, option `option`; NaN where the option does not fit.
    [[nodiscard]] double value(int row, int option) const;
    [[nodiscard]] static QString measureName(SensitivityMeasure m);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    std::shared_ptr<const cwb::SensitivityTable> table_;
    SensitivityMeasure measure_;
};

} // namespace cwb::gui
