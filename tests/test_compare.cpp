// SPDX-License-Identifier: MIT
// Before/after comparison (core/compare). Slicing: documents at blank lines or a separator, with
// their offsets and lines; short documents merged with the next (a short last one with the one
// before); slice files and their errors naming the file. The exact KLD of two logit rows (0 for
// identical rows). On stories260K (TinyStories, n_ctx 64, 40 windows): A against itself gives
// KLD 0 (to float rounding), 100 % top-1 and 100 % unchanged prompts; Q8_0 against F32
// diverges less than Q4_0 (lower KLD, more prompts unchanged); slices come sorted by the chosen
// degradation; one slice holding the text `cwb eval` scores gives its perplexities; an
// archive's per-tensor errors sit beside the original's zeros and its measured B - A equals
// its reported error; a compression held in memory compares as its archive does; the Δ
// histograms count every scored token, slice and tensor.

#include "compare/behaviour.h"
#include "compare/compare.h"
#include "compare/compare_report.h"
#include "compare/delta_histograms.h"
#include "compare/slices.h"
#include "eval/evaluation.h"
#include "eval/kl_divergence.h"
#include "eval/perplexity.h"
#include "io/open_model.h"
#include "pipeline/archive.h"
#include "pipeline/pipeline.h"
#include "recipe/recipe.h"
#include "recipe/resolve.h"
#include "test_support.h"
#include "util/error.h"

#include <QTemporaryDir>
#include <QTest>

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <string>
#include <vector>

namespace {

constexpr const char *kF32 = "models/stories260K/stories260K.gguf";
constexpr const char *kQ8 = "models/stories260K/stories260K-Q8_0.gguf";
constexpr const char *kQ4 = "models/stories260K/stories260K-Q4_0.gguf";
constexpr const char *kText = "data/tinystories/tinystories_validation_head.txt";

// The comparison the stories260K tests run: small windows, 40 of them, the built-in prompts.
cwb::CompareParams smallRun(const std::string &a, const std::string &b, const std::string &text)
{
    cwb::CompareParams p;
    p.pathA = a;
    p.pathB = b;
    p.textPath = text;
    p.evaluation.nCtx = 64;
    p.evaluation.chunks = 40;
    p.behaviour.tokens = 32;
    p.behaviour.agree = 16;
    return p;
}

void writeFile(const std::string &path, const std::string &text)
{
    std::ofstream(path, std::ios::binary) << text;
}

std::string readHead(const std::string &path, size_t bytes)
{
    std::ifstream in(path, std::ios::binary);
    std::string s(bytes, '\0');
    in.read(s.data(), static_cast<std::streamsize>(bytes));
    s.resize(static_cast<size_t>(in.gcount()));
    return s;
}

// One token per byte: merging is then checked on lengths anyone can count.
int64_t bytesAsTokens(std::string_view s)
{
    return static_cast<int64_t>(s.size());
}

} // namespace

class TestCompare : public QObject {
    Q_OBJECT

private slots:
    void splitsAtBlankLines();
    void splitsAtASeparator();
    void mergesShortSlices();
    void sliceFilesAndTheirErrors();
    void divergenceAndPrompts();
    void exactKldOfTwoRows();
    void modelAgainstItself();
    void q8DivergesLessThanQ4();
    void slicesSortedByDegradation();
    void oneSliceIsTheEvaluation();
    void sliceFilesOnTheModel();
    void badInputsNameTheFile();
    void archiveErrorsSideBySide();
    void compressionInMemoryAsItsArchive();
    void deltaHistogramsCountEverything();
};

void TestCompare::splitsAtBlankLines()
{
    const std::string text = "\n\nFirst doc\nstill first.\n\n\nSecond.\r\n \r\n\tThird\n \n";
    const auto s = cwb::splitIntoSlices(text, {}, "t.txt");
    QCOMPARE(s.size(), size_t(3));
    QCOMPARE(s[0].text, std::string("First doc\nstill first."));
    QCOMPARE(s[0].line, int64_t(3));
    QCOMPARE(s[0].byteOffset, uint64_t(2));
    QCOMPARE(s[1].text, std::string("Second."));
    QCOMPARE(s[1].line, int64_t(7));
    // A line of spaces and CRs is blank; the tab before "Third" is trimmed.
    QCOMPARE(s[2].text, std::string("Third"));
    QCOMPARE(s[2].line, int64_t(9));
    QCOMPARE(s[2].name, std::string("doc 3"));
    QCOMPARE(s[2].source, std::string("t.txt"));
    QCOMPARE(text.substr(s[2].byteOffset, s[2].byteEnd - s[2].byteOffset), s[2].text);
    // One newline is not a boundary; whitespace alone gives no slice.
    QCOMPARE(cwb::splitIntoSlices("a\nb", {}).size(), size_t(1));
    QVERIFY(cwb::splitIntoSlices(" \n\n \t\n", {}).empty());
}

void TestCompare::splitsAtASeparator()
{
    cwb::SliceParams p;
    p.separator = "<|endoftext|>";
    const std::string text = "one\n\ntwo<|endoftext|><|endoftext|> three <|endoftext|>";
    const auto s = cwb::splitIntoSlices(text, p);
    // Blank lines no longer separate; empty pieces are dropped.
    QCOMPARE(s.size(), size_t(2));
    QCOMPARE(s[0].text, std::string("one\n\ntwo"));
    QCOMPARE(s[1].text, std::string("three"));
    QCOMPARE(s[1].line, int64_t(3));
    QCOMPARE(s[1].name, std::string("doc 2"));
}

void TestCompare::mergesShortSlices()
{
    const std::string text = "aa\n\nbbbbbb\n\nc\n\ndd\n\neeeeee\n\nf";
    auto s = cwb::splitIntoSlices(text, {}, "t.txt");
    QCOMPARE(s.size(), size_t(6));
    const int64_t merged = cwb::mergeShortSlices(s, text, bytesAsTokens, 7);
    // aa joins bbbbbb; c and dd (with the separator between, 5 bytes) are still short and take
    // eeeeee; f, short and last, joins them.
    QCOMPARE(merged, int64_t(4));
    QCOMPARE(s.size(), size_t(2));
    QCOMPARE(s[0].name, std::string("docs 1-2"));
    QCOMPARE(s[0].text, std::string("aa\n\nbbbbbb"));
    QCOMPARE(s[1].name, std::string("docs 3-6"));
    QCOMPARE(s[1].text, std::string("c\n\ndd\n\neeeeee\n\nf"));
    QCOMPARE(s[1].line, int64_t(5));
    QCOMPARE(s[1].firstDocument, int64_t(3));
    QCOMPARE(s[1].lastDocument, int64_t(6));

    // Long enough already: nothing changes.
    auto kept = cwb::splitIntoSlices(text, {}, "t.txt");
    QCOMPARE(cwb::mergeShortSlices(kept, text, bytesAsTokens, 1), int64_t(0));
    QCOMPARE(kept.size(), size_t(6));

    // The whole text shorter than one window: the file is named.
    auto all = cwb::splitIntoSlices(text, {}, "t.txt");
    const std::string e =
        cwbtest::errorOf([&] { (void)cwb::mergeShortSlices(all, text, bytesAsTokens, 1000); });
    QVERIFY2(e.find("t.txt") != std::string::npos && e.find("1000") != std::string::npos,
             e.c_str());
}

void TestCompare::sliceFilesAndTheirErrors()
{
    QTemporaryDir dir;
    const std::string a = dir.filePath(QStringLiteral("alpha.txt")).toStdString();
    const std::string b = dir.filePath(QStringLiteral("beta.txt")).toStdString();
    writeFile(a, "A slice of its own.\n\nWith a blank line inside.\n");
    writeFile(b, "tiny");
    const auto s = cwb::slicesFromFiles({a, b});
    QCOMPARE(s.size(), size_t(2));
    QCOMPARE(s[0].name, std::string("alpha.txt"));
    QCOMPARE(s[0].source, a);
    QVERIFY(s[0].text.find("blank line inside") != std::string::npos); // not cut
    QCOMPARE(s[1].firstDocument, int64_t(2));

    std::string e = cwbtest::errorOf(
        [&] { cwb::requireSliceTokens(s, bytesAsTokens, 10, "one window of 10 tokens"); });
    QVERIFY2(e.find("beta.txt") != std::string::npos
                 && e.find("holds 4 tokens") != std::string::npos,
             e.c_str());
    const std::string missing = dir.filePath(QStringLiteral("gamma.txt")).toStdString();
    e = cwbtest::errorOf([&] { (void)cwb::slicesFromFiles({a, missing}); });
    QVERIFY2(e.find("gamma.txt") != std::string::npos, e.c_str());
}

void TestCompare::divergenceAndPrompts()
{
    using V = std::vector<int32_t>;
    QCOMPARE(cwb::firstDivergence(V{1, 2, 3}, V{1, 2, 3}), int64_t(-1));
    QCOMPARE(cwb::firstDivergence(V{1, 2, 3}, V{1, 5, 3}), int64_t(1));
    QCOMPARE(cwb::firstDivergence(V{1, 2}, V{1, 2, 3}), int64_t(2)); // one ended earlier
    QCOMPARE(cwb::firstDivergence(V{}, V{}), int64_t(-1));

    QCOMPARE(cwb::defaultPrompts().size(), size_t(12));
    QTemporaryDir dir;
    const std::string path = dir.filePath(QStringLiteral("prompts.txt")).toStdString();
    writeFile(path, "First prompt\r\n\n   \nSecond one\n");
    QCOMPARE(cwb::loadPrompts(path), (std::vector<std::string>{"First prompt", "Second one"}));
    writeFile(path, "\n \n");
    const std::string e = cwbtest::errorOf([&] { (void)cwb::loadPrompts(path); });
    QVERIFY2(e.find("prompts.txt") != std::string::npos && e.find("no prompt") != std::string::npos,
             e.c_str());

    cwb::BehaviourParams b;
    b.tokens = 8;
    b.agree = 9;
    QVERIFY(!cwbtest::errorOf([&] { cwb::checkBehaviourParams(b); }).empty());
    b.agree = 8;
    QVERIFY(cwbtest::errorOf([&] { cwb::checkBehaviourParams(b); }).empty());
}

void TestCompare::exactKldOfTwoRows()
{
    const std::vector<float> base{1.0f, -2.0f, 0.5f, 3.0f, -0.25f};
    const std::vector<float> other{0.8f, -1.5f, 0.9f, 2.5f, 0.0f};
    const auto same = cwb::eval::kldBetweenLogits(base, base, 2);
    QCOMPARE(same.kld, 0.0); // exactly: no encoding in between
    QVERIFY(same.sameTop);
    QCOMPARE(same.nll, same.nllBase);
    QCOMPARE(same.nll, cwb::eval::tokenNll(base, 2));

    const auto p = cwb::eval::kldBetweenLogits(base, other, 3);
    QVERIFY(p.kld > 0);
    QVERIFY(std::fabs(p.kld - cwb::eval::kldReference(base, other)) < 1e-12);
    QCOMPARE(p.nll, cwb::eval::tokenNll(other, 3));
    QCOMPARE(p.nllBase, cwb::eval::tokenNll(base, 3));
    QVERIFY(p.sameTop); // both peak at index 3

    // Rows in parallel give the single-row values exactly.
    std::vector<float> rowsA = base, rowsB = other;
    rowsA.insert(rowsA.end(), other.begin(), other.end());
    rowsB.insert(rowsB.end(), base.begin(), base.end());
    std::vector<cwb::eval::KldPosition> positions(2);
    const std::vector<int32_t> targets{3, 0};
    cwb::eval::kldBetweenRows(rowsA, rowsB, 5, targets, positions);
    QCOMPARE(positions[0].kld, p.kld);
    QCOMPARE(positions[1].kld, cwb::eval::kldBetweenLogits(other, base, 0).kld);
}

void TestCompare::modelAgainstItself()
{
    CWB_SHARED_FILE(model, kF32);
    CWB_SHARED_FILE(text, kText);
    const cwb::CompareResult r = cwb::runComparison(smallRun(model, model, text));
    const cwb::SliceScores &t = r.slices.total;
    QCOMPARE(t.windows, int64_t(40));
    QCOMPARE(t.positions, int64_t(40 * 31)); // positions 32..62 of each window
    // Zero up to the engine's float rounding: two engine instances of one model may round a
    // few logits differently (buffer alignment picks Eigen's kernel path), ~1e-12 nats at most.
    QVERIFY2(t.kld.max < 1e-9, qPrintable(QString::number(t.kld.max)));
    QVERIFY(t.kld.mean < 1e-11);
    QCOMPARE(t.kld.top1AgreementPct, 100.0);
    QVERIFY(std::fabs(t.pplA - t.pplB) < 1e-6 * t.pplA);
    QVERIFY(std::fabs(t.deltaNll) < 1e-7);
    for (const auto &s : r.slices.evaluated)
        QVERIFY(s.scores.kld.max < 1e-9);
    const cwb::BehaviourComparison &b = r.behaviour;
    QCOMPARE(b.prompts.size(), size_t(12));
    QCOMPARE(b.unchangedShare(), 1.0);
    QCOMPARE(b.identicalCount, int64_t(12));
    for (const auto &p : b.prompts) {
        QCOMPARE(p.firstDivergence, int64_t(-1));
        QCOMPARE(p.tokensA, p.tokensB);
        QCOMPARE(p.textA, p.textB);
        QCOMPARE(p.commonText, p.textA);
        QVERIFY(!p.tokensA.empty());
    }
    // The model is its own original only for archives: errors unknown, said once per side.
    int unknown = 0;
    for (const auto &n : r.notes)
        unknown += n.find("per-tensor errors are unknown") != std::string::npos;
    QCOMPARE(unknown, 2);
    QCOMPARE(r.tensors.size(), size_t(48));
    QVERIFY(!r.tensors[0].a.relativeError.has_value());

    const auto j = nlohmann::json::parse(cwb::compareResultJson(r));
    QCOMPARE(j["schema"].get<std::string>(), std::string("cwb.compare/1"));
    QCOMPARE(j["behaviour"]["unchanged_share"].get<double>(), 1.0);
    QVERIFY(j["behaviour"]["prompts"][0]["first_divergence"].is_null());
    QCOMPARE(j["slices"].size(), r.slices.evaluated.size());
}

void TestCompare::q8DivergesLessThanQ4()
{
    CWB_SHARED_FILE(f32, kF32);
    CWB_SHARED_FILE(q8, kQ8);
    CWB_SHARED_FILE(q4, kQ4);
    CWB_SHARED_FILE(text, kText);
    const cwb::CompareResult r8 = cwb::runComparison(smallRun(f32, q8, text));
    const cwb::CompareResult r4 = cwb::runComparison(smallRun(f32, q4, text));
    const auto &k8 = r8.slices.total.kld, &k4 = r4.slices.total.kld;
    QVERIFY2(k8.mean > 0 && k8.mean * 10 < k4.mean,
             qPrintable(QStringLiteral("KLD Q8_0 %1, Q4_0 %2").arg(k8.mean).arg(k4.mean)));
    QVERIFY(k8.top1AgreementPct > k4.top1AgreementPct);
    QVERIFY(std::fabs(r8.slices.total.deltaNll) < r4.slices.total.deltaNll);
    QVERIFY2(r8.behaviour.unchangedShare() > r4.behaviour.unchangedShare(),
             qPrintable(QStringLiteral("unchanged Q8_0 %1, Q4_0 %2")
                            .arg(r8.behaviour.unchangedShare())
                            .arg(r4.behaviour.unchangedShare())));
    QVERIFY(r4.behaviour.unchangedShare() < 1.0);
    // A diverged prompt shows where: the common text, then both continuations.
    for (const auto &p : r4.behaviour.prompts) {
        if (p.firstDivergence < 0) {
            QVERIFY(p.restA.empty() && p.restB.empty());
            continue;
        }
        QVERIFY2(p.restA != p.restB, p.prompt.c_str());
        QVERIFY(p.firstDivergence < static_cast<int64_t>(std::max(p.tokensA.size(),
                                                                  p.tokensB.size())));
        QVERIFY(std::equal(p.tokensA.begin(), p.tokensA.begin() + p.firstDivergence,
                           p.tokensB.begin()));
        QCOMPARE(p.unchanged, p.firstDivergence >= 16);
    }
    // Both models share the text's tokens, so both evaluate the same windows.
    QVERIFY(std::fabs(r8.slices.total.pplA - r4.slices.total.pplA) < 1e-6);
    // Tensors are aligned by canonical name across the two files.
    QCOMPARE(r4.tensors.size(), size_t(48));
    QCOMPARE(r4.tensors[3].canonical, std::string("layers.0.attn.q"));
    QCOMPARE(r4.tensors[3].b.format, std::string("Q4_0"));
    QCOMPARE(r4.tensors[3].a.format, std::string("F32"));
}

void TestCompare::slicesSortedByDegradation()
{
    CWB_SHARED_FILE(f32, kF32);
    CWB_SHARED_FILE(q4, kQ4);
    CWB_SHARED_FILE(text, kText);
    cwb::CompareParams p = smallRun(f32, q4, text);
    p.behaviour.tokens = p.behaviour.agree = 1; // the slices are what this test is about
    const cwb::CompareResult byKld = cwb::runComparison(p);
    p.evaluation.order = cwb::SliceOrder::DeltaNll;
    const cwb::CompareResult byNll = cwb::runComparison(p);

    const auto &k = byKld.slices.evaluated;
    QVERIFY(k.size() > 10);
    QCOMPARE(byKld.slices.slices, byNll.slices.slices);
    QVERIFY(byKld.documentsMerged > 0); // TinyStories paragraphs are often shorter than 64 tokens
    QVERIFY(byKld.slices.slices < byKld.documents);
    int64_t windows = 0;
    for (size_t i = 0; i < k.size(); ++i) {
        windows += k[i].scores.windows;
        QVERIFY(k[i].scores.tokens >= 64);
        if (i > 0)
            QVERIFY(k[i - 1].scores.kld.mean >= k[i].scores.kld.mean);
    }
    QCOMPARE(windows, int64_t(40));
    const auto &n = byNll.slices.evaluated;
    QCOMPARE(n.size(), k.size());
    for (size_t i = 1; i < n.size(); ++i)
        QVERIFY(n[i - 1].scores.deltaNll >= n[i].scores.deltaNll);
    // The same slices with the same figures, only in another order; and not the text's order.
    bool textOrder = true;
    for (size_t i = 0; i < k.size(); ++i) {
        const auto it = std::find_if(n.begin(), n.end(),
                                     [&](const auto &s) { return s.index == k[i].index; });
        QVERIFY(it != n.end());
        // Another run: equal up to the engine's float rounding.
        QVERIFY(std::fabs(it->scores.kld.mean - k[i].scores.kld.mean)
                <= 1e-5 * k[i].scores.kld.mean);
        textOrder = textOrder && k[i].index == static_cast<int64_t>(i);
    }
    QVERIFY(!textOrder);
    // The report lists them so, with the merge said.
    const std::string report = cwb::compareResultText(byKld);
    QVERIFY(report.find("most degraded first (by mean KLD)") != std::string::npos);
    QVERIFY(report.find("were merged with the next") != std::string::npos);
    QVERIFY(report.find(k[0].name) < report.find(k[1].name + " "));
}

// One slice file holding what `cwb eval` scores: the same tokens and windows, so the same
// perplexities, and a KLD close to eval's encoded one against a saved base.
void TestCompare::oneSliceIsTheEvaluation()
{
    CWB_SHARED_FILE(f32, kF32);
    CWB_SHARED_FILE(q4, kQ4);
    CWB_SHARED_FILE(text, kText);
    QTemporaryDir dir;
    const std::string slice = dir.filePath(QStringLiteral("head.txt")).toStdString();
    writeFile(slice, readHead(text, 20000));
    cwb::CompareParams p = smallRun(f32, q4, {});
    p.sliceFiles = {slice};
    p.evaluation.chunks = 20;
    p.behaviour.tokens = p.behaviour.agree = 1;
    const cwb::CompareResult r = cwb::runComparison(p);
    QCOMPARE(r.slices.evaluated.size(), size_t(1));
    const cwb::SliceScores &s = r.slices.evaluated[0].scores;

    cwb::EvalParams e;
    e.modelPath = f32;
    e.textPath = slice;
    e.nCtx = 64;
    e.chunks = 20;
    e.saveLogitsPath = dir.filePath(QStringLiteral("base.logits")).toStdString();
    const cwb::EvalResult a = cwb::runEvaluation(e);
    e.modelPath = q4;
    e.kldBasePath = e.saveLogitsPath;
    e.saveLogitsPath.clear();
    const cwb::EvalResult b = cwb::runEvaluation(e);
    QCOMPARE(s.windows, a.windows);
    QCOMPARE(s.positions, a.tokensScored);
    // The same NLL per position; only the engines' float rounding may differ (see above).
    QVERIFY(std::fabs(s.pplA - a.ppl) < 1e-6 * a.ppl);
    QVERIFY(std::fabs(s.pplAStderr - a.pplStderr) < 1e-5 * a.pplStderr);
    QVERIFY(std::fabs(s.pplB - b.ppl) < 1e-6 * b.ppl);
    QVERIFY2(std::fabs(s.kld.mean - b.kld.mean) < 1e-3 * b.kld.mean,
             qPrintable(QStringLiteral("exact %1, encoded %2").arg(s.kld.mean).arg(b.kld.mean)));
    QCOMPARE(s.kld.top1AgreementPct, b.kld.top1AgreementPct);
}

void TestCompare::sliceFilesOnTheModel()
{
    CWB_SHARED_FILE(f32, kF32);
    CWB_SHARED_FILE(q8, kQ8);
    CWB_SHARED_FILE(text, kText);
    QTemporaryDir dir;
    const std::string head = readHead(text, 30000);
    const std::string first = dir.filePath(QStringLiteral("first.txt")).toStdString();
    const std::string second = dir.filePath(QStringLiteral("second.txt")).toStdString();
    writeFile(first, head.substr(0, 12000));
    writeFile(second, head.substr(12000));
    cwb::CompareParams p = smallRun(f32, q8, {});
    p.sliceFiles = {first, second};
    p.evaluation.chunks = 0; // every window of both
    p.behaviour.tokens = p.behaviour.agree = 4;
    const cwb::CompareResult r = cwb::runComparison(p);
    QCOMPARE(r.documents, int64_t(2));
    QCOMPARE(r.documentsMerged, int64_t(0));
    QCOMPARE(r.slices.evaluated.size(), size_t(2));
    for (const auto &s : r.slices.evaluated) {
        QVERIFY(s.name == "first.txt" || s.name == "second.txt");
        QCOMPARE(s.source, s.name == "first.txt" ? first : second);
        QCOMPARE(s.scores.windows, s.scores.tokens / 64); // every window of the file
    }
    QVERIFY(r.slices.evaluated[0].scores.kld.mean >= r.slices.evaluated[1].scores.kld.mean);
}

void TestCompare::badInputsNameTheFile()
{
    CWB_SHARED_FILE(f32, kF32);
    CWB_SHARED_FILE(text, kText);
    QTemporaryDir dir;
    const std::string missing = dir.filePath(QStringLiteral("nowhere.gguf")).toStdString();
    std::string e =
        cwbtest::errorOf([&] { (void)cwb::runComparison(smallRun(f32, missing, text)); });
    QVERIFY2(e.find("nowhere.gguf") != std::string::npos, e.c_str());

    const std::string noText = dir.filePath(QStringLiteral("absent.txt")).toStdString();
    e = cwbtest::errorOf([&] { (void)cwb::runComparison(smallRun(f32, f32, noText)); });
    QVERIFY2(e.find("absent.txt") != std::string::npos, e.c_str());

    // A slice file shorter than one window is the user's choice: refused, not merged.
    const std::string longSlice = dir.filePath(QStringLiteral("long.txt")).toStdString();
    const std::string shortSlice = dir.filePath(QStringLiteral("short.txt")).toStdString();
    writeFile(longSlice, readHead(text, 5000));
    writeFile(shortSlice, "Once upon a time.");
    cwb::CompareParams p = smallRun(f32, f32, {});
    p.sliceFiles = {longSlice, shortSlice};
    e = cwbtest::errorOf([&] { (void)cwb::runComparison(p); });
    QVERIFY2(e.find("short.txt") != std::string::npos
                 && e.find("one window of 64") != std::string::npos,
             e.c_str());

    // A text shorter than one window in all.
    const std::string tiny = dir.filePath(QStringLiteral("tiny.txt")).toStdString();
    writeFile(tiny, "One.\n\nTwo.\n");
    e = cwbtest::errorOf([&] { (void)cwb::runComparison(smallRun(f32, f32, tiny)); });
    QVERIFY2(e.find("tiny.txt") != std::string::npos, e.c_str());

    const std::string prompts = dir.filePath(QStringLiteral("prompts.txt")).toStdString();
    writeFile(prompts, "\n");
    p = smallRun(f32, f32, text);
    p.behaviour.promptsPath = prompts;
    e = cwbtest::errorOf([&] { (void)cwb::runComparison(p); });
    QVERIFY2(e.find("prompts.txt") != std::string::npos, e.c_str());
}

// An archive against its original: the original's errors are zero by definition, the archive's
// are its own reports, and B - A measured on the weights is that same relative error.
void TestCompare::archiveErrorsSideBySide()
{
    CWB_SHARED_FILE(f32, kF32);
    CWB_SHARED_FILE(text, kText);
    const cwb::Model m = cwb::io::openModel(f32);
    cwb::PlanOptions o;
    o.calibration = false;
    const cwb::Plan plan = cwb::resolvePlan(
        cwb::parseRecipeLenient(R"({"version": 1, "rules": [{"match": "layers.*.attn.*",
            "methods": [{"method": "rtn", "params": {"bits": 4, "group": -1}}]}]})",
                                "test recipe"),
        m, o);
    const cwb::CompressedModel c = cwb::compressModel(m, plan, {});
    QTemporaryDir dir;
    const std::string archive = dir.filePath(QStringLiteral("attn4.cwbarchive")).toStdString();
    cwb::writeArchive(archive, c);

    cwb::CompareParams p = smallRun(f32, archive, text);
    p.evaluation.chunks = 4;
    p.behaviour.tokens = p.behaviour.agree = 2;
    p.tensors.weightDifferences = true;
    p.tensors.bins = 8;
    const cwb::CompareResult r = cwb::runComparison(p);
    QVERIFY(r.b.archive);
    QCOMPARE(r.b.sourcePath, f32);
    QVERIFY(r.b.bitsPerWeight < r.a.bitsPerWeight);
    int compressed = 0;
    for (const auto &t : r.tensors) {
        QVERIFY(t.a.present && t.b.present);
        QCOMPARE(t.a.basis, std::string("original"));
        QCOMPARE(*t.a.relativeError, 0.0);
        QVERIFY(t.difference.has_value());
        QCOMPARE(t.difference->histogram.counts.size(), size_t(8));
        const cwb::CompressedTensor *ct = c.find(t.canonical);
        if (!ct) {
            QCOMPARE(t.b.basis, std::string("kept"));
            QCOMPARE(t.difference->maxAbs, 0.0);
            continue;
        }
        ++compressed;
        QCOMPARE(t.b.basis, std::string("archive"));
        QCOMPARE(*t.b.relativeError, ct->report.relativeError);
        QCOMPARE(*t.deltaRelativeError, ct->report.relativeError);
        QVERIFY2(std::fabs(t.difference->relative - ct->report.relativeError)
                     < 1e-5 * ct->report.relativeError,
                 t.canonical.c_str());
        uint64_t counted = 0;
        for (const auto n : t.difference->histogram.counts)
            counted += n;
        QCOMPARE(counted, static_cast<uint64_t>(t.shape[0] * t.shape[1]));
    }
    QCOMPARE(compressed, 20); // q, k, v, o of 5 layers
    bool said = false;
    for (const auto &n : r.notes)
        said = said || n.find("A is the original B was compressed from") != std::string::npos;
    QVERIFY(said);
    QVERIFY(r.slices.total.kld.mean > 0);
}

namespace {

// stories260K with its attention at rtn 4-bit, in memory (no calibration needed).
std::shared_ptr<const cwb::CompressedModel> attentionAt4Bits(const cwb::Model &m)
{
    cwb::PlanOptions o;
    o.calibration = false;
    const cwb::Plan plan = cwb::resolvePlan(
        cwb::parseRecipeLenient(R"({"version": 1, "rules": [{"match": "layers.*.attn.*",
            "methods": [{"method": "rtn", "params": {"bits": 4, "group": -1}}]}]})",
                                "test recipe"),
        m, o);
    return std::make_shared<const cwb::CompressedModel>(cwb::compressModel(m, plan, {}));
}

} // namespace

void TestCompare::compressionInMemoryAsItsArchive()
{
    CWB_SHARED_FILE(f32, kF32);
    CWB_SHARED_FILE(text, kText);
    const auto model = std::make_shared<const cwb::Model>(cwb::io::openModel(f32));
    const auto c = attentionAt4Bits(*model);
    QTemporaryDir dir;
    const std::string archive = dir.filePath(QStringLiteral("attn4.cwbarchive")).toStdString();
    cwb::writeArchive(archive, *c);

    cwb::CompareParams p = smallRun(f32, archive, text);
    p.evaluation.chunks = 4;
    p.behaviour.tokens = p.behaviour.agree = 4;
    const cwb::CompareResult fromFile = cwb::runComparison(p);
    const cwb::CompareSide original = cwb::modelCompareSide(model);
    QCOMPARE(original.label, std::string("stories260K.gguf"));
    const cwb::CompareSide held = cwb::compressedCompareSide(model, c, "attn at 4 bits");
    QVERIFY(held.isCompressed() && cwb::isOriginalOf(original, held));
    const cwb::CompareResult inMemory = cwb::runComparison(original, held, p);
    QCOMPARE(inMemory.b.path, std::string("attn at 4 bits"));
    QCOMPARE(inMemory.settings.pathB, std::string("attn at 4 bits"));
    QVERIFY(inMemory.b.archive);
    QCOMPARE(inMemory.b.storedBytes, fromFile.b.storedBytes);
    QCOMPARE(inMemory.slices.total.kld.mean, fromFile.slices.total.kld.mean);
    QCOMPARE(inMemory.slices.total.pplB, fromFile.slices.total.pplB);
    QCOMPARE(inMemory.behaviour.unchangedCount, fromFile.behaviour.unchangedCount);
    QCOMPARE(inMemory.tensors.size(), fromFile.tensors.size());
    for (size_t i = 0; i < inMemory.tensors.size(); ++i) {
        QCOMPARE(inMemory.tensors[i].a.basis, std::string("original"));
        QCOMPARE(inMemory.tensors[i].b.basis, fromFile.tensors[i].b.basis);
        QCOMPARE(inMemory.tensors[i].deltaRelativeError, fromFile.tensors[i].deltaRelativeError);
    }
    QVERIFY_THROWS_EXCEPTION(cwb::Error, cwb::compressedCompareSide(model, nullptr, "none"));
}

void TestCompare::deltaHistogramsCountEverything()
{
    CWB_SHARED_FILE(f32, kF32);
    CWB_SHARED_FILE(text, kText);
    const auto model = std::make_shared<const cwb::Model>(cwb::io::openModel(f32));
    cwb::CompareParams p = smallRun(f32, f32, text);
    p.evaluation.chunks = 12;
    p.behaviour.tokens = p.behaviour.agree = 2;
    const cwb::CompareResult r = cwb::runComparison(
        cwb::openCompareSide(f32),
        cwb::compressedCompareSide(model, attentionAt4Bits(*model), "attn4"), p);
    const auto positions = static_cast<size_t>(r.slices.total.positions);
    QCOMPARE(r.slices.positionDeltaNll.size(), positions);
    QCOMPARE(r.slices.positionKld.size(), positions);
    // The per-token values are what the means average.
    double nll = 0, kld = 0;
    for (size_t i = 0; i < positions; ++i) {
        nll += r.slices.positionDeltaNll[i];
        kld += r.slices.positionKld[i];
    }
    QVERIFY(std::fabs(nll / double(positions) - r.slices.total.deltaNll) < 1e-5);
    QVERIFY(std::fabs(kld / double(positions) - r.slices.total.kld.mean)
            < 1e-5 * r.slices.total.kld.mean);

    cwb::DeltaHistogramParams hp;
    hp.bins = 10;
    const cwb::DeltaHistograms h = cwb::deltaHistograms(r, hp);
    const auto inBins = [](const cwb::Histogram &x) {
        uint64_t n = x.below + x.above;
        for (const auto c : x.counts)
            n += c;
        return n;
    };
    QCOMPARE(h.tokenDeltaNll.counts.size(), size_t(10));
    QCOMPARE(inBins(h.tokenDeltaNll), uint64_t(positions));
    QCOMPARE(inBins(h.tokenKld), uint64_t(positions));
    QVERIFY(h.tokenKld.below + h.tokenKld.above > 0); // the 1 % tail is clipped, not dropped
    QCOMPARE(inBins(h.sliceKld), uint64_t(r.slices.evaluated.size()));
    QCOMPARE(h.sliceKld.below + h.sliceKld.above, uint64_t(0));
    QCOMPARE(inBins(h.sliceDeltaNll), uint64_t(r.slices.evaluated.size()));
    uint64_t known = 0;
    for (const auto &t : r.tensors)
        known += t.deltaRelativeError.has_value();
    QCOMPARE(known, uint64_t(r.tensors.size())); // the original's zeros beside the archive's
    QCOMPARE(inBins(h.tensorDeltaError), known);
    // Only the 20 attention matrices moved: the rest sit in the bin around zero.
    QVERIFY(h.tensorDeltaError.max > 0 && h.tensorDeltaError.min == 0);

    hp.bins = 0;
    QVERIFY_THROWS_EXCEPTION(cwb::Error, (void)cwb::deltaHistograms(r, hp));
    hp.bins = 10;
    hp.tokenPercentile = 40;
    QVERIFY_THROWS_EXCEPTION(cwb::Error, (void)cwb::deltaHistograms(r, hp));
}

QTEST_GUILESS_MAIN(TestCompare)
#include "test_compare.moc"
