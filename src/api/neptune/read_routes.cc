// Reads (module.h): the endpoints neptune-query calls, answered from the
// runs catalogue and series reads. JSON in; protobuf out except the
// attribute definitions (JSON) and the buckets request (protobuf in):
//
//   POST /api/leaderboard/v1/proto/leaderboard/entries/search/   runs table (read_entries.cc)
//   POST /api/leaderboard/v1/leaderboard/attributes/definitions/query   (read_attributes.cc)
//   POST /api/leaderboard/v1/proto/leaderboard/attributes/query          (read_attributes.cc)
//   POST /api/leaderboard/v1/proto/attributes/series/float               (read_series.cc)
//   POST /api/leaderboard/v1/proto/attributes/series                     (read_series.cc)
//   POST /api/leaderboard/v1/proto/attributes/timeseries/buckets         (read_buckets.cc)
//
// Every route is a read: the caller needs the viewer role on the project
// its body or query string names. Bad input is a 400 (neptune-query retries
// 5xx for half an hour, and shows a 4xx's body at once).
#include "api/neptune/module.h"
#include "api/neptune/neptune.h"
#include "api/neptune/read_common.h"
#include "api/neptune/respond.h"

namespace sextant::api::neptune {

void AddReadRoutes(Router::Module& m, Neptune* n) {
  uint64_t limit = n->options().max_body_bytes;
  auto add = [&](const char* path, Result<http::Response> (*fn)(Context&, Neptune*), bool proto_body = false) {
    Route r{"POST", path, Permission::kRead, limit, [n, fn](Context& c) { return fn(c, n); }};
    if (proto_body) r.accepts = {kProtobufType, "application/octet-stream"};
    m.Add(std::move(r));
  };
  add("/api/leaderboard/v1/proto/leaderboard/entries/search/", SearchEntries);
  add("/api/leaderboard/v1/proto/leaderboard/entries/search", SearchEntries);
  add("/api/leaderboard/v1/leaderboard/attributes/definitions/query", QueryDefinitions);
  add("/api/leaderboard/v1/proto/leaderboard/attributes/query", QueryAttributes);
  add("/api/leaderboard/v1/proto/attributes/series/float", FloatSeriesValues);
  add("/api/leaderboard/v1/proto/attributes/series", SeriesValues);
  add("/api/leaderboard/v1/proto/attributes/timeseries/buckets", TimeseriesBuckets, true);
}

}  // namespace sextant::api::neptune
