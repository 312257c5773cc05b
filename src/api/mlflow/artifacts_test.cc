#include "api/mlflow/artifacts.h"

#include <gtest/gtest.h>

#include "model/limits.h"

namespace sextant::api::mlflow {
namespace {

TEST(ArtifactPathTest, RunArtifacts) {
  auto a = ParseArtifactPath("1/0123abcd/artifacts/dir/sub/b.bin");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->experiment_id, "1");
  EXPECT_EQ(a->run_id, "0123abcd");
  EXPECT_EQ(a->rel, "dir/sub/b.bin");
  EXPECT_EQ(a->AttributePath(), "artifacts/dir/sub/b.bin");
}

TEST(ArtifactPathTest, RunArtifactRoot) {
  auto a = ParseArtifactPath("0/r1/artifacts");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->experiment_id, "0");
  EXPECT_EQ(a->run_id, "r1");
  EXPECT_EQ(a->rel, "");
  EXPECT_EQ(a->AttributePath(), "artifacts");
}

TEST(ArtifactPathTest, LoggedModelArtifacts) {
  auto a = ParseArtifactPath("3/models/m-0123/artifacts/MLmodel");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->experiment_id, "3");
  EXPECT_EQ(a->run_id, "m-0123");
  EXPECT_EQ(a->rel, "MLmodel");

  a = ParseArtifactPath("3/models/m-0123/artifacts");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->run_id, "m-0123");
  EXPECT_EQ(a->rel, "");
}

TEST(ArtifactPathTest, RunCalledModels) {
  // A run whose id is "models": "<exp>/models/artifacts/x" is that run's x.
  auto a = ParseArtifactPath("1/models/artifacts/x");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->run_id, "models");
  EXPECT_EQ(a->rel, "x");
}

TEST(ArtifactPathTest, ArtifactsInsideRelPath) {
  auto a = ParseArtifactPath("1/r/artifacts/artifacts/models/x");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->run_id, "r");
  EXPECT_EQ(a->rel, "artifacts/models/x");
}

TEST(ArtifactPathTest, UnsafePathsAreInvalid) {
  for (const char* p : {"", "/1/r/artifacts/a", "1/r/artifacts/../x", "1/r/artifacts/./x",
                        "1/r/artifacts/a/..", "../1/r/artifacts/a", "1/../r/artifacts",
                        "1/r/artifacts//a", "1/r/artifacts/a/", "1//r/artifacts",
                        "1/r/artifacts/a\\b", "1\\r\\artifacts\\a", "1/r/artifacts/a\x01",
                        "1/r/artifacts/\xff\xfe"}) {
    auto a = ParseArtifactPath(p);
    EXPECT_EQ(a.status().code(), Code::kInvalidArgument) << "'" << p << "'";
    if (!a.ok()) {
      EXPECT_NE(a.status().message().find("Invalid path"), std::string::npos);
    }
  }
}

TEST(ArtifactPathTest, TooLongRelIsInvalid) {
  std::string p = "1/r/artifacts/" + std::string(model::kMaxPathBytes, 'a');
  EXPECT_EQ(ParseArtifactPath(p).status().code(), Code::kInvalidArgument);
}

TEST(ArtifactPathTest, OtherLayoutsAreMissing) {
  for (const char* p : {"1", "1/r", "1/r/other/a", "1/models/m", "1/models/m/other/x", "x/y/z"}) {
    auto a = ParseArtifactPath(p);
    EXPECT_EQ(a.status().code(), Code::kNotFound) << p;
    if (!a.ok()) {
      EXPECT_EQ(a.status().message(), "No such artifact: '" + std::string(p) + "'");
    }
  }
}

}  // namespace
}  // namespace sextant::api::mlflow
