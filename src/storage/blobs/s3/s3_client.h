// Signed requests to an S3-compatible server over libcurl, which signs them
// itself (CURLOPT_AWS_SIGV4). This layer knows URLs, signing, retries and
// connection reuse; what the requests mean is in s3_blob_store.cc.
//
// Thread-safe: requests may be sent from many threads at once; each borrows
// a curl handle (and its kept-alive connection) from a small pool.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "storage/blobs/s3/s3_options.h"

namespace sextant::blobs {

struct S3Request {
  std::string method = "GET";  // GET, HEAD, PUT, POST, DELETE
  std::string key;             // object key under the store's prefix; "" for the bucket itself
  // Query parameters; sent sorted and encoded as SigV4's canonical form
  // requires (libcurl signs the query string exactly as given).
  std::map<std::string, std::string> query;
  std::vector<std::string> headers;  // "Name: value"
  std::string_view body;             // sent as is; its SHA-256 is signed
  // For GET: a byte range [first, first + length), length > 0.
  int64_t range_first = -1;
  int64_t range_length = 0;
};

struct S3Response {
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lowercase names
};

class S3Client {
 public:
  explicit S3Client(S3Options o);
  ~S3Client();
  S3Client(const S3Client&) = delete;
  S3Client& operator=(const S3Client&) = delete;

  const S3Options& options() const { return o_; }

  // Sends `r`, retrying with exponential backoff (100 ms doubling, jittered)
  // on connection errors, 429, 5xx and S3's SlowDown. Any HTTP answer that is
  // not retried is returned as is, status included: the caller decides what
  // 404 or 412 means. Unavailable when the server cannot be reached after
  // every attempt.
  Result<S3Response> Send(const S3Request& r);

  // The S3 error in a failed answer, as "S3 <status> <Code>: <Message> (key)".
  static Status ErrorStatus(const S3Response& res, std::string_view what);

 private:
  struct Handle;
  std::unique_ptr<Handle> Borrow();
  void Return(std::unique_ptr<Handle> h);
  Result<S3Response> SendOnce(Handle& h, const S3Request& r, std::string* transport_error);
  std::string Url(const S3Request& r) const;

  S3Options o_;
  std::string sigv4_;    // "aws:amz:<region>:s3"
  std::string userpwd_;  // "<access>:<secret>"
  std::mutex mu_;
  std::vector<std::unique_ptr<Handle>> idle_;  // guarded by mu_
};

}  // namespace sextant::blobs
