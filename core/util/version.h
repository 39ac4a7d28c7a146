// SPDX-License-Identifier: MIT
#pragma once
// What files we write record as their creator ("Compression Workbench 0.5.0").

namespace cwb {

[[nodiscard]] const char *createdBy();

} // namespace cwb
