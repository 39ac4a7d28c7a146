// SPDX-License-Identifier: MIT
#include "io/open_model.h"

#include "io/readers.h"
#include "model/architecture.h"
#include "util/error.h"

#include <array>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace cwb::io {
namespace fs = std::filesystem;

DetectedFormat detectFormat(const std::string &path)
{
    std::error_code ec;
    if (fs::is_directory(path, ec))
        return DetectedFormat::HfDirectory;
    if (path.ends_with(".index.json"))
        return DetectedFormat::SafetensorsIndex;
    std::ifstream in(path, std::ios::binary);
    std::array<char, 9> head{};
    in.read(head.data(), head.size());
    const auto got = in.gcount();
    if (got >= 4 && std::memcmp(head.data(), "GGUF", 4) == 0)
        return DetectedFormat::Gguf;
    if (got >= 8 && std::memcmp(head.data(), "\x89HDF\r\n\x1a\n", 8) == 0)
        return DetectedFormat::KerasH5;
    // safetensors: u64 header length, then a JSON object.
    if (got >= 9 && head[8] == '{')
        return DetectedFormat::Safetensors;
    if (path.ends_with(".safetensors"))
        return DetectedFormat::Safetensors;
    if (path.ends_with(".h5") || path.ends_with(".hdf5") || path.ends_with(".keras"))
        return DetectedFormat::KerasH5;
    if (path.ends_with(".bin"))
        return DetectedFormat::Llama2c;
    return DetectedFormat::Unknown;
}

Model openModel(const std::string &path)
{
    std::error_code ec;
    if (!fs::exists(path, ec))
        throwIn(path, "no such file or directory");
    if (fs::is_regular_file(path, ec) && fs::file_size(path, ec) == 0)
        throwIn(path, "file is empty (0 bytes)");
    Model m;
    switch (detectFormat(path)) {
    case DetectedFormat::Gguf: m = readGguf(path); break;
    case DetectedFormat::Safetensors:
    case DetectedFormat::SafetensorsIndex: m = readSafetensors(path); break;
    case DetectedFormat::HfDirectory: m = readHfDirectory(path); break;
    case DetectedFormat::Llama2c: m = readLlama2c(path); break;
    case DetectedFormat::KerasH5: m = readKerasH5(path); break;
    case DetectedFormat::Unknown:
        throwIn(path, "unrecognised model format (expected GGUF, safetensors, a Hugging Face directory, "
                      "a llama2.c .bin or a Keras .h5)");
    }
    m.path = path;
    applyArchitecture(m);
    return m;
}

} // namespace cwb::io
