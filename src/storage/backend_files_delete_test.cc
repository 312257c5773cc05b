// Backend::DeleteFiles: file attributes and file series go, configs and
// series at the same paths stay, and a path can be written again afterwards.
#include <gtest/gtest.h>

#include <filesystem>

#include "storage/backend.h"
#include "storage/backend_test_env.h"

namespace sextant::storage {
namespace {

class DeleteFilesTest : public BackendEnv {
 protected:
  void Put(const RunInfo& run, const std::string& path, std::optional<int64_t> step,
           const std::string& digest, int64_t size) {
    FileRef ref{digest, size, path.substr(path.rfind('/') + 1), 0};
    ASSERT_TRUE(backend_->PutFile(run, path, step, ref, 10, nullptr).ok());
  }
  bool Has(const RunInfo& run, const std::string& path) {
    auto a = backend_->FindAttribute(run.id, path);
    EXPECT_TRUE(a.ok());
    return a.ok() && a.value().has_value();
  }

};

TEST_P(DeleteFilesTest, DeletesFilesAndFileSeriesOnly) {
  RunInfo run = NewRun("r1");
  RunInfo other = NewRun("r2");
  Put(run, "artifacts/a.txt", std::nullopt, "d1", 5);
  Put(run, "artifacts/dir/b.bin", std::nullopt, "d2", 7);
  Put(run, "images/x", 0, "d3", 3);
  Put(run, "images/x", 1, "d4", 4);
  Put(other, "artifacts/a.txt", std::nullopt, "d1", 5);
  model::LogBatch b;
  b.configs.emplace_back("params/lr", model::Value::String("0.1"));
  ASSERT_TRUE(backend_->Log(run, b, {}, 5, nullptr).ok());

  int commits = 0;
  Status st = backend_->DeleteFiles(
      run, {"artifacts/a.txt", "images/x", "params/lr", "artifacts/missing"}, 20,
      [&] { ++commits; });
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(commits, 1);

  EXPECT_FALSE(Has(run, "artifacts/a.txt"));
  EXPECT_FALSE(Has(run, "images/x"));
  EXPECT_TRUE(Has(run, "artifacts/dir/b.bin"));
  EXPECT_TRUE(Has(run, "params/lr"));  // not a file: kept
  EXPECT_TRUE(Has(other, "artifacts/a.txt"));  // another run's file: kept
  EXPECT_EQ(backend_->GetFile(run.id, "artifacts/a.txt", std::nullopt).status().code(),
            Code::kNotFound);
  EXPECT_EQ(backend_->GetFile(run.id, "images/x", 1).status().code(), Code::kNotFound);
  auto kept = backend_->GetFile(other.id, "artifacts/a.txt", std::nullopt);
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->digest, "d1");

  auto got = backend_->GetRunById(run.id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->updated_us, 20);

  auto attrs = backend_->ListAttributes(run.id);
  ASSERT_TRUE(attrs.ok());
  std::vector<std::string> paths;
  for (const auto& a : attrs.value()) paths.push_back(a.path);
  EXPECT_EQ(paths, (std::vector<std::string>{"artifacts/dir/b.bin", "params/lr"}));
}

TEST_P(DeleteFilesTest, PathCanBeWrittenAgainAfterDelete) {
  RunInfo run = NewRun("r1");
  Put(run, "artifacts/a.txt", std::nullopt, "d1", 5);  // caches the attribute id
  ASSERT_TRUE(backend_->DeleteFiles(run, {"artifacts/a.txt"}, 20, nullptr).ok());
  Put(run, "artifacts/a.txt", std::nullopt, "d2", 6);
  auto f = backend_->GetFile(run.id, "artifacts/a.txt", std::nullopt);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->digest, "d2");
  EXPECT_EQ(f->size, 6);
  auto a = backend_->FindAttribute(run.id, "artifacts/a.txt");
  ASSERT_TRUE(a.ok() && a.value());
  EXPECT_EQ(a.value()->value.s, "d2");
  EXPECT_EQ(a.value()->value.i, 6);
  EXPECT_EQ(a.value()->count, 1);

  // Deleted, then written as another type: no conflict with the old row.
  ASSERT_TRUE(backend_->DeleteFiles(run, {"artifacts/a.txt"}, 30, nullptr).ok());
  model::LogBatch b;
  b.configs.emplace_back("artifacts/a.txt", model::Value::Int(3));
  ASSERT_TRUE(backend_->Log(run, b, {}, 40, nullptr).ok());
  Open();  // and it all survives a reopen
  a = backend_->FindAttribute(run.id, "artifacts/a.txt");
  ASSERT_TRUE(a.ok() && a.value());
  EXPECT_EQ(a.value()->type, model::AttrType::kInt);
}

TEST_P(DeleteFilesTest, NothingToDeleteIsOk) {
  RunInfo run = NewRun("r1");
  EXPECT_TRUE(backend_->DeleteFiles(run, {}, 20, nullptr).ok());
  EXPECT_TRUE(backend_->DeleteFiles(run, {"artifacts/none"}, 20, nullptr).ok());
  auto got = backend_->GetRunById(run.id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->updated_us, 1);  // untouched
}

INSTANTIATE_TEST_SUITE_P(Backends, DeleteFilesTest, ::testing::ValuesIn(BackendKinds()), BackendName);

}  // namespace
}  // namespace sextant::storage
