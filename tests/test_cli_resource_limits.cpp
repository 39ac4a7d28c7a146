// SPDX-License-Identifier: MIT
// Hostile files that declare huge shapes or counts are refused before anything is allocated:
// `cwb` runs them under an address-space limit (setrlimit(RLIMIT_AS), as `ulimit -v` sets it)
// of 1 GiB, far below what any of the declared sizes would take, and must answer with its clear
// cwb::Error (exit 1, the file named) - not std::bad_alloc ("internal error", exit 3) and not a
// crash. A valid model under the same limit is the control that the limit itself is not what
// fails. Address sanitizer builds reserve terabytes of shadow memory, so the test skips there.

#include "cli_runner.h"
#include "test_support.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <sys/resource.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

namespace fs = std::filesystem;

namespace {

constexpr rlim_t kAddressSpaceLimit = rlim_t{1} << 30;

struct Bytes {
    std::string s;
    Bytes &u32(uint32_t v) { s.append(reinterpret_cast<const char *>(&v), 4); return *this; }
    Bytes &i32(int32_t v) { s.append(reinterpret_cast<const char *>(&v), 4); return *this; }
    Bytes &u64(uint64_t v) { s.append(reinterpret_cast<const char *>(&v), 8); return *this; }
    Bytes &f32(float v) { s.append(reinterpret_cast<const char *>(&v), 4); return *this; }
    Bytes &str(const std::string &v) { u64(v.size()); s += v; return *this; }
    Bytes &raw(const std::string &v) { s += v; return *this; }
    Bytes &zeros(size_t n) { s.append(n, '\0'); return *this; }
};

void writeFile(const std::string &path, const std::string &bytes)
{
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

Bytes ggufHeader(uint64_t nTensors, uint64_t nKv)
{
    return Bytes().raw("GGUF").u32(3).u64(nTensors).u64(nKv);
}

// GCC defines __SANITIZE_ADDRESS__, clang answers __has_feature(address_sanitizer).
#if defined(__SANITIZE_ADDRESS__)
#define CWB_ADDRESS_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CWB_ADDRESS_SANITIZER 1
#endif
#endif
#ifndef CWB_ADDRESS_SANITIZER
#define CWB_ADDRESS_SANITIZER 0
#endif

cwbtest::CliResult runLimited(const QStringList &args)
{
    QProcess p;
    auto env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("CWB_SHARED"), QString::fromStdString(cwbtest::sharedDir()));
    p.setProcessEnvironment(env);
#if !CWB_ADDRESS_SANITIZER
    p.setChildProcessModifier([] {
        const rlimit limit{kAddressSpaceLimit, kAddressSpaceLimit};
        ::setrlimit(RLIMIT_AS, &limit);
    });
#endif
    // Under AddressSanitizer (whose shadow memory reserves terabytes of address space, so no
    // RLIMIT_AS can apply) the same cases run without the limit: ASan aborts on any allocation
    // over its maximum, so a huge declared size allocated before it is checked still fails.
    p.start(QStringLiteral(CWB_CLI_PATH), args);
    cwbtest::CliResult r;
    if (!p.waitForFinished(120000)) {
        p.kill();
        p.waitForFinished();
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

} // namespace

class TestCliResourceLimits : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void validModelOpensUnderTheLimit();
    void hugeDeclarationsFailBeforeAllocating_data();
    void hugeDeclarationsFailBeforeAllocating();

private:
    QTemporaryDir dir_;
};

void TestCliResourceLimits::initTestCase()
{
    QVERIFY(dir_.isValid());
}

void TestCliResourceLimits::validModelOpensUnderTheLimit()
{
    CWB_SHARED_FILE(model, "models/stories260K/stories260K.gguf");
    const cwbtest::CliResult r = runLimited({QStringLiteral("inspect"), QString::fromStdString(model)});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
}

void TestCliResourceLimits::hugeDeclarationsFailBeforeAllocating_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("command"); // "inspect" or "generate" (loads the tokenizer)
    const auto row = [](const char *tag, const char *name, const std::string &bytes,
                        const char *command = "inspect") {
        QTest::newRow(tag) << QString::fromLatin1(name)
                           << QByteArray(bytes.data(), qsizetype(bytes.size()))
                           << QString::fromLatin1(command);
    };
    // GGUF: counts, array lengths, string lengths and shapes far beyond the file.
    row("gguf 2^40 tensors", "a.gguf", ggufHeader(uint64_t{1} << 40, 0).zeros(64).s);
    row("gguf 2^40 metadata values", "b.gguf", ggufHeader(0, uint64_t{1} << 40).zeros(64).s);
    row("gguf array of 2^40 u8", "c.gguf",
        ggufHeader(0, 1).str("k").u32(9).u32(0).u64(uint64_t{1} << 40).zeros(64).s);
    row("gguf array of 2^22 strings", "d.gguf",
        ggufHeader(0, 1).str("k").u32(9).u32(8).u64(uint64_t{1} << 22).zeros(64).s);
    row("gguf key of 2^62 bytes", "e.gguf",
        ggufHeader(0, 1).u64(uint64_t{1} << 62).zeros(64).s);
    row("gguf tensor of 2^63 values", "f.gguf",
        ggufHeader(1, 0).str("t").u32(4).u64(uint64_t{1} << 16).u64(uint64_t{1} << 16)
            .u64(uint64_t{1} << 16).u64(uint64_t{1} << 15).u32(0).u64(0).zeros(64).s);
    // safetensors: a header length beyond the file, and a shape of 2^64 values.
    row("safetensors header of 2^40 bytes", "a.safetensors",
        Bytes().u64(uint64_t{1} << 40).raw("{}").s);
    const std::string header =
        R"({"t":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,16]}})";
    row("safetensors shape of 2^64 values", "b.safetensors",
        Bytes().u64(header.size()).raw(header).zeros(16).s);
    // llama2.c: every dimension at 2^30.
    row("llama2c 2^30 dims", "huge.bin",
        Bytes().i32(1 << 30).i32(1 << 30).i32(1 << 30).i32(1).i32(1).i32(1 << 30).i32(1 << 30)
            .zeros(64).s);
    // tokenizer.bin beside stories260K.bin (read by `cwb generate`): a token of 2^31-1 bytes.
    row("tokenizer.bin token of 2^31 bytes", "tokenizer.bin",
        Bytes().i32(0x7fffffff).f32(0).i32(0x7fffffff).raw("abc").s, "generate");
}

void TestCliResourceLimits::hugeDeclarationsFailBeforeAllocating()
{
    QFETCH(QString, name);
    QFETCH(QByteArray, bytes);
    QFETCH(QString, command);
    const QString dir = dir_.filePath(QString::fromLatin1(QTest::currentDataTag()).replace(QLatin1Char(' '), QLatin1Char('_')));
    fs::create_directories(dir.toStdString());
    const QString file = dir + QLatin1Char('/') + name;
    writeFile(file.toStdString(), bytes.toStdString());
    QStringList args{command};
    if (command == QLatin1String("generate")) {
        // The model is the real one; its tokenizer is the hostile file beside it.
        CWB_SHARED_FILE(model, "models/stories260K/stories260K.bin");
        const QString copy = dir + QStringLiteral("/stories260K.bin");
        fs::copy_file(model, copy.toStdString());
        args << copy << QStringLiteral("--prompt") << QStringLiteral("Once") << QStringLiteral("-n")
             << QStringLiteral("1");
    } else {
        args << file;
    }
    const cwbtest::CliResult r = runLimited(args);
    QVERIFY2(r.exitCode == 1,
             qPrintable(QStringLiteral("exit %1 (1 = a clear error): %2").arg(r.exitCode).arg(r.err)));
    QVERIFY2(r.err.contains(name), qPrintable(r.err));
    QVERIFY2(!r.err.contains(QLatin1String("bad_alloc")) && !r.err.contains(QLatin1String("internal error")),
             qPrintable(r.err));
}

QTEST_GUILESS_MAIN(TestCliResourceLimits)
#include "test_cli_resource_limits.moc"
