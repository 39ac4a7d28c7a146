// SPDX-License-Identifier: MIT
#pragma once
// The two halves of the project file's layout (project_file.h, README "Project file (.cwbproj)
// layout"): one writes a Project into an open HDF5 file, the other reads it back. Kept apart
// from the atomic-write and staleness logic in project_file.cpp. Callers hold an h5::Hdf5Lock.

#include "h5/h5_store.h"
#include "project/project_file.h"

namespace cwb::projectio {

// The optional /history group (project_history.cpp); written only when there is a history.
void writeHistory(const h5::Writer &w, const std::vector<HistoryPoint> &history);
[[nodiscard]] std::vector<HistoryPoint> readHistory(const h5::Reader &r);
// The /model group alone.
[[nodiscard]] ModelFingerprint readModel(const h5::Reader &r);
// Checks @schema and @schema_version (throws cwb::Error naming `path`); returns the writer.
std::string checkSchema(const h5::Reader &r, const std::string &path);

// Everything but the root's schema attributes.
void writeContents(const h5::Writer &w, const Project &project);
// Everything but the root's schema attributes (checked by the caller first).
[[nodiscard]] Project readContents(const h5::Reader &r);

// The optional /sensitivity group (project_sensitivity.cpp).
void writeSensitivity(const h5::Writer &w, const SensitivityTable &table);
[[nodiscard]] std::optional<SensitivityTable> readSensitivity(const h5::Reader &r);

} // namespace cwb::projectio
