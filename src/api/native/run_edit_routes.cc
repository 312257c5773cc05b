// Run management: trash and restore, rename, notes, tags and archive, one
// run at a time or in bulk; and a project's description. Every route is a
// write, answers with the runs as they are afterwards, and is written to the
// audit log (DELETE as every DELETE is). The rules (lengths, at most kMaxEditRuns runs) are the core's:
// Tracker::EditRuns and model::ValidateEditRun.
#include "api/json_writer.h"
#include "api/native/decode.h"
#include "api/native/module.h"
#include "api/native/respond.h"
#include "api/native/write.h"

namespace sextant::api::native {

namespace {

constexpr char kProject[] = "/api/v1/projects/{workspace}/{project}";
constexpr char kRun[] = "/api/v1/projects/{workspace}/{project}/runs/{run_id}";

// Applies `op` to the run of the path and answers with it.
Result<http::Response> EditOne(core::Tracker* t, Context& c, const model::EditRunOp& op) {
  const std::string& id = c.Param("run_id");
  RETURN_IF_ERROR(t->EditRuns(*c.project, {id}, op));
  ASSIGN_OR_RETURN(auto run, t->GetRun(*c.project, id));
  return Json(200, RunJson(*c.project, run));
}

Route Audited(Route r, std::string action) {
  r.audit = std::move(action);
  return r;
}

}  // namespace

void AddRunEditRoutes(Router::Module& m, core::Tracker* t, const Options& o) {
  uint64_t body = o.max_body_bytes;

  // Into the trash: hidden from the runs table and charts until restored.
  // With ?purge=true, a run already in the trash is deleted for good.
  m.Add({"DELETE", kRun, Permission::kWrite, 0, [t](Context& c) -> Result<http::Response> {
           if (c.query.Has("purge")) {
             const std::string& v = c.query.Get("purge");
             if (v != "true" && v != "false")
               return Status::InvalidArgument("purge: expected true or false, got '" + v.substr(0, 64) + "'");
             if (v == "true") {
               RETURN_IF_ERROR(t->PurgeRun(*c.project, c.Param("run_id")));
               JsonWriter w;
               w.BeginObject().Key("run_id").String(c.Param("run_id")).Key("purged").Bool(true).EndObject();
               return Json(200, w.Take());
             }
           }
           model::EditRunOp op;
           op.trashed = true;
           return EditOne(t, c, op);
         }});

  m.Add(Audited({"POST", std::string(kRun) + "/restore", Permission::kWrite, 0,
                 [t](Context& c) -> Result<http::Response> {
                   model::EditRunOp op;
                   op.trashed = false;
                   return EditOne(t, c, op);
                 }},
                "run.restore"));

  m.Add(Audited({"PATCH", kRun, Permission::kWrite, body,
                 [t](Context& c) -> Result<http::Response> {
                   ASSIGN_OR_RETURN(auto doc, JsonBody(c));
                   ASSIGN_OR_RETURN(auto op, DecodeRunEdit(doc.root));
                   return EditOne(t, c, op);
                 }},
                "run.edit"));

  m.Add(Audited({"POST", std::string(kProject) + "/runs/edit", Permission::kWrite, body,
                 [t](Context& c) -> Result<http::Response> {
                   ASSIGN_OR_RETURN(auto doc, JsonBody(c));
                   ASSIGN_OR_RETURN(auto edit, DecodeBulkEdit(doc.root));
                   RETURN_IF_ERROR(t->EditRuns(*c.project, edit.run_ids, edit.op));
                   JsonWriter w;
                   w.BeginObject().Key("updated").Int(static_cast<int64_t>(edit.run_ids.size()));
                   w.EndObject();
                   return Json(200, w.Take());
                 }},
                "runs.edit"));

  // A project: its name, run count and notes.
  auto project_json = [t](Context& c) -> Result<http::Response> {
    ASSIGN_OR_RETURN(auto info, t->GetProject(*c.project));
    ASSIGN_OR_RETURN(auto text, t->ProjectDescription(*c.project));
    JsonWriter w;
    w.BeginObject().Key("project").String(c.project->Full());
    w.Key("workspace").String(info.workspace).Key("name").String(info.name);
    w.Key("runs").Int(info.num_runs).Key("created_at").Seconds(info.created_us);
    w.Key("description").String(text).EndObject();
    return Json(200, w.Take());
  };
  m.Add({"GET", kProject, Permission::kRead, 0, project_json});
  m.Add(Audited({"PATCH", kProject, Permission::kWrite, body,
                 [t, project_json](Context& c) -> Result<http::Response> {
                   ASSIGN_OR_RETURN(auto doc, JsonBody(c));
                   ASSIGN_OR_RETURN(auto text, DecodeProjectEdit(doc.root));
                   RETURN_IF_ERROR(t->SetProjectDescription(*c.project, text));
                   return project_json(c);
                 }},
                "project.edit"));
}

}  // namespace sextant::api::native
