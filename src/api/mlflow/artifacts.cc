// MLflow's artifact proxy (docs/mlflow.md): the client uploads,
// lists, downloads and deletes artifacts by path under
// /api/2.0/mlflow-artifacts/artifacts/, relative to the artifact URIs that
// runs and logged models carry. Sextant keeps each artifact as a file
// attribute "artifacts/<rel>" of the run (or of the run that stores a logged
// model), so the UI shows them as files of the run. Uploads stream into the
// content-addressed store as native uploads do; downloads are served with
// Range support and the same safe headers as native downloads
// (native/file_headers.h). Also answers server-info, which tells the client
// that multipart transfers are off.
#include "api/mlflow/artifacts.h"

#include "api/file_response.h"

#include <re2/re2.h>

#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "api/json_writer.h"
#include "api/mlflow/experiments.h"
#include "api/mlflow/module.h"
#include "api/mlflow/respond.h"
#include "api/native/file_headers.h"
#include "core/paging.h"

namespace sextant::api::mlflow {

namespace {

using auth::Role;

Status NoSuchArtifact(std::string_view path) {
  return Status::NotFound("No such artifact: '" + std::string(path) + "'");
}

Status InvalidPath(std::string_view path, std::string_view why) {
  return Status::InvalidArgument("Invalid path '" + std::string(path.substr(0, 300)) + "': " +
                                 std::string(why));
}

// MLflow's client adds a '/' to the artifact root when it deletes a whole
// run's artifacts, and a user may list "dir/": one trailing '/' names the
// same directory.
std::string_view DropTrailingSlash(std::string_view path) {
  if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  return path;
}

// The run an artifact path names, with `role` on its project. For reads, a
// run that is missing (or in another experiment) is a missing artifact.
Result<RunRef> ResolveRun(Experiments* e, Context& c, const ArtifactPath& a,
                          std::string_view path, Role role) {
  auto missing = [&]() -> Status {
    if (role == Role::kViewer) return NoSuchArtifact(path);
    return Status::NotFound("Run with id=" + a.run_id + " not found in experiment " +
                            a.experiment_id + " (artifact path '" + std::string(path) + "')");
  };
  auto r = e->Run(c, a.run_id, role);
  if (!r.ok()) {
    if (r.status().code() == Code::kNotFound) return missing();
    return r.status();
  }
  if (r->experiment.id != a.experiment_id) return missing();
  return std::move(r).value();
}

// The file attributes of a run under `prefix` ("artifacts/dir/"), in path
// order. Paths with the prefix are contiguous in path order, so the scan
// starts right before them (a page token for the prefix itself, which is no
// attribute path: paths never end with '/') and stops once a page was cut
// short by the scan budget, i.e. ran past them.
Result<std::vector<storage::AttributeInfo>> FilesUnder(core::Tracker* t, const RunRef& r,
                                                       const std::string& prefix) {
  std::vector<storage::AttributeInfo> out;
  core::PageRequest page;
  page.limit = model::kMaxPageLimit;
  page.page_token = core::EncodePageToken(core::PageKind::kAttributes, prefix);
  std::string pattern = "^" + RE2::QuoteMeta(prefix);
  for (;;) {
    ASSIGN_OR_RETURN(auto got, t->Attributes(r.experiment.project, r.run.run_id, pattern, page));
    for (auto& a : got.items)
      if (a.type == model::AttrType::kFile && a.path.starts_with(prefix))
        out.push_back(std::move(a));
    if (got.next_page_token.empty() || got.items.size() < page.limit) break;
    page.page_token = std::move(got.next_page_token);
  }
  return out;
}

// An upload streamed into the blob store, attached to the run when complete.
class ArtifactUpload final : public http::BodySink {
 public:
  ArtifactUpload(core::Tracker* t, model::ProjectName p, std::string run_id, std::string path,
                 std::string name, std::unique_ptr<blobs::BlobWriter> writer)
      : t_(t), p_(std::move(p)), run_id_(std::move(run_id)), path_(std::move(path)),
        name_(std::move(name)), writer_(std::move(writer)) {}

  Status Append(std::string_view chunk) override { return writer_->Append(chunk); }
  void Abort() override { writer_->Abort(); }
  http::Response Finish() override {
    auto blob = writer_->Commit();
    if (!blob.ok()) return Fail(blob.status());
    // Uploading a path again replaces the file.
    Status attached = t_->AttachFile(p_, run_id_, path_, std::nullopt, name_, blob.value());
    if (!attached.ok()) return Fail(attached);
    http::Response r;  // as MLflow: 200 with an empty body and no type
    r.content_type.clear();
    return r;
  }

 private:
  static http::Response Fail(const Status& s) {
    return Error(HttpStatusFor(s), CodeName(s.code()), s.message());
  }
  core::Tracker* t_;
  model::ProjectName p_;
  std::string run_id_, path_, name_;
  std::unique_ptr<blobs::BlobWriter> writer_;
};


Result<std::unique_ptr<http::BodySink>> Upload(Experiments* e, Context& c) {
  const std::string& path = c.Param("path");
  ASSIGN_OR_RETURN(ArtifactPath a, ParseArtifactPath(path));
  if (a.rel.empty()) return InvalidPath(path, "it names the artifact root, not a file under it");
  // Fail fast on an unknown run before accepting gigabytes.
  ASSIGN_OR_RETURN(RunRef r, ResolveRun(e, c, a, path, Role::kWriter));
  ASSIGN_OR_RETURN(auto writer, e->tracker()->NewUpload());
  std::string name = a.rel.substr(a.rel.rfind('/') + 1);
  return std::unique_ptr<http::BodySink>(new ArtifactUpload(e->tracker(), r.experiment.project,
                                                            r.run.run_id, a.AttributePath(),
                                                            std::move(name), std::move(writer)));
}

Result<http::Response> Download(Experiments* e, Context& c) {
  const std::string& path = c.Param("path");
  ASSIGN_OR_RETURN(ArtifactPath a, ParseArtifactPath(path));
  ASSIGN_OR_RETURN(RunRef r, ResolveRun(e, c, a, path, Role::kViewer));
  if (a.rel.empty()) return NoSuchArtifact(path);
  core::Tracker* t = e->tracker();
  auto ref = t->FindFile(r.experiment.project, r.run.run_id, a.AttributePath(), std::nullopt);
  if (!ref.ok()) {
    // A directory (or nothing): MLflow's pyfunc.load_model("runs:/<run>/m")
    // tries a directory as a file first and expects this 404.
    if (ref.status().code() == Code::kNotFound) return NoSuchArtifact(path);
    return ref.status();
  }
  return FileResponse(t, *ref);
}

// The direct children of a directory: files with their size, then
// directories, each name once, sorted by name; `{}` for a file, a missing
// path or an empty directory, as MLflow answers.
Result<http::Response> List(Experiments* e, Context& c) {
  if (!c.query.Has("path")) return Json("{}");
  std::string raw = c.query.Get("path");
  std::string_view path = DropTrailingSlash(raw);
  auto a = ParseArtifactPath(path);
  if (!a.ok()) {
    if (a.status().code() == Code::kNotFound) return Json("{}");
    return a.status();
  }
  auto r = ResolveRun(e, c, *a, path, Role::kViewer);
  if (!r.ok()) {
    if (r.status().code() == Code::kNotFound) return Json("{}");
    return r.status();
  }
  std::string prefix = a->AttributePath() + "/";
  ASSIGN_OR_RETURN(auto files, FilesUnder(e->tracker(), *r, prefix));
  // (name, is_dir) -> size; a name may be both a file and a directory.
  std::map<std::pair<std::string, bool>, int64_t> children;
  for (const auto& f : files) {
    std::string_view rest = std::string_view(f.path).substr(prefix.size());
    size_t slash = rest.find('/');
    if (slash == std::string_view::npos)
      children[{std::string(rest), false}] = f.value.i;
    else
      children[{std::string(rest.substr(0, slash)), true}] = 0;
  }
  if (children.empty()) return Json("{}");
  JsonWriter w;
  w.BeginObject().Key("files").BeginArray();
  for (const auto& [key, size] : children) {
    w.BeginObject().Key("path").String(key.first).Key("is_dir").Bool(key.second);
    if (!key.second) w.Key("file_size").Int(size);
    w.EndObject();
  }
  w.EndArray().EndObject();
  return Json(w.Take());
}

// A file, or every file under a directory (the root included); a path with
// nothing there is not an error, as in MLflow.
Result<http::Response> Delete(Experiments* e, Context& c) {
  std::string_view path = DropTrailingSlash(c.Param("path"));
  ASSIGN_OR_RETURN(ArtifactPath a, ParseArtifactPath(path));
  ASSIGN_OR_RETURN(RunRef r, ResolveRun(e, c, a, path, Role::kWriter));
  core::Tracker* t = e->tracker();
  std::vector<std::string> paths;
  if (!a.rel.empty()) {
    ASSIGN_OR_RETURN(auto exact, t->FindAttributes(r.run, {a.AttributePath()}));
    for (const auto& f : exact)
      if (f.type == model::AttrType::kFile) paths.push_back(f.path);
  }
  ASSIGN_OR_RETURN(auto under, FilesUnder(t, r, a.AttributePath() + "/"));
  for (auto& f : under) paths.push_back(std::move(f.path));
  RETURN_IF_ERROR(t->DeleteFiles(r.experiment.project, r.run.run_id, paths));
  return Json("{}");
}

Result<http::Response> ServerInfo(Context&) {
  // Multipart transfers and presigned uploads are off, so the client always
  // streams through the routes above.
  return Json(
      R"({"store_type":"SqlStore","workspaces_enabled":false,"trace_archival_enabled":false,)"
      R"("multipart_uploads_enabled":false,"multipart_downloads_enabled":false,)"
      R"("presigned_upload_run_id_supported":false,"presigned_upload_model_id_supported":false,)"
      R"("features_enabled":{}})");
}

}  // namespace

Result<ArtifactPath> ParseArtifactPath(std::string_view path) {
  if (path.empty()) return InvalidPath(path, "it is empty");
  if (path.front() == '/') return InvalidPath(path, "it is absolute");
  if (path.find('\\') != std::string_view::npos) return InvalidPath(path, "it has a backslash");
  std::vector<std::string_view> segs;
  for (size_t start = 0;;) {
    size_t slash = path.find('/', start);
    std::string_view seg = path.substr(start, slash == std::string_view::npos ? slash : slash - start);
    if (seg.empty()) return InvalidPath(path, "it has an empty segment");
    if (seg == "." || seg == "..") return InvalidPath(path, "it has a '.' or '..' segment");
    segs.push_back(seg);
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  ArtifactPath a;
  size_t first_rel;
  if (segs.size() >= 4 && segs[1] == "models" && segs[3] == "artifacts") {
    a.run_id = segs[2];
    first_rel = 4;
  } else if (segs.size() >= 3 && segs[2] == "artifacts") {
    a.run_id = segs[1];
    first_rel = 3;
  } else {
    return NoSuchArtifact(path);
  }
  a.experiment_id = segs[0];
  for (size_t i = first_rel; i < segs.size(); ++i) {
    if (!a.rel.empty()) a.rel += '/';
    a.rel += segs[i];
  }
  if (!a.rel.empty()) {
    Status valid = model::ValidatePath(a.AttributePath());
    if (!valid.ok()) return InvalidPath(path, valid.message());
  }
  return a;
}

void AddArtifactRoutes(Router::Module& m, Experiments* e, const Options& o) {
  for (std::string prefix : {"/api/2.0/mlflow-artifacts/", "/ajax-api/2.0/mlflow-artifacts/"}) {
    std::string files = prefix + "artifacts/{path...}";
    Route put{"PUT", files, Permission::kWrite, o.max_file_bytes, nullptr, nullptr};
    put.upload = [e](Context& c) { return Upload(e, c); };
    m.Add(std::move(put));
    m.Add({"GET", files, Permission::kRead, 0, [e](Context& c) { return Download(e, c); }});
    m.Add({"DELETE", files, Permission::kWrite, 0, [e](Context& c) { return Delete(e, c); }});
    m.Add({"GET", prefix + "artifacts", Permission::kRead, 0,
           [e](Context& c) { return List(e, c); }});
  }
  for (const char* path : {"/api/3.0/mlflow/server-info", "/ajax-api/3.0/mlflow/server-info"})
    m.Add({"GET", path, Permission::kRead, 0, ServerInfo});
}

}  // namespace sextant::api::mlflow
