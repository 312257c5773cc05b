// Neptune's wire conventions on Sextant's router: JSON errors in the shape
// Neptune's backend answers ({"code", "errorType", "message", "title"}),
// protobuf answers, and the role check of a project named in a request body
// (Neptune paths carry no project).
#pragma once

#include <string>
#include <string_view>

#include <google/protobuf/message_lite.h>

#include "api/router.h"
#include "auth/roles.h"
#include "common/status.h"
#include "http/message.h"
#include "model/operations.h"

namespace sextant::api::neptune {

inline constexpr char kProtobufType[] = "application/x-protobuf";

// The module's ErrorMapper.
http::Response Error(int status, std::string_view code, std::string_view message);
http::Response Json(std::string body);
http::Response Proto(const google::protobuf::MessageLite& m);

// The caller's role on `p` (no gate: always). A caller with no role gets
// PermissionDenied (403), whether the project exists or not: Neptune's
// clients stop on 403 with a clear message and retry on 404.
Status Require(const Context& c, const model::ProjectName& p, auth::Role role);

// The server's URL as the client reached it: `external_url` when set, else
// scheme and Host of the request (X-Forwarded-Proto from a trusted proxy is
// not consulted: set --external-url behind a proxy).
std::string BaseUrl(const Context& c, const std::string& external_url, bool tls);

}  // namespace sextant::api::neptune
