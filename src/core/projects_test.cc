// Projects created explicitly, their properties, runs found by id across
// projects, removed configs and the trash (core/projects.cc).
#include <gtest/gtest.h>

#include <filesystem>

#include "core/test_tracker.h"
#include "core/tracker.h"

namespace sextant::core {
namespace {

using ProjectsTest = TrackerFixture;

TEST_F(ProjectsTest, CreateOnceThenAlreadyExists) {
  auto p = tracker_->CreateProject({"ws", "a"});
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->num_runs, 0);
  auto again = tracker_->CreateProject({"ws", "a"});
  EXPECT_EQ(again.status().code(), Code::kAlreadyExists);
  auto by_id = tracker_->GetProjectById(p->id);
  ASSERT_TRUE(by_id.ok());
  EXPECT_EQ(by_id->name, "a");
  EXPECT_EQ(tracker_->GetProjectById(p->id + 100).status().code(), Code::kNotFound);
  EXPECT_EQ(tracker_->CreateProject({"ws", "bad name"}).status().code(), Code::kInvalidArgument);
}

TEST_F(ProjectsTest, PropertiesSetRemoveAndFind) {
  auto a = tracker_->CreateProject({"ws", "a"});
  auto b = tracker_->CreateProject({"ws", "b"});
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(tracker_->UpdateProjectProperties(a->id, {{"mlflow.name", "My exp"}, {"k", "1"}}, {}).ok());
  ASSERT_TRUE(tracker_->UpdateProjectProperties(a->id, {{"k", "2"}}, {"absent"}).ok());
  auto props = tracker_->ProjectProperties(a->id);
  ASSERT_TRUE(props.ok());
  std::map<std::string, std::string> m(props->begin(), props->end());
  EXPECT_EQ(m["mlflow.name"], "My exp");
  EXPECT_EQ(m["k"], "2");
  EXPECT_TRUE(m.count(Tracker::kUpdatedProperty));
  auto found = tracker_->FindProjectsByProperty("mlflow.name", "My exp");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(*found, std::vector<int64_t>{a->id});
  ASSERT_TRUE(tracker_->UpdateProjectProperties(a->id, {}, {"mlflow.name"}).ok());
  EXPECT_TRUE(tracker_->FindProjectsByProperty("mlflow.name", "My exp")->empty());
  // The server's own keys cannot be written from outside.
  EXPECT_EQ(tracker_->UpdateProjectProperties(b->id, {{"sys.updated_us", "1"}}, {}).code(),
            Code::kInvalidArgument);
  EXPECT_EQ(tracker_->UpdateProjectProperties(b->id, {{"", "1"}}, {}).code(), Code::kInvalidArgument);
}

TEST_F(ProjectsTest, FindRunsAcrossProjects) {
  model::CreateRunOp op;
  op.run_id = "shared";
  ASSERT_TRUE(tracker_->CreateRun({"ws", "a"}, op).ok());
  ASSERT_TRUE(tracker_->CreateRun({"ws", "b"}, op).ok());
  op.run_id = "only";
  ASSERT_TRUE(tracker_->CreateRun({"ws", "b"}, op).ok());
  EXPECT_EQ(tracker_->FindRuns("shared", 10)->size(), 2u);
  EXPECT_EQ(tracker_->FindRuns("shared", 1)->size(), 1u);
  ASSERT_EQ(tracker_->FindRuns("only", 10)->size(), 1u);
  EXPECT_TRUE(tracker_->FindRuns("none", 10)->empty());
  EXPECT_EQ(tracker_->FindRuns("bad id!", 10).status().code(), Code::kInvalidArgument);
}

TEST_F(ProjectsTest, RemovedConfigsAndTrash) {
  const model::ProjectName p{"ws", "a"};
  model::CreateRunOp op;
  op.run_id = "r";
  ASSERT_TRUE(tracker_->CreateRun(p, op).ok());
  model::LogBatch b;
  b.configs.emplace_back("tags/x", model::Value::String("1"));
  b.configs.emplace_back("keep", model::Value::Int(3));
  model::SeriesWrite s;
  s.path = "loss";
  s.steps = {0};
  s.ts = {1};
  s.floats = {0.5};
  b.series.push_back(s);
  ASSERT_TRUE(tracker_->Log(p, "r", b).ok());

  model::LogBatch rm;
  rm.remove_configs = {"tags/x", "loss", "never"};  // a series is not a config: kept
  ASSERT_TRUE(tracker_->Log(p, "r", rm).ok());
  auto attrs = tracker_->Attributes(p, "r", "");
  ASSERT_TRUE(attrs.ok());
  std::vector<std::string> paths;
  for (const auto& a : *attrs) paths.push_back(a.path);
  EXPECT_EQ(paths, (std::vector<std::string>{"keep", "loss"}));

  // Removing and setting the same path in one batch is refused, as are sys/ paths.
  model::LogBatch both;
  both.configs.emplace_back("k", model::Value::Int(1));
  both.remove_configs = {"k"};
  EXPECT_EQ(tracker_->Log(p, "r", both).status().code(), Code::kInvalidArgument);
  model::LogBatch sys;
  sys.remove_configs = {"sys/trashed"};
  EXPECT_EQ(tracker_->Log(p, "r", sys).status().code(), Code::kInvalidArgument);

  // The trash is the config sys/trashed, visible to the runs table's filter.
  ASSERT_TRUE(tracker_->SetTrashed(p, "r", true).ok());
  RunsQuery q;
  q.filter = query::Filter::Parse("exists(sys/trashed)").value();
  EXPECT_EQ(tracker_->QueryRuns(p, q)->total, 1u);
  q.filter = query::Filter::Parse("exists(tags/x)").value();
  EXPECT_EQ(tracker_->QueryRuns(p, q)->total, 0u);
  ASSERT_TRUE(tracker_->SetTrashed(p, "r", false).ok());
  q.filter = query::Filter::Parse("exists(sys/trashed)").value();
  EXPECT_EQ(tracker_->QueryRuns(p, q)->total, 0u);
}

}  // namespace
}  // namespace sextant::core
