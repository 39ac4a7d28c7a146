// SPDX-License-Identifier: MIT
#pragma once
// Saving a chart as people use it elsewhere: the picture as PNG, SVG or PDF (chosen by the file's
// suffix) at the size it has on screen, and its data as CSV (written by the chart, which knows
// its columns). Files are written whole or not at all (a temporary file renamed into place).
// Only chart .cpp files include this (it takes QCustomPlot).

#include <QString>
#include <QStringList>

#include <vector>

class QCustomPlot;
class QWidget;

namespace cwb::gui {

// "Images (*.png *.svg *.pdf);;CSV (*.csv)": the filter the charts' Export… dialogs offer.
[[nodiscard]] QString chartFileFilter();

// Writes `plot` to `path` by its suffix (png, svg or pdf). False with `error` set when the suffix
// is unknown or the file cannot be written.
bool saveChartImage(QCustomPlot *plot, const QString &path, QString *error);

// Writes rows of cells as RFC 4180 CSV (cells with commas, quotes or line breaks quoted).
bool saveCsv(const QString &path, const QStringList &header,
             const std::vector<QStringList> &rows, QString *error);

// Asks for a file (images or CSV) and saves the chart's picture or `csvRows` there; shows errors
// in a message box. Returns the path written, or empty.
QString exportChartInteractively(QWidget *parent, QCustomPlot *plot, const QString &suggested,
                                 const QStringList &csvHeader,
                                 const std::vector<QStringList> &csvRows);

} // namespace cwb::gui
