// SPDX-License-Identifier: MIT
#include "layer_plan_model.h"

#include "tensor_groups.h"

#include "model/model.h"
#include "recipe/plan_structures.h"
#include "recipe/recipe_edit.h"
#include "recipe/resolve.h"
#include "recipe/size_estimate.h"
#include "util/error.h"

#include <QColor>
#include <QCoreApplication>
#include <QFont>
#include <QLocale>
#include <QUndoStack>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string_view>
#include <unordered_map>

namespace cwb::gui {
namespace {

using cwb::MethodSlot;

const QString kModelGroup = QStringLiteral("model");
const QString kOtherGroup = QStringLiteral("other");

QString q(const std::string &s) { return QString::fromStdString(s); }

QString bytesText(uint64_t v)
{
    return QLocale().formattedDataSize(static_cast<qint64>(v), 2, QLocale::DataSizeIecFormat);
}

bool isNumeric(int column)
{
    switch (column) {
    case LayerPlanModel::BitsColumn:
    case LayerPlanModel::GroupColumn:
    case LayerPlanModel::SparsityColumn:
    case LayerPlanModel::KeepColumn:
    case LayerPlanModel::RankColumn:
    case LayerPlanModel::BytesColumn:
    case LayerPlanModel::BitsPerWeightColumn:
    case LayerPlanModel::ErrorColumn: return true;
    default: return false;
    }
}

// Delegates of Qt 6.4 read the alignment as an int.
QVariant alignment(int column)
{
    return static_cast<int>(isNumeric(column) ? Qt::AlignRight | Qt::AlignVCenter
                                              : Qt::AlignLeft | Qt::AlignVCenter);
}

// The param of the slot's method a column edits; empty when the method has none.
std::string paramOf(const cwb::SlotPlan &slot, int column)
{
    const cwb::MethodSpec *spec = findMethod(slot.method);
    if (!spec)
        return {};
    auto has = [&](const char *name) { return spec->findParam(name) != nullptr; };
    switch (column) {
    case LayerPlanModel::BitsColumn: return has("bits") ? "bits" : "";
    case LayerPlanModel::GroupColumn:
        if (has("group"))
            return "group";
        return spec->rowMultipleParam; // nf4's block_size
    case LayerPlanModel::SparsityColumn: return has("sparsity") ? "sparsity" : "";
    case LayerPlanModel::NmColumn: return has("nm") ? "nm" : "";
    case LayerPlanModel::RankColumn: return has("rank") ? "rank" : "";
    case LayerPlanModel::KeepColumn: return has("keep") ? "keep" : "";
    default: return {};
    }
}

std::optional<MethodSlot> paramColumnSlot(int column)
{
    switch (column) {
    case LayerPlanModel::BitsColumn:
    case LayerPlanModel::GroupColumn: return MethodSlot::Quantize;
    case LayerPlanModel::SparsityColumn:
    case LayerPlanModel::NmColumn: return MethodSlot::Prune;
    case LayerPlanModel::RankColumn: return MethodSlot::LowRank;
    case LayerPlanModel::KeepColumn: return MethodSlot::Structure;
    default: return std::nullopt;
    }
}

std::optional<cwb::ParamValue> toParamValue(const cwb::ParamSpec &spec, const QVariant &v)
{
    bool ok = false;
    switch (spec.type) {
    case cwb::ParamType::Bool:
        if (v.typeId() == QMetaType::QString) {
            const QString s = v.toString();
            if (s == QStringLiteral("true") || s == QStringLiteral("false"))
                return cwb::ParamValue{s == QStringLiteral("true")};
            return std::nullopt;
        }
        return cwb::ParamValue{v.toBool()};
    case cwb::ParamType::Int: {
        const qlonglong i = v.toLongLong(&ok);
        if (ok)
            return cwb::ParamValue{static_cast<int64_t>(i)};
        const double d = v.toDouble(&ok);
        if (ok && std::isfinite(d) && d == std::floor(d) && std::abs(d) < 9.0e18)
            return cwb::ParamValue{static_cast<int64_t>(d)};
        return std::nullopt;
    }
    case cwb::ParamType::Float: {
        const double d = v.toDouble(&ok);
        if (!ok)
            return std::nullopt;
        return cwb::ParamValue{d};
    }
    case cwb::ParamType::Choice: return cwb::ParamValue{v.toString().toStdString()};
    }
    return std::nullopt;
}

QVariant toVariant(const cwb::ParamValue &v)
{
    if (const bool *b = std::get_if<bool>(&v))
        return *b;
    if (const int64_t *i = std::get_if<int64_t>(&v))
        return static_cast<qlonglong>(*i);
    if (const double *d = std::get_if<double>(&v))
        return *d;
    return q(std::get<std::string>(v));
}

const QColor kErrorBackground(255, 214, 214);
const QColor kWarningBackground(255, 243, 200);


} // namespace

LayerPlanModel::LayerPlanModel(QObject *parent)
    : GroupedTreeModel(parent), undo_(new QUndoStack(this))
{
}

LayerPlanModel::~LayerPlanModel() = default;

void LayerPlanModel::setModel(std::shared_ptr<const cwb::Model> model)
{
    beginResetModel();
    model_ = std::move(model);
    rebuildGroups();
    computePlan();
    endResetModel();
    Q_EMIT planChanged();
}

void LayerPlanModel::rebuildGroups()
{
    groups_.clear();
    rowOf_.clear();
    if (!model_)
        return;
    for (TensorGroup &tg : groupTensors(*model_))
        groups_.push_back(Group{std::move(tg.name), std::move(tg.tensors)});
    rowOf_.assign(model_->tensors.size(), {0, 0});
    for (size_t g = 0; g < groups_.size(); ++g)
        for (size_t r = 0; r < groups_[g].tensors.size(); ++r)
            rowOf_[static_cast<size_t>(groups_[g].tensors[r])] = {static_cast<int>(g),
                                                                   static_cast<int>(r)};
}

void LayerPlanModel::setRecipe(cwb::Recipe recipe)
{
    undo_->clear();
    recipe_ = std::move(recipe);
    resolve();
}

void LayerPlanModel::changeRecipe(cwb::Recipe recipe, const QString &undoText)
{
    pushChange(RecipeChangeCommand::Kind::ReplaceRecipe, std::move(recipe), 0, undoText);
}

void LayerPlanModel::restoreRecipe(const cwb::Recipe &recipe)
{
    recipe_ = recipe;
    resolve();
}

void LayerPlanModel::setCalibrationAvailable(bool available)
{
    if (calibration_ == available)
        return;
    calibration_ = available;
    resolve();
}

void LayerPlanModel::setTensorErrors(const QHash<QString, double> &errors)
{
    errors_ = errors;
    for (int g = 0; g < static_cast<int>(groups_.size()); ++g) {
        const QModelIndex parent = index(g, 0);
        Q_EMIT dataChanged(index(g, ErrorColumn), index(g, ErrorColumn));
        const int n = rowCount(parent);
        if (n > 0)
            Q_EMIT dataChanged(index(0, ErrorColumn, parent), index(n - 1, ErrorColumn, parent));
    }
}

void LayerPlanModel::clearTensorErrors() { setTensorErrors({}); }

void LayerPlanModel::resolve()
{
    computePlan();
    // The rows stay, their cells change.
    if (!groups_.empty()) {
        const int groups = static_cast<int>(groups_.size());
        Q_EMIT dataChanged(index(0, 0), index(groups - 1, ColumnCount - 1));
        for (int g = 0; g < static_cast<int>(groups_.size()); ++g) {
            const QModelIndex parent = index(g, 0);
            Q_EMIT dataChanged(index(0, 0, parent),
                               index(rowCount(parent) - 1, ColumnCount - 1, parent));
        }
    }
    Q_EMIT planChanged();
}

void LayerPlanModel::computePlan()
{
    otherProblems_.clear();
    if (!model_) {
        plan_ = {};
        problems_.clear();
        return;
    }
    plan_ = cwb::resolvePlan(recipe_, *model_, cwb::PlanOptions{calibration_});

    // Problems name a tensor by its display name ("embed (token_embd.weight)") or, for recipe
    // entries, by the override's JSON path (overrides["NAME"]...).
    problems_.assign(plan_.tensors.size(), {});
    std::unordered_map<std::string, int> byDisplay;
    for (const cwb::TensorPlan &tp : plan_.tensors)
        byDisplay.emplace(tp.displayName(), static_cast<int>(tp.index));
    auto tensorOf = [&](const cwb::RecipeProblem &p) -> int {
        if (const auto it = byDisplay.find(p.where); it != byDisplay.end())
            return it->second;
        const std::string_view prefix = "overrides[\"";
        if (p.where.starts_with(prefix)) {
            const auto end = p.where.find("\"]", prefix.size());
            if (end != std::string::npos)
                if (const cwb::Tensor *t = model_->findTensor(
                        std::string_view(p.where).substr(prefix.size(), end - prefix.size())))
                    return static_cast<int>(t - model_->tensors.data());
        }
        return -1;
    };
    // On the row, a problem named by the tensor needs no "where"; one in the override keeps its
    // JSON path (which entry and parameter).
    auto rowText = [&](const cwb::RecipeProblem &p) {
        return q(byDisplay.count(p.where) ? p.what : p.text());
    };
    for (const cwb::RecipeProblem &p : plan_.errors) {
        const int t = tensorOf(p);
        if (t >= 0)
            problems_[static_cast<size_t>(t)].errors << rowText(p);
        else
            otherProblems_ << tr("Error: %1").arg(q(p.text()));
    }
    for (const cwb::RecipeProblem &p : plan_.warnings) {
        const int t = tensorOf(p);
        if (t >= 0)
            problems_[static_cast<size_t>(t)].warnings << rowText(p);
        else
            otherProblems_ << tr("Warning: %1").arg(q(p.text()));
    }
}

// ---- edits ----------------------------------------------------------------------------------

std::optional<MethodSlot> LayerPlanModel::methodSlot(int column)
{
    switch (column) {
    case QuantizeColumn: return MethodSlot::Quantize;
    case PruneColumn: return MethodSlot::Prune;
    case LowRankColumn: return MethodSlot::LowRank;
    case StructureColumn: return MethodSlot::Structure;
    default: return std::nullopt;
    }
}

QString LayerPlanModel::fieldName(int column)
{
    switch (column) {
    case QuantizeColumn: return tr("quantize");
    case BitsColumn: return tr("bits");
    case GroupColumn: return tr("group");
    case PruneColumn: return tr("prune");
    case SparsityColumn: return tr("sparsity");
    case NmColumn: return tr("N:M");
    case LowRankColumn: return tr("low rank");
    case RankColumn: return tr("rank");
    case StructureColumn: return tr("structure");
    case KeepColumn: return tr("keep");
    default: return {};
    }
}

std::optional<LayerPlanModel::Field> LayerPlanModel::field(int tensor, int column) const
{
    if (tensor < 0 || tensor >= static_cast<int>(plan_.tensors.size()))
        return std::nullopt;
    const cwb::TensorPlan &tp = plan_.tensors[static_cast<size_t>(tensor)];
    const bool matrix = tp.shape.size() >= 2;
    if (const auto slot = methodSlot(column)) {
        if (*slot != MethodSlot::Quantize && !matrix)
            return std::nullopt; // pruning and low rank need a matrix
        const cwb::SlotPlan &s = tp.slot(*slot);
        return Field{*slot, s.used() ? s.method : std::string("none"), {}};
    }
    const auto slot = paramColumnSlot(column);
    if (!slot)
        return std::nullopt;
    const cwb::SlotPlan &s = tp.slot(*slot);
    if (!s.used())
        return std::nullopt;
    std::string param = paramOf(s, column);
    if (param.empty())
        return std::nullopt;
    return Field{*slot, s.method, std::move(param)};
}

const cwb::ParamSpec *LayerPlanModel::paramSpec(int tensor, int column) const
{
    const auto f = field(tensor, column);
    if (!f || f->param.empty())
        return nullptr;
    const cwb::MethodSpec *m = cwb::findMethod(f->method);
    return m ? m->findParam(f->param) : nullptr;
}

QString LayerPlanModel::tensorLabel(int tensor) const
{
    const cwb::TensorPlan &tp = plan_.tensors[static_cast<size_t>(tensor)];
    return q(tp.canonical.empty() ? tp.name : tp.canonical);
}

bool LayerPlanModel::setField(const QList<int> &tensors, int column, const QVariant &value,
                              const QString &undoText)
{
    return applyField(withStructureMembers(tensors, column, value), column, value, false,
                      undoText)
           >= 0;
}

// A structure edit on one row applies to every tensor of that structure (a layer's FFN trio,
// its attention quartet, the whole block), so one edit leaves a valid plan.
QList<int> LayerPlanModel::withStructureMembers(const QList<int> &tensors, int column,
                                                const QVariant &value) const
{
    if (column != StructureColumn && column != KeepColumn)
        return tensors;
    QList<int> out;
    for (const int t : tensors) {
        if (t < 0 || t >= static_cast<int>(plan_.tensors.size()))
            continue;
        const cwb::SlotPlan &s = plan_.tensors[static_cast<size_t>(t)].slot(MethodSlot::Structure);
        // Setting a method: its structure; "none" or a keep: the structure it has now.
        std::string method = s.method;
        if (column == StructureColumn && value.toString() != QStringLiteral("none"))
            method = value.toString().toStdString();
        for (const size_t m : cwb::structureMembers(plan_, static_cast<size_t>(t), method))
            if (!out.contains(static_cast<int>(m)))
                out << static_cast<int>(m);
    }
    return out;
}

bool LayerPlanModel::fillDown(int source, const QList<int> &tensors, int column)
{
    lastEditError_.clear();
    if (!field(source, column)) {
        lastEditError_ = tr("%1 has no %2 to fill down")
                             .arg(source >= 0 && source < static_cast<int>(plan_.tensors.size())
                                      ? tensorLabel(source)
                                      : tr("this row"),
                                  fieldName(column));
        return false;
    }
    const QVariant value = editValue(plan_.tensors[static_cast<size_t>(source)], column);
    const int from = displayPosition(source);
    QList<int> below;
    for (int t : tensors)
        if (displayPosition(t) > from)
            below << t;
    if (below.isEmpty()) {
        lastEditError_ = tr("Select rows below the current one to fill down");
        return false;
    }
    return applyField(below, column, value, true, {}) > 0;
}

// A user switching rtn -> gptq -> awq keeps the grid (bits, group, sym); switching between
// pruning methods keeps the sparsity pattern, between low-rank methods the rank or energy. Other
// parameters mean different things in different methods (nf4's block_size is not gptq's) and
// start from the new method's defaults.
void LayerPlanModel::carrySharedParams(cwb::Recipe &recipe, const cwb::TensorKey &key,
                                       const cwb::SlotPlan &old, const std::string &method)
{
    const cwb::MethodSpec *spec = cwb::findMethod(method);
    if (!spec || !old.used())
        return;
    for (const char *name : {"bits", "group", "sym", "sparsity", "nm", "rank", "energy"}) {
        const cwb::ParamSpec *ps = spec->findParam(name);
        const cwb::ResolvedParam *from = old.find(name);
        if (!ps || !from)
            continue;
        cwb::ParamValue v = from->value;
        if (cwb::checkParam(*ps, v))
            continue; // not a value the new method takes
        cwb::setOverrideParam(recipe, key, method, name, std::move(v));
    }
}

int LayerPlanModel::applyField(const QList<int> &tensors, int column, const QVariant &value,
                                bool fillDown, const QString &undoText)
{
    lastEditError_.clear();
    if (!model_)
        return -1;
    cwb::Recipe after = recipe_;
    int changed = 0, refused = 0, lastChanged = -1;
    QString valueText;
    std::set<int> seen;
    for (int t : tensors) {
        if (!seen.insert(t).second)
            continue;
        const auto f = field(t, column);
        if (!f)
            continue;
        const cwb::TensorPlan &tp = plan_.tensors[static_cast<size_t>(t)];
        const cwb::TensorKey key = cwb::tensorKey(tp);
        try {
            if (f->param.empty()) {
                std::string method = value.toString().trimmed().toStdString();
                if (method.empty() && f->slot != MethodSlot::Quantize)
                    method = "none";
                valueText = q(method);
                if (method == f->method)
                    continue;
                cwb::setOverrideMethod(after, key, f->slot, method);
                carrySharedParams(after, key, tp.slot(f->slot), method);
            } else {
                const cwb::ParamSpec *spec = paramSpec(t, column);
                std::optional<cwb::ParamValue> v = spec ? toParamValue(*spec, value) : std::nullopt;
                if (!v) {
                    ++refused;
                    lastEditError_ = tr("%1: %2 is not a value for %3")
                                         .arg(tensorLabel(t), value.toString(), q(f->param));
                    continue;
                }
                if (const auto why = cwb::checkParam(*spec, *v)) {
                    ++refused;
                    lastEditError_ = tr("%1: %2 %3: %4")
                                         .arg(tensorLabel(t), q(f->method), q(f->param), q(*why));
                    continue;
                }
                valueText = q(cwb::formatParamValue(*v));
                if (tp.slot(f->slot).value(f->param) == *v)
                    continue;
                cwb::setOverrideParam(after, key, f->method, f->param, std::move(*v));
            }
        } catch (const cwb::Error &e) {
            ++refused;
            lastEditError_ = q(e.what());
            continue;
        }
        ++changed;
        lastChanged = t;
    }
    if (changed == 0) {
        if (refused == 0)
            return 0;
        Q_EMIT editRefused(lastEditError_);
        return -1;
    }
    QString text = undoText;
    if (text.isEmpty()) {
        const QString target =
            changed == 1 ? tensorLabel(lastChanged) : tr("%1 tensors").arg(changed);
        text = fillDown ? tr("Fill down %1 = %2 on %3").arg(fieldName(column), valueText, target)
                        : tr("Set %1 = %2 on %3").arg(fieldName(column), valueText, target);
    }
    pushChange(fillDown ? RecipeChangeCommand::Kind::FillDown : RecipeChangeCommand::Kind::SetField,
               std::move(after), changed, text);
    return changed;
}

bool LayerPlanModel::clearOverrides(const QList<int> &tensors)
{
    lastEditError_.clear();
    cwb::Recipe after = recipe_;
    int cleared = 0, last = -1;
    for (int t : tensors) {
        if (t < 0 || t >= static_cast<int>(plan_.tensors.size()))
            continue;
        if (cwb::clearOverride(after, cwb::tensorKey(plan_.tensors[static_cast<size_t>(t)]))) {
            ++cleared;
            last = t;
        }
    }
    if (cleared == 0)
        return false;
    const QString target = cleared == 1 ? tensorLabel(last) : tr("%1 tensors").arg(cleared);
    pushChange(RecipeChangeCommand::Kind::ClearOverrides, std::move(after), cleared,
               tr("Clear overrides on %1").arg(target));
    return true;
}

void LayerPlanModel::pushChange(RecipeChangeCommand::Kind kind, cwb::Recipe after, int tensors,
                                const QString &text)
{
    // QUndoStack::push runs redo(), which installs `after`.
    undo_->push(new RecipeChangeCommand(this, kind, recipe_, std::move(after), tensors, text));
}

// ---- structure ------------------------------------------------------------------------------

int LayerPlanModel::tensorAt(const QModelIndex &index) const
{
    if (!index.isValid() || index.model() != this || index.internalId() == kGroupId)
        return -1;
    const Group &g = groups_[index.internalId() - 1];
    return g.tensors[static_cast<size_t>(index.row())];
}

QModelIndex LayerPlanModel::indexOfTensor(int tensor, int column) const
{
    if (tensor < 0 || tensor >= static_cast<int>(rowOf_.size()))
        return {};
    const auto [g, row] = rowOf_[static_cast<size_t>(tensor)];
    return createIndex(row, column, static_cast<quintptr>(g + 1));
}

QModelIndex LayerPlanModel::indexOfTensor(const QString &nameOrCanonical, int column) const
{
    if (!model_)
        return {};
    const cwb::Tensor *t = model_->findTensor(nameOrCanonical.toStdString());
    return t ? indexOfTensor(static_cast<int>(t - model_->tensors.data()), column) : QModelIndex();
}

QList<int> LayerPlanModel::tensorsOf(const QModelIndex &index) const
{
    if (!index.isValid() || index.model() != this)
        return {};
    if (index.internalId() != kGroupId)
        return {tensorAt(index)};
    QList<int> out;
    for (int t : groups_[static_cast<size_t>(index.row())].tensors)
        out << t;
    return out;
}

int LayerPlanModel::displayPosition(int tensor) const
{
    if (tensor < 0 || tensor >= static_cast<int>(rowOf_.size()))
        return -1;
    int position = 0;
    const auto [g, row] = rowOf_[static_cast<size_t>(tensor)];
    for (int i = 0; i < g; ++i)
        position += static_cast<int>(groups_[static_cast<size_t>(i)].tensors.size());
    return position + row;
}

QStringList LayerPlanModel::rowErrors(int tensor) const
{
    if (tensor < 0 || tensor >= static_cast<int>(problems_.size()))
        return {};
    return problems_[static_cast<size_t>(tensor)].errors;
}

QStringList LayerPlanModel::rowWarnings(int tensor) const
{
    if (tensor < 0 || tensor >= static_cast<int>(problems_.size()))
        return {};
    return problems_[static_cast<size_t>(tensor)].warnings;
}

int LayerPlanModel::overriddenTensors() const
{
    int n = 0;
    for (const cwb::TensorPlan &tp : plan_.tensors)
        n += tp.overrideName.empty() ? 0 : 1;
    return n;
}

int LayerPlanModel::groupCount() const { return static_cast<int>(groups_.size()); }

int LayerPlanModel::memberCount(int group) const
{
    return static_cast<int>(groups_[static_cast<size_t>(group)].tensors.size());
}

int LayerPlanModel::columnCount(const QModelIndex &) const { return ColumnCount; }

Qt::ItemFlags LayerPlanModel::flags(const QModelIndex &index) const
{
    if (!index.isValid())
        return Qt::NoItemFlags;
    Qt::ItemFlags f = Qt::ItemIsEnabled | Qt::ItemIsSelectable;
    if (index.internalId() == kGroupId)
        return f;
    f |= Qt::ItemNeverHasChildren;
    if (field(tensorAt(index), index.column()))
        f |= Qt::ItemIsEditable;
    return f;
}

bool LayerPlanModel::setData(const QModelIndex &index, const QVariant &value, int role)
{
    if (role != Qt::EditRole || !(flags(index) & Qt::ItemIsEditable))
        return false;
    return setField({tensorAt(index)}, index.column(), value);
}

// ---- cells ----------------------------------------------------------------------------------

QVariant LayerPlanModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.model() != this)
        return {};
    if (role == Qt::TextAlignmentRole)
        return alignment(index.column());
    const int t = tensorAt(index);
    if (t >= 0)
        return t < static_cast<int>(plan_.tensors.size()) ? tensorData(t, index.column(), role)
                                                          : QVariant();
    return groupData(groups_[static_cast<size_t>(index.row())], index.column(), role);
}

std::optional<double> LayerPlanModel::lastError(const cwb::TensorPlan &tp) const
{
    for (const std::string *name : {&tp.canonical, &tp.name}) {
        if (name->empty())
            continue;
        const auto it = errors_.constFind(q(*name));
        if (it != errors_.constEnd())
            return *it;
    }
    return std::nullopt;
}

QVariant LayerPlanModel::groupData(const Group &g, int column, int role) const
{
    int errors = 0, warnings = 0, changed = 0;
    for (int t : g.tensors) {
        errors += problems_.empty() || problems_[static_cast<size_t>(t)].errors.isEmpty() ? 0 : 1;
        warnings +=
            problems_.empty() || problems_[static_cast<size_t>(t)].warnings.isEmpty() ? 0 : 1;
        if (t < static_cast<int>(plan_.tensors.size()))
            changed += plan_.tensors[static_cast<size_t>(t)].changed() ? 1 : 0;
    }
    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case TensorColumn:
            if (g.name == kModelGroup)
                return tr("model");
            if (g.name == kOtherGroup)
                return tr("other");
            return g.name;
        case FormatColumn:
            return tr("%1 tensors, %2 compressed")
                .arg(static_cast<int>(g.tensors.size()))
                .arg(changed);
        case BytesColumn:
        case BitsPerWeightColumn: {
            uint64_t bytes = 0;
            int64_t params = 0;
            for (int t : g.tensors) {
                if (t >= static_cast<int>(plan_.tensors.size()))
                    continue;
                const cwb::TensorPlan &tp = plan_.tensors[static_cast<size_t>(t)];
                if (tp.countedInTotals)
                    bytes += tp.estimate.total();
                if (tp.tiedTo.empty())
                    params += tp.parametersAfterStructure();
            }
            if (column == BytesColumn)
                return bytesText(bytes);
            return params > 0 ? QLocale().toString(8.0 * static_cast<double>(bytes)
                                                       / static_cast<double>(params),
                                                   'f', 2)
                              : QVariant();
        }
        case ErrorColumn: {
            std::optional<double> worst;
            for (int t : g.tensors)
                if (t < static_cast<int>(plan_.tensors.size()))
                    if (const auto e = lastError(plan_.tensors[static_cast<size_t>(t)]))
                        worst = std::max(worst.value_or(*e), *e);
            return worst ? QVariant(QLocale().toString(*worst, 'g', 3)) : QVariant();
        }
        default: return {};
        }
    case Qt::ToolTipRole: {
        QStringList lines;
        if (g.name == kModelGroup)
            lines << tr("Embedding, output head and final norm");
        else if (g.name == kOtherGroup)
            lines << tr("Tensors without a canonical role (unknown to the architecture adapter)");
        if (errors > 0)
            lines << tr("%1 tensors with plan errors").arg(errors);
        if (warnings > 0)
            lines << tr("%1 tensors with warnings").arg(warnings);
        if (column == ErrorColumn)
            lines << tr("Largest relative error in the group");
        return lines.isEmpty() ? QVariant() : QVariant(lines.join(QLatin1Char('\n')));
    }
    case Qt::FontRole:
        if (column == TensorColumn) {
            QFont f;
            f.setBold(true);
            return f;
        }
        return {};
    case Qt::BackgroundRole:
        if (errors > 0)
            return kErrorBackground;
        if (warnings > 0)
            return kWarningBackground;
        return {};
    case Qt::ForegroundRole:
        if (errors > 0 || warnings > 0)
            return QColor(Qt::black); // readable on the light backgrounds in a dark theme too
        return {};
    case TensorIndexRole: return -1;
    case ProblemRole: return errors > 0 ? 2 : warnings > 0 ? 1 : 0;
    default: return {};
    }
}

QVariant LayerPlanModel::tensorData(int tensor, int column, int role) const
{
    const cwb::TensorPlan &tp = plan_.tensors[static_cast<size_t>(tensor)];
    const RowProblems &problems = problems_[static_cast<size_t>(tensor)];
    switch (role) {
    case Qt::DisplayRole: return displayValue(tp, column);
    case Qt::EditRole: return editValue(tp, column);
    case Qt::ToolTipRole: {
        QStringList lines;
        for (const QString &e : problems.errors)
            lines << tr("Error: %1").arg(e);
        for (const QString &w : problems.warnings)
            lines << tr("Warning: %1").arg(w);
        const QString cell = cellToolTip(tp, column);
        if (!cell.isEmpty())
            lines << cell;
        return lines.isEmpty() ? QVariant() : QVariant(lines.join(QLatin1Char('\n')));
    }
    case Qt::FontRole: {
        const auto f = field(tensor, column);
        bool overridden = false;
        if (f) {
            const cwb::SlotPlan &s = tp.slot(f->slot);
            const cwb::ResolvedParam *p = f->param.empty() ? nullptr : s.find(f->param);
            overridden = (p ? p->from : s.from).source == cwb::Provenance::Source::Override;
        }
        if (column == TensorColumn && tp.canonical.empty()) {
            QFont font;
            font.setItalic(true);
            return font;
        }
        if (overridden) {
            QFont font;
            font.setBold(true);
            return font;
        }
        return {};
    }
    case Qt::BackgroundRole:
        if (!problems.errors.isEmpty())
            return kErrorBackground;
        if (!problems.warnings.isEmpty())
            return kWarningBackground;
        return {};
    case Qt::ForegroundRole: {
        if ((column == PruneColumn && !tp.slot(MethodSlot::Prune).used())
            || (column == LowRankColumn && !tp.slot(MethodSlot::LowRank).used())
            || (column == StructureColumn && !tp.slot(MethodSlot::Structure).used())
            || (column == ShapeColumn && !tp.structure.changesValues())
            || (column == QuantizeColumn
                && cwb::keepsAsStored(tp.slot(MethodSlot::Quantize).method))
            || (!tp.countedInTotals && (column == BytesColumn || column == BitsPerWeightColumn)))
            return QColor(Qt::gray);
        if (!problems.errors.isEmpty() || !problems.warnings.isEmpty())
            return QColor(Qt::black);
        return {};
    }
    case TensorIndexRole: return tensor;
    case ProblemRole:
        return !problems.errors.isEmpty() ? 2 : !problems.warnings.isEmpty() ? 1 : 0;
    default: return {};
    }
}

QVariant LayerPlanModel::editValue(const cwb::TensorPlan &tp, int column) const
{
    const auto f = field(static_cast<int>(tp.index), column);
    if (!f)
        return {};
    if (f->param.empty())
        return q(f->method);
    return toVariant(tp.slot(f->slot).value(f->param));
}

QVariant LayerPlanModel::displayValue(const cwb::TensorPlan &tp, int column) const
{
    switch (column) {
    case TensorColumn: return q(tp.canonical.empty() ? tp.name : tp.canonical);
    case FormatColumn: return formatText(tp);
    case BytesColumn: return bytesText(tp.estimate.total());
    case ShapeColumn: return shapeText(tp);
    case BitsPerWeightColumn: {
        const int64_t n = tp.parametersAfterStructure();
        if (n <= 0)
            return {};
        return QLocale().toString(8.0 * static_cast<double>(tp.estimate.total())
                                      / static_cast<double>(n),
                                  'f', 2);
    }
    case ErrorColumn: {
        const auto e = lastError(tp);
        return e ? QVariant(QLocale().toString(*e, 'g', 3)) : QVariant();
    }
    default: break;
    }
    const auto f = field(static_cast<int>(tp.index), column);
    if (!f)
        return {};
    if (f->param.empty())
        return q(f->method);
    const cwb::ParamValue &v = tp.slot(f->slot).value(f->param);
    if (f->param == "group") {
        const int64_t g = cwb::paramInt(v);
        if (g == -1)
            return tr("row");
        if (g == 0)
            return tr("tensor");
    }
    if (f->param == "rank" && cwb::paramInt(v) == 0)
        return tr("auto");
    if (f->param == "sparsity" || f->param == "keep")
        return QLocale().toString(cwb::paramFloat(v), 'f', 2);
    if (const int64_t *i = std::get_if<int64_t>(&v))
        return QLocale().toString(static_cast<qlonglong>(*i));
    return q(cwb::formatParamValue(v));
}

QString LayerPlanModel::cellToolTip(const cwb::TensorPlan &tp, int column) const
{
    switch (column) {
    case TensorColumn: {
        QString shape;
        for (size_t i = 0; i < tp.shape.size(); ++i)
            shape += (i ? QStringLiteral(" \u00d7 ") : QString()) + QString::number(tp.shape[i]);
        QString tip = tr("%1\nOriginal name: %2\nShape: %3, stored as %4")
                          .arg(q(tp.canonical.empty() ? tp.name : tp.canonical), q(tp.name), shape,
                               q(tp.dtypeLabel));
        if (!tp.tiedTo.empty())
            tip += QLatin1Char('\n') + tr("Same values as %1").arg(q(tp.tiedTo));
        if (!tp.overrideName.empty())
            tip += QLatin1Char('\n') + tr("Edited: override \"%1\"").arg(q(tp.overrideName));
        if (!tp.comment.empty())
            tip += QLatin1Char('\n') + tr("Why: %1").arg(q(tp.comment));
        return tip;
    }
    case FormatColumn: {
        const cwb::ByteEstimate &e = tp.estimate;
        QString tip = q(tp.summary().empty() ? std::string(cwb::kKeepMethod) : tp.summary());
        tip += QLatin1Char('\n')
            + tr("Estimated bytes: codes %1, scales %2, zero points %3, masks %4, other %5")
                  .arg(e.codes)
                  .arg(e.scales)
                  .arg(e.zeros)
                  .arg(e.masks)
                  .arg(e.extra);
        if (!e.note.empty())
            tip += QLatin1Char('\n') + q(e.note);
        return tip;
    }
    case BytesColumn:
    case BitsPerWeightColumn: {
        QString tip = tr("Estimate: %1 bytes (stored now: %2 bytes)")
                          .arg(tp.estimate.total())
                          .arg(tp.originalBytes);
        if (!tp.estimate.note.empty())
            tip += QLatin1Char('\n') + q(tp.estimate.note);
        if (!tp.countedInTotals)
            tip += QLatin1Char('\n')
                + tr("A copy of %1 planned alike: counted once in the totals").arg(q(tp.tiedTo));
        return tip;
    }
    case ErrorColumn:
        return lastError(tp) ? tr("Relative error of the last compression run") : QString();
    case ShapeColumn:
        return tp.structure.what.empty() ? QString() : q(tp.structure.what);
    default: break;
    }
    const auto f = field(static_cast<int>(tp.index), column);
    if (!f)
        return {};
    const cwb::SlotPlan &s = tp.slot(f->slot);
    if (f->param.empty()) {
        QString tip = s.used() ? q(s.describe()) : tr("none");
        if (const cwb::MethodSpec *m = cwb::findMethod(s.method))
            tip += QLatin1Char('\n') + q(m->summary);
        if (s.from.source != cwb::Provenance::Source::Unset)
            tip += QLatin1Char('\n') + tr("Set by %1").arg(q(s.from.label()));
        return tip;
    }
    QString tip;
    if (const cwb::ParamSpec *spec = paramSpec(static_cast<int>(tp.index), column))
        tip = tr("%1 %2: %3 (allowed: %4)")
                  .arg(q(f->method), q(f->param), q(spec->doc), q(cwb::allowedValues(*spec)));
    if (const cwb::ResolvedParam *p = s.find(f->param))
        tip += QLatin1Char('\n') + tr("Set by %1").arg(q(p->from.label()));
    return tip;
}

QString LayerPlanModel::shapeText(const cwb::TensorPlan &tp)
{
    const auto text = [](const std::vector<int64_t> &shape) {
        QStringList dims;
        for (const int64_t d : shape)
            dims << QString::number(d);
        return dims.join(QStringLiteral("\u00d7"));
    };
    if (tp.structure.removed)
        return tr("%1 dropped").arg(text(tp.shape));
    if (!tp.structure.shape.empty())
        return tr("%1 \u2192 %2").arg(text(tp.shape), text(tp.structure.shape));
    return text(tp.shape);
}

QString LayerPlanModel::formatText(const cwb::TensorPlan &tp) const
{
    if (tp.structure.removed)
        return tr("removed with its block");
    const cwb::SlotPlan &quant = tp.slot(MethodSlot::Quantize);
    const cwb::MethodSpec *spec = cwb::findMethod(quant.method);
    QString base = q(quant.method);
    if (spec && spec->label) {
        // The registry's label, translated (its texts are in context cwb::methods).
        const cwb::MethodLabel label = spec->label(
            quant.reader(),
            tp.dtypeLabel.empty() ? std::string(cwb::dtypeName(tp.dtype)) : tp.dtypeLabel);
        const auto translated = [](const std::string &text) {
            return QCoreApplication::translate(cwb::kMethodLabelContext, text.c_str());
        };
        base = translated(label.text);
        for (const cwb::MethodLabel::Arg &a : label.args)
            base = base.arg(a.translate ? translated(a.text) : q(a.text));
    }
    // Pruning adds a mask where the kept values are stored sparsely (block formats store the
    // zeros: the Format tooltip's note says so); low rank stores two factors.
    if (tp.estimate.masks > 0)
        base = tr("%1 + mask").arg(base);
    const cwb::SlotPlan &lowrank = tp.slot(MethodSlot::LowRank);
    if (lowrank.used()) {
        const int64_t rank = cwb::paramInt(lowrank.value("rank"));
        base = rank > 0 ? tr("rank %1: %2").arg(rank).arg(base)
                        : tr("rank auto: %1").arg(base);
    }
    return base;
}

QVariant LayerPlanModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::TextAlignmentRole)
        return alignment(section);
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case QuantizeColumn: return tr("Quantization method (keep: leave as stored)");
        case BitsColumn: return tr("Bits per weight code (integer grids)");
        case GroupColumn:
            return tr("Weights of a row sharing one scale: row = one per output channel, "
                      "tensor = one per tensor (nf4: its block size)");
        case FormatColumn: return tr("How the tensor will be stored");
        case PruneColumn: return tr("Pruning method");
        case SparsityColumn: return tr("Fraction of weights set to zero");
        case NmColumn:
            return tr("N:M structured sparsity (at most N non-zeros in every M weights)");
        case LowRankColumn: return tr("Low-rank factorization W \u2248 A\u00b7" "B");
        case RankColumn: return tr("Singular values kept (auto: from the spectrum at run time)");
        case StructureColumn:
            return tr("Structure removed: FFN channels, KV groups (a KV head with its query "
                      "heads) or the whole block, set alike on the structure's tensors");
        case KeepColumn: return tr("Fraction of the layer's channels or KV groups kept");
        case ShapeColumn: return tr("Shape, and the shape after the structure step");
        case BytesColumn:
            return tr("Estimated stored bytes: computed from shapes and settings, no data read");
        case BitsPerWeightColumn:
            return tr("Estimated stored bits per weight: computed from shapes and settings, no "
                      "data read");
        case ErrorColumn: return tr("Relative error of each tensor in the last compression run");
        default: return {};
        }
    }
    if (role != Qt::DisplayRole)
        return {};
    switch (section) {
    case TensorColumn: return tr("Tensor");
    case QuantizeColumn: return tr("Quantize");
    case BitsColumn: return tr("Bits");
    case GroupColumn: return tr("Group");
    case FormatColumn: return tr("Format");
    case PruneColumn: return tr("Prune");
    case SparsityColumn: return tr("Sparsity");
    case NmColumn: return tr("N:M");
    case LowRankColumn: return tr("Low rank");
    case RankColumn: return tr("Rank");
    case StructureColumn: return tr("Structure");
    case KeepColumn: return tr("Keep");
    case ShapeColumn: return tr("Shape");
    case BytesColumn: return tr("Est. bytes");
    case BitsPerWeightColumn: return tr("Bits/weight");
    case ErrorColumn: return tr("Last error");
    default: return {};
    }
}

} // namespace cwb::gui
