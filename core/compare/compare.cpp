// SPDX-License-Identifier: MIT
#include "compare/compare.h"

#include "compare/compare_side.h"
#include "eval/perplexity.h"
#include "tokenizer/tokenizer.h"
#include "util/error.h"

#include <chrono>

namespace cwb {

namespace {

CompareSideInfo infoOf(const CompareSide &side)
{
    CompareSideInfo i;
    i.path = side.path;
    i.label = side.label;
    i.archive = side.isCompressed();
    if (side.isCompressed())
        i.sourcePath = side.model->path;
    i.parameters = side.model->totals().parameters;
    i.storedBytes = side.storedBytes();
    i.bitsPerWeight = side.bitsPerWeight();
    return i;
}

// The slices of the text or the files, each holding at least one window of A's tokens.
std::vector<TextSlice> cutSlices(const CompareParams &p, const Tokenizer &tokenizer,
                                 CompareResult &r)
{
    const int64_t nCtx = p.evaluation.nCtx;
    auto count = [&](std::string_view text) {
        return static_cast<int64_t>(tokenizer.encode(text, true).size());
    };
    if (!p.sliceFiles.empty()) {
        std::vector<TextSlice> slices = slicesFromFiles(p.sliceFiles);
        requireSliceTokens(slices, count, nCtx,
                           "one window of " + std::to_string(nCtx) + " tokens (--ctx)");
        r.documents = static_cast<int64_t>(slices.size());
        return slices;
    }
    const std::string text = eval::loadEvalText(p.textPath);
    std::vector<TextSlice> slices = splitIntoSlices(text, p.slicing, p.textPath);
    if (slices.empty())
        throwIn(p.textPath, "holds nothing but whitespace");
    r.documents = static_cast<int64_t>(slices.size());
    r.documentsMerged = mergeShortSlices(slices, text, count, nCtx);
    if (r.documentsMerged > 0)
        r.notes.push_back(std::to_string(r.documentsMerged) + " of "
                          + std::to_string(r.documents) + " documents were shorter than one "
                          "window of " + std::to_string(nCtx)
                          + " tokens and were merged with the next: "
                          + std::to_string(slices.size()) + " slices");
    return slices;
}

// What can be checked before a model is opened.
void checkInputs(const CompareParams &params)
{
    if (params.textPath.empty() == params.sliceFiles.empty())
        throwIn("compare", "give either an evaluation text or slice files");
    checkBehaviourParams(params.behaviour);
}

} // namespace

CompareResult runComparison(const CompareParams &params, const JobContext &ctx)
{
    const auto t0 = std::chrono::steady_clock::now();
    checkInputs(params);
    const CompareSide a = openCompareSide(params.pathA);
    const CompareSide b = openCompareSide(params.pathB);
    CompareResult r = runComparison(a, b, params, ctx);
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
}

CompareResult runComparison(const CompareSide &a, const CompareSide &b,
                            const CompareParams &params, const JobContext &ctx)
{
    const auto t0 = std::chrono::steady_clock::now();
    checkInputs(params);
    CompareResult r;
    r.settings = params;
    r.settings.pathA = a.path;
    r.settings.pathB = b.path;
    r.settings.evaluation.threads = params.threads;
    r.a = infoOf(a);
    r.b = infoOf(b);
    const std::vector<std::string> prompts = params.behaviour.promptsPath.empty()
                                                 ? defaultPrompts()
                                                 : loadPrompts(params.behaviour.promptsPath);
    const auto tokenizerA = loadTokenizer(*a.model);
    const auto tokenizerB = loadTokenizer(*b.model);
    const std::vector<TextSlice> slices = cutSlices(params, *tokenizerA, r);
    ctx.checkCancelled();

    const double tensorShare = params.tensors.weightDifferences ? 0.3 : 0.02;
    r.tensors = compareTensors(a, b, params.tensors, r.notes,
                               ctx.stage(0.0, tensorShare, "tensors"));
    const auto engineA = Engine::create(*a.model, a.engineOptions(params.threads));
    const auto engineB = Engine::create(*b.model, b.engineOptions(params.threads));
    r.slices = compareSlices(*engineA, *engineB, *tokenizerA, *tokenizerB, slices,
                             r.settings.evaluation,
                             ctx.stage(tensorShare, 0.9, "slices"));
    r.behaviour = compareBehaviour(*engineA, *engineB, *tokenizerA, *tokenizerB, prompts,
                                   params.behaviour, ctx.stage(0.9, 1.0, "prompts"));
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
}

} // namespace cwb
