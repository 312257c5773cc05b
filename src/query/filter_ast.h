// Internal: the parsed form of a Filter. Only the filter_*.cc files include
// this header; the language itself is described in docs/query.md.
//
// A Program is a flat vector of nodes addressed by index, built once by the
// parser and never changed, so that many threads may evaluate it at once.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <re2/re2.h>

namespace sextant::query::internal {

// A constant on the right-hand side of a condition.
struct Literal {
  enum class Kind : uint8_t { kNumber, kBool, kString, kDatetime };
  Kind kind = Kind::kNumber;
  // kNumber written without '.' or exponent that fits int64 keeps is_int, so
  // that large integer configs compare exactly. kBool is i = 0 or 1;
  // kDatetime is i = microseconds since the Unix epoch, UTC.
  bool is_int = false;
  int64_t i = 0;
  double d = 0;
  std::string s;  // kString, already unescaped
};

enum class CompareOp : uint8_t { kEq, kNe, kLt, kLe, kGt, kGe };

enum class NodeKind : uint8_t {
  kAnd,       // children.size() >= 2, evaluated left to right, lazily
  kOr,        // children.size() >= 2
  kNot,       // children.size() == 1
  kExists,    // path
  kCompare,   // path op literal
  kMatch,     // path ~ regex, or path !~ regex when negated
  kContains,  // path contains literal.s (also written `literal in path`)
};

struct Node {
  NodeKind kind = NodeKind::kAnd;
  CompareOp op = CompareOp::kEq;  // kCompare only
  bool negated = false;           // kMatch only: `!~`
  std::vector<uint32_t> children;
  std::string path;
  Literal literal;
  std::unique_ptr<const RE2> regex;  // kMatch only; compiled at parse time
};

struct Program {
  std::vector<Node> nodes;
  uint32_t root = 0;
  std::vector<std::string> paths;  // distinct, in order of first appearance
};

// Defined in filter_print.cc: the canonical spelling of a path (bare when it
// would lex back as the same path, else backquoted) and of a string literal.
std::string QuotePath(std::string_view path);
std::string QuoteString(std::string_view s);

}  // namespace sextant::query::internal
