// One router where every protocol front end registers its routes.
//
// A route declares its method, path pattern, permission and body limit. For
// each request the router matches the route, parses the query, percent-decodes
// the path parameters and validates the project ({workspace}/{project}),
// checks the permission through the authorizer, and calls the handler on the
// worker pool. Errors (the handler's Status, or the router's own: 404, 405,
// 400 …) are answered in the shape of the front end that owns the route, by
// the ErrorMapper it registered with; HTTP statuses are mapped from Status
// codes in one place, HttpStatusFor().
//
// Thread-safety: routes are added before serving; matching is then read-only.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/caller.h"
#include "common/status.h"
#include "http/message.h"
#include "http/query.h"
#include "model/operations.h"

namespace sextant::auth {
class Accounts;
}

namespace sextant::api {

// What a route needs from the caller. kUndeclared exists so that a route that
// forgot to say is caught (router_test walks the table). On a route under a
// project (or a workspace) kRead, kWrite and kAdmin need the viewer, writer
// and admin role there; elsewhere kRead and kWrite need a signed-in caller
// and kAdmin a server owner (api/access.h).
//
// kSigned: the request carries its own credential, which its handler
// verifies: a signature in the URL (Neptune's signed storage URLs, as S3's
// presigned URLs) or a token in the body (OAuth's refresh grant). The gate
// checks Host, origin and media type, and admits it without a caller.
enum class Permission { kUndeclared = 0, kPublic, kRead, kWrite, kAdmin, kSigned };
std::string_view PermissionName(Permission p);

// The one place Status codes become HTTP statuses.
int HttpStatusFor(const Status& s);

// An error in a front end's shape: HTTP status, a short code
// ("invalid_argument") and a message for the user.
using ErrorMapper =
    std::function<http::Response(int status, std::string_view code, std::string_view message)>;

struct Context {
  http::Request& req;
  http::QueryParams query;
  std::vector<std::pair<std::string, std::string>> params;  // decoded path parameters
  std::optional<model::ProjectName> project;                // routes under a project
  auth::Caller caller;                 // who is asking (set by the gate)
  auth::Accounts* accounts = nullptr;  // null when the router has no gate
  // The decoded path parameter `name` (REQUIRES: the pattern has it).
  const std::string& Param(std::string_view name) const;
};

using Handler = std::function<Result<http::Response>(Context&)>;
using UploadHandler = std::function<Result<std::unique_ptr<http::BodySink>>(Context&)>;

struct Route;

// Access control (api/access.h): admits a request to a route or refuses it,
// and hears how each ended. Without a gate every request is admitted.
class Gate {
 public:
  virtual ~Gate() = default;
  // On the event loop, from the request head alone, before any body is
  // read: a refusal that needs no I/O (a foreign Host, a cross-origin write,
  // no credential where one is required). Must not block.
  virtual Status Screen(const http::Request& head, const Route& route) = 0;
  // After Screen admitted the head (and the body, if any, was read): sets
  // ctx.caller (and ctx.accounts); a non-OK status is the answer.
  virtual Status Admit(Context& ctx, const Route& route) = 0;
  // After the handler answered `status` (for the audit log).
  virtual void Done(const Context& ctx, const Route& route, int status) = 0;
};

struct Route {
  std::string method;   // "GET", "POST", … (HEAD is served by GET routes)
  std::string pattern;  // "/api/v1/projects/{workspace}/{project}/runs/{run_id}";
                        // a last segment "{name...}" takes the rest of the path
  Permission permission = Permission::kUndeclared;
  uint64_t body_limit = 0;  // largest decoded body; 0: the route takes none
  Handler handler;
  UploadHandler upload;     // instead of handler: the body is streamed into a sink
  // True for a handler that never blocks and takes microseconds (health):
  // it runs on the event loop, so it answers even when every worker is busy.
  bool on_event_loop = false;
  // Media types a buffered body may have (empty: application/json and
  // application/*+json). Form and text/plain types are never accepted: a
  // browser sends those cross-origin without asking first. (One exception:
  // a kSigned route listing application/x-www-form-urlencoded, an OAuth
  // token endpoint, whose credential is in the body.)
  std::vector<std::string> accepts;
  // What a success writes to the audit log (an action such as "run.edit");
  // empty: nothing, except that every DELETE is written as "delete".
  std::string audit;
};

class Router : public http::Dispatcher {
 public:
  // A front end: the routes it adds answer errors through its mapper.
  class Module {
   public:
    Module& Add(Route route);
    const std::string& name() const { return name_; }
    const ErrorMapper& errors() const { return errors_; }

   private:
    friend class Router;
    Module(Router* r, std::string name, ErrorMapper errors)
        : router_(r), name_(std::move(name)), errors_(std::move(errors)) {}
    Router* router_;
    std::string name_;
    ErrorMapper errors_;
  };

  // The first module added also answers requests that match no route.
  Module& AddModule(std::string name, ErrorMapper errors);
  void SetGate(Gate* gate) { gate_ = gate; }  // not owned; set before serving

  struct Entry {
    Route route;
    const Module* module;
    std::vector<std::string> segments;  // the pattern split at '/'
  };
  const std::vector<Entry>& routes() const { return routes_; }

  std::unique_ptr<http::Exchange> Dispatch(const http::Request& head) override;
  http::Response Error(int status, std::string_view code, std::string_view message) override;

 private:
  std::vector<std::unique_ptr<Module>> modules_;
  std::vector<Entry> routes_;
  Gate* gate_ = nullptr;
};

}  // namespace sextant::api
