#include "api/native/module.h"

#include "api/json_writer.h"
#include "api/native/respond.h"

namespace sextant::api::native {

void Register(Router& router, core::Tracker* tracker, const Options& options) {
  Router::Module& m = router.AddModule("native", Error);
  AddRunRoutes(m, tracker, options);
  AddRunEditRoutes(m, tracker, options);
  AddProjectRoutes(m, tracker, options);
  AddFileRoutes(m, tracker, options);
  AddEventRoutes(m, tracker, options);
  // The route table, for operators and for the permission tests that walk it.
  m.Add({"GET", "/api/v1/admin/routes", Permission::kAdmin, 0, [&router](Context&) -> Result<http::Response> {
           JsonWriter w;
           w.BeginObject().Key("routes").BeginArray();
           for (const auto& e : router.routes()) {
             w.BeginObject().Key("method").String(e.route.method).Key("pattern").String(e.route.pattern);
             w.Key("permission").String(PermissionName(e.route.permission));
             w.Key("module").String(e.module->name()).Key("upload").Bool(static_cast<bool>(e.route.upload));
             w.EndObject();
           }
           w.EndArray().EndObject();
           return Json(200, w.Take());
         }});
  if (options.accounts) {
    AddSessionRoutes(m, options);
    AddAccountRoutes(m, options);
  }
}

}  // namespace sextant::api::native
