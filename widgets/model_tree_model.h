// SPDX-License-Identifier: MIT
#pragma once
// The model browser's item model: a two-level tree of groups ("model" for embed/head/final_norm,
// "layers.N", generic layer names, "other" for tensors without a canonical role) over the tensors
// of one cwb::Model. Read-only; it shares the Model with the rest of the GUI and never copies it.

#include "grouped_tree_model.h"


#include <memory>
#include <vector>

namespace cwb {
struct Model;
struct Tensor;
} // namespace cwb

namespace cwb::gui {

class ModelTreeModel : public GroupedTreeModel {
    Q_OBJECT

public:
    enum Column {
        NameColumn,
        OriginalNameColumn,
        ShapeColumn,
        TypeColumn,
        ParametersColumn,
        BytesColumn,
        BitsColumn,
        ColumnCount
    };
    enum Role {
        TensorNameRole = Qt::UserRole + 1, // original tensor name (empty for group rows)
        SortValueRole,                     // numbers as numbers, for sorting proxies
    };

    explicit ModelTreeModel(QObject *parent = nullptr);
    ~ModelTreeModel() override;

    void setModel(std::shared_ptr<const cwb::Model> model);
    [[nodiscard]] const std::shared_ptr<const cwb::Model> &model() const { return model_; }

    // The tensor a row shows; nullptr for group rows and invalid indexes.
    [[nodiscard]] const cwb::Tensor *tensorAt(const QModelIndex &index) const;
    // Column-0 index of the tensor with this canonical or original name (invalid if none).
    [[nodiscard]] QModelIndex indexOfTensor(const QString &nameOrCanonical) const;

    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex &index) const override;

protected:
    [[nodiscard]] int groupCount() const override;
    [[nodiscard]] int memberCount(int group) const override;

private:
    struct Group {
        QString name;
        std::vector<int> tensors; // indexes into model_->tensors
        qint64 parameters = 0;    // tied tensors are counted once, as in Model::totals()
        quint64 bytes = 0;
    };

    QVariant groupData(const Group &g, int column, int role) const;
    QVariant tensorData(const cwb::Tensor &t, int column, int role) const;

    std::shared_ptr<const cwb::Model> model_;
    std::vector<Group> groups_;
};

} // namespace cwb::gui
