// File attributes and file series: uploads streamed into the
// content-addressed store, downloads streamed with Range support (the
// transport applies RFC 9110 ranges to the FileBody). Downloads are safe to
// open in a browser: the type comes from the first bytes (file_headers.h),
// only allow-listed images are inline, and every answer carries nosniff and
// a sandboxing Content-Security-Policy.
#include <cmath>
#include <cstdlib>

#include "api/file_response.h"
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

// `timestamp=` (Unix seconds, as in a log batch): when the file was logged;
// importers keep the source's time. Default: now.
Result<std::optional<int64_t>> TimeParam(const Context& c) {
  if (!c.query.Has("timestamp")) return std::optional<int64_t>();
  const std::string& text = c.query.Get("timestamp");
  char* end = nullptr;
  double d = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(d))
    return Status::InvalidArgument("timestamp: expected Unix seconds, got '" + text.substr(0, 64) + "'");
  int64_t us = model::SecondsToMicros(d);
  RETURN_IF_ERROR(model::ValidateTimestamp(us).WithContext("timestamp"));
  return std::optional<int64_t>(us);
}

class Upload final : public http::BodySink {
 public:
  Upload(core::Tracker* t, model::ProjectName p, std::string run_id, std::string path,
         std::optional<int64_t> step, std::optional<int64_t> time_us, std::string name,
         std::string sha256, std::unique_ptr<blobs::BlobWriter> writer)
      : t_(t), p_(std::move(p)), run_id_(std::move(run_id)), path_(std::move(path)), step_(step),
        time_us_(time_us),
        name_(std::move(name)), sha256_(std::move(sha256)), writer_(std::move(writer)) {}

  Status Append(std::string_view chunk) override { return writer_->Append(chunk); }
  void Abort() override { writer_->Abort(); }
  http::Response Finish() override {
    auto blob = writer_->Commit(sha256_);
    if (!blob.ok()) return Fail(blob.status());
    Status attached = t_->AttachFile(p_, run_id_, path_, step_, name_, blob.value(), time_us_);
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
  std::optional<int64_t> step_, time_us_;
  std::string name_, sha256_;
  std::unique_ptr<blobs::BlobWriter> writer_;
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
    ASSIGN_OR_RETURN(auto time_us, TimeParam(c));
    // Fail fast on an unknown run before accepting gigabytes.
    RETURN_IF_ERROR(t->GetRun(*c.project, c.Param("run_id")).status());
    std::string expected(c.req.headers.GetOr("X-Sextant-SHA256"));
    ASSIGN_OR_RETURN(auto writer, t->NewUpload(expected));
    std::string name = c.query.Has("name") ? c.query.Get("name") : path.substr(path.rfind('/') + 1);
    return std::unique_ptr<http::BodySink>(new Upload(t, *c.project, c.Param("run_id"), path, step, time_us,
                                                      std::move(name), std::move(expected), std::move(writer)));
  };
  m.Add(std::move(put));

  m.Add({"GET", kFiles, Permission::kRead, 0, [t](Context& c) -> Result<http::Response> {
           ASSIGN_OR_RETURN(auto step, StepParam(c));
           ASSIGN_OR_RETURN(auto ref, t->FindFile(*c.project, c.Param("run_id"), c.Param("path"), step));
           return FileResponse(t, ref);
         }});
}

}  // namespace sextant::api::native
