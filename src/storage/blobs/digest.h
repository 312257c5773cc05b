// SHA-256 digests as blob keys: strict validation of caller-provided hex, and
// a streaming hasher over OpenSSL's EVP interface.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

typedef struct evp_md_ctx_st EVP_MD_CTX;

namespace sextant::blobs {

// Hex characters in a SHA-256 digest.
inline constexpr size_t kDigestHexLength = 64;

// Returns the lowercase form of `digest` if it is exactly 64 ASCII hex
// characters (either case), else InvalidArgument. Because the result can only
// contain [0-9a-f], it is safe to use as a path component: no separator, dot,
// NUL or other byte from the caller survives.
Result<std::string> NormalizeDigest(std::string_view digest);

// Streams bytes into a SHA-256 context.
//
// Thread-compatible. Movable, not copyable; owns its EVP context.
// REQUIRES (all methods): not moved from.
class Sha256 {
 public:
  // Internal if OpenSSL cannot allocate or initialise the context.
  static Result<Sha256> Create();

  Sha256(Sha256&&) noexcept = default;
  Sha256& operator=(Sha256&&) noexcept = default;

  Status Update(std::string_view bytes);

  // Returns the lowercase hex digest of everything passed to Update.
  // REQUIRES: called at most once.
  Result<std::string> Finish();

 private:
  struct CtxDeleter {
    void operator()(EVP_MD_CTX* ctx) const;
  };
  explicit Sha256(std::unique_ptr<EVP_MD_CTX, CtxDeleter> ctx) : ctx_(std::move(ctx)) {}

  std::unique_ptr<EVP_MD_CTX, CtxDeleter> ctx_;
};

// The end of an upload of `size` bytes hashed by `hasher`: returns the digest
// if it and the size match what the client said (expected_sha256 empty or
// expected_size < 0: not checked), and the digest matches `announced` (the
// lowercase checksum given to NewWriter, if any), else InvalidArgument
// ("checksum mismatch: expected …, got …" or "size mismatch: …"), as
// BlobWriter::Commit promises.
Result<std::string> FinishUpload(Sha256& hasher, uint64_t size, std::string_view expected_sha256,
                                 int64_t expected_size, std::string_view announced = {});

}  // namespace sextant::blobs
