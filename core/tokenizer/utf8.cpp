// SPDX-License-Identifier: MIT
#include "tokenizer/utf8.h"

#include "util/error.h"

#include <cstdio>

namespace cwb::utf8 {

size_t sequenceLength(unsigned char lead)
{
    if (lead < 0x80)
        return 1;
    if ((lead & 0xE0) == 0xC0)
        return 2;
    if ((lead & 0xF0) == 0xE0)
        return 3;
    if ((lead & 0xF8) == 0xF0)
        return 4;
    return 1;
}

size_t decode(std::string_view text, size_t pos, char32_t &cp)
{
    if (pos >= text.size())
        return 0;
    const auto byteAt = [&](size_t i) { return static_cast<unsigned char>(text[pos + i]); };
    const unsigned char lead = byteAt(0);
    if (lead < 0x80) {
        cp = lead;
        return 1;
    }
    size_t len = 0;
    char32_t value = 0;
    char32_t minimum = 0; // smallest code point that needs this many bytes (rejects overlongs)
    if ((lead & 0xE0) == 0xC0) {
        len = 2, value = lead & 0x1F, minimum = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
        len = 3, value = lead & 0x0F, minimum = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
        len = 4, value = lead & 0x07, minimum = 0x10000;
    } else {
        return 0; // continuation byte or 0xF8..0xFF as a lead
    }
    if (len > text.size() - pos)
        return 0;
    for (size_t i = 1; i < len; ++i) {
        const unsigned char b = byteAt(i);
        if ((b & 0xC0) != 0x80)
            return 0;
        value = (value << 6) | (b & 0x3F);
    }
    if (value < minimum || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF))
        return 0;
    cp = value;
    return len;
}

size_t firstInvalid(std::string_view text)
{
    size_t pos = 0;
    while (pos < text.size()) {
        // ASCII runs dominate real text; skip them without the general decoder.
        if (static_cast<unsigned char>(text[pos]) < 0x80) {
            ++pos;
            continue;
        }
        char32_t cp = 0;
        const size_t len = decode(text, pos, cp);
        if (len == 0)
            return pos;
        pos += len;
    }
    return std::string_view::npos;
}

void requireValid(std::string_view text, std::string_view source)
{
    const size_t bad = firstInvalid(text);
    if (bad == std::string_view::npos)
        return;
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02X",
                  static_cast<unsigned>(static_cast<unsigned char>(text[bad])));
    throwAt(source, bad, std::string("invalid UTF-8 byte ") + hex);
}

void append(std::string &out, char32_t cp)
{
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

} // namespace cwb::utf8
