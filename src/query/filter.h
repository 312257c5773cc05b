// Run filters: one small query language over run attributes, shared by the
// runs table, the web UI filter box and the Python SDK. The language is
// specified in docs/query.md; this header is its only public surface.
//
//   ASSIGN_OR_RETURN(Filter f, Filter::Parse(
//       R"(config/lr < 1e-3 and sys/tags contains "baseline")"));
//   for (const std::string& p : f.ReferencedPaths()) catalogue.Prefetch(p);
//   for (const Run& run : runs) if (f.Matches(run)) page.push_back(run);
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "model/types.h"

namespace sextant::query {

// Longer filters are rejected: a filter is typed by a person, and the bound
// keeps parse time and error messages small. It applies to the text given and
// to its canonical text (ToString), which can be longer ("!a=1" prints as
// "not a = 1", a control character as "\u0000"), so that every filter Parse
// accepts can be parsed again from its canonical text.
constexpr size_t kMaxFilterBytes = 10'000;
// Parentheses and `not` may nest this deep. The parser and evaluator recurse,
// so the bound is what keeps hostile input from overflowing the stack.
constexpr int kMaxFilterDepth = 64;

// What the evaluator asks for. Implemented by the runs catalogue.
class AttributeLookup {
 public:
  virtual ~AttributeLookup() = default;
  // nullptr when the run has no such attribute. Valid until the next call.
  // For series the Value holds the last logged value (see model::Value).
  virtual const model::Value* Find(std::string_view path) const = 0;
};

namespace internal {
struct Program;  // the parsed expression; see filter_ast.h
}  // namespace internal

// A parsed, immutable filter. Copies share the parsed expression, so copying
// is one reference-count increment. All methods are const and thread-safe.
class Filter {
 public:
  // The empty filter: matches every run.
  Filter() = default;

  // Parses `text`. Empty or whitespace-only text gives the match-all filter.
  // Errors are InvalidArgument with a message for the person who typed the
  // filter, naming the 1-based column (counted in Unicode characters), e.g.
  // "expected a value after '>' at column 13, found end of filter".
  static Result<Filter> Parse(std::string_view text);

  // True when `run` satisfies the filter. Does not allocate; calls
  // run.Find() at most once per condition and evaluates `and`/`or` lazily.
  bool Matches(const AttributeLookup& run) const;

  // Every attribute path the filter reads, each once, in order of first
  // appearance, so that the catalogue can prefetch those columns.
  std::vector<std::string> ReferencedPaths() const;

  // True for the empty filter, which the catalogue can skip evaluating.
  bool MatchesAll() const { return program_ == nullptr; }

  // Canonical text: lower-case keywords, single spaces, only the parentheses
  // that precedence needs, `in` written as `contains`, datetimes in UTC.
  // Parse(f.ToString()) gives a filter with the same ToString(). The empty
  // filter prints as "".
  std::string ToString() const;

 private:
  explicit Filter(std::shared_ptr<const internal::Program> program)
      : program_(std::move(program)) {}

  std::shared_ptr<const internal::Program> program_;  // null: match all
};

// Series aggregates, named where a path goes (filters, sorts, columns):
// "min(val/loss)", "max(…)", "mean(…)", "first(…)", "last(…)",
// "last_step(…)" over a float series' points. The text is the key the runs
// catalogue answers; in filter text the inner path may be backquoted.
enum class AggregateFn { kMin, kMax, kMean, kFirst, kLast, kLastStep };
struct AggregateRef {
  AggregateFn fn;
  std::string path;  // the series
};
// nullopt unless `text` is NAME(PATH) with a known NAME and a non-empty PATH.
std::optional<AggregateRef> ParseAggregate(std::string_view text);
bool IsAggregateName(std::string_view name);
std::string_view AggregateName(AggregateFn fn);

// Building filter text from parts, for front ends that translate another
// query language into this one: a path spelled so that it lexes back as
// itself (bare, or backquoted), a string literal, and the length of the
// number literal at text[pos...] (0 if none starts there).
std::string QuotePath(std::string_view path);
std::string QuoteString(std::string_view s);
size_t NumberLength(std::string_view text, size_t pos);

}  // namespace sextant::query
