// Tracker::DeleteFiles: the files go from the database and from the runs
// catalogue (runs table and project paths), other attributes stay.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "core/test_tracker.h"
#include "core/tracker.h"

namespace sextant::core {
namespace {

const model::ProjectName kProject{"ws", "p"};

class DeleteFilesTrackerTest : public TrackerFixture {
 protected:
  void Attach(const std::string& run_id, const std::string& path, const std::string& bytes) {
    auto w = tracker_->NewUpload();
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->Append(bytes).ok());
    auto blob = (*w)->Commit();
    ASSERT_TRUE(blob.ok()) << blob.status().ToString();
    Status st = tracker_->AttachFile(kProject, run_id, path, std::nullopt, "f", *blob);
    ASSERT_TRUE(st.ok()) << st.ToString();
  }
  // The paths of the run's row in the runs table.
  std::vector<std::string> RowPaths() {
    auto page = tracker_->QueryRuns(kProject, RunsQuery{});
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    std::vector<std::string> out;
    if (!page.ok() || page->rows.empty()) return out;
    for (const auto& [path, v] : page->rows[0].attributes) out.push_back(path);
    return out;
  }
  std::vector<std::string> ProjectPaths() {
    auto paths = tracker_->ProjectPaths(kProject);
    EXPECT_TRUE(paths.ok());
    std::vector<std::string> out;
    if (paths.ok())
      for (const auto& p : *paths) out.push_back(p.path);
    return out;
  }

};

TEST_F(DeleteFilesTrackerTest, RemovesFilesFromTheRunsTable) {
  model::CreateRunOp op;
  op.run_id = "r1";
  ASSERT_TRUE(tracker_->CreateRun(kProject, op).ok());
  // Load the catalogue first, so that the delete is applied to it live.
  ASSERT_TRUE(tracker_->QueryRuns(kProject, RunsQuery{}).ok());
  Attach("r1", "artifacts/a.txt", "hello");
  Attach("r1", "artifacts/d/b.bin", "bytes");
  model::LogBatch b;
  b.configs.emplace_back("params/lr", model::Value::String("0.1"));
  ASSERT_TRUE(tracker_->Log(kProject, "r1", std::move(b)).ok());

  auto has = [](const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
  };
  ASSERT_TRUE(has(RowPaths(), "artifacts/a.txt"));
  Status st = tracker_->DeleteFiles(kProject, "r1", {"artifacts/a.txt", "params/lr"});
  ASSERT_TRUE(st.ok()) << st.ToString();

  auto row = RowPaths();
  EXPECT_FALSE(has(row, "artifacts/a.txt"));
  EXPECT_TRUE(has(row, "artifacts/d/b.bin"));
  EXPECT_TRUE(has(row, "params/lr"));  // not a file: kept
  auto paths = ProjectPaths();
  EXPECT_FALSE(has(paths, "artifacts/a.txt"));
  EXPECT_TRUE(has(paths, "artifacts/d/b.bin"));
  EXPECT_EQ(tracker_->FindFile(kProject, "r1", "artifacts/a.txt", std::nullopt).status().code(),
            Code::kNotFound);

  // A fresh catalogue (loaded from the database) agrees.
  tracker_.reset();
  TrackerOptions o;
  o.data_dir = dir_.string();
  o.fsync_commits = false;
  o.background_compaction = false;
  auto t = Tracker::Open(o);
  ASSERT_TRUE(t.ok());
  tracker_ = std::move(t).value();
  row = RowPaths();
  EXPECT_FALSE(has(row, "artifacts/a.txt"));
  EXPECT_TRUE(has(row, "artifacts/d/b.bin"));
}

TEST_F(DeleteFilesTrackerTest, ValidatesPathsAndRun) {
  model::CreateRunOp op;
  op.run_id = "r1";
  ASSERT_TRUE(tracker_->CreateRun(kProject, op).ok());
  EXPECT_EQ(tracker_->DeleteFiles(kProject, "r1", {"a//b"}).code(), Code::kInvalidArgument);
  EXPECT_EQ(tracker_->DeleteFiles(kProject, "nope", {"a"}).code(), Code::kNotFound);
  EXPECT_TRUE(tracker_->DeleteFiles(kProject, "r1", {}).ok());
}

}  // namespace
}  // namespace sextant::core
