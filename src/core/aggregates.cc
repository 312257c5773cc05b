#include "core/aggregates.h"

namespace sextant::core {

std::optional<model::Value> AggregateValue(query::AggregateFn fn, const query::Bucket& b) {
  bool any = b.count > b.nan_count;
  switch (fn) {
    case query::AggregateFn::kMin: return any ? std::optional(model::Value::Float(b.min)) : std::nullopt;
    case query::AggregateFn::kMax: return any ? std::optional(model::Value::Float(b.max)) : std::nullopt;
    case query::AggregateFn::kMean: return any ? std::optional(model::Value::Float(b.mean())) : std::nullopt;
    case query::AggregateFn::kFirst: return model::Value::Float(b.first_value);
    case query::AggregateFn::kLast: return model::Value::Float(b.last_value);
    case query::AggregateFn::kLastStep: return model::Value::Float(model::StepToDouble(b.last_step));
  }
  return std::nullopt;
}

namespace {
std::string Key(const storage::RunInfo& run, const std::string& path) {
  return std::to_string(run.id) + '\0' + path;
}
}  // namespace

std::optional<std::optional<query::Bucket>> AggregateCache::Get(const storage::RunInfo& run,
                                                                const std::string& path) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = map_.find(Key(run, path));
  if (it == map_.end() || it->second.first != run.updated_us) return std::nullopt;
  return it->second.second;
}

void AggregateCache::Put(const storage::RunInfo& run, const std::string& path,
                         std::optional<query::Bucket> b) {
  std::lock_guard<std::mutex> l(mu_);
  if (map_.size() >= kMaxEntries) map_.clear();
  map_[Key(run, path)] = {run.updated_us, std::move(b)};
}

}  // namespace sextant::core
