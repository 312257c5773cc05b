// Aggregate references ("min(val/loss)") in paths and in filter text.
#include <gtest/gtest.h>

#include "query/filter.h"

namespace sextant::query {
namespace {

TEST(AggregateTest, ParsesKnownNamesOnly) {
  auto a = ParseAggregate("min(val/loss)");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->fn, AggregateFn::kMin);
  EXPECT_EQ(a->path, "val/loss");
  EXPECT_EQ(ParseAggregate("last_step(a b)")->path, "a b");
  EXPECT_EQ(ParseAggregate("mean(x(y))")->path, "x(y)");
  for (const char* no : {"min()", "median(x)", "min(x", "minx)", "min", "val/loss", "(x)", "Min(x)"})
    EXPECT_FALSE(ParseAggregate(no)) << no;
  for (auto fn : {AggregateFn::kMin, AggregateFn::kMax, AggregateFn::kMean, AggregateFn::kFirst,
                  AggregateFn::kLast, AggregateFn::kLastStep}) {
    std::string text = std::string(AggregateName(fn)) + "(p)";
    EXPECT_EQ(ParseAggregate(text)->fn, fn) << text;
  }
}

TEST(AggregateTest, InFiltersCanonicalAndReferenced) {
  struct Case {
    const char* text;
    const char* canonical;
  };
  for (const Case& c : {Case{"min(val/loss) < 0.3", "min(val/loss) < 0.3"},
                        Case{"max( `my metric` )>=1 and last_step(train/loss) > 100",
                             "max(`my metric`) >= 1 and last_step(train/loss) > 100"},
                        Case{"`min(val/loss)` < 1", "min(val/loss) < 1"},
                        Case{"min < 1", "min < 1"}}) {  // a path named min is still a path
    auto f = Filter::Parse(c.text);
    ASSERT_TRUE(f.ok()) << c.text << ": " << f.status().ToString();
    EXPECT_EQ(f->ToString(), c.canonical);
    auto again = Filter::Parse(f->ToString());
    ASSERT_TRUE(again.ok()) << f->ToString();
    EXPECT_EQ(again->ToString(), c.canonical);
  }
  EXPECT_EQ(Filter::Parse("min(a) < 1 or mean(b) > 2")->ReferencedPaths(),
            (std::vector<std::string>{"min(a)", "mean(b)"}));
  EXPECT_EQ(Filter::Parse("min( < 1").status().message(),
            "expected a series path in min(...) at column 6, found '<'");
  EXPECT_FALSE(Filter::Parse("min(a < 1").ok());
  EXPECT_FALSE(Filter::Parse("min(a)").ok());
}

}  // namespace
}  // namespace sextant::query
