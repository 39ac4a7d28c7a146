// SPDX-License-Identifier: MIT
#pragma once
// Open any supported model: detects the format from magic bytes (or a directory), reads headers
// only, and names every tensor canonically. Throws cwb::Error with the file and reason.

#include "model/model.h"

#include <string>

namespace cwb::io {

enum class DetectedFormat { Gguf, Safetensors, SafetensorsIndex, HfDirectory, Llama2c, KerasH5, Unknown };

[[nodiscard]] DetectedFormat detectFormat(const std::string &path);
[[nodiscard]] Model openModel(const std::string &path);

} // namespace cwb::io
