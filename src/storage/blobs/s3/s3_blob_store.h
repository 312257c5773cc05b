// The S3-compatible BlobStore: content-addressed blobs as objects
// `<prefix>sha256/ab/cd/<digest>` in one bucket, uploads streamed as a
// multipart upload to a staging key `<prefix>tmp/<random>` and copied into
// place server-side once the digest is known. See README.md.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "storage/blobs/blob_store.h"
#include "storage/blobs/s3/s3_options.h"

namespace sextant::blobs {

// Checks that the bucket answers with these credentials (InvalidArgument or
// PermissionDenied saying what is wrong, Unavailable if unreachable), and
// removes staging uploads older than an hour left behind by a crash.
Result<std::unique_ptr<BlobStore>> OpenS3BlobStore(const S3Options& options);

}  // namespace sextant::blobs
