// Upload records: files a client uploads by a storage path it chose (the
// Neptune front end's signed URLs), and the attributes waiting for them.
//
// The upload and the operation that names its storage path travel
// independently, in either order, possibly to different replicas, and a
// restart may fall in between. So both are stored: the upload's record
// (content digest, size, file name), and, for a reference that came first,
// the attachments waiting for it, which the upload then takes. Put and
// GetOrWait on one storage path are atomic with respect to each other, in
// this process and across processes sharing the store.
//
// With SQLite they are files in the data folder (upload_records_disk.cc);
// with PostgreSQL, tables beside the runs (postgres/pg_uploads.cc), so that
// every replica sees every upload.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "model/operations.h"
#include "storage/blobs/blob_store.h"

namespace sextant::storage {

struct UploadRecord {
  blobs::BlobInfo blob;
  std::string filename;  // the last segment of the storage path
};

// An attribute waiting for an upload.
struct PendingAttachment {
  std::string run_id;
  std::string path;
  std::optional<int64_t> step;  // micro-steps; nullopt: a file attribute
};

class UploadRecords {
 public:
  virtual ~UploadRecords() = default;
  // Records an upload; returns the attachments that were waiting for it
  // (now the caller's to make).
  virtual Result<std::vector<PendingAttachment>> Put(const model::ProjectName& project,
                                                     const std::string& storage_path,
                                                     const UploadRecord& record) = 0;
  virtual Result<std::optional<UploadRecord>> Get(const model::ProjectName& project,
                                                  const std::string& storage_path) = 0;
  // The upload when it is there; otherwise `wait` is kept for it and
  // nullopt returned.
  virtual Result<std::optional<UploadRecord>> GetOrWait(const model::ProjectName& project,
                                                        const std::string& storage_path,
                                                        const PendingAttachment& wait) = 0;
};

// Files under <dir> (one server on its data folder).
std::unique_ptr<UploadRecords> OpenDiskUploadRecords(const std::string& dir);

}  // namespace sextant::storage
