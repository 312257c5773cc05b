// File attributes and file series: uploads streamed into the
// content-addressed store, downloads streamed with Range support (the
// transport applies RFC 9110 ranges to the FileBody). Downloads are safe to
// open in a browser: the type comes from the first bytes (file_headers.h),
// only allow-listed images are inline, and every answer carries nosniff and
// a sandboxing Content-Security-Policy.
#include "api/json_writer.h"
#include "api/native/file_headers.h"
#include "api/native/module.h"
#include "api/native/respond.h"

namespace sextant::api::native {

namespace {

constexpr char kFiles[] = "/api/v1/projects/{workspace}/{project}/runs/{run_id}/files/{path...}";

Result<std::optional<int64_t>> StepParam(const Context& c) {
  if (!c.query.Has("step")) return std::optional<int64_t>();
  auto s = model::StepFromString(c.query.Get("step"));
  if (!s.ok()) return s.status().WithContext("step");
  return std::optional<int64_t>(s.value());
}

class Upload final : public http::BodySink {
 public:
  Upload(core::Tracker* t, model::ProjectName p, std::string run_id, std::string path,
         std::optional<int64_t> step, std::string name, std::string sha256,
         std::unique_ptr<blobs::BlobWriter> writer)
      : t_(t), p_(std::move(p)), run_id_(std::move(run_id)), path_(std::move(path)), step_(step),
        name_(std::move(name)), sha256_(std::move(sha256)), writer_(std::move(writer)) {}

  Status Append(std::string_view chunk) override { return writer_->Append(chunk); }
  void Abort() override { writer_->Abort(); }
  http::Response Finish() override {
    auto blob = writer_->Commit(sha256_);
    if (!blob.ok()) return Fail(blob.status());
    Status attached = t_->AttachFile(p_, run_id_, path_, step_, name_, blob.value());
    if (!attached.ok()) return Fail(attached);
    JsonWriter w;
    w.BeginObject().Key("digest").String(blob->digest);
    w.Key("size").Int(static_cast<int64_t>(blob->size)).EndObject();
    return Json(200, w.Take());
  }

 private:
  static http::Response Fail(const Status& s) {
    return Error(HttpStatusFor(s), CodeName(s.code()), s.message());
  }
  core::Tracker* t_;
  model::ProjectName p_;
  std::string run_id_, path_;
  std::optional<int64_t> step_;
  std::string name_, sha256_;
  std::unique_ptr<blobs::BlobWriter> writer_;
};

class Blob final : public http::FileBody {
 public:
  explicit Blob(std::unique_ptr<blobs::BlobReader> r) : r_(std::move(r)) {}
  uint64_t size() const override { return r_->size(); }
  Status ReadAt(uint64_t offset, size_t n, std::string* out) override {
    return r_->ReadAt(offset, n, out);
  }

 private:
  std::unique_ptr<blobs::BlobReader> r_;
};

}  // namespace

void AddFileRoutes(Router::Module& m, core::Tracker* t, const Options& o) {
  Route put{"PUT", kFiles, Permission::kWrite, o.max_file_bytes, nullptr, nullptr};
  put.upload = [t](Context& c) -> Result<std::unique_ptr<http::BodySink>> {
    const std::string& path = c.Param("path");
    RETURN_IF_ERROR(model::ValidatePath(path));
    if (model::IsReservedPath(path))
      return Status::InvalidArgument("'" + path + "' is reserved for the server");
    ASSIGN_OR_RETURN(auto step, StepParam(c));
    // Fail fast on an unknown run before accepting gigabytes.
    RETURN_IF_ERROR(t->GetRun(*c.project, c.Param("run_id")).status());
    ASSIGN_OR_RETURN(auto writer, t->NewUpload());
    std::string name = c.query.Has("name") ? c.query.Get("name") : path.substr(path.rfind('/') + 1);
    return std::unique_ptr<http::BodySink>(
        new Upload(t, *c.project, c.Param("run_id"), path, step, std::move(name),
                   std::string(c.req.headers.GetOr("X-Sextant-SHA256")), std::move(writer)));
  };
  m.Add(std::move(put));

  m.Add({"GET", kFiles, Permission::kRead, 0, [t](Context& c) -> Result<http::Response> {
           ASSIGN_OR_RETURN(auto step, StepParam(c));
           ASSIGN_OR_RETURN(auto ref, t->FindFile(*c.project, c.Param("run_id"), c.Param("path"), step));
           ASSIGN_OR_RETURN(auto reader, t->OpenBlob(ref.digest));
           // The type is sniffed from the stored bytes, never taken from the
           // name or from the uploader.
           std::string head;
           RETURN_IF_ERROR(reader->ReadAt(0, kSniffBytes, &head));
           FileHeaders fh = HeadersForFile(head, ref.filename);
           http::Response r;
           r.content_type = std::move(fh.content_type);
           r.headers.Set("ETag", "\"" + ref.digest + "\"");
           r.headers.Set("Content-Disposition", std::move(fh.content_disposition));
           r.headers.Set("X-Content-Type-Options", kNoSniff);
           r.headers.Set("Content-Security-Policy", kSandbox);
           r.file = std::make_shared<Blob>(std::move(reader));
           return r;
         }});
}

}  // namespace sextant::api::native
