// I/O failures in the local blob store come back as Status values, never
// crashes, and leave no partial upload behind.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>

#include <filesystem>
#include <string>

#include "storage/blobs/blob_store.h"
#include "storage/blobs/blob_test_util.h"

namespace sextant::blobs {
namespace {

namespace fs = std::filesystem;
using testing::CountFiles;
using testing::Put;
using testing::Sha256Hex;

class LocalBlobStoreFailureTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = OpenLocalBlobStore(root_.store_root()).value(); }
  fs::path StoreDir() const { return fs::path(root_.store_root()); }

  testing::TempRoot root_;
  std::unique_ptr<BlobStore> store_;
};

TEST_F(LocalBlobStoreFailureTest, WriteErrorDiscardsUpload) {
  // Make write() fail with EFBIG past 64 KiB, as a full disk would fail it.
  struct rlimit old_limit;
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  sighandler_t old_handler = ::signal(SIGXFSZ, SIG_IGN);
  struct rlimit limit = old_limit;
  limit.rlim_cur = 64 * 1024;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &limit), 0);

  std::unique_ptr<BlobWriter> w = store_->NewWriter().value();
  Status s = w->Append(std::string(48 * 1024, 'a'));
  Status s2 = w->Append(std::string(48 * 1024, 'b'));

  ::setrlimit(RLIMIT_FSIZE, &old_limit);
  ::signal(SIGXFSZ, old_handler);

  EXPECT_TRUE(s.ok()) << s.ToString();
  ASSERT_FALSE(s2.ok());
  EXPECT_EQ(s2.code(), Code::kInternal);
  EXPECT_NE(s2.message().find("writing upload"), std::string::npos) << s2.message();
  EXPECT_EQ(CountFiles(StoreDir() / "tmp"), 0) << "space is given back at once";
  EXPECT_EQ(w->Commit().status().code(), Code::kInternal);
  EXPECT_EQ(CountFiles(StoreDir() / "sha256"), 0);
}

TEST_F(LocalBlobStoreFailureTest, PublishErrorLeavesNothingBehind) {
  std::unique_ptr<BlobWriter> w = store_->NewWriter().value();
  ASSERT_TRUE(w->Append("doomed").ok());
  fs::remove_all(StoreDir() / "sha256");  // an operator's mistake
  Result<BlobInfo> r = w->Commit();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInternal);
  EXPECT_NE(r.status().message().find("storing blob " + Sha256Hex("doomed")),
            std::string::npos)
      << r.status().message();
  EXPECT_EQ(CountFiles(StoreDir() / "tmp"), 0);
  EXPECT_FALSE(store_->Exists(Sha256Hex("doomed")).value());
}

TEST_F(LocalBlobStoreFailureTest, MissingTempDirIsAnError) {
  fs::remove_all(StoreDir() / "tmp");
  Result<std::unique_ptr<BlobWriter>> w = store_->NewWriter();
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), Code::kInternal);
  // Reopening the store repairs the layout.
  store_ = OpenLocalBlobStore(root_.store_root()).value();
  EXPECT_TRUE(Put(*store_, "fine again").ok());
}

TEST_F(LocalBlobStoreFailureTest, BlobTruncatedBehindOurBackIsDataLoss) {
  BlobInfo info = Put(*store_, std::string(10000, 'x')).value();
  std::unique_ptr<BlobReader> r = store_->Open(info.digest).value();
  const fs::path p = StoreDir() / "sha256" / info.digest.substr(0, 2) /
                     info.digest.substr(2, 2) / info.digest;
  fs::permissions(p, fs::perms::owner_write, fs::perm_options::add);
  fs::resize_file(p, 100);

  std::string out;
  Status s = r->ReadAt(0, 10000, &out);
  EXPECT_EQ(s.code(), Code::kDataLoss) << s.ToString();
  EXPECT_EQ(out.size(), 100u);
  ASSERT_TRUE(r->ReadAt(50, 20, &out).ok());  // the part still there reads fine
  EXPECT_EQ(out, std::string(20, 'x'));
}

}  // namespace
}  // namespace sextant::blobs
