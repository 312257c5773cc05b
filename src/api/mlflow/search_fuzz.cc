// Fuzzes the MLflow search translator (api/mlflow/search.h). Input layout:
// byte 0 picks the target (runs, experiments, logged models: value % 3) and,
// with bit 0x80, order_by instead of a filter; the rest is the filter text,
// or the order_by entries one per line. A filter either translates or is
// InvalidArgument with a message; a translation is within the length limit,
// and query::Filter::Parse must accept it (a translation Sextant cannot parse
// is a bug), evaluating it on a run does not crash, and translating again
// gives the same text. order_by either fails the same way or gives one
// non-empty path per entry.
// Seeds: fuzz/corpus/mlflow_search/, dictionary: fuzz/dict/mlflow_search.dict.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "api/mlflow/search.h"
#include "model/types.h"
#include "query/filter.h"

namespace sextant::api::mlflow {
namespace {

void Check(bool ok, std::string_view what, std::string_view detail = "") {
  if (ok) return;
  std::fprintf(stderr, "check failed: %.*s\n%.*s\n", int(what.size()), what.data(),
               int(detail.size()), detail.data());
  std::abort();
}

// A run with the attributes MLflow data maps to, of the types they have.
class FakeRun : public query::AttributeLookup {
 public:
  FakeRun() {
    string_ = model::Value::String("sweep-12 Baseline\nx");
    state_ = model::Value::String("stale");
    time_ = model::Value::Datetime(1'767'225'600'000'999);
    metric_ = model::Value::Float(0.5);
    metric_.type = model::AttrType::kFloatSeries;
  }
  const model::Value* Find(std::string_view path) const override {
    if (path == "sys/state") return &state_;
    if (path == "sys/created_at" || path == "sys/updated_at") return &time_;
    if (path.starts_with("params/") || path.starts_with("tags/") || path.starts_with("sys/") ||
        path.starts_with("model/")) {
      return path.size() % 2 == 0 ? &string_ : nullptr;
    }
    return path.size() % 3 == 0 ? nullptr : &metric_;
  }

 private:
  model::Value string_, state_, time_, metric_;
};

void FuzzFilter(std::string_view text, SearchTarget target) {
  auto out = TranslateFilter(text, target);
  if (!out.ok()) {
    Check(out.status().code() == Code::kInvalidArgument, "error code", out.status().ToString());
    Check(!out.status().message().empty(), "empty error message");
    return;
  }
  const std::string& sextant = out.value();
  Check(sextant.size() <= query::kMaxFilterBytes, "translation over the limit", sextant);
  auto again = TranslateFilter(text, target);
  Check(again.ok() && again.value() == sextant, "translation not deterministic", sextant);
  auto filter = query::Filter::Parse(sextant);
  Check(filter.ok(), "Sextant cannot parse the translation",
        sextant + "\n" + filter.status().ToString());
  Check(filter.value().MatchesAll() == sextant.empty(), "empty translation", sextant);
  static const FakeRun run;
  filter.value().Matches(run);
}

void FuzzOrderBy(std::string_view text, SearchTarget target) {
  std::vector<std::string> entries;
  size_t start = 0;
  while (start <= text.size() && entries.size() < 64) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    entries.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  auto keys = TranslateOrderBy(entries, target);
  if (!keys.ok()) {
    Check(keys.status().code() == Code::kInvalidArgument, "error code", keys.status().ToString());
    Check(!keys.status().message().empty(), "empty error message");
    return;
  }
  Check(keys.value().size() == entries.size(), "one key per entry");
  for (const OrderKey& key : keys.value()) Check(!key.path.empty(), "empty sort path");
}

}  // namespace
}  // namespace sextant::api::mlflow

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sextant::api::mlflow;
  if (size == 0) return 0;
  static constexpr SearchTarget kTargets[] = {SearchTarget::kRuns, SearchTarget::kExperiments,
                                              SearchTarget::kLoggedModels};
  SearchTarget target = kTargets[(data[0] & 0x7F) % 3];
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 0x80) {
    FuzzOrderBy(text, target);
  } else {
    FuzzFilter(text, target);
  }
  return 0;
}
