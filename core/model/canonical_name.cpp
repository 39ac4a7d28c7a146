// SPDX-License-Identifier: MIT
#include "model/canonical_name.h"

#include <charconv>

namespace cwb {

namespace {

constexpr std::string_view kLayers = "layers.";

} // namespace

std::string layerName(int64_t layer)
{
    return std::string(kLayers) + std::to_string(layer);
}

std::string layerPrefix(int64_t layer)
{
    return layerName(layer) + ".";
}

std::string layerTensorName(int64_t layer, std::string_view role)
{
    return layerPrefix(layer) + std::string(role);
}

std::optional<LayerTensorName> splitLayerTensorName(std::string_view name)
{
    if (!name.starts_with(kLayers))
        return std::nullopt;
    const std::string_view rest = name.substr(kLayers.size());
    const char *end = rest.data() + rest.size();
    int64_t n = 0;
    const auto [p, ec] = std::from_chars(rest.data(), end, n);
    if (ec != std::errc() || p == rest.data() || n < 0 || (p != end && *p != '.'))
        return std::nullopt;
    const std::string_view role = p == end ? std::string_view() : std::string_view(p + 1, end);
    return LayerTensorName{n, role};
}

int64_t canonicalLayerIndex(std::string_view name)
{
    const auto parts = splitLayerTensorName(name);
    return parts ? parts->layer : -1;
}

bool isLayerTensorName(std::string_view name)
{
    const auto parts = splitLayerTensorName(name);
    return parts && !parts->role.empty();
}

} // namespace cwb
