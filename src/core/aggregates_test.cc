// Series aggregates in the runs table (Tracker::QueryRuns with "min(loss)"
// and friends as columns, filters and sorts) against brute force over the
// points written, before and after compaction, and after a write that
// replaces the minimum (the cache follows the run).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <random>

#include "core/test_tracker.h"
#include "core/tracker.h"

namespace sextant::core {
namespace {

const model::ProjectName kP{"ws", "agg"};

class AggregatesTest : public TrackerFixture {
 protected:
  // step -> value, as the server keeps it (last write wins).
  std::map<std::string, std::map<int64_t, double>> written_;

  void Log(const std::string& run, const std::map<int64_t, double>& points) {
    model::LogBatch b;
    model::SeriesWrite s;
    s.path = "loss";
    for (const auto& [step, v] : points) {
      s.steps.push_back(step * model::kStepScale);
      s.ts.push_back(1'000'000 + step);
      s.floats.push_back(v);
      written_[run][step] = v;
    }
    b.series.push_back(std::move(s));
    ASSERT_TRUE(tracker_->Log(kP, run, std::move(b)).ok());
  }

  void Seed() {
    std::mt19937_64 rng(7);
    std::uniform_real_distribution<double> u(0.0, 10.0);
    for (const char* id : {"a", "b", "c"}) {
      model::CreateRunOp op;
      op.run_id = id;
      ASSERT_TRUE(tracker_->CreateRun(kP, op).ok());
      // Several batches, so that several chunks (and blocks) hold the series.
      for (int batch = 0; batch < 4; ++batch) {
        std::map<int64_t, double> pts;
        for (int i = 0; i < 5000; ++i) {
          double v = u(rng);
          if (i % 997 == 0) v = std::numeric_limits<double>::quiet_NaN();
          pts[batch * 5000 + i] = v;
        }
        Log(id, pts);
      }
    }
    model::CreateRunOp none;
    none.run_id = "no-series";
    ASSERT_TRUE(tracker_->CreateRun(kP, none).ok());
  }

  struct Brute {
    double min, max, mean, first, last, last_step;
  };
  Brute BruteForce(const std::string& run) {
    const auto& pts = written_[run];
    Brute b{INFINITY, -INFINITY, 0, pts.begin()->second, pts.rbegin()->second,
            static_cast<double>(pts.rbegin()->first)};
    double sum = 0;
    size_t n = 0;
    for (const auto& [step, v] : pts) {
      if (std::isnan(v)) continue;
      b.min = std::min(b.min, v);
      b.max = std::max(b.max, v);
      sum += v;
      ++n;
    }
    b.mean = sum / static_cast<double>(n);
    return b;
  }

  void CheckAgainstBruteForce() {
    RunsQuery q;
    q.columns = std::vector<std::string>{"min(loss)", "max(loss)", "mean(loss)", "first(loss)",
                                         "last(loss)", "last_step(loss)"};
    auto page = tracker_->QueryRuns(kP, q);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    ASSERT_EQ(page->rows.size(), 4u);
    for (const auto& row : page->rows) {
      std::map<std::string, double> got;
      for (const auto& [path, v] : row.attributes) got[path] = v.f;
      if (row.run.run_id == "no-series") {
        EXPECT_TRUE(got.empty());
        continue;
      }
      Brute want = BruteForce(row.run.run_id);
      EXPECT_EQ(got["min(loss)"], want.min) << row.run.run_id;
      EXPECT_EQ(got["max(loss)"], want.max);
      EXPECT_NEAR(got["mean(loss)"], want.mean, 1e-9 * std::abs(want.mean));
      EXPECT_TRUE(got["first(loss)"] == want.first || (std::isnan(got["first(loss)"]) && std::isnan(want.first)));
      EXPECT_EQ(got["last(loss)"], want.last);
      EXPECT_EQ(got["last_step(loss)"], want.last_step);
    }
  }
};

TEST_F(AggregatesTest, ColumnsMatchBruteForceBeforeAndAfterCompaction) {
  Seed();
  CheckAgainstBruteForce();
  ASSERT_TRUE(tracker_->CompactAll().ok());
  CheckAgainstBruteForce();
}

TEST_F(AggregatesTest, SortAndFilterByAnAggregate) {
  Seed();
  // A new minimum in b, written over an existing step: the cache follows.
  Log("b", {{123, -5.0}});
  RunsQuery q;
  q.sort = {{"min(loss)", false}};
  auto page = tracker_->QueryRuns(kP, q);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->rows.size(), 4u);
  EXPECT_EQ(page->rows[0].run.run_id, "b");
  EXPECT_EQ(page->rows[3].run.run_id, "no-series");  // absent sorts last
  q.sort = {};
  q.filter = query::Filter::Parse("min(loss) < 0").value();
  page = tracker_->QueryRuns(kP, q);
  ASSERT_EQ(page->total, 1u);
  EXPECT_EQ(page->rows[0].run.run_id, "b");

  Log("b", {{123, 1.0}});  // and back
  page = tracker_->QueryRuns(kP, q);
  EXPECT_EQ(page->total, 0u);
  q.filter = query::Filter::Parse("last_step(loss) = 19999 and max(loss) > 9").value();
  EXPECT_EQ(tracker_->QueryRuns(kP, q)->total, 3u);
}

}  // namespace
}  // namespace sextant::core
