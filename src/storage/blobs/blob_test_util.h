// Helpers shared by the blobs tests. Test-only: included from *_test.cc.
#pragma once

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "storage/blobs/blob_store.h"
#include "storage/blobs/digest.h"

namespace sextant::blobs::testing {

// A fresh folder per test, removed afterwards.
class TempRoot {
 public:
  TempRoot() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::path(::testing::TempDir()) /
            ("sextant_blobs_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempRoot() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempRoot(const TempRoot&) = delete;
  TempRoot& operator=(const TempRoot&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string store_root() const { return (path_ / "store").string(); }

 private:
  std::filesystem::path path_;
};

inline std::string Sha256Hex(std::string_view data) {
  Result<Sha256> h = Sha256::Create();
  EXPECT_TRUE(h.ok());
  EXPECT_TRUE(h->Update(data).ok());
  Result<std::string> d = h->Finish();
  EXPECT_TRUE(d.ok());
  return d.ok() ? d.value() : std::string();
}

// Uploads `data` in pieces of `piece` bytes and commits without expectations.
inline Result<BlobInfo> Put(BlobStore& store, std::string_view data, size_t piece = 1000) {
  ASSIGN_OR_RETURN(std::unique_ptr<BlobWriter> w, store.NewWriter());
  for (size_t i = 0; i < data.size(); i += piece) {
    RETURN_IF_ERROR(w->Append(data.substr(i, piece)));
  }
  return w->Commit();
}

inline Result<std::string> ReadAll(BlobStore& store, std::string_view digest) {
  ASSIGN_OR_RETURN(std::unique_ptr<BlobReader> r, store.Open(digest));
  std::string out;
  RETURN_IF_ERROR(r->ReadAt(0, r->size(), &out));
  return out;
}

// Regular files under `dir`, recursively (0 if it does not exist).
inline int CountFiles(const std::filesystem::path& dir) {
  std::error_code ec;
  int n = 0;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file()) ++n;
  }
  return n;
}

}  // namespace sextant::blobs::testing
