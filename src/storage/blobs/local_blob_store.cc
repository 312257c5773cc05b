// The local folder backend: OpenLocalBlobStore, its store and its reader.
// Writing lives in local_blob_writer.cc, paths and durability in
// local_layout.cc.
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <string>
#include <utility>

#include "storage/blobs/blob_store.h"
#include "storage/blobs/digest.h"
#include "storage/blobs/file_util.h"
#include "storage/blobs/local_blob_writer.h"
#include "storage/blobs/local_layout.h"

namespace sextant::blobs {
namespace {

using internal::ErrnoStatus;
using internal::LocalLayout;
using internal::ScopedFd;

// Reads one blob through its own descriptor, so it keeps working after the
// blob is removed and does not depend on the store staying open. Uses pread,
// which has no shared file offset, so concurrent ReadAt calls are safe here
// even though the interface only promises thread-compatibility.
class LocalBlobReader final : public BlobReader {
 public:
  LocalBlobReader(ScopedFd fd, uint64_t size, std::string digest)
      : fd_(std::move(fd)), size_(size), label_("blob " + std::move(digest)) {}

  uint64_t size() const override { return size_; }

  Status ReadAt(uint64_t offset, size_t n, std::string* out) override {
    if (offset >= size_) {
      out->clear();
      return Status::Ok();
    }
    size_t want = static_cast<size_t>(std::min<uint64_t>(n, size_ - offset));
    out->resize(want);
    size_t got = 0;
    Status s = internal::PreadFully(fd_.get(), offset, want, out->data(), &got, label_);
    out->resize(got);
    if (!s.ok()) return s;
    if (got < want) {
      // Blobs never shrink; someone truncated the file behind our back.
      return Status::DataLoss(label_ + " is shorter than its recorded size " +
                              std::to_string(size_));
    }
    return Status::Ok();
  }

 private:
  const ScopedFd fd_;
  const uint64_t size_;
  const std::string label_;  // for error messages
};

// Thread-safe: all state is in the layout, which is thread-safe, and the
// filesystem, whose rename() makes each publish atomic.
class LocalBlobStore final : public BlobStore {
 public:
  using BlobStore::NewWriter;
  explicit LocalBlobStore(std::unique_ptr<LocalLayout> layout) : layout_(std::move(layout)) {}

  Result<std::unique_ptr<BlobWriter>> NewWriter(std::string_view expected_sha256) override {
    std::string announced;
    if (!expected_sha256.empty()) {
      Result<std::string> d = NormalizeDigest(expected_sha256);
      if (!d.ok()) return d.status().WithContext("expected checksum");
      announced = std::move(d).value();
    }
    ASSIGN_OR_RETURN(Sha256 hasher, Sha256::Create());
    ScopedFd fd;
    std::string temp_path;
    RETURN_IF_ERROR(layout_->CreateTempFile(&fd, &temp_path));
    return std::unique_ptr<BlobWriter>(std::make_unique<internal::LocalBlobWriter>(
        layout_.get(), std::move(fd), std::move(temp_path), std::move(hasher), std::move(announced)));
  }

  Result<std::unique_ptr<BlobReader>> Open(std::string_view digest) override {
    ASSIGN_OR_RETURN(std::string d, NormalizeDigest(digest));
    std::string path = layout_->BlobPath(d);
    int f = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (f < 0) {
      if (errno == ENOENT || errno == ENOTDIR) return Status::NotFound("blob " + d + " not found");
      return ErrnoStatus("opening blob " + d, errno);
    }
    ScopedFd fd(f);
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) return ErrnoStatus("opening blob " + d, errno);
    if (!S_ISREG(st.st_mode)) return Status::Internal("blob " + d + " is not a regular file");
    return std::unique_ptr<BlobReader>(
        std::make_unique<LocalBlobReader>(std::move(fd), static_cast<uint64_t>(st.st_size), d));
  }

  Result<bool> Exists(std::string_view digest) override {
    ASSIGN_OR_RETURN(std::string d, NormalizeDigest(digest));
    struct stat st;
    if (::stat(layout_->BlobPath(d).c_str(), &st) != 0) {
      if (errno == ENOENT || errno == ENOTDIR) return false;
      return ErrnoStatus("checking blob " + d, errno);
    }
    return S_ISREG(st.st_mode);
  }

  Status Remove(std::string_view digest) override {
    ASSIGN_OR_RETURN(std::string d, NormalizeDigest(digest));
    if (::unlink(layout_->BlobPath(d).c_str()) != 0) {
      if (errno == ENOENT || errno == ENOTDIR) return Status::NotFound("blob " + d + " not found");
      return ErrnoStatus("removing blob " + d, errno);
    }
    // Not fsynced, and empty shard directories are kept: a removal lost in a
    // crash only leaves garbage that the next collection finds again, and
    // the directories are shared with future blobs.
    return Status::Ok();
  }

 private:
  const std::unique_ptr<LocalLayout> layout_;
};

}  // namespace

Result<std::unique_ptr<BlobStore>> OpenLocalBlobStore(const std::string& root) {
  ASSIGN_OR_RETURN(std::unique_ptr<LocalLayout> layout, LocalLayout::Open(root));
  return std::unique_ptr<BlobStore>(std::make_unique<LocalBlobStore>(std::move(layout)));
}

}  // namespace sextant::blobs
