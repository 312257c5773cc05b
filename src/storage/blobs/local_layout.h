// The on-disk layout of a local blob store (see docs/format/blobs.md): where
// blobs and partial uploads live, and the fsync protocol that makes a
// committed blob survive a crash. Internal to blobs/.
#pragma once

#include <atomic>
#include <bitset>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "common/status.h"
#include "storage/blobs/file_util.h"

namespace sextant::blobs::internal {

// Temp files older than this are leftovers of a crashed process. An hour is
// far longer than any live upload goes without writing (each Append touches
// the file's mtime), yet short enough that a crash loop cannot fill the disk
// with partial checkpoints.
inline constexpr std::chrono::seconds kStaleTempAge{3600};

// Thread-safe. Owned by the store; writers hold a raw pointer to it.
class LocalLayout {
 public:
  // Creates root/, root/tmp/ and root/sha256/ as needed, durably, and removes
  // temp files older than kStaleTempAge.
  static Result<std::unique_ptr<LocalLayout>> Open(const std::string& root);

  // root/sha256/ab/cd/<digest>.
  // REQUIRES: digest came from NormalizeDigest (64 lowercase hex characters),
  // which is what keeps every path inside root.
  std::string BlobPath(std::string_view digest) const;

  // Creates a new, empty, uniquely named temp file under root/tmp/ with
  // O_EXCL, so two uploads can never share one.
  Status CreateTempFile(ScopedFd* fd, std::string* path);

  // Renames a complete, fsynced, closed temp file to BlobPath(digest) and
  // fsyncs the directories involved. Replacing an existing blob is fine: it
  // has the same bytes, and rename() is atomic, so readers see one or the
  // other. REQUIRES: digest normalized.
  Status Publish(const std::string& temp_path, std::string_view digest);

  // Removes regular files in root/tmp/ last modified before now - max_age.
  // Best effort: a file that cannot be removed is left for the next open.
  Status RemoveStaleTempFiles(std::chrono::seconds max_age);

 private:
  explicit LocalLayout(std::string root);

  // Makes sure root/sha256/ab/ and root/sha256/ab/cd/ exist and that their
  // directory entries are durable.
  Status EnsureShardDirs(std::string_view digest);

  const std::string root_;
  const std::string tmp_dir_;
  const std::string blob_dir_;  // root/sha256
  // Distinguishes temp names of stores opened by one process (and of
  // processes that reuse a pid); O_EXCL still guards against collisions.
  const uint64_t nonce_;
  std::atomic<uint64_t> next_temp_id_{0};

  // Shard directories whose entries this process has fsynced into their
  // parent. mkdir() answering EEXIST proves nothing about durability (another
  // thread may not have synced yet, or the previous run crashed first), so
  // each directory's parent is fsynced once per process and remembered here.
  // Bits are indexed by the first 2 (256) and 4 (65536) hex digits.
  std::mutex mu_;
  std::bitset<256> level1_synced_;    // GUARDED_BY(mu_)
  std::bitset<65536> level2_synced_;  // GUARDED_BY(mu_)
};

}  // namespace sextant::blobs::internal
