// MLflow's wire conventions: JSON answers, errors as {"error_code",
// "message"} with MLflow's codes, and request arguments that come from the
// query string (GET) or the JSON body (other methods), as MLflow's server
// reads them.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/mlflow/json_values.h"
#include "api/native/respond.h"
#include "api/router.h"
#include "common/status.h"
#include "http/message.h"

namespace sextant::api::mlflow {

http::Response Json(std::string body);
// The module's ErrorMapper: the router's short codes become MLflow's
// error_code (invalid_argument → INVALID_PARAMETER_VALUE, not_found →
// RESOURCE_DOES_NOT_EXIST, already_exists → RESOURCE_ALREADY_EXISTS …).
http::Response Error(int status, std::string_view code, std::string_view message);
// MLflow's own code, for the cases where it differs from the mapping above.
http::Response ErrorWithCode(int status, std::string_view error_code, std::string_view message);
// A Status in MLflow's shape (for handlers that answer an error themselves).
Status EndpointNotFound(std::string_view what);

// Registers `suffix` ("runs/create") under /api/2.0/mlflow/ and
// /ajax-api/2.0/mlflow/, as MLflow's server does.
void AddRoute(Router::Module& m, const std::string& method, const std::string& suffix,
              Permission permission, uint64_t body_limit, Handler handler);

// The arguments of one request.
class Args {
 public:
  static Result<Args> From(Context& c);
  bool Has(std::string_view key) const;
  // Strings; a number given where a string is expected is taken as its text
  // (MLflow's JSON parser accepts both).
  Result<std::optional<std::string>> Str(std::string_view key) const;
  Result<std::string> RequiredStr(std::string_view key) const;
  Result<std::optional<int64_t>> Int(std::string_view key) const;
  Result<std::optional<double>> Double(std::string_view key) const;
  Result<std::optional<bool>> Bool(std::string_view key) const;
  // Repeated fields: a JSON array, or a repeated query parameter.
  Result<std::vector<std::string>> StrList(std::string_view key) const;
  // The JSON body (REQUIRES: the request had one, i.e. not GET).
  std::optional<simdjson::dom::element> Body() const { return body_; }

 private:
  std::optional<native::JsonDoc> doc_;
  std::optional<simdjson::dom::element> body_;
  const http::QueryParams* query_ = nullptr;
};


}  // namespace sextant::api::mlflow
