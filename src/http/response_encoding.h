// Compression of response bodies for clients that accept gzip.
#pragma once

#include "http/message.h"

namespace sextant::http {

// Gzips `res.body` in place when `accept_encoding` allows gzip, the body is
// large enough to gain and its type compresses (JSON, text, HTML, JS, CSS,
// SVG). Sets Content-Encoding and Vary.
void MaybeCompress(std::string_view accept_encoding, Response& res);

}  // namespace sextant::http
