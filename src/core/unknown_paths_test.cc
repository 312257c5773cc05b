// A runs query that names a path no run has says so, with the closest path
// the project has (RunsPage::unknown_paths), instead of silently matching
// nothing.
#include <gtest/gtest.h>

#include "core/test_tracker.h"
#include "core/tracker.h"

namespace sextant::core {
namespace {

const model::ProjectName kP{"ws", "unknown"};
using Pairs = std::vector<std::pair<std::string, std::string>>;

class UnknownPathsTest : public TrackerFixture {
 protected:
  void SetUp() override {
    TrackerFixture::SetUp();
    model::CreateRunOp op;
    op.run_id = "r";
    ASSERT_TRUE(tracker_->CreateRun(kP, op).ok());
    model::LogBatch b;
    b.configs.emplace_back("lr", model::Value::Float(3e-4));
    model::SeriesWrite s;
    s.path = "val/loss";
    s.steps = {0};
    s.ts = {1};
    s.floats = {0.5};
    b.series.push_back(s);
    ASSERT_TRUE(tracker_->Log(kP, "r", std::move(b)).ok());
  }
  Pairs Unknown(const std::string& filter, std::vector<SortKey> sort = {}) {
    RunsQuery q;
    q.filter = query::Filter::Parse(filter).value();
    q.sort = std::move(sort);
    auto page = tracker_->QueryRuns(kP, q);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    return page->unknown_paths;
  }
};

TEST_F(UnknownPathsTest, NamesEachUnknownPathWithTheClosestOne) {
  EXPECT_EQ(Unknown("config/lr < 1"), (Pairs{{"config/lr", "lr"}}));
  EXPECT_EQ(Unknown("val/los < 1 or val/los > 2"), (Pairs{{"val/los", "val/loss"}}));
  EXPECT_EQ(Unknown("min(val/lost) < 1"), (Pairs{{"min(val/lost)", "min(val/loss)"}}));
  EXPECT_EQ(Unknown("", {{"accuracy", true}}), (Pairs{{"accuracy", ""}}));
  // Known: the project's paths, built-in and documented sys/ paths, aggregates of known series.
  EXPECT_EQ(Unknown("lr < 1 and max(val/loss) > 0 and not exists(sys/trashed) and sys/state = \"running\""),
            Pairs{});
}

}  // namespace
}  // namespace sextant::core
