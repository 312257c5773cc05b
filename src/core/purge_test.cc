// Purging runs from the trash (Tracker::PurgeRun): the run, its points and
// its files go; a blob another run shares stays; runs listed after it keep
// their values in the runs table; a run not in the trash, or with forks, is
// refused.
#include <gtest/gtest.h>

#include "core/test_tracker.h"
#include "core/tracker.h"

namespace sextant::core {
namespace {

const model::ProjectName kP{"ws", "purge"};

class PurgeTest : public TrackerFixture {
 protected:
  void Run(const std::string& id, double lr, std::optional<std::string> fork = std::nullopt) {
    model::CreateRunOp op;
    op.run_id = id;
    if (fork) {
      op.fork_run_id = *fork;
      op.fork_step = 0;
    }
    ASSERT_TRUE(tracker_->CreateRun(kP, op).ok());
    model::LogBatch b;
    b.configs.emplace_back("lr", model::Value::Float(lr));
    model::SeriesWrite s;
    s.path = "loss";
    s.steps = {1'000'000, 2'000'000};
    s.ts = {1, 2};
    s.floats = {lr, lr / 2};
    b.series.push_back(s);
    ASSERT_TRUE(tracker_->Log(kP, id, std::move(b)).ok());
  }
  std::string Attach(const std::string& run, const std::string& bytes) {
    auto w = tracker_->NewUpload();
    EXPECT_TRUE(w.ok());
    EXPECT_TRUE((*w)->Append(bytes).ok());
    auto blob = (*w)->Commit();
    EXPECT_TRUE(blob.ok());
    EXPECT_TRUE(tracker_->AttachFile(kP, run, "ckpt", std::nullopt, "c.bin", *blob).ok());
    return blob->digest;
  }
  void Trash(const std::string& id) { ASSERT_TRUE(tracker_->SetTrashed(kP, id, true).ok()); }
};

TEST_F(PurgeTest, RemovesTheRunItsPointsAndUnsharedFiles) {
  Run("a", 0.1);
  Run("b", 0.2);
  Run("c", 0.3);
  std::string shared = Attach("a", "same bytes");
  EXPECT_EQ(Attach("b", "same bytes"), shared);
  std::string own = Attach("a", "only a");

  EXPECT_EQ(tracker_->PurgeRun(kP, "a").code(), Code::kConflict);  // not in the trash
  Trash("a");
  ASSERT_TRUE(tracker_->PurgeRun(kP, "a").ok());
  EXPECT_EQ(tracker_->GetRun(kP, "a").status().code(), Code::kNotFound);
  EXPECT_EQ(tracker_->OpenBlob(own).status().code(), Code::kNotFound);
  EXPECT_TRUE(tracker_->OpenBlob(shared).ok());  // b still has it

  // The table: the other runs keep their own values.
  RunsQuery q;
  q.trashed = q.archived = Visibility::kInclude;
  q.sort = {{"lr", false}};
  auto page = tracker_->QueryRuns(kP, q);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->rows.size(), 2u);
  for (const auto& row : page->rows) {
    double lr = row.run.run_id == "b" ? 0.2 : 0.3;
    bool found = false;
    for (const auto& [path, v] : row.attributes)
      if (path == "lr") found = v.f == lr;
    EXPECT_TRUE(found) << row.run.run_id;
  }
  // A new run with the purged id starts empty.
  Run("a", 0.5);
  SeriesRequest req;
  req.run_ids = {"a"};
  req.path = "loss";
  auto s = tracker_->ReadSeries(kP, req);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)[0].points.floats, (std::vector<double>{0.5, 0.25}));

  Trash("b");
  ASSERT_TRUE(tracker_->PurgeRun(kP, "b").ok());
  EXPECT_EQ(tracker_->OpenBlob(shared).status().code(), Code::kNotFound);
}

TEST_F(PurgeTest, RefusesARunWithForks) {
  Run("parent", 0.1);
  Run("child", 0.2, "parent");
  Trash("parent");
  Status st = tracker_->PurgeRun(kP, "parent");
  EXPECT_EQ(st.code(), Code::kConflict);
  EXPECT_NE(st.message().find("child"), std::string::npos) << st.message();
  Trash("child");
  ASSERT_TRUE(tracker_->PurgeRun(kP, "child").ok());
  ASSERT_TRUE(tracker_->PurgeRun(kP, "parent").ok());
  EXPECT_EQ(tracker_->PurgeRun(kP, "parent").code(), Code::kNotFound);
}

}  // namespace
}  // namespace sextant::core
