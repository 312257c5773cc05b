// Where an S3-compatible file store lives and how to sign requests to it:
// parsed from a location URL plus the usual AWS environment variables, so no
// secret ever has to appear on a command line.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace sextant::blobs {

struct S3Options {
  // "http://127.0.0.1:9000" or "https://s3.eu-west-1.amazonaws.com": scheme,
  // host and optional port, no path. Empty: https://s3.<region>.amazonaws.com.
  std::string endpoint;
  std::string bucket;
  // Key prefix inside the bucket, empty or ending in '/'.
  std::string prefix;
  std::string region = "us-east-1";
  std::string access_key;
  std::string secret_key;
  std::string session_token;  // optional (temporary credentials)
  // https://endpoint/bucket/key (MinIO, most self-hosted stores) rather than
  // https://bucket.endpoint/key (AWS's default).
  bool path_style = true;
  // Bytes per multipart part: S3 requires >= 5 MiB for all parts but the last.
  size_t part_size = 8 << 20;
  // Attempts per request on connection errors, 5xx, 429 and SlowDown.
  int max_attempts = 5;
};

// Parses `s3://bucket[/prefix][?endpoint=URL&region=R&path_style=true|false]`
// and fills credentials and defaults from `getenv` (AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION or AWS_DEFAULT_REGION,
// AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL). Query parameters win over the
// environment. InvalidArgument names the part that is wrong.
Result<S3Options> ParseS3Location(std::string_view url,
                                  const std::function<const char*(const char*)>& getenv);

// AWS's URI encoding (RFC 3986 unreserved characters kept, everything else
// %XX uppercase); '/' is kept when keep_slash.
std::string AwsUriEncode(std::string_view s, bool keep_slash);

}  // namespace sextant::blobs
