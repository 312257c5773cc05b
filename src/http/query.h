// Percent-decoding of paths and query strings (RFC 3986; '+' is a space in
// queries, as HTML forms send it). Malformed escapes are errors, not guesses.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace sextant::http {

// Decodes %XX escapes; with `plus_is_space`, '+' becomes ' '.
Result<std::string> PercentDecode(std::string_view s, bool plus_is_space);

// The parameters of a query string, in order. A value may contain '=' (only
// the first '=' separates key and value); a key without '=' has an empty value.
// Encodes everything but RFC 3986's unreserved characters (A-Z a-z 0-9 - . _ ~),
// for a value placed in a query string or a path segment.
std::string PercentEncode(std::string_view s);

class QueryParams {
 public:
  static Result<QueryParams> Parse(std::string_view raw);
  bool Has(std::string_view key) const;
  // The first value of `key`, or "" when absent.
  std::string Get(std::string_view key) const;
  std::vector<std::string> GetAll(std::string_view key) const;
  const std::vector<std::pair<std::string, std::string>>& items() const { return items_; }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

}  // namespace sextant::http
