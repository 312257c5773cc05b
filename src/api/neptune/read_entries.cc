// The leaderboard search (read_routes.cc): neptune-query's list of
// experiments or runs, a filter (NQL, nql.h), a sort, offset paging and a
// projection of attributes, answered from the runs catalogue
// (Tracker::QueryRuns). Trashed runs (config sys/trashed = true) are left
// out. With experimentLeader, only experiment heads are listed: for each
// experiment name the most recently created run of that experiment.
#include <unordered_set>

#include "api/neptune/neptune.h"
#include "api/neptune/nql.h"
#include "api/neptune/read_common.h"
#include "api/neptune/respond.h"

namespace sextant::api::neptune {
namespace {

constexpr char kNotTrashed[] = "not `sys/trashed` = true";

struct SearchRequest {
  std::vector<std::string> projection;  // Neptune names, distinct, in request order
  bool leaders = false;
  size_t limit = model::kMaxRunsLimit, offset = 0;
  std::string filter;  // Sextant filter text
  std::vector<core::SortKey> sort;
};

Result<SearchRequest> ParseSearch(const nlohmann::json& body) {
  SearchRequest r;
  ASSIGN_OR_RETURN(const nlohmann::json* attrs, OptArray(body, "attributeFilters", "attributeFilters"));
  if (attrs) {
    if (attrs->size() > model::kNeptuneMaxReadAttributes)
      return Status::InvalidArgument("attributeFilters: at most " + std::to_string(model::kNeptuneMaxReadAttributes) +
                                     " attributes");
    std::unordered_set<std::string> seen;
    for (const auto& a : *attrs) {
      ASSIGN_OR_RETURN(auto path, OptString(a, "path", "attributeFilters[].path"));
      if (!path || path->empty()) return Status::InvalidArgument("attributeFilters: each entry needs a path");
      if (seen.insert(*path).second) r.projection.push_back(*path);
    }
  }
  ASSIGN_OR_RETURN(auto leader, OptBool(body, "experimentLeader", "experimentLeader"));
  r.leaders = leader.value_or(false);
  ASSIGN_OR_RETURN(const nlohmann::json* page, OptObject(body, "pagination", "pagination"));
  if (page) {
    ASSIGN_OR_RETURN(auto limit, OptInt(*page, "limit", "pagination.limit"));
    ASSIGN_OR_RETURN(auto offset, OptInt(*page, "offset", "pagination.offset"));
    if (limit && (*limit < 0 || static_cast<uint64_t>(*limit) > model::kMaxRunsLimit))
      return Status::InvalidArgument("pagination.limit: expected an integer from 0 to " +
                                     std::to_string(model::kMaxRunsLimit));
    if (offset && (*offset < 0 || static_cast<uint64_t>(*offset) > model::kMaxRunsOffset))
      return Status::InvalidArgument("pagination.offset: expected an integer from 0 to " +
                                     std::to_string(model::kMaxRunsOffset));
    if (limit) r.limit = static_cast<size_t>(*limit);
    if (offset) r.offset = static_cast<size_t>(*offset);
  }
  ASSIGN_OR_RETURN(const nlohmann::json* query, OptObject(body, "query", "query"));
  std::string nql;
  if (query) {
    ASSIGN_OR_RETURN(auto text, OptString(*query, "query", "query.query"));
    nql = text.value_or("");
  }
  ASSIGN_OR_RETURN(std::string translated, TranslateFilter(nql));
  r.filter = kNotTrashed;
  if (r.leaders) r.filter += " and sys/experiment != \"\"";
  if (!translated.empty()) r.filter += " and (" + translated + ")";
  ASSIGN_OR_RETURN(const nlohmann::json* sorting, OptObject(body, "sorting", "sorting"));
  if (sorting) {
    ASSIGN_OR_RETURN(const nlohmann::json* by, OptObject(*sorting, "sortBy", "sorting.sortBy"));
    ASSIGN_OR_RETURN(auto dir, OptString(*sorting, "dir", "sorting.dir"));
    if (by) {
      ASSIGN_OR_RETURN(auto name, OptString(*by, "name", "sorting.sortBy.name"));
      ASSIGN_OR_RETURN(auto type, OptString(*by, "type", "sorting.sortBy.type"));
      ASSIGN_OR_RETURN(auto agg, OptString(*by, "aggregationMode", "sorting.sortBy.aggregationMode"));
      ASSIGN_OR_RETURN(OrderKey key, TranslateSort(name.value_or(""), type.value_or(""), dir.value_or(""),
                                                   agg.value_or("")));
      r.sort.push_back({key.path, key.descending});
    }
  }
  if (r.sort.empty()) r.sort.push_back({"sys/created_at", true});
  return r;
}

// The runs that head their experiment: the newest non-trashed run of each name.
Result<std::unordered_set<std::string>> ExperimentHeads(core::Tracker* t, const model::ProjectName& p) {
  core::RunsQuery q;
  ASSIGN_OR_RETURN(q.filter, query::Filter::Parse(std::string(kNotTrashed) + " and sys/experiment != \"\""));
  q.sort = {{"sys/created_at", true}};
  q.columns = std::vector<std::string>{};
  q.limit = model::kMaxRunsLimit;
  std::unordered_set<std::string> names, heads;
  for (q.offset = 0;; q.offset += q.limit) {
    ASSIGN_OR_RETURN(core::RunsPage page, t->QueryRuns(p, q));
    for (const auto& row : page.rows)
      if (names.insert(row.run.experiment).second) heads.insert(row.run.run_id);
    if (page.rows.size() < q.limit || q.offset + q.limit > model::kMaxRunsOffset) break;
  }
  return heads;
}

void AddEntry(Neptune* n, const model::ProjectName& p, const SearchRequest& r, const core::RunRow& row,
              pb::ProtoLeaderboardEntriesSearchResultDTO* out) {
  pb::ProtoAttributesDTO* e = out->add_entries();
  e->set_experiment_id(row.run.run_id);
  e->set_type("run");
  e->set_project_name(p.name);
  e->set_organization_name(p.workspace);
  FileLookup files = RunFiles(n->tracker(), p, row.run.run_id);
  for (const std::string& name : r.projection) {
    std::optional<storage::AttributeInfo> a = SysAttribute(row.run, name);
    if (!a) {
      std::string path = SextantPath(name);
      auto it = std::lower_bound(row.attributes.begin(), row.attributes.end(), path,
                                 [](const auto& kv, const std::string& k) { return kv.first < k; });
      if (it != row.attributes.end() && it->first == path) {
        a = FromCatalogValue(path, it->second);
        if (a->type == model::AttrType::kFileSeries) {  // the catalogue keeps no last step of a file series
          auto found = n->tracker()->FindAttributes(row.run, {path});
          if (found.ok() && !found->empty()) a = (*found)[0];
        }
      } else if (name == "sys/trashed") {
        a = FromCatalogValue(name, model::Value::Bool(false));
      }
    }
    if (!a) continue;
    a->path = SextantPath(name);
    ToProtoAttribute(name, *a, files, e->add_attributes());
  }
}

}  // namespace

Result<http::Response> SearchEntries(Context& c, Neptune* n) {
  ASSIGN_OR_RETURN(model::ProjectName p, QueryProject(c));
  RETURN_IF_ERROR(Require(c, p, auth::Role::kViewer));
  ASSIGN_OR_RETURN(nlohmann::json body, ParseJsonObject(c.req.body));
  ASSIGN_OR_RETURN(SearchRequest r, ParseSearch(body));
  core::RunsQuery q;
  ASSIGN_OR_RETURN(q.filter, query::Filter::Parse(r.filter));
  q.sort = r.sort;
  std::vector<std::string> columns;
  for (const auto& name : r.projection) {
    std::string path = SextantPath(name);
    if (model::ValidatePath(path).ok()) columns.push_back(std::move(path));
  }
  q.columns = std::move(columns);
  pb::ProtoLeaderboardEntriesSearchResultDTO out;
  if (!r.leaders) {
    q.limit = r.limit;
    q.offset = r.offset;
    ASSIGN_OR_RETURN(core::RunsPage page, n->tracker()->QueryRuns(p, q));
    out.set_matching_item_count(static_cast<int64_t>(page.total));
    for (const auto& row : page.rows) AddEntry(n, p, r, row, &out);
    return Proto(out);
  }
  // Experiments: the heads among the matching runs, paged after filtering.
  ASSIGN_OR_RETURN(auto heads, ExperimentHeads(n->tracker(), p));
  q.limit = model::kMaxRunsLimit;
  size_t skipped = 0, matching = 0;
  for (q.offset = 0;; q.offset += q.limit) {
    ASSIGN_OR_RETURN(core::RunsPage page, n->tracker()->QueryRuns(p, q));
    for (const auto& row : page.rows) {
      if (!heads.count(row.run.run_id)) continue;
      ++matching;
      if (skipped < r.offset) {
        ++skipped;
        continue;
      }
      if (static_cast<size_t>(out.entries_size()) < r.limit) AddEntry(n, p, r, row, &out);
    }
    if (page.rows.size() < q.limit || q.offset + q.limit > model::kMaxRunsOffset) break;
  }
  out.set_matching_item_count(static_cast<int64_t>(matching));
  return Proto(out);
}

}  // namespace sextant::api::neptune
