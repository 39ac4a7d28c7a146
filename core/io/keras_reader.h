// SPDX-License-Identifier: MIT
#pragma once
// Keras HDF5 (.h5) models, as written by Keras 2 / tf.keras `model.save("x.h5")` and
// `model.save_weights("x.h5")`. The file is HDF5 (signature 89 48 44 46 0D 0A 1A 0A at offset
// 0, 512, 1024, ...); everything below is HDF5 objects, read through libhdf5, not raw bytes:
//
//   /                          full model file
//     @model_config            JSON string (variable-length): {"class_name": "Sequential",
//                              "config": {"name":..., "layers": [...]}} (Keras >= 2.2) or
//                              "config": [...] (Keras 2.1: the layer list itself)
//     @keras_version, @backend strings ("2.2.4-tf", "tensorflow")
//     @training_config         JSON (optimizer, loss); not read
//     model_weights/           group
//       @layer_names           string array: every layer in model order, weightless ones too
//       <layer>/               one group per layer name
//         @weight_names        string array, e.g. ["dense_3/kernel:0", "dense_3/bias:0"]
//                              (an empty float64 array for layers without weights)
//         <weight name>        dataset at <layer>/<weight name>: "dense/dense_3/kernel:0"
//     optimizer_weights/       optimizer state; not listed
//
//   /                          weights-only file: the layer groups sit at the root, and
//     @layer_names, @keras_version, @backend are root attributes; there is no model_config.
//
// Datasets are stored as Keras holds them: a Dense kernel is (in, out), so y = x * W + b (the
// transpose of a PyTorch Linear weight); a Conv2D kernel is HWIO (kh, kw, in, out). Tensor names
// are the dataset paths under model_weights ("dense/dense_3/kernel:0"). Contiguous uncompressed
// datasets become views into the memory-mapped file at H5Dget_offset(); chunked or filtered ones
// are read through HDF5 on demand (Tensor::loader), under the global HDF5 lock (hdf5_lock.h).
// Only IEEE little-endian float16/32/64 datasets are accepted as tensors.

#include "io/readers.h"

#include <string>
#include <string_view>
#include <vector>

namespace cwb::io {

// What the model_config JSON says about the model, for metadata and display.
struct KerasConfigSummary {
    std::string className;           // "Sequential", "Model", "Functional"
    std::string modelName;           // config.name, empty in Keras 2.1 files
    std::string inputShape;          // "28 x 28 x 1" from the first layer's batch_input_shape
    std::vector<std::string> layers; // "Conv2D conv2d_1 (32 filters, kernel 3x3, valid, relu)"
};

// Parses a model_config attribute. Throws cwb::Error naming `source` and the byte of the JSON
// where parsing failed, or what is missing ("class_name").
[[nodiscard]] KerasConfigSummary summarizeKerasConfig(std::string_view json,
                                                      const std::string &source);

} // namespace cwb::io
