#include "common/base64.h"

#include <algorithm>

#include <openssl/evp.h>

namespace sextant {

Result<std::string> DecodeBase64(std::string_view in) {
  if (in.size() % 4 != 0)
    return Status::InvalidArgument("base64 length must be a multiple of 4, got " +
                                   std::to_string(in.size()));
  if (in.size() > (1u << 30)) return Status::InvalidArgument("base64 text is over 1 GiB");
  std::string out(in.size() / 4 * 3, '\0');
  if (in.empty()) return out;
  // EVP_DecodeBlock tolerates whitespace and '=' in the middle: be strict.
  size_t pad = in.back() == '=' ? (in[in.size() - 2] == '=' ? 2 : 1) : 0;
  for (size_t i = 0; i + pad < in.size(); ++i) {
    char c = in[i];
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '/';
    if (!ok) return Status::InvalidArgument("not valid base64 (character " + std::to_string(i) + ")");
  }
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  if (n < 0) return Status::InvalidArgument("not valid base64");
  // EVP_DecodeBlock counts the padding as zero bytes; drop them.
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

void AppendBase64(std::string_view bytes, std::string* out) {
  size_t at = out->size();
  out->resize(at + (bytes.size() + 2) / 3 * 4 + 1);  // EVP_EncodeBlock writes a NUL
  // EVP_EncodeBlock takes an int length: encode in slices of whole triples.
  constexpr size_t kSlice = 3u << 26;
  size_t done = 0;
  while (done < bytes.size()) {
    size_t n = std::min(kSlice, bytes.size() - done);
    int wrote = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out->data() + at),
                                reinterpret_cast<const unsigned char*>(bytes.data() + done),
                                static_cast<int>(n));
    at += static_cast<size_t>(wrote);
    done += n;
  }
  out->resize(at);
}

}  // namespace sextant
