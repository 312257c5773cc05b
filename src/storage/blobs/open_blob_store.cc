#include "storage/blobs/open_blob_store.h"

#include <cstdlib>

#include "storage/blobs/s3/s3_blob_store.h"
#include "storage/blobs/s3/s3_options.h"

namespace sextant::blobs {

Result<std::unique_ptr<BlobStore>> OpenBlobStore(std::string_view location, const std::string& default_root) {
  if (location.empty()) return OpenLocalBlobStore(default_root);
  if (location.rfind("s3://", 0) == 0) {
    ASSIGN_OR_RETURN(S3Options o, ParseS3Location(location, [](const char* n) { return std::getenv(n); }));
    return OpenS3BlobStore(o);
  }
  if (location.rfind("file://", 0) == 0) location.remove_prefix(7);
  if (location.find("://") != std::string_view::npos)
    return Status::InvalidArgument("file store '" + std::string(location) +
                                   "': use a folder, file:///path or s3://bucket[/prefix]");
  return OpenLocalBlobStore(std::string(location));
}

}  // namespace sextant::blobs
