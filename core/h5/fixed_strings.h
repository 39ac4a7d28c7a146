// SPDX-License-Identifier: MIT
#pragma once
// HDF5 string data, decoded one way for every reader (the project file and archive store, the
// Keras reader): fixed-length strings end at their first NUL, and space-padded ones
// (H5T_STR_SPACEPAD, as h5py writes some attributes) lose their trailing spaces.

#include <cstddef>
#include <string>
#include <vector>

namespace cwb::h5 {

// `count` strings of `size` bytes each, back to back in `buf`.
[[nodiscard]] std::vector<std::string> fixedLengthStrings(const char *buf, size_t count,
                                                          size_t size, bool spacePadded);

} // namespace cwb::h5
