// SPDX-License-Identifier: MIT
#pragma once
// Turns HDF5's error stack into one line for a cwb::Error message. Call it right after a failed
// HDF5 call, under the HDF5 lock (h5/hdf5_lock.h); it clears the stack.

#include <string>

namespace cwb::h5 {

// The API call's complaint and, when different, the innermost one (which carries details such
// as "truncated file: eof = 5000, stored_eof = ..."); "HDF5 call failed" when the stack is empty.
[[nodiscard]] std::string hdf5ErrorText();

} // namespace cwb::h5
