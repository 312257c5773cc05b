// Neptune NQL and sorting → Sextant: the text of each translation (which
// must parse as a Sextant filter), the error messages, and what translated
// filters match on a fake run. The NQL strings are those neptune-query
// 1.14.1 sends for its Filter and Attribute helpers.
#include "api/neptune/nql.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "model/types.h"
#include "query/filter.h"

namespace sextant::api::neptune {
namespace {

::testing::AssertionResult Contains(const std::string& text, std::string_view part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << text << "' does not contain '" << part << "'";
}

// The translation of `nql`, checked to parse as a Sextant filter.
std::string Tr(std::string_view nql) {
  auto r = TranslateFilter(nql);
  EXPECT_TRUE(r.ok()) << nql << ": " << r.status().ToString();
  if (!r.ok()) return "<error: " + r.status().message() + ">";
  auto parsed = query::Filter::Parse(r.value());
  EXPECT_TRUE(parsed.ok()) << nql << " -> " << r.value() << ": " << parsed.status().ToString();
  return r.value();
}

// The error message for `nql`, which must be InvalidArgument.
std::string Err(std::string_view nql) {
  auto r = TranslateFilter(nql);
  EXPECT_FALSE(r.ok()) << nql << " -> " << (r.ok() ? r.value() : "");
  if (r.ok()) return "<ok>";
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << r.status().ToString();
  return r.status().message();
}

// A run whose attributes are given by path.
class FakeRun : public query::AttributeLookup {
 public:
  explicit FakeRun(std::map<std::string, model::Value> attrs) : attrs_(std::move(attrs)) {}
  const model::Value* Find(std::string_view path) const override {
    auto it = attrs_.find(std::string(path));
    return it == attrs_.end() ? nullptr : &it->second;
  }

 private:
  std::map<std::string, model::Value> attrs_;
};

bool Matches(std::string_view nql, const FakeRun& run) {
  auto filter = query::Filter::Parse(Tr(nql));
  return filter.ok() && filter.value().Matches(run);
}

model::Value Series(double last) {
  model::Value v = model::Value::Float(last);
  v.type = model::AttrType::kFloatSeries;
  return v;
}

TEST(NqlTest, EmptyMatchesAll) {
  EXPECT_EQ(Tr(""), "");
  EXPECT_EQ(Tr(" \t\r\n "), "");
}

// Every form neptune-query 1.14.1 generates, as captured from the client.
TEST(NqlTest, ClientFilters) {
  struct Case {
    std::string nql, sextant;
  };
  const std::vector<Case> cases = {
      // Filter.name("^exp-(a|b)$"), list_experiments("^exp")
      {R"(((`sys/name`:string MATCHES "^exp-(a|b)$")))", R"(sys/name ~ "^exp-(a|b)$")"},
      // Filter.name("exp & !debug | base"): Neptune's extended regex
      {R"(((`sys/name`:string MATCHES "exp") AND (`sys/name`:string NOT MATCHES "debug")))"
       R"( OR ((`sys/name`:string MATCHES "base")))",
       R"(sys/name ~ "exp" and sys/name !~ "debug" or sys/name ~ "base")"},
      // Filter.name([...]), list_experiments([...]); escapes in the value
      {R"((`sys/name`:string == "exp-a") OR (`sys/name`:string == "exp \"q\\"))",
       R"(sys/name = "exp-a" or sys/name = "exp \"q\\")"},
      // runs.list_runs("^run-") and runs.list_runs(["run-a", "run-b"])
      {R"(((`sys/custom_run_id`:string MATCHES "^run-")))", R"(sys/id ~ "^run-")"},
      {R"((`sys/custom_run_id`:string == "run-a") OR (`sys/custom_run_id`:string == "run-b"))",
       R"(sys/id = "run-a" or sys/id = "run-b")"},
      // Filter.eq / ne / gt / ge / lt / le with inferred or given types
      {R"(`config/bs`:int == "64")", "config/bs = 64"},
      {R"(`config/lr`:float == "0.001")", "config/lr = 0.001"},
      {R"(`config/lr`:float != "1")", "config/lr != 1.0"},
      {R"(`config/flag`:bool == "True")", "config/flag = true"},
      {R"(`config/opt`:string == "adam")", R"(config/opt = "adam")"},
      {R"(`config/opt`:string != "sgd")", R"(config/opt != "sgd")"},
      {R"(`train/loss`:floatSeries > "0.5")", "train/loss > 0.5"},
      {R"(`config/bs`:float >= "1e-07")", "config/bs >= 1e-07"},
      {R"(`sys/creation_time`:datetime < "2026-01-02T03:04:05+00:00")",
       R"(sys/created_at < datetime("2026-01-02T03:04:05Z"))"},
      {R"(`sys/modification_time`:datetime <= "2026-01-02T00:00:00.250000+02:00")",
       R"(sys/updated_at <= datetime("2026-01-01T22:00:00.25Z"))"},
      // Filter.matches, contains_all, contains_none, exists
      {R"(((`sys/custom_run_id`:string MATCHES "^run-\\d+")))", R"(sys/id ~ "^run-\\d+")"},
      {R"((`sys/tags`:stringSet CONTAINS "a") AND (`sys/tags`:stringSet CONTAINS "b"))",
       R"(sys/tags contains "a" and sys/tags contains "b")"},
      {R"((`sys/tags`:stringSet NOT CONTAINS "x"))", R"(not sys/tags contains "x")"},
      {R"((`config/opt`:string CONTAINS "ad"))", R"(config/opt contains "ad")"},
      {R"(`eval/acc`:floatSeries EXISTS)", "exists(eval/acc)"},
      // (eq(a, 1) & eq(b, 2)) | ~exists(c), and another & on top
      {R"((((`a`:string == "1") AND (`b`:string == "2")) OR (NOT (`c`:string EXISTS))))"
       R"( AND (`sys/creation_time`:datetime < "2026-01-02T03:04:05+00:00"))",
       R"((a = "1" and b = "2" or not exists(c)))"
       R"( and sys/created_at < datetime("2026-01-02T03:04:05Z"))"},
      // every type with EXISTS, nested as `&` nests
      {"(((((`x`:histogramSeries EXISTS) AND (`y`:fileRefSeries EXISTS)) AND (`z`:fileRef "
       "EXISTS)) AND (`w`:stringSeries EXISTS)) AND (`v`:int EXISTS)) AND (`u`:bool EXISTS)",
       "exists(x) and exists(y) and exists(z) and exists(w) and exists(v) and exists(u)"},
      // internal _Attribute(aggregation="last")
      {R"(last(`train/loss`:floatSeries) < "0.01")", "train/loss < 0.01"},
      {R"(last(`train/loss`) < "0.01")", "train/loss < 0.01 or train/loss < \"0.01\""},
  };
  for (const Case& c : cases) EXPECT_EQ(Tr(c.nql), c.sextant) << c.nql;
}

TEST(NqlTest, KeywordsAnyCaseAndSpacing) {
  EXPECT_EQ(
      Tr(R"(not(`a`:int=="1")and`b`:string  matches "x"OR `c` : stringSet not   contains "y")"),
      R"(not a = 1 and b ~ "x" or not c contains "y")");
  EXPECT_EQ(Tr("`x`:float\n>=\t\"2\""), "x >= 2.0");
  EXPECT_EQ(Tr(R"(LAST ( `l`:floatSeries ) > "1")"), "l > 1.0");
  EXPECT_EQ(Tr(R"(`a` NOT EXISTS)"), "not exists(a)");
}

TEST(NqlTest, PrecedenceAndParentheses) {
  EXPECT_EQ(Tr(R"(`a`:int == "1" OR `b`:int == "2" AND `c`:int == "3")"),
            "a = 1 or b = 2 and c = 3");
  EXPECT_EQ(Tr(R"((`a`:int == "1" OR `b`:int == "2") AND `c`:int == "3")"),
            "(a = 1 or b = 2) and c = 3");
  EXPECT_EQ(Tr(R"(`a`:int == "1" AND (`b`:int == "2" OR `c`:int == "3"))"),
            "a = 1 and (b = 2 or c = 3)");
  EXPECT_EQ(Tr(R"(NOT (`a`:int == "1" AND `b`:int == "2"))"), "not (a = 1 and b = 2)");
  EXPECT_EQ(Tr(R"(NOT `a`:int == "1" AND `b`:int == "2")"), "not a = 1 and b = 2");
  // NOT NOT x is x.
  EXPECT_EQ(Tr(R"(NOT (NOT (`a` EXISTS)))"), "exists(a)");
  EXPECT_EQ(Tr(R"(NOT NOT NOT (`a` EXISTS))"), "not exists(a)");
  EXPECT_EQ(Tr(R"(((((`a` EXISTS)))))"), "exists(a)");
  // An untyped comparison is an `or`, bracketed where precedence needs it.
  EXPECT_EQ(Tr(R"(`a` == "1" AND NOT `b` == "2")"),
            R"((a = 1 or a = "1") and not (b = 2 or b = "2"))");
}

// neptune-query nests `f1 & f2 & ... & fn` n levels deep; it prints flat.
TEST(NqlTest, LongAndChainsPrintFlat) {
  std::string nql = "(`k0`:int == \"0\")";
  std::string expected = "k0 = 0";
  for (int i = 1; i < 300; ++i) {
    std::string k = "k" + std::to_string(i);
    nql = "(" + nql + ") AND (`" + k + "`:int == \"" + std::to_string(i) + "\")";
    expected += " and " + k + " = " + std::to_string(i);
  }
  EXPECT_EQ(Tr(nql), expected);
}

TEST(NqlTest, DeepAlternationIsRefusedPrecisely) {
  // (a OR (b AND (c OR (d AND ...)))) needs a pair of parentheses per level
  // in Sextant's text.
  std::string nql = "`x` EXISTS";
  for (int i = 0; i < 200; ++i)
    nql = "`x` EXISTS " + std::string(i % 2 ? "AND" : "OR") + " (" + nql + ")";
  EXPECT_TRUE(
      Contains(Err(nql), "nests parentheses and NOT 65 or more levels deep once translated"));
  // Exactly at Sextant's limit: each level is `not (`, two deep.
  auto nested = [](int levels, const std::string& inner) {
    std::string nql = inner;
    for (int i = 0; i < levels; ++i) nql = "NOT (`x` EXISTS AND " + nql + ")";
    return nql;
  };
  std::string at_limit = Tr(nested(32, "`x` EXISTS"));
  EXPECT_TRUE(at_limit.starts_with("not (exists(x) and not (exists(x) and ")) << at_limit;
  EXPECT_TRUE(Contains(Err(nested(32, R"(`t`:stringSet NOT CONTAINS "a")")),
                       "nests parentheses and NOT 65 or more levels deep"));
  EXPECT_TRUE(Contains(Err(nested(33, "`x` EXISTS")), "nests parentheses and NOT 65 or more"));
  // 64 levels of NOT around a comparison cancel out in pairs.
  std::string nots = std::string(64 * 5, ' ');
  for (int i = 0; i < 64; ++i) nots.replace(i * 5, 5, "NOT (");
  EXPECT_EQ(Tr(nots + "`a` EXISTS" + std::string(64, ')')), "exists(a)");
}

TEST(NqlTest, HostileNestingDoesNotRecurse) {
  std::string open(200'000, '(');
  EXPECT_TRUE(
      Contains(Err(open), "expected a condition, '(' or NOT at column 200001, found end of query"));
  EXPECT_TRUE(Contains(Err(open + "`a` EXISTS"), "the '(' at column 200000 is never closed"));
  std::string nots;
  for (int i = 0; i < 100'000; ++i) nots += "NOT ";
  EXPECT_EQ(Tr(nots + "`a` EXISTS"), "exists(a)");  // an even number
  std::string balanced = open + "`a` EXISTS" + std::string(200'000, ')');
  EXPECT_EQ(Tr(balanced), "exists(a)");
}

TEST(NqlTest, TooLong) {
  std::string nql = "(`sys/name`:string == \"e0\")";
  for (int i = 1; i < 1000; ++i) nql += " OR (`sys/name`:string == \"e" + std::to_string(i) + "\")";
  EXPECT_TRUE(Contains(Err(nql), "The NQL query is too long: in Sextant's filter language it is"));
  EXPECT_TRUE(Contains(Err(nql), "the limit is 10000"));
}

TEST(NqlTest, Values) {
  EXPECT_EQ(Tr(R"(`i`:int == "-12")"), "i = -12");
  EXPECT_EQ(Tr(R"(`i`:int == "99999999999999999999")"), "i = 1e+20");
  EXPECT_EQ(Tr(R"(`i`:int == "2.5")"), "i = 2.5");
  EXPECT_EQ(Tr(R"(`f`:float == "3")"), "f = 3.0");
  EXPECT_EQ(Tr(R"(`f`:float < "1e+300")"), "f < 1e+300");
  EXPECT_EQ(Tr(R"(`f`:float > "1e-400")"), "f > 0.0");
  EXPECT_EQ(Tr(R"(`f`:float > "-0")"), "f > -0.0");
  EXPECT_EQ(Tr(R"(`b`:bool != "false")"), "b != false");
  EXPECT_EQ(Tr(R"(`b`:bool == "1")"), "b = 1.0");
  EXPECT_EQ(Tr(R"(`s`:string == "")"), R"(s = "")");
  EXPECT_EQ(Tr("`s`:string == \"a\nb\tc\""), R"(s = "a\nb\tc")");
  EXPECT_EQ(Tr(R"(`s`:stringSeries >= "b")"), R"(s >= "b")");
  EXPECT_EQ(Tr(R"(`sys/state`:experimentState == "running")"), R"(sys/state = "running")");
  EXPECT_EQ(Tr(R"(`t`:datetime > "2026-01-02")"), R"(t > datetime("2026-01-02T00:00:00Z"))");
  EXPECT_EQ(Tr(R"(`t`:datetime > "2026-01-02T03:04:05.123456789-05:30")"),
            R"(t > datetime("2026-01-02T08:34:05.123456Z"))");
  // Untyped: numbers and True/False compare either way; other values as strings.
  EXPECT_EQ(Tr(R"(`x` > "5")"), R"(x > 5 or x > "5")");
  EXPECT_EQ(Tr(R"(`x` == "True")"), R"(x = true or x = "True")");
  EXPECT_EQ(Tr(R"(`x` == "inf")"), R"(x = "inf")");
  EXPECT_EQ(Tr(R"(`x` == "abc")"), R"(x = "abc")");
  // Names with characters a bare Sextant path cannot have are backquoted.
  EXPECT_EQ(Tr(R"(`eval/top-1 acc (%)`:float >= "75")"), "`eval/top-1 acc (%)` >= 75.0");
  EXPECT_EQ(Tr(R"(`and`:int == "1")"), "`and` = 1");
  EXPECT_EQ(Tr(R"(`a\b`:string == "x")"), R"(`a\\b` = "x")");
  EXPECT_EQ(Tr(R"(`zażółć`:string CONTAINS "ł")"), R"(`zażółć` contains "ł")");
}

TEST(NqlTest, SystemAttributes) {
  EXPECT_EQ(SextantPath("sys/id"), "sys/id");
  EXPECT_EQ(SextantPath("sys/custom_run_id"), "sys/id");
  EXPECT_EQ(SextantPath("sys/name"), "sys/name");
  EXPECT_EQ(SextantPath("sys/creation_time"), "sys/created_at");
  EXPECT_EQ(SextantPath("sys/modification_time"), "sys/updated_at");
  EXPECT_EQ(SextantPath("sys/ping_time"), "sys/updated_at");
  EXPECT_EQ(SextantPath("sys/experiment/name"), "sys/experiment");
  EXPECT_EQ(SextantPath("sys/tags"), "sys/tags");
  EXPECT_EQ(SextantPath("sys/group_tags"), "sys/group_tags");
  EXPECT_EQ(SextantPath("config/lr"), "config/lr");

  EXPECT_EQ(Tr(R"(`sys/trashed`:bool == "True")"), "sys/trashed = true");
  EXPECT_EQ(Tr(R"(`sys/trashed`:bool == "False")"), "not sys/trashed = true");
  EXPECT_EQ(Tr(R"(`sys/trashed`:bool != "False")"), "sys/trashed = true");
  EXPECT_EQ(Tr(R"(`sys/trashed` != "true")"), "not sys/trashed = true");
  EXPECT_EQ(Tr(R"(`sys/trashed`:bool EXISTS)"), "exists(sys/id)");
  EXPECT_EQ(Tr(R"(`sys/failed`:bool == "True")"), R"(sys/state = "failed")");
  EXPECT_EQ(Tr(R"(`sys/failed`:bool == "False")"), R"(not sys/state = "failed")");
  EXPECT_EQ(Tr(R"(`sys/experiment/name`:string == "e")"), R"(sys/experiment = "e")");
  EXPECT_EQ(Tr(R"(`sys/group_tags`:stringSet CONTAINS "g")"), R"(sys/group_tags contains "g")");
  EXPECT_TRUE(Contains(Err(R"(`sys/trashed`:bool > "False")"),
                       "> at column 20 cannot be applied to `sys/trashed`:bool: it is a flag"));
  EXPECT_TRUE(Contains(Err(R"(`sys/trashed`:bool == "maybe")"),
                       "expected True or False as the value of `sys/trashed`:bool at column 23"));
}

TEST(NqlTest, Semantics) {
  FakeRun run({{"sys/name", model::Value::String("sweep-12")},
               {"sys/tags", model::Value::StringSet({"a", "b"})},
               {"config/bs", model::Value::Int(64)},
               {"config/lr", model::Value::Float(0.001)},
               {"config/flag", model::Value::Bool(true)},
               {"train/loss", Series(0.25)},
               {"sys/created_at", model::Value::Datetime(1'767'225'600'000'000)}});  // 2026-01-01
  EXPECT_TRUE(Matches(R"(`sys/name`:string MATCHES "^sweep-\\d+$")", run));
  EXPECT_FALSE(Matches(R"(`sys/name`:string NOT MATCHES "sweep")", run));
  EXPECT_TRUE(Matches(
      R"((`sys/tags`:stringSet CONTAINS "a") AND (`sys/tags`:stringSet CONTAINS "b"))", run));
  EXPECT_FALSE(Matches(R"(`sys/tags`:stringSet NOT CONTAINS "a")", run));
  EXPECT_TRUE(Matches(R"(`sys/tags`:stringSet NOT CONTAINS "c")", run));
  EXPECT_TRUE(Matches(R"(`config/bs`:int == "64")", run));
  EXPECT_TRUE(Matches(R"(`config/bs` == "64")", run));  // untyped
  EXPECT_TRUE(Matches(R"(`config/lr`:float < "0.01")", run));
  EXPECT_TRUE(Matches(R"(`config/flag`:bool == "True")", run));
  EXPECT_TRUE(Matches(R"(last(`train/loss`:floatSeries) <= "0.25")", run));
  EXPECT_TRUE(Matches(R"(`sys/creation_time`:datetime < "2026-01-01T00:00:01+00:00")", run));
  EXPECT_TRUE(Matches(R"(`sys/creation_time`:datetime > "2026-01-01T01:00:00+02:00")", run));
  EXPECT_TRUE(Matches(R"(`sys/trashed`:bool == "False")", run));  // absent: not trashed
  EXPECT_FALSE(Matches(R"(`sys/trashed`:bool == "True")", run));
  EXPECT_FALSE(Matches(R"(`eval/acc`:floatSeries EXISTS)", run));
  EXPECT_TRUE(Matches(R"(NOT (`eval/acc`:floatSeries EXISTS))", run));
  EXPECT_FALSE(Matches(R"(`eval/acc`:floatSeries != "1")", run));  // missing: false
}

TEST(NqlTest, AggregationsSextantCannotExpress) {
  for (std::string agg : {"min", "max", "average", "variance"}) {
    std::string msg = Err(agg + R"((`train/loss`:floatSeries) < "0.01")");
    EXPECT_TRUE(Contains(msg, "Invalid NQL query: " + agg +
                                  "(`train/loss`:floatSeries) at column 1 cannot be translated: "
                                  "Sextant's filter language compares a series by its last value "
                                  "only and cannot express its min, max, average or variance"))
        << msg;
  }
  EXPECT_TRUE(Contains(Err(R"(last(`x`:float) < "1")"),
                       "last(...) at column 1 applies to series, not to `x`:float"));
  EXPECT_TRUE(
      Contains(Err(R"(median(`x`:floatSeries) < "1")"),
               "unknown function 'median' at column 1; the aggregations are last, min, max, "
               "average and variance"));
}

TEST(NqlTest, SyntaxErrors) {
  struct Case {
    std::string nql, message;
  };
  const std::vector<Case> cases = {
      {"`a`",
       "expected an operator (==, !=, >, >=, <, <=, MATCHES, NOT MATCHES, CONTAINS, NOT "
       "CONTAINS or EXISTS) at column 4, found end of query"},
      {"`a` = \"1\"",
       "expected an operator (==, !=, >, >=, <, <=, MATCHES, NOT MATCHES, CONTAINS, "
       "NOT CONTAINS or EXISTS) at column 5, found '='"},
      {"`a` == 1", "expected a value in double quotes after == at column 8, found '1'"},
      {"`a` NOT LIKE \"x\"",
       "expected MATCHES, CONTAINS or EXISTS after NOT at column 9, found 'LIKE'"},
      {"`a` MATCHES",
       "expected a value in double quotes after MATCHES at column 12, found end of query"},
      {"`a EXISTS", "the backquote at column 1 is never closed"},
      {"`` EXISTS", "empty attribute name `` at column 1"},
      {"`a`:str EXISTS",
       "unknown attribute type 'str' at column 5; the types are float, int, bool"},
      {"`a`: EXISTS", "unknown attribute type 'EXISTS' at column 6"},
      {"`a`:== \"1\"", "expected an attribute type after ':' at column 5, found '='"},
      {"`a` == \"x", "the string that starts at column 8 is never closed"},
      {"`a` == \"x\\", "the string that starts at column 8 is never closed"},
      {"`a` == \"x\\n\"",
       "invalid escape '\\n' at column 10 in the string that starts at column 8; "
       "only \\\\ and \\\" are escapes"},
      {"`é` == \"é\\é\"", "invalid escape '\\é' at column 10"},
      {"a == \"1\"", "expected a condition, '(' or NOT at column 1, found 'a'"},
      {"\"a\" == \"1\"", "expected a condition, '(' or NOT at column 1, found '\"'"},
      {"(`a` EXISTS", "the '(' at column 1 is never closed"},
      {"`a` EXISTS)", "')' at column 11 has no matching '('"},
      {"`a` EXISTS `b` EXISTS",
       "expected AND, OR, ')' or the end of the query at column 12, found '`'"},
      {"`a` EXISTS AND", "expected a condition, '(' or NOT at column 15, found end of query"},
      {"`a` EXISTS ANDNOT `b` EXISTS",
       "expected AND, OR, ')' or the end of the query at column 12, found 'ANDNOT'"},
      {"NOT", "expected a condition, '(' or NOT at column 4, found end of query"},
      {"()", "expected a condition, '(' or NOT at column 2, found ')'"},
      {"last(`a`:floatSeries < \"1\"", "expected ')' to close last( at column 22, found '<'"},
      {"last(a) < \"1\"",
       "expected an attribute name in backquotes after last( at column 6, found 'a'"},
      {"`a` == \"1\" && `b` EXISTS",
       "expected AND, OR, ')' or the end of the query at column 12, found '&'"},
  };
  for (const Case& c : cases) {
    std::string msg = Err(c.nql);
    EXPECT_TRUE(Contains(msg, "Invalid NQL query: ")) << c.nql;
    EXPECT_TRUE(Contains(msg, c.message)) << c.nql;
  }
  EXPECT_EQ(Err("`a` == \"\xff\""), "Invalid NQL query: it is not valid UTF-8");
}

TEST(NqlTest, TypeAndOperatorErrors) {
  struct Case {
    std::string nql, message;
  };
  const std::vector<Case> cases = {
      {R"(`a`:float == "abc")",
       "expected a number as the value of `a`:float at column 14, found \"abc\""},
      {R"(`a`:int == "1 ")", "expected a number as the value of `a`:int at column 12"},
      {R"(`a`:int == "+1")", "expected a number as the value of `a`:int"},
      {R"(`a`:bool == "yes")", "expected True or False as the value of `a`:bool"},
      {R"(`a`:float > "inf")",
       "the value \"inf\" of `a`:float at column 13 is not finite; Sextant's "
       "filter language has no literal for infinity or NaN"},
      {R"(`a`:float > "nan")", "is not finite"},
      {R"(`a`:float > "1e999")",
       "the value \"1e999\" of `a`:float at column 13 is beyond the range of a double"},
      {R"(`a`:datetime > "yesterday")",
       "the value \"yesterday\" of `a`:datetime at column 16 is not an ISO 8601 datetime: "},
      {R"(`a`:float MATCHES "x")",
       "MATCHES at column 11 cannot be applied to `a`:float: it applies to strings and string "
       "sets"},
      {R"(`a`:datetime NOT CONTAINS "x")",
       "NOT CONTAINS at column 14 cannot be applied to `a`:datetime"},
      {R"(`sys/tags`:stringSet == "a")",
       "== at column 22 cannot be applied to `sys/tags`:stringSet: a string set is tested with "
       "CONTAINS, NOT CONTAINS or MATCHES"},
      {R"(`f`:fileRef == "x")",
       "== at column 13 cannot be applied to `f`:fileRef: this type can only be tested with "
       "EXISTS"},
      {R"(`h`:histogramSeries MATCHES "x")", "this type can only be tested with EXISTS"},
      {R"q(`a`:string MATCHES "(?=x)")q",
       "the regular expression \"(?=x)\" at column 20 is not valid in Sextant (RE2 syntax): "},
      {R"(`a`:string MATCHES "(")", "missing ): ("},
  };
  for (const Case& c : cases) {
    std::string msg = Err(c.nql);
    EXPECT_TRUE(Contains(msg, c.message)) << c.nql;
  }
}

TEST(NqlTest, Sort) {
  auto key = [](std::string_view name, std::string_view type, std::string_view dir,
                std::string_view agg = "") {
    auto r = TranslateSort(name, type, dir, agg);
    EXPECT_TRUE(r.ok()) << name << ": " << r.status().ToString();
    return r.ok() ? r.value() : OrderKey{"<error>", false};
  };
  // The client's default: sys/creation_time (datetime), descending.
  EXPECT_EQ(key("sys/creation_time", "datetime", "descending"), (OrderKey{"sys/created_at", true}));
  EXPECT_EQ(key("config/lr", "float", "ascending"), (OrderKey{"config/lr", false}));
  EXPECT_EQ(key("train/loss", "floatSeries", "descending", "last"), (OrderKey{"train/loss", true}));
  EXPECT_EQ(key("train/loss", "floatSeries", "ASCENDING", "auto"), (OrderKey{"train/loss", false}));
  EXPECT_EQ(key("sys/custom_run_id", "string", ""), (OrderKey{"sys/id", true}));
  EXPECT_EQ(key("sys/modification_time", "", "descending"), (OrderKey{"sys/updated_at", true}));
  EXPECT_EQ(key("sys/name", "string", "ascending"), (OrderKey{"sys/name", false}));

  auto err = [](std::string_view name, std::string_view type, std::string_view dir,
                std::string_view agg) {
    auto r = TranslateSort(name, type, dir, agg);
    EXPECT_FALSE(r.ok()) << name;
    if (r.ok()) return std::string("<ok>");
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
    return r.status().message();
  };
  EXPECT_EQ(err("train/loss", "floatSeries", "descending", "variance"),
            "Invalid sorting: Sextant sorts a series by its last value only, so aggregationMode "
            "\"variance\" cannot be served (use \"last\" or \"auto\")");
  EXPECT_TRUE(
      Contains(err("a", "float", "descending", "median"), "unknown aggregationMode \"median\""));
  EXPECT_TRUE(Contains(err("a", "float", "up", ""),
                       "dir must be \"ascending\" or \"descending\", not \"up\""));
  EXPECT_TRUE(Contains(err("a", "float_series", "ascending", ""),
                       "unknown attribute type 'float_series' in sortBy.type"));
  EXPECT_EQ(err("", "float", "ascending", ""), "Invalid sorting: sortBy.name is empty");
}

}  // namespace
}  // namespace sextant::api::neptune
