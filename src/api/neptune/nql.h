// Neptune's query language (NQL), as neptune-query sends it in the `query`
// of a leaderboard search, translated into Sextant's own filter language
// (docs/query.md), and Neptune's `sorting` into a Sextant sort key, for the
// Neptune-compatible read API.
//
// neptune-query writes every condition as a backquoted attribute name with
// its type, an operator, and a value that is always a double-quoted string;
// it joins conditions with AND, OR and NOT and parenthesises every operand:
//
//   ((`sys/name`:string MATCHES "^sweep-") AND (`sys/name`:string NOT MATCHES "debug"))
//   (`config/bs`:int == "64") OR (NOT (`eval/acc`:floatSeries EXISTS))
//   (`sys/tags`:stringSet CONTAINS "baseline") AND
//       (`sys/creation_time`:datetime < "2026-01-02T03:04:05+00:00")
//   last(`train/loss`:floatSeries) < "0.5"
//
// becomes one Sextant filter, with only the parentheses it needs:
//
//   sys/name ~ "^sweep-" and sys/name !~ "debug"
//   config/bs = 64 or not exists(eval/acc)
//   sys/tags contains "baseline" and sys/created_at < datetime("2026-01-02T03:04:05Z")
//   train/loss < 0.5
//
// Attribute names are Sextant paths, except the system attributes that
// Sextant names differently (see SextantPath). Usage:
//
//   ASSIGN_OR_RETURN(std::string text, TranslateFilter(body.query));
//   ASSIGN_OR_RETURN(query::Filter f, query::Filter::Parse(text));
//
// Errors are InvalidArgument, naming the 1-based column (in characters) of
// the NQL where the problem is, or saying what Sextant cannot express
// (min/max/average/variance of a series). What is supported, and where the
// answer can differ from Neptune's, is listed in nql.cc. The translator
// never recurses and runs in time linear in its input.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace sextant::api::neptune {

// NQL text → Sextant filter text, which query::Filter::Parse accepts. Empty
// or whitespace-only input gives "" (match all). A translation longer than
// query::kMaxFilterBytes, or nesting parentheses and `not` deeper than
// query::kMaxFilterDepth, is InvalidArgument.
Result<std::string> TranslateFilter(std::string_view nql);

// The Sextant path of a Neptune attribute name: the name itself, except
//   sys/id, sys/custom_run_id         → sys/id (Sextant's run id)
//   sys/creation_time                 → sys/created_at
//   sys/modification_time, sys/ping_time → sys/updated_at
//   sys/experiment/name               → sys/experiment
//   sys/failed                        → sys/state (failed when it is "failed")
std::string SextantPath(std::string_view neptune_name);

// One sort key; the caller converts it to core::SortKey (same fields).
struct OrderKey {
  std::string path;  // a Sextant attribute path, not quoted
  bool descending = true;

  bool operator==(const OrderKey&) const = default;
};

// Neptune's `sorting` → a sort key: `name` and `type` from sortBy (type may
// be empty; if given it must be a Neptune attribute type), `dir` is
// "ascending", "descending" or empty (descending, as Neptune's default), and
// `aggregation` is sortBy's aggregationMode: empty, "auto" or "last" (a float
// series sorts by its last value); "min", "max", "average" and "variance"
// are InvalidArgument, since Sextant sorts series by their last value only.
Result<OrderKey> TranslateSort(std::string_view name, std::string_view type,
                               std::string_view dir, std::string_view aggregation);

}  // namespace sextant::api::neptune
