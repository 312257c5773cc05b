#include "api/native/file_headers.h"

#include <cstdint>

namespace sextant::api::native {

namespace {

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.substr(0, prefix.size()) == prefix;
}

// The length of the well-formed UTF-8 sequence at s[i] (RFC 3629: no
// overlong forms, no surrogates, nothing above U+10FFFF), or 0.
size_t Utf8Length(std::string_view s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  auto cont = [&](size_t k) { return k < s.size() && (byte(k) & 0xC0) == 0x80; };
  uint8_t b = byte(i);
  if (b < 0x80) return 1;
  if (b >= 0xC2 && b <= 0xDF) return cont(i + 1) ? 2 : 0;
  if (b >= 0xE0 && b <= 0xEF) {
    if (!cont(i + 1) || !cont(i + 2)) return 0;
    uint8_t b1 = byte(i + 1);
    if (b == 0xE0 && b1 < 0xA0) return 0;  // overlong
    if (b == 0xED && b1 > 0x9F) return 0;  // surrogate
    return 3;
  }
  if (b >= 0xF0 && b <= 0xF4) {
    if (!cont(i + 1) || !cont(i + 2) || !cont(i + 3)) return 0;
    uint8_t b1 = byte(i + 1);
    if (b == 0xF0 && b1 < 0x90) return 0;  // overlong
    if (b == 0xF4 && b1 > 0x8F) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

// RFC 8187 attr-char.
bool IsAttrChar(unsigned char c) {
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!': case '#': case '$': case '&': case '+': case '-': case '.':
    case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

}  // namespace

std::string_view SniffImageType(std::string_view head) {
  using namespace std::string_view_literals;
  if (head.size() > kSniffBytes) head = head.substr(0, kSniffBytes);
  if (StartsWith(head, "\x89PNG\r\n\x1a\n"sv)) return "image/png";
  if (StartsWith(head, "\xff\xd8\xff"sv)) return "image/jpeg";
  if (StartsWith(head, "GIF87a"sv) || StartsWith(head, "GIF89a"sv)) return "image/gif";
  // RIFF <size> WEBP, then the first chunk, which is VP8, VP8L or VP8X.
  if (head.size() >= 15 && StartsWith(head, "RIFF"sv) && head.substr(8, 7) == "WEBPVP8"sv)
    return "image/webp";
  return {};
}

std::string AsciiFallbackName(std::string_view name) {
  if (name.empty()) return "file";
  std::string out;
  out.reserve(name.size());
  for (size_t i = 0; i < name.size();) {
    auto c = static_cast<unsigned char>(name[i]);
    if (c < 0x80) {
      out += (c < 0x20 || c == 0x7f || c == '"' || c == '\\') ? '_' : static_cast<char>(c);
      ++i;
      continue;
    }
    size_t n = Utf8Length(name, i);
    out += '_';
    i += n ? n : 1;
  }
  return out;
}

std::string Rfc8187Value(std::string_view name) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "UTF-8''";
  if (name.empty()) name = "file";
  out.reserve(out.size() + name.size() * 3);
  auto put = [&](unsigned char c) {
    if (IsAttrChar(c)) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0x0f];
    }
  };
  for (size_t i = 0; i < name.size();) {
    size_t n = Utf8Length(name, i);
    if (n == 0) {
      put('_');
      ++i;
      continue;
    }
    for (size_t k = 0; k < n; ++k) put(static_cast<unsigned char>(name[i + k]));
    i += n;
  }
  return out;
}

std::string ContentDisposition(std::string_view type, std::string_view name) {
  std::string out(type);
  out += "; filename=\"";
  out += AsciiFallbackName(name);
  out += "\"; filename*=";
  out += Rfc8187Value(name);
  return out;
}

FileHeaders HeadersForFile(std::string_view head, std::string_view name) {
  std::string_view image = SniffImageType(head);
  if (!image.empty()) return {std::string(image), ContentDisposition("inline", name)};
  return {"application/octet-stream", ContentDisposition("attachment", name)};
}

}  // namespace sextant::api::native
