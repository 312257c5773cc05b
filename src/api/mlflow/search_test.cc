// MLflow search filters and order_by → Sextant: the text of each translation
// (which must parse as a Sextant filter), MLflow's error messages, and what
// translated filters match on a fake run.
#include "api/mlflow/search.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "model/types.h"
#include "query/filter.h"

namespace sextant::api::mlflow {
namespace {

::testing::AssertionResult Contains(const std::string& text, std::string_view part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << text << "' does not contain '" << part << "'";
}

constexpr SearchTarget kRuns = SearchTarget::kRuns;
constexpr SearchTarget kExperiments = SearchTarget::kExperiments;
constexpr SearchTarget kModels = SearchTarget::kLoggedModels;

// The translation of `filter`, checked to parse as a Sextant filter.
std::string Tr(std::string_view filter, SearchTarget target = kRuns) {
  auto r = TranslateFilter(filter, target);
  EXPECT_TRUE(r.ok()) << filter << ": " << r.status().ToString();
  if (!r.ok()) return "<error: " + r.status().message() + ">";
  auto parsed = query::Filter::Parse(r.value());
  EXPECT_TRUE(parsed.ok()) << filter << " -> " << r.value() << ": " << parsed.status().ToString();
  return r.value();
}

// The error message for `filter`, which must be InvalidArgument.
std::string Err(std::string_view filter, SearchTarget target = kRuns) {
  auto r = TranslateFilter(filter, target);
  EXPECT_FALSE(r.ok()) << filter << " -> " << (r.ok() ? r.value() : "");
  if (r.ok()) return "<ok>";
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << r.status().ToString();
  return r.status().message();
}

struct Case {
  std::string mlflow;
  std::string sextant;
};

void ExpectTranslations(const std::vector<Case>& cases, SearchTarget target) {
  for (const Case& c : cases) EXPECT_EQ(Tr(c.mlflow, target), c.sextant) << c.mlflow;
}

TEST(MlflowSearchTest, EmptyFilterMatchesAll) {
  EXPECT_EQ(Tr(""), "");
  EXPECT_EQ(Tr(" \t\n "), "");
  EXPECT_EQ(Tr("AND"), "");  // MLflow skips stray ANDs
}

TEST(MlflowSearchTest, Metrics) {
  ExpectTranslations(
      {
          {"metrics.loss > 0.5", "loss > 0.5"},
          {"metrics.loss >= 0.5", "loss >= 0.5"},
          {"metrics.loss = 1", "loss = 1.0"},
          {"metrics.loss != 1", "loss != 1.0"},
          {"metrics.loss < -2", "loss < -2.0"},
          {"metrics.loss <= 1e5", "loss <= 1e+05"},
          {"metric.acc=.5", "acc = 0.5"},
          {"metrics.acc>=1.", "acc >= 1.0"},
          {"metrics.acc < -1E-3", "acc < -0.001"},
          {"metrics.acc < 1e300", "acc < 1e+300"},
          {"metrics.acc > 1e-400", "acc > 0.0"},
          {"metrics.acc > 12345678901234567890123", "acc > 1.2345678901234568e+22"},
      },
      kRuns);
}

TEST(MlflowSearchTest, QuotedKeysBecomeQuotedPaths) {
  ExpectTranslations(
      {
          {"metrics.`train loss` < 1", "`train loss` < 1.0"},
          {"metrics.\"train loss\" < 1", "`train loss` < 1.0"},
          {"metrics.'train loss' < 1", "`train loss` < 1.0"},
          {"`metrics`.a < 1", "a < 1.0"},
          {"metrics.`eval/top-1` > 0", "eval/top-1 > 0.0"},
          {"metrics.a.b_c > 0", "a.b_c > 0.0"},
          {"metrics.`a.b` > 0", "a.b > 0.0"},
          {"metrics.`1e5` > 0", "`1e5` > 0.0"},
          {"metrics.`12` > 0", "`12` > 0.0"},
          {"metrics.`and` > 0", "`and` > 0.0"},
          {"metrics.`In` > 0", "`In` > 0.0"},
          {"metrics.`a``b` > 0", "`a\\`\\`b` > 0.0"},  // verbatim, as MLflow
          {"metrics.\"a\\b\" > 0", "`a\\\\b` > 0.0"},
          {"metrics.`100%` > 0", "`100%` > 0.0"},
          {"metrics.ключ > 0", "`ключ` > 0.0"},
          {"params.`learning rate` = '0.1'", "`params/learning rate` = \"0.1\""},
      },
      kRuns);
}

TEST(MlflowSearchTest, ParamsAndTags) {
  ExpectTranslations(
      {
          {"params.lr = '0.01'", "params/lr = \"0.01\""},
          {"params.lr = \"0.01\"", "params/lr = \"0.01\""},
          {"param.lr != '0.01'", "params/lr != \"0.01\""},
          {"parameter.lr = 'a'", "params/lr = \"a\""},
          {"parameters.lr = 'a'", "params/lr = \"a\""},
          {"params.opt LIKE 'ad%'", "params/opt ~ \"(?s)^ad.*$\""},
          {"params.opt like 'ad_m'", "params/opt ~ \"(?s)^ad.m$\""},
          {"params.opt ILIKE '%AD%'", "params/opt ~ \"(?is)^.*AD.*$\""},
          {"params.opt IS NULL", "not exists(params/opt)"},
          {"params.opt is not null", "exists(params/opt)"},
          {"tags.team = 'vision'", "tags/team = \"vision\""},
          {"tag.team != 'vision'", "tags/team != \"vision\""},
          {"tags.mlflow.user = 'ann'", "tags/mlflow.user = \"ann\""},
          {"tags.mlflow.runName = 'r1'", "sys/name = \"r1\""},
          {"tags.`mlflow.runName` LIKE 'r%'", "sys/name ~ \"(?s)^r.*$\""},
          {"tags.team IS NOT NULL", "exists(tags/team)"},
          {"tags.`my tag` IS NULL", "not exists(`tags/my tag`)"},
      },
      kRuns);
}

TEST(MlflowSearchTest, ValuesAreVerbatimAndEscapedForSextant) {
  ExpectTranslations(
      {
          {"params.p = 'say \"hi\"'", R"(params/p = "say \"hi\"")"},
          {"params.p = 'C:\\dir\\file'", R"(params/p = "C:\\dir\\file")"},
          {"params.p = 'C:\\dir\\'", R"(params/p = "C:\\dir\\")"},  // closes at the last quote
          {"params.p = \"it's\"", R"(params/p = "it's")"},
          {"params.p = 'it''s'", R"(params/p = "it''s")"},  // MLflow keeps both quotes
          {"params.p = 'x\\'y'", R"(params/p = "x\\'y")"},
          {"params.p = 'two\nlines\tand\x01'", R"(params/p = "two\nlines\tand\u0001")"},
          {"params.p = ''", R"(params/p = "")"},
          {"params.p = 'é😀'", "params/p = \"é😀\""},
          {"params.p = 'a' AND params.q = 'AND b'", R"(params/p = "a" and params/q = "AND b")"},
      },
      kRuns);
}

TEST(MlflowSearchTest, LikeEscapesRegexMetacharacters) {
  ExpectTranslations(
      {
          {"params.v LIKE 'v1.0(+)%'", R"(params/v ~ "(?s)^v1\\.0\\(\\+\\).*$")"},
          {"params.v LIKE 'a\\b%'", R"(params/v ~ "(?s)^a\\\\b.*$")"},
          {"params.v LIKE '[x]{2}|^$*?'", R"(params/v ~ "(?s)^\\[x\\]\\{2\\}\\|\\^\\$\\*\\?$")"},
          {"params.v LIKE '%%a%%'", R"(params/v ~ "(?s)^.*a.*$")"},
          {"params.v LIKE 'say \"x\"'", R"(params/v ~ "(?s)^say \"x\"$")"},
          {"params.v LIKE 'tab\there'", R"(params/v ~ "(?s)^tab\\x09here$")"},
      },
      kRuns);
}

TEST(MlflowSearchTest, RunAttributes) {
  ExpectTranslations(
      {
          {"attributes.run_id = 'abc'", "sys/id = \"abc\""},
          {"attribute.run_id = 'abc'", "sys/id = \"abc\""},
          {"attr.run_id != 'abc'", "sys/id != \"abc\""},
          {"run.run_id = 'abc'", "sys/id = \"abc\""},
          {"run_id LIKE 'ab%'", "sys/id ~ \"(?s)^ab.*$\""},
          {"run_id IN ('a', \"b\")", "(sys/id = \"a\" or sys/id = \"b\")"},
          {"run_id in ('a',)", "sys/id = \"a\""},
          {"run_id NOT IN ('a','b')", "sys/id != \"a\" and sys/id != \"b\""},
          {"run_name = 'r1'", "sys/name = \"r1\""},
          {"attributes.run_name ILIKE '%Sweep%'", "sys/name ~ \"(?is)^.*Sweep.*$\""},
          {"\"run name\" = 'r1'", "sys/name = \"r1\""},
          {"`Run Name` = 'r1'", "sys/name = \"r1\""},
          {"`Run name` != 'r1'", "sys/name != \"r1\""},
          {"user_id = 'ann'", "tags/mlflow.user = \"ann\""},
          {"attributes.user_id LIKE 'a%'", "tags/mlflow.user ~ \"(?s)^a.*$\""},
      },
      kRuns);
}

TEST(MlflowSearchTest, RunStatus) {
  const std::string running = R"((sys/state = "running" or sys/state = "stale"))";
  ExpectTranslations(
      {
          {"status = 'RUNNING'", running},
          {"attributes.status = 'SCHEDULED'", running},
          {"status = 'FINISHED'", R"(sys/state = "finished")"},
          {"status = 'FAILED'", R"(sys/state = "failed")"},
          {"status = 'KILLED'", R"(sys/state = "failed")"},
          {"status != 'RUNNING'", R"((sys/state = "finished" or sys/state = "failed"))"},
          {"status != 'FAILED'", R"((sys/state = "running" or sys/state = "stale" or )"
                                 R"(sys/state = "finished"))"},
          {"status = 'running'", "not exists(sys/state)"},  // MLflow is case-sensitive
          {"status != 'nope'", "exists(sys/state)"},
          {"status LIKE 'F%'", R"((sys/state = "finished" or sys/state = "failed"))"},
          {"status LIKE 'run%'", "not exists(sys/state)"},
          {"status ILIKE 'run%'", running},
          {"status LIKE '%'", "exists(sys/state)"},
          {"status LIKE '_AILED'", R"(sys/state = "failed")"},
          {"status LIKE 'KILLED_'", "not exists(sys/state)"},
      },
      kRuns);
}

TEST(MlflowSearchTest, TimesCompareWholeMilliseconds) {
  // 1767225600000 ms is 2026-01-01T00:00:00Z. Sextant keeps µs; the run
  // reports floor(µs / 1000) ms, so `> t` starts at the next millisecond.
  const std::string at = R"(datetime("2026-01-01T00:00:00.000000Z"))";
  const std::string next = R"(datetime("2026-01-01T00:00:00.001000Z"))";
  ExpectTranslations(
      {
          {"start_time > 1767225600000", "sys/created_at >= " + next},
          {"start_time >= 1767225600000", "sys/created_at >= " + at},
          {"start_time < 1767225600000", "sys/created_at < " + at},
          {"start_time <= 1767225600000", "sys/created_at < " + next},
          {"start_time = 1767225600000",
           "sys/created_at >= " + at + " and sys/created_at < " + next},
          {"start_time != 1767225600000",
           "(sys/created_at < " + at + " or sys/created_at >= " + next + ")"},
          {"attributes.created >= 1767225600000", "sys/created_at >= " + at},
          {"Created >= 1767225600000", "sys/created_at >= " + at},
          {"end_time < 1767225600000",
           R"((sys/state = "finished" or sys/state = "failed") and sys/updated_at < )" + at},
          {"start_time > 1.5", R"(sys/created_at >= datetime("1970-01-01T00:00:00.002000Z"))"},
          {"start_time >= 1.5", R"(sys/created_at >= datetime("1970-01-01T00:00:00.002000Z"))"},
          {"start_time < 1.5", R"(sys/created_at < datetime("1970-01-01T00:00:00.002000Z"))"},
          {"start_time <= 1.5", R"(sys/created_at < datetime("1970-01-01T00:00:00.002000Z"))"},
          {"start_time > -1", R"(sys/created_at >= datetime("1970-01-01T00:00:00.000000Z"))"},
          {"start_time < -1000", R"(sys/created_at < datetime("1969-12-31T23:59:59.000000Z"))"},
          {"start_time > 1e20", R"(sys/created_at > datetime("9999-12-31T23:59:59.999999Z"))"},
          {"start_time <= 1e999", R"(sys/created_at <= datetime("9999-12-31T23:59:59.999999Z"))"},
          {"start_time < -1e20", R"(sys/created_at < datetime("0000-01-01T00:00:00.000000Z"))"},
          {"start_time >= -1e20", R"(sys/created_at >= datetime("0000-01-01T00:00:00.000000Z"))"},
      },
      kRuns);
}

TEST(MlflowSearchTest, ClausesJoinWithAnd) {
  ExpectTranslations(
      {
          {"metrics.a > 1 and params.b = 'x' AND tags.c IS NULL",
           R"(a > 1.0 and params/b = "x" and not exists(tags/c))"},
          {"metrics.a>=1 AND params.b='x'AND tags.c='y'",
           R"(a >= 1.0 and params/b = "x" and tags/c = "y")"},
          {"AND metrics.a = 1 AND AND metrics.b = 2 and", "a = 1.0 and b = 2.0"},
          {"status = 'RUNNING' AND metrics.a > 0",
           R"((sys/state = "running" or sys/state = "stale") and a > 0.0)"},
      },
      kRuns);
}

TEST(MlflowSearchTest, MlflowErrorMessages) {
  EXPECT_EQ(Err("metrics.a > 1 OR metrics.b < 2"), "Invalid clause(s) in filter string: 'OR'");
  EXPECT_EQ(Err("metrics.a > 1 or metrics.b < 2"), "Invalid clause(s) in filter string: 'or'");
  EXPECT_EQ(Err("OR metrics.a > 1"), "Invalid clause(s) in filter string: 'OR'");
  EXPECT_EQ(Err("metrics.a > 1 metrics.b < 2"),
            "Invalid clause(s) in filter string: 'metrics.b'");
  EXPECT_EQ(Err("(metrics.a = 1)"), "Invalid clause(s) in filter string: '(metrics.a'");
  EXPECT_EQ(Err("metrics.a = 1;"), "Invalid clause(s) in filter string: ';'");
  EXPECT_EQ(Err("x.a = 1"),
            "Invalid entity type 'x'. Valid values are ['metric', 'parameter', 'tag', "
            "'attribute', 'dataset']");
  EXPECT_EQ(Err("foo = 1"),
            "Invalid attribute key 'foo' specified. Valid keys are '{'run_id', 'run_name', "
            "'run name', 'Run name', 'Run Name', 'status', 'user_id', 'start_time', 'created', "
            "'Created', 'end_time', 'artifact_uri'}'");
  EXPECT_EQ(Err("metrics.a = 'x'"), "Expected numeric value type for metric. Found 'x'");
  EXPECT_EQ(Err("metrics.a = x"), "Expected numeric value type for metric. Found x");
  EXPECT_EQ(Err("params.a = x"),
            "Parameter value is either not quoted or unidentified quote types used for string "
            "value x. Use either single or double quotes.");
  EXPECT_EQ(Err("params.a = `x`"),
            "Parameter value is either not quoted or unidentified quote types used for string "
            "value `x`. Use either single or double quotes.");
  EXPECT_EQ(Err("params.a = 1"),
            "Expected a quoted string value for parameter (e.g. 'my-value'). Got value 1");
  EXPECT_EQ(Err("tags.a = 1"),
            "Expected a quoted string value for tag (e.g. 'my-value'). Got value 1");
  EXPECT_EQ(Err("params.a > 'x'"),
            "Invalid comparator '>' not one of '{'!=', '=', 'LIKE', 'ILIKE', 'IS NULL', "
            "'IS NOT NULL'}'");
  EXPECT_EQ(Err("metrics.a LIKE 1"),
            "Invalid comparator 'LIKE' not one of '{'>', '>=', '!=', '=', '<', '<='}'");
  EXPECT_EQ(Err("metrics.a == 1"),
            "Invalid comparator '==' not one of '{'>', '>=', '!=', '=', '<', '<='}'");
  EXPECT_EQ(Err("metrics.a <> 1"),
            "Invalid comparator '<>' not one of '{'>', '>=', '!=', '=', '<', '<='}'");
  EXPECT_TRUE(Contains(Err("params.a NOT LIKE 'x'"), "Invalid comparator 'NOT LIKE'"));
  EXPECT_TRUE(Contains(Err("params.a RLIKE 'x'"), "Invalid comparator 'RLIKE'"));
  EXPECT_EQ(Err("run_name > 'x'"),
            "Invalid comparator '>' not one of '{'!=', '=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'}'");
  EXPECT_EQ(Err("start_time LIKE 5"),
            "Invalid comparator 'LIKE' not one of '{'>', '>=', '!=', '=', '<', '<='}'");
  EXPECT_EQ(Err("metrics.a IS NULL"),
            "IS NULL / IS NOT NULL is only supported for tags and params, not for 'metric' 'a'");
  EXPECT_EQ(Err("status IS NOT NULL"),
            "IS NULL / IS NOT NULL is only supported for tags and params, not for 'attribute' "
            "'status'");
  EXPECT_EQ(Err("run_name IN ('a')"),
            "Only ['run_id'] attributes support comparison with a list of quoted string values.");
  EXPECT_EQ(Err("run_id IN ()"),
            "While parsing a list in the query, expected a non-empty list of string values, but "
            "got empty list");
  EXPECT_EQ(Err("run_id IN (1, 2)"),
            "While parsing a list in the query, expected string value, punctuation, or "
            "whitespace, but got different type in list: (1, 2)");
  EXPECT_EQ(Err("run_id IN ('a' 'b')"),
            "While parsing a list in the query, expected a non-empty list of string values, but "
            "got ill-formed list.");
  EXPECT_EQ(Err("run_id IN ('a'"),
            "While parsing a list in the query, expected a non-empty list of string values, but "
            "got ill-formed list.");
  EXPECT_EQ(Err("start_time > '5'"),
            "Expected numeric value type for numeric attribute: start_time. Found '5'");
  EXPECT_EQ(Err("run_id = 5"), "Expected a quoted string value for attributes. Got value 5");
  EXPECT_EQ(Err("datasets.foo = 'x'"),
            "Invalid dataset key 'foo' specified. Valid keys are '{'name', 'digest', "
            "'context'}'");
  EXPECT_EQ(Err("metrics.a"), "Invalid clause(s) in filter string: 'metrics.a'");
  EXPECT_EQ(Err("metrics.a > "), "Invalid clause(s) in filter string: 'metrics.a', '>'");
  EXPECT_EQ(Err("metrics.a IN (1)"), "Expected numeric value type for metric. Found (1)");
  EXPECT_EQ(Err("start_time IN (5)"),
            "Expected numeric value type for numeric attribute: start_time. Found (5)");
  EXPECT_EQ(Err("params.a IN ('x')"),
            "Expected a quoted string value for parameter (e.g. 'my-value'). Got value ('x')");
  EXPECT_EQ(Err("metrics.a foo 1"), "Invalid comparison clause. Expected comparison found 'foo'");
  EXPECT_EQ(Err("metrics.a = +1"), "Invalid comparison clause. Expected value token found '+1'");
}

TEST(MlflowSearchTest, SextantErrors) {
  EXPECT_EQ(Err("artifact_uri = 'x'"),
            "Searching runs by 'artifact_uri' is not supported by Sextant");
  EXPECT_EQ(Err("attributes.artifact_uri LIKE 's3://%'"),
            "Searching runs by 'artifact_uri' is not supported by Sextant");
  EXPECT_EQ(Err("datasets.name = 'x'"),
            "Searching by datasets ('datasets.name') is not supported by Sextant yet");
  EXPECT_EQ(Err("dataset.digest IN ('a')"),
            "Searching by datasets ('dataset.digest') is not supported by Sextant yet");
  EXPECT_TRUE(Contains(Err("params.a = 'open"), "is never closed"));
  EXPECT_TRUE(Contains(Err("metrics.`open > 1"), "is never closed"));
  EXPECT_TRUE(Contains(Err("run_id IN 'a'"), "IN needs a parenthesised list"));
  EXPECT_TRUE(Contains(Err("run_id = ('a')"), "can only be compared with IN or NOT IN"));
  EXPECT_TRUE(Contains(Err("metrics.a = 1e999"), "beyond the range of a double"));
  EXPECT_TRUE(Contains(Err("metrics.`` = 1"), "keys cannot be empty"));
  EXPECT_TRUE(Contains(Err("params. = 'x'"), "keys cannot be empty"));
  EXPECT_TRUE(Contains(Err("params.a = '\xff'"), "not valid UTF-8"));
}

TEST(MlflowSearchTest, TranslationsOverTheLengthLimitAreRefused) {
  auto in_list = [](int n) {
    std::string f = "run_id IN (";
    for (int i = 0; i < n; ++i) f += "'0123456789abcdef',";
    return f + ")";
  };
  std::string fits = Tr(in_list(300));
  EXPECT_LE(fits.size(), query::kMaxFilterBytes);
  EXPECT_TRUE(Contains(Err(in_list(1000)), "The filter is too long"));
  std::string many;
  for (int i = 0; i < 2000; ++i) many += "metrics.a > 1 AND ";
  EXPECT_TRUE(Contains(Err(many), "The filter is too long"));
}

TEST(MlflowSearchTest, Experiments) {
  ExpectTranslations(
      {
          {"name = 'exp'", R"(sys/name = "exp")"},
          {"attribute.name LIKE 'exp%'", R"(sys/name ~ "(?s)^exp.*$")"},
          {"attributes.name != 'exp'", R"(sys/name != "exp")"},
          {"creation_time > 5", R"(sys/created_at >= datetime("1970-01-01T00:00:00.006000Z"))"},
          {"last_update_time <= 5", R"(sys/updated_at < datetime("1970-01-01T00:00:00.006000Z"))"},
          {"tags.team = 'a' AND tags.x IS NULL", R"(tags/team = "a" and not exists(tags/x))"},
          {"tag.team ILIKE 'A%'", R"(tags/team ~ "(?is)^A.*$")"},
          {"tags.mlflow.runName = 'x'", R"(tags/mlflow.runName = "x")"},
          {"experiment_id IN ('1', '2')", R"((sys/id = "1" or sys/id = "2"))"},
      },
      kExperiments);
  EXPECT_EQ(Err("name = 'x' OR name = 'y'", kExperiments),
            "Invalid clause(s) in filter string: OR");
  EXPECT_EQ(Err("Or name = 'y'", kExperiments), "Invalid clause(s) in filter string: Or");
  EXPECT_EQ(Err("metrics.a > 1", kExperiments),
            "Invalid entity type 'metrics'. Valid entity types are ('attribute', 'tag', 'tags')");
  EXPECT_EQ(Err("name IS NULL", kExperiments),
            "IS NULL / IS NOT NULL is only supported for tags, not for attribute 'name'");
  EXPECT_EQ(Err("name IN ('x')", kExperiments),
            "Only ['experiment_id'] attributes support comparison with a list of quoted string "
            "values.");
  EXPECT_EQ(Err("foo = 'x'", kExperiments),
            "Invalid attribute key 'foo' specified. Valid keys are '{'name', 'experiment_id', "
            "'creation_time', 'last_update_time'}'");
  EXPECT_TRUE(Contains(Err("name > 'x'", kExperiments), "Invalid comparator '>'"));
}

TEST(MlflowSearchTest, LoggedModels) {
  const std::string one_second = R"(datetime("1970-01-01T00:00:01.000000Z"))";
  ExpectTranslations(
      {
          {"name = 'm'", R"(sys/name = "m")"},
          {"model_id IN ('a', 'b')", R"((sys/id = "a" or sys/id = "b"))"},
          {"status = 'READY'", R"(model/status = "READY")"},
          {"status NOT IN ('FAILED')", R"(model/status != "FAILED")"},
          {"source_run_id = 'r'", R"(model/source_run_id = "r")"},
          {"creation_timestamp >= 1000", "sys/created_at >= " + one_second},
          {"creation_time >= 1000", "sys/created_at >= " + one_second},
          {"last_updated_timestamp < 1000", "sys/updated_at < " + one_second},
          {"last_updated_time < 1000", "sys/updated_at < " + one_second},
          {"metrics.acc >= 0.9", "acc >= 0.9"},
          {"params.p = 'x'", R"(params/p = "x")"},
          {"tags.t LIKE 'a%'", R"(tags/t ~ "(?s)^a.*$")"},
          {"tags.mlflow.runName = 'x'", R"(tags/mlflow.runName = "x")"},
      },
      kModels);
  EXPECT_EQ(Err("params.p IS NULL", kModels),
            "Invalid comparator 'IS NULL' not one of '{'!=', '=', 'LIKE', 'ILIKE'}'");
  EXPECT_EQ(Err("model_type = 'x'", kModels),
            "Searching logged models by 'model_type' is not supported by Sextant");
  EXPECT_TRUE(Contains(Err("run_id = 'x'", kModels), "Invalid attribute key 'run_id'"));
}

// ------------------------------------------------------------------ order_by

std::vector<OrderKey> Order(std::vector<std::string> entries, SearchTarget target = kRuns) {
  auto r = TranslateOrderBy(entries, target);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? r.value() : std::vector<OrderKey>{};
}

std::string OrderErr(std::string entry, SearchTarget target = kRuns) {
  auto r = TranslateOrderBy({entry}, target);
  EXPECT_FALSE(r.ok()) << entry;
  if (r.ok()) return "<ok>";
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  return r.status().message();
}

TEST(MlflowOrderByTest, Runs) {
  EXPECT_EQ(Order({}), std::vector<OrderKey>{});
  EXPECT_EQ(Order({"metrics.loss DESC", "params.`lr` ASC", "attributes.start_time",
                   "start_time desc", "tags.x", "tags.mlflow.runName", "metrics.`my key` DESC",
                   "metrics.\"a b\" asc", "run_id", "run_name", "user_id", "status", "end_time",
                   "created", "Created", "metrics.a  DESC"}),
            (std::vector<OrderKey>{{"loss", true},
                                   {"params/lr", false},
                                   {"sys/created_at", false},
                                   {"sys/created_at", true},
                                   {"tags/x", false},
                                   {"sys/name", false},
                                   {"my key", true},
                                   {"a b", false},
                                   {"sys/id", false},
                                   {"sys/name", false},
                                   {"tags/mlflow.user", false},
                                   {"sys/state", false},
                                   {"sys/updated_at", false},
                                   {"sys/created_at", false},
                                   {"sys/created_at", false},
                                   {"a", true}}));
  EXPECT_EQ(OrderErr("metrics.a foo"), "Invalid ordering key in order_by clause 'metrics.a foo'.");
  EXPECT_EQ(OrderErr("Run name"), "Invalid ordering key in order_by clause 'Run name'.");
  EXPECT_EQ(OrderErr("metrics.a DESC x"),
            "Invalid order_by clause 'metrics.a DESC x'. Could not be parsed.");
  EXPECT_EQ(OrderErr(""), "Invalid order_by clause ''. Could not be parsed.");
  EXPECT_EQ(OrderErr("metrics.a, metrics.b"),
            "Invalid order_by clause 'metrics.a, metrics.b'. Could not be parsed.");
  EXPECT_EQ(OrderErr("metrics.a foo bar"),
            "Invalid order_by clause 'metrics.a foo bar'. Could not be parsed.");
  EXPECT_EQ(OrderErr("foo"),
            "Invalid attribute key 'foo' specified. Valid keys are '{'run_id', 'run_name', "
            "'status', 'user_id', 'start_time', 'created', 'Created', 'end_time', "
            "'artifact_uri'}'");
  EXPECT_EQ(OrderErr("x.y"),
            "Invalid entity type 'x'. Valid values are ['metric', 'parameter', 'tag', "
            "'attribute', 'dataset']");
  EXPECT_EQ(OrderErr("artifact_uri DESC"),
            "Ordering runs by 'artifact_uri' is not supported by Sextant");
  EXPECT_EQ(OrderErr("datasets.name"), "Invalid order_by entity type 'dataset'");
}

TEST(MlflowOrderByTest, Experiments) {
  EXPECT_EQ(Order({"name", "attribute.name DESC", "creation_time desc", "last_update_time"},
                  kExperiments),
            (std::vector<OrderKey>{{"sys/name", false},
                                   {"sys/name", true},
                                   {"sys/created_at", true},
                                   {"sys/updated_at", false}}));
  EXPECT_EQ(OrderErr("tags.a", kExperiments), "Invalid order_by entity: tag");
  // Experiment ids are the projects' (numeric) ids; the front end orders them as numbers.
  EXPECT_EQ(Order({"experiment_id DESC"}, kExperiments), (std::vector<OrderKey>{{"sys/id", true}}));
  EXPECT_TRUE(Contains(OrderErr("metrics.a", kExperiments), "Invalid entity type 'metrics'"));
}

TEST(MlflowOrderByTest, LoggedModels) {
  EXPECT_EQ(Order({"metrics.my metric DESC", "metrics.acc", "name", "creation_time ASC",
                   "creation_timestamp desc", "model_id", "last_updated_timestamp DESC",
                   "status", "source_run_id"},
                  kModels),
            (std::vector<OrderKey>{{"my metric", true},
                                   {"acc", false},
                                   {"sys/name", false},
                                   {"sys/created_at", false},
                                   {"sys/created_at", true},
                                   {"sys/id", false},
                                   {"sys/updated_at", true},
                                   {"model/status", false},
                                   {"model/source_run_id", false}}));
  EXPECT_EQ(OrderErr("params.x", kModels),
            "Invalid order by field name: params, only `metrics.<name>` is allowed.");
  EXPECT_EQ(OrderErr("foo DESC", kModels), "Invalid order by field name: foo.");
  EXPECT_EQ(OrderErr("model_type", kModels),
            "Ordering logged models by 'model_type' is not supported by Sextant");
}

// ------------------------------------------------- translated filters, applied

class FakeRun : public query::AttributeLookup {
 public:
  FakeRun& Set(std::string path, model::Value v) {
    values_[std::move(path)] = std::move(v);
    return *this;
  }
  FakeRun& Str(std::string path, std::string s) {
    return Set(std::move(path), model::Value::String(std::move(s)));
  }
  const model::Value* Find(std::string_view path) const override {
    auto it = values_.find(std::string(path));
    return it == values_.end() ? nullptr : &it->second;
  }

 private:
  std::map<std::string, model::Value> values_;
};

bool Matches(std::string_view mlflow, const FakeRun& run, SearchTarget target = kRuns) {
  auto text = TranslateFilter(mlflow, target);
  EXPECT_TRUE(text.ok()) << mlflow << ": " << text.status().ToString();
  if (!text.ok()) return false;
  auto filter = query::Filter::Parse(text.value());
  EXPECT_TRUE(filter.ok()) << text.value() << ": " << filter.status().ToString();
  return filter.ok() && filter.value().Matches(run);
}

FakeRun WithParam(std::string value) {
  FakeRun run;
  run.Str("params/p", std::move(value));
  return run;
}

TEST(MlflowSearchSemanticsTest, LikeIsAWholeStringMatch) {
  EXPECT_TRUE(Matches("params.p LIKE 'a%c'", WithParam("abc")));
  EXPECT_TRUE(Matches("params.p LIKE 'a%c'", WithParam("ac")));
  EXPECT_TRUE(Matches("params.p LIKE 'a%c'", WithParam("a\nb\nc")));
  EXPECT_FALSE(Matches("params.p LIKE 'a%c'", WithParam("abcd")));
  EXPECT_FALSE(Matches("params.p LIKE 'a%c'", WithParam("xabc")));
  EXPECT_TRUE(Matches("params.p LIKE 'a_c'", WithParam("abc")));
  EXPECT_TRUE(Matches("params.p LIKE 'a_c'", WithParam("aéc")));  // one character, two bytes
  EXPECT_FALSE(Matches("params.p LIKE 'a_c'", WithParam("ac")));
  EXPECT_FALSE(Matches("params.p LIKE 'a_c'", WithParam("abbc")));
  EXPECT_FALSE(Matches("params.p LIKE 'a%c'", FakeRun()));
}

TEST(MlflowSearchSemanticsTest, LikeMetacharactersAreLiteral) {
  EXPECT_TRUE(Matches("params.p LIKE 'v1.0(+)%'", WithParam("v1.0(+)beta")));
  EXPECT_FALSE(Matches("params.p LIKE 'v1.0(+)%'", WithParam("v1x0(+)beta")));
  EXPECT_FALSE(Matches("params.p LIKE 'v1.0(+)%'", WithParam("v1.0()beta")));
  EXPECT_TRUE(Matches("params.p LIKE 'C:\\dir\\%'", WithParam("C:\\dir\\x")));
  EXPECT_FALSE(Matches("params.p LIKE 'C:\\dir\\%'", WithParam("C:dirx")));
  EXPECT_TRUE(Matches("params.p LIKE '^$|[a]*'", WithParam("^$|[a]*")));
  EXPECT_FALSE(Matches("params.p LIKE '^$|[a]*'", WithParam("")));
}

TEST(MlflowSearchSemanticsTest, IlikeIgnoresCase) {
  EXPECT_TRUE(Matches("params.p ILIKE 'AB%'", WithParam("abc")));
  EXPECT_TRUE(Matches("params.p ILIKE 'ab%'", WithParam("ABC")));
  EXPECT_TRUE(Matches("params.p ILIKE 'é%'", WithParam("Ébc")));
  EXPECT_FALSE(Matches("params.p LIKE 'AB%'", WithParam("abc")));
  EXPECT_FALSE(Matches("params.p ILIKE 'AB%'", WithParam("xabc")));
}

TEST(MlflowSearchSemanticsTest, EqualityAndNullTests) {
  EXPECT_TRUE(Matches("params.p = 'say \"hi\" \\ ok'", WithParam("say \"hi\" \\ ok")));
  EXPECT_FALSE(Matches("params.p = 'abc'", WithParam("ABC")));
  EXPECT_TRUE(Matches("params.p != 'abc'", WithParam("ABC")));
  EXPECT_FALSE(Matches("params.p != 'abc'", FakeRun()));  // MLflow: only runs with the key
  EXPECT_TRUE(Matches("params.p IS NULL", FakeRun()));
  EXPECT_FALSE(Matches("params.p IS NULL", WithParam("")));
  EXPECT_TRUE(Matches("params.p IS NOT NULL", WithParam("")));
}

TEST(MlflowSearchSemanticsTest, InLists) {
  FakeRun a, c;
  a.Str("sys/id", "a");
  c.Str("sys/id", "c");
  EXPECT_TRUE(Matches("run_id IN ('a', 'b')", a));
  EXPECT_FALSE(Matches("run_id IN ('a', 'b')", c));
  EXPECT_FALSE(Matches("run_id NOT IN ('a', 'b')", a));
  EXPECT_TRUE(Matches("run_id NOT IN ('a', 'b')", c));
  EXPECT_TRUE(Matches("run_id IN ('a', 'b') AND run_id != 'b'", a));
}

TEST(MlflowSearchSemanticsTest, MetricsStatusAndTimes) {
  FakeRun run;
  model::Value loss = model::Value::Float(0.25);
  loss.type = model::AttrType::kFloatSeries;
  run.Set("loss", loss)
      .Str("sys/state", "stale")
      .Set("sys/created_at", model::Value::Datetime(1'767'225'600'000'999));  // ms ...000, +999 µs
  EXPECT_TRUE(Matches("metrics.loss < 0.5", run));
  EXPECT_FALSE(Matches("metrics.loss > 0.5", run));
  EXPECT_FALSE(Matches("metrics.acc != 0.5", run));
  EXPECT_TRUE(Matches("status = 'RUNNING'", run));
  EXPECT_FALSE(Matches("status = 'FINISHED'", run));
  EXPECT_TRUE(Matches("status != 'FINISHED'", run));
  EXPECT_TRUE(Matches("status ILIKE 'run%'", run));
  EXPECT_TRUE(Matches("start_time = 1767225600000", run));
  EXPECT_TRUE(Matches("start_time <= 1767225600000", run));
  EXPECT_TRUE(Matches("start_time >= 1767225600000", run));
  EXPECT_FALSE(Matches("start_time > 1767225600000", run));
  EXPECT_FALSE(Matches("start_time < 1767225600000", run));
  EXPECT_FALSE(Matches("start_time != 1767225600000", run));
  EXPECT_TRUE(Matches("start_time < 1767225600001", run));
  EXPECT_TRUE(Matches("start_time > 1767225599999", run));
  EXPECT_FALSE(Matches("end_time > 0", run));  // no sys/updated_at in this fake
  run.Set("sys/updated_at", model::Value::Datetime(1'767'225'600'000'999));
  EXPECT_FALSE(Matches("end_time > 0", run));  // still running: MLflow's end_time is null
  run.Str("sys/state", "finished");
  EXPECT_TRUE(Matches("end_time > 0", run));
  EXPECT_TRUE(Matches("end_time = 1767225600000", run));
}

}  // namespace
}  // namespace sextant::api::mlflow
