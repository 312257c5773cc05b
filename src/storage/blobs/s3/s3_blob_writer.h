// One upload to the S3 store: bytes are hashed as they arrive and sent in
// parts of S3Options::part_size, so memory stays at one part per upload
// whatever the file's size.
//
// Where the parts go depends on what the client announced (NewWriter's
// expected checksum):
// - nothing: to a staging key, copied server-side to the final key once the
//   digest is known at Commit;
// - a checksum whose blob is absent: straight to the final key as a
//   multipart upload that completes only if the bytes hash to it (an upload
//   is invisible until completed, so a mismatch leaves nothing);
// - a checksum whose blob is already stored: nowhere; the bytes are only
//   hashed, and Commit re-stamps the stored copy if they match.
// An upload smaller than one part is a single PUT to its final key at Commit.
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
  enum class Mode { kStaging, kDirect, kAlreadyStored };

  // `announced`: the lowercase checksum given to NewWriter (empty in kStaging).
  S3BlobWriter(S3Client* client, Sha256 hasher, Mode mode, std::string upload_key, std::string announced);
  ~S3BlobWriter() override;

  Status Append(std::string_view bytes) override;
  Result<BlobInfo> Commit(std::string_view expected_sha256, int64_t expected_size) override;
  void Abort() override;

 private:
  Status FlushPart();
  Result<BlobInfo> CommitImpl(std::string_view expected_sha256, int64_t expected_size);
  // Makes `digest` exist under its final key.
  Status Publish(const std::string& digest);

  S3Client* client_;
  Sha256 hasher_;
  const Mode mode_;
  const std::string upload_key_;  // staging key, or the final key (kDirect)
  const std::string announced_;
  std::string buffer_;  // bytes not yet sent, < part_size between calls
  uint64_t size_ = 0;
  std::string upload_id_;  // empty until the first part is sent
  std::vector<std::string> etags_;
  bool staged_ = false;  // the staging object exists (upload completed)
  bool finished_ = false;
};

}  // namespace sextant::blobs::internal
