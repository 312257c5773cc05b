// File attributes and file series: streamed uploads into the content-addressed
// store and streamed, ranged downloads.
#include <httplib.h>

#include "api/json_writer.h"
#include "api/server.h"

namespace sextant::api {

namespace {

using httplib::ContentReader;
using httplib::Request;
using httplib::Response;

void SendError(Response& res, const Status& s) {
  res.status = HttpStatusFor(s);
  res.set_content(ErrorBody(CodeName(s.code()), s.message()), "application/json");
}

Result<std::optional<int64_t>> StepParam(const Request& req) {
  if (!req.has_param("step")) return std::optional<int64_t>();
  ASSIGN_OR_RETURN(int64_t s, model::StepFromString(req.get_param_value("step")));
  return std::optional<int64_t>(s);
}

// Quotes a file name for Content-Disposition, dropping what could break the header.
std::string Disposition(const std::string& name) {
  std::string safe;
  for (char c : name)
    if (c != '"' && c != '\\' && static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) safe += c;
  return "attachment; filename=\"" + (safe.empty() ? std::string("file") : safe) + "\"";
}

constexpr char kFiles[] = R"(/api/v1/projects/([^/]+)/([^/]+)/runs/([^/]+)/files/(.+))";

}  // namespace

void Server::RouteFiles() {
  core::Tracker* t = tracker_;
  uint64_t max_file = options_.max_file_bytes;

  http_->Put(kFiles, [t, max_file](const Request& req, Response& res, const ContentReader& reader) {
    model::ProjectName p{req.matches[1], req.matches[2]};
    std::string run_id = req.matches[3], path = req.matches[4];
    Status valid = model::ValidatePath(path);
    if (valid.ok() && model::IsReservedPath(path))
      valid = Status::InvalidArgument("'" + path + "' is reserved for the server");
    if (!valid.ok()) return SendError(res, valid);
    auto step = StepParam(req);
    if (!step.ok()) return SendError(res, step.status().WithContext("step"));
    // Fail fast on an unknown run before accepting gigabytes.
    auto run = t->GetRun(p, run_id);
    if (!run.ok()) {
      res.set_header("Connection", "close");
      return SendError(res, run.status());
    }
    auto writer = t->NewUpload();
    if (!writer.ok()) return SendError(res, writer.status());
    uint64_t received = 0;
    Status append;
    bool ok = reader([&](const char* data, size_t n) {
      received += n;
      if (received > max_file) {
        append = Status::TooLarge("file exceeds the limit of " + std::to_string(max_file) +
                                  " bytes (--max-file-gb)");
        return false;
      }
      append = writer.value()->Append(std::string_view(data, n));
      return append.ok();
    });
    if (!append.ok() || !ok) {
      writer.value()->Abort();
      res.set_header("Connection", "close");
      return SendError(res, append.ok() ? Status::InvalidArgument("upload interrupted") : append);
    }
    auto blob = writer.value()->Commit(req.get_header_value("X-Sextant-SHA256"));
    if (!blob.ok()) return SendError(res, blob.status());
    std::string name = req.has_param("name") ? req.get_param_value("name")
                                             : path.substr(path.rfind('/') + 1);
    Status attached = t->AttachFile(p, run_id, path, step.value(), name, blob.value());
    if (!attached.ok()) return SendError(res, attached);
    JsonWriter w;
    w.BeginObject().Key("digest").String(blob->digest).Key("size").Int(static_cast<int64_t>(blob->size));
    w.EndObject();
    res.status = 200;
    res.set_content(w.Take(), "application/json");
  });

  http_->Get(kFiles, [t](const Request& req, Response& res) {
    model::ProjectName p{req.matches[1], req.matches[2]};
    auto step = StepParam(req);
    if (!step.ok()) return SendError(res, step.status().WithContext("step"));
    auto ref = t->FindFile(p, req.matches[3], req.matches[4], step.value());
    if (!ref.ok()) return SendError(res, ref.status());
    auto reader = t->OpenBlob(ref->digest);
    if (!reader.ok()) return SendError(res, reader.status());
    std::shared_ptr<blobs::BlobReader> shared(std::move(reader).value());
    // httplib answers Range requests (206) itself from a sized content
    // provider but does not clamp a last-byte-pos past the end as RFC 9110
    // asks, so clamp here (the Request object is owned by httplib, non-const).
    auto& ranges = const_cast<Request&>(req).ranges;
    auto size = static_cast<ssize_t>(shared->size());
    for (auto& [first, last] : ranges) {
      if (first >= 0 && first >= size) {
        SendError(res, Status::InvalidArgument("range starts past the end of the file"));
        res.status = 416;
        res.set_header("Content-Range", "bytes */" + std::to_string(size));
        ranges.clear();
        return;
      }
      if (last >= size) last = size - 1;
    }
    res.set_header("ETag", "\"" + ref->digest + "\"");
    res.set_header("Content-Disposition", Disposition(ref->filename));
    res.set_header("Accept-Ranges", "bytes");
    res.set_content_provider(
        shared->size(), "application/octet-stream",
        [shared](size_t offset, size_t length, httplib::DataSink& sink) {
          std::string buf;
          size_t n = std::min<size_t>(length, 1 << 20);
          if (!shared->ReadAt(offset, n, &buf).ok() || buf.empty()) return false;
          sink.write(buf.data(), buf.size());
          return true;
        });
  });
}

}  // namespace sextant::api
