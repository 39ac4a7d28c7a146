// SPDX-License-Identifier: MIT
#pragma once
// A metadata value as the file stores it (GGUF KV, safetensors __metadata__, config.json field,
// HDF5 attribute). Arrays nest (GGUF allows arrays of arrays). `typeName` keeps the file's own
// spelling of the type ("u32", "string", "array[string]") for display.

#include <cstdint>
#include <string>
#include <vector>

namespace cwb {

struct MetaValue {
    enum class Kind { Bool, Int, UInt, Float, String, Array };
    Kind kind = Kind::String;
    std::string typeName;
    bool b = false;
    int64_t i = 0;
    uint64_t u = 0;
    double f = 0;
    std::string s;
    std::vector<MetaValue> array;

    static MetaValue ofBool(bool v, std::string type = "bool");
    static MetaValue ofInt(int64_t v, std::string type = "i64");
    static MetaValue ofUInt(uint64_t v, std::string type = "u64");
    static MetaValue ofFloat(double v, std::string type = "f64");
    static MetaValue ofString(std::string v, std::string type = "string");

    // Numeric view of Int/UInt/Float/Bool (0 otherwise).
    [[nodiscard]] double asDouble() const;
    [[nodiscard]] int64_t asInt() const;
    // Short display text; arrays show the first `maxItems` items and the count.
    [[nodiscard]] std::string toDisplay(size_t maxItems = 8) const;
};

} // namespace cwb
