// BlobWriter for the local folder backend. Internal to blobs/; callers get one
// from BlobStore::NewWriter().
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "storage/blobs/blob_store.h"
#include "storage/blobs/digest.h"
#include "storage/blobs/file_util.h"
#include "storage/blobs/local_layout.h"

namespace sextant::blobs::internal {

// Streams an upload into its own temp file, hashing as it goes, so memory use
// is independent of the blob's size. Commit publishes the file under its
// digest; every other ending removes it.
//
// Thread-compatible.
class LocalBlobWriter final : public BlobWriter {
 public:
  // Takes ownership of `fd`, an empty file just created at `temp_path`.
  // REQUIRES: `layout` outlives this writer.
  // `announced`: the lowercase checksum given to NewWriter, or empty.
  LocalBlobWriter(LocalLayout* layout, ScopedFd fd, std::string temp_path, Sha256 hasher,
                  std::string announced);
  ~LocalBlobWriter() override;

  LocalBlobWriter(const LocalBlobWriter&) = delete;
  LocalBlobWriter& operator=(const LocalBlobWriter&) = delete;

  Status Append(std::string_view bytes) override;
  Result<BlobInfo> Commit(std::string_view expected_sha256, int64_t expected_size) override;
  void Abort() override;

 private:
  // Everything Commit does; on error the caller discards the upload.
  Result<BlobInfo> CommitImpl(std::string_view expected_sha256, int64_t expected_size);

  LocalLayout* const layout_;
  ScopedFd fd_;
  const std::string temp_path_;
  bool temp_exists_ = true;  // false once renamed into place or unlinked
  bool finished_ = false;    // after Commit or Abort
  Sha256 hasher_;
  const std::string announced_;
  uint64_t size_ = 0;
};

}  // namespace sextant::blobs::internal
