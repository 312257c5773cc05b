#include "api/neptune/respond.h"

#include <nlohmann/json.hpp>

#include "auth/accounts.h"

namespace sextant::api::neptune {

http::Response Error(int status, std::string_view code, std::string_view message) {
  http::Response r;
  r.status = status;
  nlohmann::json j = {{"code", status},
                      {"errorType", std::string(code)},
                      {"title", std::string(message)},
                      {"message", std::string(message)}};
  r.body = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

http::Response Json(std::string body) {
  http::Response r;
  r.body = std::move(body);
  return r;
}

http::Response Proto(const google::protobuf::MessageLite& m) {
  http::Response r;
  r.content_type = kProtobufType;
  m.SerializeToString(&r.body);
  return r;
}

Status Require(const Context& c, const model::ProjectName& p, auth::Role role) {
  if (!c.accounts) return Status::Ok();
  Status st = c.accounts->RequireProject(c.caller, p, role);
  if (st.code() == Code::kNotFound)
    return Status::PermissionDenied("no access to project '" + p.Full() + "'");
  return st;
}

std::string BaseUrl(const Context& c, const std::string& external_url, bool tls) {
  if (!external_url.empty()) {
    std::string u = external_url;
    while (!u.empty() && u.back() == '/') u.pop_back();
    return u;
  }
  return std::string(tls ? "https://" : "http://") + std::string(c.req.headers.GetOr("Host", "127.0.0.1"));
}

}  // namespace sextant::api::neptune
