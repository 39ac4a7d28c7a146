// SPDX-License-Identifier: MIT
#pragma once
// The Export dialog's table: one row per exported tensor (or recipe entry) of a cwb::ExportResult
// — its name in the target, what it was, what the target gets, the outcome (exact, converted,
// stored dense, not expressible) and, once the file was written and read back, the largest
// error measured. The same model shows the preview (nothing written yet) and the verification.

#include "export/export_result.h"

#include <QAbstractTableModel>

namespace cwb::gui {

class ExportTableModel : public QAbstractTableModel {
    Q_OBJECT

public:
    enum Column { NameColumn, SourceColumn, WrittenColumn, OutcomeColumn, ErrorColumn,
                  NoteColumn, ColumnCount };
    enum Role {
        FateRole = Qt::UserRole + 1, // int(cwb::ExportFate)
        SortValueRole, // numbers for ErrorColumn, a rank for OutcomeColumn (not exact first)
    };

    explicit ExportTableModel(QObject *parent = nullptr);
    ~ExportTableModel() override;

    void setResult(cwb::ExportResult result);
    void clear();
    [[nodiscard]] const cwb::ExportResult &result() const { return result_; }
    // "12 exact, 3 converted, 1 not expressible"
    [[nodiscard]] QString summary() const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    [[nodiscard]] static QString fateText(cwb::ExportFate fate);

private:
    cwb::ExportResult result_;
};

} // namespace cwb::gui
