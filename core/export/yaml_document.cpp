// SPDX-License-Identifier: MIT
#include "export/yaml_document.h"

#include <yaml-cpp/yaml.h>

#include <array>
#include <charconv>

namespace cwb {
namespace {

using Json = nlohmann::ordered_json;

// The scalar text a reader gets back: what yamlText writes for it.
std::string scalarText(const Json &j)
{
    if (j.is_null())
        return "null";
    if (j.is_boolean())
        return j.get<bool>() ? "true" : "false";
    if (j.is_number_integer())
        return std::to_string(j.get<int64_t>());
    if (j.is_number_unsigned())
        return std::to_string(j.get<uint64_t>());
    if (j.is_number_float()) {
        std::array<char, 32> buf{};
        const auto r = std::to_chars(buf.data(), buf.data() + buf.size(), j.get<double>());
        std::string s(buf.data(), r.ptr);
        // "1" would read back as an integer; keep floats floats.
        if (s.find_first_of(".eEn") == std::string::npos)
            s += ".0";
        return s;
    }
    return j.get<std::string>();
}

void emit(YAML::Emitter &out, const Json &j)
{
    if (j.is_object()) {
        out << YAML::BeginMap;
        for (const auto &[key, value] : j.items()) {
            out << YAML::Key << key << YAML::Value;
            emit(out, value);
        }
        out << YAML::EndMap;
    } else if (j.is_array()) {
        out << YAML::BeginSeq;
        for (const Json &v : j)
            emit(out, v);
        out << YAML::EndSeq;
    } else if (j.is_string()) {
        out << YAML::DoubleQuoted << j.get<std::string>();
    } else if (j.is_null()) {
        out << YAML::Null; // "~"; the text "null" would be quoted as a string
    } else if (j.is_boolean()) {
        out << j.get<bool>();
    } else {
        out << scalarText(j); // numbers, plain, in their shortest round-trip form
    }
}

std::string where(const std::string &path) { return path.empty() ? "(top)" : path; }

} // namespace

std::string yamlText(const nlohmann::ordered_json &doc, const std::vector<std::string> &comments)
{
    YAML::Emitter out;
    out.SetIndent(2);
    out << YAML::Block;
    emit(out, doc);
    std::string text;
    for (const std::string &c : comments)
        text += "# " + c + "\n";
    return text + out.c_str() + "\n";
}

namespace {

std::string difference(const YAML::Node &node, const Json &j, const std::string &path)
{
    if (j.is_object()) {
        if (!node.IsMap() || node.size() != j.size())
            return where(path) + ": not a map of " + std::to_string(j.size()) + " keys";
        auto it = node.begin();
        for (const auto &[key, value] : j.items()) {
            if (it->first.as<std::string>() != key)
                return where(path) + ": key " + it->first.as<std::string>() + " where " + key
                       + " was written";
            const std::string inner = path.empty() ? key : path + "." + key;
            if (std::string d = difference(it->second, value, inner); !d.empty())
                return d;
            ++it;
        }
        return {};
    }
    if (j.is_array()) {
        if (!node.IsSequence() || node.size() != j.size())
            return where(path) + ": not a list of " + std::to_string(j.size()) + " items";
        for (size_t i = 0; i < j.size(); ++i)
            if (std::string d = difference(node[i], j[i], path + "[" + std::to_string(i) + "]");
                !d.empty())
                return d;
        return {};
    }
    if (!node.IsScalar() && !(j.is_null() && node.IsNull()))
        return where(path) + ": not a scalar";
    const std::string got = node.IsNull() ? "null" : node.Scalar();
    const std::string want = scalarText(j);
    if (got != want)
        return where(path) + ": " + got + " vs " + want;
    // A string must have been quoted, or a Python reader may take it for a number or a bool.
    if (j.is_string() && node.Tag() != "!")
        return where(path) + ": the string " + want + " is not quoted";
    return {};
}

} // namespace

std::string yamlDifference(const YAML::Node &node, const nlohmann::ordered_json &doc)
{
    return difference(node, doc, "");
}

} // namespace cwb
