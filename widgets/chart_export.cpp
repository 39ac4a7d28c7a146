// SPDX-License-Identifier: MIT
#include "chart_export.h"

#include <qcustomplot.h>

#include <QFileDialog>
#include <QFileInfo>
#include <QMessageBox>
#include <QSaveFile>
#include <QSvgGenerator>
#include <QTextStream>

namespace cwb::gui {
namespace {

QString csvCell(const QString &cell)
{
    if (!cell.contains(QLatin1Char(',')) && !cell.contains(QLatin1Char('"'))
        && !cell.contains(QLatin1Char('\n')))
        return cell;
    QString quoted = cell;
    quoted.replace(QStringLiteral("\""), QStringLiteral("\"\""));
    return QLatin1Char('"') + quoted + QLatin1Char('"');
}

// Renders into a temporary file beside `path` and renames it over `path` when complete.
bool writeWhole(const QString &path, const std::function<bool(const QString &temp)> &render,
                QString *error)
{
    const QString temp = path + QStringLiteral(".tmp-chart");
    QFile::remove(temp);
    if (!render(temp)) {
        QFile::remove(temp);
        *error = QObject::tr("Cannot write %1").arg(path);
        return false;
    }
    QFile::remove(path);
    if (!QFile::rename(temp, path)) {
        QFile::remove(temp);
        *error = QObject::tr("Cannot write %1").arg(path);
        return false;
    }
    return true;
}

} // namespace

QString chartFileFilter()
{
    return QObject::tr("Images (*.png *.svg *.pdf);;CSV data (*.csv)");
}

bool saveChartImage(QCustomPlot *plot, const QString &path, QString *error)
{
    const QString suffix = QFileInfo(path).suffix().toLower();
    const int w = plot->width(), h = plot->height();
    if (suffix == QLatin1String("png"))
        return writeWhole(path, [&](const QString &t) { return plot->savePng(t, w, h, 2.0); },
                          error);
    if (suffix == QLatin1String("pdf"))
        return writeWhole(path, [&](const QString &t) { return plot->savePdf(t, w, h); }, error);
    if (suffix == QLatin1String("svg"))
        return writeWhole(
            path,
            [&](const QString &t) {
                QSvgGenerator svg;
                svg.setFileName(t);
                svg.setSize(QSize(w, h));
                svg.setViewBox(QRect(0, 0, w, h));
                QCPPainter painter;
                if (!painter.begin(&svg))
                    return false;
                plot->toPainter(&painter, w, h);
                return painter.end();
            },
            error);
    *error = QObject::tr("Unknown image type \"%1\": use .png, .svg or .pdf").arg(suffix);
    return false;
}

bool saveCsv(const QString &path, const QStringList &header,
             const std::vector<QStringList> &rows, QString *error)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Text)) {
        *error = QObject::tr("Cannot write %1: %2").arg(path, file.errorString());
        return false;
    }
    QTextStream out(&file);
    const auto line = [&out](const QStringList &cells) {
        QStringList quoted;
        for (const QString &c : cells)
            quoted << csvCell(c);
        out << quoted.join(QLatin1Char(',')) << '\n';
    };
    line(header);
    for (const QStringList &row : rows)
        line(row);
    out.flush();
    if (!file.commit()) {
        *error = QObject::tr("Cannot write %1: %2").arg(path, file.errorString());
        return false;
    }
    return true;
}

QString exportChartInteractively(QWidget *parent, QCustomPlot *plot, const QString &suggested,
                                 const QStringList &csvHeader,
                                 const std::vector<QStringList> &csvRows)
{
    const QString path = QFileDialog::getSaveFileName(parent, QObject::tr("Export Chart"),
                                                      suggested, chartFileFilter());
    if (path.isEmpty())
        return {};
    QString error;
    const bool ok = QFileInfo(path).suffix().compare(QLatin1String("csv"), Qt::CaseInsensitive) == 0
                        ? saveCsv(path, csvHeader, csvRows, &error)
                        : saveChartImage(plot, path, &error);
    if (!ok) {
        QMessageBox::warning(parent, QObject::tr("Export Chart"), error);
        return {};
    }
    return path;
}

} // namespace cwb::gui
