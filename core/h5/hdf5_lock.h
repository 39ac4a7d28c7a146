// SPDX-License-Identifier: MIT
#pragma once
// The one lock every HDF5 call in core takes. libhdf5 is only safe to call from several
// threads when it was configured with --enable-threadsafe: Debian 12's serial build is
// (H5_HAVE_THREADSAFE), but source and many distribution builds are not, and there two threads
// inside the library at once corrupt its global state (open ids, the metadata cache). So
// readers, lazy tensor loaders and the project file all hold an Hdf5Lock while they touch HDF5
// ids; in a thread-safe build this costs little, since HDF5 serialises its API calls anyway.
// The mutex is recursive so a helper that locks can be called from code that already holds it.

#include <hdf5.h>

#include <mutex>

namespace cwb::h5 {

inline std::recursive_mutex &hdf5Mutex()
{
    static std::recursive_mutex m;
    return m;
}

// Locks the HDF5 mutex and switches off HDF5's automatic error printing: the library would
// otherwise dump its error stack to stderr; core turns failures into cwb::Error instead. It is
// switched off on every lock because a thread-safe HDF5 keeps that setting per thread.
class Hdf5Lock {
public:
    Hdf5Lock() : lock_(hdf5Mutex()) { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

private:
    std::unique_lock<std::recursive_mutex> lock_;
};

} // namespace cwb::h5
