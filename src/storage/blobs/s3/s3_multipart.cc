#include "storage/blobs/s3/s3_multipart.h"

#include <algorithm>

#include "storage/blobs/s3/s3_keys.h"
#include "storage/blobs/s3/s3_xml.h"

namespace sextant::blobs::s3ops {
namespace {

// CompleteMultipartUpload and CopyObject may answer 200 and still fail: the
// error is then the body (S3 sends the status line before it knows).
bool ErrorBody(const S3Response& res) { return res.body.find("<Error>") != std::string::npos; }

Status Check(const S3Response& res, std::string_view what) {
  if (res.status / 100 != 2 || ErrorBody(res)) return S3Client::ErrorStatus(res, what);
  return Status::Ok();
}

std::string CopySource(const S3Client& c, const std::string& key) {
  return "x-amz-copy-source: /" + c.options().bucket + "/" + AwsUriEncode(c.options().prefix + key, true);
}

}  // namespace

Result<std::string> CreateUpload(S3Client& c, const std::string& key) {
  S3Request r{.method = "POST", .key = key, .query = {{"uploads", ""}}};
  ASSIGN_OR_RETURN(S3Response res, c.Send(r));
  RETURN_IF_ERROR(Check(res, "starting upload " + key));
  ASSIGN_OR_RETURN(std::string id, s3xml::FirstText(res.body, "UploadId"));
  if (id.empty()) return Status::Internal("S3: no UploadId in the answer to starting upload " + key);
  return id;
}

Result<std::string> UploadPart(S3Client& c, const std::string& key, const std::string& upload_id,
                               int part_number, std::string_view bytes) {
  S3Request r{.method = "PUT",
              .key = key,
              .query = {{"partNumber", std::to_string(part_number)}, {"uploadId", upload_id}},
              .body = bytes};
  ASSIGN_OR_RETURN(S3Response res, c.Send(r));
  RETURN_IF_ERROR(Check(res, "part " + std::to_string(part_number) + " of " + key));
  auto etag = res.headers.find("etag");
  if (etag == res.headers.end() || etag->second.empty())
    return Status::Internal("S3: no ETag for part " + std::to_string(part_number) + " of " + key);
  return etag->second;
}

Status CompleteUpload(S3Client& c, const std::string& key, const std::string& upload_id,
                      const std::vector<std::string>& etags) {
  std::string xml = "<CompleteMultipartUpload>";
  for (size_t i = 0; i < etags.size(); ++i) {
    std::string etag;
    for (char ch : etags[i]) etag += ch == '"' ? std::string("&quot;") : std::string(1, ch);
    xml += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>" + etag + "</ETag></Part>";
  }
  xml += "</CompleteMultipartUpload>";
  S3Request r{.method = "POST",
              .key = key,
              .query = {{"uploadId", upload_id}},
              .headers = {"Content-Type: application/xml"},
              .body = xml};
  ASSIGN_OR_RETURN(S3Response res, c.Send(r));
  // A retried Complete whose first attempt went through finds no such
  // upload; the object is then there, which is what was asked.
  if (res.status == 404 && res.body.find("NoSuchUpload") != std::string::npos && Head(c, key).ok())
    return Status::Ok();
  return Check(res, "completing upload " + key);
}

void AbortUpload(S3Client& c, const std::string& key, const std::string& upload_id) {
  S3Request r{.method = "DELETE", .key = key, .query = {{"uploadId", upload_id}}};
  (void)c.Send(r);
}

Status PutObject(S3Client& c, const std::string& key, std::string_view bytes) {
  S3Request r{.method = "PUT", .key = key, .body = bytes};
  ASSIGN_OR_RETURN(S3Response res, c.Send(r));
  return Check(res, "writing " + key);
}

Status CopyObject(S3Client& c, const std::string& from, const std::string& to, uint64_t size) {
  if (size <= s3keys::kMaxSingleCopy) {
    S3Request r{.method = "PUT", .key = to, .headers = {CopySource(c, from)}};
    ASSIGN_OR_RETURN(S3Response res, c.Send(r));
    return Check(res, "copying " + from + " to " + to);
  }
  ASSIGN_OR_RETURN(std::string id, CreateUpload(c, to));
  std::vector<std::string> etags;
  for (uint64_t at = 0; at < size; at += s3keys::kCopyPart) {
    const uint64_t last = std::min(size, at + s3keys::kCopyPart) - 1;
    const int part = static_cast<int>(etags.size()) + 1;
    S3Request r{.method = "PUT",
                .key = to,
                .query = {{"partNumber", std::to_string(part)}, {"uploadId", id}},
                .headers = {CopySource(c, from),
                            "x-amz-copy-source-range: bytes=" + std::to_string(at) + "-" + std::to_string(last)}};
    Result<S3Response> res = c.Send(r);
    Status st = res.ok() ? Check(*res, "copying part " + std::to_string(part) + " of " + to) : res.status();
    Result<std::string> etag = st.ok() ? s3xml::FirstText(res->body, "ETag") : Result<std::string>(st);
    if (!etag.ok() || etag->empty()) {
      AbortUpload(c, to, id);
      return etag.ok() ? Status::Internal("S3: no ETag copying part " + std::to_string(part) + " of " + to)
                       : etag.status();
    }
    etags.push_back(*etag);
  }
  Status st = CompleteUpload(c, to, id, etags);
  if (!st.ok()) AbortUpload(c, to, id);
  return st;
}

Status Touch(S3Client& c, const std::string& key, uint64_t size) {
  // Above 5 GiB a copy onto itself takes a multipart copy: not worth it for a
  // time stamp; such a blob keeps its first commit time.
  if (size > s3keys::kMaxSingleCopy) return Status::Ok();
  S3Request r{.method = "PUT", .key = key, .headers = {CopySource(c, key), "x-amz-metadata-directive: REPLACE"}};
  ASSIGN_OR_RETURN(S3Response res, c.Send(r));
  return Check(res, "re-stamping " + key);
}

Result<uint64_t> Head(S3Client& c, const std::string& key) {
  S3Request r{.method = "HEAD", .key = key};
  ASSIGN_OR_RETURN(S3Response res, c.Send(r));
  if (res.status == 404) return Status::NotFound("no object " + key);
  RETURN_IF_ERROR(Check(res, "looking up " + key));
  auto len = res.headers.find("content-length");
  if (len == res.headers.end()) return Status::Internal("S3: no Content-Length for " + key);
  try {
    return static_cast<uint64_t>(std::stoull(len->second));
  } catch (...) {
    return Status::Internal("S3: bad Content-Length '" + len->second + "' for " + key);
  }
}

Status Delete(S3Client& c, const std::string& key) {
  S3Request r{.method = "DELETE", .key = key};
  ASSIGN_OR_RETURN(S3Response res, c.Send(r));
  if (res.status == 404) return Status::Ok();
  return Check(res, "deleting " + key);
}

}  // namespace sextant::blobs::s3ops
