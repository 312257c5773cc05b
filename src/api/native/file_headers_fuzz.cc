// Fuzzes the headers of a downloaded file: the first bytes (sniffed) and the
// name (chosen by whoever uploaded it). Whatever they are, the headers must
// not be breakable: no CR, LF or NUL, a quoted fallback without '"' or '\',
// a filename* of attr-chars and %XX only, and inline only for an image type.
// Input: one length byte, that many "file" bytes, the rest is the name.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "api/native/file_headers.h"

namespace {
void Check(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t n = data[0] % 32;
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  std::string_view head = rest.substr(0, n);
  std::string_view name = rest.substr(std::min(n, rest.size()));
  using namespace sextant::api::native;
  FileHeaders h = HeadersForFile(head, name);
  Check(h.content_disposition.find_first_of(std::string("\r\n\0", 3)) == std::string::npos);
  bool image = h.content_type.rfind("image/", 0) == 0;
  Check(image || h.content_type == "application/octet-stream");
  Check((h.content_disposition.rfind("inline;", 0) == 0) == image);
  std::string fallback = AsciiFallbackName(name);
  for (unsigned char c : fallback) Check(c >= 0x20 && c < 0x7f && c != '"' && c != '\\');
  std::string ext = Rfc8187Value(name);
  Check(ext.rfind("UTF-8''", 0) == 0);
  for (size_t i = 7; i < ext.size(); ++i) {
    unsigned char c = ext[i];
    bool attr = std::isalnum(c) || std::string_view("!#$&+-.^_`|~").find(c) != std::string_view::npos;
    Check(attr || c == '%');
  }
  return 0;
}
