// The links neptune-scale prints when a run starts ("View your run in the
// app"), redirected to Sextant's UI (docs/ui.md):
//
//   /{ws}/{project}/-/run/?customId=RUN                  → #/p/{ws}/{project}/r/RUN
//   /{ws}/{project}/runs/details?runIdentificationKey=E&type=experiment
//                                                        → #/p/{ws}/{project}?q=sys/experiment = "E"
#include "api/neptune/module.h"
#include "api/neptune/neptune.h"
#include "http/query.h"

namespace sextant::api::neptune {
namespace {

http::Response Redirect(const std::string& location) {
  http::Response r;
  r.status = 302;
  r.content_type.clear();
  r.headers.Add("Location", location);
  return r;
}

std::string ProjectHash(const Context& c) {
  return "/#/p/" + http::PercentEncode(c.Param("workspace")) + "/" + http::PercentEncode(c.Param("project"));
}

std::string Quoted(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    out += ch;
  }
  return out + "\"";
}

}  // namespace

void AddAppLinks(Router::Module& m, Neptune*) {
  for (const char* pattern : {"/{workspace}/{project}/-/run", "/{workspace}/{project}/-/run/"})
    m.Add({"GET", pattern, Permission::kPublic, 0, [](Context& c) -> Result<http::Response> {
             std::string run = c.query.Get("customId");
             if (run.empty()) return Redirect(ProjectHash(c));
             return Redirect(ProjectHash(c) + "/r/" + http::PercentEncode(run));
           }});
  m.Add({"GET", "/{workspace}/{project}/runs/details", Permission::kPublic, 0,
         [](Context& c) -> Result<http::Response> {
           std::string key = c.query.Get("runIdentificationKey");
           if (key.empty()) return Redirect(ProjectHash(c));
           std::string filter = c.query.Get("type") == "experiment" ? "sys/experiment = " + Quoted(key)
                                                                     : "sys/id = " + Quoted(key);
           return Redirect(ProjectHash(c) + "?q=" + http::PercentEncode(filter));
         }});
}

}  // namespace sextant::api::neptune
