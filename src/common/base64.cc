#include "common/base64.h"

#include <algorithm>
#include <cstdint>

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

namespace {
constexpr char kUrlAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int UrlValue(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}
}  // namespace

std::string EncodeBase64Url(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kUrlAlphabet[(acc >> bits) & 63]);
    }
  }
  if (bits > 0) out.push_back(kUrlAlphabet[(acc << (6 - bits)) & 63]);
  return out;
}

Result<std::string> DecodeBase64Url(std::string_view text) {
  if (text.size() % 4 == 1) return Status::InvalidArgument("not valid base64url (length)");
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    int v = UrlValue(text[i]);
    if (v < 0)
      return Status::InvalidArgument("not valid base64url (character " + std::to_string(i) + ")");
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
    return Status::InvalidArgument("not valid base64url (trailing bits)");
  return out;
}

}  // namespace sextant
