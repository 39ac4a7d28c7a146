// SPDX-License-Identifier: MIT
#include "compare/slice_eval.h"

#include "eval/generation.h"
#include "eval/kl_divergence.h"
#include "eval/perplexity.h"
#include "util/error.h"

#include <oneapi/tbb/info.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <cstdio>

namespace cwb {

const char *sliceOrderName(SliceOrder o)
{
    return o == SliceOrder::Kld ? "kld" : "nll";
}

namespace {

constexpr PplProtocol kProtocol = PplProtocol::LlamaCppHalfWindow;
constexpr size_t kPreviewBytes = 60;

std::string previewOf(const std::string &text)
{
    std::string s = text.substr(0, kPreviewBytes + 1);
    for (char &c : s)
        if (c == '\n' || c == '\r' || c == '\t')
            c = ' ';
    if (s.size() > kPreviewBytes) {
        s.resize(kPreviewBytes);
        s.resize(completeUtf8Prefix(s));
        s += "...";
    }
    return s;
}

// Running sums of one slice (or of all of them).
struct SliceAccumulator {
    eval::NllAccumulator nllA, nllB;
    eval::KldAccumulator kld;
    double kldSum = 0; // for progress: kld.summary() sorts every value
    int64_t windows = 0;

    void add(const eval::KldPosition &p)
    {
        nllA.add(p.nllBase);
        nllB.add(p.nll);
        kld.add(p);
        kldSum += p.kld;
    }
    [[nodiscard]] SliceScores scores(int64_t tokens) const
    {
        SliceScores s;
        s.tokens = tokens;
        s.windows = windows;
        s.positions = nllA.count();
        s.pplA = nllA.ppl();
        s.pplAStderr = nllA.pplStderr();
        s.pplB = nllB.ppl();
        s.pplBStderr = nllB.pplStderr();
        s.meanNllA = nllA.meanNll();
        s.meanNllB = nllB.meanNll();
        s.deltaNll = s.meanNllB - s.meanNllA;
        s.kld = kld.summary();
        return s;
    }
};

struct PlannedSlice {
    std::vector<int32_t> tokens;
    eval::WindowPlan plan;
};

void checkEngines(Engine &a, Engine &b, int64_t nCtx)
{
    if (a.vocabSize() != b.vocabSize())
        throwIn("compare", "A has a vocabulary of " + std::to_string(a.vocabSize()) + " tokens, B "
                               + std::to_string(b.vocabSize())
                               + ": next-token distributions over different vocabularies cannot "
                                 "be compared");
    const int64_t limit = std::min(a.contextLimit(), b.contextLimit());
    if (nCtx < 2 || nCtx > limit)
        throwIn("compare", "n_ctx " + std::to_string(nCtx) + " is outside 2.."
                               + std::to_string(limit) + " (the models' context limit)");
}

std::vector<int32_t> sliceTokens(const TextSlice &s, const Tokenizer &ta, const Tokenizer &tb,
                                 int64_t vocab)
{
    std::vector<int32_t> tokens = ta.encode(s.text, true);
    if (tb.encode(s.text, true) != tokens)
        throwIn(s.source, s.name + " (line " + std::to_string(s.line)
                              + "): A's and B's tokenizers cut it differently, so their "
                                "predictions cannot be compared position by position");
    for (size_t i = 0; i < tokens.size(); ++i)
        if (tokens[i] < 0 || tokens[i] >= vocab)
            throwIn(s.source, s.name + ": token " + std::to_string(i) + " has id "
                                  + std::to_string(tokens[i]) + ", outside the vocabulary of "
                                  + std::to_string(vocab));
    return tokens;
}

bool moreDegraded(const SliceResult &x, const SliceResult &y, SliceOrder order)
{
    const double kx = order == SliceOrder::Kld ? x.scores.kld.mean : x.scores.deltaNll;
    const double ky = order == SliceOrder::Kld ? y.scores.kld.mean : y.scores.deltaNll;
    if (kx != ky)
        return kx > ky;
    return x.index < y.index;
}

} // namespace

SliceComparison compareSlices(Engine &a, Engine &b, const Tokenizer &tokenizerA,
                              const Tokenizer &tokenizerB, const std::vector<TextSlice> &slices,
                              const SliceEvalParams &params, const JobContext &ctx)
{
    checkEngines(a, b, params.nCtx);
    if (params.chunks < 0)
        throwIn("compare", "chunks " + std::to_string(params.chunks) + " is negative (0 = all)");
    const int64_t vocab = a.vocabSize();
    const int32_t bos = tokenizerA.addsBos() ? tokenizerA.bos() : -1;

    SliceComparison out;
    out.nCtx = params.nCtx;
    out.order = params.order;
    out.slices = static_cast<int64_t>(slices.size());

    // Plan every window first: the budget of --chunks goes to the slices in text order.
    std::vector<PlannedSlice> planned;
    int64_t budget = params.chunks > 0 ? params.chunks : INT64_MAX;
    int64_t totalWindows = 0;
    for (const auto &s : slices) {
        if (budget == 0)
            break;
        PlannedSlice p;
        p.tokens = sliceTokens(s, tokenizerA, tokenizerB, vocab);
        if (static_cast<int64_t>(p.tokens.size()) < params.nCtx)
            throwIn(s.source, s.name + " holds " + std::to_string(p.tokens.size())
                                  + " tokens, fewer than one window of "
                                  + std::to_string(params.nCtx));
        p.plan = eval::planWindows(static_cast<int64_t>(p.tokens.size()), params.nCtx,
                                   std::min<int64_t>(budget, INT32_MAX), kProtocol);
        const auto n = static_cast<int64_t>(p.plan.starts.size());
        budget -= std::min(budget, n);
        totalWindows += n;
        planned.push_back(std::move(p));
    }
    if (planned.size() < slices.size())
        out.notes.push_back("the " + std::to_string(params.chunks) + " windows of --chunks cover "
                            + std::to_string(planned.size()) + " of "
                            + std::to_string(slices.size()) + " slices (in text order)");

    const int arenaThreads = params.threads > 0 ? params.threads : tbb::info::default_concurrency();
    tbb::task_arena arena(arenaThreads);
    SliceAccumulator total;
    int64_t totalTokens = 0, done = 0;
    std::vector<float> logitsA, logitsB;
    std::vector<eval::KldPosition> positions;
    const auto v = static_cast<size_t>(vocab);
    for (size_t i = 0; i < planned.size(); ++i) {
        const TextSlice &s = slices[i];
        const PlannedSlice &p = planned[i];
        SliceAccumulator acc;
        for (const int64_t start : p.plan.starts) {
            ctx.checkCancelled();
            const std::vector<int32_t> window =
                eval::windowTokens(p.tokens, start, params.nCtx, bos, kProtocol);
            a.reset(params.nCtx);
            a.eval(window, logitsA, true, ctx);
            b.reset(params.nCtx);
            b.eval(window, logitsB, true, ctx);
            const auto first = static_cast<size_t>(p.plan.firstScored);
            const auto rows = static_cast<size_t>(p.plan.scoredPerWindow());
            positions.resize(rows);
            // Row r predicts window[first + 1 + r] from position first + r.
            const std::span<const float> rowsA =
                std::span<const float>(logitsA).subspan(first * v, rows * v);
            const std::span<const float> rowsB =
                std::span<const float>(logitsB).subspan(first * v, rows * v);
            const auto targets = std::span<const int32_t>(window).subspan(first + 1, rows);
            arena.execute([&] { eval::kldBetweenRows(rowsA, rowsB, vocab, targets, positions); });
            for (const auto &pos : positions) {
                acc.add(pos);
                total.add(pos);
                out.positionDeltaNll.push_back(static_cast<float>(pos.nll - pos.nllBase));
                out.positionKld.push_back(static_cast<float>(pos.kld));
            }
            ++acc.windows;
            ++total.windows;
            ++done;
            char what[128];
            std::snprintf(what, sizeof what, "%s: window %lld/%lld, KLD %.5f", s.name.c_str(),
                          static_cast<long long>(done), static_cast<long long>(totalWindows),
                          total.kldSum / double(std::max<int64_t>(total.nllA.count(), 1)));
            ctx.report(static_cast<double>(done) / static_cast<double>(totalWindows), what);
        }
        SliceResult r;
        r.index = static_cast<int64_t>(i);
        r.name = s.name;
        r.source = s.source;
        r.line = s.line;
        r.byteOffset = s.byteOffset;
        r.firstDocument = s.firstDocument;
        r.lastDocument = s.lastDocument;
        r.preview = previewOf(s.text);
        r.scores = acc.scores(static_cast<int64_t>(p.tokens.size()));
        totalTokens += r.scores.tokens;
        out.evaluated.push_back(std::move(r));
    }
    out.total = total.scores(totalTokens);
    std::stable_sort(out.evaluated.begin(), out.evaluated.end(),
                     [&](const SliceResult &x, const SliceResult &y) {
                         return moreDegraded(x, y, params.order);
                     });
    return out;
}

} // namespace cwb
