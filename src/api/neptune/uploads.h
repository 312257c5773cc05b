// Files that neptune-scale uploaded through a signed URL, by the storage
// path the client chose, until an ingest operation names them in a FileRef.
//
// The client uploads first (PUT to the URL from storagebridge/signedUrl, or
// S3-style multipart parts) and only then sends the attribute; a server
// restart may fall in between, so the reference is kept on disk:
// <data>/neptune-uploads/<sha256(project, path)>, a small JSON file written
// atomically after the bytes are durable in the blob store.
#pragma once

#include <optional>
#include <string>

#include "common/status.h"
#include "model/operations.h"
#include "storage/blobs/blob_store.h"

namespace sextant::api::neptune {

struct UploadRef {
  blobs::BlobInfo blob;
  std::string filename;  // the last segment of the storage path
};

class Uploads {
 public:
  explicit Uploads(std::string data_dir);
  Status Put(const model::ProjectName& project, const std::string& storage_path, const UploadRef& ref);
  Result<std::optional<UploadRef>> Get(const model::ProjectName& project, const std::string& storage_path);

 private:
  std::string FileFor(const model::ProjectName& project, const std::string& storage_path) const;
  std::string dir_;
};

}  // namespace sextant::api::neptune
