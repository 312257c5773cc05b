// Thin POSIX helpers for the local blob store. They retry EINTR, turn errno
// into Status with context, and never throw. Internal to blobs/.
//
// `what` arguments name the object in messages ("blob <digest>", "upload").
// They are labels, not paths, because read and write errors can reach API
// users and the server's folder layout is none of their business.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace sextant::blobs::internal {

// Internal("<context>: <strerror(err)>").
Status ErrnoStatus(std::string_view context, int err);

// Writes all of `bytes` to fd, looping over short writes.
Status WriteFully(int fd, std::string_view bytes, std::string_view what);

// Reads up to n bytes at offset into buf, looping over short reads; stops
// early only at end of file. *read_out gets the count.
Status PreadFully(int fd, uint64_t offset, size_t n, char* buf, size_t* read_out,
                  std::string_view what);

// Closes fd, reporting the error close() may return after delayed writeback.
Status CloseFd(int fd, std::string_view what);

// fsync on the directory itself, so that entries created, renamed or removed
// in it survive a crash.
Status SyncDir(const std::string& path);

// mkdir with mode 0755. *created is false if it already existed as a
// directory (something else at that path is Internal).
Status MakeDir(const std::string& path, bool* created);

// Owns a file descriptor; closes it (ignoring errors) on destruction. Code that
// must see close() errors calls Release() and CloseFd().
class ScopedFd {
 public:
  ScopedFd() = default;
  explicit ScopedFd(int fd) : fd_(fd) {}
  ScopedFd(ScopedFd&& other) noexcept : fd_(other.Release()) {}
  ScopedFd& operator=(ScopedFd&& other) noexcept;
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  ~ScopedFd() { Reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int Release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void Reset();

 private:
  int fd_ = -1;
};

}  // namespace sextant::blobs::internal
