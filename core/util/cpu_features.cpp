// SPDX-License-Identifier: MIT
#include "util/cpu_features.h"

#include "util/error.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define CWB_X86 1
#endif

namespace cwb {
namespace {

#ifdef CWB_X86
// XCR0: which register states the OS saves on a context switch. AVX needs XMM+YMM (bits 1, 2);
// AVX-512 also the opmask and upper ZMM states (bits 5, 6, 7).
uint64_t readXcr0()
{
    uint32_t eax = 0, edx = 0;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return (uint64_t(edx) << 32) | eax;
}

CpuFeatures detect()
{
    CpuFeatures f;
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return f;
    const bool osxsave = (c >> 27) & 1;
    const bool avx = (c >> 28) & 1;
    if (!osxsave || !avx)
        return f;
    const uint64_t xcr0 = readXcr0();
    const bool ymmSaved = (xcr0 & 0x6) == 0x6;
    const bool zmmSaved = (xcr0 & 0xE6) == 0xE6;
    if (!ymmSaved)
        return f;
    f.fma = (c >> 12) & 1;
    f.f16c = (c >> 29) & 1;
    if (__get_cpuid_max(0, nullptr) < 7)
        return f;
    __cpuid_count(7, 0, a, b, c, d);
    f.avx2 = (b >> 5) & 1;
    if (zmmSaved) {
        f.avx512f = (b >> 16) & 1;
        f.avx512dq = (b >> 17) & 1;
        f.avx512bw = (b >> 30) & 1;
        f.avx512vl = (b >> 31) & 1;
        f.avx512vnni = (c >> 11) & 1;
    }
    __cpuid_count(7, 1, a, b, c, d);
    f.avxvnni = (a >> 4) & 1;
    return f;
}
#else
CpuFeatures detect() { return {}; }
#endif

const char *kEnvironmentVariable = "CWB_CPU_LEVEL";

} // namespace

const CpuFeatures &cpuFeatures()
{
    static const CpuFeatures f = detect();
    return f;
}

std::vector<CpuLevel> supportedCpuLevels()
{
    const CpuFeatures &f = cpuFeatures();
    std::vector<CpuLevel> levels{CpuLevel::Scalar};
    if (!(f.avx2 && f.fma && f.f16c))
        return levels;
    levels.push_back(CpuLevel::Avx2);
    if (f.avxvnni)
        levels.push_back(CpuLevel::Avx2Vnni);
    if (f.avx512f && f.avx512bw && f.avx512vl && f.avx512dq && f.avx512vnni)
        levels.push_back(CpuLevel::Avx512);
    return levels;
}

CpuLevel supportedCpuLevel()
{
    return supportedCpuLevels().back();
}

CpuLevel cpuLevelFromSetting(const char *value, const std::vector<CpuLevel> &runs)
{
    if (!value || !*value)
        return runs.back();
    const std::string_view v(value);
    const auto names = [](const std::vector<CpuLevel> &levels) {
        std::string out;
        for (CpuLevel l : levels) {
            if (!out.empty())
                out += ", ";
            out += cpuLevelName(l);
        }
        return out;
    };
    const std::vector<CpuLevel> all{CpuLevel::Scalar, CpuLevel::Avx2, CpuLevel::Avx2Vnni,
                                    CpuLevel::Avx512};
    const auto asked = std::find_if(all.begin(), all.end(),
                                    [&](CpuLevel l) { return v == cpuLevelName(l); });
    if (asked == all.end())
        throw Error(std::string(kEnvironmentVariable) + "='" + std::string(v) + "': expected one of "
                    + names(all));
    if (std::find(runs.begin(), runs.end(), *asked) == runs.end())
        throw Error(std::string(kEnvironmentVariable) + "=" + std::string(v)
                    + ": this CPU runs " + names(runs));
    return *asked;
}

CpuLevel activeCpuLevel()
{
    static const CpuLevel level =
        cpuLevelFromSetting(std::getenv(kEnvironmentVariable), supportedCpuLevels());
    return level;
}

const char *cpuLevelName(CpuLevel level)
{
    switch (level) {
    case CpuLevel::Avx2: return "avx2";
    case CpuLevel::Avx2Vnni: return "avx2vnni";
    case CpuLevel::Avx512: return "avx512";
    default: return "scalar";
    }
}

std::string kernelLevelDescription()
{
    const CpuFeatures &f = cpuFeatures();
    std::string cpu;
    const auto add = [&](bool has, const char *name) {
        if (!has)
            return;
        if (!cpu.empty())
            cpu += ' ';
        cpu += name;
    };
    add(f.avx2, "AVX2");
    add(f.fma, "FMA");
    add(f.f16c, "F16C");
    add(f.avxvnni, "AVX-VNNI");
    add(f.avx512f, "AVX-512F");
    add(f.avx512bw, "BW");
    add(f.avx512vl, "VL");
    add(f.avx512dq, "DQ");
    add(f.avx512vnni, "VNNI");
    std::string s = std::string(cpuLevelName(activeCpuLevel())) + " (CPU: "
                    + (cpu.empty() ? std::string("SSE2") : cpu) + ")";
    if (activeCpuLevel() != supportedCpuLevel())
        s += ", forced by " + std::string(kEnvironmentVariable);
    return s;
}

} // namespace cwb
