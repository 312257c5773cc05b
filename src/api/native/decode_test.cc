// The native decoder only translates JSON into core operations and reports
// JSON type errors; limits and rules are the model's and the core's. These
// tests pin both halves: what the decoder refuses itself (types, inexact
// steps, which cannot be translated) and what it passes on for validation.
#include "api/native/decode.h"

#include <gtest/gtest.h>

namespace sextant::api {
namespace {

class DecodeTest : public ::testing::Test {
 protected:
  simdjson::dom::element Parse(std::string json) {
    body_ = std::move(json);
    ReserveForJson(&body_, body_.size());
    auto r = ParseJsonObject(parser_, body_);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.value();
  }
  Result<model::LogBatch> Log(std::string json) { return DecodeLogBatch(Parse(std::move(json)), 7); }
  Status LogAndValidate(std::string json) {
    auto b = Log(std::move(json));
    if (!b.ok()) return b.status();
    return model::ValidateLogBatch(&b.value(), model::Limits(), std::nullopt);
  }

  simdjson::dom::parser parser_;
  std::string body_;
};

TEST_F(DecodeTest, InexactNumberStepsAreRefusedLikeStrings) {
  for (const char* steps : {"[1e-7, 2e-7]", "[\"0.0000001\", \"0.0000002\"]", "[0.1234567, 1]"}) {
    auto b = Log(std::string(R"({"series":[{"path":"m","steps":)") + steps +
                 R"(,"values":[1,2]}]})");
    ASSERT_FALSE(b.ok()) << steps;
    EXPECT_EQ(b.status().code(), Code::kInvalidArgument);
    EXPECT_EQ(b.status().message().rfind("series[0].steps[0]: ", 0), 0u) << b.status().message();
    EXPECT_NE(b.status().message().find("more than 6 fractional digits"), std::string::npos);
  }
}

TEST_F(DecodeTest, ExactNumberStepsAreKept) {
  auto b = Log(R"({"series":[{"path":"m","steps":[0.1, 2.5, 1e-6, 3, "4.25", 5.0],
                   "values":[1,2,3,4,5,6]}]})");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->series[0].steps,
            (std::vector<int64_t>{100'000, 2'500'000, 1, 3'000'000, 4'250'000, 5'000'000}));
  EXPECT_EQ(b->series[0].ts, (std::vector<int64_t>{7, 7, 7, 7, 7, 7}));  // receive time
}

TEST_F(DecodeTest, StepsBeyondInt64AreRefusedAtTranslation) {
  for (const char* step : {"9223372036854775807", "18446744073709551615", "1e300", "-9e12"}) {
    auto b = Log(std::string(R"({"series":[{"path":"m","steps":[)") + step +
                 R"(],"values":[1]}]})");
    ASSERT_FALSE(b.ok()) << step;
    EXPECT_NE(b.status().message().find("series[0].steps[0]: step"), std::string::npos)
        << b.status().message();
  }
}

TEST_F(DecodeTest, RangesAreLeftToTheModel) {
  // 9.1e12 fits int64 micro-steps: the decoder passes it on, the model refuses it.
  auto b = Log(R"({"series":[{"path":"m","steps":[1, 9100000000000],"values":[1,2]}]})");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  Status st = model::ValidateLogBatch(&b.value(), model::Limits(), std::nullopt);
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_EQ(st.message().rfind("series[0].steps[1]: ", 0), 0u) << st.message();

  for (const char* ts : {"[1, -1]", "[1, 1e13]", "[1, 1e300]"}) {
    st = LogAndValidate(std::string(R"({"series":[{"path":"m","steps":[1,2],"values":[1,2],)"
                                    R"("timestamps":)") + ts + "}]}");
    EXPECT_EQ(st.code(), Code::kInvalidArgument) << ts;
    EXPECT_EQ(st.message().rfind("series[0].timestamps[1]: ", 0), 0u) << st.message();
  }
  // Base64 timestamps: [1.0, -1.0] as little-endian float64.
  st = LogAndValidate(R"({"series":[{"path":"m","steps":[1,2],"values":[1,2],)"
                      R"("timestamps_b64":"AAAAAAAA8D8AAAAAAADwvw=="}]})");
  EXPECT_EQ(st.message().rfind("series[0].timestamps[1]: ", 0), 0u) << st.message();

  std::string items;
  for (int i = 0; i <= 10'000; ++i) items += (i ? ",\"" : "\"") + std::to_string(i) + "\"";
  auto set = Log(R"({"configs":{"d":{"type":"string_set","value":[)" + items + "]}}}");
  ASSERT_TRUE(set.ok());
  EXPECT_EQ(model::ValidateLogBatch(&set.value(), model::Limits(), std::nullopt).code(),
            Code::kTooLarge);

  auto run = DecodeCreateRun(Parse(R"({"created_at": -5, "fork_run_id": "a", "fork_step": 1})"));
  ASSERT_TRUE(run.ok());
  st = model::ValidateCreateRun(run.value());
  EXPECT_EQ(st.message().rfind("created_at: ", 0), 0u) << st.message();
}

TEST_F(DecodeTest, RunsQueryCountsAreCheckedByTheCore) {
  auto q = DecodeRunsQuery(Parse(R"({"limit": 20000, "offset": 18446744073709551615})"));
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(q->limit, 20'000u);
  EXPECT_EQ(core::ValidateRunsQuery(q.value()).message(),
            "limit: expected an integer from 0 to 10000");
  q->limit = 10;
  EXPECT_EQ(core::ValidateRunsQuery(q.value()).message(),
            "offset: expected an integer from 0 to 100000000");
  for (const char* bad : {R"({"limit": -1})", R"({"limit": "5"})", R"({"offset": 1.5})"}) {
    auto r = DecodeRunsQuery(Parse(bad));
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("expected a non-negative integer"), std::string::npos)
        << r.status().message();
  }
  auto sort = DecodeRunsQuery(Parse(R"({"sort": [{"path": ""}]})"));
  ASSERT_TRUE(sort.ok());
  EXPECT_EQ(core::ValidateRunsQuery(sort.value()).code(), Code::kInvalidArgument);
}

TEST_F(DecodeTest, SeriesRequestRangesAreCheckedByTheCore) {
  auto q = DecodeSeriesRequest(Parse(R"({"runs":["r"],"path":"m","buckets":0,"limit":-3,
                                         "time_range":[10,5]})"));
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(q->request.buckets, 0);
  EXPECT_EQ(q->request.limit, 0u);
  auto bad = DecodeSeriesRequest(Parse(R"({"runs":["r"],"path":"m","buckets":"x"})"));
  EXPECT_EQ(bad.status().message(), "buckets: expected an integer, got string");
}

}  // namespace
}  // namespace sextant::api
