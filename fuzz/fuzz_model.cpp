// SPDX-License-Identifier: MIT
#include "fuzz_model.h"

#include "fuzz_support.h"
#include "tokenizer/tokenizer.h"

#include <vector>

namespace cwb::fuzz {

void exerciseModel(const Model &model)
{
    (void)model.totals();
    for (const Tensor &t : model.tensors) {
        (void)t.shapeString();
        (void)t.typeLabel();
        if (!t.decodable() || t.numel() > kMaxDequantElements)
            continue;
        expectRefusalOrSuccess([&] {
            const std::vector<float> values = t.toFloat();
            if (t.rows() > 0) {
                std::vector<float> row(static_cast<size_t>(t.rowLength()));
                t.rowsToFloat(t.rows() - 1, 1, row);
            }
        });
    }
}

void exerciseTokenizer(const Model &model)
{
    if (model.tokenizer.kind.empty())
        return;
    expectRefusalOrSuccess([&] {
        const auto tokenizer = loadTokenizer(model);
        const auto ids = tokenizer->encode("Hello world, once upon a time\n\t 123 \xc3\xa9!", true);
        (void)tokenizer->decode(ids);
        for (int32_t id = 0; id < tokenizer->vocabSize() && id < 64; ++id)
            (void)tokenizer->tokenText(id);
    });
}

} // namespace cwb::fuzz
