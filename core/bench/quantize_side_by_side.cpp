// SPDX-License-Identifier: MIT
#include "bench/quantize_side_by_side.h"
#include "bench/bench_util.h"

#include "bench/eval_bench.h"
#include "bench/llama_logs.h"
#include "bench/tool_process.h"
#include "formats/ggml_quantize.h"
#include "io/open_model.h"
#include "model/model.h"
#include "util/error.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <span>
#include <vector>

namespace cwb::bench {
namespace {

bool isMatrix(const Tensor &t) { return t.shape.size() == 2 && t.dtype == DType::F32; }

} // namespace

// The quantizer rows' shapes (compress_bench.h) as one llama layer.
RandomLlamaShape quantizeSideBySideShape()
{
    RandomLlamaShape s;
    s.dim = 4096;
    s.layers = 1;
    s.heads = 32;
    s.kvHeads = 32;
    s.hidden = 11008;
    s.vocab = 1024;
    s.context = 1024;
    return s;
}

QuantizeSideBySideResult runQuantizeSideBySide(const QuantizeSideBySideParams &p,
                                               const JobContext &ctx)
{
    if (p.llamaQuantizePath.empty())
        throwIn("bench compress", "no llama-quantize given");
    if (!ggmlCanQuantize(p.type))
        throwIn("bench compress", std::string(dtypeName(p.type)) + " is not a ggml block type");
    if (p.threads < 1 || p.repeats < 1)
        throwIn("bench compress", "threads and repeats must be positive");
    QuantizeSideBySideResult r;
    r.type = std::string(dtypeName(p.type));
    const ScratchDir dir(p.tempParent, "quantize");
    const std::string in = (dir.path() / "random-f32.gguf").string();
    const std::string out = (dir.path() / ("random-" + r.type + ".gguf")).string();
    ctx.report(0.0, "writing the F32 model for llama-quantize");
    (void)writeRandomLlamaGguf(in, p.shape, DType::F32, p.seed, ctx);

    // Theirs: the tool's own timing line, best of `repeats`.
    ToolRun run;
    run.argv = {p.llamaQuantizePath, "--pure", in, out, r.type, std::to_string(p.threads)};
    run.workDir = dir.path().string();
    run.logStem = "quantize-" + r.type;
    r.command = commandLine({p.llamaQuantizePath, "--pure", "IN", "OUT", r.type,
                             std::to_string(p.threads)});
    r.llamaSeconds = 1e30;
    for (int rep = 0; rep < p.repeats; ++rep) {
        ctx.report(0.2, "running llama-quantize");
        const ToolOutput o = runTool(run, ctx);
        const QuantizeFigures f = parseQuantizeLog(o.log(), p.llamaQuantizePath);
        if (!f.quantizeMs)
            throwIn(p.llamaQuantizePath, "no \"main: quantize time = N ms\" line in its output");
        r.llamaSeconds = std::min(r.llamaSeconds, *f.quantizeMs / 1e3);
        r.llamaMiB = f.quantMegabytes;
    }

    // Ours: read + quantize every matrix of the same file, best of `repeats`.
    const Model model = io::openModel(in);
    std::map<std::string, std::vector<std::byte>> ours;
    r.oursSeconds = 1e30;
    for (int rep = 0; rep < p.repeats; ++rep) {
        ctx.report(0.6, "running ours");
        std::map<std::string, std::vector<std::byte>> bytes;
        int64_t weights = 0;
        // One float buffer for every matrix, as llama-quantize keeps one: fresh memory for each
        // would time page faults (~20 us per 4 KiB page on this project's VMs), not quantizing.
        std::vector<float> x;
        const auto start = std::chrono::steady_clock::now();
        for (const Tensor &t : model.tensors) {
            if (!isMatrix(t))
                continue;
            x.resize(static_cast<size_t>(t.numel()));
            t.toFloat(std::span<float>(x));
            bytes[t.name] = ggmlQuantizeRows(p.type, x.data(), t.rows(), t.rowLength(), nullptr, ctx);
            weights += t.numel();
        }
        r.oursSeconds = std::min(r.oursSeconds, secondsSince(start));
        r.weights = weights;
        ours = std::move(bytes);
    }
    r.matrices = static_cast<int64_t>(ours.size());
    for (const Tensor &t : model.tensors)
        if (isMatrix(t))
            r.inputMiB += static_cast<double>(t.byteSize) / 1048576.0;
    for (const auto &[name, b] : ours)
        r.oursMatrixMiB += static_cast<double>(b.size()) / 1048576.0;

    // Their bytes against ours, matrix by matrix.
    ctx.report(0.9, "comparing the bytes");
    const Model theirs = io::openModel(out);
    for (const auto &entry : ours) {
        const std::string &name = entry.first; // a plain reference: clang < 16 cannot capture
        const std::vector<std::byte> &b = entry.second; // a structured binding in a lambda
        const auto it = std::find_if(theirs.tensors.begin(), theirs.tensors.end(),
                                     [&](const Tensor &t) { return t.name == name; });
        std::string why;
        if (it == theirs.tensors.end())
            why = "missing from llama-quantize's file";
        else if (it->dtype != p.type)
            why = "stored as " + std::string(dtypeName(it->dtype)) + " by llama-quantize";
        else if (it->data.size() != b.size()
                 || (!b.empty() && std::memcmp(it->data.data(), b.data(), b.size()) != 0))
            why = "bytes differ";
        if (why.empty())
            ++r.identicalMatrices;
        else if (r.firstDifference.empty())
            r.firstDifference = name + ": " + why;
    }
    return r;
}

} // namespace cwb::bench
