// Neptune's NQL and sorting → Sextant filter text and sort keys.
//
// The parser reads NQL with an explicit operator stack (shunting-yard): NOT
// binds tightest, then AND, then OR, and parentheses group. Each condition
// is translated as soon as it is read; the tree of AND/OR/NOT is then
// printed without recursion, with only the parentheses that Sextant's
// precedence needs (neptune-query wraps every operand of `&` in one more
// pair, so `a & b & c & ...` arrives nested as deep as it is long, and
// prints flat), and double negations cancelled.
//
// Grammar read (keywords in any case, whitespace between any two tokens):
//
//   query      = [ or ] ;   or = and { "OR" and } ;   and = not { "AND" not } ;
//   not        = "NOT" not | "(" or ")" | condition ;
//   condition  = attribute ( compare string | [ "NOT" ] "MATCHES" string
//                          | [ "NOT" ] "CONTAINS" string | [ "NOT" ] "EXISTS" ) ;
//   attribute  = [ aggregation "(" ] "`" name "`" [ ":" type ] [ ")" ] ;
//   compare    = "==" | "!=" | ">" | ">=" | "<" | "<=" ;
//   string     = '"' { any character but '"' and '\' | '\\' | '\"' } '"' ;
//   aggregation = "last" | "min" | "max" | "average" | "variance" ;
//   type       = "float" | "int" | "bool" | "string" | "datetime" | "floatSeries"
//              | "stringSet" | "stringSeries" | "fileRef" | "fileRefSeries"
//              | "histogramSeries" | "experimentState" ;
//
// Values are always strings in NQL; the attribute's type says how to read
// them:
//   float, int, floatSeries, bool   a number as Python prints it ("64",
//                                   "0.001", "1e-07") or True/False (any
//                                   case); int keeps integers exact
//   string, stringSeries, experimentState   the string itself
//   datetime                        ISO 8601 ("2026-01-02T03:04:05+00:00"),
//                                   written as datetime("...Z") in UTC
//   stringSet                       an element (CONTAINS) or a regex (MATCHES)
//   fileRef, fileRefSeries, histogramSeries   EXISTS only
// Without a type (neptune-query always sends one: it looks types up first)
// a value that reads as a number or True/False compares either way:
// `x` == "1" is (x = 1 or x = "1").
//
// Operators: == != > >= < <= are Sextant's = != > >= < <=; MATCHES is `~`
// and NOT MATCHES `!~` (RE2 syntax, searched anywhere in the string, any
// element of a string set); CONTAINS is `contains` (an element of a string
// set, a substring of a string) and NOT CONTAINS `not ... contains`; EXISTS
// is exists(...). Of the aggregations, last(...) is the attribute itself
// (Sextant compares a series by its last value); min, max, average and
// variance are refused, because Sextant's filter language has no way to
// name them.
//
// Where the answer can differ from Neptune's:
// - The type in `name`:type is not checked: Sextant's comparisons already
//   ignore attributes of other kinds, except that the numeric types compare
//   with each other (`x`:float == "1" also matches an int x of 1), and
//   EXISTS holds for an attribute of any type.
// - A missing attribute makes a comparison, MATCHES and NOT MATCHES false;
//   NOT CONTAINS is true for it (plain negation of CONTAINS).
// - Regular expressions are RE2 (Neptune's are Java's): no backreferences or
//   lookaround; such a pattern is refused with RE2's message.
// - sys/trashed is true only on trashed runs (Sextant stores it only there),
//   so `sys/trashed`:bool == "False" is written `not sys/trashed = true`.
//   sys/failed is `sys/state = "failed"`. Both are always present.
// - Infinity and NaN ("inf", "nan") have no literal in Sextant's language and
//   are refused.
#include "api/neptune/nql.h"

#include <re2/re2.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <system_error>
#include <utility>
#include <vector>

#include "model/types.h"
#include "query/filter.h"
#include "query/filter_datetime.h"

namespace sextant::api::neptune {
namespace {

Status Invalid(std::string m) { return Status::InvalidArgument(std::move(m)); }

// ---------------------------------------------------------------- characters

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsWordByte(char c) { return IsLetter(c) || IsDigit(c) || c == '_'; }
char Lower(char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; }
bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}
bool IsContinuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// At most `max` bytes of `s` for an error message, cut at a character.
std::string Shorten(std::string_view s, size_t max = 40) {
  if (s.size() <= max) return std::string(s);
  size_t cut = max;
  while (cut > 0 && IsContinuation(s[cut])) --cut;
  return std::string(s.substr(0, cut)) + "...";
}

// ------------------------------------------------------------------- types

enum class Type : uint8_t {
  kNone,  // no `:type` written
  kFloat,
  kInt,
  kBool,
  kString,
  kDatetime,
  kFloatSeries,
  kStringSet,
  kStringSeries,
  kFileRef,
  kFileRefSeries,
  kHistogramSeries,
  kExperimentState,
};

struct TypeName {
  std::string_view name;
  Type type;
};
constexpr TypeName kTypes[] = {
    {"float", Type::kFloat},
    {"int", Type::kInt},
    {"bool", Type::kBool},
    {"string", Type::kString},
    {"datetime", Type::kDatetime},
    {"floatSeries", Type::kFloatSeries},
    {"stringSet", Type::kStringSet},
    {"stringSeries", Type::kStringSeries},
    {"fileRef", Type::kFileRef},
    {"fileRefSeries", Type::kFileRefSeries},
    {"histogramSeries", Type::kHistogramSeries},
    {"experimentState", Type::kExperimentState},
};
constexpr std::string_view kTypeList =
    "float, int, bool, string, datetime, floatSeries, stringSet, stringSeries, fileRef, "
    "fileRefSeries, histogramSeries, experimentState";

std::optional<Type> FindType(std::string_view name) {
  for (const TypeName& t : kTypes) {
    if (t.name == name) return t.type;
  }
  return std::nullopt;
}

// How a value is read and which operators apply.
enum class Kind : uint8_t { kUntyped, kNumeric, kString, kStringSet, kDatetime, kOpaque };

Kind KindOf(Type t) {
  switch (t) {
    case Type::kNone: return Kind::kUntyped;
    case Type::kFloat:
    case Type::kInt:
    case Type::kBool:
    case Type::kFloatSeries: return Kind::kNumeric;
    case Type::kString:
    case Type::kStringSeries:
    case Type::kExperimentState: return Kind::kString;
    case Type::kStringSet: return Kind::kStringSet;
    case Type::kDatetime: return Kind::kDatetime;
    case Type::kFileRef:
    case Type::kFileRefSeries:
    case Type::kHistogramSeries: return Kind::kOpaque;
  }
  return Kind::kOpaque;
}

bool IsSeries(Type t) {
  return t == Type::kFloatSeries || t == Type::kStringSeries || t == Type::kFileRefSeries ||
         t == Type::kHistogramSeries;
}

// --------------------------------------------------------------------- paths

struct PathAlias {
  std::string_view neptune;
  std::string_view sextant;
};
constexpr PathAlias kPathAliases[] = {
    {"sys/custom_run_id", "sys/id"},
    {"sys/creation_time", "sys/created_at"},
    {"sys/modification_time", "sys/updated_at"},
    {"sys/ping_time", "sys/updated_at"},
    {"sys/experiment/name", "sys/experiment"},
    {"sys/failed", "sys/state"},
};

// ------------------------------------------------------------ Sextant output

// Shortest round-trip text, kept a float ("1" would be an integer literal).
std::string FormatNumber(double d) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
  std::string s(buf, ec == std::errc() ? end : buf);
  if (s.find_first_of(".eE") == std::string::npos) s += ".0";
  // A subnormal that the filter lexer might refuse as out of range reads as 0.
  double check = 0;
  if (std::from_chars(s.data(), s.data() + s.size(), check).ec != std::errc()) {
    return std::signbit(d) ? "-0.0" : "0.0";
  }
  return s;
}

enum class NumberError { kNone, kNotANumber, kNotFinite, kOutOfRange };

// A value as a Sextant number (or true/false) literal: True/False in any
// case, or a decimal number with optional '-', fraction and exponent. With
// `integer`, a whole number that fits in 64 bits stays an integer.
NumberError NumberLiteral(std::string_view v, bool integer, std::string* out) {
  if (EqualsIgnoreCase(v, "true") || EqualsIgnoreCase(v, "false")) {
    *out = Lower(v[0]) == 't' ? "true" : "false";
    return NumberError::kNone;
  }
  if (v.empty()) return NumberError::kNotANumber;
  // Only decimal notation: std::from_chars also reads "inf", "nan" and
  // "infinity", which are told apart below.
  size_t i = v[0] == '-' ? 1 : 0;
  bool digits_only = i < v.size();
  for (size_t j = i; j < v.size(); ++j) {
    char c = v[j];
    if (!IsDigit(c)) digits_only = false;
    if (!IsDigit(c) && c != '.' && c != 'e' && c != 'E' && c != '+' && c != '-') {
      if (IsLetter(v[i])) {
        double d = 0;
        auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
        if (ec == std::errc() && ptr == v.data() + v.size() && !std::isfinite(d)) {
          return NumberError::kNotFinite;
        }
      }
      return NumberError::kNotANumber;
    }
  }
  if (integer && digits_only) {
    int64_t n = 0;
    auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec == std::errc() && ptr == v.data() + v.size()) {
      *out = std::to_string(n);
      return NumberError::kNone;
    }
  }
  double d = 0;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
  if (ptr != v.data() + v.size()) return NumberError::kNotANumber;
  if (ec == std::errc::result_out_of_range) {
    // Underflow reads as zero; overflow has no finite literal.
    size_t e = v.find_first_of("eE");
    bool negative_exponent = e != std::string_view::npos && e + 1 < v.size() && v[e + 1] == '-';
    if (!negative_exponent) return NumberError::kOutOfRange;
    *out = v[0] == '-' ? "-0.0" : "0.0";
    return NumberError::kNone;
  }
  if (ec != std::errc()) return NumberError::kNotANumber;
  *out = FormatNumber(d);
  return NumberError::kNone;
}

// -------------------------------------------------------------------- parser

enum class Op : uint8_t {
  kEq,
  kNe,
  kGt,
  kGe,
  kLt,
  kLe,
  kMatches,
  kNotMatches,
  kContains,
  kNotContains,
  kExists,
  kNotExists,
};

std::string_view NqlName(Op op) {
  switch (op) {
    case Op::kEq: return "==";
    case Op::kNe: return "!=";
    case Op::kGt: return ">";
    case Op::kGe: return ">=";
    case Op::kLt: return "<";
    case Op::kLe: return "<=";
    case Op::kMatches: return "MATCHES";
    case Op::kNotMatches: return "NOT MATCHES";
    case Op::kContains: return "CONTAINS";
    case Op::kNotContains: return "NOT CONTAINS";
    case Op::kExists: return "EXISTS";
    case Op::kNotExists: return "NOT EXISTS";
  }
  return "?";
}

std::string_view SextantCompare(Op op) {
  switch (op) {
    case Op::kEq: return "=";
    case Op::kNe: return "!=";
    case Op::kGt: return ">";
    case Op::kGe: return ">=";
    case Op::kLt: return "<";
    case Op::kLe: return "<=";
    default: return "?";
  }
}

bool IsCompare(Op op) { return op <= Op::kLe; }

// One condition as written.
struct Condition {
  std::string aggregation;  // as written; empty if none
  size_t aggregation_pos = 0;
  std::string name;
  size_t name_pos = 0;  // of the opening backquote
  Type type = Type::kNone;
  std::string_view type_text;
  Op op = Op::kEq;
  size_t op_pos = 0;
  std::string value;  // unescaped; not set for EXISTS
  size_t value_pos = 0;
};

// A translated condition, or an AND/OR/NOT of nodes.
enum class NodeKind : uint8_t { kCondition, kAnd, kOr, kNot };

struct Node {
  NodeKind kind = NodeKind::kCondition;
  uint32_t left = 0, right = 0;  // kAnd, kOr: both; kNot: left
  std::string text;              // kCondition: Sextant text
  bool is_or = false;            // kCondition: text is an `or` of two comparisons
  int depth = 0;                 // kCondition: `not`s in text
};

class Parser {
 public:
  explicit Parser(std::string_view in) : in_(in) {}

  Result<std::string> Translate();

 private:
  // --- scanning
  void SkipSpace() {
    while (pos_ < in_.size() && IsSpace(in_[pos_])) ++pos_;
  }
  bool AtEnd() const { return pos_ >= in_.size(); }
  char Peek() const { return in_[pos_]; }
  std::string_view PeekWord() const {
    size_t end = pos_;
    while (end < in_.size() && IsWordByte(in_[end])) ++end;
    return in_.substr(pos_, end - pos_);
  }
  bool TakeKeyword(std::string_view keyword) {
    std::string_view w = PeekWord();
    if (!EqualsIgnoreCase(w, keyword)) return false;
    pos_ += w.size();
    return true;
  }

  size_t Column(size_t pos) const {
    size_t col = 1;
    for (size_t i = 0; i < pos && i < in_.size(); ++i) col += !IsContinuation(in_[i]);
    return col;
  }
  std::string At(size_t pos) const { return "at column " + std::to_string(Column(pos)); }
  // What is at `pos`, for "found ...".
  std::string Found(size_t pos) const {
    if (pos >= in_.size()) return "end of query";
    size_t end = pos;
    if (IsWordByte(in_[pos])) {
      while (end < in_.size() && IsWordByte(in_[end])) ++end;
    } else {
      ++end;
      while (end < in_.size() && IsContinuation(in_[end])) ++end;
    }
    return "'" + Shorten(in_.substr(pos, end - pos)) + "'";
  }
  Status Error(size_t pos, std::string_view what) const {
    return Invalid("Invalid NQL query: " + std::string(what) + " " + At(pos) + ", found " +
                   Found(pos));
  }


  Result<std::string> Backquoted();
  Result<std::string> Quoted();
  Result<Op> ScanOperator();
  Result<Condition> ScanCondition(std::string_view aggregation);

  // --- translation
  std::string Attr(const Condition& c) const {
    std::string s = "`" + Shorten(c.name) + "`";
    if (c.type != Type::kNone) s += ":" + std::string(c.type_text);
    return s;
  }
  Status ValueError(const Condition& c, std::string_view expected) const {
    return Invalid("Invalid NQL query: expected " + std::string(expected) + " as the value of " +
                   Attr(c) + " " + At(c.value_pos) + ", found \"" + Shorten(c.value) + "\"");
  }
  Status OperatorError(const Condition& c, std::string_view why) const {
    return Invalid("Invalid NQL query: " + std::string(NqlName(c.op)) + " " + At(c.op_pos) +
                   " cannot be applied to " + Attr(c) + ": " + std::string(why));
  }
  Result<Node> TranslateCondition(const Condition& c) const;
  Result<Node> TranslateFlag(const Condition& c, std::string_view is_true) const;
  Result<std::string> Number(const Condition& c) const;
  Result<std::string> Regex(const Condition& c) const;

  // --- tree
  uint32_t Add(Node n) {
    nodes_.push_back(std::move(n));
    return static_cast<uint32_t>(nodes_.size() - 1);
  }
  void Apply(char op);
  Result<std::string> Print(uint32_t root) const;

  std::string_view in_;
  size_t pos_ = 0;
  std::vector<Node> nodes_;
  std::vector<uint32_t> operands_;
  struct PendingOp {
    char op;  // '(' , '!' (NOT), '&' (AND), '|' (OR)
    size_t pos;
  };
  std::vector<PendingOp> ops_;
};

// At '`': the name up to the next '`' (NQL has no escapes in names).
Result<std::string> Parser::Backquoted() {
  size_t start = pos_;
  size_t end = in_.find('`', start + 1);
  if (end == std::string_view::npos) {
    return Invalid("Invalid NQL query: the backquote " + At(start) + " is never closed");
  }
  if (end == start + 1) return Invalid("Invalid NQL query: empty attribute name `` " + At(start));
  pos_ = end + 1;
  return std::string(in_.substr(start + 1, end - start - 1));
}

// At '"': the string, with \\ and \" unescaped.
Result<std::string> Parser::Quoted() {
  size_t start = pos_++;
  std::string out;
  while (pos_ < in_.size()) {
    char c = in_[pos_];
    if (c == '"') {
      ++pos_;
      return out;
    }
    if (c == '\\') {
      if (pos_ + 1 >= in_.size()) break;
      char next = in_[pos_ + 1];
      if (next != '\\' && next != '"') {
        size_t end = pos_ + 2;
        while (end < in_.size() && IsContinuation(in_[end])) ++end;
        return Invalid("Invalid NQL query: invalid escape '" +
                       std::string(in_.substr(pos_, end - pos_)) + "' " + At(pos_) +
                       " in the string that starts " + At(start) +
                       "; only \\\\ and \\\" are escapes");
      }
      out += next;
      pos_ += 2;
      continue;
    }
    out += c;
    ++pos_;
  }
  return Invalid("Invalid NQL query: the string that starts " + At(start) + " is never closed");
}

Result<Op> Parser::ScanOperator() {
  size_t start = pos_;
  constexpr std::string_view kExpected =
      "expected an operator (==, !=, >, >=, <, <=, MATCHES, NOT MATCHES, CONTAINS, NOT CONTAINS "
      "or EXISTS)";
  if (AtEnd()) return Error(start, kExpected);
  auto two = [&](std::string_view s) { return in_.substr(pos_, 2) == s; };
  if (two("==")) return pos_ += 2, Op::kEq;
  if (two("!=")) return pos_ += 2, Op::kNe;
  if (two(">=")) return pos_ += 2, Op::kGe;
  if (two("<=")) return pos_ += 2, Op::kLe;
  if (Peek() == '>') return ++pos_, Op::kGt;
  if (Peek() == '<') return ++pos_, Op::kLt;
  bool negated = TakeKeyword("NOT");
  if (negated) {
    if (AtEnd() || !IsSpace(Peek())) {
      return Error(pos_, "expected MATCHES, CONTAINS or EXISTS after NOT");
    }
    SkipSpace();
  }
  if (TakeKeyword("MATCHES")) return negated ? Op::kNotMatches : Op::kMatches;
  if (TakeKeyword("CONTAINS")) return negated ? Op::kNotContains : Op::kContains;
  if (TakeKeyword("EXISTS")) return negated ? Op::kNotExists : Op::kExists;
  if (negated) return Error(pos_, "expected MATCHES, CONTAINS or EXISTS after NOT");
  return Error(start, kExpected);
}

// At '`', or after `aggregation` (whose '(' is next).
Result<Condition> Parser::ScanCondition(std::string_view aggregation) {
  Condition c;
  if (!aggregation.empty()) {
    c.aggregation = std::string(aggregation);
    c.aggregation_pos = pos_ - aggregation.size();
    SkipSpace();
    ++pos_;  // '(' (checked by the caller)
    SkipSpace();
    if (AtEnd() || Peek() != '`') {
      return Error(pos_, "expected an attribute name in backquotes after " +
                             std::string(aggregation) + "(");
    }
  }
  c.name_pos = pos_;
  ASSIGN_OR_RETURN(c.name, Backquoted());
  SkipSpace();
  if (!AtEnd() && Peek() == ':') {
    ++pos_;
    SkipSpace();
    size_t type_pos = pos_;
    std::string_view word = PeekWord();
    if (word.empty()) return Error(type_pos, "expected an attribute type after ':'");
    std::optional<Type> type = FindType(word);
    if (!type) {
      return Invalid("Invalid NQL query: unknown attribute type '" + Shorten(word) + "' " +
                     At(type_pos) + "; the types are " + std::string(kTypeList));
    }
    c.type = *type;
    c.type_text = word;
    pos_ += word.size();
    SkipSpace();
  }
  if (!aggregation.empty()) {
    if (AtEnd() || Peek() != ')') {
      return Error(pos_, "expected ')' to close " + std::string(aggregation) + "(");
    }
    ++pos_;
    SkipSpace();
  }
  c.op_pos = pos_;
  ASSIGN_OR_RETURN(c.op, ScanOperator());
  if (c.op == Op::kExists || c.op == Op::kNotExists) return c;
  SkipSpace();
  if (AtEnd() || Peek() != '"') {
    return Error(pos_, "expected a value in double quotes after " + std::string(NqlName(c.op)));
  }
  c.value_pos = pos_;
  ASSIGN_OR_RETURN(c.value, Quoted());
  return c;
}

Result<std::string> Parser::Number(const Condition& c) const {
  std::string out;
  switch (NumberLiteral(c.value, c.type == Type::kInt, &out)) {
    case NumberError::kNone: return out;
    case NumberError::kNotFinite:
      return Invalid("Invalid NQL query: the value \"" + Shorten(c.value) + "\" of " + Attr(c) +
                     " " + At(c.value_pos) +
                     " is not finite; Sextant's filter language has no literal for infinity or "
                     "NaN");
    case NumberError::kOutOfRange:
      return Invalid("Invalid NQL query: the value \"" + Shorten(c.value) + "\" of " + Attr(c) +
                     " " + At(c.value_pos) + " is beyond the range of a double");
    case NumberError::kNotANumber: break;
  }
  return ValueError(c, c.type == Type::kBool ? "True or False" : "a number");
}

Result<std::string> Parser::Regex(const Condition& c) const {
  RE2::Options options;
  options.set_log_errors(false);
  RE2 re(c.value, options);
  if (!re.ok()) {
    return Invalid("Invalid NQL query: the regular expression \"" + Shorten(c.value) + "\" " +
                   At(c.value_pos) + " is not valid in Sextant (RE2 syntax): " + re.error());
  }
  return query::QuoteString(c.value);
}

// A boolean system attribute that Sextant derives: `is_true` is the Sextant
// condition for "the attribute is true"; the attribute is always present.
Result<Node> Parser::TranslateFlag(const Condition& c, std::string_view is_true) const {
  Node n;
  if (c.op == Op::kExists || c.op == Op::kNotExists) {
    n.text = c.op == Op::kExists ? "exists(sys/id)" : "not exists(sys/id)";
    n.depth = c.op == Op::kNotExists;
    return n;
  }
  if (c.op != Op::kEq && c.op != Op::kNe) {
    return OperatorError(c, "it is a flag: use ==, != or EXISTS");
  }
  std::string literal;
  if (NumberLiteral(c.value, false, &literal) != NumberError::kNone ||
      (literal != "true" && literal != "false" && literal != "1.0" && literal != "0.0")) {
    return ValueError(c, "True or False");
  }
  bool value = literal == "true" || literal == "1.0";
  bool holds = (c.op == Op::kEq) == value;
  n.text = holds ? std::string(is_true) : "not " + std::string(is_true);
  n.depth = !holds;
  return n;
}

Result<Node> Parser::TranslateCondition(const Condition& c) const {
  if (!c.aggregation.empty()) {
    std::string agg(c.aggregation);
    for (char& ch : agg) ch = Lower(ch);
    if (agg != "last") {
      return Invalid("Invalid NQL query: " + c.aggregation + "(" + Attr(c) + ") " +
                     At(c.aggregation_pos) +
                     " cannot be translated: Sextant's filter language compares a series by "
                     "its last value only and cannot express its min, max, average or variance "
                     "(last(...), or the attribute alone, can be used)");
    }
    if (c.type != Type::kNone && !IsSeries(c.type)) {
      return Invalid("Invalid NQL query: " + c.aggregation + "(...) " + At(c.aggregation_pos) +
                     " applies to series, not to " + Attr(c));
    }
  }
  if (c.type == Type::kNone || c.type == Type::kBool) {
    if (c.name == "sys/trashed") return TranslateFlag(c, "sys/trashed = true");
    if (c.name == "sys/failed") return TranslateFlag(c, "sys/state = \"failed\"");
  }
  std::string path = query::QuotePath(SextantPath(c.name));
  Kind kind = KindOf(c.type);
  Node n;
  if (c.op == Op::kExists || c.op == Op::kNotExists) {
    n.text = (c.op == Op::kNotExists ? "not exists(" : "exists(") + path + ")";
    n.depth = c.op == Op::kNotExists;
    return n;
  }
  if (IsCompare(c.op)) {
    std::string op = " " + std::string(SextantCompare(c.op)) + " ";
    switch (kind) {
      case Kind::kNumeric: {
        ASSIGN_OR_RETURN(std::string number, Number(c));
        n.text = path + op + number;
        return n;
      }
      case Kind::kString: n.text = path + op + query::QuoteString(c.value); return n;
      case Kind::kDatetime: {
        auto us = query::internal::ParseDatetime(c.value);
        if (!us.ok()) {
          return Invalid("Invalid NQL query: the value \"" + Shorten(c.value) + "\" of " +
                         Attr(c) + " " + At(c.value_pos) +
                         " is not an ISO 8601 datetime: " + us.status().message());
        }
        n.text = path + op + "datetime(\"" + query::internal::FormatDatetime(us.value()) + "\")";
        return n;
      }
      case Kind::kStringSet:
        return OperatorError(c, "a string set is tested with CONTAINS, NOT CONTAINS or MATCHES");
      case Kind::kOpaque: return OperatorError(c, "this type can only be tested with EXISTS");
      case Kind::kUntyped: {
        std::string quoted = query::QuoteString(c.value);
        std::string number;
        if (NumberLiteral(c.value, true, &number) == NumberError::kNone) {
          n.text = path + op + number + " or " + path + op + quoted;
          n.is_or = true;
        } else {
          n.text = path + op + quoted;
        }
        return n;
      }
    }
  }
  // MATCHES, CONTAINS and their negations: strings and string sets.
  if (kind != Kind::kString && kind != Kind::kStringSet && kind != Kind::kUntyped) {
    return OperatorError(c, kind == Kind::kOpaque
                                ? "this type can only be tested with EXISTS"
                                : "it applies to strings and string sets");
  }
  switch (c.op) {
    case Op::kMatches:
    case Op::kNotMatches: {
      ASSIGN_OR_RETURN(std::string regex, Regex(c));
      n.text = path + (c.op == Op::kMatches ? " ~ " : " !~ ") + regex;
      return n;
    }
    case Op::kContains:
    case Op::kNotContains:
      n.text = (c.op == Op::kNotContains ? "not " : "") + path + " contains " +
               query::QuoteString(c.value);
      n.depth = c.op == Op::kNotContains;
      return n;
    default: break;
  }
  return OperatorError(c, "unsupported operator");
}

// Pops the operands of `op` and pushes the node that combines them. The
// scanner's states guarantee there are enough operands.
void Parser::Apply(char op) {
  Node n;
  if (op == '!') {
    n.kind = NodeKind::kNot;
    n.left = operands_.back();
    operands_.pop_back();
  } else {
    n.kind = op == '&' ? NodeKind::kAnd : NodeKind::kOr;
    n.right = operands_.back();
    operands_.pop_back();
    n.left = operands_.back();
    operands_.pop_back();
  }
  operands_.push_back(Add(std::move(n)));
}

Status TooLong(size_t bytes) {
  return Invalid("The NQL query is too long: in Sextant's filter language it is " +
                 std::to_string(bytes) + " bytes or more, and the limit is " +
                 std::to_string(query::kMaxFilterBytes));
}

// Prints the tree with an explicit stack: each step either appends text
// (changing the nesting depth by `delta`) or prints a node in the context of
// its parent, which decides whether it needs parentheses.
Result<std::string> Parser::Print(uint32_t root) const {
  enum class Ctx : uint8_t { kTop, kOr, kAnd, kNot };
  struct Step {
    std::string_view text;  // printed when `is_text`
    int delta = 0;
    bool is_text = false;
    uint32_t node = 0;
    Ctx ctx = Ctx::kTop;
  };
  std::string out;
  std::vector<Step> stack;
  stack.push_back({.node = root});
  int depth = 0;
  auto enter = [&](int levels) -> Status {
    depth += levels;
    if (depth > query::kMaxFilterDepth) {
      return Invalid("The NQL query nests parentheses and NOT " + std::to_string(depth) +
                     " or more levels deep once translated; Sextant's filter language allows " +
                     std::to_string(query::kMaxFilterDepth));
    }
    return Status::Ok();
  };
  while (!stack.empty()) {
    Step step = stack.back();
    stack.pop_back();
    if (step.is_text) {
      out += step.text;
      depth += step.delta;
    } else {
      uint32_t index = step.node;
      // NOT NOT x is x: Sextant's `not` is plain two-valued negation.
      while (nodes_[index].kind == NodeKind::kNot &&
             nodes_[nodes_[index].left].kind == NodeKind::kNot) {
        index = nodes_[nodes_[index].left].left;
      }
      const Node& n = nodes_[index];
      switch (n.kind) {
        case NodeKind::kCondition: {
          bool parens = n.is_or && (step.ctx == Ctx::kAnd || step.ctx == Ctx::kNot);
          RETURN_IF_ERROR(enter(parens + n.depth));
          depth -= parens + n.depth;
          if (parens) out += '(';
          out += n.text;
          if (parens) out += ')';
          break;
        }
        case NodeKind::kNot:
          RETURN_IF_ERROR(enter(1));
          out += "not ";
          stack.push_back({.delta = -1, .is_text = true});
          stack.push_back({.node = n.left, .ctx = Ctx::kNot});
          break;
        case NodeKind::kAnd:
        case NodeKind::kOr: {
          bool is_and = n.kind == NodeKind::kAnd;
          Ctx ctx = is_and ? Ctx::kAnd : Ctx::kOr;
          bool parens = step.ctx == Ctx::kNot || (!is_and && step.ctx == Ctx::kAnd);
          if (parens) {
            RETURN_IF_ERROR(enter(1));
            out += '(';
            stack.push_back({.text = ")", .delta = -1, .is_text = true});
          }
          stack.push_back({.node = n.right, .ctx = ctx});
          stack.push_back({.text = is_and ? " and " : " or ", .is_text = true});
          stack.push_back({.node = n.left, .ctx = ctx});
          break;
        }
      }
    }
    if (out.size() > query::kMaxFilterBytes) return TooLong(out.size());
  }
  return out;
}

Result<std::string> Parser::Translate() {
  bool expect_operand = true;
  auto precedence = [](char op) { return op == '!' ? 3 : op == '&' ? 2 : op == '|' ? 1 : 0; };
  while (true) {
    SkipSpace();
    if (expect_operand) {
      if (AtEnd()) {
        if (operands_.empty() && ops_.empty()) return std::string();
        return Error(pos_, "expected a condition, '(' or NOT");
      }
      char c = Peek();
      if (c == '(') {
        ops_.push_back({'(', pos_++});
        continue;
      }
      std::string_view aggregation;
      if (IsWordByte(c)) {
        size_t word_pos = pos_;
        if (TakeKeyword("NOT")) {
          ops_.push_back({'!', word_pos});
          continue;
        }
        aggregation = PeekWord();
        size_t after = pos_ + aggregation.size();
        while (after < in_.size() && IsSpace(in_[after])) ++after;
        if (after >= in_.size() || in_[after] != '(') {
          return Error(pos_, "expected a condition, '(' or NOT");
        }
        static constexpr std::string_view kAggregations[] = {"last", "min", "max", "average",
                                                             "variance"};
        bool known = false;
        for (std::string_view a : kAggregations) known = known || EqualsIgnoreCase(a, aggregation);
        if (!known) {
          return Invalid("Invalid NQL query: unknown function '" + Shorten(aggregation) + "' " +
                         At(pos_) + "; the aggregations are last, min, max, average and variance");
        }
        pos_ += aggregation.size();
      } else if (c != '`') {
        return Error(pos_, "expected a condition, '(' or NOT");
      }
      ASSIGN_OR_RETURN(Condition condition, ScanCondition(aggregation));
      ASSIGN_OR_RETURN(Node node, TranslateCondition(condition));
      operands_.push_back(Add(std::move(node)));
      expect_operand = false;
      continue;
    }
    // After an operand: ')', AND, OR or the end.
    if (AtEnd()) break;
    size_t op_pos = pos_;
    if (Peek() == ')') {
      ++pos_;
      while (!ops_.empty() && ops_.back().op != '(') {
        Apply(ops_.back().op);
        ops_.pop_back();
      }
      if (ops_.empty()) {
        return Invalid("Invalid NQL query: ')' " + At(op_pos) + " has no matching '('");
      }
      ops_.pop_back();
      continue;
    }
    char op = 0;
    if (TakeKeyword("AND")) {
      op = '&';
    } else if (TakeKeyword("OR")) {
      op = '|';
    } else {
      return Error(pos_, "expected AND, OR, ')' or the end of the query");
    }
    while (!ops_.empty() && ops_.back().op != '(' && precedence(ops_.back().op) >= precedence(op)) {
      Apply(ops_.back().op);
      ops_.pop_back();
    }
    ops_.push_back({op, op_pos});
    expect_operand = true;
  }
  while (!ops_.empty()) {
    if (ops_.back().op == '(') {
      return Invalid("Invalid NQL query: the '(' " + At(ops_.back().pos) + " is never closed");
    }
    Apply(ops_.back().op);
    ops_.pop_back();
  }
  return Print(operands_.back());
}

}  // namespace

Result<std::string> TranslateFilter(std::string_view nql) {
  if (!model::IsValidUtf8(nql)) return Invalid("Invalid NQL query: it is not valid UTF-8");
  return Parser(nql).Translate();
}

std::string SextantPath(std::string_view neptune_name) {
  for (const PathAlias& a : kPathAliases) {
    if (a.neptune == neptune_name) return std::string(a.sextant);
  }
  return std::string(neptune_name);
}

Result<OrderKey> TranslateSort(std::string_view name, std::string_view type,
                               std::string_view dir, std::string_view aggregation) {
  if (name.empty()) return Invalid("Invalid sorting: sortBy.name is empty");
  if (!model::IsValidUtf8(name)) return Invalid("Invalid sorting: sortBy.name is not valid UTF-8");
  if (!type.empty() && !FindType(type)) {
    return Invalid("Invalid sorting: unknown attribute type '" + Shorten(type) +
                   "' in sortBy.type; the types are " + std::string(kTypeList));
  }
  OrderKey key;
  if (EqualsIgnoreCase(dir, "ascending")) {
    key.descending = false;
  } else if (!dir.empty() && !EqualsIgnoreCase(dir, "descending")) {
    return Invalid("Invalid sorting: dir must be \"ascending\" or \"descending\", not \"" +
                   Shorten(dir) + "\"");
  }
  if (!aggregation.empty() && !EqualsIgnoreCase(aggregation, "auto") &&
      !EqualsIgnoreCase(aggregation, "last")) {
    for (std::string_view a : {"min", "max", "average", "variance"}) {
      if (EqualsIgnoreCase(aggregation, a)) {
        return Invalid("Invalid sorting: Sextant sorts a series by its last value only, so "
                       "aggregationMode \"" + std::string(aggregation) +
                       "\" cannot be served (use \"last\" or \"auto\")");
      }
    }
    return Invalid("Invalid sorting: unknown aggregationMode \"" + Shorten(aggregation) +
                   "\"; it is one of auto, last, min, max, average, variance");
  }
  key.path = SextantPath(name);
  return key;
}

}  // namespace sextant::api::neptune
