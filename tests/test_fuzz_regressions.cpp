// SPDX-License-Identifier: MIT
// One test per finding of the fuzzers (fuzz/, scripts/fuzz.sh), named after what went wrong, with
// the minimised input written here byte for byte. Each input must now give either a model that
// decodes or a clear cwb::Error - no crash, no sanitizer report (the CI sanitizer build runs this
// suite under ASan + UBSan, which is where the undefined-behaviour findings show).

#include "test_support.h"

#include "io/gguf_writer.h"
#include "io/open_model.h"
#include "tensor/dequantize.h"
#include "util/error.h"

#include <QTemporaryDir>
#include <QTest>

#include <cstdint>
#include <fstream>
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
};

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

QTEST_GUILESS_MAIN(TestFuzzRegressions)
#include "test_fuzz_regressions.moc"
