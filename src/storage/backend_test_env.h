// The conformance suite's fixture: every backend test runs over every
// backend (GoogleTest TEST_P). SQLite always, in a temporary folder;
// PostgreSQL when SEXTANT_TEST_POSTGRES names a server
// (postgresql://user@host:port/db), each test in a schema of its own that is
// dropped afterwards. The test command starts such a server
// (scripts/postgres.sh).
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "storage/backend.h"
#include "storage/open_backend.h"
#include "storage/postgres/pg_conn.h"

namespace sextant::storage {

inline std::vector<std::string> BackendKinds() {
  std::vector<std::string> kinds = {"sqlite"};
  const char* pg = std::getenv("SEXTANT_TEST_POSTGRES");
  if (pg && *pg) kinds.push_back("postgres");
  return kinds;
}

// Test names end in the backend's name (…/sqlite, …/postgres), so that the
// test command can pick one: --gtest_filter='Backends/*/postgres'.
inline std::string BackendName(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

class BackendEnv : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (char& c : name)
      if (!isalnum(static_cast<unsigned char>(c))) c = '_';
    std::string unique = std::to_string(::getpid()) + "_" + std::to_string(std::random_device{}() % 100000);
    if (GetParam() == "postgres") {
      base_ = std::getenv("SEXTANT_TEST_POSTGRES");
      schema_ = "t_" + unique + "_" + name.substr(0, 30);
      std::string sep = base_.find('?') == std::string::npos ? "?" : "&";
      url_ = base_ + sep + "options=-csearch_path%3D" + schema_;
    } else {
      dir_ = std::filesystem::temp_directory_path() / ("sextant-backend-" + unique + "-" + name);
      std::filesystem::remove_all(dir_);
      std::filesystem::create_directories(dir_);
      url_ = "sqlite://" + (dir_ / "t.db").string();
    }
    Open();
  }
  void TearDown() override {
    backend_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
    if (!schema_.empty()) {
      auto c = postgres::Conn::Open(base_);
      if (c.ok()) (void)(*c)->Exec("DROP SCHEMA IF EXISTS " + postgres::QuoteIdent(schema_) + " CASCADE");
    }
  }
  // (Re)opens the backend on the same store.
  void Open() {
    backend_.reset();
    StoreOptions o;
    o.url = url_;
    o.fsync_commits = false;
    auto b = OpenBackend(o);
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    backend_ = std::move(b).value();
  }

  // Creates (or resumes) run `id` in project `p`.
  RunInfo NewRun(const std::string& id, const model::ProjectName& p = {"ws", "p"}) {
    model::CreateRunOp op;
    op.run_id = id;
    op.name = id;
    auto r = backend_->CreateOrResumeRun(p, op, 1);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->first : RunInfo{};
  }

  std::unique_ptr<Backend> backend_;

 protected:
  std::string url_;             // the store's URL
  std::filesystem::path dir_;   // SQLite's folder (empty for PostgreSQL)

 private:
  std::string base_, schema_;
};

}  // namespace sextant::storage
