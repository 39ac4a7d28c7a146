// SPDX-License-Identifier: MIT
#pragma once
// Chart titles and messages that must fit the width they are drawn in. QCustomPlot's text
// elements neither wrap nor elide on their own: a title wider than the plot was cut at both
// ends ("eight output channels (rows), 1024: no outliers above 6 × media").

#include <QString>

class QFont;

namespace cwb::gui {

// `text` as it fits `width` pixels in `font`: unchanged when it fits; otherwise broken into two
// lines after its last ": " (else its last ", ") and each line elided at the right if still too
// wide. Explicit line breaks are kept, each line fitted on its own.
[[nodiscard]] QString fitTextToWidth(const QString &text, const QFont &font, int width);

} // namespace cwb::gui
