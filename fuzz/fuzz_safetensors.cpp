// SPDX-License-Identifier: MIT
// safetensors: the first byte picks the file the rest becomes.
//   'I': a sharded index (model.safetensors.index.json) beside one valid shard
//        (model-00001-of-00001.safetensors, written once), read as a model;
//   anything else: a single .safetensors file (header JSON, offsets, dtypes), read as a model,
//        every tensor dequantized.
#include "fuzz_model.h"
#include "fuzz_support.h"
#include "io/open_model.h"
#include "io/safetensors_reader.h"
#include "io/safetensors_writer.h"

namespace {

void writeShardOnce()
{
    static const bool written = [] {
        using namespace cwb;
        std::vector<io::SafetensorsTensor> tensors;
        tensors.push_back(io::tensorFromFloats("model.embed_tokens.weight", {4, 8},
                                               std::vector<float>(32, 0.5f), DType::F32));
        tensors.push_back(io::tensorFromFloats("model.norm.weight", {8},
                                               std::vector<float>(8, 1.0f), DType::BF16));
        io::writeSafetensors(fuzz::scratchDirectory() + "/model-00001-of-00001.safetensors",
                             tensors);
        return true;
    }();
    (void)written;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    using namespace cwb;
    if (size == 0)
        return 0;
    const auto rest = fuzz::bytesOf(data + 1, size - 1);
    if (data[0] == 'I') {
        writeShardOnce();
        static fuzz::ScratchFile index("model.safetensors.index.json");
        fuzz::expectRefusalOrSuccess([&] {
            fuzz::exerciseModel(io::openModel(index.set(rest)));
        });
        return 0;
    }
    static fuzz::ScratchFile file("model.safetensors");
    fuzz::expectRefusalOrSuccess([&] { (void)io::parseSafetensors(rest, "input.safetensors"); });
    fuzz::expectRefusalOrSuccess([&] {
        fuzz::exerciseModel(io::openModel(file.set(rest)));
    });
    return 0;
}
