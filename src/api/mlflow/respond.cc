#include "api/mlflow/respond.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "api/json_writer.h"

namespace sextant::api::mlflow {

http::Response Json(std::string body) { return native::Json(200, std::move(body)); }

http::Response ErrorWithCode(int status, std::string_view error_code, std::string_view message) {
  JsonWriter w;
  w.BeginObject().Key("error_code").String(error_code).Key("message").String(message).EndObject();
  return native::Json(status, w.Take());
}

http::Response Error(int status, std::string_view code, std::string_view message) {
  // MLflow answers client mistakes with 400 and its own codes; the client
  // retries 429 and 5xx, so only those may look like "try again".
  if (code == "invalid_argument" || code == "conflict")
    return ErrorWithCode(400, "INVALID_PARAMETER_VALUE", message);
  if (code == "payload_too_large") return ErrorWithCode(413, "INVALID_PARAMETER_VALUE", message);
  if (code == "already_exists") return ErrorWithCode(400, "RESOURCE_ALREADY_EXISTS", message);
  if (code == "not_found") {
    // The router's own 404 (no route) is an unknown endpoint.
    if (message.starts_with("no route for "))
      return ErrorWithCode(404, "ENDPOINT_NOT_FOUND", message);
    return ErrorWithCode(404, "RESOURCE_DOES_NOT_EXIST", message);
  }
  if (code == "endpoint_not_found") return ErrorWithCode(404, "ENDPOINT_NOT_FOUND", message);
  if (code == "unauthenticated") return ErrorWithCode(401, "UNAUTHENTICATED", message);
  if (code == "permission_denied") return ErrorWithCode(403, "PERMISSION_DENIED", message);
  if (code == "too_many_requests") return ErrorWithCode(429, "REQUEST_LIMIT_EXCEEDED", message);
  if (code == "unsupported_media_type")
    return ErrorWithCode(400, "INVALID_PARAMETER_VALUE",
                         "Bad Request. Content-Type must be one of ['application/json'] (" +
                             std::string(message) + ")");
  if (code == "method_not_allowed") return ErrorWithCode(405, "ENDPOINT_NOT_FOUND", message);
  if (code == "unavailable") return ErrorWithCode(503, "TEMPORARILY_UNAVAILABLE", message);
  if (status >= 400 && status < 500) return ErrorWithCode(status, "BAD_REQUEST", message);
  return ErrorWithCode(500, "INTERNAL_ERROR", message);
}

void AddRoute(Router::Module& m, const std::string& method, const std::string& suffix,
              Permission permission, uint64_t body_limit, Handler handler) {
  for (const char* prefix : {"/api/2.0/mlflow/", "/ajax-api/2.0/mlflow/"})
    m.Add({method, prefix + suffix, permission, body_limit, handler});
}

Status EndpointNotFound(std::string_view what) {
  // NotFound with the router's "no route" wording maps to ENDPOINT_NOT_FOUND.
  return Status::NotFound("no route for " + std::string(what) +
                          ": this part of MLflow's API is not implemented by Sextant "
                          "(see docs/mlflow.md)");
}

Result<Args> Args::From(Context& c) {
  Args a;
  if (c.req.method == "GET" || c.req.method == "HEAD" || c.req.method == "DELETE") {
    if (c.req.body.empty() || c.req.method != "DELETE") {
      a.query_ = &c.query;
      return a;
    }
  }
  ASSIGN_OR_RETURN(auto doc, native::JsonBody(c));
  a.body_ = doc.root;
  a.doc_.emplace(std::move(doc));
  return a;
}

namespace {

std::string Quote(std::string_view key) { return "'" + std::string(key) + "'"; }

std::optional<simdjson::dom::element> Field(const std::optional<simdjson::dom::element>& body,
                                            std::string_view key) {
  if (!body) return std::nullopt;
  simdjson::dom::element v;
  if (body->at_key(key).get(v) != simdjson::SUCCESS || v.is_null()) return std::nullopt;
  return v;
}

}  // namespace

bool Args::Has(std::string_view key) const {
  if (query_) return query_->Has(key);
  return Field(body_, key).has_value();
}

Result<std::optional<std::string>> Args::Str(std::string_view key) const {
  if (query_) {
    if (!query_->Has(key)) return std::optional<std::string>();
    return std::optional<std::string>(query_->Get(key));
  }
  auto v = Field(body_, key);
  if (!v) return std::optional<std::string>();
  ASSIGN_OR_RETURN(std::string s, JsonStr(*v, key));
  return std::optional<std::string>(std::move(s));
}

Result<std::string> Args::RequiredStr(std::string_view key) const {
  ASSIGN_OR_RETURN(auto v, Str(key));
  if (!v || v->empty())
    return Status::InvalidArgument("Missing value for required parameter " + Quote(key) +
                                   ". See the API docs for more information about request "
                                   "parameters.");
  return *v;
}

Result<std::optional<int64_t>> Args::Int(std::string_view key) const {
  if (query_) {
    if (!query_->Has(key)) return std::optional<int64_t>();
    ASSIGN_OR_RETURN(int64_t v, ParseInt(query_->Get(key), key));
    return std::optional<int64_t>(v);
  }
  auto v = Field(body_, key);
  if (!v) return std::optional<int64_t>();
  ASSIGN_OR_RETURN(int64_t i, JsonInt(*v, key));
  return std::optional<int64_t>(i);
}

Result<std::optional<double>> Args::Double(std::string_view key) const {
  if (query_) {
    if (!query_->Has(key)) return std::optional<double>();
    ASSIGN_OR_RETURN(double v, ParseDouble(query_->Get(key), key));
    return std::optional<double>(v);
  }
  auto v = Field(body_, key);
  if (!v) return std::optional<double>();
  ASSIGN_OR_RETURN(double d, JsonDouble(*v, key));
  return std::optional<double>(d);
}

Result<std::optional<bool>> Args::Bool(std::string_view key) const {
  if (query_) {
    if (!query_->Has(key)) return std::optional<bool>();
    std::string v = query_->Get(key);
    if (v == "true" || v == "True" || v == "1") return std::optional<bool>(true);
    if (v == "false" || v == "False" || v == "0") return std::optional<bool>(false);
    return Status::InvalidArgument("Invalid value \"" + v + "\" for parameter " + Quote(key) +
                                   " supplied: expected true or false");
  }
  auto v = Field(body_, key);
  if (!v) return std::optional<bool>();
  bool b;
  if (v->get_bool().get(b) != simdjson::SUCCESS)
    return Status::InvalidArgument("Invalid value for parameter " + Quote(key) +
                                   ": expected true or false");
  return std::optional<bool>(b);
}

Result<std::vector<std::string>> Args::StrList(std::string_view key) const {
  std::vector<std::string> out;
  if (query_) return query_->GetAll(key);
  auto v = Field(body_, key);
  if (!v) return out;
  simdjson::dom::array arr;
  if (v->get_array().get(arr) != simdjson::SUCCESS) {
    ASSIGN_OR_RETURN(std::string s, JsonStr(*v, key));
    out.push_back(std::move(s));
    return out;
  }
  for (simdjson::dom::element e : arr) {
    ASSIGN_OR_RETURN(std::string s, JsonStr(e, key));
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace sextant::api::mlflow
