// SPDX-License-Identifier: MIT
#include "compare_series.h"

#include <QCoreApplication>
#include <QLocale>

#include <algorithm>
#include <cmath>
#include <limits>

namespace cwb::gui {
namespace {

class Tr {
    Q_DECLARE_TR_FUNCTIONS(cwb::gui::CompareSeries)
};

double valueOf(const std::optional<double> &v)
{
    return v ? *v : std::numeric_limits<double>::quiet_NaN();
}

QString statsText(const cwb::Histogram &h)
{
    QString text = Tr::tr("n = %1 \u00b7 mean %2 \u00b7 std %3")
                       .arg(QLocale().toString(static_cast<qulonglong>(h.finite)),
                            QLocale().toString(h.mean, 'g', 3), QLocale().toString(h.std, 'g', 3));
    if (h.below + h.above > 0)
        text += Tr::tr(" \u00b7 %1 beyond the range shown")
                    .arg(QLocale().toString(static_cast<qulonglong>(h.below + h.above)));
    return text;
}

DeltaDistribution distribution(const QString &name, const QString &xLabel, const cwb::Histogram &h,
                               bool zeroLine)
{
    DeltaDistribution d;
    d.name = name;
    d.zeroLine = zeroLine;
    d.series.title = name;
    d.series.xLabel = xLabel;
    d.series.edges.assign(h.edges.begin(), h.edges.end());
    d.series.counts.assign(h.counts.begin(), h.counts.end());
    d.stats = statsText(h);
    return d;
}

QString escaped(const std::string &s)
{
    return QString::fromStdString(s).toHtmlEscaped().replace(QLatin1Char('\n'),
                                                             QStringLiteral("<br>"));
}

// The common part as it is, the side's own continuation on a tinted background.
QString continuationHtml(const cwb::PromptComparison &p, const std::string &rest,
                         const QString &tint)
{
    QString html = escaped(p.commonText);
    if (!rest.empty())
        html += QStringLiteral("<span style=\"background-color:%1\">%2</span>")
                    .arg(tint, escaped(rest));
    return html;
}

} // namespace

std::vector<CompareErrorEntry> compareErrorEntries(const cwb::CompareResult &r,
                                                   CompareErrorMetric metric)
{
    std::vector<CompareErrorEntry> out;
    for (const cwb::TensorComparison &t : r.tensors) {
        if (t.a.basis != "archive" && t.b.basis != "archive")
            continue;
        CompareErrorEntry e;
        e.tensor = QString::fromStdString(t.canonical.empty() ? t.name : t.canonical);
        const bool relative = metric == CompareErrorMetric::Relative;
        e.a = valueOf(relative ? t.a.relativeError : t.a.outputError);
        e.b = valueOf(relative ? t.b.relativeError : t.b.outputError);
        out.push_back(e);
    }
    return out;
}

std::vector<DeltaDistribution> deltaDistributions(const cwb::DeltaHistograms &h)
{
    return {
        distribution(Tr::tr("\u0394NLL per token (B \u2212 A)"), Tr::tr("\u0394NLL (nats)"),
                     h.tokenDeltaNll, true),
        distribution(Tr::tr("KLD per token"), Tr::tr("KLD of B from A (nats)"), h.tokenKld, false),
        distribution(Tr::tr("\u0394NLL per slice"), Tr::tr("mean \u0394NLL (nats)"),
                     h.sliceDeltaNll, true),
        distribution(Tr::tr("KLD per slice"), Tr::tr("mean KLD (nats)"), h.sliceKld, false),
        distribution(Tr::tr("\u0394 relative error per tensor"),
                     Tr::tr("relative error B \u2212 A"), h.tensorDeltaError, true),
    };
}

QString behaviourSummary(const cwb::BehaviourComparison &b)
{
    return Tr::tr("%1 of %2 prompts keep their first %3 tokens (%4\u00a0%); %5 identical "
                  "throughout %6 tokens")
        .arg(QLocale().toString(static_cast<qlonglong>(b.unchangedCount)),
             QLocale().toString(static_cast<qlonglong>(b.prompts.size())),
             QLocale().toString(static_cast<qlonglong>(b.agree)),
             QLocale().toString(b.unchangedShare() * 100.0, 'f', 0),
             QLocale().toString(static_cast<qlonglong>(b.identicalCount)),
             QLocale().toString(static_cast<qlonglong>(b.tokens)));
}

QString behaviourHtml(const cwb::BehaviourComparison &b, const QString &nameA,
                      const QString &nameB)
{
    const QString tintA = QStringLiteral("#cfe0f0"); // A's blue, B's orange, as in the charts
    const QString tintB = QStringLiteral("#fadcbe");
    QString html = QStringLiteral(
        "<table width=\"100%\" cellspacing=\"0\" cellpadding=\"4\" border=\"1\" "
        "style=\"border-collapse:collapse; border-color:#c8c8c8\">");
    html += QStringLiteral("<tr><th align=\"left\" width=\"24%\">%1</th>"
                           "<th align=\"left\" width=\"38%\">%2</th>"
                           "<th align=\"left\" width=\"38%\">%3</th></tr>")
                .arg(Tr::tr("Prompt"), Tr::tr("A: %1").arg(nameA.toHtmlEscaped()),
                     Tr::tr("B: %1").arg(nameB.toHtmlEscaped()));
    // The prompts that changed first, the earliest divergence first: what the check is for.
    std::vector<const cwb::PromptComparison *> order;
    for (const cwb::PromptComparison &p : b.prompts)
        order.push_back(&p);
    std::stable_sort(order.begin(), order.end(), [](const auto *x, const auto *y) {
        const auto key = [](const cwb::PromptComparison *p) {
            return p->firstDivergence < 0 ? std::numeric_limits<int64_t>::max()
                                          : p->firstDivergence;
        };
        return key(x) < key(y);
    });
    for (const cwb::PromptComparison *prompt : order) {
        const cwb::PromptComparison &p = *prompt;
        const QString where =
            p.firstDivergence < 0
                ? Tr::tr("identical")
                : Tr::tr("differs from token %1")
                      .arg(QLocale().toString(static_cast<qlonglong>(p.firstDivergence + 1)));
        const QString colour = p.unchanged ? QStringLiteral("#2e7d32") : QStringLiteral("#c62828");
        html += QStringLiteral("<tr><td valign=\"top\"><b>%1</b><br><span style=\"color:%2\">"
                               "%3</span></td><td valign=\"top\">%4</td>"
                               "<td valign=\"top\">%5</td></tr>")
                    .arg(escaped(p.prompt), colour, where,
                         continuationHtml(p, p.restA, tintA),
                         continuationHtml(p, p.restB, tintB));
    }
    html += QStringLiteral("</table>");
    return html;
}

} // namespace cwb::gui
