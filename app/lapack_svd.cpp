// SPDX-License-Identifier: MIT
#include "lapack_svd.h"

#include "util/error.h"

#ifdef CWB_HAVE_LAPACKE
#include <lapacke.h>
#endif

#include <vector>

cwb::bench::ReferenceSvd lapackReferenceSvd(std::string &name)
{
#ifdef CWB_HAVE_LAPACKE
    name = "LAPACKE_dgesdd, singular values only";
    return [](std::span<const float> m, int64_t rows, int64_t cols) {
        // column-major double copy: dgesdd overwrites its input
        std::vector<double> a(static_cast<size_t>(rows * cols));
        for (int64_t r = 0; r < rows; ++r)
            for (int64_t c = 0; c < cols; ++c)
                a[static_cast<size_t>(c * rows + r)] = m[static_cast<size_t>(r * cols + c)];
        std::vector<double> s(static_cast<size_t>(std::min(rows, cols)));
        const lapack_int info = LAPACKE_dgesdd(
            LAPACK_COL_MAJOR, 'N', static_cast<lapack_int>(rows), static_cast<lapack_int>(cols),
            a.data(), static_cast<lapack_int>(rows), s.data(), nullptr, 1, nullptr, 1);
        if (info != 0)
            throw cwb::Error("LAPACKE_dgesdd failed with info " + std::to_string(info));
        return s;
    };
#else
    name.clear();
    return {};
#endif
}
