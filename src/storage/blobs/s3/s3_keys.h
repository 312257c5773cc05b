// Object keys of the S3 store, relative to its prefix.
#pragma once

#include <string>
#include <string_view>

namespace sextant::blobs::s3keys {

inline std::string Blob(std::string_view digest) {
  return "sha256/" + std::string(digest.substr(0, 2)) + "/" + std::string(digest.substr(2, 2)) + "/" +
         std::string(digest);
}

inline constexpr std::string_view kStaging = "tmp/";

// S3's limits: CopyObject copies at most 5 GiB in one request; a multipart
// upload has at most 10,000 parts.
inline constexpr uint64_t kMaxSingleCopy = 5ULL << 30;
inline constexpr uint64_t kCopyPart = 1ULL << 30;
inline constexpr int kMaxParts = 10'000;

}  // namespace sextant::blobs::s3keys
