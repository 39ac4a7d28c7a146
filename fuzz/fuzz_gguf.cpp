// SPDX-License-Identifier: MIT
// GGUF: header, metadata, tensor infos (parseGguf on the bytes), then the model built from them
// (architecture adapter, tensor views), every tensor dequantized and the GGUF vocabulary loaded.
#include "fuzz_model.h"
#include "fuzz_support.h"
#include "io/gguf_reader.h"
#include "io/open_model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    using namespace cwb;
    static fuzz::ScratchFile file("model.gguf");
    fuzz::expectRefusalOrSuccess([&] {
        (void)io::parseGguf(fuzz::bytesOf(data, size), "input.gguf");
    });
    fuzz::expectRefusalOrSuccess([&] {
        const Model model = io::openModel(file.set(fuzz::bytesOf(data, size)));
        fuzz::exerciseModel(model);
        fuzz::exerciseTokenizer(model);
    });
    return 0;
}
