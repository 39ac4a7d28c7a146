// SPDX-License-Identifier: MIT
#include "chart_text.h"

#include <QFontMetrics>
#include <QStringList>

#include <algorithm>

namespace cwb::gui {
namespace {

QString fitLine(const QString &line, const QFontMetrics &fm, int width)
{
    if (fm.horizontalAdvance(line) <= width)
        return line;
    for (const QLatin1String separator : {QLatin1String(": "), QLatin1String(", ")}) {
        const qsizetype at = line.lastIndexOf(separator);
        if (at <= 0)
            continue;
        const QString first = line.left(at + 1), second = line.mid(at + separator.size());
        return fm.elidedText(first, Qt::ElideRight, width) + QLatin1Char('\n')
               + fm.elidedText(second, Qt::ElideRight, width);
    }
    return fm.elidedText(line, Qt::ElideRight, width);
}

} // namespace

QString fitTextToWidth(const QString &text, const QFont &font, int width)
{
    const QFontMetrics fm(font);
    QStringList lines = text.split(QLatin1Char('\n'));
    for (QString &line : lines)
        line = fitLine(line, fm, std::max(width, 1));
    return lines.join(QLatin1Char('\n'));
}

} // namespace cwb::gui
