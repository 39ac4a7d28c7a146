// SPDX-License-Identifier: MIT
#include "tensor_groups.h"

#include "model/canonical_name.h"
#include "model/model.h"

#include <algorithm>
#include <map>
#include <string_view>
#include <utility>

namespace cwb::gui {

namespace {

const QString kModelGroup = QStringLiteral("model");
const QString kOtherGroup = QStringLiteral("other");

QString fromView(std::string_view s)
{
    return QString::fromUtf8(s.data(), static_cast<qsizetype>(s.size()));
}

QString groupKey(const std::string &canonical)
{
    if (canonical.empty())
        return kOtherGroup;
    const std::string_view c = canonical;
    if (const int64_t layer = canonicalLayerIndex(c); layer >= 0)
        return QString::fromStdString(layerName(layer));
    for (std::string_view top : {"embed", "head", "final_norm"})
        if (c == top || (c.starts_with(top) && c.size() > top.size() && c[top.size()] == '.'))
            return kModelGroup;
    const auto dot = c.rfind('.');
    if (dot == std::string_view::npos)
        return kModelGroup;
    return fromView(c.substr(0, dot));
}

std::pair<int, qint64> groupRank(const QString &key, qint64 firstSeen)
{
    if (key == kModelGroup)
        return {0, 0};
    if (key == kOtherGroup)
        return {3, 0};
    if (const int64_t layer = canonicalLayerIndex(key.toStdString()); layer >= 0)
        return {1, layer};
    return {2, firstSeen};
}

} // namespace

std::vector<TensorGroup> groupTensors(const cwb::Model &model)
{
    std::vector<TensorGroup> groups;
    std::map<QString, size_t> byKey;
    std::vector<qint64> firstSeen;
    for (size_t i = 0; i < model.tensors.size(); ++i) {
        const QString key = groupKey(model.tensors[i].canonical);
        const auto [it, inserted] = byKey.try_emplace(key, groups.size());
        if (inserted) {
            groups.push_back(TensorGroup{key, {}});
            firstSeen.push_back(static_cast<qint64>(i));
        }
        groups[it->second].tensors.push_back(static_cast<int>(i));
    }
    std::vector<size_t> order(groups.size());
    for (size_t i = 0; i < order.size(); ++i)
        order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        return groupRank(groups[a].name, firstSeen[a]) < groupRank(groups[b].name, firstSeen[b]);
    });
    std::vector<TensorGroup> sorted;
    sorted.reserve(groups.size());
    for (size_t i : order)
        sorted.push_back(std::move(groups[i]));
    return sorted;
}

} // namespace cwb::gui
