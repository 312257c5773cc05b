// Evaluation: every operator against every attribute type, NaN, missing
// attributes, regexes, tags, datetimes, laziness and concurrent use.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "query/filter.h"

namespace sextant::query {
namespace {

using model::AttrType;
using model::Value;

class MapLookup : public AttributeLookup {
 public:
  const Value* Find(std::string_view path) const override {
    ++finds_;
    auto it = values_.find(path);
    return it == values_.end() ? nullptr : &it->second;
  }
  MapLookup& Set(std::string path, Value v) {
    values_[std::move(path)] = std::move(v);
    return *this;
  }
  int finds() const { return finds_; }

 private:
  std::map<std::string, Value, std::less<>> values_;
  mutable int finds_ = 0;  // tests only; real lookups must be thread-safe
};

Value Typed(AttrType type, double f, int64_t i, std::string s) {
  Value v;
  v.type = type;
  v.f = f;
  v.i = i;
  v.s = std::move(s);
  return v;
}

Value Tags(std::vector<std::string> tags) {
  Value v;
  v.type = AttrType::kStringSet;
  v.set = std::move(tags);
  return v;
}

constexpr int64_t kJan2 = 1767323045'000000;  // 2026-01-02T03:04:05Z

MapLookup TestRun() {
  MapLookup run;
  run.Set("f", Value::Float(0.5))
      .Set("i", Value::Int(3))
      .Set("big", Value::Int((int64_t{1} << 53) + 1))
      .Set("b", Value::Bool(true))
      .Set("nan", Value::Float(std::numeric_limits<double>::quiet_NaN()))
      .Set("inf", Value::Float(std::numeric_limits<double>::infinity()))
      .Set("train/loss", Typed(AttrType::kFloatSeries, 0.25, 0, ""))
      .Set("sys/name", Value::String("sweep-12"))
      .Set("log", Typed(AttrType::kStringSeries, 0, 0, "epoch 3 done"))
      .Set("t", Value::Datetime(kJan2))
      .Set("sys/tags", Tags({"baseline", "gpu"}))
      .Set("empty_tags", Tags({}))
      .Set("hist", Typed(AttrType::kHistogramSeries, 0, 0, ""))
      .Set("model.pt", Typed(AttrType::kFile, 0, 0, "abc"))
      .Set("my metric/with space", Value::Float(2));
  return run;
}

struct EvalCase {
  std::string filter;
  bool matches;
};

TEST(FilterEvalTest, OperatorsAndTypes) {
  const std::vector<EvalCase> cases = {
      // Floats, ints, booleans and float series compare numerically.
      {"f = 0.5", true}, {"f != 0.5", false}, {"f < 1", true}, {"f <= 0.5", true},
      {"f > 0.5", false}, {"f >= 0.5", true}, {"f > -1e-3", true}, {"f = 1", false},
      {"i = 3", true}, {"i = 3.0", true}, {"i != 3", false}, {"i < 3.5", true},
      {"i <= 2", false}, {"i > 2.99", true}, {"i >= 4", false},
      {"big = 9007199254740993", true}, {"big > 9007199254740992", true},
      {"b = true", true}, {"b = 1", true}, {"b != false", true}, {"b > 0", true},
      {"b = false", false}, {"i = true", false}, {"f < true", true},
      {"train/loss < 0.5", true}, {"train/loss = 0.25", true}, {"train/loss > 0.25", false},
      {"inf > 1e308", true},
      // Strings and string series compare byte-wise.
      {R"(sys/name = "sweep-12")", true}, {R"(sys/name != "sweep-12")", false},
      {R"(sys/name < "sweep-2")", true}, {R"(sys/name >= "sweep")", true},
      {R"(sys/name > "t")", false}, {R"(log = "epoch 3 done")", true},
      // Datetimes compare with datetime literals.
      {R"(t = datetime("2026-01-02T03:04:05Z"))", true},
      {R"(t = datetime("2026-01-02T05:04:05+02:00"))", true},
      {R"(t > datetime("2026-01-02"))", true}, {R"(t < datetime("2026-01-02"))", false},
      {R"(t <= datetime("2026-01-02T03:04:05.000001Z"))", true},
      {R"(t != datetime("2026-01-02T03:04:05Z"))", false},
      // Incompatible types are false, for `!=` too.
      {R"(f = "0.5")", false}, {R"(f != "0.5")", false}, {"sys/name = 1", false},
      {"sys/name != 1", false}, {R"(t = "2026-01-02T03:04:05Z")", false},
      {"t > 0", false}, {"f < datetime(\"2030-01-01\")", false},
      {R"(sys/tags = "baseline")", false}, {"hist = 1", false}, {"hist != 1", false},
      {R"(model.pt = "abc")", false}, {"sys/tags != 1", false},
      // Regular expressions: search semantics, strings, string series, tags.
      {R"(sys/name ~ "^sweep-")", true}, {R"(sys/name ~ "eep")", true},
      {R"(sys/name ~ "^eep")", false}, {R"(sys/name !~ "^sweep-")", false},
      {R"(sys/name !~ "^run-")", true}, {R"(sys/name ~ "(?i)SWEEP-\\d+$")", true},
      {R"(log ~ "epoch [0-9]+")", true}, {R"(sys/tags ~ "^gp")", true},
      {R"(sys/tags ~ "^cpu")", false}, {R"(sys/tags !~ "^cpu")", true},
      {R"(sys/tags !~ "line$")", false}, {R"(empty_tags !~ "x")", true},
      {R"(f ~ "0")", false}, {R"(f !~ "0")", false},
      // Membership: element of a set, substring of a string.
      {R"(sys/tags contains "baseline")", true}, {R"(sys/tags contains "base")", false},
      {R"("gpu" in sys/tags)", true}, {R"("tpu" in sys/tags)", false},
      {R"(sys/name contains "ep-1")", true}, {R"(f contains "0")", false},
      {R"(empty_tags contains "")", false},
      // Existence and paths that need backquotes.
      {"exists(f)", true}, {"exists(hist)", true}, {"exists(eval/acc)", false},
      {"not exists(eval/acc)", true}, {"`my metric/with space` = 2", true},
      // Boolean structure.
      {"f = 0.5 and i = 3", true}, {"f = 0.5 and i = 4", false}, {"f = 1 or i = 3", true},
      {"f = 1 or i = 4", false}, {"not f = 1", true}, {"!(f = 0.5 && i = 3)", false},
      {"f = 1 or i = 3 and b = false", false}, {"(f = 1 or i = 3) and b = true", true},
      {"not not f = 0.5", true},
      // The examples of docs/query.md.
      {R"(i < 1e-3 and sys/tags contains "baseline")", false},
      {R"(f < 1 and sys/tags contains "baseline")", true},
      // The empty filter.
      {"", true}, {"   ", true},
  };
  MapLookup run = TestRun();
  for (const EvalCase& c : cases) {
    Result<Filter> f = Filter::Parse(c.filter);
    ASSERT_TRUE(f.ok()) << c.filter << ": " << f.status().ToString();
    EXPECT_EQ(f->Matches(run), c.matches) << c.filter;
  }
}

// IEEE 754: NaN is unordered, so every comparison with it is false except
// `!=`, which is true.
TEST(FilterEvalTest, NanFollowsIeee) {
  MapLookup run = TestRun();
  const std::vector<EvalCase> cases = {
      {"nan = 0", false}, {"nan < 0", false}, {"nan <= 0", false}, {"nan > 0", false},
      {"nan >= 0", false}, {"nan != 0", true}, {"nan = true", false}, {"nan != 1.5", true},
      {"not nan >= 0 and not nan < 0", true}, {"exists(nan)", true},
  };
  for (const EvalCase& c : cases) {
    Result<Filter> f = Filter::Parse(c.filter);
    ASSERT_TRUE(f.ok()) << c.filter;
    EXPECT_EQ(f->Matches(run), c.matches) << c.filter;
  }
}

// A condition on an attribute the run lacks is false, `!=` included; `not`
// is plain negation, so `not x = 1` matches runs without x.
TEST(FilterEvalTest, MissingAttributes) {
  MapLookup run = TestRun();
  const std::vector<EvalCase> cases = {
      {"eval/acc = 1", false},      {"eval/acc != 1", false},
      {"eval/acc < 1", false},      {R"(eval/acc ~ "")", false},
      {R"(eval/acc !~ "x")", false}, {R"(eval/acc contains "x")", false},
      {"not eval/acc = 1", true},   {"eval/acc = 1 or f = 0.5", true},
  };
  for (const EvalCase& c : cases) {
    Result<Filter> f = Filter::Parse(c.filter);
    ASSERT_TRUE(f.ok()) << c.filter;
    EXPECT_EQ(f->Matches(run), c.matches) << c.filter;
  }
  MapLookup empty;
  EXPECT_FALSE(Filter::Parse("x != 1")->Matches(empty));
  EXPECT_TRUE(Filter().Matches(empty));
}

// Every example in docs/query.md parses, and means what the page says.
TEST(FilterEvalTest, DocumentedExamples) {
  const std::vector<EvalCase> cases = {
      {R"(config/lr < 1e-3 and sys/tags contains "baseline")", false},
      {"train/loss < 0.5", true},
      {R"(sys/name ~ "^sweep-")", true},
      {"not exists(eval/acc)", true},
      {R"(sys/state = "failed" or (train/loss > 10 and sys/created_at > datetime("2026-01-02")))",
       false},
      {R"("baseline" in sys/tags && !(sys/name ~ "debug"))", true},
      {"`eval/top-1 acc (%)` >= 75", false},
      {R"(sys/name ~ "^sweep-\\d+$")", true},
      {R"(sys/tags ~ "^lr-" or sys/tags !~ "debug")", true},
      {"exists(nan) and not nan <= 0 and not nan > 0", true},
      {"exists(f) and not f <= 0 and not f > 0", false},
  };
  MapLookup run = TestRun();
  for (const EvalCase& c : cases) {
    Result<Filter> f = Filter::Parse(c.filter);
    ASSERT_TRUE(f.ok()) << c.filter << ": " << f.status().ToString();
    EXPECT_EQ(f->Matches(run), c.matches) << c.filter;
  }
}

TEST(FilterEvalTest, AndOrStopEarly) {
  MapLookup run = TestRun();
  Result<Filter> f = Filter::Parse("f = 1 and i = 3 and b = true");
  ASSERT_TRUE(f.ok());
  EXPECT_FALSE(f->Matches(run));
  EXPECT_EQ(run.finds(), 1);
  MapLookup run2 = TestRun();
  f = Filter::Parse("f = 0.5 or i = 3 or b = true");
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f->Matches(run2));
  EXPECT_EQ(run2.finds(), 1);
}

TEST(FilterEvalTest, CopiesShareAndAreThreadSafe) {
  Result<Filter> parsed = Filter::Parse(R"(sys/name ~ "^sweep-\\d+$" and f < 1)");
  ASSERT_TRUE(parsed.ok());
  Filter copy = parsed.value();
  Filter moved = std::move(parsed).value();
  EXPECT_EQ(copy.ToString(), moved.ToString());

  std::vector<std::thread> threads;
  std::vector<int> hits(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      MapLookup run = TestRun();  // the lookup is per thread, the filter shared
      for (int k = 0; k < 2000; ++k) hits[t] += copy.Matches(run);
    });
  }
  for (std::thread& t : threads) t.join();
  for (int h : hits) EXPECT_EQ(h, 2000);
}

}  // namespace
}  // namespace sextant::query
