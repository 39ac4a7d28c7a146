// SPDX-License-Identifier: MIT
#include "bench/llama_logs.h"

#include "util/error.h"

#include <charconv>
#include <vector>

namespace cwb::bench {
namespace {

constexpr std::string_view kPlusMinus = "\xC2\xB1"; // "±" in UTF-8

std::vector<std::string_view> linesOf(std::string_view text)
{
    std::vector<std::string_view> lines;
    size_t start = 0;
    while (start <= text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string_view::npos)
            end = text.size();
        lines.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return lines;
}

void skipSpaces(std::string_view &s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
}

// A number at the start of `s` (after spaces); consumes it.
std::optional<double> takeNumber(std::string_view &s)
{
    skipSpaces(s);
    double v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end == s.data())
        return std::nullopt;
    s.remove_prefix(size_t(end - s.data()));
    return v;
}

bool takePrefix(std::string_view &s, std::string_view prefix)
{
    skipSpaces(s);
    if (s.substr(0, prefix.size()) != prefix)
        return false;
    s.remove_prefix(prefix.size());
    return true;
}

// The text after `key` and the ':' that follows it, where a line (after leading spaces) starts
// with `key`, the words of the key separated by any run of spaces (llama.cpp aligns its
// columns with spaces: "Mean    KLD:"). The last such line counts: a run prints each figure once.
std::optional<std::string_view> valueAfter(std::string_view log, std::string_view key)
{
    std::optional<std::string_view> found;
    for (std::string_view line : linesOf(log)) {
        std::string_view rest = line;
        skipSpaces(rest);
        std::string_view k = key;
        bool ok = true;
        while (!k.empty() && ok) {
            if (k.front() == ' ') {
                if (rest.empty() || rest.front() != ' ')
                    ok = false;
                skipSpaces(rest);
                while (!k.empty() && k.front() == ' ')
                    k.remove_prefix(1);
            } else if (!rest.empty() && rest.front() == k.front()) {
                rest.remove_prefix(1);
                k.remove_prefix(1);
            } else {
                ok = false;
            }
        }
        if (!ok)
            continue;
        if (!takePrefix(rest, ":"))
            continue;
        found = rest;
    }
    return found;
}

[[noreturn]] void missing(const std::string &source, std::string_view what)
{
    throwIn(source, "no \"" + std::string(what) + "\" line in the tool's output");
}

} // namespace

LoadedSize parseLoadedSize(std::string_view log, const std::string &source)
{
    // "print_info: file size   = 2.89 MiB (3.49 BPW) "; older builds say "llm_load_print_meta:
    // model size = ...": the text after "size" and "=" is the same.
    for (std::string_view line : linesOf(log)) {
        size_t at = line.find("file size");
        if (at == std::string_view::npos)
            at = line.find("model size");
        if (at == std::string_view::npos || line.find("BPW") == std::string_view::npos)
            continue;
        std::string_view rest = line.substr(line.find("size", at) + 4);
        if (!takePrefix(rest, "="))
            continue;
        const auto size = takeNumber(rest);
        skipSpaces(rest);
        double scale = 0;
        if (takePrefix(rest, "MiB"))
            scale = 1;
        else if (takePrefix(rest, "GiB"))
            scale = 1024;
        if (!size || scale == 0 || !takePrefix(rest, "("))
            continue;
        const auto bpw = takeNumber(rest);
        if (!bpw || !takePrefix(rest, "BPW"))
            continue;
        return {*size * scale, *bpw};
    }
    missing(source, "file size = N MiB (B BPW)");
}

PerplexityFigures parsePerplexityLog(std::string_view log, const std::string &source)
{
    PerplexityFigures f;
    const auto withError = [&](std::string_view key, double &value,
                               std::optional<double> *error) -> bool {
        auto text = valueAfter(log, key);
        if (!text)
            return false;
        const auto v = takeNumber(*text);
        if (!v)
            throwIn(source, "the \"" + std::string(key) + "\" line has no number");
        value = *v;
        if (error && takePrefix(*text, kPlusMinus))
            *error = takeNumber(*text);
        return true;
    };
    double kld = 0;
    std::optional<double> kldError;
    if (withError("Mean KLD", kld, &kldError)) {
        f.hasKld = true;
        f.meanKld = kld;
        f.meanKldError = kldError;
        std::optional<double> pplError;
        if (!withError("Mean PPL(Q)", f.ppl, &pplError))
            missing(source, "Mean PPL(Q)");
        f.pplError = pplError.value_or(0);
        double v = 0;
        if (withError("99.0% KLD", v, nullptr))
            f.p99Kld = v;
        if (withError("Same top p", v, nullptr))
            f.sameTopPct = v;
        return f;
    }
    // "Final estimate: PPL = 26.1396 +/- 3.44500": on the line of the last chunk's progress.
    for (std::string_view line : linesOf(log)) {
        const size_t at = line.find("Final estimate: PPL =");
        if (at == std::string_view::npos)
            continue;
        std::string_view rest = line.substr(at + std::string_view("Final estimate: PPL =").size());
        const auto ppl = takeNumber(rest);
        if (!ppl)
            throwIn(source, "the \"Final estimate\" line has no number");
        f.ppl = *ppl;
        if (takePrefix(rest, "+/-"))
            f.pplError = takeNumber(rest).value_or(0);
        return f;
    }
    missing(source, "Final estimate: PPL = N");
}

QuantizeFigures parseQuantizeLog(std::string_view log, const std::string &source)
{
    QuantizeFigures f;
    bool sized = false;
    for (std::string_view line : linesOf(log)) {
        if (line.find("using fallback quantization") != std::string_view::npos)
            ++f.fallbacks;
        if (const size_t t = line.find("quantize time"); t != std::string_view::npos) {
            std::string_view rest = line.substr(t + 13);
            const auto ms = takePrefix(rest, "=") ? takeNumber(rest) : std::nullopt;
            if (ms && takePrefix(rest, "ms"))
                f.quantizeMs = *ms;
        }
        const size_t at = line.find("quant size");
        if (at == std::string_view::npos)
            continue;
        std::string_view rest = line.substr(at + 10);
        const auto mb = takePrefix(rest, "=") ? takeNumber(rest) : std::nullopt;
        if (mb && takePrefix(rest, "MB")) {
            f.quantMegabytes = *mb;
            sized = true;
        }
    }
    if (!sized)
        missing(source, "quant size = N MB");
    return f;
}

} // namespace cwb::bench
