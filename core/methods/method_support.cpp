// SPDX-License-Identifier: MIT
#include "methods/method_support.h"

#include "util/error.h"

namespace cwb {

namespace methoddetail {

namespace {

MethodSpec skeleton(std::string name, MethodSlot slot, std::vector<ParamSpec> params,
                    std::string summary)
{
    MethodSpec m;
    m.name = std::move(name);
    m.slot = slot;
    m.params = std::move(params);
    m.summary = std::move(summary);
    return m;
}

// Group sizes run along a row (the contiguous last dimension, a linear's input features).
const std::vector<int64_t> kGroups = {-1, 0, 32, 64, 128, 256};

} // namespace

MethodSpec quantizeMethod(std::string name, std::vector<ParamSpec> params, std::string summary)
{
    return skeleton(std::move(name), MethodSlot::Quantize, std::move(params), std::move(summary));
}

MethodSpec pruneMethod(std::string name, std::vector<ParamSpec> params, std::string summary)
{
    return skeleton(std::move(name), MethodSlot::Prune, std::move(params), std::move(summary));
}

MethodSpec structureMethod(std::string name, std::vector<ParamSpec> params, std::string summary)
{
    return skeleton(std::move(name), MethodSlot::Structure, std::move(params),
                    std::move(summary));
}

MethodSpec lowRankMethod(std::string name, std::vector<ParamSpec> params, std::string summary)
{
    return skeleton(std::move(name), MethodSlot::LowRank, std::move(params), std::move(summary));
}

ParamSpec bitsParam(int64_t def)
{
    return intRange("bits", 2, 8, def, "bits per weight code");
}

ParamSpec groupParam(int64_t def)
{
    return intSet("group", kGroups, def,
                  "weights sharing one scale along a row; -1 = one per row (output channel), "
                  "0 = one per tensor");
}

ParamSpec symParam(bool def)
{
    return boolean("sym", def, "symmetric grid around zero (no zero point)");
}

ParamSpec dampParam()
{
    return floatRange(
        "damp", 0.0, 1.0, 0.01,
        "fraction of the mean Hessian diagonal added to the diagonal before inversion");
}

ParamSpec blockSizeParam()
{
    return intRange("block_size", 1, 65536, 128, "columns processed together (lazy batch updates)");
}

ParamSpec sparsityParam()
{
    return floatRange("sparsity", 0.0, 1.0, 0.5, "fraction of weights set to zero", false, true);
}

ParamSpec nmParam()
{
    return choice("nm", {"none", "2:4", "4:8"}, "none",
                  "N:M: at most N non-zeros in every M consecutive weights of a row; the "
                  "sparsity is then 1 - N/M");
}

ParamSpec rankParam()
{
    return intRange("rank", 0, int64_t{1} << 30, 0,
                    "singular values kept; 0 = the fewest that keep `energy`");
}

ParamSpec energyParam()
{
    return floatRange("energy", 0.0, 1.0, 0.95,
                      "fraction of the squared singular values kept when rank is 0", true, false);
}

const std::vector<double> &requireHessian(const InputStats &in, const std::string &method)
{
    if (!in.hessian)
        throw Error(method + " needs the calibration Hessian of this tensor's input, and there "
                             "is none (the tensor is not a layer projection, or no calibration "
                             "text was given)");
    return *in.hessian;
}

const std::vector<double> &requireMeanSquare(const InputStats &in, const std::string &method)
{
    if (in.meanSquare.empty())
        throw Error(method + " needs calibration statistics of this tensor's input, and there are "
                             "none (the tensor is not a layer projection, or no calibration text "
                             "was given)");
    return in.meanSquare;
}

} // namespace methoddetail

std::string MethodLabel::english() const
{
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 1 < text.size() && text[i + 1] >= '1' && text[i + 1] <= '9') {
            const size_t k = size_t(text[i + 1] - '1');
            out += k < args.size() ? args[k].text : std::string();
            ++i;
        } else {
            out += text[i];
        }
    }
    return out;
}

const ParamSpec *MethodSpec::findParam(std::string_view param) const
{
    for (const auto &p : params)
        if (p.name == param)
            return &p;
    return nullptr;
}

std::string MethodSpec::paramNames() const
{
    if (params.empty())
        return "none";
    std::string s;
    for (const auto &p : params)
        s += (s.empty() ? "" : ", ") + p.name;
    return s;
}

bool MethodSpec::needsCalibrationWith(const ParamReader &p) const
{
    return needsCalibration || (!calibrationParam.empty() && p.flag(calibrationParam));
}

} // namespace cwb
