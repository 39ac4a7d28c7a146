// SPDX-License-Identifier: MIT
// Fault injection on every writer (util/write_steps.h): for the project file, the archive and
// every export target, the k-th write / fsync / rename is made to fail, for every k a successful
// write takes, and a cancel is raised at every progress report. Until the final rename (the
// commit) the previous output must stay byte for byte as it was; after it, the new output must
// be complete; and no temporary file or directory may be left beside it, ever.

#include "test_support.h"

#include "export/export.h"
#include "io/gguf_reader.h"
#include "io/open_model.h"
#include "pipeline/archive.h"
#include "pipeline/pipeline.h"
#include "project/project_file.h"
#include "recipe/recipe.h"
#include "recipe/resolve.h"
#include "util/error.h"
#include "util/write_steps.h"

#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

namespace fs = std::filesystem;

namespace {

// Every regular file at or under `p`, relative path -> bytes ("" for `p` itself).
using Snapshot = std::map<std::string, std::string>;

std::string fileBytes(const fs::path &p)
{
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

Snapshot snapshot(const fs::path &p)
{
    Snapshot s;
    if (fs::is_regular_file(p)) {
        s[""] = fileBytes(p);
    } else if (fs::is_directory(p)) {
        for (const auto &e : fs::recursive_directory_iterator(p))
            if (e.is_regular_file())
                s[fs::relative(e.path(), p).string()] = fileBytes(e.path());
    }
    return s;
}

std::set<std::string> entriesOf(const fs::path &dir)
{
    std::set<std::string> names;
    for (const auto &e : fs::directory_iterator(dir))
        names.insert(e.path().filename().string());
    return names;
}

std::string namesText(const std::set<std::string> &names)
{
    std::string s;
    for (const auto &n : names)
        s += n + " ";
    return s;
}

// A writer under test: writes the "new" output to `path` under `job`.
using WriteFn = std::function<void(const std::string &path, const cwb::JobContext &job)>;
// Reads a finished output back (throws when it is not a complete one).
using ReadFn = std::function<void(const std::string &path)>;

// q, k and v (and gate and up) alike: compressed-tensors runs them as fused layers.
const char *kArchiveRecipe = R"({"version": 1, "rules": [
    {"match": "layers.*.attn.*", "methods": [{"method": "rtn", "params": {"bits": 4, "group": 32, "sym": true}}]},
    {"match": "layers.*.mlp.*", "methods": [{"method": "rtn", "params": {"bits": 8, "group": -1, "sym": true}}]}]})";
const char *kPreviousRecipe = R"({"version": 1, "rules": [
    {"match": "layers.*.attn.*", "methods": [{"method": "rtn", "params": {"bits": 8, "group": 32, "sym": true}}]}]})";

} // namespace

class TestWriteFaults : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void stepsAreAnnouncedAndCounted();
    void projectFile();
    void archive();
    void exports_data();
    void exports();

private:
    cwb::Plan plan(const char *recipe) const
    {
        cwb::Plan p = cwb::resolvePlan(cwb::parseRecipe(recipe, "recipe.json"), *model_);
        cwb::requireValidPlan(p);
        return p;
    }
    cwb::CompressedModel compress(const char *recipe) const
    {
        cwb::CompressParams params;
        params.threads = 2;
        params.outputError = false;
        params.recipeJson = recipe;
        return cwb::compressModel(*model_, plan(recipe), params);
    }
    // The sweep described at the top, for one output path.
    void sweepFailures(const std::string &out, const WriteFn &writePrevious, const WriteFn &writeNew,
                       const ReadFn &readBack);
    void sweepCancels(const std::string &out, const WriteFn &writePrevious, const WriteFn &writeNew,
                      const ReadFn &readBack);

    QTemporaryDir dir_;
    std::unique_ptr<cwb::Model> model_;
    std::optional<cwb::CompressedModel> archive_, previousArchive_;
    std::optional<cwb::Plan> plan_, previousPlan_;
};

void TestWriteFaults::initTestCase()
{
    QVERIFY(dir_.isValid());
    CWB_SHARED_FILE(path, "models/stories260K/stories260K.gguf");
    model_ = std::make_unique<cwb::Model>(cwb::io::openModel(path));
    archive_ = compress(kArchiveRecipe);
    previousArchive_ = compress(kPreviousRecipe);
    plan_ = plan(kArchiveRecipe);
    previousPlan_ = plan(kPreviousRecipe);
}

void TestWriteFaults::stepsAreAnnouncedAndCounted()
{
    const std::string out = (fs::path(dir_.path().toStdString()) / "counted.gguf").string();
    {
        cwb::WriteFaultInjection counting;
        cwb::writeStep(cwb::WriteStepKind::Write, "a");
        cwb::writeStep(cwb::WriteStepKind::Sync, "b");
        const auto steps = counting.steps();
        QCOMPARE(steps.size(), size_t{2});
        QCOMPARE(steps[1].path, std::string("b"));
        QVERIFY(!counting.fired());
    }
    {
        cwb::WriteFaultInjection failing(2);
        cwb::writeStep(cwb::WriteStepKind::Write, "a");
        const std::string e = cwbtest::errorOf([] {
            cwb::writeStep(cwb::WriteStepKind::Rename, "/x/target");
        });
        QCOMPARE(e, std::string("/x/target: injected failure of step 2 (rename)"));
        QVERIFY(failing.fired());
    }
    // Without an injection nothing fails.
    cwb::writeStep(cwb::WriteStepKind::Write, "a");
}

void TestWriteFaults::sweepFailures(const std::string &out, const WriteFn &writePrevious,
                                    const WriteFn &writeNew, const ReadFn &readBack)
{
    writePrevious(out, {});
    const fs::path parent = fs::path(out).parent_path();
    const Snapshot before = snapshot(out);
    QVERIFY(!before.empty());
    const std::set<std::string> entries = entriesOf(parent);

    // The steps of a successful write over a previous output, made beside it; the last rename
    // is the commit.
    const fs::path refDir = parent.parent_path() / (parent.filename().string() + "-reference");
    fs::create_directories(refDir);
    const std::string refOut = (refDir / fs::path(out).filename()).string();
    writePrevious(refOut, {});
    std::vector<cwb::WriteFaultInjection::Step> steps;
    {
        cwb::WriteFaultInjection counting;
        writeNew(refOut, {});
        steps = counting.steps();
    }
    fs::remove_all(refDir);
    size_t commit = 0;
    for (size_t i = 0; i < steps.size(); ++i)
        if (steps[i].kind == cwb::WriteStepKind::Rename)
            commit = i + 1;
    QVERIFY2(commit > 0, "a write without a rename cannot be atomic");
    QVERIFY(steps.size() >= 3);

    for (size_t k = 1; k <= steps.size(); ++k) {
        const std::string where = out + ", step " + std::to_string(k) + " of "
                                  + std::to_string(steps.size()) + " ("
                                  + std::string(cwb::writeStepName(steps[k - 1].kind)) + ")";
        std::string error;
        bool fired = false;
        {
            cwb::WriteFaultInjection failing(static_cast<int64_t>(k));
            error = cwbtest::errorOf([&] { writeNew(out, {}); });
            fired = failing.fired();
        }
        QVERIFY2(fired, where.c_str());
        QVERIFY2(error.find("injected failure of step " + std::to_string(k)) != std::string::npos,
                 (where + ": " + error).c_str());
        if (k <= commit) {
            QVERIFY2(snapshot(out) == before, ("previous output changed: " + where).c_str());
        } else {
            const std::string e = cwbtest::errorOf([&] { readBack(out); });
            QVERIFY2(e.empty(), (where + ": after the commit the new output must be whole: " + e).c_str());
        }
        QVERIFY2(entriesOf(parent) == entries,
                 (where + ": left " + namesText(entriesOf(parent))).c_str());
    }
    // Past the last step nothing fails: the new output replaces the previous one.
    {
        cwb::WriteFaultInjection failing(static_cast<int64_t>(steps.size() + 1));
        writeNew(out, {});
        QVERIFY(!failing.fired());
    }
    QVERIFY(snapshot(out) != before);
    readBack(out);
    QVERIFY(entriesOf(parent) == entries);
}

void TestWriteFaults::sweepCancels(const std::string &out, const WriteFn &writePrevious,
                                   const WriteFn &writeNew, const ReadFn &readBack)
{
    const fs::path parent = fs::path(out).parent_path();
    writePrevious(out, {});
    const Snapshot before = snapshot(out);
    const std::set<std::string> entries = entriesOf(parent);
    // Cancel at the k-th progress report, for every k until a write runs to its end.
    for (int k = 1;; ++k) {
        QVERIFY2(k < 10000, "the write never finishes");
        std::atomic<bool> cancel{false};
        int reports = 0;
        cwb::JobContext job;
        job.cancelFlag = &cancel;
        job.progress = [&](double, const std::string &) {
            if (++reports == k)
                cancel = true;
        };
        bool cancelled = false;
        try {
            writeNew(out, job);
        } catch (const cwb::Cancelled &) {
            cancelled = true;
        }
        const std::string where = out + ", cancel at report " + std::to_string(k);
        QVERIFY2(entriesOf(parent) == entries,
                 (where + ": left " + namesText(entriesOf(parent))).c_str());
        if (cancelled) {
            QVERIFY2(snapshot(out) == before, ("a cancelled write changed it: " + where).c_str());
            continue;
        }
        readBack(out);
        QVERIFY(snapshot(out) != before);
        if (k == 1) {
            // No progress report (one small file): a cancel raised before the write starts
            // must leave the previous output.
            writePrevious(out, {});
            const Snapshot previous = snapshot(out);
            std::atomic<bool> raised{true};
            cwb::JobContext cancelled;
            cancelled.cancelFlag = &raised;
            try {
                writeNew(out, cancelled);
            } catch (const cwb::Cancelled &) {
                QVERIFY2(snapshot(out) == previous, "a cancelled write changed it");
            }
            QVERIFY(entriesOf(parent) == entries);
        }
        break;
    }
}

void TestWriteFaults::projectFile()
{
    const std::string out = (fs::path(dir_.path().toStdString()) / "p" / "model.cwbproj").string();
    fs::create_directories(fs::path(out).parent_path());
    cwb::Project previous = cwb::emptyProject(*model_);
    previous.settings["note"] = "the previous project";
    cwb::ModelAnalysisParams params;
    params.threads = 2;
    params.histogram.bins = 16;
    // A few tensors' analysis is every kind of dataset the file holds; all 50 would only
    // multiply the steps (each failing run writes and syncs the file again).
    cwb::ModelAnalysis analysis = cwb::analyzeModel(*model_, params);
    analysis.tensors.resize(3);
    const cwb::Project next = cwb::makeProject(*model_, std::move(analysis), params);
    sweepFailures(
        out, [&](const std::string &path, const cwb::JobContext &) { cwb::writeProject(path, previous); },
        [&](const std::string &path, const cwb::JobContext &) { cwb::writeProject(path, next); },
        [&](const std::string &path) { QCOMPARE(cwb::readProject(path).analysis.tensors.size(), next.analysis.tensors.size()); });
}

void TestWriteFaults::archive()
{
    const std::string out = (fs::path(dir_.path().toStdString()) / "a" / "model.cwbarchive").string();
    fs::create_directories(fs::path(out).parent_path());
    const WriteFn previous = [&](const std::string &path, const cwb::JobContext &job) {
        cwb::writeArchive(path, *previousArchive_, job);
    };
    const WriteFn next = [&](const std::string &path, const cwb::JobContext &job) {
        cwb::writeArchive(path, *archive_, job);
    };
    const ReadFn readBack = [&](const std::string &path) {
        QCOMPARE(cwb::readArchive(path).tensors.size(), archive_->tensors.size());
    };
    sweepFailures(out, previous, next, readBack);
    sweepCancels(out, previous, next, readBack);
}

void TestWriteFaults::exports_data()
{
    QTest::addColumn<QString>("target");
    QTest::addColumn<QString>("out");
    QTest::newRow("gguf") << "gguf" << "model.gguf";
    QTest::newRow("safetensors") << "safetensors" << "hf-dir";
    QTest::newRow("compressed-tensors") << "compressed-tensors" << "ct-dir";
    QTest::newRow("llm-compressor") << "llm-compressor" << "recipe.yaml";
    QTest::newRow("llama.cpp") << "llama.cpp" << "llamacpp-dir";
    QTest::newRow("gptqmodel") << "gptqmodel" << "quantize_config.json";
}

void TestWriteFaults::exports()
{
    QFETCH(QString, target);
    QFETCH(QString, out);
    const cwb::ExportTarget t = cwb::exportTargetFromName(target.toStdString()).value();
    const fs::path parent = fs::path(dir_.path().toStdString()) / ("export-" + target.toStdString());
    fs::create_directories(parent);
    const std::string path = (parent / out.toStdString()).string();
    // The previous output comes from the other archive (and plan), so the two differ.
    const auto writer = [&](bool isNew) {
        return [&, isNew](const std::string &to, const cwb::JobContext &job) {
            cwb::ExportRequest r;
            r.target = t;
            r.model = model_.get();
            r.outPath = to;
            if (cwb::isRecipeTarget(t))
                r.plan = isNew ? &*plan_ : &*previousPlan_;
            else
                r.compressed = isNew ? &*archive_ : &*previousArchive_;
            (void)cwb::runExport(r, job);
        };
    };
    const WriteFn previous = writer(false), next = writer(true);
    const ReadFn readBack = [&](const std::string &p) {
        QVERIFY2(fs::exists(p), p.c_str());
        if (t == cwb::ExportTarget::Gguf)
            QVERIFY(!cwb::io::openModel(p).tensors.empty());
    };
    sweepFailures(path, previous, next, readBack);
    sweepCancels(path, previous, next, readBack);
}

QTEST_GUILESS_MAIN(TestWriteFaults)
#include "test_write_faults.moc"
