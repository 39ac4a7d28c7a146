// SPDX-License-Identifier: MIT
#include "tokenizer/byte_level.h"

#include "tokenizer/utf8.h"

#include <array>

namespace cwb::bytelevel {

namespace {

bool isSelfMapped(unsigned b)
{
    return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

struct Tables {
    std::array<char32_t, 256> toCp{};
    std::array<int16_t, 512> toByte{}; // every mapped code point is below U+0200

    Tables()
    {
        toByte.fill(-1);
        char32_t next = 0x100;
        for (unsigned b = 0; b < 256; ++b) {
            toCp[b] = isSelfMapped(b) ? static_cast<char32_t>(b) : next++;
            toByte[toCp[b]] = static_cast<int16_t>(b);
        }
    }
};

const Tables &tables()
{
    static const Tables t;
    return t;
}

} // namespace

char32_t toCodePoint(uint8_t byte)
{
    return tables().toCp[byte];
}

int toByte(char32_t cp)
{
    return cp < tables().toByte.size() ? tables().toByte[cp] : -1;
}

std::string encode(std::string_view bytes)
{
    std::string out;
    out.reserve(bytes.size() * 2);
    for (const char c : bytes)
        utf8::append(out, toCodePoint(static_cast<uint8_t>(c)));
    return out;
}

void appendDecoded(std::string &out, std::string_view spelled)
{
    for (size_t pos = 0; pos < spelled.size();) {
        char32_t cp = 0;
        const size_t len = utf8::decode(spelled, pos, cp);
        if (len == 0) { // not valid UTF-8: pass the byte through
            out += spelled[pos++];
            continue;
        }
        if (const int b = toByte(cp); b >= 0)
            out += static_cast<char>(b);
        else
            out.append(spelled, pos, len);
        pos += len;
    }
}

} // namespace cwb::bytelevel
