// SPDX-License-Identifier: MIT
#include "compare_slices_model.h"

#include <QDir>
#include <QLocale>

namespace cwb::gui {
namespace {

QString fixed(double v, int decimals) { return QLocale().toString(v, 'f', decimals); }

// "+3.21 %": how much B's perplexity is above A's.
double pplChangePercent(const cwb::SliceScores &s)
{
    return s.pplA > 0 ? (s.pplB / s.pplA - 1.0) * 100.0 : 0.0;
}

} // namespace

CompareSlicesModel::CompareSlicesModel(QObject *parent) : QAbstractTableModel(parent) {}

CompareSlicesModel::~CompareSlicesModel() = default;

void CompareSlicesModel::setResult(std::shared_ptr<const cwb::CompareResult> result)
{
    beginResetModel();
    result_ = std::move(result);
    endResetModel();
}

int CompareSlicesModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() || !result_ ? 0
                                        : static_cast<int>(result_->slices.evaluated.size());
}

int CompareSlicesModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant CompareSlicesModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const cwb::SliceResult &r = result_->slices.evaluated[static_cast<size_t>(index.row())];
    const cwb::SliceScores &s = r.scores;
    const int column = index.column();
    if (role == RankRole)
        return index.row();
    if (role == SortValueRole) {
        switch (column) {
        case SliceColumn: return static_cast<qlonglong>(r.index);
        case TokensColumn: return static_cast<qlonglong>(s.tokens);
        case PplAColumn: return s.pplA;
        case PplBColumn: return s.pplB;
        case PplChangeColumn: return pplChangePercent(s);
        case DeltaNllColumn: return s.deltaNll;
        case KldColumn: return s.kld.mean;
        case KldP99Column: return s.kld.p99;
        case Top1Column: return s.kld.top1AgreementPct;
        case TextColumn: return QString::fromStdString(r.preview);
        default: return {};
        }
    }
    if (role == Qt::TextAlignmentRole)
        return column == SliceColumn || column == TextColumn
            ? QVariant(Qt::AlignLeft | Qt::AlignVCenter)
            : QVariant(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::ToolTipRole)
        return tr("%1, line %2 (documents %3\u2013%4)\n%5 windows, %6 positions scored\n"
                  "ppl A %7 \u00b1 %8, B %9 \u00b1 %10\nKLD median %11, max %12")
            .arg(QDir::toNativeSeparators(QString::fromStdString(r.source)),
                 QLocale().toString(static_cast<qlonglong>(r.line)),
                 QLocale().toString(static_cast<qlonglong>(r.firstDocument)),
                 QLocale().toString(static_cast<qlonglong>(r.lastDocument)),
                 QLocale().toString(static_cast<qlonglong>(s.windows)),
                 QLocale().toString(static_cast<qlonglong>(s.positions)), fixed(s.pplA, 4),
                 fixed(s.pplAStderr, 4), fixed(s.pplB, 4))
            .arg(fixed(s.pplBStderr, 4), QLocale().toString(s.kld.median, 'g', 3),
                 QLocale().toString(s.kld.max, 'g', 3));
    if (role != Qt::DisplayRole)
        return {};
    switch (column) {
    case SliceColumn: return QString::fromStdString(r.name);
    case TokensColumn: return QLocale().toString(static_cast<qlonglong>(s.tokens));
    case PplAColumn: return fixed(s.pplA, 3);
    case PplBColumn: return fixed(s.pplB, 3);
    case PplChangeColumn:
        return tr("%1%2\u00a0%").arg(pplChangePercent(s) >= 0 ? QStringLiteral("+") : QString(),
                                     fixed(pplChangePercent(s), 2));
    case DeltaNllColumn: return QLocale().toString(s.deltaNll, 'f', 4);
    case KldColumn: return QLocale().toString(s.kld.mean, 'f', 5);
    case KldP99Column: return QLocale().toString(s.kld.p99, 'f', 4);
    case Top1Column: return tr("%1\u00a0%").arg(fixed(s.kld.top1AgreementPct, 1));
    case TextColumn: return QString::fromStdString(r.preview);
    default: return {};
    }
}

QVariant CompareSlicesModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case PplChangeColumn: return tr("B's perplexity relative to A's");
        case DeltaNllColumn: return tr("Mean NLL of B minus that of A, nats per token");
        case KldColumn: return tr("Mean KL divergence of B's next-token distributions from A's");
        case KldP99Column: return tr("99th percentile of the KL divergence over the positions");
        case Top1Column: return tr("Positions where A and B rank the same token first");
        default: return {};
        }
    }
    if (role != Qt::DisplayRole)
        return {};
    switch (section) {
    case SliceColumn: return tr("Slice");
    case TokensColumn: return tr("Tokens");
    case PplAColumn: return tr("PPL A");
    case PplBColumn: return tr("PPL B");
    case PplChangeColumn: return tr("\u0394 PPL");
    case DeltaNllColumn: return tr("\u0394 NLL");
    case KldColumn: return tr("KLD");
    case KldP99Column: return tr("KLD p99");
    case Top1Column: return tr("Top-1");
    case TextColumn: return tr("Text");
    default: return {};
    }
}

} // namespace cwb::gui
