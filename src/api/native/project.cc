// Server and project routes: health, projects, saved views, attribute paths,
// the streamed export, compaction.
#include <simdjson.h>

#include "api/json_writer.h"
#include "api/native/export_stream.h"
#include "api/native/module.h"
#include "api/native/respond.h"
#include "api/native/write.h"

namespace sextant::api::native {

namespace {
constexpr char kProject[] = "/api/v1/projects/{workspace}/{project}";
std::string P(std::string_view suffix) { return std::string(kProject) + std::string(suffix); }
}  // namespace

void AddProjectRoutes(Router::Module& m, core::Tracker* t, const Options& o) {
  m.Add({"GET", "/api/v1/health", Permission::kPublic, 0, [](Context&) -> Result<http::Response> {
           return Json(200, R"({"status":"ok","version":"0.1.0"})");
         }, nullptr, /*on_event_loop=*/true});

  m.Add({"GET", "/api/v1/projects", Permission::kRead, 0, [t](Context& c) -> Result<http::Response> {
           ASSIGN_OR_RETURN(auto page, PageFromQuery(c.query));
           // A caller sees only the projects it has a role on.
           std::function<bool(const model::ProjectName&)> visible;
           if (c.accounts && !c.caller.IsOwner())
             visible = [&c](const model::ProjectName& p) { return c.caller.RoleOn(p) != auth::Role::kNone; };
           ASSIGN_OR_RETURN(auto projects, t->ListProjects(page, visible));
           JsonWriter w;
           w.BeginObject().Key("projects").BeginArray();
           for (const auto& p : projects.items) {
             w.BeginObject();
             w.Key("project").String(p.workspace + "/" + p.name);
             w.Key("workspace").String(p.workspace).Key("name").String(p.name);
             w.Key("runs").Int(p.num_runs).Key("created_at").Seconds(p.created_us);
             w.EndObject();
           }
           w.EndArray();
           WriteNextPageToken(w, projects.next_page_token);
           w.EndObject();
           return Json(200, w.Take());
         }});

  // Saved views of the UI.
  m.Add({"GET", P("/views"), Permission::kRead, 0, [t](Context& c) -> Result<http::Response> {
           ASSIGN_OR_RETURN(auto page, PageFromQuery(c.query));
           ASSIGN_OR_RETURN(auto views, t->ListViews(*c.project, page));
           JsonWriter w;
           w.BeginObject().Key("views").BeginArray();
           for (const auto& v : views.items) {
             w.BeginObject().Key("name").String(v.name).Key("state").Raw(v.state_json);
             w.Key("updated_at").Seconds(v.updated_us).EndObject();
           }
           w.EndArray();
           WriteNextPageToken(w, views.next_page_token);
           w.EndObject();
           return Json(200, w.Take());
         }});
  m.Add({"PUT", P("/views/{name}"), Permission::kWrite, o.max_body_bytes,
         [t](Context& c) -> Result<http::Response> {
           ASSIGN_OR_RETURN(auto doc, JsonBody(c));
           simdjson::dom::element state;
           if (doc.root["state"].get(state) || state.type() != simdjson::dom::element_type::OBJECT)
             return Status::InvalidArgument("state: expected a JSON object");
           RETURN_IF_ERROR(t->PutView(*c.project, c.Param("name"), simdjson::minify(state)));
           return Json(200, R"({"status":"ok"})");
         }});
  m.Add({"DELETE", P("/views/{name}"), Permission::kWrite, 0,
         [t](Context& c) -> Result<http::Response> {
           RETURN_IF_ERROR(t->DeleteView(*c.project, c.Param("name")));
           return Json(200, R"({"status":"ok"})");
         }});

  // Every attribute path in the project with the types it has and how many
  // runs have it: for column pickers and filter autocompletion.
  m.Add({"GET", P("/attributes"), Permission::kRead, 0, [t](Context& c) -> Result<http::Response> {
           ASSIGN_OR_RETURN(auto page, PageFromQuery(c.query));
           ASSIGN_OR_RETURN(auto paths, t->ProjectPaths(*c.project, page));
           JsonWriter w;
           w.BeginObject().Key("attributes").BeginArray();
           for (const auto& s : paths.items) {
             w.BeginObject().Key("path").String(s.path).Key("types").BeginObject();
             size_t runs = 0;
             for (const auto& [type, n] : s.types) {
               w.Key(model::AttrTypeName(type)).Int(static_cast<int64_t>(n));
               runs += n;
             }
             w.EndObject().Key("runs").Int(static_cast<int64_t>(runs)).EndObject();
           }
           w.EndArray();
           WriteNextPageToken(w, paths.next_page_token);
           w.EndObject();
           return Json(200, w.Take());
         }});

  // The whole project as one NDJSON stream (docs/format/export.md), produced
  // while it is sent; ?files=false leaves the file contents out.
  m.Add({"GET", P("/export"), Permission::kRead, 0, [t](Context& c) -> Result<http::Response> {
           ExportStreamOptions eo;
           std::string files = c.query.Get("files");
           if (files == "false") eo.files = false;
           else if (!files.empty() && files != "true")
             return Status::InvalidArgument("files: expected true or false, got '" + files + "'");
           RETURN_IF_ERROR(t->GetProject(*c.project).status());
           ASSIGN_OR_RETURN(auto stream, NewProjectExport(t, *c.project, eo));
           http::Response r;
           r.content_type = "application/x-ndjson";
           r.headers.Set("Content-Disposition", "attachment; filename=\"" + c.project->workspace + "-" +
                                                    c.project->name + ".ndjson\"");
           r.headers.Set("Cache-Control", "no-store");
           r.stream = std::move(stream);
           return r;
         }});

  // Compacts every series now (operations and benchmarks; the background
  // compactor does the same within about a second of idleness).
  m.Add({"POST", "/api/v1/admin/compact", Permission::kAdmin, o.max_body_bytes,
         [t](Context&) -> Result<http::Response> {
           RETURN_IF_ERROR(t->CompactAll());
           return Json(200, R"({"status":"ok"})");
         }});
}

}  // namespace sextant::api::native
