// Single-threaded behaviour of the local blob store. Streaming of large blobs
// and concurrency are in local_blob_store_stream_test.cc.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cctype>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "storage/blobs/blob_store.h"
#include "storage/blobs/blob_test_util.h"

namespace sextant::blobs {
namespace {

namespace fs = std::filesystem;
using testing::CountFiles;
using testing::Put;
using testing::ReadAll;
using testing::Sha256Hex;

constexpr char kEmptyDigest[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

class LocalBlobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<std::unique_ptr<BlobStore>> s = OpenLocalBlobStore(root_.store_root());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
  }
  fs::path StoreDir() const { return fs::path(root_.store_root()); }
  int TempFiles() const { return CountFiles(StoreDir() / "tmp"); }
  int Blobs() const { return CountFiles(StoreDir() / "sha256"); }

  testing::TempRoot root_;
  std::unique_ptr<BlobStore> store_;
};

// Round trips, mismatches, dedup and aborts for every store are in
// blob_store_conformance_test.cc; here, what is particular to the folder.
TEST_F(LocalBlobStoreTest, CommitLeavesNoTempFile) {
  Result<BlobInfo> info = Put(*store_, "loss: 0.25\nlr: 3e-4\n", 7);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(Blobs(), 1);
  EXPECT_EQ(TempFiles(), 0);
}

TEST_F(LocalBlobStoreTest, OnDiskLayoutIsShardedAndReadOnly) {
  BlobInfo info = Put(*store_, "plot.png bytes").value();
  fs::path p = StoreDir() / "sha256" / info.digest.substr(0, 2) / info.digest.substr(2, 2) /
               info.digest;
  struct stat st;
  ASSERT_EQ(::stat(p.c_str(), &st), 0) << p;
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_mode & 0222, 0u) << "blobs are immutable";
}

TEST_F(LocalBlobStoreTest, SameContentIsStoredOnce) {
  BlobInfo a = Put(*store_, "same bytes", 3).value();
  const fs::path p = StoreDir() / "sha256" / a.digest.substr(0, 2) / a.digest.substr(2, 2) /
                     a.digest;
  const auto old_time = fs::file_time_type::clock::now() - std::chrono::hours(2);
  fs::last_write_time(p, old_time);
  BlobInfo b = Put(*store_, "same bytes", 5).value();
  EXPECT_EQ(a.digest, b.digest);
  // A repeated commit refreshes mtime, which garbage collection relies on.
  EXPECT_GT(fs::last_write_time(p), old_time + std::chrono::hours(1));
  EXPECT_EQ(Blobs(), 1);
  EXPECT_EQ(TempFiles(), 0);
  EXPECT_EQ(ReadAll(*store_, a.digest).value(), "same bytes");
}

TEST_F(LocalBlobStoreTest, ExpectedChecksumIsVerified) {
  const std::string data = "checkpoint shard";
  const std::string good = Sha256Hex(data);
  const std::string wrong = Sha256Hex("something else");

  std::unique_ptr<BlobWriter> w = store_->NewWriter().value();
  ASSERT_TRUE(w->Append(data).ok());
  Result<BlobInfo> bad = w->Commit(wrong);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(bad.status().message(), "checksum mismatch: expected " + wrong + ", got " + good);
  EXPECT_FALSE(store_->Exists(good).value());
  EXPECT_EQ(Blobs(), 0);
  EXPECT_EQ(TempFiles(), 0);

  // Uppercase expected digests are accepted.
  std::string upper = good;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  w = store_->NewWriter().value();
  ASSERT_TRUE(w->Append(data).ok());
  Result<BlobInfo> ok = w->Commit(upper, static_cast<int64_t>(data.size()));
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->digest, good);
}

TEST_F(LocalBlobStoreTest, MalformedExpectedChecksumStoresNothing) {
  std::unique_ptr<BlobWriter> w = store_->NewWriter().value();
  ASSERT_TRUE(w->Append("x").ok());
  Result<BlobInfo> r = w->Commit("../../etc/passwd");
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(Blobs(), 0);
  EXPECT_EQ(TempFiles(), 0);
}

TEST_F(LocalBlobStoreTest, ExpectedSizeIsVerified) {
  std::unique_ptr<BlobWriter> w = store_->NewWriter().value();
  ASSERT_TRUE(w->Append("12345").ok());
  Result<BlobInfo> r = w->Commit({}, 6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "size mismatch: expected 6 bytes, got 5");
  EXPECT_EQ(Blobs(), 0);
  EXPECT_EQ(TempFiles(), 0);
}

TEST_F(LocalBlobStoreTest, AbortDiscardsUpload) {
  std::unique_ptr<BlobWriter> w = store_->NewWriter().value();
  ASSERT_TRUE(w->Append("partial").ok());
  EXPECT_EQ(TempFiles(), 1);
  w->Abort();
  w->Abort();  // idempotent
  EXPECT_EQ(TempFiles(), 0);
  EXPECT_EQ(w->Append("more").code(), Code::kInternal);
  EXPECT_EQ(w->Commit().status().code(), Code::kInternal);
  EXPECT_FALSE(store_->Exists(Sha256Hex("partial")).value());
}

TEST_F(LocalBlobStoreTest, DestructorWithoutCommitCleansUp) {
  {
    std::unique_ptr<BlobWriter> w = store_->NewWriter().value();
    ASSERT_TRUE(w->Append("abandoned").ok());
    EXPECT_EQ(TempFiles(), 1);
  }
  EXPECT_EQ(TempFiles(), 0);
  EXPECT_EQ(Blobs(), 0);
}

TEST_F(LocalBlobStoreTest, WriterIsFinishedAfterCommit) {
  std::unique_ptr<BlobWriter> w = store_->NewWriter().value();
  ASSERT_TRUE(w->Commit().ok());
  EXPECT_EQ(w->Append("late").code(), Code::kInternal);
  EXPECT_EQ(w->Commit().status().code(), Code::kInternal);
  w.reset();  // must not remove the committed blob
  EXPECT_TRUE(store_->Exists(kEmptyDigest).value());
}

TEST_F(LocalBlobStoreTest, RangedReads) {
  std::string data;
  for (int i = 0; i < 10000; ++i) data.push_back(static_cast<char>(i * 7 + i / 256));
  BlobInfo info = Put(*store_, data).value();
  std::unique_ptr<BlobReader> r = store_->Open(info.digest).value();
  ASSERT_EQ(r->size(), data.size());
  std::string out;

  ASSERT_TRUE(r->ReadAt(0, 100, &out).ok());
  EXPECT_EQ(out, data.substr(0, 100));
  ASSERT_TRUE(r->ReadAt(4321, 1234, &out).ok());
  EXPECT_EQ(out, data.substr(4321, 1234));
  ASSERT_TRUE(r->ReadAt(9990, 100, &out).ok());  // crosses the end
  EXPECT_EQ(out, data.substr(9990));
  ASSERT_TRUE(r->ReadAt(0, SIZE_MAX, &out).ok());  // n is clamped, not allocated
  EXPECT_EQ(out, data);
  ASSERT_TRUE(r->ReadAt(5, 0, &out).ok());
  EXPECT_EQ(out, "");
  for (uint64_t past : {uint64_t{10000}, uint64_t{10001}, UINT64_MAX}) {
    out = "junk";
    ASSERT_TRUE(r->ReadAt(past, 10, &out).ok()) << past;
    EXPECT_EQ(out, "") << past;
  }
}

TEST_F(LocalBlobStoreTest, MissingBlob) {
  const std::string d = Sha256Hex("never stored");
  EXPECT_EQ(store_->Open(d).status().code(), Code::kNotFound);
  EXPECT_FALSE(store_->Exists(d).value());
  EXPECT_EQ(store_->Remove(d).code(), Code::kNotFound);
}

TEST_F(LocalBlobStoreTest, InvalidDigestsNeverReachTheFilesystem) {
  // A file outside the store that a traversal would hit.
  const fs::path canary = root_.path() / "canary";
  std::ofstream(canary) << "keep me";
  std::string with_nul = std::string(64, 'a');
  with_nul[3] = '\0';
  const std::string bad[] = {"../../etc/passwd", "/etc/passwd", "../canary",
                             "../../" + std::string(58, 'a'), "/" + std::string(63, 'a'),
                             with_nul, std::string(100000, 'a'), "", std::string(64, 'z')};
  for (const std::string& d : bad) {
    EXPECT_EQ(store_->Open(d).status().code(), Code::kInvalidArgument);
    EXPECT_EQ(store_->Exists(d).status().code(), Code::kInvalidArgument);
    EXPECT_EQ(store_->Remove(d).code(), Code::kInvalidArgument);
  }
  EXPECT_TRUE(fs::exists(canary));
}

TEST_F(LocalBlobStoreTest, RemoveKeepsOpenReadersWorking) {
  BlobInfo info = Put(*store_, "garbage soon").value();
  std::unique_ptr<BlobReader> r = store_->Open(info.digest).value();
  ASSERT_TRUE(store_->Remove(info.digest).ok());
  EXPECT_FALSE(store_->Exists(info.digest).value());
  EXPECT_EQ(store_->Open(info.digest).status().code(), Code::kNotFound);
  std::string out;
  ASSERT_TRUE(r->ReadAt(0, 100, &out).ok());
  EXPECT_EQ(out, "garbage soon");
  // Storing it again after removal works.
  ASSERT_TRUE(Put(*store_, "garbage soon").ok());
  EXPECT_TRUE(store_->Exists(info.digest).value());
}

TEST_F(LocalBlobStoreTest, ReopenSeesEarlierBlobsAndDropsStaleTempFiles) {
  BlobInfo a = Put(*store_, "config.yaml").value();
  BlobInfo b = Put(*store_, std::string(100000, 'b')).value();
  // Temp files of a live upload in another process, and of a crashed one.
  const fs::path live = StoreDir() / "tmp" / "999-live.part";
  std::ofstream(live) << "in flight";
  const fs::path stale = StoreDir() / "tmp" / "1234-crashed.part";
  std::ofstream(stale) << "half a checkpoint";
  fs::last_write_time(stale, fs::file_time_type::clock::now() - std::chrono::hours(2));

  store_.reset();
  Result<std::unique_ptr<BlobStore>> reopened = OpenLocalBlobStore(root_.store_root());
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  store_ = std::move(reopened).value();

  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::exists(live)) << "a young temp file may belong to a live upload";
  EXPECT_EQ(ReadAll(*store_, a.digest).value(), "config.yaml");
  EXPECT_EQ(ReadAll(*store_, b.digest).value(), std::string(100000, 'b'));
}

TEST(LocalBlobStoreOpenTest, CreatesMissingParentsAndRejectsFiles) {
  testing::TempRoot root;
  const fs::path nested = root.path() / "a" / "b" / "blobs";
  Result<std::unique_ptr<BlobStore>> s = OpenLocalBlobStore(nested.string() + "/");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_TRUE(fs::is_directory(nested / "sha256"));
  EXPECT_TRUE(fs::is_directory(nested / "tmp"));

  const fs::path file = root.path() / "not_a_dir";
  std::ofstream(file) << "x";
  EXPECT_FALSE(OpenLocalBlobStore(file.string()).ok());
  EXPECT_EQ(OpenLocalBlobStore("").status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace sextant::blobs
