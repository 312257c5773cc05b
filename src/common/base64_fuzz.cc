// Fuzzes DecodeBase64 (the log API's `values_b64` / `timestamps_b64`): any
// input either decodes or is InvalidArgument, and whatever decodes
// re-encodes to base64 that decodes to the same bytes. The input's raw bytes
// also round-trip through AppendBase64, and through base64url, whose strict
// decoder must accept exactly the canonical encodings. Run with scripts/fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/base64.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using sextant::AppendBase64;
  using sextant::DecodeBase64;
  std::string_view in(reinterpret_cast<const char*>(data), size);

  auto decoded = DecodeBase64(in);
  if (decoded.ok()) {
    Check(decoded->size() <= in.size() / 4 * 3);
    std::string again;
    AppendBase64(*decoded, &again);
    auto twice = DecodeBase64(again);
    Check(twice.ok() && *twice == *decoded);
  } else {
    Check(decoded.status().code() == sextant::Code::kInvalidArgument);
  }

  std::string encoded = "prefix";  // AppendBase64 appends after what is there
  AppendBase64(in, &encoded);
  Check(encoded.size() == 6 + (size + 2) / 3 * 4);
  auto back = DecodeBase64(std::string_view(encoded).substr(6));
  Check(back.ok() && *back == in);

  auto url = sextant::DecodeBase64Url(in);
  if (url.ok()) {
    Check(sextant::EncodeBase64Url(*url) == in);  // one encoding per byte string
  } else {
    Check(url.status().code() == sextant::Code::kInvalidArgument);
  }
  auto url_back = sextant::DecodeBase64Url(sextant::EncodeBase64Url(in));
  Check(url_back.ok() && *url_back == in);
  return 0;
}
