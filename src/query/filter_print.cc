// Filter::ToString: the canonical spelling of a parsed filter. It must lex
// and parse back to the same filter, so paths and strings are quoted with
// the lexer's own rules (filter_lexer.h).
#include <charconv>
#include <cstdio>

#include "query/filter.h"
#include "query/filter_ast.h"
#include "query/filter_datetime.h"
#include "query/filter_lexer.h"

namespace sextant::query {
namespace internal {
namespace {

// Binding strength; a child binding more loosely than its parent needs
// parentheses.
int Precedence(NodeKind kind) {
  switch (kind) {
    case NodeKind::kOr: return 1;
    case NodeKind::kAnd: return 2;
    case NodeKind::kNot: return 3;
    default: return 4;
  }
}

std::string_view OpSpelling(CompareOp op) {
  switch (op) {
    case CompareOp::kEq: return "=";
    case CompareOp::kNe: return "!=";
    case CompareOp::kLt: return "<";
    case CompareOp::kLe: return "<=";
    case CompareOp::kGt: return ">";
    case CompareOp::kGe: return ">=";
  }
  return "?";
}

std::string LiteralToString(const Literal& lit) {
  switch (lit.kind) {
    case Literal::Kind::kBool: return lit.i ? "true" : "false";
    case Literal::Kind::kString: return QuoteString(lit.s);
    case Literal::Kind::kDatetime: return "datetime(\"" + FormatDatetime(lit.i) + "\")";
    case Literal::Kind::kNumber: break;
  }
  if (lit.is_int) return std::to_string(lit.i);
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, lit.d);  // shortest round trip
  std::string s(buf, ec == std::errc() ? end : buf);
  // Keep floats floats: "1" would parse back as an integer.
  if (s.find_first_of(".eE") == std::string::npos) s += ".0";
  return s;
}

void Print(const Program& program, uint32_t index, std::string* out);

void PrintChild(const Program& program, uint32_t child, int parent_precedence, std::string* out) {
  bool parens = Precedence(program.nodes[child].kind) < parent_precedence;
  if (parens) *out += '(';
  Print(program, child, out);
  if (parens) *out += ')';
}

void Print(const Program& program, uint32_t index, std::string* out) {
  const Node& node = program.nodes[index];
  switch (node.kind) {
    case NodeKind::kAnd:
    case NodeKind::kOr: {
      std::string_view sep = node.kind == NodeKind::kAnd ? " and " : " or ";
      for (size_t k = 0; k < node.children.size(); ++k) {
        if (k > 0) *out += sep;
        PrintChild(program, node.children[k], Precedence(node.kind), out);
      }
      return;
    }
    case NodeKind::kNot:
      *out += "not ";
      PrintChild(program, node.children[0], Precedence(node.kind), out);
      return;
    case NodeKind::kExists:
      *out += "exists(" + QuotePath(node.path) + ")";
      return;
    case NodeKind::kCompare:
      *out += QuotePath(node.path) + " " + std::string(OpSpelling(node.op)) + " " +
              LiteralToString(node.literal);
      return;
    case NodeKind::kMatch:
      *out += QuotePath(node.path) + (node.negated ? " !~ " : " ~ ") + QuoteString(node.literal.s);
      return;
    case NodeKind::kContains:
      *out += QuotePath(node.path) + " contains " + QuoteString(node.literal.s);
      return;
  }
}

}  // namespace

std::string QuotePath(std::string_view path) {
  // An aggregate prints as one: min(val/loss), min(`odd path`).
  if (auto agg = ParseAggregate(path))
    return std::string(AggregateName(agg->fn)) + "(" + QuotePath(agg->path) + ")";
  bool bare = !path.empty() && !KeywordKind(path) && ScanNumber(path, 0) != path.size();
  for (char c : path) bare = bare && IsPathChar(c);
  if (bare) return std::string(path);
  std::string out = "`";
  for (char c : path) {
    if (c == '`' || c == '\\') out += '\\';
    out += c;
  }
  return out + "`";
}

std::string QuoteString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
          out += buf;
        } else {
          out += c;  // UTF-8 passes through: the lexer validated it
        }
    }
  }
  return out + "\"";
}

}  // namespace internal

std::string QuotePath(std::string_view path) { return internal::QuotePath(path); }
std::string QuoteString(std::string_view s) { return internal::QuoteString(s); }
size_t NumberLength(std::string_view text, size_t pos) { return internal::ScanNumber(text, pos); }

std::string Filter::ToString() const {
  if (program_ == nullptr) return "";
  std::string out;
  internal::Print(*program_, program_->root, &out);
  return out;
}

}  // namespace sextant::query
