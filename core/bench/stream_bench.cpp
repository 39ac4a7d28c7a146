// SPDX-License-Identifier: MIT
#include "bench/stream_bench.h"

#include "analysis/model_analysis.h"
#include "bench/bench_util.h"
#include "formats/float_formats.h"
#include "host/memory_status.h"
#include "io/open_model.h"
#include "pipeline/archive.h"
#include "pipeline/pipeline.h"
#include "recipe/recipe.h"
#include "recipe/resolve.h"
#include "util/error.h"
#include "util/text_format.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>
#include <vector>

namespace cwb::bench {
namespace {

namespace fs = std::filesystem;

// Samples RssAnon and RssFile every 20 ms while alive.
class MemorySampler {
public:
    MemorySampler() : thread_([this] { run(); }) {}
    ~MemorySampler()
    {
        {
            std::lock_guard lock(mutex_);
            stop_ = true;
        }
        wake_.notify_all();
        thread_.join();
    }
    void finish(StreamPhase &phase)
    {
        sample();
        std::lock_guard lock(mutex_);
        phase.peakAnonMiB = anon_;
        phase.peakFileMiB = file_;
    }

private:
    void sample()
    {
        const double a = host::procStatusMiB("RssAnon"), f = host::procStatusMiB("RssFile");
        std::lock_guard lock(mutex_);
        anon_ = std::max(anon_, a);
        file_ = std::max(file_, f);
    }
    void run()
    {
        std::unique_lock lock(mutex_);
        while (!stop_) {
            lock.unlock();
            sample();
            lock.lock();
            wake_.wait_for(lock, std::chrono::milliseconds(20));
        }
    }
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stop_ = false;
    double anon_ = 0, file_ = 0;
    std::thread thread_;
};

struct TensorSpec {
    std::string name;
    std::vector<int64_t> shape; // outermost first
    uint64_t offset = 0;        // relative to the data section
};

class HeaderBytes {
public:
    void u32(uint32_t v) { put(&v, 4); }
    void u64(uint64_t v) { put(&v, 8); }
    void str(const std::string &s)
    {
        u64(s.size());
        put(s.data(), s.size());
    }
    void kvString(const std::string &k, const std::string &v)
    {
        str(k);
        u32(8);
        str(v);
    }
    void kvU32(const std::string &k, uint32_t v)
    {
        str(k);
        u32(4);
        u32(v);
    }
    std::string bytes;

private:
    void put(const void *p, size_t n) { bytes.append(static_cast<const char *>(p), n); }
};

constexpr uint64_t kAlign = 32;
uint64_t alignUp(uint64_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

std::vector<TensorSpec> llamaTensors(const StreamBenchParams &p)
{
    std::vector<TensorSpec> t;
    const int64_t kvDim = p.dim; // no GQA: the 7B shape
    t.push_back({"token_embd.weight", {p.vocab, p.dim}});
    for (int64_t l = 0; l < p.layers; ++l) {
        const std::string b = "blk." + std::to_string(l) + ".";
        t.push_back({b + "attn_norm.weight", {p.dim}});
        t.push_back({b + "attn_q.weight", {p.dim, p.dim}});
        t.push_back({b + "attn_k.weight", {kvDim, p.dim}});
        t.push_back({b + "attn_v.weight", {kvDim, p.dim}});
        t.push_back({b + "attn_output.weight", {p.dim, p.dim}});
        t.push_back({b + "ffn_norm.weight", {p.dim}});
        t.push_back({b + "ffn_gate.weight", {p.hidden, p.dim}});
        t.push_back({b + "ffn_up.weight", {p.hidden, p.dim}});
        t.push_back({b + "ffn_down.weight", {p.dim, p.hidden}});
    }
    t.push_back({"output_norm.weight", {p.dim}});
    t.push_back({"output.weight", {p.vocab, p.dim}});
    return t;
}

void pwriteAll(int fd, const void *data, size_t n, uint64_t at, const std::string &path)
{
    const char *p = static_cast<const char *>(data);
    while (n > 0) {
        const ssize_t w = ::pwrite(fd, p, n, static_cast<off_t>(at));
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            throwIn(path, std::string("cannot write: ") + std::strerror(errno));
        p += w;
        n -= static_cast<size_t>(w);
        at += static_cast<uint64_t>(w);
    }
}

// The sparse GGUF; returns its apparent size.
uint64_t writeSparseGguf(const std::string &path, const StreamBenchParams &p,
                         StreamBenchResult &r, const JobContext &job)
{
    std::vector<TensorSpec> tensors = llamaTensors(p);
    uint64_t offset = 0;
    for (TensorSpec &t : tensors) {
        t.offset = offset;
        uint64_t n = 1;
        for (int64_t d : t.shape)
            n *= static_cast<uint64_t>(d);
        offset = alignUp(offset + 2 * n);
        r.parameters += static_cast<int64_t>(n);
    }
    r.tensors = static_cast<int64_t>(tensors.size());
    HeaderBytes h;
    h.bytes = "GGUF";
    h.u32(3);
    h.u64(tensors.size());
    h.u64(8);
    h.kvString("general.architecture", "llama");
    h.kvString("general.name", "cwb bench stream (sparse)");
    h.kvU32("llama.context_length", 4096);
    h.kvU32("llama.embedding_length", static_cast<uint32_t>(p.dim));
    h.kvU32("llama.block_count", static_cast<uint32_t>(p.layers));
    h.kvU32("llama.feed_forward_length", static_cast<uint32_t>(p.hidden));
    h.kvU32("llama.attention.head_count", static_cast<uint32_t>(p.heads));
    h.kvU32("llama.attention.head_count_kv", static_cast<uint32_t>(p.heads));
    for (const TensorSpec &t : tensors) {
        h.str(t.name);
        h.u32(static_cast<uint32_t>(t.shape.size()));
        for (auto it = t.shape.rbegin(); it != t.shape.rend(); ++it) // ne[]: innermost first
            h.u64(static_cast<uint64_t>(*it));
        h.u32(1); // F16
        h.u64(t.offset);
    }
    const uint64_t dataStart = alignUp(h.bytes.size());
    h.bytes.resize(dataStart, '\0');
    const uint64_t total = dataStart + offset;

    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        throwIn(path, std::string("cannot create: ") + std::strerror(errno));
    try {
        pwriteAll(fd, h.bytes.data(), h.bytes.size(), 0, path);
        if (::ftruncate(fd, static_cast<off_t>(total)) != 0)
            throwIn(path, std::string("cannot size the file: ") + std::strerror(errno));
        std::mt19937_64 rng(p.seed);
        std::normal_distribution<float> normal(0.0f, 0.02f);
        std::vector<uint16_t> row;
        for (size_t i = 0; i < tensors.size(); ++i) {
            job.checkCancelled();
            job.report(double(i) / double(tensors.size()), "write " + tensors[i].name);
            const TensorSpec &t = tensors[i];
            const int64_t cols = t.shape.back();
            const int64_t rows = t.shape.size() > 1 ? t.shape[0] : 1;
            row.resize(static_cast<size_t>(cols));
            for (int64_t rr = 0; rr < rows; rr += p.rowStride) {
                for (auto &v : row)
                    v = floatToFp16(t.shape.size() > 1 ? normal(rng) : 1.0f);
                pwriteAll(fd, row.data(), row.size() * 2,
                          dataStart + t.offset + static_cast<uint64_t>(rr * cols) * 2, path);
            }
        }
    } catch (...) {
        ::close(fd);
        throw;
    }
    ::close(fd);
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0)
        r.allocatedBytes = static_cast<uint64_t>(st.st_blocks) * 512;
    return total;
}

} // namespace

StreamBenchResult runStreamBench(const StreamBenchParams &params, const JobContext &job)
{
    if (params.rowStride < 1 || params.dim < 32 || params.dim % 32 != 0 || params.layers < 1
        || params.hidden < 32 || params.hidden % 32 != 0 || params.vocab < 1 || params.heads < 1)
        throw Error("bench stream: dimensions must be multiples of 32 and counts positive");
    ScratchDir scratch(params.tempParent, "bench-stream");
    const std::string path = (scratch.path() / "model-7b-shaped.gguf").string();
    StreamBenchResult r;
    host::resetPeakRss();
    MemorySampler sampler;
    auto t0 = Clock::now();
    r.fileBytes = writeSparseGguf(path, params, r, job.stage(0.0, 0.05, "write"));
    r.write.seconds = secondsSince(t0);
    sampler.finish(r.write);

    t0 = Clock::now();
    const Model model = io::openModel(path);
    r.open.seconds = secondsSince(t0);
    {
        MemorySampler s;
        s.finish(r.open);
    }

    {
        MemorySampler s;
        t0 = Clock::now();
        ModelAnalysisParams ap;
        ap.spectra = false;
        ap.threads = params.threads;
        const ModelAnalysis analysis = analyzeModel(model, ap, job.stage(0.05, 0.5, "analyze"));
        r.analyze.seconds = secondsSince(t0);
        s.finish(r.analyze);
    }

    {
        MemorySampler s;
        t0 = Clock::now();
        const std::string recipe = R"({"version": 1, "rules": [{"match": "*", "methods": [{"method": ")"
                                   + params.method + R"("}]}]})";
        const Plan plan = resolvePlan(parseRecipe(recipe, "bench-stream.json"), model);
        requireValidPlan(plan);
        // What `cwb compress --out` runs: the pipeline (tensors in parallel) writing each
        // tensor into the archive as it finishes and dropping it.
        CompressParams cp;
        cp.threads = params.threads;
        cp.recipeJson = recipe;
        cp.keepStoredData = false;
        cp.memoryBudgetBytes = params.memoryBudgetBytes;
        const std::string archive = (scratch.path() / "model-7b-shaped.cwbarchive").string();
        const CompressedModel made =
            writeArchiveStreamed(archive, [&](const ArchiveTensorSink &sink) {
                return compressModel(model, plan, cp, job.stage(0.5, 1.0, "compress"),
                                     [&](const CompressedTensor &t, size_t, size_t) { sink(t); });
            });
        r.storedBytes = made.totals.compressedBytes;
        r.archiveBytes = fs::file_size(archive);
        r.compress.seconds = secondsSince(t0);
        s.finish(r.compress);
    }
    r.vmHwmMiB = host::peakRssMiB();
    return r;
}

std::string streamBenchText(const StreamBenchParams &p, const StreamBenchResult &r)
{
    std::ostringstream o;
    const double gib = 1024.0 * 1024.0 * 1024.0;
    const double budgetMiB = double(p.budgetBytes) / (1024.0 * 1024.0);
    o << formatted("model: llama %lld x %lld (FFN %lld, vocab %lld), %lld tensors, %.2f B "
                   "parameters, F16\n",
                   (long long)p.layers, (long long)p.dim, (long long)p.hidden, (long long)p.vocab,
                   (long long)r.tensors, double(r.parameters) / 1e9);
    o << formatted("file:  %.2f GiB apparent, %.2f GiB on disk (one row in %lld written)\n",
                   double(r.fileBytes) / gib, double(r.allocatedBytes) / gib,
                   (long long)p.rowStride);
    o << formatted("%-10s %10s %16s %16s\n", "phase", "seconds", "peak anon MiB", "peak file MiB");
    const auto line = [&](const char *name, const StreamPhase &ph) {
        o << formatted("%-10s %10.2f %16.1f %16.1f\n", name, ph.seconds, ph.peakAnonMiB,
                       ph.peakFileMiB);
    };
    line("write", r.write);
    line("open", r.open);
    line("analyze", r.analyze);
    line(("compress " + p.method).c_str(), r.compress);
    o << formatted("(compress: tensors in flight within a working-memory budget of %.0f MiB, "
                   "estimated per tensor)\n",
                   double(p.memoryBudgetBytes) / (1024.0 * 1024.0));
    const double peakAnon = std::max({r.write.peakAnonMiB, r.open.peakAnonMiB,
                                      r.analyze.peakAnonMiB, r.compress.peakAnonMiB});
    o << formatted("compressed: %.2f GiB (%.2f bits/weight); archive file %.2f GiB (deflated; "
                   "the holes compress)\n",
                   double(r.storedBytes) / gib,
                   r.parameters > 0 ? 8.0 * double(r.storedBytes) / double(r.parameters) : 0.0,
                   double(r.archiveBytes) / gib);
    o << formatted("peak RSS (VmHWM, anon + mapped file pages): %.1f MiB\n", r.vmHwmMiB);
    o << formatted("peak anonymous memory: %.1f MiB, target <= %.0f MiB: %s\n", peakAnon,
                   budgetMiB, peakAnon <= budgetMiB ? "met" : "NOT met");
    return o.str();
}

} // namespace cwb::bench
