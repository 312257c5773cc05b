#include "http/response_encoding.h"

#include <zlib.h>

namespace sextant::http {

namespace {

constexpr size_t kMinCompressBytes = 1024;

bool Compressible(std::string_view type) {
  return type.starts_with("application/json") || type.starts_with("text/") ||
         type.starts_with("application/javascript") || type.starts_with("image/svg+xml") ||
         type.find("+json") != std::string_view::npos;
}

// True when the Accept-Encoding list names gzip (or *) without q=0.
bool AcceptsGzip(std::string_view accept) {
  size_t start = 0;
  while (start < accept.size()) {
    size_t comma = accept.find(',', start);
    std::string_view item = accept.substr(start, comma == accept.npos ? accept.npos : comma - start);
    start = comma == accept.npos ? accept.size() : comma + 1;
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    size_t semi = item.find(';');
    std::string_view token = item.substr(0, semi);
    while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
    if (!EqualsIgnoreCase(token, "gzip") && token != "*") continue;
    if (semi != item.npos) {
      std::string_view params = item.substr(semi + 1);
      size_t q = params.find("q=");
      if (q != params.npos) {
        std::string_view v = params.substr(q + 2);
        if (v.starts_with("0") && v.find_first_of("123456789") == v.npos) return false;
      }
    }
    return true;
  }
  return false;
}

}  // namespace

void MaybeCompress(std::string_view accept_encoding, Response& res) {
  if (res.file || res.events || res.stream || res.body.size() < kMinCompressBytes) return;
  if (!Compressible(res.content_type) || !AcceptsGzip(accept_encoding)) return;
  if (res.headers.Has("Content-Encoding")) return;
  z_stream z{};
  // Level 1: most of the gain for JSON at a fraction of the CPU of level 6.
  if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return;
  std::string out;
  out.resize(deflateBound(&z, res.body.size()));
  z.next_in = reinterpret_cast<Bytef*>(res.body.data());
  z.avail_in = static_cast<uInt>(res.body.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&z, Z_FINISH);
  size_t n = out.size() - z.avail_out;
  deflateEnd(&z);
  if (rc != Z_STREAM_END) return;
  out.resize(n);
  res.body = std::move(out);
  res.headers.Set("Content-Encoding", "gzip");
  res.headers.Set("Vary", "Accept-Encoding");
}

}  // namespace sextant::http
