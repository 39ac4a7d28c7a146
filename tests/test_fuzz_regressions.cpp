// SPDX-License-Identifier: MIT
// One test per finding of the fuzzers (fuzz/, scripts/fuzz.sh), named after what went wrong, with
// the minimised input written here byte for byte. Each input must now give either a model that
// decodes or a clear cwb::Error - no crash, no sanitizer report (the CI sanitizer build runs this
// suite under ASan + UBSan, which is where the undefined-behaviour findings show).

#include "test_support.h"

#include "io/gguf_writer.h"
#include "io/open_model.h"
#include "pipeline/archive.h"
#include "project/project_file.h"
#include "recipe/name_match.h"
#include "recipe/recipe.h"
#include "tokenizer/bpe_vocab.h"
#include "tensor/dequantize.h"
#include "util/error.h"
#include "util/forked_call.h"
#include "util/name_regex.h"

#include <QByteArray>
#include <QTemporaryDir>
#include <QTest>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <malloc.h>
#include <fstream>
#include <limits>
#include <string>
#include <thread>
#include <vector>

namespace {

std::string writeBytes(const QTemporaryDir &dir, const char *name, const std::string &bytes)
{
    const std::string path = dir.filePath(QString::fromLatin1(name)).toStdString();
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
    return path;
}

// A minimised input kept in the test as base64 of qCompress, written to dir/name; the size
// check guards against a damaged literal.
std::string writeEmbedded(const QTemporaryDir &dir, const char *name, const char *base64,
                          qsizetype expectedSize)
{
    const QByteArray bytes = qUncompress(QByteArray::fromBase64(QByteArray(base64)));
    if (bytes.size() != expectedSize)
        return {};
    return writeBytes(dir, name, bytes.toStdString());
}

// Every tensor of a model the reader accepted, decoded as the fuzz target does.
void decodeAll(const cwb::Model &m)
{
    for (const cwb::Tensor &t : m.tensors) {
        if (!t.decodable())
            continue;
        const std::vector<float> v = t.toFloat();
        QCOMPARE(static_cast<int64_t>(v.size()), t.numel());
    }
}

} // namespace

class TestFuzzRegressions : public QObject {
    Q_OBJECT
private Q_SLOTS:
    // Before any HDF5 read: libhdf5 calls in a child get 1 s here (h5/variable_strings.h).
    void initTestCase() { qputenv("CWB_HDF5_CHILD_TIMEOUT_MS", "1000"); }
    void emptyTensorDecodesWithoutNullMemcpy();
    void archiveMatrixWithoutBytesReadsWithoutNullMemcpy();
    void jsonNumberOverflowIsAClearError_data();
    void jsonNumberOverflowIsAClearError();
    void regexNumberOverflowIsAClearError();
    void backtrackingPatternsMatchInLinearTime();
    void modelTotalsSaturateOnHugeShapes();
    void forkedCallReportsEveryEnding();
    void corruptAttributeTableIsAnErrorNotACrash();
    void zeroDimensionDoesNotHideAnOverflowingShape();
    void variableStringHangIsAnErrorNotAHang();
};

// fuzz_hdf5, crash-4880aa7b: an archive matrix of kind "float" without its bytes dataset was
// read through memcpy(nullptr, nullptr, 0) (UBSan, core/pipeline/archive.cpp). Written here by
// our own writer: a 0 x 0 float matrix stores no bytes dataset; the reader reads it (the copy the
// sanitizer suite watches) and then refuses the shape, naming the matrix.
void TestFuzzRegressions::archiveMatrixWithoutBytesReadsWithoutNullMemcpy()
{
    QTemporaryDir dir;
    cwb::CompressedModel model;
    cwb::CompressedTensor t;
    t.name = t.canonical = "empty";
    t.shape = {0, 0};
    t.weight = cwb::StoredMatrix::fromFloats({}, 0, 0, cwb::DType::F32);
    model.tensors.push_back(t);
    const std::string path = dir.filePath(QStringLiteral("empty.cwbarchive")).toStdString();
    cwb::writeArchive(path, model);
    const std::string message = cwbtest::errorOf([&] { (void)cwb::readArchive(path); });
    QVERIFY2(message.find("/tensors/empty/weight") != std::string::npos
                 && message.find("0 x 0") != std::string::npos,
             message.c_str());
}

// fuzz_gguf, crash-2dcd9ea3: a GGUF v2 F32 tensor with a zero dimension decoded through
// memcpy(nullptr, ..., 0) (UBSan: null pointer passed as argument 1).
void TestFuzzRegressions::emptyTensorDecodesWithoutNullMemcpy()
{
    QTemporaryDir dir;
    // The input as the fuzzer found it (95 bytes): GGUF v2 with one F32 tensor of zero elements.
    static const unsigned char input[] = {
        0x47, 0x47, 0x55, 0x46, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x32, 0x47, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0xff, 0xff, 0xff, 0x00, 0xeb, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    };
    const std::string bytes(reinterpret_cast<const char *>(input), sizeof input);
    const std::string path = writeBytes(dir, "empty-tensor.gguf", bytes);
    try {
        decodeAll(cwb::io::openModel(path));
    } catch (const cwb::Error &) {
        // a refusal is fine too; a crash or a sanitizer report is not
    }
    // The same through our writer: a [0, 32] F32 tensor decodes to nothing.
    cwb::io::GgufWriter w;
    w.addTensor("empty", cwb::DType::F32, {0, 32}, {});
    const std::string written = dir.filePath(QStringLiteral("written.gguf")).toStdString();
    w.write(written);
    const cwb::Model m = cwb::io::openModel(written);
    QCOMPARE(m.tensors.size(), size_t{1});
    QVERIFY(m.tensors[0].toFloat().empty());
    std::vector<float> none;
    cwb::convertToFloat(cwb::DType::F32, {}, none);
}

void TestFuzzRegressions::jsonNumberOverflowIsAClearError_data()
{
    QTest::addColumn<QString>("reader");
    QTest::newRow("tokenizer.json") << "tokenizer.json";
    QTest::newRow("vocab.json") << "vocab.json";
    QTest::newRow("safetensors header") << "safetensors";
    QTest::newRow("recipe") << "recipe";
}

// fuzz_bpe_tokenizer, crash-76ebbbc7: "30e23330" in tokenizer.json - well-formed JSON whose
// number nlohmann refuses with out_of_range.406, which is no parse_error: the readers caught
// only parse_error, so it escaped as an uncaught exception. Every JSON reader shared the bug.
void TestFuzzRegressions::jsonNumberOverflowIsAClearError()
{
    QFETCH(QString, reader);
    QTemporaryDir dir;
    const std::string number = "30e23330";
    std::string error;
    if (reader == QLatin1String("tokenizer.json")) {
        const std::string path = writeBytes(dir, "tokenizer.json",
                                            R"({"model": {"type": "BPE", "vocab": {"a": )" + number + "}}}");
        error = cwbtest::errorOf([&] { (void)cwb::readTokenizerJson(path, ""); });
    } else if (reader == QLatin1String("vocab.json")) {
        const std::string vocab = writeBytes(dir, "vocab.json", R"({"a": )" + number + "}");
        const std::string merges = writeBytes(dir, "merges.txt", "#version: 0.2\n");
        error = cwbtest::errorOf([&] { (void)cwb::readVocabJsonMerges(vocab, merges); });
    } else if (reader == QLatin1String("safetensors")) {
        const std::string header = R"({"t": {"dtype": "F32", "shape": [)" + number
                                   + R"(], "data_offsets": [0, 4]}})";
        std::string bytes(8, '\0');
        const uint64_t n = header.size();
        std::memcpy(bytes.data(), &n, 8);
        const std::string path = writeBytes(dir, "m.safetensors", bytes + header + "1234");
        error = cwbtest::errorOf([&] { (void)cwb::io::openModel(path); });
    } else {
        error = cwbtest::errorOf([&] {
            (void)cwb::parseRecipe(R"({"version": )" + number + "}", "r.json");
        });
    }
    QVERIFY2(!error.empty(), "no cwb::Error");
    QVERIFY2(error.find("JSON") != std::string::npos, error.c_str());
}

// fuzz_recipe, crash-f9c439b3: a "re:" pattern with the back-reference \5555555555555555555555555555
// - libstdc++'s regex compiler (GCC 12) multiplied the digits into a long without an overflow
// check (UBSan: signed integer overflow in regex_compiler.tcc). Name patterns now go to RE2
// (util/name_regex.h), which has no back-references and bounds repetition counts: the pattern
// is refused with a message naming the offset; ordinary patterns are not affected.
void TestFuzzRegressions::regexNumberOverflowIsAClearError()
{
    std::string error;
    const std::string hostile = "re:layers\\.1\\.mlp\\5555555555555555555555555555$";
    QVERIFY(!cwb::NamePattern::compile(hostile, error));
    QVERIFY2(error.find("invalid escape sequence: \\555 at offset 14") != std::string::npos,
             error.c_str());
    for (const char *refused : {"(x)\\1", "a{1001}", "((a{100}){100}){100}", "(?!lm_head).*"}) {
        error.clear();
        QVERIFY2(!cwb::NamePattern::compile(std::string("re:") + refused, error), refused);
        QVERIFY2(error.find(" at offset ") != std::string::npos, error.c_str());
    }
    for (const char *fine : {"layers\\.[0-9]+\\.mlp\\..*", "a{2,3}", "layers\\.1234567890123\\.x",
                             "embed|head", "a{1,99999999999999999999}"}) {
        error.clear();
        QVERIFY2(cwb::NamePattern::compile(std::string("re:") + fine, error), error.c_str());
    }
}

// fuzz_recipe, timeout-e605b3e8 (2026-12-08): the "re:" pattern "laye2" followed by 14 stars
// took libstdc++'s backtracking matcher 17 s per dry run (7 minutes in the sanitized fuzz
// build): a repetition of a repetition is exponential in the name's length ("(a*)*b" on 15
// letters: 1.1 s), and separate repetitions are polynomial (".*" seven times: ~1 s per
// 40-character name). RE2 refuses the stars ("bad repetition operator", as Python's re does)
// and matches every pattern in time linear in the name: nested and repeated repetition over
// 10,000-character names, which would not finish under backtracking, take milliseconds here.
// The bound is a hang guard, three orders of magnitude above what RE2 takes.
void TestFuzzRegressions::backtrackingPatternsMatchInLinearTime()
{
    std::string error;
    const std::string hostile =
        "re:laye2**************147483648gggggggggggggggggggg.2\\.mlprs.0.ae";
    QVERIFY(!cwb::NamePattern::compile(hostile, error));
    QVERIFY2(error.find("bad repetition operator: ** at offset 5") != std::string::npos,
             error.c_str());
    const std::string name(10000, 'a');
    const auto start = std::chrono::steady_clock::now();
    for (const char *slow : {"(a*)*b", "(a+)+b", "(a|aa)*c", "(x{2,})+", ".*.*.*.*.*.*.*z",
                             "((a)*)+b", "(.*a){12}b"}) {
        error.clear();
        const auto pattern = cwb::NamePattern::compile(std::string("re:") + slow, error);
        QVERIFY2(pattern, error.c_str());
        QVERIFY2(!pattern->matchesName(name, name), slow);
    }
    QVERIFY(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
    // Full-name and prefix semantics, on the patterns the exports write and read.
    const auto whole = cwb::NameRegex::compile("layers\\.(0|1)\\..*", error);
    QVERIFY(whole && whole->matchesWhole("layers.1.attn.q") && !whole->matchesWhole("xlayers.1.q"));
    const auto prefix = cwb::NameRegex::compile("model\\.layers\\.3", error);
    QVERIFY(prefix && prefix->matchesPrefix("model.layers.3.mlp")
            && !prefix->matchesWhole("model.layers.3.mlp")
            && !prefix->matchesPrefix("x.model.layers.3"));
    // Bytes, not UTF-8: a name with a stray byte still matches, and "." takes one byte.
    const auto bytes = cwb::NameRegex::compile("w.\\.bin", error);
    QVERIFY(bytes && bytes->matchesWhole("w\xff.bin") && !bytes->matchesWhole("w\xc3\xa9.bin"));
}

// fuzz_gguf (2026-12-07): a GGUF declaring two tensors of ~5e18 values each made Model::totals
// add past int64 (UBSan: signed overflow). The totals now saturate.
void TestFuzzRegressions::modelTotalsSaturateOnHugeShapes()
{
    cwb::Model m;
    for (const char *name : {"a", "b"}) {
        cwb::Tensor t;
        t.name = name;
        t.dtype = cwb::DType::F32;
        t.shape = {int64_t(1) << 31, int64_t(1) << 31}; // 2^62 values each
        t.byteSize = uint64_t(1) << 63;
        m.tensors.push_back(t);
    }
    const cwb::ModelTotals totals = m.totals();
    QCOMPARE(totals.parameters, std::numeric_limits<int64_t>::max());
    QCOMPARE(totals.bytes, std::numeric_limits<uint64_t>::max());
    QCOMPARE(totals.tensors, int64_t(2));
}

// The guard of third-party calls that crash on hostile input (h5::Reader::attrNames): each way
// the child can end reaches the caller as such, and its text comes back whole (NULs included,
// more than a pipe's buffer).
void TestFuzzRegressions::forkedCallReportsEveryEnding()
{
    using Status = cwb::ForkedResult::Status;
    std::string big(3 << 20, '\0');
    for (size_t i = 0; i < big.size(); ++i)
        big[i] = static_cast<char>(i * 131 % 251);
    cwb::ForkedResult r = cwb::runForked([&] { return big; }, 60'000);
    QCOMPARE(int(r.status), int(Status::Completed));
    QVERIFY(r.output == big);

    r = cwb::runForked([]() -> std::string { throw cwb::Error("refused: offset 12"); }, 60'000);
    QCOMPARE(int(r.status), int(Status::Failed));
    QCOMPARE(r.output, std::string("refused: offset 12"));

    r = cwb::runForked([]() -> std::string {
        std::raise(SIGSEGV);
        return "survived";
    }, 60'000);
    QCOMPARE(int(r.status), int(Status::Crashed));
    QCOMPARE(r.signal, SIGSEGV);

    const auto t0 = std::chrono::steady_clock::now();
    r = cwb::runForked([]() -> std::string {
        std::this_thread::sleep_for(std::chrono::seconds(30));
        return "late";
    }, 200);
    QCOMPARE(int(r.status), int(Status::TimedOut));
    QVERIFY(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(20));
}

// fuzz_hdf5 (2026-12-07): a .cwbproj (17,049 bytes, minimised from a mutated analysis project;
// here zlib-compressed, in qCompress's framing) whose /settings group holds a corrupt attribute
// message. libhdf5 1.10.8 builds a table of the attribute messages to list them and, on the
// corrupt one, releases entries it never initialised: H5Aiterate2 crashed in H5A__close
// (SEGV). Whether it does depends on what the heap held before; glibc's M_PERTURB fills every
// fresh allocation with a non-zero pattern (ASan's allocator does the same), which makes the
// crash certain. The listing now runs in a forked child (h5::Reader::attrNames): the child
// dies, the read fails with a cwb::Error naming the file and the group.
void TestFuzzRegressions::corruptAttributeTableIsAnErrorNotACrash()
{
    static const char kProject[] =
    "AABCmXja7VnPbxtFFB57k9T5pTgholG5+IJIkWI7jnESCk2ApMoJIqhEb8vYO7YH784us7O1kwPqsdx67BVOIHHIf0B765ET"
    "5wqExI1eEOIUdndm7d2JHbspraww48N6dt/3Znbmve+9efvNwd6t+ZlrMyBomQyYAFn/z6nf0uGtU9Eefqgl+inA2xfiGvXv"
    "i+v36ej+ZPhsRdzPhvoByHF14Km4f/vT/f1A+lRq4jF4NBXhVfs/toP9Dw6D6x3RL4rrk3RSzrINZPpXFzGGScON7kMCzSMX"
    "d/uRva4OGXdRWJxs13NiBilwBWT8n1trIgsC8NoiALMx/bV2Ne9Q+0tUYwK3JXAL/v8Ip99F1MU28e0747thKLGbmGd0nQMH"
    "oj8bjlujCDJk6NUj/jwY/42Y/Ee25VDkBspzn9u0VUWk1swV8+v53vz7+WcmI/w7FfdPMNA/VVP+GfdPYT6gOZWUi+zy8D8a"
    "97OPP9lLAQ3kojixkBznD9HPLCXn5Qe6JA+I/oEUZ5rTSbkHon8ye7n2L+I5eR3mxE4FcTzgGweyZsQzhdi6FNo+uRQsiEmh"
    "6mHTWKt7x8cFFyHDLfhEfLRmmtCCa/WNUr7R8Oq+3tUEf9ZtakHG9U7E9IbCCd6cCXmzjk2ku/gYgd5+9ePN3RMg8e5sD1+z"
    "PcIEfijvRvh5zrs2YYgwvQnd7npkY/KbmxUEN9BGsWaUi6VSJeU/7cezq3O8/1BTPKvaxXn259mXy7MRP8j81/OLRe4X0MRV"
    "Cpmfb+QZ6rAIH/hHKjYvAOQ8aiHEN7HL7AaFVr6Kictx6RhuvSLz0jUJVzOxozuI1nz39J08Nv5STM/2dn67GG8V+X2ykl4K"
    "SQOFeqZjetwjy0KM4lr3fSJey/C80PEzPwrP8BqjHkqOdzUm71n5Oma6Y7cR1U3YBiPgX0/igznrFia6gS1wFr9eLJU5PuK7"
    "5STegh39LjQ95HbXbyaGL62XN8tbG5XylryPWUkPYk3bODM+9JidnP+Scm5FbGeJ7cH1V0Nsh2/xvnNdNujJMGGgdtsdnCj0"
    "zHgidCTfe7j23E5XujwLyqda8i2CjDXz+587PXwmxMOqqwc6RsDfaz+L4yf5+AiSEccHxfTyT/L8XWaMNP/vHn/7+IedX3d6"
    "NDLN8a2Qne7c4PJPRqzyFN/n8iuj7JymnCbhF1N8V1JRny9iKpUasHoroeigHQ7S/eB5Op1OcX/k+rRU/5R0SWgJhH/RrrYA"
    "6IzFgebRFn+hp+9qIBnw5kNLrVO7igj2XN39alSPSeqZEx4Dq/6Rws8SWuBievh8/KyF2s5RV9HoepKFJUQQbXA1+nZx8AFn"
    "JPw7L4jffh58NsR3c58gC8HGCPjdLn45gYem04QX2I8FSU/Hz6Yuvq89PS33YvaxKK0L0RnEZiQ3bH1UG++8R9Qpuh9UDkta"
    "olDQrGgiWsv5yVRoF1Vk2u1zCiEDD3R/c4Un/6T76sXEQJ1z7Gv6jP/yQhGBFup38LI95nhMJza18m2EG00m42fEQZLYBPvH"
    "ydgBLn4AqWMCzVCNfPCaCvEGO3KQwGkx3K2NUv+DWgs7DjLOOagmMzQX1WxiuEP9+PDrt9+c+vGvm8Pis1xw0kTBSF73wXG5"
    "+ZtU4hwQl++Nhd3zwu2VbuH2WUblc2OfYp6tX77UDF+1AYfj6OsnuJF0GheThmdCGlVuGPVILSzG6YhSm8qH6GFfP6Ndvr8j"
    "gpGmXj4RCeTIEY90xGY5mLMgo7iTW11f27suRyr+6UNUyEYokT1f5FEnw/MiT7obJ3PvnW/VEVV1bqoIpexKVRxUxeHVVRzG"
    "roygNlfeXEWoilAVoaoS7piXcBW5KHJR5KLI5QXJRdGIopExphHFIipFUdyiuEWlKJeSXJQ/Kn9U/qiCvQr2ilwUuVxqcvkX"
    "uG7R4g==";
    const QTemporaryDir dir;
    const std::string path = writeEmbedded(dir, "corrupt.cwbproj", kProject, 17049);
    QVERIFY(!path.empty());
    std::string error;
    mallopt(M_PERTURB, 0xbe);
    try {
        (void)cwb::readProject(path);
    } catch (const cwb::Error &e) {
        error = e.what();
    }
    mallopt(M_PERTURB, 0);
    QVERIFY2(error.find(path) != std::string::npos, error.c_str());
    QVERIFY2(error.find("'/settings'") != std::string::npos, error.c_str());
    QVERIFY2(error.find("libhdf5 crashed listing the attributes") != std::string::npos,
             error.c_str());
}

// fuzz_llama2c (2026-12-07, a GGUF under a .bin name): a GGUF tensor with ne = [0, 65536,
// 0x0909090909090909, 0x0909090909090909] has no elements, so the reader's running element count
// (0 after the first dimension) never overflowed, but Tensor::numel() multiplied the other
// dimensions first (UBSan: signed overflow). The readers now also bound the product of the
// non-zero dimensions (GGUF, safetensors, Keras alike), and numel() / rows() look for a zero
// before multiplying.
void TestFuzzRegressions::zeroDimensionDoesNotHideAnOverflowingShape()
{
    QTemporaryDir dir;
    std::string gguf("GGUF", 4);
    const auto u32 = [&](uint32_t v) { gguf.append(reinterpret_cast<const char *>(&v), 4); };
    const auto u64 = [&](uint64_t v) { gguf.append(reinterpret_cast<const char *>(&v), 8); };
    u32(3); // version
    u64(1); // tensors
    u64(0); // metadata
    u64(1);
    gguf += 't';
    u32(4);
    for (const uint64_t ne : {uint64_t(0), uint64_t(65536), uint64_t(0x0909090909090909),
                              uint64_t(0x0909090909090909)})
        u64(ne);
    u32(0); // F32
    u64(0); // offset
    gguf.resize((gguf.size() + 31) / 32 * 32, '\0');
    const std::string ggufPath = writeBytes(dir, "zero-dim.gguf", gguf);
    const std::string ggufError = cwbtest::errorOf([&] { (void)cwb::io::openModel(ggufPath); });
    QVERIFY2(ggufError.find("tensor 't': element count overflows") != std::string::npos,
             ggufError.c_str());

    const std::string header =
        R"({"t": {"dtype": "F32", "shape": [0, 4611686018427387904, 4], "data_offsets": [0, 0]}})";
    std::string st(8, '\0');
    const uint64_t n = header.size();
    std::memcpy(st.data(), &n, 8);
    st += header;
    const std::string stPath = writeBytes(dir, "zero-dim.safetensors", st);
    const std::string stError = cwbtest::errorOf([&] { (void)cwb::io::openModel(stPath); });
    QVERIFY2(stError.find("has more elements than fit in 64 bits") != std::string::npos,
             stError.c_str());

    cwb::Tensor t;
    t.shape = {int64_t(1) << 62, int64_t(1) << 62, 0};
    QCOMPARE(t.numel(), int64_t(0));
    t.shape = {int64_t(1) << 62, 0, int64_t(1) << 62};
    QCOMPARE(t.numel(), int64_t(0));
    QCOMPARE(t.rows(), int64_t(0));
}

// fuzz_hdf5 (2026-12-07, timeout-a5135abf, a mutated Keras file): reading the variable-length
// string attribute @backend, libhdf5 1.10.8 went round H5HG_read / H5C_protect for more than 10
// minutes (measured: killed at 600 s), beyond the reach of a job's cancel. Variable-length
// strings are now read in a forked child with a time limit (h5/variable_strings.h), 1 s here.
void TestFuzzRegressions::variableStringHangIsAnErrorNotAHang()
{
    static const char kModel[] =
    "AABXoHja7ZxdaBRXFMfvzGR3J3ETVhvc6IMZxIcNqWsMgVabZjYmq2vxI6StFV82G3di0qy7IQm4VtsU7MPWD+jHi4JoRURBn3yQ"
    "lOJswIJSQls/kEBB2tJCniq+tA+hTWd27t35yK67jSTY5P/Lw825c+aeYe7Zs3fOPTufRjq3V1etrSI6okgqiI9YmaV89Z5dZsd7"
    "aMvRNkPbazzrd+eO1dF+Hx0/s92Qx2n/O93hsK4964DZ+dnFzgfLkUi4vUtv91OZ+dM93q4XV5IjCmujm/N+GZqnXY4IBf33bNiQ"
    "02X673Sl0YqYSvivJY5lXIX9l/lt5AXtvr1nbydH+LzfSYI9Xkeo3O+Mrw12vQCVI43Lc/643J8ZB1bSO9XlMeShyvLiQMiLOIA4"
    "YMYBibafVdr1BpXhpJLY2sTk3oHYiC6xz+Pr84oDXN7vAh7759vpx6BYHPAY94xjcsBoeaPDTfUqaOuUBS2C6JorpXraJxG/SPxj"
    "9LhLmyH9OC8YA67Qjuv/cHl7Yi4SxZW+RGxUyc+fSCOTwAuZatN0BTO9is68rh91+wfnvyIq/P3C4uJE/fP1mf81rYAvWdG/N7gC"
    "3xuDJc6b8Ntlp79V4NYCAAAAACwp0hzXQy7OTp74S93wxe+qL37r9rbujuyN9xuydXKLLEZq2tZ9slU++/AbdVK6rq47vVsWnyrq"
    "8S3ftoVu3VQnj95Q07/+pn7E7ZQfnAnLExmXPPXBWvn4JZf86Mt2ed/VMXn8xB31wt2Np9LczOVnQxef9F75e9X6P2e8+1p+4knH"
    "Xc9r2jU0kR9mX/3+O/WtD7uztcc+V/e0xuUpd0jddmC9nLwSzEoP6m/z0Xfl80O/tE3f92elP75Wq1tXt6e5Uw1PbqYenzxw7Nz5"
    "OzMkcNq9E5MKAAAAlGBuPtLIxHE0YejMAy18/pH/UTJN5tNPc/OPXQtyP4rl0dYU0W+ss8vl5M164HYAAADA/3z9VLi+y0frE8ut"
    "7/o4yNZBYDlSrL6r31Ev5axLjLyw/xauSzqciiuJ6MFUsm/gUDn+O9UE/4X/zq1LCgTtegtdlzTRSIjlcZZMU1kMYo7+Wx7AXpdk"
    "Pv+TgvIi1CVJzaZpgSxyXdL+1ufrM/+7twm+VE4+5Y0S53UWyasIZeRXAAAAAADAUngese9LCov+/MH3v2mafGn2JWuL6I851s9Y"
    "NwMAAABLH7aP4/x9vpdm6DlSnVvbHFEGDvWPRpOxw8qI3v+KtpCpsayz2OsxWJvbf9rEsviGxHL4VrvO3/uXY9dXym50s92yJjPb"
    "bN81RN8z00OY3Qi1683ZTcSOKsOm2ZxdTym75rabZbwaUquNaBkvldT612jj6Ffiyy9dzfUhk0I7SL5vR8feXbljPjJHT6c52Bxs"
    "2Tjax66niraj2gWlhvsSqSP2eR//x1gXjuEjAAAAAAAAAAAAvDSwfInzvbdeWsem70vpeYbe2MFBJRkvmV+osuQX9KH+Ba5EsWs=";
    const QTemporaryDir dir;
    const std::string path = writeEmbedded(dir, "hang.h5", kModel, 22432);
    QVERIFY(!path.empty());
    const auto start = std::chrono::steady_clock::now();
    const std::string error = cwbtest::errorOf([&] { (void)cwb::io::openModel(path); });
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    QVERIFY2(error.find(path) != std::string::npos, error.c_str());
    QVERIFY2(error.find("@backend") != std::string::npos, error.c_str());
    QVERIFY2(error.find("libhdf5 did not finish reading the strings in 1000 ms") != std::string::npos,
             error.c_str());
    QVERIFY2(seconds < 30, qPrintable(QString::number(seconds)));
    // A real Keras file's variable-length strings still read (through the child).
    CWB_SHARED_FILE(mlp, "models/keras-mnist-mlp/mnist_mlp.h5");
    QVERIFY(!cwb::io::openModel(mlp).tensors.empty());
}

QTEST_GUILESS_MAIN(TestFuzzRegressions)

#include "test_fuzz_regressions.moc"
