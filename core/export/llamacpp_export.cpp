// SPDX-License-Identifier: MIT
// exportLlamaCpp: each tensor's ggml type from the registry's recipe forms, the base type by
// weight count, the tensor-type tokens, the command lines and the imatrix entries; the directory
// written through export/export_directory.h and read back before it takes the target's place.
#include "export/llamacpp_export.h"

#include "export/gguf_names.h"
#include "export/hf_config.h"
#include "export/recipe_entries.h"
#include "formats/dtype.h"
#include "util/atomic_directory.h"
#include "util/error.h"
#include "util/write_steps.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace cwb {
namespace {

namespace fs = std::filesystem;

constexpr const char *kTypesFile = "tensor-types.txt";
constexpr const char *kCommandFile = "quantize-command.txt";
constexpr const char *kImatrixFile = "imatrix.dat";
// The first line of kCommandFile: how an earlier export of ours is recognized.
constexpr std::string_view kSignature = "# llama-quantize commands written by cwb export";

// llama-quantize's type argument for a base ggml type. The k-quant mixes (_S, _M) differ only in
// the types they pick per tensor, which the tensor-type file (or --pure) replaces.
std::string ftypeName(const std::string &type)
{
    static const std::map<std::string, std::string> kNames = {
        {"Q3_K", "Q3_K_S"}, {"Q4_K", "Q4_K_S"}, {"Q5_K", "Q5_K_S"}};
    const auto it = kNames.find(type);
    return it != kNames.end() ? it->second : type;
}

bool neverQuantized(const TensorPlan &tp, const std::string &gguf)
{
    return tp.shape.size() < 2 || gguf.ends_with("_norm.weight");
}

// What one quantizable matrix gets.
struct Planned {
    std::string type; // empty: none of its own (the base type)
    bool imatrix = false;
};

void writeText(const fs::path &path, const std::string &text)
{
    writeStep(WriteStepKind::Write, path.string());
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out)
        throwIn(path.string(), std::string("cannot create: ") + std::strerror(errno));
    out << text;
    out.close();
    if (!out)
        throwIn(path.string(), "cannot write");
}

std::string readText(const fs::path &path)
{
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

} // namespace

io::ImatrixEntry imatrixEntryOf(const LinearActivationStats &stats, const std::string &ggufName)
{
    io::ImatrixEntry e;
    e.name = ggufName;
    e.ncall = 1;
    e.values.reserve(stats.meanSquare.size());
    for (size_t j = 0; j < stats.meanSquare.size(); ++j) {
        // The same conversion as the quantizer's importance row: double -> float, nearest.
        const float v = static_cast<float>(stats.meanSquare[j]);
        if (!std::isfinite(v))
            throw Error("imatrix: " + stats.weight + " (" + ggufName + "): mean x^2 of input "
                        "channel " + std::to_string(j) + " is "
                        + std::to_string(stats.meanSquare[j]) + ", not a finite float");
        e.values.push_back(v);
    }
    return e;
}

ExportResult exportLlamaCpp(const LlamaCppExportParams &params, const JobContext &job)
{
    requireLlamaRecipeInputs(params.model, params.plan, "llama.cpp");
    if (params.outDir.empty())
        throw Error("llama.cpp export: no output directory given");
    const Plan &plan = *params.plan;
    const std::vector<RecipeEntry> entries = recipeEntries(plan, &RecipeForms::llamaCpp);

    // Pass 1: each matrix's own type; the base type is the one most of them get (on a tie, the
    // one more weights get).
    std::vector<Planned> planned(entries.size());
    std::map<std::string, std::pair<int64_t, int64_t>> counts; // type -> tensors, weights
    for (size_t i = 0; i < entries.size(); ++i) {
        const TensorPlan &tp = *entries[i].plan;
        const std::string gguf = ggufTensorName(tp.canonical);
        if (gguf.empty() || neverQuantized(tp, gguf))
            continue;
        const ToolForm &q = *entries[i].quantize;
        planned[i].type = q.algorithm;
        const ToolValue *im = findArg(q.args, "imatrix");
        planned[i].imatrix = im && *im == ToolValue(true);
        if (!q.algorithm.empty()) {
            ++counts[q.algorithm].first;
            counts[q.algorithm].second += tp.parameters();
        }
    }
    std::string base = "F32";
    std::pair<int64_t, int64_t> most{-1, -1};
    for (const auto &[type, n] : counts)
        if (n > most) {
            base = type;
            most = n;
        }

    // Pass 2: rows, tokens and imatrix entries.
    ExportResult result;
    result.target = "llama.cpp";
    result.path = params.outDir;
    std::string tokens;
    // llama-quantize applies no tensor type to a tensor whose rows do not fit the base type's
    // blocks: it falls back first (src/llama-quant.cpp, `qs.n_fallback - fallback == 0`).
    const int64_t baseBlock = dtypeFromName(base) ? dtypeInfo(*dtypeFromName(base)).blockElems : 1;
    std::vector<std::string> unfit;
    io::ImatrixFile imatrix;
    std::string embedType, outputType;
    std::map<std::string, int> layerTypes; // types of the layer matrices (c392e509 --pure)
    for (size_t i = 0; i < entries.size(); ++i) {
        job.checkCancelled();
        const RecipeEntry &e = entries[i];
        const TensorPlan &tp = *e.plan;
        const std::string gguf = ggufTensorName(tp.canonical);
        ExportedTensor row;
        row.name = gguf.empty() ? tp.canonical : gguf;
        row.source = tp.summary();
        std::string note;
        bool exact = true;
        const auto fail = [&](const std::string &why) {
            exact = false;
            note = joinNotes(note, why);
        };
        if (gguf.empty() || neverQuantized(tp, gguf)) {
            row.written = gguf.empty() ? "not in the GGUF" : "as in the F32 model";
            if (gguf.empty())
                fail("llama.cpp's llama architecture has no such tensor");
            else if (tp.changed())
                fail("llama-quantize never quantizes norms and 1-D tensors");
            row.fate = exact ? ExportFate::Exact : ExportFate::NotExpressible;
            row.note = note;
            result.tensors.push_back(std::move(row));
            continue;
        }
        if (e.prune)
            fail(e.prune->note);
        if (e.lowRank)
            fail(e.lowRank->note);
        const ToolForm &q = *e.quantize;
        const std::string type = planned[i].type.empty() ? base : planned[i].type;
        if (!q.exact)
            fail(planned[i].type.empty() ? q.note + ": llama-quantize gives it the base type "
                                                   + base
                                         : q.note);
        row.written = type;
        if (planned[i].imatrix) {
            const LinearActivationStats *s =
                params.calibration ? params.calibration->find(tp.canonical) : nullptr;
            if (s) {
                imatrix.entries.push_back(imatrixEntryOf(*s, gguf));
                if (imatrix.entries.back().values.size() != size_t(tp.shape.back()))
                    throw Error("llama.cpp export: the calibration statistics of " + tp.canonical
                                + " have " + std::to_string(s->meanSquare.size())
                                + " input channels, the tensor " + std::to_string(tp.shape.back()));
                row.written += " + imatrix";
            } else if (params.preview && !params.calibration) {
                row.written += " + imatrix";
                note = joinNotes(note, "imatrix.dat entry from the calibration statistics");
            } else {
                fail("planned with an imatrix, but there are no calibration statistics for it "
                     "(cwb: --calib): quantized without one");
            }
        }
        tokens += "^" + regexEscape(gguf) + "$=" + type + "\n";
        if (tp.shape.back() % baseBlock != 0)
            unfit.push_back(gguf);
        if (tp.canonical == "embed")
            embedType = type;
        else if (tp.canonical == "head")
            outputType = type;
        else
            ++layerTypes[type];
        row.fate = exact ? ExportFate::Exact : ExportFate::NotExpressible;
        row.note = note;
        result.tensors.push_back(std::move(row));
    }

    // The command lines.
    std::string layerBase = base;
    int layerMost = -1;
    for (const auto &[type, n] : layerTypes)
        if (n > layerMost) {
            layerBase = type;
            layerMost = n;
        }
    const bool withImatrix = !imatrix.entries.empty();
    std::string options = withImatrix ? std::string("--imatrix ") + kImatrixFile + " " : "";
    if (!embedType.empty())
        options += "--token-embedding-type " + embedType + " ";
    if (!outputType.empty())
        options += "--output-tensor-type " + outputType + " ";
    std::string command;
    command += std::string(kSignature) + " --to llama.cpp\n";
    command += "# plan: " + plan.recipeSource + " over " + params.model->path + "\n";
    command += "# MODEL-F32.gguf: this model as an F32 GGUF, which llama-quantize quantizes from\n"
               "# (cwb export MODEL --to gguf --out MODEL-F32.gguf, or convert_hf_to_gguf.py "
               "--outtype f32).\n";
    if (withImatrix)
        command += "# imatrix.dat: mean x^2 per input channel ("
                 + params.calibration->coverage.source
                 + ") of the tensors planned with an imatrix: "
                 + std::to_string(imatrix.entries.size()) + ".\n";
    command += "#\n# llama.cpp with --tensor-type-file (2026-01 and later); the patterns are "
               "anchored and do\n# not overlap. No --pure: it switches the per-tensor types "
               "off.\n";
    command += "llama-quantize " + options + "--tensor-type-file " + kTypesFile
             + " MODEL-F32.gguf OUT.gguf " + ftypeName(base) + "\n";
    command += "#\n# llama.cpp c392e509 (../shared/tools/llama.cpp) predates --tensor-type: "
               "--pure and one type\n# for every layer tensor is what it can do";
    if (layerTypes.size() <= 1)
        command += ", and this plan has one type per layer tensor, so this is exact:\n";
    else
        command += "; this plan mixes " + std::to_string(layerTypes.size())
                 + " layer tensor types, which it gives all " + layerBase + ":\n";
    command += "llama-quantize " + options + "--pure MODEL-F32.gguf OUT.gguf "
             + ftypeName(layerBase) + "\n";
    if (layerTypes.size() > 1)
        result.notes.push_back("llama-quantize c392e509 has no --tensor-type: with --pure it "
                               "gives every layer tensor " + layerBase);
    result.notes.push_back("base type " + base + " (llama-quantize's type argument "
                           + ftypeName(base) + "); every quantizable tensor is listed in "
                           + kTypesFile);
    if (!unfit.empty())
        result.notes.push_back(
            std::to_string(unfit.size()) + " tensors (" + unfit.front()
            + ", ...) have rows that are no whole number of " + base
            + " blocks: llama-quantize falls back for them and ignores their tensor type");
    if (params.calibration && withImatrix) {
        imatrix.lastCall = int32_t(params.calibration->coverage.sequences);
        imatrix.dataset = params.calibration->coverage.source;
    }
    if (params.preview)
        return result;

    // Serialized first: a bad value fails before anything is written.
    const std::vector<std::byte> imatrixBytes =
        withImatrix ? io::serializeImatrix(imatrix) : std::vector<std::byte>{};
    job.report(0.5, "writing " + params.outDir);
    writeDirectoryAtomically(
        params.outDir, kExportMarkerFile,
        [&](const std::string &temp) {
            const fs::path dir(temp);
            writeText(dir / kTypesFile, tokens);
            writeText(dir / kCommandFile, command);
            writeExportMarker(temp, "llama.cpp", *params.model, false,
                              withImatrix ? std::vector<std::string>{kTypesFile, kCommandFile,
                                                                     kImatrixFile}
                                          : std::vector<std::string>{kTypesFile, kCommandFile});
            if (withImatrix) {
                writeStep(WriteStepKind::Write, (dir / kImatrixFile).string());
                std::ofstream out(dir / kImatrixFile, std::ios::binary | std::ios::trunc);
                out.write(reinterpret_cast<const char *>(imatrixBytes.data()),
                          std::streamsize(imatrixBytes.size()));
                out.close();
                if (!out)
                    throwIn(params.outDir, std::string("cannot write ") + kImatrixFile);
                // Read back field by field: what llama-quantize will load.
                const io::ImatrixFile back = io::readImatrixFile((dir / kImatrixFile).string());
                bool same = back.entries.size() == imatrix.entries.size()
                         && back.lastCall == imatrix.lastCall && back.dataset == imatrix.dataset;
                for (size_t k = 0; same && k < back.entries.size(); ++k) {
                    const io::ImatrixEntry &a = back.entries[k], &b = imatrix.entries[k];
                    same = a.name == b.name && a.ncall == b.ncall
                        && a.values.size() == b.values.size()
                        && std::memcmp(a.values.data(), b.values.data(), 4 * a.values.size()) == 0;
                }
                if (!same)
                    throwIn(params.outDir, std::string(kImatrixFile) + " read back differently");
            }
            if (readText(dir / kTypesFile) != tokens || readText(dir / kCommandFile) != command)
                throwIn(params.outDir, "a file read back differently from what was written");
        },
        params.hooks);

    const fs::path dir = fs::absolute(params.outDir);
    std::vector<std::string> files{(dir / kTypesFile).string(), (dir / kCommandFile).string()};
    if (withImatrix)
        files.push_back((dir / kImatrixFile).string());
    markWritten(result, files);
    job.report(1.0, "done");
    return result;
}

} // namespace cwb
