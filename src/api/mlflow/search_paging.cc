#include "api/mlflow/search_paging.h"

#include <cstdlib>

#include "common/base64.h"
#include "model/limits.h"

namespace sextant::api::mlflow {

Result<ViewType> ViewTypeArg(const Args& a, std::string_view key) {
  ASSIGN_OR_RETURN(auto v, a.Str(key));
  if (!v || v->empty() || *v == "ACTIVE_ONLY" || *v == "1") return ViewType::kActiveOnly;
  if (*v == "DELETED_ONLY" || *v == "2") return ViewType::kDeletedOnly;
  if (*v == "ALL" || *v == "3") return ViewType::kAll;
  return Status::InvalidArgument("Invalid value \"" + *v + "\" for parameter '" +
                                 std::string(key) +
                                 "' supplied: expected ACTIVE_ONLY, DELETED_ONLY or ALL");
}

Result<Paging> PagingArgs(const Args& a, size_t default_max) {
  Paging p;
  p.max_results = default_max;
  ASSIGN_OR_RETURN(auto max, a.Int("max_results"));
  if (max) {
    if (*max < 1 || static_cast<uint64_t>(*max) > model::kMlflowMaxResults)
      return Status::InvalidArgument("Invalid value " + std::to_string(*max) +
                                     " for parameter 'max_results' supplied. It must be at most " +
                                     std::to_string(model::kMlflowMaxResults) +
                                     ", and at least 1");
    p.max_results = static_cast<size_t>(*max);
  }
  ASSIGN_OR_RETURN(auto token, a.Str("page_token"));
  if (token && !token->empty()) {
    auto raw = DecodeBase64Url(*token);
    std::string s = raw.ok() ? *raw : "";
    char* end = nullptr;
    unsigned long long off = std::strtoull(s.c_str(), &end, 10);
    if (s.empty() || *end || s.size() > 12)
      return Status::InvalidArgument("Invalid page token, could not base64-decode");
    p.offset = static_cast<size_t>(off);
  }
  return p;
}

std::string NextPageToken(size_t offset) { return EncodeBase64Url(std::to_string(offset)); }

}  // namespace sextant::api::mlflow
