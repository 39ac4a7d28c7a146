// SPDX-License-Identifier: MIT
#pragma once
// Which vector instructions this CPU runs, read once by CPUID (and XGETBV: the OS must save the
// wide registers too), and which kernel level the engine uses. The build is portable: the
// kernels of core/formats (integer dot products) and core/eval (float GEMM) are compiled once per
// level in their own translation units and picked through function pointers by activeCpuLevel().
//
//   level   needs                                   what it runs
//   scalar  any x86-64 (SSE2)                       the scalar references
//   avx2    AVX2 + FMA + F16C                       256-bit kernels (maddubs/madd integer dots)
//   avx2vnni  avx2 + AVX-VNNI                       the same, integer dots by VEX vpdpbusd (the
//                                                   AVX2-only Intel cores since Alder Lake)
//   avx512  AVX-512 F/BW/VL/DQ + AVX-512 VNNI       512-bit float GEMM, vpdpbusd integer dots
//
// The levels are ordered as listed; avx2vnni only exists where the CPU has AVX-VNNI (many
// AVX-512 CPUs do not). CWB_CPU_LEVEL=scalar|avx2|avx2vnni|avx512 picks a lower level (tests and
// benchmarks force one to measure the AVX2-only machine classes on a larger CPU); asking for one
// the CPU cannot run is an error.

#include <string>
#include <vector>

namespace cwb {

enum class CpuLevel { Scalar = 0, Avx2 = 1, Avx2Vnni = 2, Avx512 = 3 };

struct CpuFeatures {
    bool avx2 = false;
    bool fma = false;
    bool f16c = false;
    bool avx512f = false;
    bool avx512bw = false;
    bool avx512vl = false;
    bool avx512dq = false;
    bool avx512vnni = false;
    bool avxvnni = false; // the VEX-encoded VNNI of AVX2-only CPUs (Alder Lake and later)
};

// Detected once (CPUID/XGETBV on x86-64; nothing elsewhere).
[[nodiscard]] const CpuFeatures &cpuFeatures();
// The highest level the features allow.
[[nodiscard]] CpuLevel supportedCpuLevel();
// Every level this CPU runs, lowest first (what tests run each kernel on).
[[nodiscard]] std::vector<CpuLevel> supportedCpuLevels();
// supportedCpuLevel() lowered by CWB_CPU_LEVEL, decided at the first call. Throws cwb::Error for
// an unknown value or a level this CPU cannot run.
[[nodiscard]] CpuLevel activeCpuLevel();
// The level a CWB_CPU_LEVEL value asks for, checked against the levels the CPU runs (`runs`,
// lowest first; the parsing of activeCpuLevel, separate so that it can be tested). Empty or
// null: the highest.
[[nodiscard]] CpuLevel cpuLevelFromSetting(const char *value, const std::vector<CpuLevel> &runs);

[[nodiscard]] const char *cpuLevelName(CpuLevel level);
// One line for `cwb --version` and the About box: "avx2 (CPU: AVX2 FMA F16C)", with ", forced
// by CWB_CPU_LEVEL" when lowered.
[[nodiscard]] std::string kernelLevelDescription();

} // namespace cwb
