// SPDX-License-Identifier: MIT
#include "export/engine_values.h"

namespace cwb {

std::vector<float> engineValues(const CompressedTensor &ct)
{
    if (ct.shape.size() == 1 || !ct.weight || ct.foldedScales.empty())
        return ct.reconstruct();
    std::vector<float> w = ct.weight->dequantize();
    if (ct.mask && ct.mask->applyWhenDecoding)
        for (size_t i = 0; i < w.size(); ++i)
            if (!((ct.mask->bitmap[i / 8] >> (i % 8)) & 1u))
                w[i] = 0.0f;
    return w;
}

} // namespace cwb
