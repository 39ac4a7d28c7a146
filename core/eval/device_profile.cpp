// SPDX-License-Identifier: MIT
#include "eval/device_profile.h"

#include "host/triad.h"
#include "util/error.h"

#include <Eigen/Core>
#include <nlohmann/json.hpp>
#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/info.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace cwb::eval {
namespace fs = std::filesystem;

namespace {

double number(const nlohmann::json &j, const char *key, const std::string &path)
{
    if (!j.contains(key) || j[key].is_null())
        return 0.0;
    if (!j[key].is_number())
        throwIn(path, std::string("field \"") + key + "\" must be a number");
    const double v = j[key].get<double>();
    if (!(v >= 0.0))
        throwIn(path, std::string("field \"") + key + "\" is negative");
    return v;
}

std::string text(const nlohmann::json &j, const char *key, const std::string &path, bool required)
{
    if (!j.contains(key) || j[key].is_null()) {
        if (required)
            throwIn(path, std::string("missing field \"") + key + "\"");
        return {};
    }
    if (!j[key].is_string())
        throwIn(path, std::string("field \"") + key + "\" must be a string");
    return j[key].get<std::string>();
}

int arenaThreads(int threads)
{
    return threads > 0 ? threads : tbb::info::default_concurrency();
}

} // namespace

DeviceProfile loadDeviceProfile(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throwIn(path, "cannot open the device profile");
    std::stringstream ss;
    ss << in.rdbuf();
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(ss.str());
    } catch (const nlohmann::json::parse_error &e) {
        throwAt(path, e.byte > 0 ? e.byte - 1 : 0, std::string("invalid JSON: ") + e.what());
    }
    if (!j.is_object())
        throwIn(path, "a device profile must be a JSON object");
    DeviceProfile p;
    p.file = path;
    p.id = text(j, "id", path, true);
    p.name = text(j, "name", path, true);
    p.kind = text(j, "kind", path, false);
    p.notes = text(j, "notes", path, false);
    p.memoryBandwidthGBps = number(j, "memory_bandwidth_GBps", path);
    p.peakFp32Tflops = number(j, "peak_fp32_TFLOPS", path);
    p.peakFp16Tflops = number(j, "peak_fp16_TFLOPS", path);
    p.memoryGB = number(j, "memory_GB", path);
    if (j.contains("measured_at_run_time")) {
        if (!j["measured_at_run_time"].is_boolean())
            throwIn(path, "field \"measured_at_run_time\" must be true or false");
        p.measuredAtRunTime = j["measured_at_run_time"].get<bool>();
    }
    if (j.contains("sources")) {
        if (!j["sources"].is_array())
            throwIn(path, "field \"sources\" must be an array");
        for (const auto &s : j["sources"]) {
            if (!s.is_object())
                throwIn(path, "each entry of \"sources\" must be an object");
            p.sources.push_back({text(s, "what", path, true), text(s, "url", path, false)});
        }
    }
    if (!p.measuredAtRunTime) {
        if (p.memoryBandwidthGBps <= 0)
            throwIn(path, "a spec-sheet profile needs memory_bandwidth_GBps");
        if (p.peakFp32Tflops <= 0 && p.peakFp16Tflops <= 0)
            throwIn(path, "a spec-sheet profile needs peak_fp32_TFLOPS or peak_fp16_TFLOPS");
        if (p.sources.empty())
            throwIn(path, "a spec-sheet profile must cite its sources");
    }
    return p;
}

std::vector<DeviceProfile> loadDeviceProfiles(const std::string &dir)
{
    std::vector<std::string> files;
    std::error_code ec;
    for (const auto &e : fs::directory_iterator(dir, ec))
        if (e.is_regular_file() && e.path().extension() == ".json")
            files.push_back(e.path().string());
    if (ec)
        throwIn(dir, "cannot list the device profiles: " + ec.message());
    if (files.empty())
        throwIn(dir, "no device profiles (*.json) here");
    std::sort(files.begin(), files.end());
    std::vector<DeviceProfile> out;
    out.reserve(files.size());
    for (const auto &f : files)
        out.push_back(loadDeviceProfile(f));
    return out;
}

std::string findDeviceProfileDir()
{
    std::vector<fs::path> candidates;
    if (const char *env = std::getenv("CWB_DEVICES_DIR"); env && *env)
        candidates.emplace_back(env);
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) // installed: <prefix>/bin/cwb and <prefix>/share/compression-workbench/devices
        candidates.push_back(exe.parent_path().parent_path() / "share" / "compression-workbench"
                             / "devices");
    // This file lives in <source>/core/eval/; its profiles in <source>/resources/devices.
    candidates.push_back(fs::path(__FILE__).parent_path().parent_path().parent_path() / "resources"
                         / "devices");
    for (const auto &c : candidates)
        if (fs::is_directory(c, ec))
            return c.string();
    return {};
}

double measureTriad(int threads, uint64_t triadBytes)
{
    tbb::task_arena arena(arenaThreads(threads));
    double gbps = 0;
    arena.execute([&] { gbps = host::measureTriadGBps(triadBytes / 24, 5); });
    return gbps;
}

double measureSgemmGflops(int n, int threads, int repeats)
{
    if (n < 16)
        throwIn("sgemm", "matrix size " + std::to_string(n) + " is too small to time");
    using Mat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic>;
    // Deterministic, well-scaled inputs: values in [-1, 1).
    Mat a(n, n), b(n, n), c(n, n);
    uint64_t state = 0x9E3779B97F4A7C15ull;
    auto next = [&state] {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        return static_cast<float>(static_cast<int64_t>(state >> 40) - (1 << 23)) / float(1 << 23);
    };
    for (Eigen::Index i = 0; i < a.size(); ++i) {
        a.data()[i] = next();
        b.data()[i] = next();
    }
    const int nThreads = arenaThreads(threads);
    tbb::task_arena arena(nThreads);
    // Column panels of C, one per thread: Eigen's own GEMM inside each (it is single-threaded
    // without OpenMP), so the figure is what the engine's TBB-split products can reach.
    const Eigen::Index panel = (n + nThreads - 1) / nThreads;
    double best = 0;
    for (int r = 0; r < std::max(repeats, 1) + 1; ++r) { // the first pass warms caches and pages
        const auto t0 = std::chrono::steady_clock::now();
        arena.execute([&] {
            tbb::parallel_for(tbb::blocked_range<Eigen::Index>(0, nThreads, 1),
                              [&](const tbb::blocked_range<Eigen::Index> &range) {
                                  for (Eigen::Index t = range.begin(); t != range.end(); ++t) {
                                      const Eigen::Index c0 = t * panel;
                                      const Eigen::Index w = std::min<Eigen::Index>(panel, n - c0);
                                      if (w > 0)
                                          c.middleCols(c0, w).noalias() = a * b.middleCols(c0, w);
                                  }
                              });
        });
        const double s =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (r > 0 && s > 0)
            best = std::max(best, 2.0 * n * static_cast<double>(n) * n / s / 1e9);
    }
    volatile float sink = c(0, 0); // keep the product observable
    (void)sink;
    return best;
}

HostMeasurement measureHost(int threads, const std::vector<int> &gemmSizes)
{
    HostMeasurement m;
    m.threads = arenaThreads(threads);
    m.triadGBps = measureTriad(threads);
    for (const int n : gemmSizes) {
        const double g = measureSgemmGflops(n, threads);
        if (g > m.sgemmGflops) {
            m.sgemmGflops = g;
            m.sgemmBestSize = n;
        }
    }
    return m;
}

DeviceProfile withHostMeasurement(DeviceProfile profile, const HostMeasurement &m)
{
    profile.memoryBandwidthGBps = m.triadGBps;
    profile.peakFp32Tflops = m.sgemmGflops / 1e3;
    profile.peakFp16Tflops = 0; // the CPU engine computes in float32: its fp32 peak is the roof
    profile.name += " (" + std::to_string(m.threads) + " threads)";
    return profile;
}

DecodeCost decodeCost(const HyperParams &hp, uint64_t weightBytes, uint64_t kvBytesAtPosition,
                      int64_t position)
{
    const double dim = static_cast<double>(hp.dim);
    const double headDim = static_cast<double>(hp.headDim);
    const double kvDim = static_cast<double>(hp.nKvHeads) * headDim;
    const double qDim = static_cast<double>(hp.nHeads) * headDim;
    const double perLayer = dim * qDim + 2 * dim * kvDim + qDim * dim
                            + 3 * dim * static_cast<double>(hp.hiddenDim);
    const double matrixParams = static_cast<double>(hp.nLayers) * perLayer
                                + static_cast<double>(hp.vocabSize) * dim;
    const double attention = static_cast<double>(hp.nLayers) * 4.0 * qDim
                             * static_cast<double>(position);
    DecodeCost c;
    c.bytesPerToken = static_cast<double>(weightBytes) + static_cast<double>(kvBytesAtPosition);
    c.flopsPerToken = 2.0 * matrixParams + attention;
    return c;
}

RooflineEstimate rooflineDecode(const DeviceProfile &device, const DecodeCost &cost)
{
    const double peakTflops = device.peakFp16Tflops > 0 ? device.peakFp16Tflops
                                                        : device.peakFp32Tflops;
    if (device.memoryBandwidthGBps <= 0 || peakTflops <= 0)
        throwIn(device.file.empty() ? device.id : device.file,
                "device '" + device.name + "' has no bandwidth or peak figures"
                    + (device.measuredAtRunTime ? " (it is measured at run time: measure it first)"
                                                : ""));
    RooflineEstimate e;
    e.deviceId = device.id;
    e.deviceName = device.name;
    e.memorySeconds = cost.bytesPerToken / (device.memoryBandwidthGBps * 1e9);
    e.computeSeconds = cost.flopsPerToken / (peakTflops * 1e12);
    e.memoryBound = e.memorySeconds >= e.computeSeconds;
    e.secondsPerToken = std::max(e.memorySeconds, e.computeSeconds);
    e.tokPerS = e.secondsPerToken > 0 ? 1.0 / e.secondsPerToken : 0.0;
    return e;
}

} // namespace cwb::eval
