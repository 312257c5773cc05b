// ValidateLogBatch and ValidateCreateRun: every limit refuses an over-limit
// op built directly, with no decoder involved.
#include "model/operations.h"

#include <gtest/gtest.h>

namespace sextant::model {
namespace {

SeriesWrite Floats(std::string path, std::vector<int64_t> steps) {
  SeriesWrite s;
  s.path = std::move(path);
  s.steps = std::move(steps);
  s.ts.assign(s.steps.size(), 1'000'000);
  s.floats.assign(s.steps.size(), 1.0);
  return s;
}

Status Validate(LogBatch b, const Limits& limits = {}) {
  return ValidateLogBatch(&b, limits, std::nullopt);
}

TEST(ValidateLogBatchTest, AcceptsAndSortsAValidBatch) {
  LogBatch b;
  b.series.push_back(Floats("loss", {3, 1, 2, 1}));
  b.series[0].floats = {3, 1, 2, 10};
  ASSERT_TRUE(ValidateLogBatch(&b, {}, std::nullopt).ok());
  EXPECT_EQ(b.series[0].steps, (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(b.series[0].floats, (std::vector<double>{10, 2, 3}));  // last write wins
}

TEST(ValidateLogBatchTest, StepsOutOfRangeNameTheField) {
  LogBatch b;
  b.series.push_back(Floats("a", {1}));
  b.series.push_back(Floats("b", {1, kMaxAbsMicroStep}));
  Status st = Validate(b);
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_NE(st.message().find("series[1].steps[1]"), std::string::npos) << st.message();
  b.series[1].steps[1] = -kMaxAbsMicroStep;
  EXPECT_FALSE(Validate(b).ok());
  b.series[1].steps[1] = kMaxAbsMicroStep - 1;
  EXPECT_TRUE(Validate(b).ok());
}

TEST(ValidateLogBatchTest, TimestampsOutOfRangeNameTheField) {
  for (int64_t bad : {int64_t{-1}, kMaxTimestampUs + 1, INT64_MIN, INT64_MAX}) {
    LogBatch b;
    b.series.push_back(Floats("a", {1, 2, 3}));
    b.series[0].ts[2] = bad;
    Status st = Validate(b);
    EXPECT_EQ(st.code(), Code::kInvalidArgument) << bad;
    EXPECT_NE(st.message().find("series[0].timestamps[2]"), std::string::npos) << st.message();
  }
}

TEST(ValidateLogBatchTest, TimestampsAreKeptToTheMillisecondUnlessAskedForMicroseconds) {
  auto batch = [] {
    LogBatch b;
    b.series.push_back(Floats("a", {1, 2, 3, 4}));
    b.series[0].ts = {0, 1'999, 1'700'000'000'123'456, kMaxTimestampUs};
    b.series.push_back(Floats("text", {1}));
    b.series[1].type = AttrType::kStringSeries;
    b.series[1].floats.clear();
    b.series[1].bytes = {"x"};
    b.series[1].ts = {999};
    return b;
  };
  LogBatch ms = batch();
  ASSERT_TRUE(ValidateLogBatch(&ms, Limits{}, std::nullopt).ok());
  EXPECT_EQ(ms.series[0].ts, (std::vector<int64_t>{0, 1'000, 1'700'000'000'123'000,
                                                   kMaxTimestampUs - 999}));
  EXPECT_EQ(ms.series[1].ts, (std::vector<int64_t>{0}));

  Limits us_limits;
  us_limits.timestamp_resolution_us = kTimestampResolutionUs;
  LogBatch us = batch();
  ASSERT_TRUE(ValidateLogBatch(&us, us_limits, std::nullopt).ok());
  EXPECT_EQ(us.series[0].ts, batch().series[0].ts);
  EXPECT_EQ(us.series[1].ts, (std::vector<int64_t>{999}));
}

TEST(ValidateLogBatchTest, BatchSizeLimits) {
  Limits limits;
  limits.max_series_per_batch = 2;
  limits.max_points_per_batch = 4;
  LogBatch b;
  for (int i = 0; i < 3; ++i) b.series.push_back(Floats("s" + std::to_string(i), {1}));
  EXPECT_EQ(Validate(b, limits).code(), Code::kTooLarge);
  b.series.pop_back();
  b.series[0] = Floats("s0", {1, 2, 3, 4});
  EXPECT_EQ(Validate(b, limits).code(), Code::kTooLarge);  // 5 points
}

TEST(ValidateLogBatchTest, PathLengthTagsAndStrings) {
  LogBatch b;
  b.configs.push_back({std::string(kMaxPathBytes + 1, 'p'), Value::Int(1)});
  EXPECT_EQ(Validate(b).code(), Code::kInvalidArgument);

  LogBatch t;
  t.add_tags = {std::string(kMaxTagBytes, 't')};
  EXPECT_TRUE(Validate(t).ok());
  t.add_tags = {std::string(kMaxTagBytes + 1, 't')};
  EXPECT_EQ(Validate(t).code(), Code::kInvalidArgument);
  t.add_tags = {""};
  EXPECT_EQ(Validate(t).code(), Code::kInvalidArgument);

  Limits limits;
  limits.max_tags = 2;
  LogBatch many;
  many.add_tags = {"a", "b"};
  many.remove_tags = {"c"};
  EXPECT_EQ(Validate(many, limits).code(), Code::kTooLarge);

  limits = {};
  limits.max_string_bytes = 4;
  LogBatch s;
  s.configs.push_back({"name", Value::String("hello")});
  EXPECT_EQ(Validate(s, limits).code(), Code::kTooLarge);
}

TEST(ValidateLogBatchTest, StringSetItemCap) {
  Limits limits;
  limits.max_string_set_items = 3;
  std::vector<std::string> items = {"a", "b", "c"};
  LogBatch ok;
  ok.configs.push_back({"datasets", Value::StringSet(items)});
  EXPECT_TRUE(Validate(ok, limits).ok());
  items.push_back("d");
  LogBatch over;
  over.configs.push_back({"datasets", Value::StringSet(items)});
  Status st = Validate(over, limits);
  EXPECT_EQ(st.code(), Code::kTooLarge);
  EXPECT_NE(st.message().find("at most 3"), std::string::npos) << st.message();
  EXPECT_EQ(Limits{}.max_string_set_items, 10'000u);
}

TEST(ValidateLogBatchTest, DatetimeConfigRange) {
  LogBatch b;
  b.configs.push_back({"when", Value::Datetime(kMinDatetimeUs)});
  EXPECT_TRUE(Validate(b).ok());
  b.configs[0].second = Value::Datetime(kMaxTimestampUs + 1);
  EXPECT_EQ(Validate(b).code(), Code::kInvalidArgument);
  b.configs[0].second = Value::Datetime(INT64_MIN);
  EXPECT_EQ(Validate(b).code(), Code::kInvalidArgument);
}

TEST(ValidateCreateRunTest, Rules) {
  CreateRunOp op;
  EXPECT_TRUE(ValidateCreateRun(op).ok());
  op.run_id = "r1";
  op.fork_run_id = "r0";
  EXPECT_FALSE(ValidateCreateRun(op).ok());  // fork_step missing
  op.fork_step = kMaxAbsMicroStep;
  Status st = ValidateCreateRun(op);
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_NE(st.message().find("fork_step"), std::string::npos) << st.message();
  op.fork_step = 5 * kStepScale;
  EXPECT_TRUE(ValidateCreateRun(op).ok());
  op.created_us = -1;
  st = ValidateCreateRun(op);
  EXPECT_NE(st.message().find("created_at"), std::string::npos) << st.message();
  op.created_us = 0;
  op.name = std::string(kMaxRunNameBytes + 1, 'n');
  EXPECT_FALSE(ValidateCreateRun(op).ok());
  op.name = std::string(kMaxRunNameBytes, 'n');
  EXPECT_TRUE(ValidateCreateRun(op).ok());
  op.fork_run_id = "r1";
  EXPECT_FALSE(ValidateCreateRun(op).ok());  // forked from itself
}

TEST(ValidateNamesTest, ViewsAndProjects) {
  EXPECT_TRUE(ValidateViewName(std::string(kMaxViewNameBytes, 'v')).ok());
  EXPECT_FALSE(ValidateViewName(std::string(kMaxViewNameBytes + 1, 'v')).ok());
  EXPECT_FALSE(ValidateViewName("a/b").ok());
  EXPECT_FALSE(ValidateViewName("").ok());
  EXPECT_TRUE(ValidateProjectName({"ws", "p"}).ok());
  EXPECT_FALSE(ValidateProjectName({"ws", "a/b"}).ok());
  EXPECT_FALSE(ValidateProjectName({"", "p"}).ok());
}

TEST(HistogramTest, BinLimit) {
  std::vector<double> edges(kMaxHistogramBins + 2), counts(kMaxHistogramBins + 1, 1);
  for (size_t i = 0; i < edges.size(); ++i) edges[i] = static_cast<double>(i);
  EXPECT_EQ(EncodeHistogram(edges, counts).status().code(), Code::kTooLarge);
  edges.pop_back();
  counts.pop_back();
  EXPECT_TRUE(EncodeHistogram(edges, counts).ok());
}

}  // namespace
}  // namespace sextant::model
