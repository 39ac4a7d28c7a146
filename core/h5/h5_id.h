// SPDX-License-Identifier: MIT
#pragma once
// The one owner of an HDF5 (C API) id, for every HDF5 user: the project file and archive store
// (h5/h5_store.h) and the Keras reader. Callers hold an h5::Hdf5Lock while ids are alive.

#include <hdf5.h>

#include <utility>

namespace cwb::h5 {

// Owns one HDF5 id of any kind (file, group, dataset, attribute, type, space, property list);
// H5Idec_ref closes it whatever it is.
class Id {
public:
    explicit Id(hid_t id = H5I_INVALID_HID) : id_(id) {}
    ~Id() { reset(); }
    Id(Id &&o) noexcept : id_(std::exchange(o.id_, H5I_INVALID_HID)) {}
    Id &operator=(Id &&o) noexcept
    {
        std::swap(id_, o.id_);
        return *this;
    }
    Id(const Id &) = delete;
    Id &operator=(const Id &) = delete;
    void reset()
    {
        if (id_ >= 0)
            H5Idec_ref(id_);
        id_ = H5I_INVALID_HID;
    }
    // Gives up ownership without closing.
    [[nodiscard]] hid_t release() { return std::exchange(id_, H5I_INVALID_HID); }
    [[nodiscard]] hid_t get() const { return id_; }
    [[nodiscard]] bool valid() const { return id_ >= 0; }

private:
    hid_t id_;
};

} // namespace cwb::h5
