// One upload to the S3 store: bytes are hashed as they arrive and sent in
// parts of S3Options::part_size, so memory stays at one part per upload
// whatever the file's size. An upload smaller than one part is a single PUT
// straight to its final key at Commit.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "storage/blobs/blob_store.h"
#include "storage/blobs/digest.h"
#include "storage/blobs/s3/s3_client.h"

namespace sextant::blobs::internal {

class S3BlobWriter final : public BlobWriter {
 public:
  S3BlobWriter(S3Client* client, Sha256 hasher, std::string staging_key);
  ~S3BlobWriter() override;

  Status Append(std::string_view bytes) override;
  Result<BlobInfo> Commit(std::string_view expected_sha256, int64_t expected_size) override;
  void Abort() override;

 private:
  Status FlushPart();
  Result<BlobInfo> CommitImpl(std::string_view expected_sha256, int64_t expected_size);
  // Makes `digest` exist under its final key, from buffer_ or the staging object.
  Status Publish(const std::string& digest);

  S3Client* client_;
  Sha256 hasher_;
  const std::string staging_key_;
  std::string buffer_;  // bytes not yet sent, < part_size between calls
  uint64_t size_ = 0;
  std::string upload_id_;  // empty until the first part is sent
  std::vector<std::string> etags_;
  bool staged_ = false;  // the staging object exists (upload completed)
  bool finished_ = false;
};

}  // namespace sextant::blobs::internal
