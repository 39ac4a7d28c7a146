// SPDX-License-Identifier: MIT
#pragma once
// The metadata llama.cpp's "llama" loader reads, with the GGUF value types it checks
// (src/llama-model-loader.cpp rejects "key … has wrong type"): hyper-parameters as u32 / f32,
// and the tokenizer (tokenizer.ggml.*) from whichever source the model names — copied as stored
// from a GGUF, built from a llama2.c tokenizer.bin or a SentencePiece .model ("llama"), or from
// a byte-level BPE vocabulary ("gpt2", with merges and a pre-tokenizer llama.cpp knows).

#include "io/gguf_writer.h"
#include "model/model.h"

#include <string>
#include <vector>

namespace cwb {

// Adds general.*, llama.* and tokenizer.ggml.* keys (not general.file_type, which depends on the
// tensors). Throws cwb::Error naming the model when a required value is missing or the tokenizer
// cannot be written in a form llama.cpp reads. `notes` gets what the user should know.
void addLlamaMetadata(io::GgufWriter &writer, const Model &model,
                      std::vector<std::string> &notes);

// llama.cpp's general.file_type (enum llama_ftype) for a file whose matrices are mostly `t`.
[[nodiscard]] uint32_t llamaFileType(DType t);

} // namespace cwb
