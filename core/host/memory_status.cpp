// SPDX-License-Identifier: MIT
#include "host/memory_status.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

namespace cwb::host {

double procStatusMiB(std::string_view field)
{
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.size() > field.size() && line.compare(0, field.size(), field) == 0
            && line[field.size()] == ':') {
            const double kib = std::strtod(line.c_str() + field.size() + 1, nullptr);
            return kib / 1024.0;
        }
    }
    return 0.0;
}

uint64_t physicalMemoryBytes()
{
    const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
    return pages > 0 && page > 0 ? uint64_t(pages) * uint64_t(page) : 0;
}

double peakRssMiB()
{
    return procStatusMiB("VmHWM");
}

double currentRssMiB()
{
    return procStatusMiB("VmRSS");
}

bool resetPeakRss()
{
    std::ofstream out("/proc/self/clear_refs");
    out << "5";
    out.flush();
    return bool(out);
}

} // namespace cwb::host
