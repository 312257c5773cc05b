#include "storage/blobs/s3/s3_blob_store.h"

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <random>

#include "storage/blobs/digest.h"
#include "storage/blobs/s3/s3_blob_writer.h"
#include "storage/blobs/s3/s3_client.h"
#include "storage/blobs/s3/s3_keys.h"
#include "storage/blobs/s3/s3_multipart.h"
#include "storage/blobs/s3/s3_xml.h"

namespace sextant::blobs {
namespace {

// Sequential reads (downloads) fetch ahead, doubling up to this many bytes,
// so a large file costs a GET per 8 MiB rather than per caller's chunk.
constexpr size_t kMaxReadAhead = 8 << 20;

class S3BlobReader final : public BlobReader {
 public:
  S3BlobReader(std::shared_ptr<S3Client> c, std::string key, uint64_t size)
      : c_(std::move(c)), key_(std::move(key)), size_(size) {}

  uint64_t size() const override { return size_; }

  Status ReadAt(uint64_t offset, size_t n, std::string* out) override {
    out->clear();
    if (offset >= size_ || n == 0) return Status::Ok();
    n = static_cast<size_t>(std::min<uint64_t>(n, size_ - offset));
    const uint64_t window_end = window_start_ + window_.size();
    if (offset < window_start_ || offset + n > window_end) {
      ahead_ = offset == window_end && !window_.empty() ? std::min(kMaxReadAhead, std::max(ahead_ * 2, n)) : n;
      const size_t len = static_cast<size_t>(std::min<uint64_t>(std::max(ahead_, n), size_ - offset));
      S3Request r{.method = "GET", .key = key_, .range_first = static_cast<int64_t>(offset),
                  .range_length = static_cast<int64_t>(len)};
      ASSIGN_OR_RETURN(S3Response res, c_->Send(r));
      if (res.status != 206 && !(res.status == 200 && offset == 0 && len == size_))
        return S3Client::ErrorStatus(res, "reading " + key_);
      if (res.body.size() != len)
        return Status::DataLoss("S3: reading " + key_ + " at " + std::to_string(offset) + " returned " +
                                std::to_string(res.body.size()) + " of " + std::to_string(len) + " bytes");
      window_ = std::move(res.body);
      window_start_ = offset;
    }
    out->assign(window_, static_cast<size_t>(offset - window_start_), n);
    return Status::Ok();
  }

 private:
  std::shared_ptr<S3Client> c_;
  const std::string key_;
  const uint64_t size_;
  std::string window_;
  uint64_t window_start_ = 0;
  size_t ahead_ = 0;
};

// "2026-12-03T10:00:00.000Z" -> seconds since the epoch; -1 if unreadable.
int64_t ParseIsoTime(const std::string& s) {
  struct tm tm = {};
  if (!strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) return -1;
  return static_cast<int64_t>(timegm(&tm));
}

class S3BlobStore final : public BlobStore {
 public:
  explicit S3BlobStore(std::shared_ptr<S3Client> c) : c_(std::move(c)) {}

  using BlobStore::NewWriter;

  Result<std::unique_ptr<BlobWriter>> NewWriter(std::string_view expected_sha256) override {
    using Mode = internal::S3BlobWriter::Mode;
    ASSIGN_OR_RETURN(Sha256 hasher, Sha256::Create());
    Mode mode = Mode::kStaging;
    std::string announced, key = StagingKey();
    if (!expected_sha256.empty()) {
      Result<std::string> d = NormalizeDigest(expected_sha256);
      if (!d.ok()) return d.status().WithContext("expected checksum");
      announced = std::move(d).value();
      key = s3keys::Blob(announced);
      Result<uint64_t> existing = s3ops::Head(*c_, key);
      if (!existing.ok() && existing.status().code() != Code::kNotFound) return existing.status();
      mode = existing.ok() ? Mode::kAlreadyStored : Mode::kDirect;
    }
    return std::unique_ptr<BlobWriter>(std::make_unique<internal::S3BlobWriter>(
        c_.get(), std::move(hasher), mode, std::move(key), std::move(announced)));
  }

  Result<std::unique_ptr<BlobReader>> Open(std::string_view digest) override {
    ASSIGN_OR_RETURN(std::string d, NormalizeDigest(digest));
    const std::string key = s3keys::Blob(d);
    Result<uint64_t> size = s3ops::Head(*c_, key);
    if (!size.ok() && size.status().code() == Code::kNotFound) return Status::NotFound("no blob " + d);
    if (!size.ok()) return size.status();
    return std::unique_ptr<BlobReader>(std::make_unique<S3BlobReader>(c_, key, *size));
  }

  Result<bool> Exists(std::string_view digest) override {
    ASSIGN_OR_RETURN(std::string d, NormalizeDigest(digest));
    Result<uint64_t> size = s3ops::Head(*c_, s3keys::Blob(d));
    if (size.ok()) return true;
    if (size.status().code() == Code::kNotFound) return false;
    return size.status();
  }

  Status Remove(std::string_view digest) override {
    ASSIGN_OR_RETURN(std::string d, NormalizeDigest(digest));
    const std::string key = s3keys::Blob(d);
    Result<uint64_t> size = s3ops::Head(*c_, key);
    if (!size.ok() && size.status().code() == Code::kNotFound) return Status::NotFound("no blob " + d);
    if (!size.ok()) return size.status();
    return s3ops::Delete(*c_, key);
  }

  // Staging uploads and objects older than an hour belong to no live writer.
  void SweepStaging() {
    const int64_t cutoff = static_cast<int64_t>(::time(nullptr)) - 3600;
    const std::string prefix = c_->options().prefix + std::string(s3keys::kStaging);
    auto relative = [&](const std::string& key) { return key.substr(c_->options().prefix.size()); };
    S3Request uploads{.method = "GET", .query = {{"prefix", prefix}, {"uploads", ""}}};
    if (auto res = c_->Send(uploads); res.ok() && res->status == 200) {
      if (auto ups = s3xml::Elements(res->body, "Upload"); ups.ok())
        for (auto& u : *ups) {
          const int64_t t = ParseIsoTime(u["Initiated"]);
          if (t >= 0 && t < cutoff && u["Key"].rfind(prefix, 0) == 0)
            s3ops::AbortUpload(*c_, relative(u["Key"]), u["UploadId"]);
        }
    }
    S3Request objects{.method = "GET", .query = {{"list-type", "2"}, {"prefix", prefix}}};
    if (auto res = c_->Send(objects); res.ok() && res->status == 200) {
      if (auto objs = s3xml::Elements(res->body, "Contents"); objs.ok())
        for (auto& o : *objs) {
          const int64_t t = ParseIsoTime(o["LastModified"]);
          if (t >= 0 && t < cutoff && o["Key"].rfind(prefix, 0) == 0) (void)s3ops::Delete(*c_, relative(o["Key"]));
        }
    }
  }

 private:
  static std::string StagingKey() {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    char buf[33];
    std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(rng()),
                  static_cast<unsigned long long>(rng()));
    return std::string(s3keys::kStaging) + buf;
  }

  std::shared_ptr<S3Client> c_;
};

}  // namespace

Result<std::unique_ptr<BlobStore>> OpenS3BlobStore(const S3Options& options) {
  if (options.part_size == 0) return Status::InvalidArgument("S3 part size must be positive");
  auto client = std::make_shared<S3Client>(options);
  S3Request probe{.method = "GET", .query = {{"list-type", "2"}, {"max-keys", "1"}, {"prefix", options.prefix}}};
  ASSIGN_OR_RETURN(S3Response res, client->Send(probe));
  if (res.status == 404)
    return Status::InvalidArgument("S3 bucket '" + options.bucket + "' does not exist at " + options.endpoint +
                                   ": create it first");
  if (res.status != 200) return S3Client::ErrorStatus(res, "opening bucket " + options.bucket);
  auto store = std::make_unique<S3BlobStore>(std::move(client));
  store->SweepStaging();
  return std::unique_ptr<BlobStore>(std::move(store));
}

}  // namespace sextant::blobs
