#include "storage/blobs/s3/s3_options.h"

#include <cctype>
#include <cstdio>
#include <string>

namespace sextant::blobs {
namespace {

// Bucket names per S3's rules: 3-63 of [a-z0-9.-], starting and ending with a
// letter or digit.
bool ValidBucket(std::string_view b) {
  if (b.size() < 3 || b.size() > 63) return false;
  for (char c : b)
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '.' ||
          c == '-'))
      return false;
  return std::isalnum(static_cast<unsigned char>(b.front())) && std::isalnum(static_cast<unsigned char>(b.back()));
}

// A prefix is a folder of keys: printable ASCII without spaces, no empty,
// "." or ".." segment (some stores and proxies normalise those away).
Status CheckPrefix(std::string_view p) {
  for (char c : p)
    if (c <= ' ' || c > '~' || c == '\\' || c == '?' || c == '#')
      return Status::InvalidArgument("S3 location: the key prefix may hold printable ASCII other than space, \\ ? #");
  size_t start = 0;
  while (start < p.size()) {
    size_t end = p.find('/', start);
    if (end == std::string_view::npos) end = p.size();
    std::string_view seg = p.substr(start, end - start);
    if (seg.empty() || seg == "." || seg == "..")
      return Status::InvalidArgument("S3 location: the key prefix has an empty, '.' or '..' segment");
    start = end + 1;
  }
  return Status::Ok();
}

Status CheckEndpoint(const std::string& e) {
  std::string_view rest;
  if (e.rfind("http://", 0) == 0) rest = std::string_view(e).substr(7);
  else if (e.rfind("https://", 0) == 0) rest = std::string_view(e).substr(8);
  else return Status::InvalidArgument("S3 endpoint '" + e + "' must start with http:// or https://");
  if (rest.empty() || rest.find_first_of("/?#@ ") != std::string_view::npos)
    return Status::InvalidArgument("S3 endpoint '" + e + "' must be scheme://host[:port] with no path");
  return Status::Ok();
}

std::string PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() &&
        std::isxdigit(static_cast<unsigned char>(s[i + 1])) && std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

}  // namespace

std::string AwsUriEncode(std::string_view s, bool keep_slash) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

Result<S3Options> ParseS3Location(std::string_view url,
                                  const std::function<const char*(const char*)>& getenv) {
  S3Options o;
  if (url.rfind("s3://", 0) != 0)
    return Status::InvalidArgument("S3 location '" + std::string(url) + "' must start with s3://");
  std::string_view rest = url.substr(5);
  std::string_view query;
  if (size_t q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  size_t slash = rest.find('/');
  o.bucket = std::string(rest.substr(0, slash));
  if (!ValidBucket(o.bucket))
    return Status::InvalidArgument("S3 location: bucket name '" + o.bucket +
                                   "' must be 3-63 characters of a-z, 0-9, '.' and '-'");
  if (slash != std::string_view::npos) {
    std::string_view prefix = rest.substr(slash + 1);
    while (!prefix.empty() && prefix.back() == '/') prefix.remove_suffix(1);
    RETURN_IF_ERROR(CheckPrefix(prefix));
    if (!prefix.empty()) o.prefix = std::string(prefix) + "/";
  }

  auto env = [&](const char* name) -> std::string {
    const char* v = getenv(name);
    return v ? std::string(v) : std::string();
  };
  o.access_key = env("AWS_ACCESS_KEY_ID");
  o.secret_key = env("AWS_SECRET_ACCESS_KEY");
  o.session_token = env("AWS_SESSION_TOKEN");
  if (auto r = env("AWS_REGION"); !r.empty()) o.region = r;
  else if (auto d = env("AWS_DEFAULT_REGION"); !d.empty()) o.region = d;
  o.endpoint = env("AWS_ENDPOINT_URL_S3");
  if (o.endpoint.empty()) o.endpoint = env("AWS_ENDPOINT_URL");
  bool path_style_set = false;

  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view kv = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (kv.empty()) continue;
    size_t eq = kv.find('=');
    std::string key(kv.substr(0, eq));
    std::string value = eq == std::string_view::npos ? std::string() : PercentDecode(kv.substr(eq + 1));
    if (key == "endpoint") o.endpoint = value;
    else if (key == "region") o.region = value;
    else if (key == "path_style") {
      if (value != "true" && value != "false")
        return Status::InvalidArgument("S3 location: path_style must be true or false");
      o.path_style = value == "true";
      path_style_set = true;
    } else {
      return Status::InvalidArgument("S3 location: unknown parameter '" + key +
                                     "' (known: endpoint, region, path_style)");
    }
  }
  while (!o.endpoint.empty() && o.endpoint.back() == '/') o.endpoint.pop_back();
  if (o.endpoint.empty()) {
    o.endpoint = "https://s3." + o.region + ".amazonaws.com";
    if (!path_style_set) o.path_style = false;
  }
  RETURN_IF_ERROR(CheckEndpoint(o.endpoint));
  for (char c : o.region)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-'))
      return Status::InvalidArgument("S3 location: region '" + o.region + "' may hold only a-z, 0-9 and '-'");
  if (o.access_key.empty() || o.secret_key.empty())
    return Status::InvalidArgument(
        "S3 credentials missing: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the server's environment");
  return o;
}

}  // namespace sextant::blobs
