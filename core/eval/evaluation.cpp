// SPDX-License-Identifier: MIT
#include "eval/evaluation.h"

#include "eval/engine.h"
#include "eval/kl_divergence.h"
#include "eval/latency.h"
#include "eval/logits_file.h"
#include "eval/perplexity.h"
#include "host/memory_status.h"
#include "io/open_model.h"
#include "tokenizer/tokenizer.h"
#include "util/error.h"

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/info.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/task_arena.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>

namespace cwb {

const char *protocolName(PplProtocol p)
{
    return p == PplProtocol::LlamaCppHalfWindow ? "llama" : "full";
}

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t0)
{
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::string fileLabel(const std::string &path)
{
    const std::string name = std::filesystem::path(path).filename().string();
    return name.empty() ? path : name;
}

void checkParams(const EvalParams &p)
{
    if (!p.model && p.modelPath.empty())
        throwIn("evaluation", "no model given");
    if (!p.saveLogitsPath.empty() && !p.kldBasePath.empty())
        throwIn("evaluation", "save logits and compare with a KLD base are exclusive: a run either "
                              "records a base or compares against one");
    if (p.chunks < 0)
        throwIn("evaluation", "chunks " + std::to_string(p.chunks) + " is negative (0 = all)");
    if (p.threads < 0)
        throwIn("evaluation",
                "threads " + std::to_string(p.threads) + " is negative (0 = all cores)");
}

void checkContext(int64_t nCtx, const Engine &engine)
{
    if (nCtx < 2 || nCtx > engine.contextLimit())
        throwIn("evaluation", "n_ctx " + std::to_string(nCtx) + " is outside 2.."
                                  + std::to_string(engine.contextLimit())
                                  + " (the model's context limit)");
}

void checkTokenRange(std::span<const int32_t> tokens, int64_t vocab, const std::string &source)
{
    for (size_t i = 0; i < tokens.size(); ++i)
        if (tokens[i] < 0 || tokens[i] >= vocab)
            throwIn(source, "token " + std::to_string(i) + " has id " + std::to_string(tokens[i])
                                + ", outside the model's vocabulary of " + std::to_string(vocab)
                                + ": the tokenizer does not belong to this model");
}

// One window's scored logits and the tokens they predict.
struct ScoredRows {
    std::span<const float> logits;
    std::span<const int32_t> targets;
};

ScoredRows scoredRows(const std::vector<float> &logits, std::span<const int32_t> window,
                      const eval::WindowPlan &plan, int64_t vocab)
{
    const auto first = static_cast<size_t>(plan.firstScored);
    const auto rows = static_cast<size_t>(plan.scoredPerWindow());
    const auto v = static_cast<size_t>(vocab);
    if (logits.size() != window.size() * v)
        throwIn("evaluation", "the engine returned " + std::to_string(logits.size())
                                  + " logits for a window of " + std::to_string(window.size())
                                  + " tokens x " + std::to_string(vocab));
    return {std::span<const float>(logits).subspan(first * v, rows * v),
            window.subspan(first + 1, rows)};
}

void encodeWindow(const ScoredRows &rows, int64_t vocab, eval::EncodedWindow &out)
{
    const auto v = static_cast<size_t>(vocab);
    out.resize(static_cast<int64_t>(rows.targets.size()), vocab);
    tbb::parallel_for(tbb::blocked_range<size_t>(0, rows.targets.size(), 8),
                      [&](const tbb::blocked_range<size_t> &range) {
                          for (size_t r = range.begin(); r != range.end(); ++r)
                              (void)eval::encodeLogProbRow(
                                  rows.logits.subspan(r * v, v), rows.targets[r], out.scales[r],
                                  out.minLogProbs[r],
                                  std::span<uint16_t>(out.codes).subspan(r * v, v));
                      });
}

void addDeviceEstimates(const Model &model, const Engine &engine, int64_t nCtx, int threads,
                        EvalResult &r)
{
    const std::string dir = eval::findDeviceProfileDir();
    if (dir.empty()) {
        r.notes.push_back("no device profiles found (set CWB_DEVICES_DIR): no roofline estimates");
        return;
    }
    const auto cost = eval::decodeCost(model.hparams, engine.weightBytes(),
                                       engine.kvCacheBytes(nCtx), nCtx);
    for (auto device : eval::loadDeviceProfiles(dir)) {
        if (device.measuredAtRunTime) {
            r.hostMeasurement = eval::measureHost(threads);
            device = eval::withHostMeasurement(device, r.hostMeasurement);
        }
        r.deviceEstimates.push_back(eval::rooflineDecode(device, cost));
    }
}

} // namespace

EvalResult runEvaluation(const EvalParams &params, const JobContext &ctx)
{
    const auto t0 = Clock::now();
    checkParams(params);

    std::optional<Model> opened;
    if (!params.model)
        opened = io::openModel(params.modelPath);
    const Model &model = params.model ? *params.model : *opened;

    EvalResult r;
    r.modelLabel = params.modelLabel.empty() ? fileLabel(model.path) : params.modelLabel;
    r.bitsPerWeight = model.totals().bitsPerWeight;
    r.protocol = params.protocol;
    r.nCtx = params.nCtx;

    const std::string text = eval::loadEvalText(params.textPath);
    const auto tokenizer = loadTokenizer(model);
    const std::vector<int32_t> tokens = tokenizer->encode(text, true);
    r.textTokens = static_cast<int64_t>(tokens.size());
    ctx.checkCancelled();

    EngineOptions options;
    options.threads = params.threads;
    options.emulateQ8Activations = params.emulateQ8;
    options.cacheTypeK = params.cacheTypeK;
    options.cacheTypeV = params.cacheTypeV;
    options.replacements = params.replacements;
    options.vectorReplacements = params.vectorReplacements;
    const auto engine = Engine::create(model, options);
    if (!params.replacements.empty() && model.totals().parameters > 0)
        r.bitsPerWeight = double(engine->weightBytes()) * 8.0 / double(model.totals().parameters);
    const int64_t vocab = engine->vocabSize();
    checkContext(params.nCtx, *engine);
    checkTokenRange(tokens, vocab, params.textPath);

    std::unique_ptr<eval::LogitsFileReader> base;
    if (!params.kldBasePath.empty())
        base = std::make_unique<eval::LogitsFileReader>(params.kldBasePath);
    const int64_t chunks = params.chunks == 0 && base ? base->header().chunks : params.chunks;
    const eval::WindowPlan plan = eval::planWindows(r.textTokens, params.nCtx, chunks,
                                                    params.protocol);
    const int32_t bos = tokenizer->addsBos() ? tokenizer->bos() : -1;
    const auto nWindows = static_cast<int64_t>(plan.starts.size());

    std::vector<int32_t> allWindowTokens;
    allWindowTokens.reserve(static_cast<size_t>(nWindows * params.nCtx));
    for (const int64_t start : plan.starts) {
        const auto w = eval::windowTokens(tokens, start, params.nCtx, bos, params.protocol);
        allWindowTokens.insert(allWindowTokens.end(), w.begin(), w.end());
    }
    eval::LogitsFileHeader header;
    header.protocol = params.protocol;
    header.nCtx = params.nCtx;
    header.nVocab = vocab;
    header.chunks = nWindows;
    header.firstScored = plan.firstScored;
    header.modelLabel = r.modelLabel;
    if (base)
        eval::checkBaseMatches(*base, header, allWindowTokens);
    std::unique_ptr<eval::LogitsFileWriter> writer;
    if (!params.saveLogitsPath.empty())
        writer = std::make_unique<eval::LogitsFileWriter>(params.saveLogitsPath, header,
                                                          allWindowTokens);

    const int arenaThreads = params.threads > 0 ? params.threads : tbb::info::default_concurrency();
    tbb::task_arena arena(arenaThreads);
    eval::NllAccumulator nll;
    eval::KldAccumulator kld;
    std::vector<float> logits;
    std::vector<double> rowNll;
    std::vector<eval::KldPosition> positions;
    eval::EncodedWindow encoded;
    double evalSeconds = 0;

    for (int64_t w = 0; w < nWindows; ++w) {
        ctx.checkCancelled();
        const std::span<const int32_t> window(allWindowTokens.data() + w * params.nCtx,
                                              static_cast<size_t>(params.nCtx));
        const auto te = Clock::now();
        engine->reset(params.nCtx);
        engine->eval(window, logits, true, ctx);
        evalSeconds += secondsSince(te);

        const ScoredRows rows = scoredRows(logits, window, plan, vocab);
        rowNll.resize(rows.targets.size());
        arena.execute([&] {
            eval::tokenNllRows(rows.logits, vocab, rows.targets, rowNll);
            if (writer)
                encodeWindow(rows, vocab, encoded);
            if (base) {
                base->readWindow(w, encoded);
                positions.resize(rows.targets.size());
                eval::kldRows(rows.logits, vocab, encoded.view(), rows.targets, positions);
            }
        });
        for (const double v : rowNll)
            nll.add(v);
        for (const auto &p : positions)
            kld.add(p);
        positions.clear();
        if (writer)
            writer->writeWindow(encoded);

        char what[96];
        std::snprintf(what, sizeof what, "window %lld/%lld: ppl %.4f",
                      static_cast<long long>(w + 1), static_cast<long long>(nWindows), nll.ppl());
        ctx.report(static_cast<double>(w + 1) / static_cast<double>(nWindows), what);
    }
    if (writer)
        writer->commit();

    r.windows = nWindows;
    r.tokensScored = nll.count();
    r.meanNll = nll.meanNll();
    r.ppl = nll.ppl();
    r.pplStderr = nll.pplStderr();
    r.evalTokPerS = evalSeconds > 0 ? static_cast<double>(nWindows * params.nCtx) / evalSeconds : 0;
    if (base) {
        r.hasKld = true;
        r.kld = kld.summary();
        if (!base->header().modelLabel.empty())
            r.notes.push_back("KL divergence against " + base->header().modelLabel + " ("
                              + params.kldBasePath + ")");
    }

    r.weightBytes = engine->weightBytes();
    r.kvCacheBytes = engine->kvCacheBytes(params.nCtx);
    r.cacheTypeK = params.cacheTypeK;
    r.cacheTypeV = params.cacheTypeV;
    {
        // Both sides hold the same rows, so their shares of the total are those of one row of
        // 32 values (every type's block divides it): exact in integers.
        const uint64_t k = kvCacheRowBytes(params.cacheTypeK, 32);
        const uint64_t v = kvCacheRowBytes(params.cacheTypeV, 32);
        r.kvCacheKeyBytes = r.kvCacheBytes / (k + v) * k;
        r.kvCacheValueBytes = r.kvCacheBytes - r.kvCacheKeyBytes;
    }
    if (params.measureLatency) {
        ctx.report(1.0, "measuring latency");
        r.latency = eval::measureLatency(*engine, tokens, params.latencyPrompt,
                                         params.latencyGenerate, params.threads, ctx);
        if (params.threads == 1) {
            r.latencySingleThread = r.latency;
        } else {
            EngineOptions single = options;
            single.threads = 1;
            const auto engine1 = Engine::create(model, single);
            r.latencySingleThread = eval::measureLatency(*engine1, tokens, params.latencyPrompt,
                                                         params.latencyGenerate, 1, ctx);
        }
        r.hasLatency = true;
    }
    r.peakRssMiB = host::peakRssMiB(); // before the host measurement's large triad arrays
    if (params.estimateDevices) {
        ctx.report(1.0, "measuring this CPU for the roofline estimates");
        addDeviceEstimates(model, *engine, params.nCtx, params.threads, r);
    }
    if (params.emulateQ8)
        r.notes.push_back("integer activations: matmul inputs quantized to Q8_0/Q8_K blocks, "
                          "int8 dot products with ggml-block weights (llama.cpp's CPU arithmetic) "
                          "and with our 2- to 8-bit rtn/gptq/awq codes, ternary, nf4, mxfp4 and "
                          "nvfp4 (W2A8-W8A8; nf4's levels rounded to 1/63.5 of the block scale; "
                          "fp8 keeps float activations)");
    else
        r.notes.push_back("float activations: quantized weights multiplied with float inputs");
    r.seconds = secondsSince(t0);
    return r;
}

} // namespace cwb
