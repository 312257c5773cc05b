// The BlobStore contract, run over every implementation: the local folder
// always, and an S3-compatible store when SEXTANT_TEST_S3 names one
// (s3://bucket?endpoint=http://127.0.0.1:9000, credentials in AWS_*; the test
// command starts MinIO for it, see scripts/minio.sh). Without it the S3
// instances are skipped, with a message saying so.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "storage/blobs/blob_store.h"
#include "storage/blobs/blob_test_util.h"
#include "storage/blobs/s3/s3_blob_store.h"
#include "storage/blobs/s3/s3_options.h"

namespace sextant::blobs {
namespace {

using testing::Put;
using testing::ReadAll;
using testing::Sha256Hex;

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

// A fresh prefix per test, so tests never see each other's blobs.
std::string UniquePrefix() {
  static int counter = 0;
  std::random_device rd;
  return "conformance-" + std::to_string(rd()) + "-" + std::to_string(counter++);
}

class BlobStoreConformance : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "local") {
      store_ = OpenLocalBlobStore(root_.store_root()).value();
      return;
    }
    const char* url = std::getenv("SEXTANT_TEST_S3");
    if (!url || !*url) GTEST_SKIP() << "SEXTANT_TEST_S3 not set: no S3-compatible server to test against";
    Result<S3Options> o = ParseS3Location(url, [](const char* n) { return std::getenv(n); });
    ASSERT_TRUE(o.ok()) << o.status().ToString();
    o->prefix += UniquePrefix() + "/";
    // MinIO, like S3, takes parts of 5 MiB or more: 5 MiB parts make a 12 MiB
    // upload three parts.
    o->part_size = 5 << 20;
    Result<std::unique_ptr<BlobStore>> s = OpenS3BlobStore(*o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
  }

  testing::TempRoot root_;
  std::unique_ptr<BlobStore> store_;
};

TEST_P(BlobStoreConformance, RoundTripSmallAndEmpty) {
  const std::string data = "loss: 0.25\nlr: 3e-4\n";
  Result<BlobInfo> info = Put(*store_, data, 7);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->digest, Sha256Hex(data));
  EXPECT_EQ(info->size, data.size());
  EXPECT_TRUE(store_->Exists(info->digest).value());
  EXPECT_EQ(ReadAll(*store_, info->digest).value(), data);

  Result<BlobInfo> empty = Put(*store_, "");
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  auto r = store_->Open(empty->digest).value();
  EXPECT_EQ(r->size(), 0u);
  std::string out = "junk";
  ASSERT_TRUE(r->ReadAt(0, 10, &out).ok());
  EXPECT_EQ(out, "");
}

TEST_P(BlobStoreConformance, LargeUploadInOddPiecesReadsBackByteForByte) {
  // Over two multipart parts plus a tail, appended in pieces that straddle
  // part boundaries.
  const std::string data = RandomBytes((12 << 20) + 12345, 7);
  Result<BlobInfo> info = Put(*store_, data, 1'000'003);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->digest, Sha256Hex(data));
  EXPECT_EQ(info->size, data.size());
  auto r = store_->Open(info->digest).value();
  ASSERT_EQ(r->size(), data.size());
  // Sequential reads in 1 MiB chunks, as a download does.
  std::string all, chunk;
  for (uint64_t at = 0; at < r->size(); at += chunk.size()) {
    ASSERT_TRUE(r->ReadAt(at, 1 << 20, &chunk).ok());
    ASSERT_FALSE(chunk.empty());
    all += chunk;
  }
  EXPECT_TRUE(all == data);
  // Ranges anywhere, including past the end.
  for (uint64_t at : {uint64_t{0}, uint64_t{5 << 20} - 3, uint64_t{data.size()} - 10}) {
    ASSERT_TRUE(r->ReadAt(at, 100, &chunk).ok());
    EXPECT_EQ(chunk, data.substr(at, 100)) << at;
  }
  ASSERT_TRUE(r->ReadAt(data.size(), 100, &chunk).ok());
  EXPECT_EQ(chunk, "");
  ASSERT_TRUE(r->ReadAt(data.size() + 100, 100, &chunk).ok());
  EXPECT_EQ(chunk, "");
}

TEST_P(BlobStoreConformance, ChecksumAndSizeMismatchStoreNothing) {
  const std::string data = RandomBytes(6 << 20, 9);  // past one part
  const std::string wrong(64, 'a');
  {
    auto w = store_->NewWriter().value();
    ASSERT_TRUE(w->Append(data).ok());
    Result<BlobInfo> c = w->Commit(wrong);
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.status().code(), Code::kInvalidArgument);
    EXPECT_NE(c.status().message().find("checksum mismatch"), std::string::npos) << c.status().ToString();
  }
  {
    auto w = store_->NewWriter().value();
    ASSERT_TRUE(w->Append("abc").ok());
    Result<BlobInfo> c = w->Commit({}, 4);
    ASSERT_FALSE(c.ok());
    EXPECT_NE(c.status().message().find("size mismatch"), std::string::npos);
  }
  EXPECT_FALSE(store_->Exists(Sha256Hex(data)).value());
  EXPECT_FALSE(store_->Exists(Sha256Hex("abc")).value());
  // The expected checksum in upper case is the same checksum.
  auto w = store_->NewWriter().value();
  ASSERT_TRUE(w->Append("abc").ok());
  std::string upper = Sha256Hex("abc");
  for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  EXPECT_TRUE(w->Commit(upper, 3).ok());
}

TEST_P(BlobStoreConformance, SameContentTwiceIsOneBlob) {
  const std::string data = RandomBytes(100'000, 3);
  BlobInfo a = Put(*store_, data).value();
  BlobInfo b = Put(*store_, data, 4096).value();
  EXPECT_EQ(a.digest, b.digest);
  EXPECT_EQ(ReadAll(*store_, a.digest).value(), data);
  ASSERT_TRUE(store_->Remove(a.digest).ok());
  EXPECT_FALSE(store_->Exists(a.digest).value());
}

TEST_P(BlobStoreConformance, ConcurrentUploadsOfOneContentAllSucceed) {
  const std::string data = RandomBytes(6 << 20, 11);
  std::vector<std::thread> threads;
  std::vector<Status> results(4, Status::Ok());
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&, i] { results[i] = Put(*store_, data, 1 << 20).status(); });
  for (auto& t : threads) t.join();
  for (const auto& st : results) EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_TRUE(ReadAll(*store_, Sha256Hex(data)).value() == data);
}

TEST_P(BlobStoreConformance, MissingAndMalformedDigests) {
  const std::string absent(64, 'f');
  EXPECT_EQ(store_->Open(absent).status().code(), Code::kNotFound);
  EXPECT_FALSE(store_->Exists(absent).value());
  EXPECT_EQ(store_->Remove(absent).code(), Code::kNotFound);
  for (std::string bad : {std::string("../../etc/passwd"), std::string(63, 'a'), std::string(64, 'g')}) {
    EXPECT_EQ(store_->Open(bad).status().code(), Code::kInvalidArgument) << bad;
    EXPECT_EQ(store_->Exists(bad).status().code(), Code::kInvalidArgument) << bad;
    EXPECT_EQ(store_->Remove(bad).code(), Code::kInvalidArgument) << bad;
  }
}

TEST_P(BlobStoreConformance, AbortAndUseAfterCommit) {
  const std::string data = RandomBytes(6 << 20, 13);
  {
    auto w = store_->NewWriter().value();
    ASSERT_TRUE(w->Append(data).ok());
    w->Abort();
    w->Abort();  // idempotent
    EXPECT_EQ(w->Append("x").code(), Code::kInternal);
  }
  {
    auto w = store_->NewWriter().value();
    ASSERT_TRUE(w->Append(data).ok());
    // Dropped without Commit: the destructor aborts.
  }
  EXPECT_FALSE(store_->Exists(Sha256Hex(data)).value());
  auto w = store_->NewWriter().value();
  ASSERT_TRUE(w->Append("x").ok());
  ASSERT_TRUE(w->Commit().ok());
  EXPECT_EQ(w->Commit().status().code(), Code::kInternal);
}

TEST_P(BlobStoreConformance, AnnouncedChecksumNewAndAlreadyStored) {
  const std::string data = RandomBytes((11 << 20) + 7, 17);  // several parts
  const std::string digest = Sha256Hex(data);
  for (int round = 0; round < 2; ++round) {  // absent, then already stored
    auto w = store_->NewWriter(digest).value();
    for (size_t i = 0; i < data.size(); i += 3 << 20) ASSERT_TRUE(w->Append(data.substr(i, 3 << 20)).ok());
    Result<BlobInfo> info = w->Commit(digest, static_cast<int64_t>(data.size()));
    ASSERT_TRUE(info.ok()) << round << ": " << info.status().ToString();
    EXPECT_EQ(info->digest, digest);
    EXPECT_TRUE(ReadAll(*store_, digest).value() == data) << round;
  }
}

TEST_P(BlobStoreConformance, AnnouncedChecksumThatLiesStoresNothing) {
  const std::string data = RandomBytes(7 << 20, 19);
  const std::string other = RandomBytes(100, 20);
  const std::string stored = Put(*store_, other).value().digest;
  // Announced as content that is absent, and as content that is stored; the
  // second Commit is given no checksum: the announced one still holds.
  for (const std::string& announced : {std::string(64, 'c'), stored}) {
    auto w = store_->NewWriter(announced).value();
    ASSERT_TRUE(w->Append(data).ok());
    Result<BlobInfo> c = w->Commit(announced == stored ? std::string() : announced);
    ASSERT_FALSE(c.ok()) << announced;
    EXPECT_NE(c.status().message().find("checksum mismatch"), std::string::npos) << c.status().ToString();
  }
  EXPECT_FALSE(store_->Exists(Sha256Hex(data)).value());
  EXPECT_FALSE(store_->Exists(std::string(64, 'c')).value());
  EXPECT_EQ(ReadAll(*store_, stored).value(), other);
  EXPECT_EQ(store_->NewWriter("not-a-digest").status().code(), Code::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(Stores, BlobStoreConformance, ::testing::Values("local", "s3"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace sextant::blobs
