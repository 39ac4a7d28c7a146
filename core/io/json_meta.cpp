// SPDX-License-Identifier: MIT
#include "io/json_meta.h"

#include "util/error.h"
#include "util/mapped_file.h"

#include <nlohmann/json.hpp>

namespace cwb::io {
namespace {

[[noreturn]] void throwParseError(const nlohmann::json::parse_error &e, const std::string &source,
                                  uint64_t baseOffset, std::string_view what)
{
    // e.byte is 1-based: the character where parsing stopped.
    const uint64_t at = baseOffset + (e.byte > 0 ? e.byte - 1 : 0);
    std::string msg = e.what();
    // Drop nlohmann's "[json.exception.parse_error.101] " prefix; keep its explanation.
    if (const auto p = msg.find("] "); p != std::string::npos)
        msg = msg.substr(p + 2);
    throwAt(source, at, "invalid JSON in " + std::string(what) + ": " + msg);
}

// Reports the keys of the outermost object and builds nothing.
class TopLevelKeys : public nlohmann::json_sax<nlohmann::json> {
public:
    explicit TopLevelKeys(const std::function<void(const std::string &)> &onKey) : onKey_(onKey) {}

    bool null() override { return true; }
    bool boolean(bool) override { return true; }
    bool number_integer(number_integer_t) override { return true; }
    bool number_unsigned(number_unsigned_t) override { return true; }
    bool number_float(number_float_t, const string_t &) override { return true; }
    bool string(string_t &) override { return true; }
    bool binary(binary_t &) override { return true; }
    bool start_object(std::size_t) override { return ++depth_, true; }
    bool end_object() override { return --depth_, true; }
    bool start_array(std::size_t) override { return ++depth_, true; }
    bool end_array() override { return --depth_, true; }
    bool key(string_t &k) override
    {
        if (depth_ == 1)
            onKey_(k);
        return true;
    }
    bool parse_error(std::size_t, const std::string &, const nlohmann::detail::exception &) override
    {
        return false;
    }

private:
    const std::function<void(const std::string &)> &onKey_;
    int depth_ = 0;
};

template <typename J>
MetaValue toMeta(const J &v)
{
    switch (v.type()) {
    case nlohmann::json::value_t::boolean: return MetaValue::ofBool(v.template get<bool>(), "bool");
    case nlohmann::json::value_t::number_integer:
        return MetaValue::ofInt(v.template get<int64_t>(), "int");
    case nlohmann::json::value_t::number_unsigned:
        return MetaValue::ofUInt(v.template get<uint64_t>(), "uint");
    case nlohmann::json::value_t::number_float:
        return MetaValue::ofFloat(v.template get<double>(), "float");
    case nlohmann::json::value_t::string:
        return MetaValue::ofString(v.template get<std::string>(), "string");
    case nlohmann::json::value_t::null: return MetaValue::ofString("", "null");
    case nlohmann::json::value_t::array: {
        MetaValue m;
        m.kind = MetaValue::Kind::Array;
        m.typeName = "array";
        m.array.reserve(v.size());
        for (const auto &item : v)
            m.array.push_back(toMeta(item));
        return m;
    }
    default: return MetaValue::ofString("", "object");
    }
}

template <typename J>
void flatten(const J &value, const std::string &prefix,
             std::vector<std::pair<std::string, MetaValue>> &out)
{
    if (!value.is_object()) {
        out.emplace_back(prefix, toMeta(value));
        return;
    }
    for (const auto &[key, item] : value.items())
        flatten(item, prefix.empty() ? key : prefix + "." + key, out);
}

} // namespace

nlohmann::ordered_json parseJsonText(std::string_view text, const std::string &source,
                                     uint64_t baseOffset, std::string_view what)
{
    try {
        return nlohmann::ordered_json::parse(text.begin(), text.end());
    } catch (const nlohmann::json::parse_error &e) {
        throwParseError(e, source, baseOffset, what);
    } catch (const nlohmann::json::exception &e) {
        // A well-formed text nlohmann still refuses: a number beyond double ("1e999").
        throwIn(source, std::string(what) + " is not valid JSON: " + e.what());
    }
}

nlohmann::json parseJsonTextSorted(std::string_view text, const std::string &source,
                                   uint64_t baseOffset, std::string_view what,
                                   const std::function<void(const std::string &)> &onTopLevelKey)
{
    // Keys go through a SAX pass of their own: nlohmann's callback-filtering DOM parser rescans
    // the parent object whenever a child object ends, which is quadratic in the key count.
    try {
        if (onTopLevelKey) {
            TopLevelKeys sax(onTopLevelKey);
            // On a syntax error this stops quietly; the DOM parse below reports where.
            (void)nlohmann::json::sax_parse(text.begin(), text.end(), &sax);
        }
        return nlohmann::json::parse(text.begin(), text.end());
    } catch (const nlohmann::json::parse_error &e) {
        throwParseError(e, source, baseOffset, what);
    } catch (const nlohmann::json::exception &e) {
        // A well-formed text nlohmann still refuses: a number beyond double ("1e999").
        throwIn(source, std::string(what) + " is not valid JSON: " + e.what());
    }
}

nlohmann::ordered_json readJsonFile(const std::string &path, uint64_t maxBytes,
                                    std::string_view what)
{
    const auto file = MappedFile::open(path);
    if (file->size() > maxBytes)
        throwAt(path, 0,
                std::string(what) + " is " + std::to_string(file->size()) + " bytes, more than the "
                    + std::to_string(maxBytes) + "-byte limit");
    const auto bytes = file->bytes();
    return parseJsonText(
        std::string_view(reinterpret_cast<const char *>(bytes.data()), bytes.size()), path, 0,
        what);
}

MetaValue metaFromJson(const nlohmann::ordered_json &value)
{
    return toMeta(value);
}
MetaValue metaFromJson(const nlohmann::json &value)
{
    return toMeta(value);
}

void appendJsonMeta(const nlohmann::ordered_json &value, const std::string &prefix,
                    std::vector<std::pair<std::string, MetaValue>> &out)
{
    flatten(value, prefix, out);
}

void appendJsonMeta(const nlohmann::json &value, const std::string &prefix,
                    std::vector<std::pair<std::string, MetaValue>> &out)
{
    flatten(value, prefix, out);
}

} // namespace cwb::io
