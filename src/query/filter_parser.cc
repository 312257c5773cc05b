// Recursive descent over the token list, one method per rule of the grammar
// in docs/query.md. Recursion happens only for '(' and `not`, and both count
// towards kMaxFilterDepth, so deep input is an error rather than a crash.
#include <memory>
#include <unordered_set>
#include <utility>

#include "query/filter.h"
#include "query/filter_ast.h"
#include "query/filter_datetime.h"
#include "query/filter_lexer.h"

namespace sextant::query {
namespace internal {
namespace {

class Parser {
 public:
  Parser(std::string_view text, std::vector<Token> tokens)
      : text_(text), tokens_(std::move(tokens)) {}

  // REQUIRES: the token list holds more than kEnd.
  Result<std::shared_ptr<const Program>> Run() {
    ASSIGN_OR_RETURN(program_.root, Or());
    if (Peek().kind == TokenKind::kRParen) {
      return Error(Peek().begin, "unmatched ')'");
    }
    if (Peek().kind != TokenKind::kEnd) {
      return ErrorFound(Peek(), "expected 'and', 'or' or end of filter");
    }
    return std::make_shared<const Program>(std::move(program_));
  }

 private:
  const Token& Peek() const { return tokens_[pos_]; }
  // The kEnd token is never consumed, so Peek() stays in range.
  const Token& Advance() { return tokens_[pos_ < tokens_.size() - 1 ? pos_++ : pos_]; }
  std::string_view Source(const Token& t) const { return text_.substr(t.begin, t.end - t.begin); }

  Status Error(size_t offset, std::string_view what, std::string_view detail = "") const {
    std::string m(what);
    m += " at column " + std::to_string(ColumnAt(text_, offset));
    m += detail;
    return Status::InvalidArgument(std::move(m));
  }
  Status ErrorFound(const Token& found, std::string_view what, std::string_view hint = "") const {
    std::string detail = ", found " + Describe(text_, found);
    if (!hint.empty()) detail += "; " + std::string(hint);
    return Error(found.begin, what, detail);
  }

  uint32_t Add(Node node) {
    if (!node.path.empty() && seen_paths_.insert(node.path).second) {
      program_.paths.push_back(node.path);
    }
    program_.nodes.push_back(std::move(node));
    return static_cast<uint32_t>(program_.nodes.size() - 1);
  }

  // and_or: operand { op operand }, flattened into one n-ary node, also
  // across parentheses: "(a and b) and c" is and(a, b, c).
  template <typename Operand>
  Result<uint32_t> Chain(TokenKind op, NodeKind kind, Operand operand) {
    ASSIGN_OR_RETURN(uint32_t first, (this->*operand)());
    if (Peek().kind != op) return first;
    Node node;
    node.kind = kind;
    auto append = [&](uint32_t child) {
      Node& c = program_.nodes[child];
      if (c.kind == kind) {
        node.children.insert(node.children.end(), c.children.begin(), c.children.end());
      } else {
        node.children.push_back(child);
      }
    };
    append(first);
    while (Peek().kind == op) {
      Advance();
      ASSIGN_OR_RETURN(uint32_t next, (this->*operand)());
      append(next);
    }
    return Add(std::move(node));
  }

  Result<uint32_t> Or() { return Chain(TokenKind::kOr, NodeKind::kOr, &Parser::And); }
  Result<uint32_t> And() { return Chain(TokenKind::kAnd, NodeKind::kAnd, &Parser::Unary); }

  Result<uint32_t> Unary() {
    if (Peek().kind != TokenKind::kNot) return Primary();
    const Token& not_token = Advance();
    RETURN_IF_ERROR(Enter(not_token));
    ASSIGN_OR_RETURN(uint32_t child, Unary());
    --depth_;
    Node node;
    node.kind = NodeKind::kNot;
    node.children.push_back(child);
    return Add(std::move(node));
  }

  Status Enter(const Token& t) {
    if (++depth_ > kMaxFilterDepth) {
      return Error(t.begin, "filter nests deeper than " + std::to_string(kMaxFilterDepth) +
                                " levels of parentheses and 'not'");
    }
    return Status::Ok();
  }

  Result<uint32_t> Primary() {
    const Token& t = Peek();
    switch (t.kind) {
      case TokenKind::kLParen: {
        Advance();
        RETURN_IF_ERROR(Enter(t));
        ASSIGN_OR_RETURN(uint32_t inner, Or());
        --depth_;
        if (Peek().kind != TokenKind::kRParen) {
          return Error(Peek().begin, "expected ')'",
                       " to close the '(' at column " + std::to_string(ColumnAt(text_, t.begin)) +
                           ", found " + Describe(text_, Peek()));
        }
        Advance();
        return inner;
      }
      case TokenKind::kExists: return Exists();
      case TokenKind::kPath: return Condition();
      case TokenKind::kString: return In();
      case TokenKind::kNumber:
        return ErrorFound(t, "expected a condition",
                          "conditions start with an attribute path, like train/loss < 0.5");
      case TokenKind::kContains:
      case TokenKind::kIn:
      case TokenKind::kTrue:
      case TokenKind::kFalse:
      case TokenKind::kNull:
      case TokenKind::kDatetime:
        return ErrorFound(t, "expected a condition",
                          "backquote a path spelled like a keyword: `" + std::string(Source(t)) +
                              "`");
      default: return ErrorFound(t, "expected a condition");
    }
  }

  // exists ( path )
  Result<uint32_t> Exists() {
    Advance();
    if (Peek().kind != TokenKind::kLParen) return ErrorFound(Peek(), "expected '(' after 'exists'");
    Advance();
    if (Peek().kind != TokenKind::kPath) {
      return ErrorFound(Peek(), "expected an attribute path in exists(...)");
    }
    Node node;
    node.kind = NodeKind::kExists;
    node.path = Advance().text;
    if (Peek().kind != TokenKind::kRParen) {
      return ErrorFound(Peek(), "expected ')' after the path in exists(...)");
    }
    Advance();
    return Add(std::move(node));
  }

  // string in path: a synonym of `path contains string`.
  Result<uint32_t> In() {
    Node node;
    node.kind = NodeKind::kContains;
    node.literal.kind = Literal::Kind::kString;
    node.literal.s = Advance().text;
    if (Peek().kind != TokenKind::kIn) {
      return ErrorFound(Peek(), "expected 'in' after a string at the start of a condition");
    }
    Advance();
    if (Peek().kind != TokenKind::kPath) {
      return ErrorFound(Peek(), "expected an attribute path after 'in'");
    }
    node.path = Advance().text;
    return Add(std::move(node));
  }

  // path (= | != | < | <= | > | >=) value | path (~ | !~) string | path contains string
  Result<uint32_t> Condition() {
    const Token& path = Advance();
    Node node;
    node.path = path.text;
    // An aggregate of a series: min(val/loss) < 0.3.
    if (Peek().kind == TokenKind::kLParen && IsAggregateName(path.text)) {
      Advance();
      if (Peek().kind != TokenKind::kPath) {
        return ErrorFound(Peek(), "expected a series path in " + path.text + "(...)");
      }
      node.path = path.text + "(" + Advance().text + ")";
      if (Peek().kind != TokenKind::kRParen) {
        return ErrorFound(Peek(), "expected ')' after the path in " + path.text + "(...)");
      }
      Advance();
    }
    const Token& op = Advance();
    std::string after = "after '" + std::string(Source(op)) + "'";
    switch (op.kind) {
      case TokenKind::kEq: node.op = CompareOp::kEq; break;
      case TokenKind::kNe: node.op = CompareOp::kNe; break;
      case TokenKind::kLt: node.op = CompareOp::kLt; break;
      case TokenKind::kLe: node.op = CompareOp::kLe; break;
      case TokenKind::kGt: node.op = CompareOp::kGt; break;
      case TokenKind::kGe: node.op = CompareOp::kGe; break;
      case TokenKind::kMatch:
      case TokenKind::kNotMatch: {
        node.kind = NodeKind::kMatch;
        node.negated = op.kind == TokenKind::kNotMatch;
        if (Peek().kind != TokenKind::kString) {
          return ErrorFound(Peek(), "expected a regular expression in double quotes " + after);
        }
        const Token& pattern = Advance();
        RE2::Options options;
        options.set_log_errors(false);  // the error goes back to the user instead
        auto regex = std::make_unique<const RE2>(pattern.text, options);
        if (!regex->ok()) {
          return Error(pattern.begin, "invalid regular expression", ": " + regex->error());
        }
        node.literal.kind = Literal::Kind::kString;
        node.literal.s = pattern.text;
        node.regex = std::move(regex);
        return Add(std::move(node));
      }
      case TokenKind::kContains:
        node.kind = NodeKind::kContains;
        if (Peek().kind != TokenKind::kString) {
          return ErrorFound(Peek(), "expected a string in double quotes " + after);
        }
        node.literal.kind = Literal::Kind::kString;
        node.literal.s = Advance().text;
        return Add(std::move(node));
      default:
        return ErrorFound(op, "expected an operator (=, !=, <, <=, >, >=, ~, !~ or contains) "
                              "after '" + std::string(Source(path)) + "'");
    }
    node.kind = NodeKind::kCompare;
    ASSIGN_OR_RETURN(node.literal, ParseValue(after));
    return Add(std::move(node));
  }

  // number | true | false | string | datetime ( string )
  Result<Literal> ParseValue(const std::string& after) {
    const Token& t = Advance();
    Literal lit;
    switch (t.kind) {
      case TokenKind::kNumber:
        lit.kind = Literal::Kind::kNumber;
        lit.is_int = t.is_int;
        lit.i = t.i;
        lit.d = t.d;
        return lit;
      case TokenKind::kTrue:
      case TokenKind::kFalse:
        lit.kind = Literal::Kind::kBool;
        lit.i = t.kind == TokenKind::kTrue;
        return lit;
      case TokenKind::kString:
        lit.kind = Literal::Kind::kString;
        lit.s = t.text;
        return lit;
      case TokenKind::kDatetime: return ParseDatetimeCall();
      case TokenKind::kNull:
        return ErrorFound(t, "expected a value " + after,
                          "null is not supported; not exists(path) finds runs without path");
      case TokenKind::kPath:
        if (Source(t).front() != '`') {
          return ErrorFound(t, "expected a value " + after,
                            "write strings in double quotes, like \"" + t.text + "\"");
        }
        [[fallthrough]];
      default: return ErrorFound(t, "expected a value " + after);
    }
  }

  // After `datetime`: ( "ISO 8601" )
  Result<Literal> ParseDatetimeCall() {
    if (Peek().kind != TokenKind::kLParen) {
      return ErrorFound(Peek(), "expected '(' after 'datetime'");
    }
    Advance();
    if (Peek().kind != TokenKind::kString) {
      return ErrorFound(Peek(), "expected a string in double quotes in datetime(...)");
    }
    const Token& s = Advance();
    Result<int64_t> micros = ParseDatetime(s.text);
    if (!micros.ok()) {
      return Error(s.begin, "invalid datetime " + std::string(Source(s)),
                   ": " + micros.status().message() + " (ISO 8601, like 2026-01-02T03:04:05Z)");
    }
    if (Peek().kind != TokenKind::kRParen) {
      return ErrorFound(Peek(), "expected ')' after the string in datetime(...)");
    }
    Advance();
    Literal lit;
    lit.kind = Literal::Kind::kDatetime;
    lit.i = micros.value();
    return lit;
  }

  std::string_view text_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
  int depth_ = 0;
  Program program_;
  std::unordered_set<std::string> seen_paths_;
};

}  // namespace
}  // namespace internal

Result<Filter> Filter::Parse(std::string_view text) {
  if (text.size() > kMaxFilterBytes) {
    return Status::InvalidArgument("filter is " + std::to_string(text.size()) +
                                   " bytes; the limit is " + std::to_string(kMaxFilterBytes));
  }
  ASSIGN_OR_RETURN(std::vector<internal::Token> tokens, internal::Lex(text));
  if (tokens.size() == 1) return Filter();  // only kEnd: empty or whitespace
  internal::Parser parser(text, std::move(tokens));
  ASSIGN_OR_RETURN(std::shared_ptr<const internal::Program> program, parser.Run());
  Filter filter(std::move(program));
  // Printing costs about what lexing did; it keeps Parse(ToString()) total.
  if (size_t canonical = filter.ToString().size(); canonical > kMaxFilterBytes) {
    return Status::InvalidArgument("filter is " + std::to_string(canonical) +
                                   " bytes when written canonically; the limit is " +
                                   std::to_string(kMaxFilterBytes));
  }
  return filter;
}

}  // namespace sextant::query
