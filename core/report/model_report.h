// SPDX-License-Identifier: MIT
#pragma once
// What `cwb inspect` prints: a human table and a JSON document (schema "cwb.inspect/1",
// documented in README.md). The GUI shows the same facts from the same Model.

#include "model/model.h"

#include <string>

namespace cwb {

struct InspectOptions {
    size_t maxArrayItems = 16; // metadata arrays longer than this are summarised, not dumped
};

[[nodiscard]] std::string inspectJson(const Model &model, const InspectOptions &opts = {});
[[nodiscard]] std::string inspectText(const Model &model, const InspectOptions &opts = {});


} // namespace cwb
