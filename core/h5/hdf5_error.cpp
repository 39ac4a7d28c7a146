// SPDX-License-Identifier: MIT
#include "h5/hdf5_error.h"

#include <hdf5.h>

namespace cwb::h5 {

std::string hdf5ErrorText()
{
    struct Walk {
        std::string innermost, outermost;
    } walk;
    H5Ewalk2(
        H5E_DEFAULT, H5E_WALK_UPWARD,
        [](unsigned n, const H5E_error2_t *e, void *data) -> herr_t {
            auto *w = static_cast<Walk *>(data);
            const std::string desc = e->desc ? e->desc : "";
            if (n == 0)
                w->innermost = desc;
            w->outermost = desc;
            return 0;
        },
        &walk);
    H5Eclear2(H5E_DEFAULT);
    if (walk.outermost.empty())
        return "HDF5 call failed";
    if (walk.innermost == walk.outermost)
        return walk.outermost;
    return walk.outermost + ": " + walk.innermost;
}

} // namespace cwb::h5
