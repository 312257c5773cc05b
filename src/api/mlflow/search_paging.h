// The paging and view arguments shared by MLflow's search endpoints:
// max_results, page_token (an opaque offset) and run/view_type.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "api/mlflow/respond.h"

namespace sextant::api::mlflow {

enum class ViewType { kActiveOnly, kDeletedOnly, kAll };
// ACTIVE_ONLY (default), DELETED_ONLY, ALL.
Result<ViewType> ViewTypeArg(const Args& a, std::string_view key);

struct Paging {
  size_t offset = 0;
  size_t max_results = 0;
};
// max_results in 1..model::kMlflowMaxResults (default `default_max`).
Result<Paging> PagingArgs(const Args& a, size_t default_max);
std::string NextPageToken(size_t offset);

}  // namespace sextant::api::mlflow
