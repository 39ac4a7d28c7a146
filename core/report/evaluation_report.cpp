// SPDX-License-Identifier: MIT
#include "report/evaluation_report.h"

#include "util/text_format.h"

#include <nlohmann/json.hpp>

#include <cstdarg>
#include <cstdio>

namespace cwb {

namespace {

double mib(uint64_t bytes)
{
    return static_cast<double>(bytes) / (1024.0 * 1024.0);
}

} // namespace

std::string evalResultText(const EvalResult &r)
{
    std::string s;
    s += formatted("model        %s, %.2f bits/weight\n", r.modelLabel.c_str(), r.bitsPerWeight);
    s += formatted("text         %lld tokens; protocol %s, n_ctx %lld, %lld windows, %lld predictions "
                "scored\n",
                static_cast<long long>(r.textTokens), protocolName(r.protocol),
                static_cast<long long>(r.nCtx), static_cast<long long>(r.windows),
                static_cast<long long>(r.tokensScored));
    s += formatted("perplexity   %.4f +/- %.5f (mean NLL %.6f nats/token)\n", r.ppl, r.pplStderr,
                r.meanNll);
    if (r.hasKld) {
        const auto &k = r.kld;
        s += formatted("kl-div       mean %.6f +/- %.6f, median %.6f, p99 %.6f, max %.6f over %lld "
                    "positions\n",
                    k.mean, k.meanStderr, k.median, k.p99, k.max,
                    static_cast<long long>(k.positions));
        s += formatted("top-1        %.3f%% same top token as the base\n", k.top1AgreementPct);
        s += formatted("vs base      PPL(base) %.4f, PPL/PPL(base) %.6f, delta %+.4f\n", k.basePpl,
                    k.pplRatio, k.deltaPpl);
    }
    if (r.hasLatency) {
        for (const LatencySummary *l : {&r.latency, &r.latencySingleThread})
            s += formatted(
                "latency      %-9s prefill %.1f tok/s (%lld-token prompt), decode %.1f tok/s "
                "(%lld tokens), per token p50 %.3f ms, p95 %.3f ms\n",
                l->threads > 0 ? formatted("%d thr:", l->threads).c_str() : "all cores:",
                l->prefillTokPerS, static_cast<long long>(l->promptTokens), l->decodeTokPerS,
                static_cast<long long>(l->generatedTokens), l->tokenP50Ms, l->tokenP95Ms);
    }
    s += formatted("memory       weights %.2f MiB, KV cache at n_ctx %lld %.2f MiB (K %s %.2f MiB, "
                   "V %s %.2f MiB), peak RSS %.1f MiB\n",
                   mib(r.weightBytes), static_cast<long long>(r.nCtx), mib(r.kvCacheBytes),
                   kvCacheTypeName(r.cacheTypeK), mib(r.kvCacheKeyBytes),
                   kvCacheTypeName(r.cacheTypeV), mib(r.kvCacheValueBytes), r.peakRssMiB);
    s += formatted("time         %.2f s (%.0f tokens/s evaluated)\n", r.seconds, r.evalTokPerS);
    if (!r.deviceEstimates.empty()) {
        if (r.hostMeasurement.triadGBps > 0)
            s += formatted("this cpu     triad %.1f GB/s, sgemm %.1f GFLOP/s (n=%d), %d threads, "
                        "measured now\n",
                        r.hostMeasurement.triadGBps, r.hostMeasurement.sgemmGflops,
                        r.hostMeasurement.sgemmBestSize, r.hostMeasurement.threads);
        s += formatted(
            "estimate     roofline decode at n_ctx %lld: max(bytes/bandwidth, FLOPs/peak) - an "
            "estimate, not a measurement\n",
            static_cast<long long>(r.nCtx));
        for (const auto &e : r.deviceEstimates)
            s += formatted("  estimate   %-34s %10.0f tok/s  (%.4f ms/token, %s-bound)\n",
                        e.deviceName.c_str(), e.tokPerS, e.secondsPerToken * 1e3,
                        e.memoryBound ? "memory" : "compute");
    }
    for (const auto &n : r.notes)
        s += "note         " + n + "\n";
    return s;
}

std::string evalResultJson(const EvalResult &r)
{
    nlohmann::ordered_json j;
    j["model"] = r.modelLabel;
    j["bits_per_weight"] = r.bitsPerWeight;
    j["protocol"] = protocolName(r.protocol);
    j["n_ctx"] = r.nCtx;
    j["text_tokens"] = r.textTokens;
    j["windows"] = r.windows;
    j["tokens_scored"] = r.tokensScored;
    j["ppl"] = r.ppl;
    j["ppl_stderr"] = r.pplStderr;
    j["mean_nll"] = r.meanNll;
    if (r.hasKld) {
        const auto &k = r.kld;
        j["kld"] = {{"mean", k.mean},
                    {"mean_stderr", k.meanStderr},
                    {"median", k.median},
                    {"p99", k.p99},
                    {"max", k.max},
                    {"top1_agreement_percent", k.top1AgreementPct},
                    {"base_ppl", k.basePpl},
                    {"ppl_ratio", k.pplRatio},
                    {"delta_ppl", k.deltaPpl},
                    {"positions", k.positions}};
    }
    if (r.hasLatency) {
        auto latency = [](const LatencySummary &l) {
            return nlohmann::ordered_json{{"prefill_tokens_per_s", l.prefillTokPerS},
                                          {"decode_tokens_per_s", l.decodeTokPerS},
                                          {"token_p50_ms", l.tokenP50Ms},
                                          {"token_p95_ms", l.tokenP95Ms},
                                          {"prompt_tokens", l.promptTokens},
                                          {"generated_tokens", l.generatedTokens},
                                          {"threads", l.threads}};
        };
        j["latency"] = latency(r.latency);
        j["latency_1_thread"] = latency(r.latencySingleThread);
    }
    j["memory"] = {{"weight_bytes", r.weightBytes},
                   {"kv_cache_bytes", r.kvCacheBytes},
                   {"kv_cache_type_k", kvCacheTypeName(r.cacheTypeK)},
                   {"kv_cache_type_v", kvCacheTypeName(r.cacheTypeV)},
                   {"kv_cache_k_bytes", r.kvCacheKeyBytes},
                   {"kv_cache_v_bytes", r.kvCacheValueBytes},
                   {"peak_rss_mib", r.peakRssMiB}};
    j["seconds"] = r.seconds;
    j["eval_tokens_per_s"] = r.evalTokPerS;
    if (!r.deviceEstimates.empty()) {
        j["host"] = {{"triad_GBps", r.hostMeasurement.triadGBps},
                     {"sgemm_GFLOPs", r.hostMeasurement.sgemmGflops},
                     {"threads", r.hostMeasurement.threads}};
        auto &list = j["device_estimates"] = nlohmann::ordered_json::array();
        for (const auto &e : r.deviceEstimates)
            list.push_back({{"device", e.deviceId},
                            {"name", e.deviceName},
                            {"tokens_per_s", e.tokPerS},
                            {"seconds_per_token", e.secondsPerToken},
                            {"memory_bound", e.memoryBound},
                            {"estimate", e.estimate}});
    }
    j["notes"] = r.notes;
    return j.dump(2) + "\n";
}

} // namespace cwb
