// SPDX-License-Identifier: MIT
#include "bench/eval_bench.h"
#include "bench/bench_util.h"
#include "bench/llama_bench.h"

#include "compress/compressed_model.h"
#include "eval/engine.h"
#include "eval/linear_weights.h"
#include "eval/throughput.h"
#include "formats/float_formats.h"
#include "formats/ggml_quantize.h"
#include "io/gguf_writer.h"
#include "io/open_model.h"
#include "methods/ggml_methods.h"
#include "model/meta_value.h"
#include "pipeline/pipeline.h"
#include "recipe/llama_mixture.h"
#include "recipe/resolve.h"
#include "util/error.h"

#include <nlohmann/json.hpp>
#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
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
    if (type == DType::F16) {
        std::vector<std::byte> b(values.size() * sizeof(uint16_t));
        for (size_t i = 0; i < values.size(); ++i) {
            const uint16_t h = floatToFp16(values[i]);
            std::memcpy(b.data() + 2 * i, &h, sizeof h);
        }
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

EvalBenchRow benchModel(const std::string &name, const Model &model, const EvalBenchParams &p,
                        const JobContext &ctx, const CompressedReplacements &replacements = {})
{
    ctx.report(0.0, "benchmarking " + name);
    EngineOptions options;
    options.threads = p.threads;
    options.emulateQ8Activations = p.intActivations;
    options.replacements = replacements.matrices;
    options.vectorReplacements = replacements.vectors;
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
    row.prefillTokPerSMean = t.prefillTokensPerSecondMean;
    row.decodeTokPerSMean = t.decodeTokensPerSecondMean;
    row.decodeP50Ms = t.decodeP50Ms;
    row.decodeP95Ms = t.decodeP95Ms;
    // Decode reads every matrix once per token, except the embedding (one row) when the head
    // is a matrix of its own.
    uint64_t embedBytes = 0;
    if (model.findTensor("head")) {
        if (const auto it = replacements.matrices.find("embed"); it != replacements.matrices.end())
            embedBytes = it->second->storedBytes();
        else if (const Tensor *e = model.findTensor("embed"))
            embedBytes = e->byteSize;
    }
    row.decodeBytesPerToken = row.weightBytes - std::min(embedBytes, row.weightBytes);
    row.decodeGBps = static_cast<double>(row.decodeBytesPerToken) * row.decodeTokPerS / 1e9;
    // matrix FLOPs per token (attention over the growing prompt left out: small at 512 tokens)
    const double flopsPerToken = eval::decodeCost(model.hparams, 0, 0, 0).flopsPerToken;
    row.prefillGflops = flopsPerToken * row.prefillTokPerS / 1e9;
    return row;
}

EvalBenchRow benchModel(const std::string &name, const std::string &path, const EvalBenchParams &p,
                        const JobContext &ctx)
{
    return benchModel(name, io::openModel(path), p, ctx);
}

// A SentencePiece-style vocabulary of `size` made-up pieces, so that llama.cpp loads the file
// (it refuses a llama model without tokenizer.ggml.model): <unk>, <s>, </s>, the 256 byte
// pieces <0x00> .. <0xFF> as far as the size allows, then "▁t<i>". Token types are llama.cpp's
// (1 normal, 2 unknown, 3 control, 6 byte).
void addRandomVocabulary(io::GgufWriter &w, int64_t size)
{
    MetaValue tokens, scores, types;
    tokens.kind = scores.kind = types.kind = MetaValue::Kind::Array;
    tokens.typeName = "array[string]";
    scores.typeName = "array[f32]";
    types.typeName = "array[i32]";
    for (int64_t i = 0; i < size; ++i) {
        std::string piece;
        int type = 1;
        if (i < 3) {
            piece = i == 0 ? "<unk>" : i == 1 ? "<s>" : "</s>";
            type = i == 0 ? 2 : 3;
        } else if (i < 3 + 256) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "<0x%02X>", unsigned(i - 3));
            piece = buf;
            type = 6;
        } else {
            piece = "\xe2\x96\x81t" + std::to_string(i);
        }
        tokens.array.push_back(MetaValue::ofString(piece));
        scores.array.push_back(MetaValue::ofFloat(-double(i), "f32"));
        types.array.push_back(MetaValue::ofInt(type, "i32"));
    }
    w.addMeta("tokenizer.ggml.model", MetaValue::ofString("llama"));
    w.addMeta("tokenizer.ggml.tokens", std::move(tokens));
    w.addMeta("tokenizer.ggml.scores", std::move(scores));
    w.addMeta("tokenizer.ggml.token_type", std::move(types));
    w.addMeta("tokenizer.ggml.unknown_token_id", MetaValue::ofUInt(0, "u32"));
    if (size > 2) {
        w.addMeta("tokenizer.ggml.bos_token_id", MetaValue::ofUInt(1, "u32"));
        w.addMeta("tokenizer.ggml.eos_token_id", MetaValue::ofUInt(2, "u32"));
    }
}

// "d768-l12-h12-kv4-f2048-v32000-c1024-o1-s20250220": what a cached file's values depend on.
std::string shapeTag(const RandomLlamaShape &s, uint64_t seed)
{
    return "d" + std::to_string(s.dim) + "-l" + std::to_string(s.layers) + "-h"
           + std::to_string(s.heads) + "-kv" + std::to_string(s.kvHeads) + "-f"
           + std::to_string(s.hidden) + "-v" + std::to_string(s.vocab) + "-c"
           + std::to_string(s.context) + "-o" + (s.separateOutput ? "1" : "0") + "-s"
           + std::to_string(seed);
}

// The types llama-quantize's Q4_K_M gives the random model, by GGUF name: the mixture's rules
// applied to the F32 file (one place for them: recipe/llama_mixture.h).
std::map<std::string, DType> q4kmTypes(const Model &f32)
{
    const Recipe mixture = llamaCppMixture(f32, "Q4_K_M");
    std::map<std::string, DType> byCanonical;
    for (const RecipeOverride &o : mixture.overrides) {
        const auto type = o.methods.empty() ? std::nullopt : ggmlMethodType(o.methods[0].method);
        byCanonical[o.tensor] = type.value_or(DType::F16); // F16 is the mixture's last fallback
    }
    std::map<std::string, DType> byName;
    for (const Tensor &t : f32.tensors)
        if (const auto it = byCanonical.find(t.canonical); it != byCanonical.end())
            byName[t.name] = it->second;
    return byName;
}

EvalBenchResult runSideBySide(const EvalBenchParams &p, const JobContext &ctx)
{
    constexpr uint64_t kSeed = 20250220;
    EvalBenchResult r;
    r.threads = p.threads;
    r.promptTokens = p.promptTokens;
    r.genTokens = p.genTokens;

    std::optional<ScratchDir> scratch;
    fs::path dir;
    if (p.cacheDir.empty()) {
        scratch.emplace(p.tempParent, "eval-bench");
        dir = scratch->path();
    } else {
        dir = p.cacheDir;
        std::error_code ec;
        fs::create_directories(dir, ec);
        if (ec)
            throwIn(p.cacheDir, "cannot create the cache directory: " + ec.message());
    }
    const std::string tag = shapeTag(p.shape, kSeed);
    int reused = 0, written = 0;
    // The file of one type, written unless an earlier run left it (GgufWriter writes atomically,
    // so a file that exists is whole).
    const auto file = [&](const std::string &type, const RandomTensorTypes &typeOf) {
        const fs::path path = dir / ("random-" + tag + "-" + type + ".gguf");
        if (fs::exists(path)) {
            ++reused;
            return path.string();
        }
        ctx.report(0.0, "writing the random model as " + type);
        (void)writeRandomLlamaGguf(path.string(), p.shape, typeOf, kSeed, ctx);
        ++written;
        return path.string();
    };
    std::vector<std::pair<std::string, std::string>> ggufs; // row name, path
    for (const DType t : {DType::F32, DType::Q8_0, DType::Q4_0}) {
        ggufs.emplace_back(typeLabel(t), file(typeLabel(t), [t](const std::string &name) {
                               // llama-quantize gives the output matrix Q6_K in a Q4_0 file
                               return name == "output.weight" && t == DType::Q4_0 ? DType::Q6_K
                                                                                   : t;
                           }));
    }
    const Model f32 = io::openModel(ggufs.front().second);
    const auto q4km = q4kmTypes(f32);
    ggufs.emplace_back("Q4_K_M", file("Q4_K_M", [&](const std::string &name) {
                           const auto it = q4km.find(name);
                           return it == q4km.end() ? DType::F32 : it->second;
                       }));
    r.filesNote = std::to_string(written) + " written, " + std::to_string(reused) + " reused in "
                  + dir.string() + (p.cacheDir.empty() ? " (removed at the end)" : "");

    // llama-bench runs on one file just before our engine runs on it, so both sides of a row see
    // the machine in the same minute (a shared machine's load drifts over a whole table).
    LlamaBenchParams lb;
    lb.tool = p.llamaBenchPath;
    lb.threads = p.threads;
    lb.promptTokens = p.promptTokens;
    lb.genTokens = p.genTokens;
    lb.repetitions = p.repetitions;
    lb.workDir = dir.string();
    for (size_t i = 0; i < ggufs.size(); ++i) {
        lb.models = {ggufs[i].second};
        if (i == 0) {
            r.llamaBenchCommand = llamaBenchArguments(lb);
            r.llamaBenchCommand.at(2) = "FILE";
        }
        ctx.report(0.0, "running llama-bench on " + ggufs[i].first);
        const std::vector<LlamaBenchFigure> theirs = runLlamaBench(lb, ctx);
        EvalBenchRow row = benchModel(ggufs[i].first, ggufs[i].second, p, ctx);
        row.llamaPrefillTokPerS = theirs.at(0).prefillTokPerS;
        row.llamaDecodeTokPerS = theirs.at(0).decodeTokPerS;
        row.llamaMeasured = true;
        r.rows.push_back(row);
    }
    // Our own forms on every matrix, as `cwb compress` stores them: rtn 4-bit symmetric (the
    // integer group kernels), nf4 and nvfp4 (integer levels), rtn 2-bit and ternary (the 2-bit group
    // kernel), fp8 (the fused float kernel) and 2:4-pruned rtn 4-bit (its zeros stored as
    // codes: no sparse kernel, so the speed of its dense codes).
    struct OwnForm {
        std::string name;
        int64_t multiple; // dim and hidden must be multiples of it
        std::string methods;
    };
    const std::vector<OwnForm> forms{
        {"rtn4 g32", 32, R"({"method": "rtn", "params": {"bits": 4, "group": 32}})"},
        {"rtn4 g128", 128, R"({"method": "rtn", "params": {"bits": 4, "group": 128}})"},
        {"nf4 b64", 64, R"({"method": "nf4"})"},
        {"nvfp4", 32, R"({"method": "nvfp4"})"},
        {"rtn2 g64", 64, R"({"method": "rtn", "params": {"bits": 2, "group": 64}})"},
        {"ternary", 32, R"({"method": "ternary"})"},
        {"fp8 e4m3", 32, R"({"method": "fp8_e4m3"})"},
        {"2:4 rtn4", 128,
         R"({"method": "magnitude", "params": {"nm": "2:4"}}, )"
         R"({"method": "rtn", "params": {"bits": 4, "group": 128}})"},
    };
    for (const OwnForm &form : forms) {
        if (p.shape.dim % form.multiple != 0 || p.shape.hidden % form.multiple != 0)
            continue;
        const std::string &name = form.name;
        ctx.report(0.0, "compressing " + name);
        const Recipe recipe = parseRecipe(
            R"({"version": 1, "defaults": {"methods": [)" + form.methods + "]}}", name);
        const Plan plan = resolvePlan(recipe, f32);
        requireValidPlan(plan);
        CompressParams cp;
        cp.threads = p.threads;
        cp.outputError = false;
        const CompressedModel packed = compressModel(f32, plan, cp, ctx.cancelOnly());
        EvalBenchRow row = benchModel(name, f32, p, ctx, replacementsOf(packed));
        r.rows.push_back(row);
    }
    return r;
}

} // namespace

int64_t writeRandomLlamaGguf(const std::string &path, const RandomLlamaShape &s, DType matrixType,
                             uint64_t seed, const JobContext &ctx)
{
    if (matrixType != DType::F32 && matrixType != DType::Q8_0 && matrixType != DType::Q4_0)
        throwIn(path,
                "random models are written as F32, Q8_0 or Q4_0, not " + typeLabel(matrixType));
    return writeRandomLlamaGguf(
        path, s,
        [&](const std::string &name) {
            // llama-quantize gives the output matrix Q6_K in a Q4_0 file
            return name == "output.weight" && matrixType == DType::Q4_0 ? DType::Q6_K
                                                                         : matrixType;
        },
        seed, ctx);
}

int64_t writeRandomLlamaGguf(const std::string &path, const RandomLlamaShape &s,
                             const RandomTensorTypes &typeOf, uint64_t seed, const JobContext &ctx)
{
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
    addRandomVocabulary(w, s.vocab);

    int64_t parameters = 0;
    uint64_t stream = seed;
    auto matrix = [&](const std::string &name, int64_t rows, int64_t cols) {
        ctx.checkCancelled();
        const DType type = typeOf(name);
        if (cols % dtypeInfo(type).blockElems != 0)
            throwIn(path, name + ": rows of " + std::to_string(cols) + " values are not whole "
                              + typeLabel(type) + " blocks");
        const auto values = randomMatrix(rows, cols, 0.02, ++stream);
        w.addTensor(name, type, {rows, cols}, encode(type, values, rows, cols));
        parameters += rows * cols;
    };
    auto ones = [&](const std::string &name) {
        const std::vector<float> v(static_cast<size_t>(s.dim), 1.0f);
        w.addTensor(name, DType::F32, {s.dim}, encode(DType::F32, v, 1, s.dim));
        parameters += s.dim;
    };

    matrix("token_embd.weight", s.vocab, s.dim);
    for (int64_t l = 0; l < s.layers; ++l) {
        const std::string b = "blk." + std::to_string(l) + ".";
        ones(b + "attn_norm.weight");
        matrix(b + "attn_q.weight", s.dim, s.dim);
        matrix(b + "attn_k.weight", kvDim, s.dim);
        matrix(b + "attn_v.weight", kvDim, s.dim);
        matrix(b + "attn_output.weight", s.dim, s.dim);
        ones(b + "ffn_norm.weight");
        matrix(b + "ffn_gate.weight", s.hidden, s.dim);
        matrix(b + "ffn_up.weight", s.hidden, s.dim);
        matrix(b + "ffn_down.weight", s.dim, s.hidden);
    }
    ones("output_norm.weight");
    if (s.separateOutput)
        matrix("output.weight", s.vocab, s.dim);
    w.write(path);
    return parameters;
}

EvalBenchResult runEvalBench(const EvalBenchParams &params, const JobContext &ctx)
{
    if (params.threads < 1)
        throwIn("bench eval", "threads must be at least 1");
    if (!params.llamaBenchPath.empty()) {
        EvalBenchResult r = runSideBySide(params, ctx);
        ctx.report(1.0, "measuring triad and GEMM");
        r.host = eval::measureHost(params.threads, params.gemmSizes);
        return r;
    }
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
        // The reference figures (--figures) are stories260K's: any other --model is named by
        // its file and gets none.
        const std::string stem = fs::path(params.storiesModel).stem().string();
        const std::string name = stem == "stories260K" ? "stories260K-F32" : stem;
        EvalBenchRow row = benchModel(name, params.storiesModel, params, ctx);
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
