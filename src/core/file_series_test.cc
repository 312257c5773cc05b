// Tracker::FileSeriesPoints: the points of a file series, newest first,
// within a step range and a limit.
#include <gtest/gtest.h>

#include "core/test_tracker.h"
#include "core/tracker.h"

namespace sextant::core {
namespace {

const model::ProjectName kProject{"ws", "p"};

class FileSeriesTest : public TrackerFixture {
 protected:
  void Attach(const std::string& path, int64_t step, const std::string& bytes) {
    auto w = tracker_->NewUpload();
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->Append(bytes).ok());
    auto blob = (*w)->Commit();
    ASSERT_TRUE(blob.ok()) << blob.status().ToString();
    Status st = tracker_->AttachFile(kProject, "r1", path, step, "f" + bytes, *blob);
    ASSERT_TRUE(st.ok()) << st.ToString();
  }
};

TEST_F(FileSeriesTest, ListsPointsNewestFirstWithinRangeAndLimit) {
  model::CreateRunOp op;
  op.run_id = "r1";
  ASSERT_TRUE(tracker_->CreateRun(kProject, op).ok());
  Attach("img", 1'000'000, "a");
  Attach("img", 2'000'000, "bb");
  Attach("img", 2'500'000, "ccc");
  Attach("other", 1'000'000, "x");

  auto all = tracker_->FileSeriesPoints(kProject, "r1", "img", INT64_MIN, INT64_MAX, 10);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].first, 2'500'000);
  EXPECT_EQ((*all)[0].second.size, 3);
  EXPECT_EQ((*all)[0].second.filename, "fccc");
  EXPECT_EQ((*all)[2].first, 1'000'000);

  auto some = tracker_->FileSeriesPoints(kProject, "r1", "img", 1'500'000, 2'400'000, 10);
  ASSERT_TRUE(some.ok());
  ASSERT_EQ(some->size(), 1u);
  EXPECT_EQ((*some)[0].first, 2'000'000);

  auto two = tracker_->FileSeriesPoints(kProject, "r1", "img", INT64_MIN, INT64_MAX, 2);
  ASSERT_TRUE(two.ok());
  ASSERT_EQ(two->size(), 2u);
  EXPECT_EQ((*two)[1].first, 2'000'000);

  auto none = tracker_->FileSeriesPoints(kProject, "r1", "missing", INT64_MIN, INT64_MAX, 10);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  EXPECT_EQ(tracker_->FileSeriesPoints(kProject, "nope", "img", 0, 1, 1).status().code(), Code::kNotFound);
}

// Read through ReadSeries, a file series gives one file and one (empty)
// bytes entry per point: readers that index points.bytes by point (the
// Neptune series reader did, and crashed the server) stay in bounds.
TEST_F(FileSeriesTest, ReadSeriesKeepsOneBytesEntryPerPoint) {
  model::CreateRunOp op;
  op.run_id = "r1";
  ASSERT_TRUE(tracker_->CreateRun(kProject, op).ok());
  Attach("img", 1'000'000, "a");
  Attach("img", 2'000'000, "bb");
  SeriesRequest req;
  req.run_ids = {"r1"};
  req.path = "img";
  auto r = tracker_->ReadSeries(kProject, req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const SeriesResult& s = (*r)[0];
  EXPECT_EQ(s.type, model::AttrType::kFileSeries);
  ASSERT_EQ(s.points.size(), 2u);
  EXPECT_EQ(s.points.bytes.size(), 2u);
  EXPECT_EQ(s.points.ts.size(), 2u);
  ASSERT_EQ(s.files.size(), 2u);
  EXPECT_EQ(s.files[1].filename, "fbb");
  EXPECT_EQ(s.points.steps[0], 1'000'000);
}

}  // namespace
}  // namespace sextant::core
