// SPDX-License-Identifier: MIT
#pragma once
// The base-run file that KL divergence compares against: the tokens a run evaluated and, for
// every scored position, the base model's log-probabilities encoded as kl_divergence.h describes.
//
// Byte layout (little-endian):
//   offset  size   field
//   0       8      magic "CWBLOGP1"
//   8       4      u32 version = 1
//   12      4      u32 protocol: 0 = llama.cpp half window, 1 = full window
//   16      8      i64 nCtx            (2 .. 2^24)
//   24      8      i64 nVocab          (1 .. 2^24)
//   32      8      i64 chunks          (windows, 1 .. 2^24)
//   40      8      i64 firstScored     (0 .. nCtx-2: first position whose logits are scored)
//   48      4      u32 labelLength     (<= 4096)
//   52      L      label: the base model's file name, UTF-8
//   ...     0-7    zero padding to a multiple of 8
//   T       4*chunks*nCtx   i32 tokens of every window, as evaluated (BOS substitution applied)
//   R       rows: chunks * (nCtx - 1 - firstScored) of them, window by window, each
//               f32 scale, f32 minLogProb, u16 code[nVocab], zero padding to a multiple of 4
//   The file ends exactly after the last row.
// Writing goes to "<path>.partial" and is renamed on commit(), so an interrupted run never
// leaves a truncated base under the requested name.

#include "eval/evaluation.h"
#include "eval/kl_divergence.h"
#include "util/mapped_file.h"

#include <cstdint>
#include <cstdio>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace cwb::eval {

struct LogitsFileHeader {
    PplProtocol protocol = PplProtocol::LlamaCppHalfWindow;
    int64_t nCtx = 0;
    int64_t nVocab = 0;
    int64_t chunks = 0;
    int64_t firstScored = 0;
    std::string modelLabel;
    [[nodiscard]] int64_t rowsPerWindow() const { return nCtx - 1 - firstScored; }
};

// Encoded rows of one window, owned.
struct EncodedWindow {
    std::vector<float> scales;
    std::vector<float> minLogProbs;
    std::vector<uint16_t> codes; // rows * nVocab
    void resize(int64_t rows, int64_t nVocab);
    [[nodiscard]] EncodedRows view() const { return {scales, minLogProbs, codes}; }
};

class LogitsFileWriter {
public:
    // Opens "<path>.partial" and writes the header and the tokens (chunks * nCtx of them).
    // Throws cwb::Error naming the path.
    LogitsFileWriter(std::string path, LogitsFileHeader header, std::span<const int32_t> tokens);
    ~LogitsFileWriter(); // removes the partial file unless commit() succeeded
    LogitsFileWriter(const LogitsFileWriter &) = delete;
    LogitsFileWriter &operator=(const LogitsFileWriter &) = delete;

    // Appends one window's rows (exactly rowsPerWindow() of them).
    void writeWindow(const EncodedWindow &window);
    // Checks that every window was written, flushes and renames to the final path.
    void commit();

private:
    void put(const void *data, size_t bytes);

    std::string path_;
    std::string partial_;
    LogitsFileHeader header_;
    std::FILE *file_ = nullptr;
    int64_t windowsWritten_ = 0;
    bool committed_ = false;
};

class LogitsFileReader {
public:
    // Maps the file and checks magic, version, every count and the exact file size. Throws
    // cwb::Error naming the file, the field and its byte offset.
    explicit LogitsFileReader(const std::string &path);

    [[nodiscard]] const LogitsFileHeader &header() const { return header_; }
    [[nodiscard]] const std::string &path() const { return path_; }
    [[nodiscard]] std::span<const int32_t> tokens() const { return tokens_; }
    // Copies window `w`'s rows into `out` (resized to fit).
    void readWindow(int64_t w, EncodedWindow &out) const;

private:
    std::string path_;
    std::shared_ptr<const io::MappedFile> file_;
    LogitsFileHeader header_;
    std::vector<int32_t> tokens_;
    uint64_t rowsOffset_ = 0;
    uint64_t rowBytes_ = 0;
};

// Bytes of one stored row (scale, min, codes, padding).
[[nodiscard]] uint64_t logitsFileRowBytes(int64_t nVocab);

// Refuses a base that does not describe this run: different protocol, nCtx, vocabulary, window
// count or tokens. The message names the base file and what differs (for tokens, the window,
// position and both ids).
void checkBaseMatches(const LogitsFileReader &base, const LogitsFileHeader &run,
                      std::span<const int32_t> runTokens);

} // namespace cwb::eval
