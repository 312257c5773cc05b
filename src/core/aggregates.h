// Series aggregates for the runs table: min, max, mean, first, last and
// last_step of a float series ("min(val/loss)", query/filter.h), usable as
// columns, in filters and in sorts. Each comes from one downsampled read of
// the run's series (one bucket: block summaries, so the cost grows with the
// number of blocks, not of points) and is cached until the run is written
// again (its updated_us changes).
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

#include "model/types.h"
#include "query/downsample.h"
#include "query/filter.h"
#include "storage/backend.h"

namespace sextant::core {

// The aggregate of one summary; nullopt for min/max/mean when every value
// is NaN (absent, like a run without the series).
std::optional<model::Value> AggregateValue(query::AggregateFn fn, const query::Bucket& b);

class AggregateCache {
 public:
  // nullopt: not cached for this version of the run. A cached nullopt
  // bucket: the run has no points in the series.
  std::optional<std::optional<query::Bucket>> Get(const storage::RunInfo& run, const std::string& path);
  void Put(const storage::RunInfo& run, const std::string& path, std::optional<query::Bucket> b);

 private:
  static constexpr size_t kMaxEntries = 1'000'000;  // ~150 MB at most; cleared when full
  std::mutex mu_;
  // Key: internal run id, '\0', path. Value: the run's updated_us and the summary.
  std::unordered_map<std::string, std::pair<int64_t, std::optional<query::Bucket>>> map_;  // GUARDED_BY(mu_)
};

}  // namespace sextant::core
