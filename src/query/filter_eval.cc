// Evaluation of a parsed filter against one run. This is the hot loop of the
// runs table (every filter over every run), so it allocates nothing: paths
// were resolved to strings and regular expressions compiled at parse time.
//
// Type rules (docs/query.md, "Types"): numbers, booleans and float series
// compare numerically with IEEE semantics; strings and string series
// byte-wise; datetimes with datetime literals. Any other pairing, and any
// attribute the run lacks, makes the condition false, for `!=` too.
#include <algorithm>
#include <string_view>

#include "query/filter.h"
#include "query/filter_ast.h"

namespace sextant::query {
namespace internal {
namespace {

using model::AttrType;

// One template for int64, double and string_view, so that double keeps IEEE
// semantics: with NaN on either side only `!=` is true.
template <typename T>
bool Holds(CompareOp op, const T& a, const T& b) {
  switch (op) {
    case CompareOp::kEq: return a == b;
    case CompareOp::kNe: return a != b;
    case CompareOp::kLt: return a < b;
    case CompareOp::kLe: return a <= b;
    case CompareOp::kGt: return a > b;
    case CompareOp::kGe: return a >= b;
  }
  return false;
}

bool IsText(AttrType t) { return t == AttrType::kString || t == AttrType::kStringSeries; }

bool Compare(const Node& node, const model::Value& v) {
  const Literal& lit = node.literal;
  switch (lit.kind) {
    case Literal::Kind::kNumber:
    case Literal::Kind::kBool: {
      // Booleans are the numbers 0 and 1 on both sides.
      bool lit_is_int = lit.kind == Literal::Kind::kBool || lit.is_int;
      double lit_d = lit_is_int ? static_cast<double>(lit.i) : lit.d;
      switch (v.type) {
        case AttrType::kInt:
        case AttrType::kBool:
          // Exact while both sides are integers; 2^53 + 1 must not equal 2^53.
          if (lit_is_int) return Holds(node.op, v.i, lit.i);
          return Holds(node.op, static_cast<double>(v.i), lit_d);
        case AttrType::kFloat:
        case AttrType::kFloatSeries: return Holds(node.op, v.f, lit_d);
        default: return false;
      }
    }
    case Literal::Kind::kString:
      if (!IsText(v.type)) return false;
      return Holds(node.op, std::string_view(v.s), std::string_view(lit.s));
    case Literal::Kind::kDatetime:
      if (v.type != AttrType::kDatetime) return false;
      return Holds(node.op, v.i, lit.i);
  }
  return false;
}

// `~` on a string set asks whether any element matches; `!~` whether none does.
bool Match(const Node& node, const model::Value& v) {
  if (IsText(v.type)) return RE2::PartialMatch(v.s, *node.regex) != node.negated;
  if (v.type != AttrType::kStringSet) return false;
  bool any = std::any_of(v.set.begin(), v.set.end(), [&](const std::string& s) {
    return RE2::PartialMatch(s, *node.regex);
  });
  return any != node.negated;
}

// Element of a string set, or substring of a string.
bool Contains(const Node& node, const model::Value& v) {
  if (v.type == AttrType::kStringSet) {
    // Linear: tag sets are small, and this does not rely on the catalogue
    // keeping `set` sorted.
    return std::find(v.set.begin(), v.set.end(), node.literal.s) != v.set.end();
  }
  if (IsText(v.type)) return v.s.find(node.literal.s) != std::string::npos;
  return false;
}

// Recursion depth is bounded by kMaxFilterDepth: `and`/`or` are n-ary.
bool Eval(const Program& program, uint32_t index, const AttributeLookup& run) {
  const Node& node = program.nodes[index];
  switch (node.kind) {
    case NodeKind::kAnd:
      for (uint32_t child : node.children) {
        if (!Eval(program, child, run)) return false;
      }
      return true;
    case NodeKind::kOr:
      for (uint32_t child : node.children) {
        if (Eval(program, child, run)) return true;
      }
      return false;
    case NodeKind::kNot: return !Eval(program, node.children[0], run);
    case NodeKind::kExists: return run.Find(node.path) != nullptr;
    case NodeKind::kCompare:
    case NodeKind::kMatch:
    case NodeKind::kContains: break;
  }
  const model::Value* v = run.Find(node.path);
  if (v == nullptr) return false;
  switch (node.kind) {
    case NodeKind::kCompare: return Compare(node, *v);
    case NodeKind::kMatch: return Match(node, *v);
    case NodeKind::kContains: return Contains(node, *v);
    default: return false;
  }
}

}  // namespace
}  // namespace internal

bool Filter::Matches(const AttributeLookup& run) const {
  if (program_ == nullptr) return true;
  return internal::Eval(*program_, program_->root, run);
}

std::vector<std::string> Filter::ReferencedPaths() const {
  if (program_ == nullptr) return {};
  return program_->paths;
}

}  // namespace sextant::query
