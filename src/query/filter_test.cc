// Parsing: canonical forms, error messages with columns, limits and a
// fuzz-style test. Evaluation is in filter_eval_test.cc.
#include "query/filter.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace sextant::query {
namespace {

struct ParseCase {
  std::string text;
  std::string canonical;
};

TEST(FilterParseTest, CanonicalForms) {
  const std::vector<ParseCase> cases = {
      {"", ""},
      {" \t\r\n ", ""},
      {"train/loss < 0.5", "train/loss < 0.5"},
      {"train/loss<0.5", "train/loss < 0.5"},
      {"config/lr < 1e-3", "config/lr < 0.001"},
      {"x >= -2", "x >= -2"},
      {"x>-1.5E+3", "x > -1500.0"},
      {"x = 1.0", "x = 1.0"},
      {"x = .5", "x = 0.5"},
      {"x = 5.", "x = 5.0"},
      {"x = 1e300", "x = 1e+300"},
      {"x = 99999999999999999999", "x = 1e+20"},
      {"x = -9223372036854775808", "x = -9223372036854775808"},
      {"x == 3", "x = 3"},
      {"x != 3", "x != 3"},
      {"x <= 3", "x <= 3"},
      {"x = TRUE", "x = true"},
      {"x = False", "x = false"},
      {R"(sys/name = "a\"b\\c\n\t\r\/\u00e9\ud83d\ude00")",
       "sys/name = \"a\\\"b\\\\c\\n\\t\\r/é😀\""},
      {R"(s = "\u0001")", R"(s = "\u0001")"},
      {R"(sys/name ~ "^sweep-")", R"(sys/name ~ "^sweep-")"},
      {R"(sys/name !~ "x\\d+")", R"(sys/name !~ "x\\d+")"},
      {R"(sys/tags contains "baseline")", R"(sys/tags contains "baseline")"},
      {R"(sys/tags CONTAINS "baseline")", R"(sys/tags contains "baseline")"},
      {R"("baseline" in sys/tags)", R"(sys/tags contains "baseline")"},
      {"exists(eval/acc)", "exists(eval/acc)"},
      {"not exists( eval/acc )", "not exists(eval/acc)"},
      {"!Exists(eval/acc)", "not exists(eval/acc)"},
      {"a = 1 and b = 2 or c = 3", "a = 1 and b = 2 or c = 3"},
      {"a = 1 or b = 2 and c = 3", "a = 1 or b = 2 and c = 3"},
      {"a = 1 and (b = 2 or c = 3)", "a = 1 and (b = 2 or c = 3)"},
      {"(a = 1 and b = 2) and c = 3", "a = 1 and b = 2 and c = 3"},
      {"a = 1 or (b = 2 or c = 3)", "a = 1 or b = 2 or c = 3"},
      {"((a = 1))", "a = 1"},
      {"a = 1 && b = 2 || !c = 3", "a = 1 and b = 2 or not c = 3"},
      {"NOT (a = 1 Or b = 2)", "not (a = 1 or b = 2)"},
      {"not not a = 1", "not not a = 1"},
      {"not (not a = 1 and b = 2)", "not (not a = 1 and b = 2)"},
      {"`my metric/with space` > 1", "`my metric/with space` > 1"},
      {"`train/loss` < 1", "train/loss < 1"},
      {"`and` = 1", "`and` = 1"},
      {"`1e5` = 1", "`1e5` = 1"},
      {R"(`a\`b\\c` = 1)", R"(`a\`b\\c` = 1)"},
      {"`ünïcode` = 1", "`ünïcode` = 1"},
      {"2024-run/loss = 1", "2024-run/loss = 1"},
      {"a.b-c_d/E.5 = 1", "a.b-c_d/E.5 = 1"},
      {R"(t = datetime("2026-01-02T03:04:05Z"))", R"(t = datetime("2026-01-02T03:04:05Z"))"},
      {R"(t > datetime("2026-01-02T04:04:05.5+01:00"))",
       R"(t > datetime("2026-01-02T03:04:05.5Z"))"},
      {R"(t >= DateTime("2026-01-02"))", R"(t >= datetime("2026-01-02T00:00:00Z"))"},
      {R"(t < datetime("1969-12-31T23:59:59.999999Z"))",
       R"(t < datetime("1969-12-31T23:59:59.999999Z"))"},
  };
  for (const ParseCase& c : cases) {
    Result<Filter> f = Filter::Parse(c.text);
    ASSERT_TRUE(f.ok()) << c.text << ": " << f.status().ToString();
    EXPECT_EQ(f->ToString(), c.canonical) << c.text;
    EXPECT_EQ(f->MatchesAll(), c.canonical.empty()) << c.text;
    // The canonical form is a fixed point.
    Result<Filter> again = Filter::Parse(f->ToString());
    ASSERT_TRUE(again.ok()) << c.canonical << ": " << again.status().ToString();
    EXPECT_EQ(again->ToString(), c.canonical);
  }
}

struct ErrorCase {
  std::string text;
  std::string message;
};

TEST(FilterParseTest, ErrorsNameTheColumn) {
  const std::vector<ErrorCase> cases = {
      {"train/loss >", "expected a value after '>' at column 13, found end of filter"},
      {"train/loss > and", "expected a value after '>' at column 14, found 'and'"},
      {"sys/state = running",
       "expected a value after '=' at column 13, found 'running'; write strings in double "
       "quotes, like \"running\""},
      {"x = `y`", "expected a value after '=' at column 5, found '`y`'"},
      {"x = null",
       "expected a value after '=' at column 5, found 'null'; null is not supported; "
       "not exists(path) finds runs without path"},
      {"train/loss",
       "expected an operator (=, !=, <, <=, >, >=, ~, !~ or contains) after 'train/loss' at "
       "column 11, found end of filter"},
      {"sys/tags in \"a\"",
       "expected an operator (=, !=, <, <=, >, >=, ~, !~ or contains) after 'sys/tags' at "
       "column 10, found 'in'"},
      {"x = 1 y = 2", "expected 'and', 'or' or end of filter at column 7, found 'y'"},
      {"x = 1 and", "expected a condition at column 10, found end of filter"},
      {"(x = 1", "expected ')' at column 7 to close the '(' at column 1, found end of filter"},
      {"x = 1)", "unmatched ')' at column 6"},
      {"()", "expected a condition at column 2, found ')'"},
      {"and x = 1", "expected a condition at column 1, found 'and'"},
      {"0.5 > x",
       "expected a condition at column 1, found '0.5'; conditions start with an attribute "
       "path, like train/loss < 0.5"},
      {"True = 1",
       "expected a condition at column 1, found 'True'; backquote a path spelled like a "
       "keyword: `True`"},
      {"x = \"abc", "unterminated string starting at column 5"},
      {"x = \"ab\\", "unterminated string starting at column 5"},
      {R"(x = "a\qb")",
       R"(unknown escape in string at column 7; use \" \\ \/ \n \t \r or \uXXXX)"},
      {R"(x = "\u12")", R"(\u must be followed by four hex digits at column 6)"},
      {R"(x = "\ud800")", R"(unpaired surrogate in \u escape at column 6)"},
      {R"(x = "\udc00")", R"(unpaired surrogate in \u escape at column 6)"},
      {"`abc = 1", "unterminated backquoted path starting at column 1"},
      {"`` = 1", "empty attribute path at column 1"},
      {R"(`a\b` = 1)",
       R"(unknown escape in backquoted path at column 3; only \` and \\ are escapes)"},
      {"x # 1",
       "unexpected character '#' at column 3; backquote paths with other characters, like "
       "`my metric`"},
      {"x = 1 & y = 2", "unexpected character '&' at column 7; write 'and' or '&&'"},
      {"x = 1 | y = 2", "unexpected character '|' at column 7; write 'or' or '||'"},
      {"x = 'a'", "unexpected character ''' at column 5; strings use double quotes"},
      {"mé = 1",
       "unexpected character 'é' at column 2; backquote paths with other characters, like "
       "`my metric`"},
      // Columns count characters, not bytes: `é` is 3 characters, 4 bytes.
      {"`é` = 1 $", "unexpected character '$' at column 9; backquote paths with other "
                    "characters, like `my metric`"},
      {"x = \"\xff\"", "invalid UTF-8 at column 6"},
      {"x = 1e999", "number '1e999' is out of range at column 5"},
      {"x ~ 5", "expected a regular expression in double quotes after '~' at column 5, found '5'"},
      {"sys/tags contains baseline",
       "expected a string in double quotes after 'contains' at column 19, found 'baseline'"},
      {"\"a\" sys/tags",
       "expected 'in' after a string at the start of a condition at column 5, found "
       "'sys/tags'"},
      {"\"a\" in 5", "expected an attribute path after 'in' at column 8, found '5'"},
      {"exists eval/acc", "expected '(' after 'exists' at column 8, found 'eval/acc'"},
      {"exists()", "expected an attribute path in exists(...) at column 8, found ')'"},
      {"exists(a b)", "expected ')' after the path in exists(...) at column 10, found 'b'"},
      {"t > datetime", "expected '(' after 'datetime' at column 13, found end of filter"},
      {"t > datetime(2026)",
       "expected a string in double quotes in datetime(...) at column 14, found '2026'"},
      {"t > datetime(\"2026-01-02\"",
       "expected ')' after the string in datetime(...) at column 26, found end of filter"},
      {"t > datetime(\"2026-13-01\")",
       "invalid datetime \"2026-13-01\" at column 14: month must be 01 to 12 (ISO 8601, like "
       "2026-01-02T03:04:05Z)"},
      {"t = \"" + std::string(60, 'a') + "\" x",
       "expected 'and', 'or' or end of filter at column 68, found 'x'"},
      {"x = 1 or \"" + std::string(60, 'a') + "\"",
       "expected 'in' after a string at the start of a condition at column 72, found end of "
       "filter"},
      {"x = 1 and " + std::string(50, 'b'),
       "expected an operator (=, !=, <, <=, >, >=, ~, !~ or contains) after '" +
           std::string(50, 'b') + "' at column 61, found end of filter"},
      {"x = " + std::string(50, 'b'),
       "expected a value after '=' at column 5, found '" + std::string(40, 'b') +
           "...'; write strings in double quotes, like \"" + std::string(50, 'b') + "\""},
  };
  for (const ErrorCase& c : cases) {
    Result<Filter> f = Filter::Parse(c.text);
    ASSERT_FALSE(f.ok()) << c.text << " parsed as " << f->ToString();
    EXPECT_EQ(f.status().code(), Code::kInvalidArgument) << c.text;
    EXPECT_EQ(f.status().message(), c.message) << c.text;
  }
}

TEST(FilterParseTest, InvalidRegexIsAParseError) {
  Result<Filter> f = Filter::Parse(R"(sys/name ~ "sweep-(")");
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().message().rfind("invalid regular expression at column 12: ", 0), 0u)
      << f.status().message();
}

TEST(FilterParseTest, LengthLimit) {
  std::string text = "x = 1" + std::string(kMaxFilterBytes - 5, ' ');
  EXPECT_TRUE(Filter::Parse(text).ok());
  text += ' ';
  Result<Filter> f = Filter::Parse(text);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().message(), "filter is 10001 bytes; the limit is 10000");
}

// Found by filter_fuzz: a filter within the limit whose canonical text is
// longer than the limit (control characters print as \u0000, `&&` as `and`)
// was accepted, but its ToString() could not be parsed back.
TEST(FilterParseTest, LengthLimitCoversCanonicalText) {
  std::string text = "x ~ \"" + std::string(kMaxFilterBytes / 2, '\0') + "\"";
  Result<Filter> f = Filter::Parse(text);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().message(),
            "filter is 30006 bytes when written canonically; the limit is 10000");

  std::string chain = "a=1";
  while (chain.size() + 5 <= kMaxFilterBytes) chain += "&&a=1";
  EXPECT_FALSE(Filter::Parse(chain).ok());

  // Within the limit both ways: the canonical text parses to itself.
  std::string fits = "a=1";
  while (fits.size() * 2 + 10 < kMaxFilterBytes) fits += "&&a=1";
  Result<Filter> g = Filter::Parse(fits);
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  Result<Filter> again = Filter::Parse(g->ToString());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->ToString(), g->ToString());
}

TEST(FilterParseTest, DepthLimit) {
  auto nested = [](int depth) {
    return std::string(depth, '(') + "x = 1" + std::string(depth, ')');
  };
  EXPECT_TRUE(Filter::Parse(nested(kMaxFilterDepth)).ok());
  Result<Filter> f = Filter::Parse(nested(kMaxFilterDepth + 1));
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().message(),
            "filter nests deeper than 64 levels of parentheses and 'not' at column 65");

  std::string nots;
  for (int k = 0; k < kMaxFilterDepth; ++k) nots += "not ";
  EXPECT_TRUE(Filter::Parse(nots + "x = 1").ok());
  f = Filter::Parse("not " + nots + "x = 1");
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().message(),
            "filter nests deeper than 64 levels of parentheses and 'not' at column 257");

  // Far deeper input is rejected as quickly, without exhausting the stack.
  EXPECT_FALSE(Filter::Parse(std::string(kMaxFilterBytes, '(')).ok());
  EXPECT_FALSE(Filter::Parse(std::string(kMaxFilterBytes - 5, '!') + "x = 1").ok());
}

TEST(FilterParseTest, LongChainsAreFlatNotDeep) {
  std::string text = "x = 0";
  while (text.size() < kMaxFilterBytes - 20) text += " and x = 0 or x = 1";
  Result<Filter> f = Filter::Parse(text);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->ReferencedPaths(), std::vector<std::string>{"x"});
}

TEST(FilterParseTest, ReferencedPathsInOrderOfFirstUse) {
  Result<Filter> f = Filter::Parse(
      R"(config/lr < 1e-3 and ("b" in sys/tags or exists(`a b`)) and config/lr > 0)"
      R"( and not sys/name ~ "x")");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->ReferencedPaths(),
            (std::vector<std::string>{"config/lr", "sys/tags", "a b", "sys/name"}));
  EXPECT_TRUE(Filter().ReferencedPaths().empty());
}

// Answers every path, with a type chosen by the path's length, so that fuzzed
// filters reach every evaluation branch.
class EveryPathLookup : public AttributeLookup {
 public:
  EveryPathLookup() {
    values_[0] = model::Value::Float(1);
    values_[1] = model::Value::String("s");
    values_[2].type = model::AttrType::kStringSet;
    values_[2].set = {"s", "x"};
    values_[3] = model::Value::Datetime(0);
  }
  const model::Value* Find(std::string_view path) const override {
    return &values_[path.size() % 4];
  }

 private:
  model::Value values_[4];
};

// Random input never crashes the parser; what parses prints back to a fixed
// point and evaluates; what fails says where.
TEST(FilterParseTest, FuzzNeverCrashes) {
  EveryPathLookup run;
  int parsed = 0;
  std::mt19937 rng(20261122);
  const std::vector<std::string> pieces = {
      "x", "sys/tags", "`a b`", "(", ")", "and", "or", "not", "!", "&&", "||", "=", "!=", "<",
      "<=", ">", ">=", "~", "!~", "contains", "in", "exists", "datetime", "null", "true",
      "1", "-2.5e3", "\"s\"", "\"[\"", "\"2026-01-02\"", "\"\\u00e9\"", " ", "\"", "`", "\\",
  };
  const std::string alphabet = "()=!<>~&|\"`\\ -.e0123456789abcxyz/\xc3\xa9\xff\n";
  for (int iter = 0; iter < 50000; ++iter) {
    std::string text;
    int len = std::uniform_int_distribution<int>(0, 24)(rng);
    for (int k = 0; k < len; ++k) {
      switch (rng() % 3) {
        case 0: text += static_cast<char>(rng() % 256); break;
        case 1: text += alphabet[rng() % alphabet.size()]; break;
        default: text += pieces[rng() % pieces.size()] + " "; break;
      }
    }
    Result<Filter> f = Filter::Parse(text);
    if (!f.ok()) {
      EXPECT_NE(f.status().message().find("column"), std::string::npos) << text;
      continue;
    }
    ++parsed;
    f->Matches(run);
    std::string canonical = f->ToString();
    Result<Filter> again = Filter::Parse(canonical);
    ASSERT_TRUE(again.ok()) << text << " -> " << canonical << ": " << again.status().ToString();
    EXPECT_EQ(again->ToString(), canonical) << text;
    EXPECT_EQ(again->Matches(run), f->Matches(run)) << text;
  }
  EXPECT_GT(parsed, 100);  // the generator still reaches the evaluator
}

}  // namespace
}  // namespace sextant::query
