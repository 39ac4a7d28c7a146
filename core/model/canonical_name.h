// SPDX-License-Identifier: MIT
#pragma once
// The layer part of the canonical tensor names (architecture.h), built and taken apart in one
// place. A tensor of transformer layer N is named "layers.N.<role>" (role: "attn.q", "mlp_norm",
// "attn.q.bias", ...; N in decimal, no sign or leading zeros as canonicalName writes it);
// "layers.N" alone names the layer itself (the Tensors tree's group of it). Every other name
// (embed, head, final_norm, a generic Keras "<layer>.<param>") belongs to no layer.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cwb {

// "layers.N": the layer itself.
[[nodiscard]] std::string layerName(int64_t layer);

// "layers.N.": what every tensor name of layer N starts with.
[[nodiscard]] std::string layerPrefix(int64_t layer);

// "layers.N.<role>".
[[nodiscard]] std::string layerTensorName(int64_t layer, std::string_view role);

struct LayerTensorName {
    int64_t layer = -1;
    std::string_view role; // after "layers.N."; empty for "layers.N" itself
};

// {N, role} of "layers.N.<role>" or "layers.N"; nullopt for any other name. The role views
// `name`.
[[nodiscard]] std::optional<LayerTensorName> splitLayerTensorName(std::string_view name);

// N of "layers.N[.<role>]", or -1 when the name belongs to no layer.
[[nodiscard]] int64_t canonicalLayerIndex(std::string_view name);

// Whether `name` is the name of a tensor in a layer ("layers.N.<role>" with a role): the
// projections and norms the engine runs per layer, as opposed to embed, head and final_norm.
[[nodiscard]] bool isLayerTensorName(std::string_view name);

} // namespace cwb
