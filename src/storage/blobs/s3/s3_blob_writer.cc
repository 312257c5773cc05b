#include "storage/blobs/s3/s3_blob_writer.h"

#include <utility>

#include "storage/blobs/s3/s3_keys.h"
#include "storage/blobs/s3/s3_multipart.h"

namespace sextant::blobs::internal {

S3BlobWriter::S3BlobWriter(S3Client* client, Sha256 hasher, Mode mode, std::string upload_key,
                           std::string announced)
    : client_(client),
      hasher_(std::move(hasher)),
      mode_(mode),
      upload_key_(std::move(upload_key)),
      announced_(std::move(announced)) {}

S3BlobWriter::~S3BlobWriter() { Abort(); }

Status S3BlobWriter::FlushPart() {
  if (etags_.size() >= static_cast<size_t>(s3keys::kMaxParts))
    return Status::TooLarge("file larger than " + std::to_string(s3keys::kMaxParts) + " parts of " +
                            std::to_string(client_->options().part_size) + " bytes");
  if (upload_id_.empty()) {
    ASSIGN_OR_RETURN(upload_id_, s3ops::CreateUpload(*client_, upload_key_));
  }
  ASSIGN_OR_RETURN(std::string etag, s3ops::UploadPart(*client_, upload_key_, upload_id_,
                                                       static_cast<int>(etags_.size()) + 1, buffer_));
  etags_.push_back(std::move(etag));
  buffer_.clear();
  return Status::Ok();
}

Status S3BlobWriter::Append(std::string_view bytes) {
  if (finished_) return Status::Internal("blob writer used after Commit or Abort");
  Status st = hasher_.Update(bytes);
  const size_t part = client_->options().part_size;
  if (mode_ == Mode::kAlreadyStored) {
    size_ += bytes.size();
    bytes = {};
  }
  while (st.ok() && !bytes.empty()) {
    const size_t take = std::min(bytes.size(), part - buffer_.size());
    buffer_.append(bytes.data(), take);
    bytes.remove_prefix(take);
    size_ += take;
    if (buffer_.size() == part) st = FlushPart();
  }
  if (!st.ok()) Abort();
  return st;
}

Result<BlobInfo> S3BlobWriter::Commit(std::string_view expected_sha256, int64_t expected_size) {
  if (finished_) return Status::Internal("blob writer used after Commit or Abort");
  Result<BlobInfo> result = CommitImpl(expected_sha256, expected_size);
  Abort();  // removes the staging object and any unfinished upload
  return result;
}

Result<BlobInfo> S3BlobWriter::CommitImpl(std::string_view expected_sha256, int64_t expected_size) {
  ASSIGN_OR_RETURN(std::string digest, FinishUpload(hasher_, size_, expected_sha256, expected_size, announced_));
  RETURN_IF_ERROR(Publish(digest));
  return BlobInfo{std::move(digest), size_};
}

Status S3BlobWriter::Publish(const std::string& digest) {
  const std::string key = s3keys::Blob(digest);
  if (mode_ == Mode::kAlreadyStored) {
    Status st = s3ops::Touch(*client_, key, size_);
    if (st.code() == Code::kNotFound)  // purged while the bytes were arriving
      return Status::Unavailable("the stored copy of " + digest + " was removed during the upload: send it again");
    return st;
  }
  if (mode_ == Mode::kStaging || upload_id_.empty()) {
    // Content already stored is not written again.
    Result<uint64_t> existing = s3ops::Head(*client_, key);
    if (existing.ok()) return s3ops::Touch(*client_, key, *existing);
    if (existing.status().code() != Code::kNotFound) return existing.status();
  }
  if (upload_id_.empty()) return s3ops::PutObject(*client_, key, buffer_);
  if (!buffer_.empty()) RETURN_IF_ERROR(FlushPart());
  RETURN_IF_ERROR(s3ops::CompleteUpload(*client_, upload_key_, upload_id_, etags_));
  upload_id_.clear();
  if (mode_ == Mode::kDirect) return Status::Ok();  // upload_key_ is the final key
  staged_ = true;
  return s3ops::CopyObject(*client_, upload_key_, key, size_);
}

void S3BlobWriter::Abort() {
  finished_ = true;
  buffer_.clear();
  buffer_.shrink_to_fit();
  if (!upload_id_.empty()) {
    s3ops::AbortUpload(*client_, upload_key_, upload_id_);
    upload_id_.clear();
  }
  if (staged_) {
    // Best effort: a staging object left here is removed by a later open.
    (void)s3ops::Delete(*client_, upload_key_);
    staged_ = false;
  }
}

}  // namespace sextant::blobs::internal
