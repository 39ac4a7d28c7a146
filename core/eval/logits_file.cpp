// SPDX-License-Identifier: MIT
#include "eval/logits_file.h"

#include "io/byte_reader.h"
#include "util/error.h"

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace cwb::eval {

namespace {

constexpr char kMagic[8] = {'C', 'W', 'B', 'L', 'O', 'G', 'P', '1'};
constexpr uint32_t kVersion = 1;
constexpr int64_t kMaxCtx = int64_t{1} << 24;
constexpr int64_t kMaxVocab = int64_t{1} << 24;
constexpr int64_t kMaxChunks = int64_t{1} << 24;
constexpr uint32_t kMaxLabel = 4096;

uint64_t padTo(uint64_t n, uint64_t a)
{
    return (n + a - 1) / a * a;
}

uint32_t protocolCode(PplProtocol p)
{
    return p == PplProtocol::LlamaCppHalfWindow ? 0u : 1u;
}

// What is wrong with the header's counts, or empty when they are fine.
std::string headerProblem(const LogitsFileHeader &h)
{
    if (h.nCtx < 2 || h.nCtx > kMaxCtx)
        return "n_ctx " + std::to_string(h.nCtx) + " is outside 2.." + std::to_string(kMaxCtx);
    if (h.nVocab < 1 || h.nVocab > kMaxVocab)
        return "vocabulary size " + std::to_string(h.nVocab) + " is outside 1.."
               + std::to_string(kMaxVocab);
    if (h.firstScored < 0 || h.firstScored > h.nCtx - 2)
        return "first scored position " + std::to_string(h.firstScored) + " is outside 0.."
               + std::to_string(h.nCtx - 2);
    if (h.chunks < 1 || h.chunks > kMaxChunks)
        return "window count " + std::to_string(h.chunks) + " is outside 1.."
               + std::to_string(kMaxChunks);
    if (h.modelLabel.size() > kMaxLabel)
        return "model label of " + std::to_string(h.modelLabel.size()) + " bytes is longer than "
               + std::to_string(kMaxLabel);
    return {};
}

} // namespace

uint64_t logitsFileRowBytes(int64_t nVocab)
{
    return padTo(8 + 2 * static_cast<uint64_t>(nVocab), 4);
}

void EncodedWindow::resize(int64_t rows, int64_t nVocab)
{
    scales.assign(static_cast<size_t>(rows), 0.0f);
    minLogProbs.assign(static_cast<size_t>(rows), 0.0f);
    codes.assign(static_cast<size_t>(rows * nVocab), uint16_t{0});
}

// ---- writer ----

LogitsFileWriter::LogitsFileWriter(std::string path, LogitsFileHeader header,
                                   std::span<const int32_t> tokens)
    : path_(std::move(path))
    , partial_(path_ + ".partial")
    , header_(std::move(header))
{
    if (const std::string problem = headerProblem(header_); !problem.empty())
        throwIn(path_, problem);
    if (tokens.size() != static_cast<size_t>(header_.chunks * header_.nCtx))
        throwIn(path_, "expected " + std::to_string(header_.chunks * header_.nCtx)
                           + " window tokens, got " + std::to_string(tokens.size()));
    file_ = std::fopen(partial_.c_str(), "wb");
    if (!file_)
        throwIn(partial_, std::string("cannot create the logits file: ") + std::strerror(errno));
    put(kMagic, sizeof kMagic);
    const uint32_t fixed[2] = {kVersion, protocolCode(header_.protocol)};
    put(fixed, sizeof fixed);
    const int64_t counts[4] = {header_.nCtx, header_.nVocab, header_.chunks, header_.firstScored};
    put(counts, sizeof counts);
    const auto labelLength = static_cast<uint32_t>(header_.modelLabel.size());
    put(&labelLength, sizeof labelLength);
    put(header_.modelLabel.data(), labelLength);
    const uint64_t end = 52 + labelLength;
    const char zeros[8] = {};
    put(zeros, padTo(end, 8) - end);
    put(tokens.data(), tokens.size_bytes());
}

LogitsFileWriter::~LogitsFileWriter()
{
    if (file_)
        std::fclose(file_);
    if (!committed_) {
        std::error_code ec;
        std::filesystem::remove(partial_, ec);
    }
}

void LogitsFileWriter::put(const void *data, size_t bytes)
{
    if (bytes > 0 && std::fwrite(data, 1, bytes, file_) != bytes)
        throwIn(partial_, std::string("write failed: ") + std::strerror(errno));
}

void LogitsFileWriter::writeWindow(const EncodedWindow &window)
{
    const auto rows = static_cast<size_t>(header_.rowsPerWindow());
    const auto v = static_cast<size_t>(header_.nVocab);
    if (windowsWritten_ >= header_.chunks)
        throwIn(path_, "more windows written than the " + std::to_string(header_.chunks)
                           + " the header announces");
    if (window.scales.size() != rows || window.minLogProbs.size() != rows
        || window.codes.size() != rows * v)
        throwIn(path_, "a window must hold " + std::to_string(rows) + " rows of "
                           + std::to_string(v) + " codes");
    const char zeros[4] = {};
    const uint64_t pad = logitsFileRowBytes(header_.nVocab) - 8 - 2 * v;
    for (size_t r = 0; r < rows; ++r) {
        put(&window.scales[r], 4);
        put(&window.minLogProbs[r], 4);
        put(window.codes.data() + r * v, 2 * v);
        put(zeros, pad);
    }
    ++windowsWritten_;
}

void LogitsFileWriter::commit()
{
    if (windowsWritten_ != header_.chunks)
        throwIn(path_, "only " + std::to_string(windowsWritten_) + " of "
                           + std::to_string(header_.chunks) + " windows were written");
    const bool ok = std::fflush(file_) == 0;
    std::fclose(file_);
    file_ = nullptr;
    if (!ok)
        throwIn(partial_, std::string("write failed: ") + std::strerror(errno));
    std::error_code ec;
    std::filesystem::rename(partial_, path_, ec);
    if (ec)
        throwIn(path_, "cannot rename " + partial_ + ": " + ec.message());
    committed_ = true;
}

// ---- reader ----

LogitsFileReader::LogitsFileReader(const std::string &path)
    : path_(path)
{
    file_ = io::MappedFile::open(path);
    io::ByteReader r(file_->bytes(), path);
    const auto magic = r.readSpan(8, "magic");
    if (std::memcmp(magic.data(), kMagic, 8) != 0)
        throwAt(path, 0, "not a cwb logits file (magic is not \"CWBLOGP1\")");
    const uint64_t versionAt = r.offset();
    const auto version = r.read<uint32_t>("version");
    if (version != kVersion)
        throwAt(path, versionAt,
                "unsupported logits file version " + std::to_string(version)
                    + " (this build reads version 1)");
    const uint64_t protocolAt = r.offset();
    const auto protocol = r.read<uint32_t>("protocol");
    if (protocol > 1)
        throwAt(path, protocolAt, "unknown protocol code " + std::to_string(protocol));
    header_.protocol = protocol == 0 ? PplProtocol::LlamaCppHalfWindow : PplProtocol::FullWindow;
    header_.nCtx = r.read<int64_t>("n_ctx");
    header_.nVocab = r.read<int64_t>("vocabulary size");
    header_.chunks = r.read<int64_t>("window count");
    header_.firstScored = r.read<int64_t>("first scored position");
    const uint64_t labelAt = r.offset();
    const auto labelLength = r.read<uint32_t>("label length");
    if (labelLength > kMaxLabel)
        throwAt(path, labelAt,
                "label length " + std::to_string(labelLength) + " exceeds "
                    + std::to_string(kMaxLabel));
    header_.modelLabel = r.readString(labelLength, "model label");
    if (const std::string problem = headerProblem(header_); !problem.empty())
        throwAt(path, 16, problem); // the counts start at offset 16
    r.seek(padTo(r.offset(), 8), "token table");

    // Every count is bounded above, so these products cannot overflow 64 bits; compare them with
    // the file size before allocating anything.
    const auto chunks = static_cast<uint64_t>(header_.chunks);
    const uint64_t nTokens = chunks * static_cast<uint64_t>(header_.nCtx);
    const uint64_t tokensAt = r.offset();
    if (nTokens > r.remaining() / 4)
        throwAt(path, tokensAt,
                "the token table of " + std::to_string(chunks) + " windows x "
                    + std::to_string(header_.nCtx) + " tokens passes the end of the file");
    rowBytes_ = logitsFileRowBytes(header_.nVocab);
    const uint64_t rows = chunks * static_cast<uint64_t>(header_.rowsPerWindow());
    rowsOffset_ = tokensAt + 4 * nTokens;
    const uint64_t available = r.size() - rowsOffset_;
    if (rows > available / rowBytes_ || rows * rowBytes_ != available)
        throwAt(path, rowsOffset_,
                "expected " + std::to_string(rows) + " rows of " + std::to_string(rowBytes_)
                    + " bytes after the tokens, found " + std::to_string(available) + " bytes");
    tokens_.resize(static_cast<size_t>(nTokens));
    std::memcpy(tokens_.data(), r.readSpan(4 * nTokens, "tokens").data(), 4 * nTokens);
    for (size_t i = 0; i < tokens_.size(); ++i)
        if (tokens_[i] < 0 || tokens_[i] >= header_.nVocab)
            throwAt(path, tokensAt + 4 * i,
                    "token id " + std::to_string(tokens_[i]) + " is outside the vocabulary of "
                        + std::to_string(header_.nVocab));
}

void LogitsFileReader::readWindow(int64_t w, EncodedWindow &out) const
{
    if (w < 0 || w >= header_.chunks)
        throwIn(path_, "window " + std::to_string(w) + " does not exist (the file holds "
                           + std::to_string(header_.chunks) + ")");
    const int64_t rows = header_.rowsPerWindow();
    const auto v = static_cast<size_t>(header_.nVocab);
    out.resize(rows, header_.nVocab);
    io::ByteReader r(file_->bytes(), path_);
    r.seek(rowsOffset_ + static_cast<uint64_t>(w * rows) * rowBytes_, "window rows");
    for (size_t i = 0; i < static_cast<size_t>(rows); ++i) {
        out.scales[i] = r.read<float>("row scale");
        out.minLogProbs[i] = r.read<float>("row minimum log-probability");
        const auto codes = r.readSpan(2 * v, "row codes");
        std::memcpy(out.codes.data() + i * v, codes.data(), 2 * v);
        r.skip(rowBytes_ - 8 - 2 * v, "row padding");
    }
}

void checkBaseMatches(const LogitsFileReader &base, const LogitsFileHeader &run,
                      std::span<const int32_t> runTokens)
{
    const auto &b = base.header();
    const std::string &src = base.path();
    const std::string from = " (base recorded from " + (b.modelLabel.empty() ? "?" : b.modelLabel)
                             + ")";
    if (b.protocol != run.protocol)
        throwIn(src, std::string("protocol differs: the base used ") + protocolName(b.protocol)
                         + ", this run " + protocolName(run.protocol) + from);
    if (b.nCtx != run.nCtx)
        throwIn(src, "n_ctx differs: the base used " + std::to_string(b.nCtx) + ", this run "
                         + std::to_string(run.nCtx) + from);
    if (b.nVocab != run.nVocab)
        throwIn(src, "vocabulary size differs: the base has " + std::to_string(b.nVocab)
                         + ", this model " + std::to_string(run.nVocab) + from
                         + "; KL divergence needs the same vocabulary");
    if (b.chunks != run.chunks)
        throwIn(src, "window count differs: the base has " + std::to_string(b.chunks)
                         + ", this run " + std::to_string(run.chunks) + from);
    const auto tokens = base.tokens();
    if (runTokens.size() != tokens.size())
        throwIn(src, "token count differs: the base has " + std::to_string(tokens.size())
                         + ", this run " + std::to_string(runTokens.size()) + from);
    for (size_t i = 0; i < tokens.size(); ++i)
        if (tokens[i] != runTokens[i])
            throwIn(src, "tokens differ at window " + std::to_string(i / b.nCtx) + ", position "
                             + std::to_string(i % b.nCtx) + ": the base has id "
                             + std::to_string(tokens[i]) + ", this run "
                             + std::to_string(runTokens[i])
                             + " - the base was made from another text or tokenizer" + from);
}

} // namespace cwb::eval
