// SPDX-License-Identifier: MIT
#include "evaluation_runs_model.h"

#include <QDir>
#include <QLocale>
#include <QStringList>

#include <cmath>
#include <utility>

namespace cwb::gui {
namespace {

const QString kNone = QStringLiteral("\u2014");

QString fixed(double v, int decimals) { return QLocale().toString(v, 'f', decimals); }

QString bytesText(double bytes)
{
    return QLocale().formattedDataSize(static_cast<qint64>(std::llround(bytes)), 2,
                                       QLocale::DataSizeIecFormat);
}

QString integer(int64_t v) { return QLocale().toString(static_cast<qlonglong>(v)); }

// Throughputs span 1 to 100,000 tok/s: whole numbers once they are large, one decimal below.
QString rate(double tokPerS) { return fixed(tokPerS, tokPerS >= 100.0 ? 0 : 1); }

} // namespace

EvaluationRunsModel::EvaluationRunsModel(QObject *parent) : QAbstractTableModel(parent) {}

EvaluationRunsModel::~EvaluationRunsModel() = default;

void EvaluationRunsModel::addRun(EvaluationRun run)
{
    const int row = static_cast<int>(runs_.size());
    beginInsertRows({}, row, row);
    runs_.push_back(std::move(run));
    endInsertRows();
}

void EvaluationRunsModel::clear()
{
    if (runs_.empty())
        return;
    beginResetModel();
    runs_.clear();
    endResetModel();
}

int EvaluationRunsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(runs_.size());
}

int EvaluationRunsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant EvaluationRunsModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const EvaluationRun &run = runs_[static_cast<size_t>(index.row())];
    switch (role) {
    case Qt::DisplayRole: return displayValue(run, index.column());
    case Qt::TextAlignmentRole:
        return index.column() == ModelColumn
            ? QVariant(Qt::AlignLeft | Qt::AlignVCenter)
            : QVariant(Qt::AlignRight | Qt::AlignVCenter);
    case Qt::ToolTipRole: return toolTip(run);
    case SortValueRole: return sortValue(run, index.column());
    default: return {};
    }
}

QVariant EvaluationRunsModel::displayValue(const EvaluationRun &run, int column) const
{
    const cwb::EvalResult &r = run.result;
    switch (column) {
    case ModelColumn: return QString::fromStdString(r.modelLabel);
    case ProtocolColumn:
        return r.protocol == cwb::PplProtocol::LlamaCppHalfWindow
            ? tr("llama.cpp, %1").arg(r.nCtx)
            : tr("full, %1").arg(r.nCtx);
    case PerplexityColumn:
        return tr("%1 \u00b1 %2").arg(fixed(r.ppl, 4), fixed(r.pplStderr, 4));
    case KldColumn: return r.hasKld ? fixed(r.kld.mean, 5) : kNone;
    case Top1Column: return r.hasKld ? tr("%1 %").arg(fixed(r.kld.top1AgreementPct, 2)) : kNone;
    case SizeColumn: return bytesText(static_cast<double>(r.weightBytes));
    case BitsColumn: return fixed(r.bitsPerWeight, 2);
    case PrefillColumn: return r.hasLatency ? rate(r.latency.prefillTokPerS) : kNone;
    case DecodeColumn: return r.hasLatency ? rate(r.latency.decodeTokPerS) : kNone;
    case PeakRssColumn: return bytesText(r.peakRssMiB * 1024.0 * 1024.0);
    default: return {};
    }
}

QVariant EvaluationRunsModel::sortValue(const EvaluationRun &run, int column)
{
    const cwb::EvalResult &r = run.result;
    switch (column) {
    case ModelColumn: return QString::fromStdString(r.modelLabel);
    // Protocol first, then window length: runs that are comparable sort next to each other.
    case ProtocolColumn:
        return static_cast<qlonglong>((static_cast<int64_t>(r.protocol) << 40) | r.nCtx);
    case PerplexityColumn: return r.ppl;
    case KldColumn: return r.hasKld ? QVariant(r.kld.mean) : QVariant();
    case Top1Column: return r.hasKld ? QVariant(r.kld.top1AgreementPct) : QVariant();
    case SizeColumn: return static_cast<qulonglong>(r.weightBytes);
    case BitsColumn: return r.bitsPerWeight;
    case PrefillColumn: return r.hasLatency ? QVariant(r.latency.prefillTokPerS) : QVariant();
    case DecodeColumn: return r.hasLatency ? QVariant(r.latency.decodeTokPerS) : QVariant();
    case PeakRssColumn: return r.peakRssMiB;
    default: return {};
    }
}

QString EvaluationRunsModel::toolTip(const EvaluationRun &run) const
{
    const cwb::EvalResult &r = run.result;
    QStringList lines;
    lines << tr("Model: %1").arg(QString::fromStdString(r.modelLabel));
    lines << tr("Text: %1").arg(QDir::toNativeSeparators(run.textPath));
    lines << (r.protocol == cwb::PplProtocol::LlamaCppHalfWindow
                  ? tr("Protocol: llama.cpp (second half of each window scored)")
                  : tr("Protocol: full window (every position scored)"));
    lines << tr("Context: %1 tokens, %2 windows, %3 tokens scored of %4 in the text")
                 .arg(integer(r.nCtx), integer(r.windows), integer(r.tokensScored),
                      integer(r.textTokens));
    lines << tr("Perplexity: %1 \u00b1 %2 (mean NLL %3 nats/token)")
                 .arg(fixed(r.ppl, 4), fixed(r.pplStderr, 4), fixed(r.meanNll, 5));
    if (r.hasKld) {
        const cwb::KldSummary &k = r.kld;
        lines << tr("KL divergence: mean %1 \u00b1 %2, median %3, 99th percentile %4, max %5")
                     .arg(fixed(k.mean, 5), fixed(k.meanStderr, 5), fixed(k.median, 5),
                          fixed(k.p99, 5), fixed(k.max, 5));
        lines << tr("Top-1 agreement: %1 % of %2 positions")
                     .arg(fixed(k.top1AgreementPct, 2), integer(k.positions));
        lines << tr("Base perplexity: %1, ratio %2, difference %3")
                     .arg(fixed(k.basePpl, 4), fixed(k.pplRatio, 5), fixed(k.deltaPpl, 4));
    } else {
        lines << tr("KL divergence: not measured (no base run)");
    }
    if (r.hasLatency) {
        const cwb::LatencySummary &l = r.latency;
        lines << tr("Prefill: %1 tok/s for %2 prompt tokens")
                     .arg(rate(l.prefillTokPerS), integer(l.promptTokens));
        lines << tr("Decode: %1 tok/s over %2 tokens (p50 %3 ms, p95 %4 ms per token)")
                     .arg(rate(l.decodeTokPerS), integer(l.generatedTokens), fixed(l.tokenP50Ms, 3),
                          fixed(l.tokenP95Ms, 3));
    } else {
        lines << tr("Latency: not measured");
    }
    lines << tr("Weights: %1 at %2 bits/weight; KV cache at this context: %3")
                 .arg(bytesText(static_cast<double>(r.weightBytes)), fixed(r.bitsPerWeight, 2),
                      bytesText(static_cast<double>(r.kvCacheBytes)));
    lines << tr("Peak memory (RSS): %1").arg(bytesText(r.peakRssMiB * 1024.0 * 1024.0));
    lines << tr("Evaluated at %1 tok/s; the whole run took %2 s")
                 .arg(rate(r.evalTokPerS), fixed(r.seconds, 2));
    if (run.emulateQ8)
        lines << tr("Integer activations: matmul inputs quantized to Q8, integer dot products "
                    "like llama.cpp's CPU path");
    else
        lines << tr("Float activations");
    if (run.finishedAt.isValid())
        lines << tr("Finished: %1").arg(QLocale().toString(run.finishedAt, QLocale::ShortFormat));
    for (const std::string &note : r.notes)
        lines << tr("Note: %1").arg(QString::fromStdString(note));
    return lines.join(QLatin1Char('\n'));
}

QVariant EvaluationRunsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount)
        return {};
    if (role == Qt::TextAlignmentRole)
        return section == ModelColumn ? QVariant(Qt::AlignLeft | Qt::AlignVCenter)
                                      : QVariant(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case ProtocolColumn: return tr("Perplexity protocol and window length (n_ctx)");
        case PerplexityColumn: return tr("Perplexity \u00b1 its standard error");
        case KldColumn: return tr("Mean KL divergence from the base run (nats)");
        case Top1Column: return tr("Positions where the most likely token matches the base run");
        case SizeColumn: return tr("Stored size of the weights the engine uses");
        case BitsColumn: return tr("Stored bits per weight");
        case PrefillColumn: return tr("Prompt processing speed");
        case DecodeColumn: return tr("Token generation speed");
        case PeakRssColumn: return tr("Process memory high-water mark after the run");
        default: return {};
        }
    }
    if (role != Qt::DisplayRole)
        return {};
    switch (section) {
    case ModelColumn: return tr("Model");
    case ProtocolColumn: return tr("Protocol, n_ctx");
    case PerplexityColumn: return tr("Perplexity");
    case KldColumn: return tr("KLD");
    case Top1Column: return tr("Top-1");
    case SizeColumn: return tr("Size");
    case BitsColumn: return tr("Bits/weight");
    case PrefillColumn: return tr("Prefill tok/s");
    case DecodeColumn: return tr("Decode tok/s");
    case PeakRssColumn: return tr("Peak RSS");
    default: return {};
    }
}

} // namespace cwb::gui
