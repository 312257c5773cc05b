// A Tracker on a fresh temporary data folder per test (no fsync, no
// background compaction), for the core's tests.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "core/tracker.h"

namespace sextant::core {

class TrackerFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("sextant-core-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->test_suite_name() + "-" +
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
  std::filesystem::path dir_;
  std::unique_ptr<Tracker> tracker_;
};

}  // namespace sextant::core
