// SPDX-License-Identifier: MIT
#include "h5/variable_strings.h"

#include "h5/h5_id.h"
#include "h5/hdf5_error.h"

#include "util/forked_call.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace cwb::h5 {
namespace {

// 'E' and HDF5's complaint (clearing its error stack).
std::string hdf5Complaint()
{
    std::string out(1, 'E');
    out += hdf5ErrorText();
    return out;
}

// The read, as the child runs it: 'N' and per string its length (8 bytes) and bytes, or 'E' and
// HDF5's complaint. No exception: unwinding in a forked child could wait on a loader lock that
// another thread of the parent held at the fork.
std::string readAndEncode(hid_t fileType, size_t count,
                          const std::function<herr_t(hid_t, void *)> &readInto)
{
    Id mem(H5Tcopy(H5T_C_S1));
    if (!mem.valid() || H5Tset_size(mem.get(), H5T_VARIABLE) < 0
        || H5Tset_cset(mem.get(), H5Tget_cset(fileType)) < 0)
        return hdf5Complaint();
    std::vector<char *> ptrs(count, nullptr);
    const bool read = readInto(mem.get(), ptrs.data()) >= 0;
    std::string out = read ? std::string(1, 'N') : hdf5Complaint();
    for (char *p : ptrs) {
        if (read) {
            const uint64_t n = p ? std::strlen(p) : 0;
            out.append(reinterpret_cast<const char *>(&n), sizeof n);
            out.append(p ? p : "", n);
        }
        if (p)
            H5free_memory(p);
    }
    return out;
}

std::optional<std::vector<std::string>> decode(const std::string &encoded, size_t count,
                                               std::string &error)
{
    if (encoded.empty() || encoded[0] != 'N') {
        error = encoded.empty() ? "no result" : encoded.substr(1);
        return std::nullopt;
    }
    std::vector<std::string> out;
    out.reserve(count);
    size_t at = 1;
    while (out.size() < count && encoded.size() - at >= sizeof(uint64_t)) {
        uint64_t n = 0;
        std::memcpy(&n, encoded.data() + at, sizeof n);
        at += sizeof n;
        if (n > encoded.size() - at)
            break;
        out.emplace_back(encoded, at, size_t(n));
        at += size_t(n);
    }
    if (out.size() != count || at != encoded.size()) {
        error = "the strings came back incomplete";
        return std::nullopt;
    }
    return out;
}

} // namespace

int childCallTimeoutMs()
{
    static const int ms = [] {
        const char *text = std::getenv("CWB_HDF5_CHILD_TIMEOUT_MS");
        const long v = text ? std::strtol(text, nullptr, 10) : 0;
        return v >= 100 && v <= 600'000 ? int(v) : 10'000;
    }();
    return ms;
}

std::optional<std::vector<std::string>>
readVariableStrings(hid_t fileType, size_t count,
                    const std::function<herr_t(hid_t, void *)> &readInto, std::string &error)
{
    const int timeoutMs = childCallTimeoutMs();
    const ForkedResult child =
        runForked([&] { return readAndEncode(fileType, count, readInto); }, timeoutMs);
    switch (child.status) {
    case ForkedResult::Status::Completed: return decode(child.output, count, error);
    case ForkedResult::Status::Failed: error = child.output; return std::nullopt;
    case ForkedResult::Status::Crashed:
        error = "libhdf5 crashed reading the strings ("
                + (child.signal ? "signal " + std::to_string(child.signal) : child.output)
                + ", in a child process): the file is corrupt";
        return std::nullopt;
    case ForkedResult::Status::TimedOut:
        error = "libhdf5 did not finish reading the strings in " + std::to_string(timeoutMs)
                + " ms: the file is corrupt";
        return std::nullopt;
    case ForkedResult::Status::NotRun: break;
    }
    return decode(readAndEncode(fileType, count, readInto), count, error);
}

} // namespace cwb::h5
