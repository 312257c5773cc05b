// Keyset pages of the SQLite backend: attributes, projects and views come
// back in byte order after the given key, `limit` at a time, and a cursor
// stays valid while rows are inserted around it.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <set>

#include "storage/backend.h"
#include "storage/backend_test_env.h"

namespace sextant::storage {
namespace {

class PagingBackendTest : public BackendEnv {
 protected:
  void AddConfigs(const RunInfo& run, const std::vector<std::string>& paths) {
    model::LogBatch b;
    for (const auto& p : paths) b.configs.push_back({p, model::Value::Int(1)});
    ASSERT_TRUE(backend_->Log(run, b, {}, 2, nullptr).ok());
  }
  std::vector<std::string> AllAttributePaths(int64_t run_id, size_t limit) {
    std::vector<std::string> out;
    std::string after;
    for (;;) {
      auto page = backend_->ListAttributesAfter(run_id, after, limit);
      EXPECT_TRUE(page.ok()) << page.status().ToString();
      if (!page.ok() || page->empty()) break;
      EXPECT_LE(page->size(), limit);
      for (const auto& a : *page) out.push_back(a.path);
      after = page->back().path;
    }
    return out;
  }

};

TEST_P(PagingBackendTest, AttributesComeOnceEachInByteOrder) {
  RunInfo run = NewRun("r1");
  RunInfo other = NewRun("r2");
  std::vector<std::string> paths;
  std::mt19937 rng(3);
  for (int i = 0; i < 500; ++i)
    paths.push_back("layer" + std::to_string(rng() % 100000) + "/grad-norm_" + std::to_string(i));
  paths.push_back("a");
  paths.push_back("a/b");
  paths.push_back("a-b");
  paths.push_back("\xc3\xa9t\xc3\xa9");  // UTF-8 sorts after ASCII, as bytes
  AddConfigs(run, paths);
  AddConfigs(other, {"zzz", "a/other"});
  std::sort(paths.begin(), paths.end());
  for (size_t limit : {1, 3, 64, 503, 504, 505, 10000})
    EXPECT_EQ(AllAttributePaths(run.id, limit), paths) << limit;
  auto all = backend_->ListAttributes(run.id);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), paths.size());
}

TEST_P(PagingBackendTest, CursorSurvivesInserts) {
  RunInfo run = NewRun("r1");
  AddConfigs(run, {"b", "d", "f", "h"});
  auto first = backend_->ListAttributesAfter(run.id, "", 2);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->size(), 2u);
  EXPECT_EQ(first->back().path, "d");
  AddConfigs(run, {"a", "c", "e", "z"});  // before and after the cursor
  std::vector<std::string> rest;
  std::string after = "d";
  for (;;) {
    auto page = backend_->ListAttributesAfter(run.id, after, 2);
    ASSERT_TRUE(page.ok());
    if (page->empty()) break;
    for (const auto& a : *page) rest.push_back(a.path);
    after = page->back().path;
  }
  EXPECT_EQ(rest, (std::vector<std::string>{"e", "f", "h", "z"}));
}

TEST_P(PagingBackendTest, ProjectsInWorkspaceThenNameOrder) {
  // (workspace, name) order differs from "workspace/name" text order: '-'
  // and '.' sort before '/'.
  std::vector<model::ProjectName> names = {{"a", "x"}, {"a-b", "y"}, {"a.b", "z"},
                                           {"a", "a-1"}, {"b", "q"},   {"a", "a"}};
  for (const auto& n : names) NewRun("r", n);
  std::sort(names.begin(), names.end(), [](const auto& x, const auto& y) {
    return std::tie(x.workspace, x.name) < std::tie(y.workspace, y.name);
  });
  for (size_t limit : {1, 2, 5, 100}) {
    std::vector<std::string> got;
    model::ProjectName after;
    for (;;) {
      auto page = backend_->ListProjectsAfter(after, limit);
      ASSERT_TRUE(page.ok());
      if (page->empty()) break;
      for (const auto& p : *page) {
        got.push_back(p.workspace + "/" + p.name);
        EXPECT_EQ(p.num_runs, 1);
      }
      after = {page->back().workspace, page->back().name};
    }
    std::vector<std::string> want;
    for (const auto& n : names) want.push_back(n.Full());
    EXPECT_EQ(got, want) << limit;
  }
}

TEST_P(PagingBackendTest, ViewsByName) {
  RunInfo run = NewRun("r1");
  std::set<std::string> want;
  for (int i = 0; i < 37; ++i) {
    std::string name = "view " + std::to_string(i * 7919 % 1000);
    want.insert(name);
    ASSERT_TRUE(backend_->PutView(run.project_id, {name, "{}", i}).ok());
  }
  for (size_t limit : {1, 10, 36, 37, 38}) {
    std::vector<std::string> got;
    std::string after;
    for (;;) {
      auto page = backend_->ListViewsAfter(run.project_id, after, limit);
      ASSERT_TRUE(page.ok());
      if (page->empty()) break;
      for (const auto& v : *page) got.push_back(v.name);
      after = page->back().name;
    }
    EXPECT_EQ(got, std::vector<std::string>(want.begin(), want.end())) << limit;
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, PagingBackendTest, ::testing::ValuesIn(BackendKinds()), BackendName);

}  // namespace
}  // namespace sextant::storage
