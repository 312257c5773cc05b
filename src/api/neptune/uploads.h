// Files that neptune-scale uploads through a signed URL, by the storage path
// the client chose, and the attributes that refer to them.
//
// The client's uploads (PUT to the URL from storagebridge/signedUrl, or
// S3-style multipart parts) and its operations (an ingest FileRef naming the
// storage path) travel independently, in either order, and a server restart
// may fall in between. So both are kept on disk under
// <data>/neptune-uploads/<sha256(project, path)>: the upload's record (a
// small JSON file written atomically after the bytes are durable), and, for
// a FileRef that came first, the attachments waiting for it (`.pending`,
// JSON lines), which the upload then takes. One mutex per storage path
// (striped) orders the two within this process.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "model/operations.h"
#include "storage/blobs/blob_store.h"

namespace sextant::api::neptune {

struct UploadRef {
  blobs::BlobInfo blob;
  std::string filename;  // the last segment of the storage path
};

// An attribute waiting for an upload.
struct PendingAttach {
  std::string run_id;
  std::string path;
  std::optional<int64_t> step;  // micro-steps; nullopt: a file attribute
};

class Uploads {
 public:
  explicit Uploads(std::string data_dir);
  // Records an upload; returns the attachments that were waiting for it
  // (now the caller's to make).
  Result<std::vector<PendingAttach>> Put(const model::ProjectName& project, const std::string& storage_path,
                                         const UploadRef& ref);
  Result<std::optional<UploadRef>> Get(const model::ProjectName& project, const std::string& storage_path);
  // The upload when it is there; otherwise `wait` is kept for it and nullopt
  // returned.
  Result<std::optional<UploadRef>> GetOrWait(const model::ProjectName& project,
                                             const std::string& storage_path, const PendingAttach& wait);

 private:
  std::string FileFor(const model::ProjectName& project, const std::string& storage_path) const;
  Result<std::optional<UploadRef>> Read(const std::string& file, const std::string& storage_path);
  std::mutex& LockFor(const std::string& file);
  std::string dir_;
  std::array<std::mutex, 64> locks_;
};

}  // namespace sextant::api::neptune
