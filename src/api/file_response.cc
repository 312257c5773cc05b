#include "api/file_response.h"

#include <memory>
#include <string>

#include "api/native/file_headers.h"

namespace sextant::api {

namespace {

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

Result<http::Response> FileResponse(core::Tracker* t, const storage::FileRef& ref) {
  ASSIGN_OR_RETURN(auto reader, t->OpenBlob(ref.digest));
  std::string head;
  RETURN_IF_ERROR(reader->ReadAt(0, native::kSniffBytes, &head));
  native::FileHeaders fh = native::HeadersForFile(head, ref.filename);
  http::Response r;
  r.content_type = std::move(fh.content_type);
  r.headers.Set("ETag", "\"" + ref.digest + "\"");
  r.headers.Set("Content-Disposition", std::move(fh.content_disposition));
  r.headers.Set("X-Content-Type-Options", native::kNoSniff);
  r.headers.Set("Content-Security-Policy", native::kSandbox);
  r.file = std::make_shared<Blob>(std::move(reader));
  return r;
}

}  // namespace sextant::api
