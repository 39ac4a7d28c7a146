// SPDX-License-Identifier: MIT
#pragma once
// How the model browser and the Layer Plan group tensors: "layers.7.attn.q" -> "layers.7";
// embed / head / final_norm -> "model"; Keras "dense_1.kernel" -> "dense_1"; no canonical name ->
// "other". Groups come model first, layers in numeric order, generic groups as they appear,
// "other" last; tensors inside a group in model order.

#include <QString>

#include <vector>

namespace cwb {
struct Model;
} // namespace cwb

namespace cwb::gui {

struct TensorGroup {
    QString name;
    std::vector<int> tensors; // indexes into Model::tensors
};

[[nodiscard]] std::vector<TensorGroup> groupTensors(const cwb::Model &model);

} // namespace cwb::gui
