#include "model/rules.h"

#include <gtest/gtest.h>

namespace sextant::model {
namespace {

TEST(CheckResumedFork, ANamedForkMustBeTheStoredOne) {
  CreateRunOp plain;
  plain.run_id = "r";
  CreateRunOp fork = plain;
  fork.fork_run_id = "parent";
  fork.fork_step = 10 * kStepScale;
  // Naming no fork resumes any run, forked or not.
  EXPECT_TRUE(CheckResumedFork("r", std::nullopt, std::nullopt, plain).ok());
  EXPECT_TRUE(CheckResumedFork("r", "parent", 10 * kStepScale, plain).ok());
  // The same fork resumes; another parent, another step or none stored conflict.
  EXPECT_TRUE(CheckResumedFork("r", "parent", 10 * kStepScale, fork).ok());
  EXPECT_EQ(CheckResumedFork("r", "parent", 11 * kStepScale, fork).code(), Code::kConflict);
  EXPECT_EQ(CheckResumedFork("r", "other", 10 * kStepScale, fork).code(), Code::kConflict);
  Status none = CheckResumedFork("r", std::nullopt, std::nullopt, fork);
  EXPECT_EQ(none.code(), Code::kConflict);
  EXPECT_NE(none.message().find("run 'r' exists with different fork parameters"), std::string::npos);
}

}  // namespace
}  // namespace sextant::model
