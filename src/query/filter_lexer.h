// Internal: splits filter text into tokens, each with its byte range so that
// the parser can name the column of whatever it rejects.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace sextant::query::internal {

enum class TokenKind : uint8_t {
  kEnd,     // after the last token; begin == end == text.size()
  kPath,    // bare (train/loss) or backquoted (`my metric`); text is the path
  kNumber,  // -1, 0.5, 1e-3
  kString,  // "..."; text is the unescaped value
  kLParen,
  kRParen,
  kEq,        // = or ==
  kNe,        // !=
  kLt,        // <
  kLe,        // <=
  kGt,        // >
  kGe,        // >=
  kMatch,     // ~
  kNotMatch,  // !~
  kAnd,       // and, &&
  kOr,        // or, ||
  kNot,       // not, !
  // Reserved words, matched without regard to case. A path spelled like one
  // must be backquoted.
  kContains,
  kIn,
  kExists,
  kTrue,
  kFalse,
  kNull,
  kDatetime,
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  size_t begin = 0;  // byte offsets into the filter text
  size_t end = 0;
  std::string text;  // kPath, kString
  bool is_int = false;  // kNumber: written as an integer that fits int64
  int64_t i = 0;
  double d = 0;  // kNumber: always set, also when is_int
};

// Tokenizes `text`; the last token is kEnd. Errors are InvalidArgument with
// the column, e.g. "unterminated string starting at column 9".
Result<std::vector<Token>> Lex(std::string_view text);

// The 1-based column of byte `offset`, counting Unicode characters.
size_t ColumnAt(std::string_view text, size_t offset);

// How an error message names `token`: "end of filter", "'and'", "\"abc\"".
std::string Describe(std::string_view text, const Token& token);

// Shared with the printer, which must write paths that lex back unchanged.
// Characters of a bare path: [A-Za-z0-9_./-].
bool IsPathChar(char c);
// Length of the number spelled at text[pos...], or 0 if none starts there.
size_t ScanNumber(std::string_view text, size_t pos);
// The keyword `word` spells, if any (case-insensitive).
std::optional<TokenKind> KeywordKind(std::string_view word);

}  // namespace sextant::query::internal
