// The multipart-upload and copy calls of S3 that the writer needs, each one
// request (or a few) with its answer checked, including the errors S3 may
// send inside a 200 answer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "storage/blobs/s3/s3_client.h"

namespace sextant::blobs::s3ops {

// Returns the upload id.
Result<std::string> CreateUpload(S3Client& c, const std::string& key);
// Returns the part's ETag. part_number counts from 1.
Result<std::string> UploadPart(S3Client& c, const std::string& key, const std::string& upload_id,
                               int part_number, std::string_view bytes);
Status CompleteUpload(S3Client& c, const std::string& key, const std::string& upload_id,
                      const std::vector<std::string>& etags);
// Best effort: a failure leaves an upload that the next open's sweep removes.
void AbortUpload(S3Client& c, const std::string& key, const std::string& upload_id);

// PUT of a whole object in one request.
Status PutObject(S3Client& c, const std::string& key, std::string_view bytes);
// Server-side copy of `from` (size bytes) to `to`; several requests above 5 GiB.
Status CopyObject(S3Client& c, const std::string& from, const std::string& to, uint64_t size);
// Re-stamps an existing object's modification time (a copy onto itself), so a
// re-uploaded blob counts as freshly committed for the collector's grace period.
Status Touch(S3Client& c, const std::string& key, uint64_t size);
// Object size, or NotFound.
Result<uint64_t> Head(S3Client& c, const std::string& key);
Status Delete(S3Client& c, const std::string& key);

}  // namespace sextant::blobs::s3ops
