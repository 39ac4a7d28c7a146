// SPDX-License-Identifier: MIT
// One test per finding of the fuzzers (fuzz/, scripts/fuzz.sh), named after what went wrong, with
// the minimised input written here byte for byte. Each input must now give either a model that
// decodes or a clear cwb::Error - no crash, no sanitizer report (the CI sanitizer build runs this
// suite under ASan + UBSan, which is where the undefined-behaviour findings show).

#include "test_support.h"

#include "io/gguf_writer.h"
#include "io/open_model.h"
#include "pipeline/archive.h"
#include "recipe/name_match.h"
#include "recipe/recipe.h"
#include "tokenizer/bpe_vocab.h"
#include "tensor/dequantize.h"
#include "util/error.h"
#include "util/regex_limits.h"

#include <QTemporaryDir>
#include <QTest>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

namespace {

std::string writeBytes(const QTemporaryDir &dir, const char *name, const std::string &bytes)
{
    const std::string path = dir.filePath(QString::fromLatin1(name)).toStdString();
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
    return path;
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
    void emptyTensorDecodesWithoutNullMemcpy();
    void archiveMatrixWithoutBytesReadsWithoutNullMemcpy();
    void jsonNumberOverflowIsAClearError_data();
    void jsonNumberOverflowIsAClearError();
    void regexNumberOverflowIsAClearError();
    void modelTotalsSaturateOnHugeShapes();
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
// - libstdc++'s regex compiler (GCC 12) multiplies the digits into a long without an overflow
// check (UBSan: signed integer overflow in regex_compiler.tcc). Such numbers (after a backslash
// or inside braces) are refused before std::regex sees them, naming the offset; ordinary
// patterns are not affected.
void TestFuzzRegressions::regexNumberOverflowIsAClearError()
{
    std::string error;
    const std::string hostile = "re:layers\\GGGG.1\\.mlp\\5555555555555555555555555555$";
    QVERIFY(!cwb::NamePattern::compile(hostile, error));
    QVERIFY2(error.find("28 digits") != std::string::npos, error.c_str());
    QVERIFY(!cwb::regexNumberProblem("a{1,99999999999999999999}").empty());
    QVERIFY(!cwb::regexNumberProblem("a{12345678901}").empty());
    for (const char *fine : {"layers\\.[0-9]+\\.mlp\\..*", "a{2,3}", "layers\\.1234567890123\\.x",
                             "(x)\\1", "(a)\\1{2}", "embed|head"}) {
        QVERIFY2(cwb::regexNumberProblem(fine).empty(), fine);
        error.clear();
        QVERIFY2(cwb::NamePattern::compile(std::string("re:") + fine, error), error.c_str());
    }
}

QTEST_GUILESS_MAIN(TestFuzzRegressions)
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

#include "test_fuzz_regressions.moc"
