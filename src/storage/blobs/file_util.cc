#include "storage/blobs/file_util.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

namespace sextant::blobs::internal {

Status ErrnoStatus(std::string_view context, int err) {
  return Status::Internal(std::string(context) + ": " + std::strerror(err));
}

Status WriteFully(int fd, std::string_view bytes, std::string_view what) {
  const char* p = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("writing " + std::string(what), errno);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  return Status::Ok();
}

Status PreadFully(int fd, uint64_t offset, size_t n, char* buf, size_t* read_out,
                  std::string_view what) {
  size_t done = 0;
  while (done < n) {
    ssize_t r = ::pread(fd, buf + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0) {
      if (errno == EINTR) continue;
      *read_out = done;
      return ErrnoStatus("reading " + std::string(what) + " at offset " +
                             std::to_string(offset + done),
                         errno);
    }
    if (r == 0) break;  // end of file
    done += static_cast<size_t>(r);
  }
  *read_out = done;
  return Status::Ok();
}

Status CloseFd(int fd, std::string_view what) {
  // On Linux the descriptor is released even when close() fails, so retrying
  // on EINTR could close an unrelated descriptor opened by another thread.
  if (::close(fd) != 0 && errno != EINTR) {
    return ErrnoStatus("closing " + std::string(what), errno);
  }
  return Status::Ok();
}

Status SyncDir(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("opening directory " + path + " to sync", errno);
  ScopedFd dir(fd);
  while (::fsync(dir.get()) != 0) {
    if (errno != EINTR) return ErrnoStatus("syncing directory " + path, errno);
  }
  return CloseFd(dir.Release(), path);
}

Status MakeDir(const std::string& path, bool* created) {
  *created = false;
  if (::mkdir(path.c_str(), 0755) == 0) {
    *created = true;
    return Status::Ok();
  }
  if (errno != EEXIST) return ErrnoStatus("creating directory " + path, errno);
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return ErrnoStatus("checking " + path, errno);
  if (!S_ISDIR(st.st_mode)) return Status::Internal(path + " exists and is not a directory");
  return Status::Ok();
}

ScopedFd& ScopedFd::operator=(ScopedFd&& other) noexcept {
  if (this != &other) {
    Reset();
    fd_ = other.Release();
  }
  return *this;
}

void ScopedFd::Reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

}  // namespace sextant::blobs::internal
