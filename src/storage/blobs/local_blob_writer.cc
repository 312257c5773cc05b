#include "storage/blobs/local_blob_writer.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include <utility>

namespace sextant::blobs::internal {
namespace {

Status Finished() {
  return Status::Internal("blob writer used after Commit or Abort");
}

}  // namespace

LocalBlobWriter::LocalBlobWriter(LocalLayout* layout, ScopedFd fd, std::string temp_path,
                                 Sha256 hasher, std::string announced)
    : layout_(layout),
      fd_(std::move(fd)),
      temp_path_(std::move(temp_path)),
      hasher_(std::move(hasher)),
      announced_(std::move(announced)) {}

LocalBlobWriter::~LocalBlobWriter() { Abort(); }

Status LocalBlobWriter::Append(std::string_view bytes) {
  if (finished_) return Finished();
  Status s = hasher_.Update(bytes);
  // Straight to the file, unbuffered: the caller's pieces (HTTP body chunks)
  // are already large, and holding bytes here would only delay errors.
  if (s.ok()) s = WriteFully(fd_.get(), bytes, "upload");
  if (!s.ok()) {
    // A half-written piece leaves the file unusable, and a full disk should
    // get its space back now rather than when the caller gives up.
    Abort();
    return s;
  }
  size_ += bytes.size();
  return Status::Ok();
}

Result<BlobInfo> LocalBlobWriter::Commit(std::string_view expected_sha256,
                                         int64_t expected_size) {
  if (finished_) return Finished();
  Result<BlobInfo> result = CommitImpl(expected_sha256, expected_size);
  // Whatever happened, this upload is over; Abort removes the temp file unless
  // it was published.
  Abort();
  return result;
}

Result<BlobInfo> LocalBlobWriter::CommitImpl(std::string_view expected_sha256,
                                             int64_t expected_size) {
  // Verified before any fsync so that a bad upload costs no disk flush.
  ASSIGN_OR_RETURN(std::string digest, FinishUpload(hasher_, size_, expected_sha256, expected_size, announced_));

  // Stamp the commit time: a re-upload of existing content replaces the file,
  // and the garbage collector's grace period reads mtime as "last committed".
  if (::futimens(fd_.get(), nullptr) != 0) return ErrnoStatus("stamping upload", errno);
  while (::fsync(fd_.get()) != 0) {
    if (errno != EINTR) return ErrnoStatus("syncing upload", errno);
  }
  RETURN_IF_ERROR(CloseFd(fd_.Release(), "upload"));
  RETURN_IF_ERROR(layout_->Publish(temp_path_, digest));
  temp_exists_ = false;
  return BlobInfo{std::move(digest), size_};
}

void LocalBlobWriter::Abort() {
  finished_ = true;
  fd_.Reset();
  if (temp_exists_) {
    // Best effort: a file that cannot be unlinked now is removed as stale by a
    // later open of the store.
    ::unlink(temp_path_.c_str());
    temp_exists_ = false;
  }
}

}  // namespace sextant::blobs::internal
