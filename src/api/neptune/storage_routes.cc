// Files (module.h), with Sextant standing in for the object store that
// Neptune's clients upload to:
//
//   POST /api/storagebridge/v1/signedUrl   {files: [{path, permission, project_identifier, size}]}
//        → {files: [{path, project_identifier, provider: "aws", url, multipart?}]}
//   PUT  /api/neptune/storage/object?…&sig=…   the bytes (one part, or a whole file)
//   GET  /api/neptune/storage/object?…&sig=…   a download
//   POST /api/storagebridge/v1/s3/completeMultipartUpload  {upload_id, project_identifier, path, parts}
//
// A URL carries its own credential, as an S3 presigned URL does: an
// HMAC signature (auth::AccessTokens::Sign) over the permission, project,
// path, expiry and part, made when a caller with the role asked for it. The
// bytes go to the content-addressed file store; an upload is recorded under
// its storage path (uploads.h) until an ingest FileRef attaches it to a run.
// A part's ETag is its digest and a signature, so completing an upload can
// only assemble parts uploaded for it.
#include <openssl/rand.h>

#include <cstdlib>
#include <map>

#include <nlohmann/json.hpp>

#include "api/file_response.h"
#include "api/neptune/ingest_decode.h"
#include "api/neptune/module.h"
#include "api/neptune/neptune.h"
#include "api/neptune/respond.h"
#include "api/neptune/storage_paths.h"
#include "http/query.h"

namespace sextant::api::neptune {
namespace {

constexpr char kObjectPath[] = "/api/neptune/storage/object";
constexpr int64_t kUrlLifetimeS = 3600;
constexpr uint64_t kPartBytes = uint64_t{64} << 20;     // multipart above this
constexpr uint64_t kMaxParts = 10'000;

struct ObjectUrl {
  std::string perm, project, path, upload;
  int64_t exp = 0, size = -1, part = 0;

  std::string Message() const {
    return "v1\n" + perm + "\n" + project + "\n" + path + "\n" + std::to_string(exp) + "\n" + upload + "\n" +
           std::to_string(part) + "\n" + std::to_string(size);
  }
};

std::string MakeUrl(const std::string& base, const ObjectUrl& u, const auth::AccessTokens& keys) {
  std::string q = "perm=" + u.perm + "&project=" + http::PercentEncode(u.project) +
                  "&path=" + http::PercentEncode(u.path) + "&exp=" + std::to_string(u.exp) +
                  "&size=" + std::to_string(u.size);
  if (!u.upload.empty()) q += "&upload=" + u.upload + "&part=" + std::to_string(u.part);
  return base + kObjectPath + "?" + q + "&sig=" + keys.Sign(u.Message());
}

std::string EncodeUploadId() {
  unsigned char raw[16];
  RAND_bytes(raw, sizeof raw);
  static const char* hex = "0123456789abcdef";
  std::string id;
  for (unsigned char b : raw) {
    id += hex[b >> 4];
    id += hex[b & 15];
  }
  return id;
}

const auth::AccessTokens& Keys(Neptune* n) { return *n->options().access_tokens; }

int64_t NowS() { return core::NowMicros() / 1'000'000; }

Result<ObjectUrl> CheckUrl(Context& c, Neptune* n, std::string_view perm) {
  if (!n->options().access_tokens) return Status::Unavailable("this server signs no storage URLs");
  ObjectUrl u;
  u.perm = c.query.Get("perm");
  u.project = c.query.Get("project");
  u.path = c.query.Get("path");
  u.upload = c.query.Get("upload");
  auto num = [&](const char* key, int64_t* out) {
    std::string v = c.query.Get(key);
    if (v.empty()) return;
    char* end = nullptr;
    *out = std::strtoll(v.c_str(), &end, 10);
    if (*end) *out = -2;
  };
  num("exp", &u.exp);
  num("size", &u.size);
  num("part", &u.part);
  if (!Keys(n).CheckSignature(u.Message(), c.query.Get("sig")))
    return Status::PermissionDenied("the storage URL's signature does not match");
  if (u.exp <= NowS()) return Status::PermissionDenied("the storage URL has expired; ask for a new one");
  if (u.perm != perm) return Status::PermissionDenied("the storage URL is for " + u.perm + ", not " + std::string(perm));
  return u;
}

std::string PartTag(Neptune* n, const ObjectUrl& u, const std::string& digest) {
  return digest + "." + Keys(n).Sign("part\n" + u.upload + "\n" + std::to_string(u.part) + "\n" + digest + "\n" +
                                     u.project + "\n" + u.path);
}

// Records a complete upload and makes the attachments that waited for it.
Status Record(Neptune* n, const model::ProjectName& p, const std::string& path, const UploadRef& ref) {
  ASSIGN_OR_RETURN(auto waiting, n->uploads().Put(p, path, ref));
  return n->applier().AttachWaiting(p, waiting, ref);
}

// One upload (a whole file or one part) streamed into the file store.
class ObjectUpload final : public http::BodySink {
 public:
  ObjectUpload(Neptune* n, ObjectUrl u, model::ProjectName p, std::unique_ptr<blobs::BlobWriter> w)
      : n_(n), u_(std::move(u)), p_(std::move(p)), writer_(std::move(w)) {}

  Status Append(std::string_view chunk) override { return writer_->Append(chunk); }
  void Abort() override { writer_->Abort(); }
  http::Response Finish() override {
    bool part = !u_.upload.empty();
    auto blob = writer_->Commit({}, part ? -1 : u_.size);
    if (!blob.ok()) return Fail(blob.status());
    http::Response r;
    r.content_type.clear();
    if (part) {
      r.headers.Add("ETag", "\"" + PartTag(n_, u_, blob->digest) + "\"");
      return r;
    }
    std::string name = u_.path.substr(u_.path.rfind('/') + 1);
    Status st = Record(n_, p_, u_.path, {*blob, name});
    if (!st.ok()) return Fail(st);
    r.headers.Add("ETag", "\"" + blob->digest + "\"");
    return r;
  }

 private:
  static http::Response Fail(const Status& s) { return Error(HttpStatusFor(s), CodeName(s.code()), s.message()); }
  Neptune* n_;
  ObjectUrl u_;
  model::ProjectName p_;
  std::unique_ptr<blobs::BlobWriter> writer_;
};

Result<http::Response> SignUrls(Context& c, Neptune* n) {
  if (!n->options().access_tokens) return Status::Unavailable("this server signs no storage URLs");
  auto body = nlohmann::json::parse(c.req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object() || !body.contains("files") || !body["files"].is_array())
    return Status::InvalidArgument("the body must be {\"files\": [...]}");
  const auto& files = body["files"];
  if (files.size() > model::kNeptuneMaxSignedUrlFiles)
    return Status::TooLarge("at most " + std::to_string(model::kNeptuneMaxSignedUrlFiles) + " files per request");
  std::string base = BaseUrl(c, n->options().external_url, n->options().tls);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& f : files) {
    if (!f.is_object() || !f.contains("path") || !f["path"].is_string() || !f.contains("project_identifier") ||
        !f["project_identifier"].is_string())
      return Status::InvalidArgument("each file needs path and project_identifier");
    ObjectUrl u;
    u.path = f["path"].get<std::string>();
    u.project = f["project_identifier"].get<std::string>();
    u.perm = f.value("permission", "write");
    if (u.perm != "read" && u.perm != "write") return Status::InvalidArgument("permission is read or write");
    if (u.path.empty() || u.path.size() > model::kMaxPathBytes * 4)
      return Status::InvalidArgument("a file path has 1 to " + std::to_string(model::kMaxPathBytes * 4) + " bytes");
    ASSIGN_OR_RETURN(auto project, ParseProjectIdentifier(u.project));
    RETURN_IF_ERROR(Require(c, project, u.perm == "write" ? auth::Role::kWriter : auth::Role::kViewer));
    if (f.contains("size") && f["size"].is_number_integer()) u.size = f["size"].get<int64_t>();
    if (u.perm == "write" && u.size > static_cast<int64_t>(n->options().max_file_bytes))
      return Status::TooLarge("'" + u.path + "' has " + std::to_string(u.size) + " bytes; this server takes files up to " +
                              std::to_string(n->options().max_file_bytes));
    u.exp = NowS() + kUrlLifetimeS;
    nlohmann::json entry = {{"path", u.path}, {"project_identifier", u.project}, {"provider", "aws"}};
    if (u.perm == "write" && u.size > static_cast<int64_t>(kPartBytes)) {
      uint64_t parts = (static_cast<uint64_t>(u.size) + kPartBytes - 1) / kPartBytes;
      if (parts > kMaxParts) return Status::TooLarge("'" + u.path + "' needs more than 10,000 parts");
      u.upload = EncodeUploadId();
      nlohmann::json urls = nlohmann::json::array();
      ObjectUrl part = u;
      part.size = -1;
      for (uint64_t i = 1; i <= parts; ++i) {
        part.part = static_cast<int64_t>(i);
        urls.push_back(MakeUrl(base, part, Keys(n)));
      }
      entry["url"] = "";
      entry["multipart"] = {{"upload_id", u.upload}, {"part_size", kPartBytes}, {"part_urls", urls}};
    } else {
      entry["url"] = MakeUrl(base, u, Keys(n));
    }
    out.push_back(std::move(entry));
  }
  return Json(nlohmann::json{{"files", out}}.dump());
}

Result<http::Response> CompleteMultipart(Context& c, Neptune* n) {
  auto body = nlohmann::json::parse(c.req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) return Status::InvalidArgument("the body must be a JSON object");
  ObjectUrl u;
  u.upload = body.value("upload_id", "");
  u.project = body.value("project_identifier", "");
  u.path = body.value("path", "");
  if (u.upload.empty() || u.path.empty() || !body.contains("parts") || !body["parts"].is_array())
    return Status::InvalidArgument("completeMultipartUpload needs upload_id, project_identifier, path and parts");
  ASSIGN_OR_RETURN(auto project, ParseProjectIdentifier(u.project));
  RETURN_IF_ERROR(Require(c, project, auth::Role::kWriter));
  std::map<int64_t, std::string> parts;
  for (const auto& p : body["parts"]) {
    if (!p.is_object() || !p.contains("part_number") || !p["part_number"].is_number_integer() ||
        !p.contains("etag") || !p["etag"].is_string())
      return Status::InvalidArgument("each part needs part_number and etag");
    std::string tag = p["etag"].get<std::string>();
    if (tag.size() >= 2 && tag.front() == '"' && tag.back() == '"') tag = tag.substr(1, tag.size() - 2);
    ObjectUrl pu = u;
    pu.part = p["part_number"].get<int64_t>();
    size_t dot = tag.find('.');
    if (dot == std::string::npos || PartTag(n, pu, tag.substr(0, dot)) != tag)
      return Status::InvalidArgument("part " + std::to_string(pu.part) + " has an ETag this upload did not issue");
    parts[pu.part] = tag.substr(0, dot);
  }
  if (parts.empty()) return Status::InvalidArgument("no parts");
  int64_t expect = 1;
  for (const auto& [i, d] : parts)
    if (i != expect++) return Status::InvalidArgument("parts must be numbered 1..N without gaps");
  ASSIGN_OR_RETURN(auto writer, n->tracker()->NewUpload());
  std::string buf;
  for (const auto& [i, digest] : parts) {
    ASSIGN_OR_RETURN(auto reader, n->tracker()->OpenBlob(digest));
    for (uint64_t off = 0; off < reader->size(); off += buf.size()) {
      RETURN_IF_ERROR(reader->ReadAt(off, 4 << 20, &buf));
      if (buf.empty()) break;
      RETURN_IF_ERROR(writer->Append(buf));
    }
  }
  ASSIGN_OR_RETURN(auto blob, writer->Commit());
  RETURN_IF_ERROR(Record(n, project, u.path, {blob, u.path.substr(u.path.rfind('/') + 1)}));
  return Json("{}");
}

Result<http::Response> Download(Context& c, Neptune* n) {
  ASSIGN_OR_RETURN(ObjectUrl u, CheckUrl(c, n, "read"));
  ASSIGN_OR_RETURN(auto project, ParseProjectIdentifier(u.project));
  if (auto loc = ParseFileStoragePath(u.path)) {
    ASSIGN_OR_RETURN(auto ref, n->tracker()->FindFile(project, loc->run_id, loc->path, loc->step));
    return FileResponse(n->tracker(), ref);
  }
  ASSIGN_OR_RETURN(auto up, n->uploads().Get(project, u.path));
  if (!up) return Status::NotFound("no file at '" + u.path + "' in '" + u.project + "'");
  storage::FileRef ref;
  ref.digest = up->blob.digest;
  ref.size = static_cast<int64_t>(up->blob.size);
  ref.filename = up->filename;
  return FileResponse(n->tracker(), ref);
}

}  // namespace

void AddStorageRoutes(Router::Module& m, Neptune* n) {
  m.Add({"POST", "/api/storagebridge/v1/signedUrl", Permission::kRead, 4 << 20,
         [n](Context& c) { return SignUrls(c, n); }});
  m.Add({"POST", "/api/storagebridge/v1/s3/completeMultipartUpload", Permission::kWrite, 4 << 20,
         [n](Context& c) { return CompleteMultipart(c, n); }});
  // The signature in the URL is the credential.
  Route put{"PUT", kObjectPath, Permission::kSigned, n->options().max_file_bytes, nullptr};
  put.upload = [n](Context& c) -> Result<std::unique_ptr<http::BodySink>> {
    ASSIGN_OR_RETURN(ObjectUrl u, CheckUrl(c, n, "write"));
    ASSIGN_OR_RETURN(auto project, ParseProjectIdentifier(u.project));
    ASSIGN_OR_RETURN(auto writer, n->tracker()->NewUpload());
    return std::unique_ptr<http::BodySink>(new ObjectUpload(n, std::move(u), std::move(project), std::move(writer)));
  };
  m.Add(std::move(put));
  m.Add({"GET", kObjectPath, Permission::kSigned, 0, [n](Context& c) { return Download(c, n); }});
}

}  // namespace sextant::api::neptune
