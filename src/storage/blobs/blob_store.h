// Content-addressed storage for files logged to runs (checkpoints, plots,
// configs). A blob's key is the lowercase hex SHA-256 of its bytes, so equal
// content is stored once and a key can never point at different bytes.
//
// The interface is shaped for both backends: the local folder and an
// S3-compatible store (s3/). It therefore streams in both directions and never
// exposes filesystem paths or file descriptors.
//
// Digests accepted from callers (Open, Exists, Remove, Commit's expected
// digest) must be exactly 64 hex characters, lowercase or uppercase; anything
// else is InvalidArgument. Digests returned are always lowercase.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace sextant::blobs {

struct BlobInfo {
  std::string digest;  // lowercase hex SHA-256, 64 characters
  uint64_t size = 0;   // bytes
};

// Receives one upload in pieces; never holds the whole file in memory.
//
// Thread-compatible: one thread (or one request handler) drives a writer.
// After Commit (whatever its outcome) or Abort, the writer is finished and
// further Append/Commit calls return Internal.
class BlobWriter {
 public:
  virtual ~BlobWriter() = default;

  // Appends the next piece. A failure (e.g. disk full) discards the upload.
  virtual Status Append(std::string_view bytes) = 0;

  // Verifies expected_sha256 (if non-empty; lowercase or uppercase hex) and
  // the byte count (if expected_size >= 0). On mismatch returns
  // InvalidArgument ("checksum mismatch: expected ..., got ..." or "size
  // mismatch: ...") and stores nothing. On success the blob is durable before
  // this returns. Committing content that is already stored succeeds and
  // leaves one copy.
  virtual Result<BlobInfo> Commit(std::string_view expected_sha256 = {},
                                  int64_t expected_size = -1) = 0;

  // Discards a partial upload. Also done by the destructor if not committed.
  // Idempotent.
  virtual void Abort() = 0;
};

// A handle on one stored blob. Blobs are immutable, so size() never changes.
// A local reader stays valid even if the blob is removed while it is open; an
// S3 reader then fails with NotFound (a download racing a purge ends short).
//
// Thread-compatible (the local implementation happens to allow concurrent
// ReadAt calls, but a remote one may keep a connection per reader).
class BlobReader {
 public:
  virtual ~BlobReader() = default;

  virtual uint64_t size() const = 0;

  // Reads up to n bytes at offset into *out, which is resized to the number of
  // bytes read: fewer than n only at the end of the blob, and empty (not an
  // error) when offset >= size(). For ranged downloads. The caller bounds n:
  // the reader allocates min(n, size() - offset) bytes.
  virtual Status ReadAt(uint64_t offset, size_t n, std::string* out) = 0;
};

// Thread-safe: all methods may be called concurrently, and writers and readers
// from one store may be used on different threads at once.
class BlobStore {
 public:
  virtual ~BlobStore() = default;

  // Starts an upload. The caller owns the writer.
  // `expected_sha256` is the checksum the client announced before sending
  // (empty if none): a store may use it to write straight to the final place
  // or to skip sending content it already has (S3). The writer then refuses
  // to commit other content ("checksum mismatch") even if Commit is given no
  // checksum. An invalid announced checksum is InvalidArgument here.
  // REQUIRES: the store outlives the writer.
  virtual Result<std::unique_ptr<BlobWriter>> NewWriter(std::string_view expected_sha256) = 0;
  Result<std::unique_ptr<BlobWriter>> NewWriter() { return NewWriter({}); }

  // NotFound if no blob has this digest; InvalidArgument if the digest is not
  // 64 hex characters. The caller owns the reader; it may outlive the store.
  virtual Result<std::unique_ptr<BlobReader>> Open(std::string_view digest) = 0;

  virtual Result<bool> Exists(std::string_view digest) = 0;

  // Deletes a blob (for garbage collection). NotFound if absent. Open local
  // readers keep working. Racing with a Commit of the same content may delete the
  // freshly committed blob, so the collector must spare recently committed
  // blobs (see docs/format/blobs.md).
  virtual Status Remove(std::string_view digest) = 0;
};

// Opens (creating if needed) a store in the local folder `root`. Blobs live
// under root/sha256/ab/cd/<digest>; partial uploads under root/tmp/ and are
// renamed into place atomically. Temp files older than an hour, left behind by
// a crash, are removed here; younger ones may belong to another live process
// sharing the folder and are left alone.
Result<std::unique_ptr<BlobStore>> OpenLocalBlobStore(const std::string& root);

}  // namespace sextant::blobs
