// SPDX-License-Identifier: MIT
#pragma once
// Target devices for roofline estimates: memory bandwidth and peak FLOP/s from vendor spec
// sheets (resources/devices/*.json, each citing its source), plus "this CPU" measured at run time
// (STREAM-style triad and Eigen float32 GEMM). A roofline estimate of decode latency is
//   seconds/token = max(bytes per token / bandwidth, FLOPs per token / peak FLOP/s)
// and is always labelled an estimate: real kernels reach a fraction of either roof.
//
// Profile JSON fields: id, name, kind ("cpu"|"gpu"), memory_bandwidth_GBps, peak_fp32_TFLOPS,
// peak_fp16_TFLOPS, memory_GB, notes, sources [{what, url}], measured_at_run_time (true: the
// numbers are measured on the host when asked for, and the file holds none).

#include "model/model.h"

#include <cstdint>
#include <string>
#include <vector>

namespace cwb::eval {

struct DeviceSource {
    std::string what;
    std::string url;
};

struct DeviceProfile {
    std::string id;
    std::string name;
    std::string kind;               // "cpu" or "gpu"
    double memoryBandwidthGBps = 0; // 1e9 bytes/s
    double peakFp32Tflops = 0;
    double peakFp16Tflops = 0;
    double memoryGB = 0;
    std::string notes;
    std::vector<DeviceSource> sources;
    bool measuredAtRunTime = false; // "this CPU": fill with measureHostProfile()
    std::string file;               // where it was loaded from
};

// Parses one profile. Throws cwb::Error naming the file and the field for malformed JSON, a
// missing id/name, or a negative figure; a spec-sheet profile must give bandwidth and a peak.
[[nodiscard]] DeviceProfile loadDeviceProfile(const std::string &path);
// Every *.json in `dir`, sorted by file name. Throws cwb::Error when `dir` has none.
[[nodiscard]] std::vector<DeviceProfile> loadDeviceProfiles(const std::string &dir);

// Where the profiles are: $CWB_DEVICES_DIR, then <exe>/../share/compression-workbench/devices
// (installed), then resources/devices in the source tree this file was compiled from. Empty
// when none of them exists.
[[nodiscard]] std::string findDeviceProfileDir();

// Host limits measured now, with `threads` oneTBB workers (0 = all cores).
struct HostMeasurement {
    int threads = 0;
    double triadGBps = 0;
    double sgemmGflops = 0; // best over the sizes
    int sgemmBestSize = 0;
};
// STREAM-style triad over three arrays of `triadBytes` in total.
[[nodiscard]] double measureTriad(int threads, uint64_t triadBytes = 384ull << 20);
// Eigen float32 C = A * B for square n, columns of C split across threads; best of `repeats`.
[[nodiscard]] double measureSgemmGflops(int n, int threads, int repeats = 2);
[[nodiscard]] HostMeasurement measureHost(int threads,
                                          const std::vector<int> &gemmSizes = {1024, 1536, 2048});
// `profile` with the host figures filled in (fp16 peak = fp32 peak: the engine computes in fp32).
[[nodiscard]] DeviceProfile withHostMeasurement(DeviceProfile profile, const HostMeasurement &m);

// What one decode step costs: the stored bytes it reads and the FLOPs it does.
struct DecodeCost {
    double bytesPerToken = 0;
    double flopsPerToken = 0;
};
// weightBytes + KV cache bytes read at `position` (kvBytesAtPosition), and
// 2 x (matrix parameters used per token) + attention (4 x heads x headDim x position per layer).
[[nodiscard]] DecodeCost decodeCost(const HyperParams &hp, uint64_t weightBytes,
                                    uint64_t kvBytesAtPosition, int64_t position);

struct RooflineEstimate {
    std::string deviceId;
    std::string deviceName;
    double memorySeconds = 0;   // bytes / bandwidth
    double computeSeconds = 0;  // FLOPs / peak
    double secondsPerToken = 0; // the larger of the two
    double tokPerS = 0;
    bool memoryBound = true;
    bool estimate = true; // always: a roofline bound, not a measurement
};
// Uses the fp16 peak when the profile has one (GPU kernels dequantize to fp16), else fp32.
// Throws cwb::Error when the profile has no bandwidth or no peak (an unmeasured host profile).
[[nodiscard]] RooflineEstimate rooflineDecode(const DeviceProfile &device, const DecodeCost &cost);

} // namespace cwb::eval
