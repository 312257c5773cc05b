// Paging in the core (attributes, project paths, projects, views) and the
// core-side limits that every front end gets without a decoder.
#include "core/paging.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "common/base64.h"
#include "core/tracker.h"

namespace sextant::core {
namespace {

const model::ProjectName kProject{"ws", "p"};

TEST(PageTokenTest, RoundTripsAndRefusesWhatItDidNotMake) {
  std::string t = EncodePageToken(PageKind::kAttributes, "train/loss");
  auto after = DecodePageRequest(PageKind::kAttributes, {10, t});
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after.value(), "train/loss");
  EXPECT_EQ(DecodePageRequest(PageKind::kAttributes, {10, ""}).value(), "");
  for (const std::string& bad : {std::string("!!!"), std::string("a"), std::string("YQ=="),
                                 EncodePageToken(PageKind::kViews, "train/loss"),
                                 EncodeBase64Url("a"), std::string(5000, 'A')}) {
    auto r = DecodePageRequest(PageKind::kAttributes, {10, bad});
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
    EXPECT_EQ(r.status().message(), "page_token: malformed");
  }
  for (size_t limit : {size_t{0}, model::kMaxPageLimit + 1, SIZE_MAX}) {
    auto r = DecodePageRequest(PageKind::kAttributes, {limit, ""});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().message(), "limit: expected an integer from 1 to 10000");
  }
  EXPECT_TRUE(DecodePageRequest(PageKind::kAttributes, {model::kMaxPageLimit, ""}).ok());
  EXPECT_EQ(PageRequest{}.limit, model::kDefaultPageLimit);
}

class PagingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("sextant-paging-core-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    TrackerOptions o;
    o.data_dir = dir_.string();
    o.fsync_commits = false;
    o.background_compaction = false;
    auto t = Tracker::Open(o);
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    tracker_ = std::move(t).value();
  }
  void TearDown() override {
    tracker_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Create(const model::ProjectName& p, const std::string& id) {
    model::CreateRunOp op;
    op.run_id = id;
    auto r = tracker_->CreateRun(p, op);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  void Configs(const std::string& run, const std::vector<std::string>& paths) {
    model::LogBatch b;
    for (const auto& p : paths) b.configs.push_back({p, model::Value::Float(1)});
    auto r = tracker_->Log(kProject, run, std::move(b));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  // Pages through a list with `fetch(PageRequest)`, checking the token
  // contract; returns the keys in the order received.
  template <typename Fetch, typename Key>
  std::vector<std::string> All(size_t limit, Fetch fetch, Key key) {
    std::vector<std::string> out;
    PageRequest req{limit, ""};
    for (int guard = 0; guard < 100'000; ++guard) {
      auto page = fetch(req);
      EXPECT_TRUE(page.ok()) << page.status().ToString();
      if (!page.ok()) break;
      EXPECT_LE(page->items.size(), limit);
      for (const auto& item : page->items) out.push_back(key(item));
      if (page->next_page_token.empty()) break;
      EXPECT_EQ(page->items.size(), limit);  // only a filtered page may be short
      req.page_token = page->next_page_token;
    }
    return out;
  }

  std::filesystem::path dir_;
  std::unique_ptr<Tracker> tracker_;
};

TEST_F(PagingTest, AttributesEachExactlyOnceInOrder) {
  Create(kProject, "r1");
  std::vector<std::string> paths;
  for (int i = 0; i < 1234; ++i) paths.push_back("layers/" + std::to_string(i * 37 % 1234) + "/w");
  Configs("r1", paths);
  model::LogBatch series;
  series.series.push_back({"train/loss", model::AttrType::kFloatSeries, {1, 2, 3}, {1, 1, 1},
                           {0.5, 0.4, 0.3}, {}});
  ASSERT_TRUE(tracker_->Log(kProject, "r1", std::move(series)).ok());
  paths.push_back("train/loss");
  std::sort(paths.begin(), paths.end());
  for (size_t limit : {1, 7, 100, 1234, 1235, 1236, 10000}) {
    auto got = All(
        limit, [&](const PageRequest& r) { return tracker_->Attributes(kProject, "r1", "", r); },
        [](const storage::AttributeInfo& a) { return a.path; });
    EXPECT_EQ(got, paths) << limit;
  }
  // Counts are filled in for series on a page.
  auto page = tracker_->Attributes(kProject, "r1", "^train/", PageRequest{});
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].count, 3);
  EXPECT_TRUE(page->next_page_token.empty());
  // The unpaged overload still returns everything.
  auto all = tracker_->Attributes(kProject, "r1", "");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), paths.size());
}

TEST_F(PagingTest, AttributesFilteredByPattern) {
  Create(kProject, "r1");
  std::vector<std::string> paths, want;
  for (int i = 0; i < 500; ++i) paths.push_back("m/" + std::to_string(1000 + i));
  Configs("r1", paths);
  auto pattern = "[02468]$";
  for (const auto& p : paths)
    if (std::string("02468").find(p.back()) != std::string::npos) want.push_back(p);
  for (size_t limit : {1, 9, 250, 251, 1000}) {
    auto got = All(
        limit,
        [&](const PageRequest& r) { return tracker_->Attributes(kProject, "r1", pattern, r); },
        [](const storage::AttributeInfo& a) { return a.path; });
    EXPECT_EQ(got, want) << limit;
  }
  EXPECT_EQ(tracker_->Attributes(kProject, "r1", "(", PageRequest{}).status().code(),
            Code::kInvalidArgument);
}

TEST_F(PagingTest, SparseFilterScansBoundedRowsPerPage) {
  Create(kProject, "r1");
  std::vector<std::string> paths;
  for (size_t i = 0; i < model::kMaxPageScanRows + 500; ++i)
    paths.push_back("a/" + std::to_string(1'000'000 + i));
  for (size_t at = 0; at < paths.size(); at += model::Limits{}.max_configs_per_batch)
    Configs("r1", std::vector<std::string>(
                      paths.begin() + static_cast<ptrdiff_t>(at),
                      paths.begin() + static_cast<ptrdiff_t>(std::min(
                                          paths.size(), at + model::Limits{}.max_configs_per_batch))));
  Configs("r1", {"z/needle"});
  auto p1 = tracker_->Attributes(kProject, "r1", "needle", PageRequest{});
  ASSERT_TRUE(p1.ok());
  EXPECT_TRUE(p1->items.empty());              // the budget ran out first
  ASSERT_FALSE(p1->next_page_token.empty());  // but the list goes on
  auto p2 = tracker_->Attributes(kProject, "r1", "needle", {1000, p1->next_page_token});
  ASSERT_TRUE(p2.ok());
  ASSERT_EQ(p2->items.size(), 1u);
  EXPECT_EQ(p2->items[0].path, "z/needle");
  EXPECT_TRUE(p2->next_page_token.empty());
}

TEST_F(PagingTest, AttributeTokensSurviveInserts) {
  Create(kProject, "r1");
  Configs("r1", {"b", "d", "f", "h", "j"});
  auto fetch = [&](const PageRequest& r) { return tracker_->Attributes(kProject, "r1", "", r); };
  auto p1 = fetch({2, ""});
  ASSERT_TRUE(p1.ok());
  ASSERT_EQ(p1->items.size(), 2u);
  ASSERT_FALSE(p1->next_page_token.empty());
  Configs("r1", {"a", "c", "e", "k"});
  auto p2 = fetch({2, p1->next_page_token});
  ASSERT_TRUE(p2.ok());
  Configs("r1", {"g", "ee"});  // "ee" lands behind the cursor once p2 is read
  std::vector<std::string> got;
  for (auto* p : {&p1.value(), &p2.value()})
    for (const auto& a : p->items) got.push_back(a.path);
  PageRequest r{2, p2->next_page_token};
  while (!r.page_token.empty()) {
    auto p = fetch(r);
    ASSERT_TRUE(p.ok());
    for (const auto& a : p->items) got.push_back(a.path);
    r.page_token = p->next_page_token;
  }
  EXPECT_EQ(got, (std::vector<std::string>{"b", "d", "e", "f", "g", "h", "j", "k"}));
}

TEST_F(PagingTest, ProjectPathsPageOverTheCatalogue) {
  Create(kProject, "r1");
  Create(kProject, "r2");
  std::vector<std::string> paths;
  for (int i = 0; i < 300; ++i) paths.push_back("cfg/" + std::to_string(i * 7 % 300));
  Configs("r1", std::vector<std::string>(paths.begin(), paths.begin() + 200));
  Configs("r2", std::vector<std::string>(paths.begin() + 100, paths.end()));
  std::set<std::string> want(paths.begin(), paths.end());
  auto fetch = [&](const PageRequest& r) { return tracker_->ProjectPaths(kProject, r); };
  for (size_t limit : {1, 13, 299, 300, 301}) {
    auto got = All(limit, fetch, [](const PathSummary& s) { return s.path; });
    EXPECT_EQ(got, std::vector<std::string>(want.begin(), want.end())) << limit;
  }
  // Types and run counts come with each path.
  const std::string& shared = paths[150];  // logged to both runs
  auto page = fetch({1, EncodePageToken(PageKind::kPaths, *std::prev(want.find(shared)))});
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].path, shared);
  ASSERT_EQ(page->items[0].types.size(), 1u);
  EXPECT_EQ(page->items[0].types[0].second, 2u);  // in both runs

  // New paths between pages: those after the cursor are seen, once.
  auto p1 = fetch({100, ""});
  ASSERT_TRUE(p1.ok());
  std::string last = p1->items.back().path;
  Configs("r1", {"a/first", "zz/last", last + "0"});
  std::vector<std::string> rest;
  PageRequest r{100, p1->next_page_token};
  while (!r.page_token.empty()) {
    auto p = fetch(r);
    ASSERT_TRUE(p.ok());
    for (const auto& s : p->items) rest.push_back(s.path);
    r.page_token = p->next_page_token;
  }
  EXPECT_EQ(std::count(rest.begin(), rest.end(), "zz/last"), 1);
  EXPECT_EQ(std::count(rest.begin(), rest.end(), last + "0"), 1);
  EXPECT_EQ(std::count(rest.begin(), rest.end(), "a/first"), 0);
  EXPECT_TRUE(std::is_sorted(rest.begin(), rest.end()));
  EXPECT_GT(rest.front(), last);
  // Unpaged: everything, sorted.
  auto all = tracker_->ProjectPaths(kProject);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), want.size() + 3);
}

TEST_F(PagingTest, ProjectsAndViews) {
  std::vector<std::string> want;
  for (const char* ws : {"a", "a-b", "a.b", "b"})
    for (const char* name : {"x", "y"}) {
      Create({ws, name}, "r");
      want.push_back(std::string(ws) + "/" + name);
    }
  // (workspace, name) order: "a/x", "a/y", then "a-b/…"
  for (size_t limit : {1, 3, 8, 9}) {
    auto got = All(
        limit, [&](const PageRequest& r) { return tracker_->ListProjects(r); },
        [](const storage::ProjectInfo& p) { return p.workspace + "/" + p.name; });
    EXPECT_EQ(got, want) << limit;
  }
  auto bad = tracker_->ListProjects({10, EncodePageToken(PageKind::kProjects, "no-slash")});
  EXPECT_EQ(bad.status().message(), "page_token: malformed");

  std::set<std::string> views;
  for (int i = 0; i < 25; ++i) {
    std::string name = "view " + std::to_string(i);
    views.insert(name);
    ASSERT_TRUE(tracker_->PutView({"a", "x"}, name, "{}").ok());
  }
  for (size_t limit : {1, 4, 25, 26}) {
    auto got = All(
        limit, [&](const PageRequest& r) { return tracker_->ListViews({"a", "x"}, r); },
        [](const storage::SavedView& v) { return v.name; });
    EXPECT_EQ(got, std::vector<std::string>(views.begin(), views.end())) << limit;
  }
  EXPECT_EQ(tracker_->ListViews({"a", "x"}).value().size(), views.size());
}

TEST_F(PagingTest, BadLimitsAndTokensAreRefusedEverywhere) {
  Create(kProject, "r1");
  Configs("r1", {"x"});
  std::string foreign = EncodePageToken(PageKind::kViews, "x");
  for (PageRequest r : {PageRequest{0, ""}, PageRequest{model::kMaxPageLimit + 1, ""},
                        PageRequest{10, "%%%"}, PageRequest{10, foreign}}) {
    EXPECT_EQ(tracker_->Attributes(kProject, "r1", "", r).status().code(),
              Code::kInvalidArgument);
    EXPECT_EQ(tracker_->ProjectPaths(kProject, r).status().code(), Code::kInvalidArgument);
    EXPECT_EQ(tracker_->ListProjects(r).status().code(), Code::kInvalidArgument);
  }
  EXPECT_EQ(tracker_->ListViews(kProject, PageRequest{10, EncodePageToken(PageKind::kPaths, "x")})
                .status()
                .code(),
            Code::kInvalidArgument);
}

// Limits in the core: a call with an over-limit op is refused with no decoder.
TEST_F(PagingTest, CoreRefusesOverLimitOps) {
  Create(kProject, "r1");
  RunsQuery q;
  q.limit = model::kMaxRunsLimit + 1;
  auto r = tracker_->QueryRuns(kProject, q);
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "limit: expected an integer from 0 to 10000");
  q.limit = model::kMaxRunsLimit;
  q.offset = model::kMaxRunsOffset + 1;
  r = tracker_->QueryRuns(kProject, q);
  EXPECT_EQ(r.status().message(), "offset: expected an integer from 0 to 100000000");
  q.offset = model::kMaxRunsOffset;
  EXPECT_TRUE(tracker_->QueryRuns(kProject, q).ok());
  q.offset = 0;
  q.sort.push_back({"", false});
  EXPECT_EQ(tracker_->QueryRuns(kProject, q).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(RunsQuery{}.limit, model::kDefaultRunsLimit);

  model::LogBatch b;
  b.series.push_back({"m", model::AttrType::kFloatSeries, {1, model::kMaxAbsMicroStep}, {1, 1},
                      {1, 2}, {}});
  auto st = tracker_->Log(kProject, "r1", b).status();
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_NE(st.message().find("series[0].steps[1]"), std::string::npos) << st.message();
  b.series[0].steps[1] = 2;
  b.series[0].ts[0] = -5;
  st = tracker_->Log(kProject, "r1", b).status();
  EXPECT_NE(st.message().find("series[0].timestamps[0]"), std::string::npos) << st.message();

  model::LogBatch set;
  std::vector<std::string> items;
  for (int i = 0; i < 10'001; ++i) items.push_back(std::to_string(i));
  set.configs.push_back({"datasets", model::Value::StringSet(items)});
  EXPECT_EQ(tracker_->Log(kProject, "r1", set).status().code(), Code::kTooLarge);

  model::CreateRunOp op;
  op.run_id = "r2";
  op.fork_run_id = "r1";
  op.fork_step = model::kMaxAbsMicroStep;
  EXPECT_EQ(tracker_->CreateRun(kProject, op).status().code(), Code::kInvalidArgument);
  op.fork_step = 1;
  op.created_us = model::kMaxTimestampUs + 1;
  EXPECT_EQ(tracker_->CreateRun(kProject, op).status().code(), Code::kInvalidArgument);

  SeriesRequest sr;
  sr.run_ids = {"r1"};
  sr.path = "m";
  sr.time_range = {{10, 5}};
  EXPECT_EQ(tracker_->ReadSeries(kProject, sr).status().message(),
            "time_range: start is after end");
  sr.time_range.reset();
  sr.buckets = 0;
  EXPECT_EQ(tracker_->ReadSeries(kProject, sr).status().message(),
            "buckets: expected an integer from 1 to 100000");
  sr.buckets.reset();
  sr.limit = model::kMaxSeriesPointsLimit + 1;
  EXPECT_EQ(tracker_->ReadSeries(kProject, sr).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(tracker_->PutView(kProject, "v", std::string(model::kMaxViewStateBytes + 1, ' '))
                .code(),
            Code::kTooLarge);
}

}  // namespace
}  // namespace sextant::core
