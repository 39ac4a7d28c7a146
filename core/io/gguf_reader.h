// SPDX-License-Identifier: MIT
#pragma once
// GGUF reader, versions 2 and 3 (ggml's gguf.h / docs/gguf.md). Byte layout, little-endian:
//
//   offset  size  field
//        0     4  magic "GGUF" (bytes 47 47 55 46)
//        4     4  u32 version: 2 or 3 (same layout; 3 only adds big-endian files, which show up
//                 here as version 0x02000000/0x03000000 and are rejected; version 1 used u32
//                 counts and string lengths and is rejected too)
//        8     8  u64 n_tensors
//       16     8  u64 n_kv
//       24        n_kv metadata records:    string key, u32 value_type, value
//                 n_tensors tensor records: string name, u32 n_dims (<= 4), u64 ne[n_dims],
//                                           u32 ggml type id, u64 offset
//                 zero padding up to a multiple of `alignment`  -> the data section starts here
//                 tensor bytes, each at data_start + offset (offset a multiple of `alignment`)
//   string:     u64 byte length, then the bytes (UTF-8, no terminator)
//   value_type: 0 u8, 1 i8, 2 u16, 3 i16, 4 u32, 5 i32, 6 f32, 7 bool (1 byte), 8 string,
//               9 array = u32 element type + u64 count + elements (arrays may nest),
//               10 u64, 11 i64, 12 f64
//   alignment:  the KV general.alignment (u32, a power of two) or 32 when absent.
//   ne[]:       innermost first: ne[0] is the row length along which ggml blocks run. Our shape
//               is outermost-first, so the reader reverses ne (a [512, 64] token_embd has
//               ne = {64, 512}). A tensor's stored size is storageBytes(type, product of ne).
//
// RoPE layout of Q/K rows (model.rope), checked against llama.cpp's source:
//   llama-family GGUFs (llama_model_rope_type() in src/llama-model.cpp returns
//   LLAMA_ROPE_TYPE_NORM for LLM_ARCH_LLAMA and deci, baichuan, internlm2, minicpm, xverse,
//   command-r, olmo, arctic, deepseek(2), chatglm, granite, chameleon, ...) are run with ggml rope
//   mode 0, "a normal RoPE, operating on pairs of consecutive head values": rows 2i and 2i+1 of
//   each head form a rotated pair -> RopeLayout::Interleaved. That is Meta's original layout and
//   llama2.c's, so llama.cpp's convert-llama2c tool copies wq/wk unchanged (stories260K.gguf is
//   bit-identical to stories260K.bin). Hugging Face checkpoints are in rotate_half order (pairs
//   i, i + head_dim/2), so convert_hf_to_gguf.py's LlamaModel.modify_tensors permutes q_proj
//   with permute(w, n_head, n_head) and k_proj with permute(w, n_head, n_head_kv):
//   w.reshape(n_head, 2, head_dim/2, cols).swapaxes(1, 2) — GGUF row h*hd + 2i + s comes from
//   HF row h*hd + s*hd/2 + i. Architectures llama.cpp runs in NEOX mode ("pairs of head values
//   are offset by n_rot/2": qwen/qwen2/qwen3, phi2/phi3, gemma*, gptneox, falcon, stablelm,
//   starcoder2, olmo2, ...) are converted without that permutation -> RopeLayout::HalfSplit.
//   Architectures without RoPE (gpt2, bloom, mpt, ...) and unknown ones get None (with a note).
//
// Every malformed input gives a cwb::Error "<file>: offset N: <what>"; sizes and counts are
// checked against the bytes left before anything is allocated.

#include "formats/dtype.h"
#include "model/meta_value.h"
#include "model/model.h"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cwb::io {

inline constexpr uint32_t kGgufMagic = 0x46554747; // "GGUF" read as a little-endian u32
inline constexpr uint64_t kGgufDefaultAlignment = 32;
inline constexpr uint32_t kGgufMaxDims = 4;         // GGML_MAX_DIMS
inline constexpr int kGgufMaxArrayDepth = 8;        // arrays of arrays nest at most this deep
// Each metadata value costs ~130 bytes in memory, so a file of byte arrays would expand ~100x.
// Real models hold ~1.5M values at most (a 256k vocabulary's tokens, scores, types, merges).
inline constexpr uint64_t kGgufMaxMetaValues = uint64_t{1} << 22;

enum class GgufType : uint32_t {
    U8 = 0, I8 = 1, U16 = 2, I16 = 3, U32 = 4, I32 = 5, F32 = 6, Bool = 7, String = 8,
    Array = 9, U64 = 10, I64 = 11, F64 = 12,
};

// "u8", "i8", ... "f64", "bool", "string", "array"; empty for an unknown id.
[[nodiscard]] std::string_view ggufTypeName(uint32_t type);

struct GgufTensorInfo {
    std::string name;
    std::vector<uint64_t> ne;   // as stored: ne[0] is the row length
    uint32_t ggmlType = 0;
    DType dtype = DType::Unknown; // Unknown for a type id we do not know
    uint64_t offset = 0;        // as stored: relative to GgufFile::dataStart
    uint64_t byteSize = 0;      // stored bytes; 0 when the type is unknown
    uint64_t recordOffset = 0;  // file offset of this tensor's record (for messages and tools)
};

struct GgufFile {
    std::string source;
    uint32_t version = 0;
    uint64_t alignment = kGgufDefaultAlignment;
    uint64_t dataStart = 0; // absolute offset of the (aligned) data section
    std::vector<std::pair<std::string, MetaValue>> metadata; // in file order
    std::vector<GgufTensorInfo> tensors;                     // in file order

    [[nodiscard]] const MetaValue *findMeta(std::string_view key) const;
};

// Parses and validates a whole GGUF image (header, metadata, tensor records, and that every
// tensor of known size lies aligned, inside the bytes and apart from the others). Only reads
// `bytes`; `source` names the file in error messages.
[[nodiscard]] GgufFile parseGguf(std::span<const std::byte> bytes, std::string source);

// readGguf(path) is declared in io/readers.h: it maps the file, runs parseGguf and builds the
// Model (hyper-parameters from "<arch>.*" keys, RoPE layout as above, tensors as mmap views).

} // namespace cwb::io
