// SPDX-License-Identifier: MIT
#pragma once
// Variable-length HDF5 strings, read one way for every reader (the project file and archive
// store, the Keras reader). libhdf5 fetches them from the file's global heap, and a corrupt heap
// was seen to hold it for minutes inside H5HG_read / H5C_protect (found by fuzz_hdf5 on a
// mutated Keras file), beyond the reach of a job's cancel. So the read runs in a forked child
// (util/forked_call.h) with a time limit, and the strings come back over a pipe; only when no
// child can be made does it run here.

#include <hdf5.h>

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace cwb::h5 {

// Time given to a libhdf5 call run in a child: 10 s, where any real file takes milliseconds;
// CWB_HDF5_CHILD_TIMEOUT_MS (100 to 600000) overrides it, for tests and fuzzing.
[[nodiscard]] int childCallTimeoutMs();

// `count` strings of the variable-length string type `fileType`, read by
// readInto(memoryType, buffer of count char pointers) (H5Aread or H5Dread). On failure returns
// nothing and sets `error`: HDF5's complaint, or that libhdf5 crashed or ran out of time.
// The caller holds the HDF5 lock.
[[nodiscard]] std::optional<std::vector<std::string>>
readVariableStrings(hid_t fileType, size_t count,
                    const std::function<herr_t(hid_t, void *)> &readInto, std::string &error);

} // namespace cwb::h5
