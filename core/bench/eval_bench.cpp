// SPDX-License-Identifier: MIT
#include "bench/eval_bench.h"
#include "bench/bench_util.h"

#include "eval/engine.h"
#include "eval/throughput.h"
#include "formats/ggml_quantize.h"
#include "io/gguf_writer.h"
#include "io/open_model.h"
#include "model/meta_value.h"
#include "util/error.h"

#include <nlohmann/json.hpp>
#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace cwb::bench {
namespace fs = std::filesystem;

namespace {



// SplitMix64: a fast, seedable stream for benchmark weights (values need no statistical quality
// beyond a sensible scale).
uint64_t splitMix(uint64_t &state)
{
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

// rows x cols values, uniform with standard deviation `sd`, one stream per row (parallel).
std::vector<float> randomMatrix(int64_t rows, int64_t cols, double sd, uint64_t seed)
{
    std::vector<float> v(static_cast<size_t>(rows * cols));
    const double halfWidth = sd * std::sqrt(3.0);
    tbb::parallel_for(tbb::blocked_range<int64_t>(0, rows),
                      [&](const tbb::blocked_range<int64_t> &r) {
                          for (int64_t i = r.begin(); i != r.end(); ++i) {
                              uint64_t state = seed * 0x100000001B3ull + static_cast<uint64_t>(i);
                              float *row = v.data() + i * cols;
                              for (int64_t j = 0; j < cols; ++j) {
                                  const double u = static_cast<double>(splitMix(state) >> 11)
                                                   * 0x1.0p-53; // [0,1)
                                  row[j] = static_cast<float>((2.0 * u - 1.0) * halfWidth);
                              }
                          }
                      });
    return v;
}

std::vector<std::byte> encode(DType type, const std::vector<float> &values, int64_t rows,
                              int64_t cols)
{
    if (type == DType::F32) {
        std::vector<std::byte> b(values.size() * sizeof(float));
        std::memcpy(b.data(), values.data(), b.size());
        return b;
    }
    return ggmlQuantizeRows(type, values.data(), rows, cols, nullptr);
}

std::string typeLabel(DType t)
{
    return std::string(dtypeName(t));
}

struct LlamaFigures {
    double pp = 0, tg = 0;
};

LlamaFigures llamaFiguresFor(const nlohmann::json &figures, const std::string &name)
{
    LlamaFigures f;
    if (!figures.is_object() || !figures.contains("throughput")
        || !figures["throughput"].contains(name))
        return f;
    const auto &row = figures["throughput"][name];
    if (row.contains("prompt_pp512_tokens_per_s"))
        f.pp = row["prompt_pp512_tokens_per_s"].value("mean", 0.0);
    if (row.contains("generation_tg128_tokens_per_s"))
        f.tg = row["generation_tg128_tokens_per_s"].value("mean", 0.0);
    return f;
}

nlohmann::json loadFigures(const std::string &path)
{
    if (path.empty())
        return {};
    std::ifstream in(path);
    if (!in)
        throwIn(path, "cannot open llama.cpp's figures");
    try {
        return nlohmann::json::parse(in);
    } catch (const nlohmann::json::parse_error &e) {
        throwAt(path, e.byte > 0 ? e.byte - 1 : 0, std::string("invalid JSON: ") + e.what());
    }
}

EvalBenchRow benchModel(const std::string &name, const std::string &path, const EvalBenchParams &p,
                        const JobContext &ctx)
{
    ctx.report(0.0, "benchmarking " + name);
    const Model model = io::openModel(path);
    EngineOptions options;
    options.threads = p.threads;
    const auto engine = Engine::create(model, options);
    ThroughputParams tp;
    tp.promptTokens = p.promptTokens;
    tp.genTokens = p.genTokens;
    tp.repetitions = p.repetitions;
    const ThroughputResult t = measureThroughput(*engine, tp, ctx);
    EvalBenchRow row;
    row.name = name;
    row.parameters = model.totals().parameters;
    row.weightBytes = engine->weightBytes();
    row.prefillTokPerS = t.prefillTokensPerSecond;
    row.decodeTokPerS = t.decodeTokensPerSecond;
    row.decodeP50Ms = t.decodeP50Ms;
    row.decodeP95Ms = t.decodeP95Ms;
    row.decodeGBps = static_cast<double>(row.weightBytes) * row.decodeTokPerS / 1e9;
    // matrix FLOPs per token (attention over the growing prompt left out: small at 512 tokens)
    const double flopsPerToken = eval::decodeCost(model.hparams, 0, 0, 0).flopsPerToken;
    row.prefillGflops = flopsPerToken * row.prefillTokPerS / 1e9;
    return row;
}

} // namespace

int64_t writeRandomLlamaGguf(const std::string &path, const RandomLlamaShape &s, DType matrixType,
                             uint64_t seed, const JobContext &ctx)
{
    if (matrixType != DType::F32 && matrixType != DType::Q8_0 && matrixType != DType::Q4_0)
        throwIn(path,
                "random models are written as F32, Q8_0 or Q4_0, not " + typeLabel(matrixType));
    if (s.dim <= 0 || s.layers <= 0 || s.heads <= 0 || s.kvHeads <= 0 || s.hidden <= 0
        || s.vocab <= 0 || s.dim % s.heads != 0 || s.heads % s.kvHeads != 0)
        throwIn(path, "inconsistent random model shape");
    const int64_t headDim = s.dim / s.heads;
    const int64_t kvDim = s.kvHeads * headDim;

    io::GgufWriter w;
    w.addMeta("general.architecture", MetaValue::ofString("llama"));
    w.addMeta("general.name", MetaValue::ofString("cwb random llama"));
    w.addMeta("llama.context_length", MetaValue::ofUInt(static_cast<uint64_t>(s.context), "u32"));
    w.addMeta("llama.embedding_length", MetaValue::ofUInt(static_cast<uint64_t>(s.dim), "u32"));
    w.addMeta("llama.block_count", MetaValue::ofUInt(static_cast<uint64_t>(s.layers), "u32"));
    w.addMeta("llama.feed_forward_length",
              MetaValue::ofUInt(static_cast<uint64_t>(s.hidden), "u32"));
    w.addMeta("llama.rope.dimension_count",
              MetaValue::ofUInt(static_cast<uint64_t>(headDim), "u32"));
    w.addMeta("llama.attention.head_count",
              MetaValue::ofUInt(static_cast<uint64_t>(s.heads), "u32"));
    w.addMeta("llama.attention.head_count_kv",
              MetaValue::ofUInt(static_cast<uint64_t>(s.kvHeads), "u32"));
    w.addMeta("llama.attention.layer_norm_rms_epsilon", MetaValue::ofFloat(1e-5, "f32"));
    w.addMeta("llama.vocab_size", MetaValue::ofUInt(static_cast<uint64_t>(s.vocab), "u32"));

    int64_t parameters = 0;
    uint64_t stream = seed;
    auto matrix = [&](const std::string &name, int64_t rows, int64_t cols, DType type) {
        ctx.checkCancelled();
        const auto values = randomMatrix(rows, cols, 0.02, ++stream);
        w.addTensor(name, type, {rows, cols}, encode(type, values, rows, cols));
        parameters += rows * cols;
    };
    auto ones = [&](const std::string &name) {
        const std::vector<float> v(static_cast<size_t>(s.dim), 1.0f);
        w.addTensor(name, DType::F32, {s.dim}, encode(DType::F32, v, 1, s.dim));
        parameters += s.dim;
    };

    matrix("token_embd.weight", s.vocab, s.dim, matrixType);
    for (int64_t l = 0; l < s.layers; ++l) {
        const std::string b = "blk." + std::to_string(l) + ".";
        ones(b + "attn_norm.weight");
        matrix(b + "attn_q.weight", s.dim, s.dim, matrixType);
        matrix(b + "attn_k.weight", kvDim, s.dim, matrixType);
        matrix(b + "attn_v.weight", kvDim, s.dim, matrixType);
        matrix(b + "attn_output.weight", s.dim, s.dim, matrixType);
        ones(b + "ffn_norm.weight");
        matrix(b + "ffn_gate.weight", s.hidden, s.dim, matrixType);
        matrix(b + "ffn_up.weight", s.hidden, s.dim, matrixType);
        matrix(b + "ffn_down.weight", s.dim, s.hidden, matrixType);
    }
    ones("output_norm.weight");
    if (s.separateOutput) // llama-quantize gives the output matrix Q6_K in a Q4_0 file
        matrix("output.weight", s.vocab, s.dim,
               matrixType == DType::Q4_0 ? DType::Q6_K : matrixType);
    w.write(path);
    return parameters;
}

EvalBenchResult runEvalBench(const EvalBenchParams &params, const JobContext &ctx)
{
    if (params.threads < 1)
        throwIn("bench eval", "threads must be at least 1");
    const nlohmann::json figures = loadFigures(params.figuresPath);
    const bool llamaShape = params.promptTokens == 512 && params.genTokens == 128;

    EvalBenchResult r;
    r.threads = params.threads;
    r.promptTokens = params.promptTokens;
    r.genTokens = params.genTokens;
    if (figures.is_object() && figures.contains("machine_limits")) {
        r.llamaTriadGBps = figures["machine_limits"].value("triad_GBps_2threads", 0.0);
        r.llamaGemmGflops = figures["machine_limits"].value("eigen_sgemm_GFLOPs_2threads", 0.0);
    }
    auto addLlama = [&](EvalBenchRow &row) {
        if (!llamaShape)
            return;
        const LlamaFigures f = llamaFiguresFor(figures, row.name);
        row.llamaPrefillTokPerS = f.pp;
        row.llamaDecodeTokPerS = f.tg;
    };

    if (!params.storiesModel.empty()) {
        EvalBenchRow row = benchModel("stories260K-F32", params.storiesModel, params, ctx);
        addLlama(row);
        r.rows.push_back(row);
    }
    if (params.randomModel) {
        ScratchDir dir(params.tempParent, "eval-bench");
        for (const DType type : params.randomTypes) {
            const std::string name = "random100M-" + typeLabel(type);
            const std::string path = (dir.path() / (name + ".gguf")).string();
            ctx.report(0.0, "writing " + name);
            const auto t0 = Clock::now();
            (void)writeRandomLlamaGguf(path, params.shape, type, 20250220, ctx);
            const double writeSeconds = secondsSince(t0);
            EvalBenchRow row = benchModel(name, path, params, ctx);
            row.writeSeconds = writeSeconds;
            addLlama(row);
            r.rows.push_back(row);
            std::error_code ec;
            fs::remove(path, ec); // keep at most one model on disk
        }
    }
    ctx.report(1.0, "measuring triad and GEMM");
    r.host = eval::measureHost(params.threads, params.gemmSizes);
    return r;
}

} // namespace cwb::bench
