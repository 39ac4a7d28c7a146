// SPDX-License-Identifier: MIT
#pragma once
// The "Evaluation Runs" table: one row per finished evaluation, newest last. It keeps each run's
// complete cwb::EvalResult (the trade-off charts plot them later); the cells are formatted views
// of it, and SortValueRole gives the raw numbers so a QSortFilterProxyModel sorts numerically.

#include "eval/evaluation.h"

#include <QAbstractTableModel>
#include <QDateTime>
#include <QString>

#include <vector>

namespace cwb::gui {

// What the table keeps of one run: core's result plus what the GUI asked for.
struct EvaluationRun {
    cwb::EvalResult result;
    QString textPath;       // the scored text
    QString modelPath;      // the model the run was of (the original; see recipeJson)
    bool emulateQ8 = false; // llama.cpp Q8 activation emulation was on
    QString recipeJson;     // the recipe of the compressed weights evaluated; empty: original
    QDateTime finishedAt;
};

class EvaluationRunsModel : public QAbstractTableModel {
    Q_OBJECT

public:
    enum Column {
        ModelColumn,
        ProtocolColumn,
        PerplexityColumn,
        KldColumn,
        Top1Column,
        SizeColumn,
        BitsColumn,
        PrefillColumn,
        DecodeColumn,
        PeakRssColumn,
        ColumnCount
    };
    enum Role {
        SortValueRole = Qt::UserRole + 1, // numbers as numbers; invalid where the cell shows "—"
    };

    explicit EvaluationRunsModel(QObject *parent = nullptr);
    ~EvaluationRunsModel() override;

    void addRun(EvaluationRun run);
    void clear();
    [[nodiscard]] const std::vector<EvaluationRun> &runs() const { return runs_; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    [[nodiscard]] QVariant displayValue(const EvaluationRun &run, int column) const;
    [[nodiscard]] static QVariant sortValue(const EvaluationRun &run, int column);
    [[nodiscard]] QString toolTip(const EvaluationRun &run) const;

    std::vector<EvaluationRun> runs_;
};

} // namespace cwb::gui
