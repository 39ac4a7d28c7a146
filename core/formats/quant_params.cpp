// SPDX-License-Identifier: MIT
#include "formats/quant_params.h"

#include "util/error.h"

#include <cmath>
#include <string>
#include <vector>

namespace cwb {
namespace {

template <class... F>
struct Overloaded : F... {
    using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

bool isPowerOfTwoIn(int64_t v, int64_t lo, int64_t hi)
{
    return v >= lo && v <= hi && (v & (v - 1)) == 0;
}

std::string str(int64_t v) { return std::to_string(v); }

void checkDivides(std::vector<std::string> &problems, const char *field, int64_t size, int64_t cols)
{
    if (size > 0 && cols > 0 && cols % size != 0)
        problems.push_back(std::string(field) + " = " + str(size) + " does not divide cols = "
                           + str(cols));
}

bool knownGranularity(Granularity g)
{
    return g == Granularity::PerTensor || g == Granularity::PerChannel || g == Granularity::Group;
}

void validateRtn(const RtnParams &p, int64_t cols, std::vector<std::string> &problems)
{
    if (p.bits < 2 || p.bits > 8)
        problems.push_back("bits = " + str(p.bits) + " is out of range (2..8)");
    if (!knownGranularity(p.granularity)) {
        problems.push_back("granularity = " + str(int(p.granularity))
                           + " is unknown (per-tensor, per-channel or group)");
    } else if (p.granularity == Granularity::Group) {
        if (!isPowerOfTwoIn(p.groupSize, 32, 256))
            problems.push_back("groupSize = " + str(p.groupSize) + " is not 32, 64, 128 or 256");
        else
            checkDivides(problems, "groupSize", p.groupSize, cols);
    }
}

void validateNf4(const Nf4Params &p, int64_t cols, std::vector<std::string> &problems)
{
    if (!isPowerOfTwoIn(p.blockSize, 64, 4096))
        problems.push_back("blockSize = " + str(p.blockSize)
                           + " is not a power of two in 64..4096");
    else
        checkDivides(problems, "blockSize", p.blockSize, cols);
    if (p.doubleQuant && !isPowerOfTwoIn(p.dqBlockSize, 64, 4096))
        problems.push_back("dqBlockSize = " + str(p.dqBlockSize)
                           + " is not a power of two in 64..4096");
}

void validateFp8(const Fp8Params &p, std::vector<std::string> &problems)
{
    if (p.format != Fp8Format::E4M3 && p.format != Fp8Format::E5M2)
        problems.push_back("format = " + str(int(p.format)) + " is unknown (E4M3 or E5M2)");
    if (p.granularity != Granularity::PerTensor && p.granularity != Granularity::PerChannel)
        problems.push_back(
            "granularity = "
            + (knownGranularity(p.granularity) ? std::string(granularityName(p.granularity))
                                               : str(int(p.granularity)))
            + " is not supported (per-tensor or per-channel)");
}

} // namespace

const char *granularityName(Granularity g)
{
    switch (g) {
    case Granularity::PerTensor: return "per-tensor";
    case Granularity::PerChannel: return "per-channel";
    case Granularity::Group: return "group";
    }
    return "unknown";
}

RtnParams rtnGridOf(int bits, bool symmetric, int group, bool f16Scales)
{
    RtnParams r;
    r.bits = bits;
    r.symmetric = symmetric;
    r.granularity = group == 0 ? Granularity::PerChannel : Granularity::Group;
    r.groupSize = group == 0 ? 128 : group;
    r.f16Scales = f16Scales;
    return r;
}

std::string methodName(const QuantParams &params)
{
    return std::visit(Overloaded{
                          [](const RtnParams &) { return std::string("rtn"); },
                          [](const Nf4Params &) { return std::string("nf4"); },
                          [](const Fp8Params &p) {
                              return std::string(p.format == Fp8Format::E5M2 ? "fp8_e5m2"
                                                                             : "fp8_e4m3");
                          },
                          [](const MxFp4Params &) { return std::string("mxfp4"); },
                          [](const NvFp4Params &) { return std::string("nvfp4"); },
                          [](const TernaryParams &) { return std::string("ternary"); },
                      },
                      params);
}

void validateQuantParams(const QuantParams &params, int64_t rows, int64_t cols)
{
    std::vector<std::string> problems;
    if (rows <= 0 || cols <= 0)
        problems.push_back("shape " + str(rows) + " x " + str(cols) + " is empty or negative");
    else if (rows > (int64_t(1) << 50) / cols)
        problems.push_back("shape " + str(rows) + " x " + str(cols)
                           + " is too large (over 2^50 weights)");
    const int64_t c = cols > 0 ? cols : 0;
    std::visit(Overloaded{
                   [&](const RtnParams &p) { validateRtn(p, c, problems); },
                   [&](const Nf4Params &p) { validateNf4(p, c, problems); },
                   [&](const Fp8Params &p) { validateFp8(p, problems); },
                   [&](const MxFp4Params &p) {
                       if (p.scaleRule != MxScaleRule::OcpFloor
                           && p.scaleRule != MxScaleRule::NoClip)
                           problems.push_back("scaleRule = " + str(int(p.scaleRule))
                                              + " is unknown (OcpFloor or NoClip)");
                       checkDivides(problems, "block size (32, fixed by OCP MX)", 32, c);
                   },
                   [&](const NvFp4Params &p) {
                       if (!std::isfinite(p.globalAmax) || p.globalAmax < 0.0f)
                           problems.push_back("globalAmax = " + std::to_string(p.globalAmax)
                                              + " must be finite and >= 0 (0: the tensor's amax)");
                       checkDivides(problems, "block size (16, fixed by NVFP4)", 16, c);
                   },
                   [&](const TernaryParams &p) {
                       if (!std::isfinite(p.eps) || p.eps <= 0.0f)
                           problems.push_back("eps = " + std::to_string(p.eps)
                                              + " must be finite and > 0");
                       if (p.packing != TernaryPacking::TwoBit
                           && p.packing != TernaryPacking::Base3)
                           problems.push_back("packing = " + str(int(p.packing))
                                              + " is unknown (TwoBit or Base3)");
                   },
               },
               params);
    if (problems.empty())
        return;
    std::string msg;
    for (const auto &p : problems)
        msg += (msg.empty() ? "" : "; ") + p;
    throwIn(methodName(params), msg);
}

} // namespace cwb
