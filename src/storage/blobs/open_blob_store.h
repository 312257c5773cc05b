// Chooses the file store from a location: a folder (the default, under the
// data folder) or an S3-compatible bucket.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "storage/blobs/blob_store.h"

namespace sextant::blobs {

// "" -> OpenLocalBlobStore(default_root); "file:///abs/path" or a plain path
// -> a local store there; "s3://bucket[/prefix][?endpoint=…&region=…]" -> an
// S3-compatible store, credentials from the AWS_* environment variables.
Result<std::unique_ptr<BlobStore>> OpenBlobStore(std::string_view location, const std::string& default_root);

}  // namespace sextant::blobs
