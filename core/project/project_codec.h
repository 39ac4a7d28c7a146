// SPDX-License-Identifier: MIT
#pragma once
// The two halves of the project file's layout (project_file.h, README "Project file (.cwbproj)
// layout"): one writes a Project into an open HDF5 file, the other reads it back. Kept apart
// from the atomic-write and staleness logic in project_file.cpp. Callers hold an h5::Hdf5Lock.

#include "h5/h5_store.h"
#include "project/project_file.h"

namespace cwb::projectio {

// Everything but the root's schema attributes.
void writeContents(const h5::Writer &w, const Project &project);
// Everything but the root's schema attributes (checked by the caller first).
[[nodiscard]] Project readContents(const h5::Reader &r);

// The optional /sensitivity group (project_sensitivity.cpp).
void writeSensitivity(const h5::Writer &w, const SensitivityTable &table);
[[nodiscard]] std::optional<SensitivityTable> readSensitivity(const h5::Reader &r);

} // namespace cwb::projectio
