// SPDX-License-Identifier: MIT
#pragma once
// What `cwb export` prints: the per-tensor verification table (name, source form, written type,
// exact or converted with the max abs error, note) and the notes, or the same as JSON
// ("schema": "cwb.export/1").

#include "export/gguf_export.h"

#include <string>

namespace cwb {

[[nodiscard]] std::string ggufExportText(const GgufExportResult &r);
[[nodiscard]] std::string ggufExportJson(const GgufExportResult &r);

} // namespace cwb
