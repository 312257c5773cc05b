// MLflow's search grammar, translated into Sextant's own filter language
// (docs/query.md) and sort keys, for the MLflow-compatible REST front end.
//
// MLflow filters are AND-ed clauses, `<entity>.<key> <comparator> <value>`:
//
//   metrics.loss < 0.5 AND params.optimizer = 'adam' AND tags.`my tag` LIKE 'a%'
//   attributes.status = 'FINISHED' AND start_time > 1767225600000
//   run_id IN ('a1b2', 'c3d4')        tags.team IS NOT NULL
//
// become one Sextant filter over the paths the team fixed for MLflow data:
// metric K is the float series `K`, param K the string config `params/K`,
// tag K `tags/K` (`mlflow.runName` is `sys/name`), and the run attributes are
// `sys/...`. Times are milliseconds since the epoch in MLflow and datetimes
// in Sextant; statuses map onto Sextant's run states.
//
//   ASSIGN_OR_RETURN(std::string text, TranslateFilter(req.filter, SearchTarget::kRuns));
//   ASSIGN_OR_RETURN(query::Filter f, query::Filter::Parse(text));
//
// Errors are InvalidArgument. Where MLflow rejects the same input, the message
// is MLflow's ("Invalid attribute key 'foo' specified. Valid keys are ...");
// MLflow keys Sextant cannot serve (artifact_uri, datasets.*) get a message
// saying so. What is supported, and where Sextant's answer can differ from
// MLflow's, is listed in search.cc. The translator never recurses and runs
// in time linear in its input.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace sextant::api::mlflow {

// Which MLflow search endpoint the text came from: each accepts other keys.
enum class SearchTarget {
  kRuns,          // runs/search
  kExperiments,   // experiments/search
  kLoggedModels,  // logged-models/search
};

// One sort key; the caller converts it to core::SortKey (same fields).
struct OrderKey {
  std::string path;  // a Sextant attribute path, not quoted
  bool descending = false;

  bool operator==(const OrderKey&) const = default;
};

// An MLflow filter string → Sextant filter text, which query::Filter::Parse
// accepts. Empty or whitespace-only input gives "" (match all). Output longer
// than query::kMaxFilterBytes is InvalidArgument ("... filter is too long").
Result<std::string> TranslateFilter(std::string_view mlflow_filter, SearchTarget target);

// MLflow order_by entries → sort keys, in order. For runs and experiments an
// entry is MLflow's `<key> [ASC|DESC]` (`metrics.loss DESC`, "start_time",
// "params.`learning rate` asc"). For logged models, whose order_by is a list
// of {field_name, ascending}, pass `field_name` verbatim followed by " ASC"
// or " DESC" ("metrics.my metric DESC"); the suffix may be left out (ASC).
Result<std::vector<OrderKey>> TranslateOrderBy(const std::vector<std::string>& order_by,
                                               SearchTarget target);

}  // namespace sextant::api::mlflow
