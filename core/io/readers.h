// SPDX-License-Identifier: MIT
#pragma once
// Entry points of the format readers. Each returns a Model with tensors as lazy views and
// original names; openModel() then runs the architecture adapter. Every reader's own header
// documents the byte layout it parses; all errors are cwb::Error naming file, field and offset.

#include "model/model.h"

#include <string>

namespace cwb::io {

Model readGguf(const std::string &path);          // io/gguf_reader.cpp
Model readSafetensors(const std::string &path);   // one .safetensors or a .safetensors.index.json
Model readHfDirectory(const std::string &dir);    // config.json + weights + tokenizer files
Model readLlama2c(const std::string &path);       // llama2.c legacy .bin (+ tokenizer.bin beside it)
Model readKerasH5(const std::string &path);       // Keras HDF5 (.h5) full-model or weights file

} // namespace cwb::io
