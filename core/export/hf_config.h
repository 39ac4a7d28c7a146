// SPDX-License-Identifier: MIT
#pragma once
// The small files of a Hugging Face model directory that the safetensors and compressed-tensors
// exports write beside the weights:
//   config.json         the source's own config.json when it is a HF directory (every field it
//                       has is kept, a quantization block dropped), else LlamaForCausalLM; either
//                       way the fields an engine sizes the model from are set from HyperParams:
//                       hidden_size, intermediate_size, num_hidden_layers, num_attention_heads,
//                       num_key_value_heads, head_dim, vocab_size, max_position_embeddings,
//                       rms_norm_eps, rope_theta, tie_word_embeddings, torch_dtype, and
//                       bos_token_id / eos_token_id when the tokenizer knows them
//   tokenizer files     copied: from a HF directory tokenizer.json, tokenizer.model,
//                       tokenizer_config.json, special_tokens_map.json, added_tokens.json,
//                       vocab.json, merges.txt, generation_config.json, tokenizer.bin (those it
//                       has); from other sources the files the model names (a llama2.c
//                       tokenizer.bin is copied as tokenizer.bin: our reader opens it, HF
//                       engines do not). A GGUF's embedded vocabulary is not converted: that
//                       directory has no tokenizer (a note says so). generation_config.json
//                       with bos/eos is written when none is copied.
//   cwb-export.json     the marker: {"schema": "cwb.export-directory/1", target, created_by,
//                       source, compressed_tensors_from_archive, files}. A later export may
//                       replace a directory only if it holds this file (util/atomic_directory.h).

#include "export/export_result.h"
#include "io/safetensors_writer.h"
#include "model/model.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cwb {

inline constexpr const char *kExportMarkerFile = "cwb-export.json";
inline constexpr const char *kHfWeightsFile = "model.safetensors";

struct SpecialIds {
    int64_t bos = -1; // -1: unknown
    int64_t eos = -1;
};

// From the source's config.json or generation_config.json, else from its tokenizer.
[[nodiscard]] SpecialIds specialIdsOf(const Model &m);

// config.json as described above; `torchDtype` is "float32", "float16" or "bfloat16".
[[nodiscard]] nlohmann::ordered_json hfLlamaConfig(const Model &m, bool tiedHead,
                                                   std::string_view torchDtype,
                                                   std::vector<std::string> &notes);

// Copies the tokenizer files into `dir` (nothing when `preview`) and says what the directory
// has; returns the file names (relative to `dir`) written.
std::vector<std::string> copyTokenizerFiles(const Model &m, const std::string &dir, bool preview,
                                            std::vector<std::string> &notes);

// Writes `json` (indented, newline-terminated) to dir/name; throws cwb::Error naming the file.
void writeJsonFile(const std::string &dir, const std::string &name,
                   const nlohmann::ordered_json &json);

// The marker file of an export directory (see above).
void writeExportMarker(const std::string &dir, std::string_view target, const Model &m,
                       bool fromArchive, const std::vector<std::string> &files);

// Fills a Hugging Face directory `dir` (a temporary one, see util/atomic_directory.h): the
// weights as model.safetensors ({"format": "pt"} metadata), config.json, the tokenizer files and
// the marker, with plain permissions; returns the file names written (relative to `dir`).
std::vector<std::string> writeHfDirectory(const std::string &dir,
                                          std::span<const io::SafetensorsTensor> tensors,
                                          const nlohmann::ordered_json &config, const Model &m,
                                          std::string_view target, bool fromArchive,
                                          std::vector<std::string> &notes);

// Sets the files' permissions to what a newly created file gets (0666 minus the umask): copies
// of read-only sources and the safetensors writer's private temporary files would otherwise keep
// theirs, and engines often run as another user.
void givePlainFilePermissions(const std::string &dir, const std::vector<std::string> &names);

// After the directory is in place: result.files (out/name), fileBytes, written and verified.
void listWrittenFiles(ExportResult &result, const std::string &out,
                      const std::vector<std::string> &names);

} // namespace cwb
