// Run management (Tracker::EditRuns): rename, notes, tags, archive and trash,
// the runs query's visibility of trashed and archived runs, and a project's
// notes (core/projects.cc).
#include <gtest/gtest.h>

#include <algorithm>

#include "core/test_tracker.h"
#include "core/tracker.h"

namespace sextant::core {
namespace {

const model::ProjectName kP{"ws", "p"};

class RunEditTest : public TrackerFixture {
 protected:
  void SetUp() override {
    TrackerFixture::SetUp();
    for (const char* id : {"a", "b", "c"}) {
      model::CreateRunOp op;
      op.run_id = id;
      ASSERT_TRUE(tracker_->CreateRun(kP, op).ok());
    }
  }
  std::vector<std::string> Ids(Visibility trashed, Visibility archived, size_t* unfiltered = nullptr) {
    RunsQuery q;
    q.trashed = trashed;
    q.archived = archived;
    auto page = tracker_->QueryRuns(kP, q);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    std::vector<std::string> ids;
    for (const auto& r : page->rows) ids.push_back(r.run.run_id);
    std::sort(ids.begin(), ids.end());
    if (unfiltered) *unfiltered = page->unfiltered_total;
    return ids;
  }
  std::optional<model::Value> Config(const std::string& run, const std::string& path) {
    auto r = tracker_->GetRun(kP, run);
    EXPECT_TRUE(r.ok());
    auto a = tracker_->FindAttributes(*r, {path});
    EXPECT_TRUE(a.ok());
    if (a->empty()) return std::nullopt;
    return (*a)[0].value;
  }
};

using V = Visibility;
using Names = std::vector<std::string>;

TEST_F(RunEditTest, RenameNotesAndTags) {
  model::EditRunOp op;
  op.name = "baseline lr=3e-4";
  op.description = "# Notes\nfirst try";
  op.add_tags = {"keep", "sweep"};
  ASSERT_TRUE(tracker_->EditRuns(kP, {"a"}, op).ok());
  EXPECT_EQ(tracker_->GetRun(kP, "a")->name, "baseline lr=3e-4");
  EXPECT_EQ(Config("a", "sys/description")->s, "# Notes\nfirst try");
  EXPECT_EQ(Config("a", "sys/tags")->set, (Names{"keep", "sweep"}));

  model::EditRunOp untag;
  untag.remove_tags = {"sweep"};
  ASSERT_TRUE(tracker_->EditRuns(kP, {"a"}, untag).ok());
  EXPECT_EQ(Config("a", "sys/tags")->set, (Names{"keep"}));
  // The runs table sees the new name (the catalog follows the edit).
  RunsQuery q;
  q.filter = query::Filter::Parse(R"(sys/name = "baseline lr=3e-4")").value();
  EXPECT_EQ(tracker_->QueryRuns(kP, q)->total, 1u);
}

TEST_F(RunEditTest, TrashAndArchiveVisibility) {
  model::EditRunOp trash;
  trash.trashed = true;
  model::EditRunOp archive;
  archive.archived = true;
  ASSERT_TRUE(tracker_->EditRuns(kP, {"a"}, trash).ok());
  ASSERT_TRUE(tracker_->EditRuns(kP, {"b"}, archive).ok());

  size_t unfiltered = 0;
  EXPECT_EQ(Ids(V::kHide, V::kHide, &unfiltered), (Names{"c"}));
  EXPECT_EQ(unfiltered, 1u);
  EXPECT_EQ(Ids(V::kOnly, V::kInclude), (Names{"a"}));
  EXPECT_EQ(Ids(V::kHide, V::kOnly), (Names{"b"}));
  EXPECT_EQ(Ids(V::kInclude, V::kInclude), (Names{"a", "b", "c"}));

  // Restore and unarchive remove the flags.
  trash.trashed = false;
  archive.archived = false;
  ASSERT_TRUE(tracker_->EditRuns(kP, {"a"}, trash).ok());
  ASSERT_TRUE(tracker_->EditRuns(kP, {"b"}, archive).ok());
  EXPECT_EQ(Ids(V::kHide, V::kHide), (Names{"a", "b", "c"}));
  EXPECT_FALSE(Config("a", "sys/trashed"));
  EXPECT_FALSE(Config("b", "sys/archived"));
}

TEST_F(RunEditTest, BulkEditIsAllOrNothingOnUnknownRuns) {
  model::EditRunOp op;
  op.add_tags = {"x"};
  Status st = tracker_->EditRuns(kP, {"a", "nope", "b"}, op);
  EXPECT_EQ(st.code(), Code::kNotFound);
  EXPECT_FALSE(Config("a", "sys/tags"));
  ASSERT_TRUE(tracker_->EditRuns(kP, {"a", "b"}, op).ok());
  EXPECT_EQ(Config("b", "sys/tags")->set, (Names{"x"}));
}

TEST_F(RunEditTest, RefusesEmptyOversizedAndContradictoryEdits) {
  const std::string name = tracker_->GetRun(kP, "a")->name;
  model::EditRunOp none;
  EXPECT_EQ(tracker_->EditRuns(kP, {"a"}, none).message().substr(0, 17), "nothing to change");
  model::EditRunOp big;
  big.description = std::string(model::kMaxDescriptionBytes + 1, 'x');
  EXPECT_EQ(tracker_->EditRuns(kP, {"a"}, big).code(), Code::kTooLarge);
  model::EditRunOp both;
  both.add_tags = {"t"};
  both.remove_tags = {"t"};
  EXPECT_EQ(tracker_->EditRuns(kP, {"a"}, both).message(), "tag 't' is both added and removed");
  model::EditRunOp empty_name;
  empty_name.name = "";
  EXPECT_EQ(tracker_->EditRuns(kP, {"a"}, empty_name).code(), Code::kInvalidArgument);
  model::EditRunOp ok;
  ok.archived = true;
  EXPECT_EQ(tracker_->EditRuns(kP, {}, ok).code(), Code::kInvalidArgument);
  std::vector<std::string> many(model::kMaxEditRuns + 1, "a");
  EXPECT_EQ(tracker_->EditRuns(kP, many, ok).code(), Code::kTooLarge);
  EXPECT_EQ(tracker_->GetRun(kP, "a")->name, name);
  EXPECT_FALSE(Config("a", "sys/archived"));
}

TEST_F(RunEditTest, ProjectDescription) {
  EXPECT_EQ(tracker_->ProjectDescription(kP).value(), "");
  ASSERT_TRUE(tracker_->SetProjectDescription(kP, "**Sweep** of lr").ok());
  EXPECT_EQ(tracker_->ProjectDescription(kP).value(), "**Sweep** of lr");
  ASSERT_TRUE(tracker_->SetProjectDescription(kP, "").ok());
  EXPECT_EQ(tracker_->ProjectDescription(kP).value(), "");
  EXPECT_EQ(tracker_->SetProjectDescription(kP, std::string(model::kMaxDescriptionBytes + 1, 'x')).code(),
            Code::kTooLarge);
  EXPECT_EQ(tracker_->ProjectDescription({"ws", "none"}).status().code(), Code::kNotFound);
}

}  // namespace
}  // namespace sextant::core
