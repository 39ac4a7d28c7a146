// SPDX-License-Identifier: MIT
#pragma once
// An EvalResult as people and scripts read it: aligned text (the CLI's default) and JSON (its
// --json, and what a project file or a CI job stores). Roofline figures are always labelled
// "estimate" in both.

#include "eval/evaluation.h"

#include <string>

namespace cwb {

[[nodiscard]] std::string evalResultText(const EvalResult &r);
// Stable keys: model, bits_per_weight, protocol, n_ctx, text_tokens, windows, tokens_scored,
// ppl, ppl_stderr, mean_nll, kld{...}, latency{...}, latency_1_thread{...}, memory{...},
// seconds, eval_tokens_per_s,
// device_estimates[{device, tokens_per_s, seconds_per_token, memory_bound, estimate: true}].
[[nodiscard]] std::string evalResultJson(const EvalResult &r);

} // namespace cwb
