#include "query/filter_lexer.h"

#include <charconv>
#include <system_error>

namespace sextant::query::internal {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsContinuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// Byte offset of the first invalid UTF-8 sequence, or npos. Overlong forms,
// surrogates and code points above U+10FFFF are invalid, as in RFC 3629.
size_t FindInvalidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = s[i];
    size_t len = c < 0x80           ? 1
                 : (c >> 5) == 0x6  ? 2
                 : (c >> 4) == 0xE  ? 3
                 : (c >> 3) == 0x1E ? 4
                                    : 0;
    if (len == 0 || i + len > s.size()) return i;
    uint32_t cp = len == 1 ? c : c & (0x7F >> len);
    for (size_t k = 1; k < len; ++k) {
      if (!IsContinuation(s[i + k])) return i;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    static constexpr uint32_t kMinForLength[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMinForLength[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    i += len;
  }
  return std::string_view::npos;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(char(cp));
  } else if (cp < 0x800) {
    out->push_back(char(0xC0 | (cp >> 6)));
    out->push_back(char(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(char(0xE0 | (cp >> 12)));
    out->push_back(char(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(char(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(char(0xF0 | (cp >> 18)));
    out->push_back(char(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(char(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(char(0x80 | (cp & 0x3F)));
  }
}

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  Result<std::vector<Token>> Run() {
    size_t bad = FindInvalidUtf8(text_);
    if (bad != std::string_view::npos) return Error(bad, "invalid UTF-8");
    std::vector<Token> tokens;
    while (true) {
      while (pos_ < text_.size() && IsSpace(text_[pos_])) ++pos_;
      Token t;
      t.begin = pos_;
      if (pos_ == text_.size()) {
        t.end = pos_;
        tokens.push_back(std::move(t));
        return tokens;
      }
      RETURN_IF_ERROR(Next(&t));
      t.end = pos_;
      tokens.push_back(std::move(t));
    }
  }

 private:
  Status Error(size_t offset, std::string_view what, std::string_view hint = "") const {
    std::string m(what);
    m += " at column " + std::to_string(ColumnAt(text_, offset));
    if (!hint.empty()) m += std::string("; ") + std::string(hint);
    return Status::InvalidArgument(std::move(m));
  }

  bool Take(std::string_view s) {
    if (text_.substr(pos_, s.size()) != s) return false;
    pos_ += s.size();
    return true;
  }

  // REQUIRES: pos_ < text_.size(), at a non-space character.
  Status Next(Token* t) {
    char c = text_[pos_];
    if (c == '"') return String(t);
    if (c == '`') return BackquotedPath(t);
    if (IsPathChar(c)) return Word(t);
    struct Op { std::string_view spelling; TokenKind kind; };
    // Longest spellings first, so that "<=" is not read as "<" then "=".
    static constexpr Op kOps[] = {
        {"==", TokenKind::kEq},  {"!=", TokenKind::kNe},       {"!~", TokenKind::kNotMatch},
        {"<=", TokenKind::kLe},  {">=", TokenKind::kGe},       {"&&", TokenKind::kAnd},
        {"||", TokenKind::kOr},  {"=", TokenKind::kEq},        {"<", TokenKind::kLt},
        {">", TokenKind::kGt},   {"~", TokenKind::kMatch},     {"!", TokenKind::kNot},
        {"(", TokenKind::kLParen}, {")", TokenKind::kRParen},
    };
    for (const Op& op : kOps) {
      if (Take(op.spelling)) {
        t->kind = op.kind;
        return Status::Ok();
      }
    }
    size_t len = 1;
    while (pos_ + len < text_.size() && IsContinuation(text_[pos_ + len])) ++len;
    std::string what = "unexpected character '" + std::string(text_.substr(pos_, len)) + "'";
    if (c == '&') return Error(pos_, what, "write 'and' or '&&'");
    if (c == '|') return Error(pos_, what, "write 'or' or '||'");
    if (c == '\'') return Error(pos_, what, "strings use double quotes");
    return Error(pos_, what, "backquote paths with other characters, like `my metric`");
  }

  // A number when the whole word spells one ("1e-3", "-2"), else a path or
  // keyword ("train/loss", "2024-run", "and").
  Status Word(Token* t) {
    size_t start = pos_;
    size_t n = ScanNumber(text_, pos_);
    if (n > 0 && (pos_ + n == text_.size() || !IsPathChar(text_[pos_ + n]))) {
      pos_ += n;
      return Number(start, t);
    }
    while (pos_ < text_.size() && IsPathChar(text_[pos_])) ++pos_;
    std::string_view word = text_.substr(start, pos_ - start);
    if (auto kw = KeywordKind(word)) {
      t->kind = *kw;
      return Status::Ok();
    }
    t->kind = TokenKind::kPath;
    t->text = std::string(word);
    return Status::Ok();
  }

  Status Number(size_t start, Token* t) {
    std::string_view s = text_.substr(start, pos_ - start);
    t->kind = TokenKind::kNumber;
    if (s.find_first_of(".eE") == std::string_view::npos) {
      auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), t->i);
      if (ec == std::errc() && end == s.data() + s.size()) {
        t->is_int = true;
        t->d = static_cast<double>(t->i);
        return Status::Ok();
      }
      // Too large for int64: fall through and keep it as a float.
    }
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), t->d);
    if (ec != std::errc() || end != s.data() + s.size()) {
      return Error(start, "number '" + std::string(s) + "' is out of range");
    }
    return Status::Ok();
  }

  Status String(Token* t) {
    size_t start = pos_++;
    t->kind = TokenKind::kString;
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        return Status::Ok();
      }
      if (c != '\\') {
        t->text.push_back(c);
        ++pos_;
        continue;
      }
      size_t esc = pos_++;
      if (pos_ == text_.size()) break;
      char e = text_[pos_++];
      switch (e) {
        case '"': t->text.push_back('"'); break;
        case '\\': t->text.push_back('\\'); break;
        case '/': t->text.push_back('/'); break;
        case 'n': t->text.push_back('\n'); break;
        case 't': t->text.push_back('\t'); break;
        case 'r': t->text.push_back('\r'); break;
        case 'u': RETURN_IF_ERROR(UnicodeEscape(esc, &t->text)); break;
        default:
          return Error(esc, "unknown escape in string",
                       "use \\\" \\\\ \\/ \\n \\t \\r or \\uXXXX");
      }
    }
    return Error(start, "unterminated string starting");
  }

  // After "\u": four hex digits, and a second "\uXXXX" for a surrogate pair.
  Status UnicodeEscape(size_t esc, std::string* out) {
    auto hex4 = [&](uint32_t* v) {
      if (text_.size() - pos_ < 4) return false;
      auto [end, ec] = std::from_chars(text_.data() + pos_, text_.data() + pos_ + 4, *v, 16);
      if (ec != std::errc() || end != text_.data() + pos_ + 4) return false;
      pos_ += 4;
      return true;
    };
    uint32_t cp = 0;
    if (!hex4(&cp)) return Error(esc, "\\u must be followed by four hex digits");
    if (cp >= 0xDC00 && cp <= 0xDFFF) return Error(esc, "unpaired surrogate in \\u escape");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      uint32_t low = 0;
      if (!Take("\\u") || !hex4(&low) || low < 0xDC00 || low > 0xDFFF) {
        return Error(esc, "unpaired surrogate in \\u escape");
      }
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    AppendUtf8(cp, out);
    return Status::Ok();
  }

  // `any path`, where only \` and \\ are escapes.
  Status BackquotedPath(Token* t) {
    size_t start = pos_++;
    t->kind = TokenKind::kPath;
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == '`') {
        ++pos_;
        if (t->text.empty()) return Error(start, "empty attribute path");
        return Status::Ok();
      }
      if (c == '\\') {
        char e = pos_ + 1 < text_.size() ? text_[pos_ + 1] : '\0';
        if (e != '`' && e != '\\') {
          return Error(pos_, "unknown escape in backquoted path", "only \\` and \\\\ are escapes");
        }
        c = e;
        ++pos_;
      }
      t->text.push_back(c);
      ++pos_;
    }
    return Error(start, "unterminated backquoted path starting");
  }

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

Result<std::vector<Token>> Lex(std::string_view text) { return Lexer(text).Run(); }

size_t ColumnAt(std::string_view text, size_t offset) {
  size_t column = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (!IsContinuation(text[i])) ++column;
  }
  return column;
}

std::string Describe(std::string_view text, const Token& token) {
  if (token.kind == TokenKind::kEnd) return "end of filter";
  std::string_view src = text.substr(token.begin, token.end - token.begin);
  // Long tokens are cut (at a character boundary): the column says where.
  constexpr size_t kMaxShown = 40;
  std::string shown(src);
  if (shown.size() > kMaxShown) {
    size_t cut = kMaxShown;
    while (cut > 0 && IsContinuation(shown[cut])) --cut;
    shown = shown.substr(0, cut) + "...";
  }
  if (token.kind == TokenKind::kString) return shown;
  return "'" + shown + "'";
}

bool IsPathChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || IsDigit(c) || c == '_' || c == '.' ||
         c == '-' || c == '/';
}

size_t ScanNumber(std::string_view s, size_t pos) {
  size_t p = pos;
  if (p < s.size() && s[p] == '-') ++p;
  size_t digits = 0;
  while (p < s.size() && IsDigit(s[p])) ++p, ++digits;
  if (p < s.size() && s[p] == '.') {
    size_t q = p + 1;
    while (q < s.size() && IsDigit(s[q])) ++q, ++digits;
    if (digits > 0) p = q;
  }
  if (digits == 0) return 0;
  if (p < s.size() && (s[p] == 'e' || s[p] == 'E')) {
    size_t q = p + 1;
    if (q < s.size() && (s[q] == '+' || s[q] == '-')) ++q;
    size_t exp_start = q;
    while (q < s.size() && IsDigit(s[q])) ++q;
    if (q > exp_start) p = q;
  }
  return p - pos;
}

std::optional<TokenKind> KeywordKind(std::string_view word) {
  struct Keyword { std::string_view name; TokenKind kind; };
  static constexpr Keyword kKeywords[] = {
      {"and", TokenKind::kAnd},     {"or", TokenKind::kOr},         {"not", TokenKind::kNot},
      {"contains", TokenKind::kContains}, {"in", TokenKind::kIn},   {"exists", TokenKind::kExists},
      {"true", TokenKind::kTrue},   {"false", TokenKind::kFalse},   {"null", TokenKind::kNull},
      {"datetime", TokenKind::kDatetime},
  };
  for (const Keyword& k : kKeywords) {
    if (word.size() != k.name.size()) continue;
    bool same = true;
    for (size_t i = 0; i < word.size() && same; ++i) {
      char c = word[i];
      if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
      same = c == k.name[i];
    }
    if (same) return k.kind;
  }
  return std::nullopt;
}

}  // namespace sextant::query::internal
