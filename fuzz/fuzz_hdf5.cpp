// SPDX-License-Identifier: MIT
// The HDF5-based formats, through libhdf5 on a file in the tmpfs scratch directory. The first
// byte picks the reader the rest goes to:
//   'P': a project file (.cwbproj): settings, analysis cache, sensitivity table, history;
//   'A': an archive (.cwbarchive): every stored matrix checked and, when small, dequantized;
//   anything else: a Keras .h5 model (full model or weights only), every tensor dequantized.
#include "fuzz_model.h"
#include "fuzz_support.h"
#include "io/open_model.h"
#include "pipeline/archive.h"
#include "project/project_file.h"

#include <algorithm>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    using namespace cwb;
    if (size == 0)
        return 0;
    const auto rest = fuzz::bytesOf(data + 1, size - 1);
    switch (data[0]) {
    case 'P': {
        static fuzz::ScratchFile file("input.cwbproj");
        fuzz::expectRefusalOrSuccess([&] { (void)readProject(file.set(rest)); });
        break;
    }
    case 'A': {
        static fuzz::ScratchFile file("input.cwbarchive");
        fuzz::expectRefusalOrSuccess([&] {
            const CompressedModel archive = readArchive(file.set(rest));
            for (const CompressedTensor &t : archive.tensors) {
                (void)t.storedBytes();
                if (t.rows >= 0 && t.cols >= 0 && t.rows <= fuzz::kMaxDequantElements
                    && t.cols <= fuzz::kMaxDequantElements / std::max<int64_t>(t.rows, 1))
                    (void)t.reconstruct();
            }
        });
        break;
    }
    default: {
        static fuzz::ScratchFile file("model.h5");
        fuzz::expectRefusalOrSuccess([&] { fuzz::exerciseModel(io::openModel(file.set(rest))); });
        break;
    }
    }
    return 0;
}
