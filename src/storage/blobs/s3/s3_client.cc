#include "storage/blobs/s3/s3_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <mutex>
#include <random>
#include <thread>

#include "storage/blobs/digest.h"
#include "storage/blobs/s3/s3_xml.h"

namespace sextant::blobs {

struct S3Client::Handle {
  CURL* curl = nullptr;
  ~Handle() {
    if (curl) curl_easy_cleanup(curl);
  }
};

namespace {

constexpr size_t kIdleHandles = 16;
// An error answer's body is a short XML document; a GET's is at most the
// caller's range. Anything beyond is refused rather than buffered.
constexpr size_t kMaxAnswer = 256 << 20;

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Sink {
  S3Response* res;
  bool overflow = false;
};

size_t OnBody(char* p, size_t size, size_t n, void* user) {
  auto* s = static_cast<Sink*>(user);
  const size_t len = size * n;
  if (s->res->body.size() + len > kMaxAnswer) {
    s->overflow = true;
    return 0;
  }
  s->res->body.append(p, len);
  return len;
}

size_t OnHeader(char* p, size_t size, size_t n, void* user) {
  auto* s = static_cast<Sink*>(user);
  const size_t len = size * n;
  std::string_view line(p, len);
  // A new status line (after a 100 Continue) starts a fresh header set.
  if (line.rfind("HTTP/", 0) == 0) s->res->headers.clear();
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return len;
  std::string name(line.substr(0, colon));
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  std::string_view v = line.substr(colon + 1);
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' ')) v.remove_suffix(1);
  s->res->headers[name] = std::string(v);
  return len;
}

struct Upload {
  std::string_view body;
  size_t at = 0;
};

size_t OnRead(char* buf, size_t size, size_t n, void* user) {
  auto* u = static_cast<Upload*>(user);
  size_t len = std::min(size * n, u->body.size() - u->at);
  std::copy_n(u->body.data() + u->at, len, buf);
  u->at += len;
  return len;
}

int OnSeek(void* user, curl_off_t offset, int origin) {
  auto* u = static_cast<Upload*>(user);
  if (origin != SEEK_SET || offset < 0 || static_cast<size_t>(offset) > u->body.size()) return CURL_SEEKFUNC_FAIL;
  u->at = static_cast<size_t>(offset);
  return CURL_SEEKFUNC_OK;
}

bool Retryable(long status, const std::string& body) {
  if (status == 429 || status == 500 || status == 502 || status == 503 || status == 504) return true;
  // S3 says "slow down" or "request timeout" with 503 / 400 respectively.
  if (status == 400 && body.find("<Code>RequestTimeout</Code>") != std::string::npos) return true;
  return false;
}

}  // namespace

S3Client::S3Client(S3Options o) : o_(std::move(o)) {
  GlobalInit();
  sigv4_ = "aws:amz:" + o_.region + ":s3";
  userpwd_ = o_.access_key + ":" + o_.secret_key;
}

S3Client::~S3Client() = default;

std::unique_ptr<S3Client::Handle> S3Client::Borrow() {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!idle_.empty()) {
      auto h = std::move(idle_.back());
      idle_.pop_back();
      return h;
    }
  }
  auto h = std::make_unique<Handle>();
  h->curl = curl_easy_init();
  return h;
}

void S3Client::Return(std::unique_ptr<Handle> h) {
  std::lock_guard<std::mutex> l(mu_);
  if (idle_.size() < kIdleHandles) idle_.push_back(std::move(h));
}

std::string S3Client::Url(const S3Request& r) const {
  // An empty key addresses the bucket itself (listings); anything else is an
  // object under the store's prefix.
  const std::string path = r.key.empty() ? "" : AwsUriEncode(o_.prefix + r.key, /*keep_slash=*/true);
  std::string url;
  if (o_.path_style) {
    url = o_.endpoint + "/" + o_.bucket + "/" + path;
  } else {
    const size_t host = o_.endpoint.find("://") + 3;
    url = o_.endpoint.substr(0, host) + o_.bucket + "." + o_.endpoint.substr(host) + "/" + path;
  }
  // SigV4's canonical query: sorted by key (std::map), both sides encoded,
  // "key=" even for an empty value.
  char sep = '?';
  for (const auto& [k, v] : r.query) {
    url += sep;
    url += AwsUriEncode(k, false) + "=" + AwsUriEncode(v, false);
    sep = '&';
  }
  return url;
}

Result<S3Response> S3Client::SendOnce(Handle& h, const S3Request& r, std::string* transport_error) {
  CURL* c = h.curl;
  if (!c) return Status::Internal("S3: curl_easy_init failed");
  curl_easy_reset(c);
  S3Response res;
  Sink sink{&res};
  Upload up{r.body};
  const std::string url = Url(r);
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
  curl_easy_setopt(c, CURLOPT_AWS_SIGV4, sigv4_.c_str());
  curl_easy_setopt(c, CURLOPT_USERPWD, userpwd_.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 10'000L);
  // A stalled transfer (under 1 KiB/s for 60 s) is abandoned and retried.
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &sink);

  ASSIGN_OR_RETURN(Sha256 hasher, Sha256::Create());
  RETURN_IF_ERROR(hasher.Update(r.body));
  ASSIGN_OR_RETURN(std::string payload_sha, hasher.Finish());
  curl_slist* headers = nullptr;
  // The payload's hash is part of the signature, and the server checks the
  // body against it: every request body is verified end to end.
  headers = curl_slist_append(headers, ("x-amz-content-sha256: " + payload_sha).c_str());
  if (!o_.session_token.empty())
    headers = curl_slist_append(headers, ("x-amz-security-token: " + o_.session_token).c_str());
  std::string range;
  if (r.range_first >= 0 && r.range_length > 0) {
    range = "Range: bytes=" + std::to_string(r.range_first) + "-" +
            std::to_string(r.range_first + r.range_length - 1);
    headers = curl_slist_append(headers, range.c_str());
  }
  for (const auto& hd : r.headers) headers = curl_slist_append(headers, hd.c_str());
  // No "Expect:" override to skip curl's 100-continue: libcurl 7.88 would
  // sign the empty header it then does not send. S3 answers 100 at once.

  if (r.method == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (r.method == "PUT" || r.method == "POST") {
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, OnRead);
    curl_easy_setopt(c, CURLOPT_READDATA, &up);
    curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, OnSeek);
    curl_easy_setopt(c, CURLOPT_SEEKDATA, &up);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
    if (r.method == "POST") curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "POST");
  } else if (r.method != "GET") {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, r.method.c_str());
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  CURLcode rc = curl_easy_perform(c);
  curl_slist_free_all(headers);
  if (sink.overflow) return Status::Internal("S3: answer to " + r.method + " " + r.key + " larger than 256 MiB");
  if (rc != CURLE_OK) {
    *transport_error = curl_easy_strerror(rc);
    return Status::Unavailable("S3 " + r.method + " " + url + ": " + *transport_error);
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &res.status);
  return res;
}

Result<S3Response> S3Client::Send(const S3Request& r) {
  thread_local std::mt19937 rng{std::random_device{}()};
  auto h = Borrow();
  Status last = Status::Unavailable("S3: no attempt made");
  for (int attempt = 0; attempt < std::max(1, o_.max_attempts); ++attempt) {
    if (attempt > 0) {
      const int64_t base_ms = std::min<int64_t>(100LL << (attempt - 1), 5'000);
      std::uniform_int_distribution<int64_t> jitter(base_ms / 2, base_ms);
      std::this_thread::sleep_for(std::chrono::milliseconds(jitter(rng)));
    }
    std::string transport_error;
    Result<S3Response> res = SendOnce(*h, r, &transport_error);
    if (!res.ok()) {
      if (transport_error.empty()) return res;  // not a network failure: do not retry
      last = res.status();
      // The connection may be broken: start the next attempt on a fresh one.
      h = std::make_unique<Handle>();
      h->curl = curl_easy_init();
      continue;
    }
    if (Retryable(res->status, res->body) && attempt + 1 < o_.max_attempts) {
      last = ErrorStatus(*res, r.method + " " + r.key);
      continue;
    }
    Return(std::move(h));
    return res;
  }
  return Status::Unavailable(last.message() + " (after " + std::to_string(o_.max_attempts) + " attempts)");
}

Status S3Client::ErrorStatus(const S3Response& res, std::string_view what) {
  std::string code, message;
  if (!res.body.empty()) {
    if (auto c = s3xml::FirstText(res.body, "Code"); c.ok()) code = *c;
    if (auto m = s3xml::FirstText(res.body, "Message"); m.ok()) message = *m;
  }
  std::string text = "S3 " + std::to_string(res.status) + (code.empty() ? "" : " " + code) +
                     (message.empty() ? "" : ": " + message) + " (" + std::string(what) + ")";
  switch (res.status) {
    case 400: return Status::InvalidArgument(text);
    case 401:
    case 403: return Status::PermissionDenied(text);
    case 404: return Status::NotFound(text);
    case 409:
    case 412: return Status::Conflict(text);
    case 429:
    case 500:
    case 502:
    case 503:
    case 504: return Status::Unavailable(text);
    default: return Status::Internal(text);
  }
}

}  // namespace sextant::blobs
