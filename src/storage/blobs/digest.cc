#include "storage/blobs/digest.h"

#include <openssl/evp.h>

#include <utility>

namespace sextant::blobs {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Result<std::string> NormalizeDigest(std::string_view digest) {
  // The message never echoes the input: it may be huge or hold control bytes.
  if (digest.size() != kDigestHexLength) {
    return Status::InvalidArgument("invalid digest: want 64 hex characters, got " +
                                   std::to_string(digest.size()) + " characters");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(kDigestHexLength, '0');
  for (size_t i = 0; i < digest.size(); ++i) {
    int v = HexValue(digest[i]);
    if (v < 0) {
      return Status::InvalidArgument("invalid digest: character " + std::to_string(i) +
                                     " is not a hex digit");
    }
    out[i] = kHex[v];
  }
  return out;
}

void Sha256::CtxDeleter::operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }

Result<Sha256> Sha256::Create() {
  std::unique_ptr<EVP_MD_CTX, CtxDeleter> ctx(EVP_MD_CTX_new());
  if (ctx == nullptr) return Status::Internal("sha256: cannot allocate EVP context");
  if (EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    return Status::Internal("sha256: EVP_DigestInit_ex failed");
  }
  return Sha256(std::move(ctx));
}

Status Sha256::Update(std::string_view bytes) {
  if (bytes.empty()) return Status::Ok();
  if (EVP_DigestUpdate(ctx_.get(), bytes.data(), bytes.size()) != 1) {
    return Status::Internal("sha256: EVP_DigestUpdate failed");
  }
  return Status::Ok();
}

Result<std::string> Sha256::Finish() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_.get(), md, &len) != 1 || len * 2 != kDigestHexLength) {
    return Status::Internal("sha256: EVP_DigestFinal_ex failed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(kDigestHexLength);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 0xf]);
  }
  return out;
}

Result<std::string> FinishUpload(Sha256& hasher, uint64_t size, std::string_view expected_sha256,
                                 int64_t expected_size, std::string_view announced) {
  std::string expected;
  if (!expected_sha256.empty()) {
    Result<std::string> normalized = NormalizeDigest(expected_sha256);
    if (!normalized.ok()) return normalized.status().WithContext("expected checksum");
    expected = std::move(normalized).value();
  }
  ASSIGN_OR_RETURN(std::string digest, hasher.Finish());
  if (expected_size >= 0 && static_cast<uint64_t>(expected_size) != size)
    return Status::InvalidArgument("size mismatch: expected " + std::to_string(expected_size) + " bytes, got " +
                                   std::to_string(size));
  if (!expected.empty() && expected != digest)
    return Status::InvalidArgument("checksum mismatch: expected " + expected + ", got " + digest);
  if (!announced.empty() && announced != digest)
    return Status::InvalidArgument("checksum mismatch: expected " + std::string(announced) + ", got " + digest);
  return digest;
}

}  // namespace sextant::blobs
