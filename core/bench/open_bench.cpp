// SPDX-License-Identifier: MIT
#include "bench/open_bench.h"
#include "bench/bench_util.h"

#include "host/memory_status.h"
#include "host/triad.h"
#include "io/open_model.h"
#include "io/safetensors_writer.h"
#include "tensor/dequantize.h"
#include "util/error.h"

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/combinable.h>
#include <oneapi/tbb/enumerable_thread_specific.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/partitioner.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <unistd.h>

namespace cwb::bench {
namespace fs = std::filesystem;

namespace {



// Llama-like shapes; the layer count is chosen to reach the requested size.
struct Shapes {
    int64_t dim, hidden, vocab, heads, kvHeads, layers;
};

Shapes shapesFor(uint64_t bytes, uint64_t elemBytes)
{
    Shapes s;
    if (bytes >= (1ull << 30))
        s = {2048, 5632, 32000, 32, 4, 0}; // TinyLlama-1.1B widths
    else if (bytes >= (64ull << 20))
        s = {1024, 2816, 32000, 16, 4, 0};
    else
        s = {256, 688, 4096, 8, 4, 0};
    const int64_t kvDim = s.dim / s.heads * s.kvHeads;
    const uint64_t layerBytes = elemBytes
                                * static_cast<uint64_t>(2 * s.dim * s.dim + 2 * kvDim * s.dim
                                                        + 3 * s.hidden * s.dim + 2 * s.dim);
    const uint64_t fixedBytes = elemBytes * static_cast<uint64_t>(2 * s.vocab * s.dim + s.dim);
    s.layers = bytes > fixedBytes
                   ? static_cast<int64_t>((bytes - fixedBytes + layerBytes / 2) / layerBytes)
                   : 1;
    s.layers = std::max<int64_t>(1, s.layers);
    return s;
}

uint64_t splitmix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

// A 16-bit float with random sign and mantissa and a magnitude in [2^-9, 2^-1): weight-like,
// never NaN or infinite.
uint16_t randomHalfBits(uint16_t r, DType dtype)
{
    const uint16_t sign = r & 0x8000u;
    const uint16_t exp = (r >> 12) & 0x7u;
    if (dtype == DType::BF16)
        return static_cast<uint16_t>(sign | ((118u + exp) << 7) | (r & 0x7fu));
    return static_cast<uint16_t>(sign | ((6u + exp) << 10) | (r & 0x3ffu));
}

// Progress and cancellation while the generator feeds the writer (on the calling thread).
struct WriteProgress {
    const JobContext &ctx;
    uint64_t total = 0;
    uint64_t done = 0;

    void chunk(uint64_t bytes)
    {
        ctx.checkCancelled(); // between 8 MB chunks: a 2 GB write stops promptly
        done += bytes;
        if (total > 0)
            ctx.report(0.5 * static_cast<double>(done) / static_cast<double>(total), "writing");
    }
};

io::SafetensorsTensor randomTensor(std::string name, std::vector<int64_t> shape, DType dtype,
                                   uint64_t seed, WriteProgress &progress)
{
    io::SafetensorsTensor t;
    t.name = std::move(name);
    t.dtype = dtype;
    t.shape = std::move(shape);
    t.generate = [dtype, seed, &progress](uint64_t offset, std::span<std::byte> out) {
        progress.chunk(out.size());
        // offset and out.size() are even: the writer asks for whole chunks of a 2-byte tensor.
        const uint64_t first = offset / 2;
        const size_t n = out.size() / 2;
        tbb::parallel_for(tbb::blocked_range<size_t>(0, n, 1 << 16), [&](const auto &r) {
            for (size_t i = r.begin(); i < r.end(); ++i) {
                const uint64_t e = first + i;
                const uint64_t bits = splitmix(seed ^ (e >> 2));
                const auto v = randomHalfBits(static_cast<uint16_t>(bits >> (16 * (e & 3))), dtype);
                std::memcpy(out.data() + 2 * i, &v, 2);
            }
        });
    };
    return t;
}

std::vector<io::SafetensorsTensor> modelTensors(const Shapes &s, DType dtype, uint64_t seed,
                                                WriteProgress &progress)
{
    const int64_t kvDim = s.dim / s.heads * s.kvHeads;
    std::vector<io::SafetensorsTensor> ts;
    uint64_t id = seed * 1000003;
    const auto add = [&](std::string name, std::vector<int64_t> shape) {
        ts.push_back(
            randomTensor(std::move(name), std::move(shape), dtype, splitmix(++id), progress));
    };
    add("model.embed_tokens.weight", {s.vocab, s.dim});
    for (int64_t l = 0; l < s.layers; ++l) {
        const std::string p = "model.layers." + std::to_string(l) + ".";
        add(p + "input_layernorm.weight", {s.dim});
        add(p + "self_attn.q_proj.weight", {s.dim, s.dim});
        add(p + "self_attn.k_proj.weight", {kvDim, s.dim});
        add(p + "self_attn.v_proj.weight", {kvDim, s.dim});
        add(p + "self_attn.o_proj.weight", {s.dim, s.dim});
        add(p + "post_attention_layernorm.weight", {s.dim});
        add(p + "mlp.gate_proj.weight", {s.hidden, s.dim});
        add(p + "mlp.up_proj.weight", {s.hidden, s.dim});
        add(p + "mlp.down_proj.weight", {s.dim, s.hidden});
    }
    add("model.norm.weight", {s.dim});
    add("lm_head.weight", {s.vocab, s.dim});
    return ts;
}

uint64_t tensorBytes(const io::SafetensorsTensor &t)
{
    int64_t n = 1;
    for (auto d : t.shape)
        n *= d;
    return static_cast<uint64_t>(n) * 2;
}

// The smallest shard size limit (to within 1/64) for which the writer's greedy in-order split
// produces at most `shards` files: total/shards alone usually spills into one extra shard.
uint64_t shardLimit(const std::vector<io::SafetensorsTensor> &tensors, uint64_t total, int shards)
{
    const auto count = [&](uint64_t limit) {
        int n = 0;
        uint64_t fill = 0;
        for (const auto &t : tensors) {
            const uint64_t b = tensorBytes(t);
            if (n == 0 || (fill > 0 && fill + b > limit)) {
                ++n;
                fill = 0;
            }
            fill += b;
        }
        return n;
    };
    uint64_t limit = std::max<uint64_t>(1, (total + static_cast<uint64_t>(shards) - 1)
                                               / static_cast<uint64_t>(shards));
    while (count(limit) > shards)
        limit += std::max<uint64_t>(1, limit / 64);
    return limit;
}

void writeConfig(const fs::path &dir, const Shapes &s, DType dtype)
{
    std::ofstream out(dir / "config.json");
    out << "{\n  \"architectures\": [\"LlamaForCausalLM\"],\n  \"model_type\": \"llama\",\n"
        << "  \"hidden_size\": " << s.dim << ",\n  \"intermediate_size\": " << s.hidden << ",\n"
        << "  \"num_hidden_layers\": " << s.layers << ",\n  \"num_attention_heads\": " << s.heads
        << ",\n"
        << "  \"num_key_value_heads\": " << s.kvHeads << ",\n  \"vocab_size\": " << s.vocab << ",\n"
        << "  \"max_position_embeddings\": 2048,\n  \"rms_norm_eps\": 1e-05,\n"
        << "  \"tie_word_embeddings\": false,\n  \"torch_dtype\": \""
        << (dtype == DType::BF16 ? "bfloat16" : "float16") << "\"\n}\n";
    if (!out)
        throwIn((dir / "config.json").string(), "cannot write");
}

void evictFromPageCache(const std::vector<std::string> &paths)
{
    for (const auto &p : paths) {
        const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            throwIn(p, "cannot open to evict it from the page cache");
        ::fsync(fd); // dirty pages cannot be dropped
        ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
        ::close(fd);
    }
}

// Sum with independent partial sums: one serial double chain would cost more than the conversion.
double chunkSum(std::span<const float> v)
{
    constexpr size_t kLanes = 16;
    std::array<float, kLanes> acc{};
    size_t i = 0;
    for (; i + kLanes <= v.size(); i += kLanes)
        for (size_t l = 0; l < kLanes; ++l)
            acc[l] += v[i + l];
    double sum = 0;
    for (; i < v.size(); ++i)
        sum += v[i];
    for (float a : acc)
        sum += a;
    return sum;
}

struct Chunk {
    const Tensor *tensor;
    int64_t first;
    int64_t count;
};

} // namespace

OpenBenchResult runOpenBench(const OpenBenchParams &params, const JobContext &ctx)
{
    if (params.dtype != DType::BF16 && params.dtype != DType::F16)
        throw Error("bench open: dtype must be BF16 or F16, not "
                    + std::string(dtypeName(params.dtype)));
    OpenBenchResult res;
    ScratchDir dir(params.tempParent, "open-bench");

    // 1. generate
    const Shapes shapes = shapesFor(params.modelBytes, 2);
    WriteProgress progress{ctx};
    const auto tensors = modelTensors(shapes, params.dtype, params.seed, progress);
    uint64_t total = 0;
    for (const auto &t : tensors)
        total += tensorBytes(t);
    progress.total = total;
    const uint64_t perShard = shardLimit(tensors, total, std::max(1, params.shards));
    ctx.report(0.0, "writing a " + std::to_string(total >> 20) + " MiB model");
    auto t0 = Clock::now();
    const auto written =
        io::writeSafetensorsSharded(dir.path().string(), "model", tensors, perShard);
    writeConfig(dir.path(), shapes, params.dtype);
    res.writeSeconds = secondsSince(t0);
    res.modelBytes = written.totalTensorBytes;
    res.shards = static_cast<int>(written.shardPaths.size());
    res.dim = shapes.dim;
    res.layers = shapes.layers;
    ctx.checkCancelled();
    if (params.dropPageCache)
        evictFromPageCache(written.shardPaths);

    // 2. open
    ctx.report(0.5, "opening");
    res.rssBeforeOpenMiB = host::currentRssMiB();
    t0 = Clock::now();
    const Model model = io::openModel(dir.path().string());
    res.openSeconds = secondsSince(t0);
    res.rssAfterOpenMiB = host::currentRssMiB();
    res.rssGrowthOpenMiB = res.rssAfterOpenMiB - res.rssBeforeOpenMiB;
    const auto totals = model.totals();
    res.tensors = totals.tensors;
    res.parameters = totals.parameters;

    // 3. stream every tensor to float32 in bounded chunks
    ctx.report(0.55, "converting to float32");
    constexpr int64_t kChunkValues = 1 << 16;
    std::vector<Chunk> chunks;
    for (const auto &t : model.tensors)
        for (int64_t first = 0; first < t.numel(); first += kChunkValues)
            chunks.push_back({&t, first, std::min(kChunkValues, t.numel() - first)});
    tbb::enumerable_thread_specific<std::vector<float>> buffers(
        [] { return std::vector<float>(kChunkValues); });
    tbb::combinable<double> sums([] { return 0.0; });
    std::atomic<bool> stop{false};
    t0 = Clock::now();
    tbb::parallel_for(tbb::blocked_range<size_t>(0, chunks.size(), 4), [&](const auto &r) {
        if (stop.load(std::memory_order_relaxed) || ctx.cancelled()) {
            stop = true;
            return;
        }
        auto &buf = buffers.local();
        double sum = 0;
        for (size_t k = r.begin(); k < r.end(); ++k) {
            const auto &c = chunks[k];
            const auto out = std::span(buf).first(static_cast<size_t>(c.count));
            const uint64_t elem = static_cast<uint64_t>(dtypeInfo(c.tensor->dtype).blockBytes);
            convertToFloat(c.tensor->dtype,
                           c.tensor->data.subspan(static_cast<size_t>(c.first) * elem,
                                                  static_cast<size_t>(c.count) * elem),
                           out);
            sum += chunkSum(out);
        }
        sums.local() += sum;
    });
    res.convertSeconds = secondsSince(t0);
    ctx.checkCancelled();
    res.checksum = sums.combine(std::plus<double>());
    res.convertGBps = static_cast<double>(res.modelBytes) / res.convertSeconds / 1e9;
    res.rssAfterConvertMiB = host::currentRssMiB();

    // 4. memory bandwidth
    ctx.report(0.9, "STREAM triad");
    res.triadGBps = host::measureTriadGBps(params.triadBytes / (3 * sizeof(double)), params.triadRepeats,
                                     &res.triadSeconds);
    ctx.report(1.0, "done");
    return res;
}

} // namespace cwb::bench
