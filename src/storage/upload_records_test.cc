// Upload records over both stores (files in a folder; PostgreSQL when
// SEXTANT_TEST_POSTGRES is set): an upload and the references waiting for
// it meet exactly once, in either order, also when they reach two
// different instances (replicas) at the same moment.
#include <atomic>
#include <thread>

#include "storage/backend_test_env.h"
#include "storage/upload_records.h"

namespace sextant::storage {
namespace {

class UploadRecordsTest : public BackendEnv {
 protected:
  std::unique_ptr<UploadRecords> Open() {
    auto u = OpenUploadRecords(url_, dir_.empty() ? "" : (dir_ / "neptune-uploads").string());
    EXPECT_TRUE(u.ok()) << u.status().ToString();
    return u.ok() ? std::move(u).value() : nullptr;
  }
  static UploadRecord Record(const std::string& digest_char, uint64_t size) {
    return UploadRecord{{std::string(64, digest_char[0]), size}, "model.pt"};
  }
  const model::ProjectName p_{"ws", "p"};
};

TEST_P(UploadRecordsTest, ReferenceFirstThenUpload) {
  auto u = Open();
  ASSERT_TRUE(u);
  auto none = u->GetOrWait(p_, "runs/a/model.pt", {"run-a", "model", std::nullopt});
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_FALSE(none->has_value());
  ASSERT_TRUE(u->GetOrWait(p_, "runs/a/model.pt", {"run-b", "ckpt", 7}).ok());
  EXPECT_FALSE(u->Get(p_, "runs/a/model.pt")->has_value());

  auto taken = u->Put(p_, "runs/a/model.pt", Record("a", 42));
  ASSERT_TRUE(taken.ok()) << taken.status().ToString();
  ASSERT_EQ(taken->size(), 2u);
  EXPECT_EQ((*taken)[0].run_id, "run-a");
  EXPECT_EQ((*taken)[0].path, "model");
  EXPECT_FALSE((*taken)[0].step);
  EXPECT_EQ((*taken)[1].step, std::optional<int64_t>(7));

  auto got = u->Get(p_, "runs/a/model.pt");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->blob.digest, std::string(64, 'a'));
  EXPECT_EQ((*got)->blob.size, 42u);
  EXPECT_EQ((*got)->filename, "model.pt");
  // Taken once: a second upload of the path finds nobody waiting.
  EXPECT_TRUE(u->Put(p_, "runs/a/model.pt", Record("b", 43))->empty());
  EXPECT_EQ(u->Get(p_, "runs/a/model.pt").value()->blob.size, 43u);
  // Other projects and paths are apart.
  EXPECT_FALSE(u->Get({"ws", "q"}, "runs/a/model.pt")->has_value());
  EXPECT_FALSE(u->Get(p_, "runs/a/model.pt2")->has_value());
}

TEST_P(UploadRecordsTest, UploadFirstThenReferenceFromAnotherInstance) {
  auto a = Open(), b = Open();
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->Put(p_, "x/y", Record("c", 1))->empty());
  auto got = b->GetOrWait(p_, "x/y", {"r", "f", std::nullopt});
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->blob.digest, std::string(64, 'c'));
}

// An upload and references at once (on two instances, as two replicas, with
// PostgreSQL; files serve one process): every reference is either answered
// with the upload or handed to Put, once.
TEST_P(UploadRecordsTest, RacingUploadAndReferencesMeetExactlyOnce) {
  auto a = Open();
  auto other = GetParam() == "postgres" ? Open() : nullptr;
  UploadRecords* b = other ? other.get() : a.get();
  ASSERT_TRUE(a && b);
  for (int round = 0; round < 20; ++round) {
    const std::string path = "race/" + std::to_string(round);
    constexpr int kRefs = 8;
    std::atomic<int> answered{0};
    std::vector<PendingAttachment> handed;
    std::vector<std::thread> refs;
    for (int i = 0; i < kRefs; ++i)
      refs.emplace_back([&, i] {
        auto r = b->GetOrWait(p_, path, {"run" + std::to_string(i), "f", std::nullopt});
        ASSERT_TRUE(r.ok()) << r.status().ToString();
        if (r->has_value()) ++answered;
      });
    std::thread up([&] {
      auto r = a->Put(p_, path, Record("d", 5));
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      handed = std::move(r).value();
    });
    for (auto& t : refs) t.join();
    up.join();
    EXPECT_EQ(answered.load() + static_cast<int>(handed.size()), kRefs) << path;
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, UploadRecordsTest, ::testing::ValuesIn(BackendKinds()), BackendName);

}  // namespace
}  // namespace sextant::storage
