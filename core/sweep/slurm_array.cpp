// SPDX-License-Identifier: MIT
#include "sweep/slurm_array.h"

#include "sweep/point_json.h"
#include "util/atomic_file.h"
#include "util/error.h"
#include "util/version.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace cwb {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

constexpr const char *kManifestSchema = "cwb.sweep-array/1";
constexpr const char *kResultSchema = "cwb.sweep-result/1";

std::string taskFile(int64_t task)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%03lld.json", static_cast<long long>(task));
    return buf;
}

void writeText(const std::string &path, const std::string &text)
{
    writeFileAtomically(path, [&](const std::string &temp) {
        std::ofstream out(temp, std::ios::binary | std::ios::trunc);
        out << text;
        out.close();
        if (!out)
            throwIn(path, "cannot write");
    });
}

std::string readText(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throwIn(path, "cannot open");
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

Json parseJsonFile(const std::string &path)
{
    const std::string text = readText(path);
    try {
        return Json::parse(text);
    } catch (const nlohmann::json::parse_error &e) {
        throwAt(path, e.byte > 0 ? e.byte - 1 : 0, std::string("not JSON: ") + e.what());
    }
}

// Single quotes for bash: nothing inside is expanded.
std::string shellQuoted(const std::string &s)
{
    std::string out = "'";
    for (const char c : s)
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

std::string absolutePath(const std::string &path)
{
    return path.empty() ? path : fs::absolute(path).lexically_normal().string();
}

Json modelJson(const ModelFingerprint &fp)
{
    return Json{{"path", absolutePath(fp.path)},
                {"format", fp.format},
                {"file_size", fp.fileSize},
                {"file_count", fp.fileCount},
                {"content_hash", fp.hashHex()}};
}

// A manifest field, checked: every problem names sweep.json and the field.
const Json &field(const Json &j, const char *name, const std::string &source,
                  bool (Json::*is)() const noexcept, const char *expected)
{
    const auto it = j.find(name);
    if (it == j.end() || !((*it).*is)())
        throwIn(source, std::string(name) + ": expected " + expected);
    return *it;
}

struct Manifest {
    std::string path;
    Json json;
    Json model;
    std::vector<Json> tasks;
};

Manifest readManifest(const std::string &dir)
{
    Manifest m;
    m.path = (fs::path(dir) / "sweep.json").string();
    if (!fs::exists(m.path))
        throwIn(dir, "no sweep.json: not a directory written by cwb sweep --emit-slurm");
    m.json = parseJsonFile(m.path);
    if (!m.json.is_object() || m.json.value("schema", std::string()) != kManifestSchema)
        throwIn(m.path, std::string("not a sweep array manifest (\"schema\" is not \"")
                            + kManifestSchema + "\")");
    m.model = field(m.json, "model", m.path, &Json::is_object, "an object");
    const Json &tasks = field(m.json, "tasks", m.path, &Json::is_array, "an array");
    for (size_t i = 0; i < tasks.size(); ++i) {
        const Json &t = tasks[i];
        const std::string where = m.path + ": tasks[" + std::to_string(i) + "]";
        if (!t.is_object() || t.value("task", int64_t(-1)) != int64_t(i))
            throwIn(where, "expected an object with \"task\": " + std::to_string(i));
        (void)field(t, "key", where, &Json::is_string, "a string");
        (void)field(t, "name", where, &Json::is_string, "a string");
        m.tasks.push_back(t);
    }
    return m;
}

// Refuses a model other than the one the array was written for.
void requireModel(const Manifest &m, const ModelFingerprint &fp)
{
    const Json &want = m.model;
    if (want.value("format", std::string()) != fp.format
        || want.value("file_size", uint64_t(0)) != fp.fileSize
        || want.value("file_count", int64_t(0)) != fp.fileCount
        || want.value("content_hash", std::string()) != fp.hashHex())
        throwIn(m.path, "the array was written for " + want.value("path", std::string("?"))
                            + " (" + want.value("format", std::string("?")) + ", "
                            + std::to_string(want.value("file_size", uint64_t(0))) + " bytes, hash "
                            + want.value("content_hash", std::string("?")) + "), not for "
                            + fp.path + " (" + fp.format + ", " + std::to_string(fp.fileSize)
                            + " bytes, hash " + fp.hashHex() + ")");
}

// The sweep settings the manifest records, for one task's point.
SweepParams taskParams(const Manifest &m, const Model &model, const Json &task,
                       const std::string &dir)
{
    const Json &eval = field(m.json, "evaluation", m.path, &Json::is_object, "an object");
    const Json &calib = field(m.json, "calibration", m.path, &Json::is_object, "an object");
    const auto integer = [&](const Json &j, const char *name) {
        return field(j, name, m.path, &Json::is_number_integer, "an integer").get<int64_t>();
    };
    SweepParams p;
    p.model = &model;
    p.evaluation.textPath =
        field(eval, "text", m.path, &Json::is_string, "a string").get<std::string>();
    p.evaluation.nCtx = integer(eval, "n_ctx");
    p.evaluation.chunks = integer(eval, "chunks");
    p.evaluation.latency =
        field(eval, "latency", m.path, &Json::is_boolean, "true or false").get<bool>();
    p.evaluation.latencyPrompt = integer(eval, "latency_prompt");
    p.evaluation.latencyGenerate = integer(eval, "latency_generate");
    // Absent in arrays written before the setting existed: float activations.
    if (eval.contains("integer_activations"))
        p.evaluation.integerActivations =
            field(eval, "integer_activations", m.path, &Json::is_boolean, "true or false")
                .get<bool>();
    if (calib.contains("text") && calib["text"].is_string())
        p.calibration.path = calib["text"].get<std::string>();
    p.calibration.sequences = integer(calib, "sequences");
    p.calibration.tokensPerSequence = integer(calib, "seq_len");
    p.threads = int(integer(m.json, "threads"));

    SweepPointSpec spec;
    if (const auto r = task.find("recipe"); r != task.end() && r->is_string()) {
        spec = recipePoint((fs::path(dir) / r->get<std::string>()).string());
    } else if (const auto f = task.find("reference"); f != task.end() && f->is_string()) {
        spec = referencePoint(f->get<std::string>());
    } else {
        spec = originalPoint();
    }
    spec.name = task["name"].get<std::string>();
    p.points.push_back(std::move(spec));
    return p;
}

std::string taskScript(const std::string &dir, const std::string &model,
                       const std::string &executable)
{
    const std::string cwb = executable.empty() ? "cwb" : executable;
    return "#!/bin/bash\n"
           "# One task of the job array in sweep.sbatch (written by cwb sweep --emit-slurm): runs\n"
           "# task $SLURM_ARRAY_TASK_ID of sweep.json and writes results/NNN.json. To run a task\n"
           "# by hand: SLURM_ARRAY_TASK_ID=3 bash task.sh. $CWB overrides the cwb executable.\n"
           "set -euo pipefail\n"
           "task=\"${SLURM_ARRAY_TASK_ID:?is not set: run this as a Slurm array task or set it}\"\n"
           "cwb="
        + shellQuoted(cwb)
        + "\n"
          "if [ -n \"${CWB:-}\" ]; then cwb=\"$CWB\"; fi\n"
          "exec \"$cwb\" sweep "
        + shellQuoted(model) + " --task \"$task\" --out-dir " + shellQuoted(dir) + "\n";
}

std::string sbatchScript(const std::string &dir, size_t tasks, int threads)
{
    const std::string logs = (fs::path(dir) / "logs").string();
    std::string s =
        "#!/bin/bash\n"
        "# A Slurm job array written by cwb sweep --emit-slurm: one task per sweep point\n"
        "# (sweep.json). Submit with `sbatch sweep.sbatch`; run single tasks again with\n"
        "# `sbatch --array=2,5 sweep.sbatch`; when they are done, merge their results\n"
        "# with `cwb sweep MODEL --project P.cwbproj --collect DIR`. Add the partition,\n"
        "# time and memory lines your cluster needs.\n"
        "#SBATCH --job-name=cwb-sweep\n"
        "#SBATCH --array=0-"
        + std::to_string(tasks - 1) + "\n";
    s += "#SBATCH --output=" + logs + "/task-%a.out\n";
    s += "#SBATCH --error=" + logs + "/task-%a.err\n";
    if (threads > 0)
        s += "#SBATCH --cpus-per-task=" + std::to_string(threads) + "\n";
    s += "exec bash " + shellQuoted((fs::path(dir) / "task.sh").string()) + "\n";
    return s;
}

void writeResult(const std::string &path, const Json &result)
{
    writeText(path, result.dump(2) + "\n");
}

} // namespace

std::string SlurmCollection::rerunList() const
{
    std::set<int64_t> tasks;
    for (const auto &p : missing)
        tasks.insert(p.task);
    for (const auto &p : failed)
        tasks.insert(p.task);
    std::string out;
    for (const int64_t t : tasks) {
        if (!out.empty())
            out += ',';
        out += std::to_string(t);
    }
    return out;
}

SlurmEmission emitSlurmArray(const SweepParams &params, const std::string &dirIn,
                             const std::string &executable)
{
    if (!params.model)
        throw Error("sweep: no model given");
    const ModelFingerprint fp = fingerprintModel(*params.model);
    const std::vector<std::string> keys = sweepKeys(params);
    std::set<std::string> known;
    if (!params.projectPath.empty())
        for (const HistoryPoint &h : sweepProject(params.projectPath, fp).history)
            known.insert(h.key);

    SlurmEmission e;
    e.dir = absolutePath(dirIn);
    std::vector<size_t> points; // the SweepParams::points each task runs
    for (size_t i = 0; i < keys.size(); ++i) {
        if (known.contains(keys[i])) {
            ++e.stored;
            continue;
        }
        known.insert(keys[i]);
        points.push_back(i);
    }
    if (points.empty())
        return e;
    std::error_code ec;
    if (fs::exists(e.dir, ec) && !(fs::is_directory(e.dir, ec) && fs::is_empty(e.dir, ec)))
        throwIn(e.dir, "exists and is not empty: the job array needs a directory of its own");
    for (const char *sub : {"recipes", "results", "logs"})
        if (fs::create_directories(fs::path(e.dir) / sub, ec); ec)
            throwIn(e.dir, std::string("cannot create ") + sub + "/: " + ec.message());

    Json tasks = Json::array();
    for (size_t t = 0; t < points.size(); ++t) {
        const SweepPointSpec &spec = params.points[points[t]];
        Json recipe = nullptr;
        if (!spec.recipeJson.empty()) {
            recipe = "recipes/" + taskFile(int64_t(t));
            writeText((fs::path(e.dir) / recipe.get<std::string>()).string(), spec.recipeJson);
        }
        tasks.push_back(Json{{"task", t},
                             {"name", spec.name},
                             {"source",
                              recipe.is_null() ? spec.source : absolutePath(spec.source)},
                             {"recipe", recipe},
                             {"reference", spec.modelPath.empty()
                                               ? Json(nullptr)
                                               : Json(absolutePath(spec.modelPath))},
                             {"key", keys[points[t]]}});
        e.taskNames.push_back(spec.name);
    }
    const SweepEvaluation &ev = params.evaluation;
    const SweepCalibration &cal = params.calibration;
    const Json manifest{
        {"schema", kManifestSchema},
        {"created_by", createdBy()},
        {"model", modelJson(fp)},
        {"evaluation",
         {{"text", absolutePath(ev.textPath)},
          {"n_ctx", ev.nCtx},
          {"chunks", ev.chunks},
          {"latency", ev.latency},
          {"latency_prompt", ev.latencyPrompt},
          {"latency_generate", ev.latencyGenerate},
          {"integer_activations", ev.integerActivations}}},
        {"calibration",
         {{"text", cal.path.empty() ? Json(nullptr) : Json(absolutePath(cal.path))},
          {"sequences", cal.sequences},
          {"seq_len", cal.tokensPerSequence}}},
        {"threads", params.threads},
        {"tasks", std::move(tasks)}};
    writeText((fs::path(e.dir) / "sweep.json").string(), manifest.dump(2) + "\n");
    const std::string script = (fs::path(e.dir) / "task.sh").string();
    writeText(script, taskScript(e.dir, absolutePath(fp.path), executable));
    fs::permissions(script, fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec,
                    fs::perm_options::add, ec);
    e.sbatchPath = (fs::path(e.dir) / "sweep.sbatch").string();
    writeText(e.sbatchPath, sbatchScript(e.dir, points.size(), params.threads));
    return e;
}

HistoryPoint runSlurmTask(const Model &model, const std::string &dirIn, int64_t task,
                          const JobContext &job)
{
    const std::string dir = absolutePath(dirIn);
    const Manifest m = readManifest(dir);
    if (task < 0 || size_t(task) >= m.tasks.size())
        throwIn(m.path, "has no task " + std::to_string(task) + " (tasks 0.."
                            + std::to_string(int64_t(m.tasks.size()) - 1) + ")");
    const Json &t = m.tasks[size_t(task)];
    const std::string key = t["key"].get<std::string>();
    const std::string resultPath = (fs::path(dir) / "results" / taskFile(task)).string();
    Json result{{"schema", kResultSchema}, {"task", task}, {"key", key}};
    try {
        requireModel(m, fingerprintModel(model));
        const SweepParams p = taskParams(m, model, t, dir);
        const std::string now = sweepKeys(p).at(0);
        if (now != key)
            throwIn(m.path, "task " + std::to_string(task) + " (" + p.points[0].name
                                + "): its recipe, evaluation text or calibration text changed "
                                  "since the array was written (key "
                                + key + ", now " + now + ")");
        SweepResult r = runSweep(p, job);
        result["status"] = "ok";
        result["point"] = historyPointJson(r.points.at(0));
        writeResult(resultPath, result);
        return r.points.at(0);
    } catch (const Cancelled &) {
        throw;
    } catch (const Error &e) {
        result["status"] = "failed";
        result["error"] = e.what();
        writeResult(resultPath, result);
        throw;
    }
}

SlurmCollection collectSlurmArray(const Model &model, const std::string &dirIn,
                                  const std::string &projectPath)
{
    const std::string dir = absolutePath(dirIn);
    const Manifest m = readManifest(dir);
    const ModelFingerprint fp = fingerprintModel(model);
    requireModel(m, fp);
    Project project = sweepProject(projectPath, fp);
    std::set<std::string> known;
    for (const HistoryPoint &h : project.history)
        known.insert(h.key);

    SlurmCollection c;
    c.tasks = m.tasks.size();
    for (size_t i = 0; i < m.tasks.size(); ++i) {
        const auto task = int64_t(i);
        const std::string name = m.tasks[i]["name"].get<std::string>();
        const std::string key = m.tasks[i]["key"].get<std::string>();
        const std::string relative = "results/" + taskFile(task);
        const std::string path = (fs::path(dir) / relative).string();
        if (!fs::exists(path)) {
            c.missing.push_back({task, name, relative + " was not written (the task did not run, "
                                                        "or did not finish)"});
            continue;
        }
        try {
            const Json r = parseJsonFile(path);
            if (!r.is_object() || r.value("schema", std::string()) != kResultSchema)
                throwIn(path, std::string("not a sweep task result (\"schema\" is not \"")
                                  + kResultSchema + "\")");
            if (r.value("task", int64_t(-1)) != task)
                throwIn(path, "\"task\" is not " + std::to_string(task));
            if (r.value("key", std::string()) != key)
                throwIn(path, "\"key\" is not the manifest's " + key
                                  + ": the result belongs to another array");
            const std::string status = r.value("status", std::string());
            if (status == "failed") {
                c.failed.push_back({task, name, r.value("error", std::string("(no message)"))});
                continue;
            }
            if (status != "ok")
                throwIn(path, "\"status\" is neither \"ok\" nor \"failed\"");
            if (!r.contains("point"))
                throwIn(path, "point: missing");
            HistoryPoint p = historyPointFromJson(r["point"], path);
            if (p.key != key)
                throwIn(path, "point.key " + p.key + " is not the task's " + key);
            if (known.contains(p.key)) {
                c.stored.push_back(std::move(p));
                continue;
            }
            known.insert(p.key);
            project.history.push_back(p);
            c.merged.push_back(std::move(p));
        } catch (const Cancelled &) {
            throw;
        } catch (const Error &e) {
            c.failed.push_back({task, name, e.what()});
        }
    }
    if (!c.merged.empty())
        writeProject(projectPath, project);
    return c;
}

} // namespace cwb
