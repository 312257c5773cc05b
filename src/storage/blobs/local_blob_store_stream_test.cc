// Large streamed uploads and concurrent use of one local blob store.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <latch>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "storage/blobs/blob_store.h"
#include "storage/blobs/blob_test_util.h"
#include "storage/blobs/digest.h"

namespace sextant::blobs {
namespace {

namespace fs = std::filesystem;
using testing::CountFiles;
using testing::Put;
using testing::ReadAll;
using testing::Sha256Hex;

// Deterministic, incompressible-looking bytes for piece `index` of a stream,
// so the test can regenerate any piece instead of keeping the whole blob.
std::string Piece(uint64_t index, size_t size) {
  std::string out(size, '\0');
  uint64_t x = index * 0x9e3779b97f4a7c15ULL + 1;
  for (size_t i = 0; i < size; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    out[i] = static_cast<char>(x);
  }
  return out;
}

uint64_t TempBytes(const fs::path& tmp) {
  uint64_t total = 0;
  for (const fs::directory_entry& e : fs::directory_iterator(tmp)) total += e.file_size();
  return total;
}

// 64 MB in 1 MB pieces: enough to catch per-byte slowness or a store that
// buffers the upload, small enough for CI. The temp file must grow with every
// Append, which is what shows the writer streams to disk instead of holding
// the blob in memory.
TEST(LocalBlobStoreStreamTest, LargeBlobStreamsThroughDisk) {
  constexpr size_t kPiece = 1 << 20;
  constexpr uint64_t kPieces = 64;
  testing::TempRoot root;
  std::unique_ptr<BlobStore> store = OpenLocalBlobStore(root.store_root()).value();
  const fs::path tmp = fs::path(root.store_root()) / "tmp";

  Sha256 expected = Sha256::Create().value();
  std::unique_ptr<BlobWriter> w = store->NewWriter().value();
  for (uint64_t i = 0; i < kPieces; ++i) {
    std::string piece = Piece(i, kPiece);
    ASSERT_TRUE(expected.Update(piece).ok());
    ASSERT_TRUE(w->Append(piece).ok());
    ASSERT_EQ(TempBytes(tmp), (i + 1) * kPiece) << "after piece " << i;
  }
  const std::string digest = expected.Finish().value();
  Result<BlobInfo> info = w->Commit(digest, static_cast<int64_t>(kPieces * kPiece));
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->digest, digest);
  EXPECT_EQ(info->size, kPieces * kPiece);
  EXPECT_EQ(TempBytes(tmp), 0u);

  // Read back piece by piece, with reads that straddle piece boundaries too.
  std::unique_ptr<BlobReader> r = store->Open(digest).value();
  ASSERT_EQ(r->size(), kPieces * kPiece);
  std::string out;
  for (uint64_t i = 0; i < kPieces; ++i) {
    ASSERT_TRUE(r->ReadAt(i * kPiece, kPiece, &out).ok());
    ASSERT_TRUE(out == Piece(i, kPiece)) << "piece " << i;
  }
  ASSERT_TRUE(r->ReadAt(5 * kPiece - 10, 20, &out).ok());
  EXPECT_EQ(out, Piece(4, kPiece).substr(kPiece - 10) + Piece(5, kPiece).substr(0, 10));
}

constexpr int kThreads = 8;

TEST(LocalBlobStoreConcurrencyTest, SameContentFromManyWritersYieldsOneFile) {
  testing::TempRoot root;
  std::unique_ptr<BlobStore> store = OpenLocalBlobStore(root.store_root()).value();
  const std::string data = Piece(42, 256 * 1024);
  std::vector<Result<BlobInfo>> results(kThreads, Status::Internal("not run"));
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();  // maximise overlap of the uploads
      results[t] = Put(*store, data, 4096);
    });
  }
  for (std::thread& th : threads) th.join();

  const std::string want = Sha256Hex(data);
  for (const Result<BlobInfo>& r : results) {
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->digest, want);
  }
  EXPECT_EQ(CountFiles(fs::path(root.store_root()) / "sha256"), 1);
  EXPECT_EQ(CountFiles(fs::path(root.store_root()) / "tmp"), 0);
  EXPECT_EQ(ReadAll(*store, want).value(), data);
}

TEST(LocalBlobStoreConcurrencyTest, DifferentContentWritersAndReaders) {
  constexpr int kBlobsPerThread = 25;
  testing::TempRoot root;
  std::unique_ptr<BlobStore> store = OpenLocalBlobStore(root.store_root()).value();
  // One blob every thread re-reads while the others write.
  const std::string shared = Piece(7, 50000);
  const std::string shared_digest = Put(*store, shared).value().digest;
  std::unique_ptr<BlobReader> shared_reader = store->Open(shared_digest).value();

  std::vector<std::vector<std::string>> digests(kThreads);
  std::vector<int> failures(kThreads, 0);
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int i = 0; i < kBlobsPerThread; ++i) {
        std::string data = Piece(1000 + t * kBlobsPerThread + i, 1000 + i * 37);
        Result<BlobInfo> info = Put(*store, data, 333);
        if (!info.ok() || ReadAll(*store, info->digest).value() != data) ++failures[t];
        if (info.ok()) digests[t].push_back(info->digest);
        // The local reader allows concurrent ReadAt; see LocalBlobReader.
        std::string out;
        if (!shared_reader->ReadAt(i * 100, 100, &out).ok() || out != shared.substr(i * 100, 100)) {
          ++failures[t];
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();

  std::set<std::string> all = {shared_digest};
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(failures[t], 0) << "thread " << t;
    all.insert(digests[t].begin(), digests[t].end());
  }
  EXPECT_EQ(all.size(), 1u + kThreads * kBlobsPerThread);
  EXPECT_EQ(CountFiles(fs::path(root.store_root()) / "sha256"), static_cast<int>(all.size()));
  EXPECT_EQ(CountFiles(fs::path(root.store_root()) / "tmp"), 0);
}

}  // namespace
}  // namespace sextant::blobs
