// SPDX-License-Identifier: MIT
#pragma once
// llama2.c legacy ("version 0") checkpoint reader. readLlama2c() is declared in readers.h.
//
// Layout (little-endian, no padding):
//   i32 dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len      (28 bytes)
//   f32 token_embedding [vocab, dim]
//   f32 rms_att   [L, dim]           f32 wq [L, dim, dim]       f32 wk [L, kv_dim, dim]
//   f32 wv        [L, kv_dim, dim]   f32 wo [L, dim, dim]       f32 rms_ffn [L, dim]
//   f32 w1        [L, hidden, dim]   f32 w2 [L, dim, hidden]    f32 w3 [L, hidden, dim]
//   f32 rms_final [dim]
//   f32 freq_cis_real [seq_len, head_size/2]   f32 freq_cis_imag [seq_len, head_size/2]
//   f32 wcls [vocab, dim]            only when vocab_size < 0 (|vocab_size| is the vocabulary)
// with head_size = dim / n_heads and kv_dim = head_size * n_kv_heads. The file must be exactly
// that long. RoPE rotates adjacent pairs (2i, 2i+1): RopeLayout::Interleaved.
//
// Tensor names: "token_embedding", "rms_final", "wcls" and, per layer N, "layers.N.rms_att",
// "layers.N.wq", "layers.N.wk", "layers.N.wv", "layers.N.wo", "layers.N.rms_ffn",
// "layers.N.w1", "layers.N.w2", "layers.N.w3" — llama2.c's field names, one tensor per layer,
// each a view into the mapped file, listed in file order. The RoPE tables are precomputed values,
// not parameters, so they are not listed as tensors (model.notes says where they are).

#include "model/model.h"

#include <cstdint>
#include <span>
#include <string>

namespace cwb::io {

struct Llama2cHeader {
    int32_t dim = 0, hiddenDim = 0, nLayers = 0, nHeads = 0, nKvHeads = 0, vocabSize = 0,
            seqLen = 0;
};

// Validates the header fields and returns the file size they imply; throws cwb::Error naming
// `source` and the bad field otherwise.
[[nodiscard]] uint64_t llama2cExpectedBytes(const Llama2cHeader &h, const std::string &source);

// Parses a whole llama2.c file held in `bytes`; tensors view into it (keepAlive left empty).
[[nodiscard]] Model parseLlama2c(std::span<const std::byte> bytes, const std::string &source);

} // namespace cwb::io
