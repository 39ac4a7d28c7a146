// SPDX-License-Identifier: MIT
#pragma once
// One history point as JSON: the object `cwb sweep --json` lists under "points" and a Slurm
// task writes into its result file, read back by `cwb sweep --collect`. Numbers round-trip
// exactly (doubles are printed with 17 significant digits), so a point merged from a result
// file equals the one the task measured.
//
//   {"key", "name", "recipe" (the recipe as given, a string; null for the original),
//    "recipe_hash" (null for the original), "reference" (the file a reference point evaluated;
//    null otherwise, absent in results of older builds), "settings" {name: value}, "created_by", "finished",
//    "text", "calibration" (path or null), "threads",
//    "bytes", "parameters", "bits_per_weight", "ppl", "ppl_stderr", "tokens_scored", "windows",
//    "kld_mean", "kld_p99", "top1" (null without KLD),
//    "prefill_tok_per_s", "decode_tok_per_s" (null without latency),
//    "weight_bytes", "kv_bytes", "peak_rss_mib", "seconds", "compress_seconds"}

#include "project/evaluation_history.h"

#include <nlohmann/json_fwd.hpp>

#include <string>

namespace cwb {

[[nodiscard]] nlohmann::ordered_json historyPointJson(const HistoryPoint &p);

// Reads what historyPointJson wrote. Throws cwb::Error "<source>: <field>: <problem>" for a
// missing or mistyped field or a key that is not 16 hex digits.
[[nodiscard]] HistoryPoint historyPointFromJson(const nlohmann::ordered_json &j,
                                                const std::string &source);

} // namespace cwb
