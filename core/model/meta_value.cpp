// SPDX-License-Identifier: MIT
#include "model/meta_value.h"

#include <cstdio>

namespace cwb {

MetaValue MetaValue::ofBool(bool v, std::string type)
{
    return {.kind = Kind::Bool, .typeName = std::move(type), .b = v};
}

MetaValue MetaValue::ofInt(int64_t v, std::string type)
{
    return {.kind = Kind::Int, .typeName = std::move(type), .i = v};
}

MetaValue MetaValue::ofUInt(uint64_t v, std::string type)
{
    return {.kind = Kind::UInt, .typeName = std::move(type), .u = v};
}

MetaValue MetaValue::ofFloat(double v, std::string type)
{
    return {.kind = Kind::Float, .typeName = std::move(type), .f = v};
}

MetaValue MetaValue::ofString(std::string v, std::string type)
{
    return {.kind = Kind::String, .typeName = std::move(type), .s = std::move(v)};
}

double MetaValue::asDouble() const
{
    switch (kind) {
    case Kind::Bool: return b ? 1.0 : 0.0;
    case Kind::Int: return static_cast<double>(i);
    case Kind::UInt: return static_cast<double>(u);
    case Kind::Float: return f;
    default: return 0.0;
    }
}

int64_t MetaValue::asInt() const
{
    switch (kind) {
    case Kind::Bool: return b ? 1 : 0;
    case Kind::Int: return i;
    case Kind::UInt: return static_cast<int64_t>(u);
    case Kind::Float: return static_cast<int64_t>(f);
    default: return 0;
    }
}

std::string MetaValue::toDisplay(size_t maxItems) const
{
    switch (kind) {
    case Kind::Bool: return b ? "true" : "false";
    case Kind::Int: return std::to_string(i);
    case Kind::UInt: return std::to_string(u);
    case Kind::Float: {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.9g", f);
        return buf;
    }
    case Kind::String: return s.size() > 200 ? s.substr(0, 200) + "…" : s;
    case Kind::Array: {
        std::string out = "[";
        for (size_t k = 0; k < array.size() && k < maxItems; ++k) {
            if (k)
                out += ", ";
            const bool quoted = array[k].kind == Kind::String;
            if (quoted)
                out += '"';
            out += array[k].toDisplay(maxItems);
            if (quoted)
                out += '"';
        }
        if (array.size() > maxItems)
            out += ", … (" + std::to_string(array.size()) + " items)";
        return out + "]";
    }
    }
    return {};
}

} // namespace cwb
