// Ingest (module.h):
//
//   POST /api/client/v1/ingest        RunOperation (protobuf) → SubmitResponse
//   POST /api/client/v1/ingest/check  RequestIdList → BulkRequestStatus
//
// An operation is applied before it is answered (durably: Tracker::Log
// returns after the commit), so its outcome travels in its request id
// (request_status.h) and a check is answered from the ids alone.
#include "api/neptune/ingest_decode.h"
#include "api/neptune/module.h"
#include "api/neptune/neptune.h"
#include "api/neptune/proto/ingest.pb.h"
#include "api/neptune/request_status.h"
#include "api/neptune/respond.h"
#include "core/tracker.h"

namespace sextant::api::neptune {
namespace {

namespace pb = ::sextant::neptune;

Result<http::Response> Ingest(Context& c, Neptune* n) {
  ASSIGN_OR_RETURN(DecodedOperation op, DecodeRunOperation(c.req.body, core::NowMicros()));
  RETURN_IF_ERROR(Require(c, op.project, auth::Role::kWriter));
  ASSIGN_OR_RETURN(ApplyResult r, n->applier().Apply(std::move(op)));
  std::string id = MintRequestId(Summarize(r.ok_items, r.errors));
  if (!r.errors.empty()) {
    std::string message;
    for (size_t i = 0; i < r.errors.size() && i < 20; ++i) message += (i ? "; " : "") + r.errors[i].message;
    if (r.errors.size() > 20) message += "; and " + std::to_string(r.errors.size() - 20) + " more";
    n->messages().Put(id, std::move(message));
  }
  pb::SubmitResponse resp;
  resp.set_request_id(id);
  resp.add_request_ids(id);
  return Proto(resp);
}

Result<http::Response> Check(Context& c, Neptune* n) {
  std::string project = c.query.Get("projectIdentifier");
  if (!project.empty()) {
    ASSIGN_OR_RETURN(auto p, ParseProjectIdentifier(project));
    RETURN_IF_ERROR(Require(c, p, auth::Role::kViewer));
  }
  pb::RequestIdList ids;
  if (!ids.ParseFromArray(c.req.body.data(), static_cast<int>(c.req.body.size())))
    return Status::InvalidArgument("the body is not a RequestIdList (protobuf)");
  if (ids.ids_size() > static_cast<int>(model::kNeptuneMaxCheckIds))
    return Status::TooLarge("at most " + std::to_string(model::kNeptuneMaxCheckIds) +
                            " request ids per check, got " + std::to_string(ids.ids_size()));
  pb::BulkRequestStatus out;
  for (const auto& id : ids.ids()) {
    pb::RequestStatus* s = out.add_statuses();
    auto counts = ParseRequestId(id.value());
    if (!counts) {
      auto* cc = s->add_code_by_count();
      cc->set_code(pb::RPC_NOT_FOUND);
      cc->set_count(1);
      cc->set_detail(pb::INTERNAL);
      s->set_shared_error_message("request id '" + id.value() + "' was not issued by this server");
      continue;
    }
    for (const auto& k : *counts) {
      auto* cc = s->add_code_by_count();
      cc->set_code(static_cast<pb::RpcCode>(k.code));
      cc->set_count(k.count);
      cc->set_detail(static_cast<pb::IngestCode>(k.detail));
    }
    if (auto msg = n->messages().Get(id.value())) s->set_shared_error_message(*msg);
  }
  return Proto(out);
}

}  // namespace

void AddIngestRoutes(Router::Module& m, Neptune* n) {
  Route ingest{"POST", "/api/client/v1/ingest", Permission::kWrite, n->options().max_body_bytes,
               [n](Context& c) { return Ingest(c, n); }};
  ingest.accepts = {kProtobufType, "application/octet-stream"};
  m.Add(std::move(ingest));
  Route check{"POST", "/api/client/v1/ingest/check", Permission::kRead, 1 << 20,
              [n](Context& c) { return Check(c, n); }};
  check.accepts = {kProtobufType, "application/octet-stream"};
  m.Add(std::move(check));
}

}  // namespace sextant::api::neptune
