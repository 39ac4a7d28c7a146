// SPDX-License-Identifier: MIT
#pragma once
// The regex pre-tokenizers of byte-level BPE vocabularies, written out by hand over Unicode
// classes (unicode_class.h) instead of a regex engine:
//  Gpt2:   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//  Llama3: (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}
//          | ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//  Qwen2:  as Llama3 with \p{N} (one digit per piece) instead of \p{N}{1,3}
//  MetaspaceSplit: a new piece before every U+2581 (Hugging Face's Metaspace with split=true)
//  None:   the whole text is one piece (SentencePiece-style BPE)
// Each piece is later BPE-merged on its own, so these boundaries decide the ids.

#include <string_view>
#include <vector>

namespace cwb {

enum class PreTokenizer { None, Gpt2, Llama3, Qwen2, MetaspaceSplit };

// The pieces of `text` (valid UTF-8), in order; together they cover it exactly.
[[nodiscard]] std::vector<std::string_view> preTokenize(std::string_view text, PreTokenizer kind);

} // namespace cwb
