// SPDX-License-Identifier: MIT
// Dense Hugging Face export (core/export/safetensors_export.h): stories260K from its llama2.c .bin
// and from llama.cpp's GGUF (interleaved Q/K rows) comes out as the independently derived HF
// checkpoint, tensor for tensor; dev256 (a HF directory) round-trips unchanged; all reopen with
// our reader and evaluate to the source's perplexity; an archive is written as the values the
// engine uses. Hostile output paths, a failing writer and cancellation at every stage leave no
// temporary directory and the previous export intact, for both directory targets; a preview
// writes nothing.

#include "eval/evaluation.h"
#include "export/export.h"
#include "export/export_result.h"
#include "io/open_model.h"
#include "jobs/job_context.h"
#include "pipeline/archive.h"
#include "pipeline/pipeline.h"
#include "pipeline/run_inputs.h"
#include "recipe/recipe.h"
#include "recipe/resolve.h"
#include "test_support.h"
#include "util/error.h"

#include <nlohmann/json.hpp>

#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace fs = std::filesystem;

namespace {

constexpr const char *kText = "data/tinystories/tinystories_validation_head.txt";

double ourPerplexity(const cwb::Model &m, const std::string &text,
                     const cwb::OpenedArchive *archive = nullptr)
{
    cwb::EvalParams p;
    p.model = &m;
    if (archive)
        cwb::useArchive(p, *archive, "archive");
    p.textPath = text;
    p.nCtx = 256;
    p.chunks = 20;
    p.threads = 1;
    return cwb::runEvaluation(p).ppl;
}

cwb::ExportRequest requestFor(const cwb::Model &m, const std::string &out,
                              const cwb::CompressedModel *c = nullptr,
                              cwb::ExportTarget target = cwb::ExportTarget::Safetensors)
{
    cwb::ExportRequest r;
    r.target = target;
    r.model = &m;
    r.compressed = c;
    r.outPath = out;
    return r;
}

cwb::CompressedModel compressWith(const cwb::Model &m, const char *recipe)
{
    cwb::PlanOptions o;
    o.calibration = false;
    const cwb::Plan plan = cwb::resolvePlan(cwb::parseRecipeLenient(recipe, "recipe"), m, o);
    cwb::CompressParams params;
    params.recipeJson = recipe;
    params.outputError = false;
    return cwb::compressModel(m, plan, params);
}

std::vector<std::string> namesIn(const std::string &dir)
{
    std::vector<std::string> names;
    for (const auto &e : fs::directory_iterator(dir))
        names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

std::string firstLine(const std::string &path)
{
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    return line;
}

// Nothing but `expected` in `root`: no "<out>.tmp-<pid>" or "<out>.old-<pid>" left behind.
void expectOnly(const std::string &root, std::vector<std::string> expected)
{
    std::sort(expected.begin(), expected.end());
    const auto names = namesIn(root);
    std::string list;
    for (const auto &n : names)
        list += n + " ";
    QVERIFY2(names == expected, list.c_str());
}

} // namespace

class TestExportSafetensors : public QObject {
    Q_OBJECT

private slots:
    void storiesMatchesTheDerivedCheckpoint_data();
    void storiesMatchesTheDerivedCheckpoint();
    void hfDirectoryRoundTrips();
    void archiveIsWrittenAsTheEngineValues();
    void floatTypesSayWhatTheyRound();
    void previewWritesNothing();
    void hostilePathsAndCancellation_data();
    void hostilePathsAndCancellation();
    void otherFamiliesAreRefused();
};

void TestExportSafetensors::storiesMatchesTheDerivedCheckpoint_data()
{
    QTest::addColumn<QString>("relative");
    QTest::addColumn<int>("contextLength");
    QTest::addColumn<QStringList>("files");
    const QStringList common{QStringLiteral("config.json"), QStringLiteral("cwb-export.json"),
                             QStringLiteral("generation_config.json"),
                             QStringLiteral("model.safetensors")};
    QTest::newRow("llama2c-bin") << QStringLiteral("models/stories260K/stories260K.bin") << 512
                                 << common + QStringList{QStringLiteral("tokenizer.bin")};
    // llama.cpp's conversion: the same tensors plus a copy of the embedding as output.weight,
    // the converter's default context length, the vocabulary inside the GGUF.
    QTest::newRow("gguf") << QStringLiteral("models/stories260K/stories260K.gguf") << 2048
                          << common;
}

void TestExportSafetensors::storiesMatchesTheDerivedCheckpoint()
{
    QFETCH(QString, relative);
    QFETCH(int, contextLength);
    QFETCH(QStringList, files);
    CWB_SHARED_FILE(path, relative.toUtf8().constData());
    CWB_SHARED_FILE(derived, "models/stories260K-hf-derived");
    CWB_SHARED_FILE(tok, "models/stories260K/tok512.bin");
    CWB_SHARED_FILE(text, kText);
    const cwb::Model source = cwb::io::openModel(path);
    QTemporaryDir dir;
    const std::string out = dir.filePath(QStringLiteral("stories-hf")).toStdString();
    const cwb::ExportResult r = cwb::runExport(requestFor(source, out));
    std::printf("%s", cwb::exportText(r).c_str());
    QVERIFY(r.written && r.verified);
    QCOMPARE(r.tensors.size(), size_t(47)); // tied head: no lm_head.weight
    QCOMPARE(r.exactCount(), int64_t(47));
    expectOnly(dir.path().toStdString(), {"stories-hf"});
    std::vector<std::string> expected;
    for (const auto &f : files)
        expected.push_back(f.toStdString());
    expectOnly(out, expected);

    // Every tensor equals the HF checkpoint derived independently (numpy, q/k rows permuted to
    // rotate_half): names, shapes and values bit for bit.
    cwb::Model back = cwb::io::openModel(out);
    const cwb::Model reference = cwb::io::openModel(derived);
    QCOMPARE(back.tensors.size(), reference.tensors.size());
    for (const cwb::Tensor &t : reference.tensors) {
        const cwb::Tensor *mine = back.findTensor(t.name);
        QVERIFY2(mine, t.name.c_str());
        QCOMPARE(mine->shape, t.shape);
        QVERIFY2(mine->copyBytes() == t.copyBytes(), t.name.c_str());
    }
    QCOMPARE(back.rope, cwb::RopeLayout::HalfSplit);
    QVERIFY(back.hparams.tiedEmbeddings);

    // config.json carries what an engine sizes the model from.
    const auto config = nlohmann::json::parse(std::ifstream(out + "/config.json"));
    QCOMPARE(config["architectures"][0].get<std::string>(), std::string("LlamaForCausalLM"));
    QCOMPARE(config["num_key_value_heads"].get<int>(), 4);
    QCOMPARE(config["head_dim"].get<int>(), 8);
    QCOMPARE(config["max_position_embeddings"].get<int>(), contextLength);
    QCOMPARE(config["bos_token_id"].get<int>(), 1);
    QCOMPARE(config["eos_token_id"].get<int>(), 2);
    QCOMPARE(config["tie_word_embeddings"].get<bool>(), true);
    QCOMPARE(config["torch_dtype"].get<std::string>(), std::string("float32"));
    const auto marker = nlohmann::json::parse(std::ifstream(out + "/cwb-export.json"));
    QCOMPARE(marker["target"].get<std::string>(), std::string("safetensors"));

    // The reopened directory (rotate_half rows) is the same model; the .bin's tokenizer.bin
    // comes along, the GGUF's vocabulary does not (a note says so).
    if (back.tokenizer.kind.empty()) {
        bool noted = false;
        for (const auto &n : r.notes)
            noted = noted || n.find("has no tokenizer") != std::string::npos;
        QVERIFY(noted);
        back.tokenizer = {"llama2c-bin", {tok}};
    }
    QCOMPARE(back.tokenizer.kind, std::string("llama2c-bin"));
    const double ours = ourPerplexity(source, text);
    const double theirs = ourPerplexity(back, text);
    std::printf("%s: source ppl %.6f, exported HF directory ppl %.6f\n", path.c_str(), ours,
                theirs);
    QVERIFY2(std::fabs(theirs / ours - 1) < 1e-6,
             qPrintable(QStringLiteral("%1 vs %2").arg(theirs, 0, 'g', 17).arg(ours, 0, 'g', 17)));
}

void TestExportSafetensors::hfDirectoryRoundTrips()
{
    CWB_SHARED_FILE(dev, "models/dev256");
    CWB_SHARED_FILE(text, kText);
    const cwb::Model source = cwb::io::openModel(dev);
    QTemporaryDir dir;
    const std::string out = dir.filePath(QStringLiteral("dev256-copy")).toStdString();
    const cwb::ExportResult r = cwb::runExport(requestFor(source, out));
    QCOMPARE(r.exactCount(), int64_t(r.tensors.size()));
    expectOnly(out, {"config.json", "cwb-export.json", "generation_config.json",
                     "model.safetensors", "tokenizer.model", "tokenizer_config.json"});
    // HF -> HF: Q/K rows stay where they are, every tensor bit for bit.
    const cwb::Model back = cwb::io::openModel(out);
    QCOMPARE(back.tensors.size(), source.tensors.size());
    for (const cwb::Tensor &t : source.tensors) {
        const cwb::Tensor *mine = back.findTensor(t.name);
        QVERIFY2(mine && mine->copyBytes() == t.copyBytes(), t.name.c_str());
    }
    // The source's config fields survive; the files it has are copied unchanged.
    const auto config = nlohmann::json::parse(std::ifstream(out + "/config.json"));
    const auto original = nlohmann::json::parse(std::ifstream(dev + "/config.json"));
    for (const char *key : {"hidden_act", "initializer_range", "rope_scaling", "use_cache",
                            "hidden_size", "num_key_value_heads", "head_dim", "bos_token_id"})
        QVERIFY2(config[key] == original[key], key);
    for (const char *name :
         {"tokenizer.model", "tokenizer_config.json", "generation_config.json"}) {
        std::ifstream a(dev + "/" + name, std::ios::binary), b(out + "/" + name, std::ios::binary);
        const std::string sa((std::istreambuf_iterator<char>(a)), {});
        const std::string sb((std::istreambuf_iterator<char>(b)), {});
        QVERIFY2(sa == sb && !sa.empty(), name);
    }
    QCOMPARE(back.tokenizer.kind, std::string("sentencepiece"));
    const double ours = ourPerplexity(source, text);
    const double theirs = ourPerplexity(back, text);
    std::printf("dev256: source ppl %.6f, exported HF directory ppl %.6f\n", ours, theirs);
    // The same values; the figure moves by ~1e-9 from run to run (float sums in parallel
    // sections in a different order).
    QVERIFY2(std::fabs(theirs / ours - 1) < 1e-7,
             qPrintable(QStringLiteral("%1 vs %2").arg(theirs, 0, 'g', 17).arg(ours, 0, 'g', 17)));
}

void TestExportSafetensors::archiveIsWrittenAsTheEngineValues()
{
    CWB_SHARED_FILE(dev, "models/dev256");
    CWB_SHARED_FILE(text, kText);
    const cwb::Model m = cwb::io::openModel(dev);
    const char *recipe = R"({"version": 1, "rules": [
        {"match": "layers.*.attn.*", "methods": [{"method": "q4_k"}]},
        {"match": "layers.*.mlp.*", "methods":
            [{"method": "rtn", "params": {"bits": 4, "group": 32, "sym": false}}]},
        {"match": "layers.1.mlp.down", "methods": [{"method": "nf4"}]},
        {"match": "embed", "methods": [{"method": "q8_0"}]}]})";
    QTemporaryDir dir;
    const std::string archivePath = dir.filePath(QStringLiteral("a.cwbarchive")).toStdString();
    cwb::writeArchive(archivePath, compressWith(m, recipe));
    const cwb::OpenedArchive archive = cwb::openArchive(archivePath);
    const std::string out = dir.filePath(QStringLiteral("dense")).toStdString();
    const cwb::ExportResult r =
        cwb::runExport(requestFor(*archive.source, out, &archive.compressed));
    QCOMPARE(r.exactCount(), int64_t(r.tensors.size())); // F32 holds every decoded value
    const cwb::Model back = cwb::io::openModel(out);
    for (const cwb::CompressedTensor &ct : archive.compressed.tensors) {
        const cwb::Tensor *src = archive.source->findTensor(ct.canonical);
        const cwb::Tensor *t = back.findTensor(ct.canonical);
        QVERIFY2(src && t, ct.canonical.c_str());
        QVERIFY2(t->toFloat() == ct.reconstruct(), ct.canonical.c_str());
    }
    int dequantized = 0;
    for (const auto &t : r.tensors)
        dequantized += t.note.find("dequantized") != std::string::npos ? 1 : 0;
    QCOMPARE(dequantized, 6 * 7 + 1);
    // The engine on the dense directory computes what it computes on the archive.
    const double onArchive = ourPerplexity(*archive.source, text, &archive);
    const double onExport = ourPerplexity(back, text);
    std::printf("dev256 archive (q4_k, rtn 4-bit asym, nf4, q8_0): ppl %.6f, its dense HF export "
                "%.6f\n", onArchive, onExport);
    QVERIFY2(std::fabs(onExport / onArchive - 1) < 1e-5,
             qPrintable(QStringLiteral("%1 vs %2").arg(onExport).arg(onArchive)));
}

void TestExportSafetensors::floatTypesSayWhatTheyRound()
{
    CWB_SHARED_FILE(bin, "models/stories260K/stories260K.bin");
    const cwb::Model m = cwb::io::openModel(bin);
    QTemporaryDir dir;
    for (const cwb::DType type : {cwb::DType::F16, cwb::DType::BF16}) {
        const std::string name(cwb::dtypeName(type));
        const std::string out = dir.filePath(QString::fromStdString(name)).toStdString();
        cwb::ExportRequest r = requestFor(m, out);
        r.floatType = type;
        const cwb::ExportResult res = cwb::runExport(r);
        const double limit = type == cwb::DType::F16 ? 1e-3 : 1e-2;
        for (const auto &t : res.tensors) {
            const bool norm = t.name.ends_with("norm.weight");
            QCOMPARE(t.written, norm ? std::string("F32") : name);
            QVERIFY2(norm ? t.exact() : (t.fate == cwb::ExportFate::Converted
                                         && t.maxAbsError > 0 && t.maxAbsError < limit),
                     t.name.c_str());
        }
        std::printf("%s: %lld of %zu exact (the norms)\n", name.c_str(),
                    (long long)res.exactCount(), res.tensors.size());
        const auto config = nlohmann::json::parse(std::ifstream(out + "/config.json"));
        QCOMPARE(config["torch_dtype"].get<std::string>(),
                 std::string(type == cwb::DType::F16 ? "float16" : "bfloat16"));
        QCOMPARE(cwb::io::openModel(out).findTensor("model.layers.0.mlp.up_proj.weight")->dtype,
                 type);
    }
}

void TestExportSafetensors::previewWritesNothing()
{
    CWB_SHARED_FILE(bin, "models/stories260K/stories260K.bin");
    const cwb::Model m = cwb::io::openModel(bin);
    QTemporaryDir dir;
    const std::string out = dir.filePath(QStringLiteral("preview")).toStdString();
    cwb::ExportRequest r = requestFor(m, out);
    r.floatType = cwb::DType::F16;
    r.preview = true;
    const cwb::ExportResult preview = cwb::runExport(r);
    QVERIFY(!preview.written && !preview.verified && preview.files.empty());
    expectOnly(dir.path().toStdString(), {});
    r.preview = false;
    const cwb::ExportResult real = cwb::runExport(r);
    QCOMPARE(preview.tensors.size(), real.tensors.size());
    for (size_t i = 0; i < real.tensors.size(); ++i) {
        QCOMPARE(preview.tensors[i].name, real.tensors[i].name);
        QCOMPARE(preview.tensors[i].written, real.tensors[i].written);
        QCOMPARE(preview.tensors[i].fate, real.tensors[i].fate);
    }
}

void TestExportSafetensors::hostilePathsAndCancellation_data()
{
    QTest::addColumn<int>("target");
    QTest::newRow("safetensors") << int(cwb::ExportTarget::Safetensors);
    QTest::newRow("compressed-tensors") << int(cwb::ExportTarget::CompressedTensors);
}

void TestExportSafetensors::hostilePathsAndCancellation()
{
    QFETCH(int, target);
    CWB_SHARED_FILE(bin, "models/stories260K/stories260K.bin");
    const cwb::Model m = cwb::io::openModel(bin);
    // 8-bit per-channel codes: packed by compressed-tensors, dequantized by safetensors.
    const cwb::CompressedModel c = compressWith(m, R"({"version": 1, "defaults": {"methods":
        [{"method": "rtn", "params": {"bits": 8, "group": -1}}]}})");
    const auto request = [&](const std::string &out) {
        return requestFor(m, out, &c, cwb::ExportTarget(target));
    };
    QTemporaryDir dir;
    const std::string root = dir.path().toStdString();

    // A directory we did not write: refused, untouched.
    const std::string user = root + "/user";
    fs::create_directory(user);
    std::ofstream(user + "/notes.txt") << "mine";
    std::string e = cwbtest::errorOf([&] { (void)cwb::runExport(request(user)); });
    QVERIFY2(e.find(user) != std::string::npos && e.find("refusing") != std::string::npos,
             e.c_str());
    QCOMPARE(namesIn(user), std::vector<std::string>{"notes.txt"});
    QCOMPARE(firstLine(user + "/notes.txt"), std::string("mine"));
    // A file in the way: refused, untouched.
    const std::string file = root + "/file";
    std::ofstream(file) << "a file";
    e = cwbtest::errorOf([&] { (void)cwb::runExport(request(file)); });
    QVERIFY2(e.find(file) != std::string::npos && e.find("not a directory") != std::string::npos,
             e.c_str());
    QCOMPARE(firstLine(file), std::string("a file"));

    // A read-only location (root ignores directory permissions; nobody creates files in /proc).
    const std::string ro = root + "/readonly";
    fs::create_directory(ro);
    fs::permissions(ro, fs::perms::owner_read | fs::perms::owner_exec);
    const std::string roOut = (::geteuid() == 0 ? std::string("/proc") : ro) + "/export";
    e = cwbtest::errorOf([&] { (void)cwb::runExport(request(roOut)); });
    QVERIFY2(e.find(roOut) != std::string::npos, e.c_str());
    QVERIFY(!fs::exists(roOut));
    QVERIFY(namesIn(ro).empty());
    fs::permissions(ro, fs::perms::owner_all);

    // An empty directory is taken; a second export replaces the first (its marker says so).
    const std::string out = root + "/export";
    fs::create_directory(out);
    const cwb::ExportResult first = cwb::runExport(request(out));
    QVERIFY(first.written);
    std::ofstream(out + "/previous.txt") << "previous";
    const cwb::ExportResult second = cwb::runExport(request(out));
    QVERIFY(second.written && !fs::exists(out + "/previous.txt"));
    std::ofstream(out + "/previous.txt") << "previous";
    const std::vector<std::string> before = namesIn(out);
    const std::vector<std::string> rootBefore = namesIn(root);

    // A failing writer (a full disk at the end, a failed sync, a failure between moving the old
    // directory aside and the new one in): the error names the directory, the previous export is
    // intact and nothing temporary is left.
    for (const std::string point : {"written", "synced", "aside"}) {
        cwb::ExportRequest r = request(out);
        r.writeHooks.failpoint = [&](std::string_view at) {
            if (at == point)
                throw cwb::Error(out + ": No space left on device (simulated at " + point + ")");
        };
        e = cwbtest::errorOf([&] { (void)cwb::runExport(r); });
        QVERIFY2(e.find(out) != std::string::npos && e.find(point) != std::string::npos,
                 e.c_str());
        QCOMPARE(namesIn(out), before);
        QCOMPARE(firstLine(out + "/previous.txt"), std::string("previous"));
        QCOMPARE(namesIn(root), rootBefore);
    }
    // Cancelled while planning, writing or verifying: the same.
    for (const std::string stage : {"tensor", "writing", "verifying"}) {
        std::atomic<bool> cancel{false};
        cwb::JobContext job;
        job.cancelFlag = &cancel;
        job.progress = [&](double, const std::string &what) {
            if (what.starts_with(stage))
                cancel = true;
        };
        bool cancelled = false;
        try {
            (void)cwb::runExport(request(out), job);
        } catch (const cwb::Cancelled &) {
            cancelled = true;
        }
        QVERIFY2(cancelled, stage.c_str());
        QCOMPARE(namesIn(out), before);
        QCOMPARE(firstLine(out + "/previous.txt"), std::string("previous"));
        QCOMPARE(namesIn(root), rootBefore);
    }
}

void TestExportSafetensors::otherFamiliesAreRefused()
{
    CWB_SHARED_FILE(keras, "models/keras-mnist-mlp/mnist_mlp.h5");
    const cwb::Model m = cwb::io::openModel(keras);
    QTemporaryDir dir;
    const std::string out = dir.filePath(QStringLiteral("x")).toStdString();
    for (const auto target : {cwb::ExportTarget::Safetensors,
                              cwb::ExportTarget::CompressedTensors}) {
        const std::string e = cwbtest::errorOf([&] {
            (void)cwb::runExport(requestFor(m, out, nullptr, target));
        });
        QVERIFY2(e.find(keras) != std::string::npos
                     && e.find("not llama-family") != std::string::npos, e.c_str());
        QVERIFY(!fs::exists(out));
    }
}

QTEST_GUILESS_MAIN(TestExportSafetensors)
#include "test_export_safetensors.moc"
