// The headers of a downloaded file, chosen so that a browser never runs what
// a run uploaded: the media type comes from the file's first bytes (never
// from its name or from what the client said), only a short allow-list of
// image types is shown inline, and everything else is an octet-stream
// attachment. The file name goes into Content-Disposition as RFC 6266 and
// RFC 8187 describe: an ASCII fallback and the exact UTF-8 name.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace sextant::api::native {

// How many leading bytes SniffImageType looks at (read no more than this).
inline constexpr size_t kSniffBytes = 16;

// "image/png", "image/jpeg", "image/gif" or "image/webp" when `head` (the
// first bytes of a file) starts with that format's signature; empty for
// anything else (SVG, HTML, text, unknown, too short).
std::string_view SniffImageType(std::string_view head);

// `filename="<fallback>"` for the quoted-string form: characters outside
// printable ASCII, '"' and '\' become '_' (one per UTF-8 character, one per
// byte of an invalid sequence); "file" when the name is empty.
std::string AsciiFallbackName(std::string_view name);

// RFC 8187 ext-value: `UTF-8''` and the name with every byte outside
// attr-char percent-encoded (upper-case hex). A byte that is not part of a
// valid UTF-8 sequence is sent as '_', so that the value is always UTF-8.
std::string Rfc8187Value(std::string_view name);

// `<type>; filename="<fallback>"; filename*=UTF-8''<encoded>`, `type` being
// "inline" or "attachment".
std::string ContentDisposition(std::string_view type, std::string_view name);

struct FileHeaders {
  std::string content_type;         // an allow-listed image type, or application/octet-stream
  std::string content_disposition;  // inline for those images, attachment otherwise
};

// What to answer for a file whose first bytes are `head` (at most
// kSniffBytes are looked at) and whose original name is `name`. Always send
// `X-Content-Type-Options: nosniff` and `Content-Security-Policy: sandbox`
// with these (see kNoSniff / kSandbox).
FileHeaders HeadersForFile(std::string_view head, std::string_view name);

inline constexpr char kNoSniff[] = "nosniff";
inline constexpr char kSandbox[] = "sandbox";

}  // namespace sextant::api::native
