// Fuzzes the run filter language (docs/query.md) as typed into the UI or
// sent as `filter=`: any text either parses or is InvalidArgument, a parsed
// filter prints to canonical text that parses to the same text again (the
// ToString contract in filter.h), and evaluating it over a run with
// attributes of every type neither crashes nor overflows the stack.
// Seeds: fuzz/corpus/filter/, dictionary: fuzz/dict/filter.dict.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "model/types.h"
#include "query/filter.h"

namespace sextant::query {
namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

// A run whose attributes depend on the path: each type turns up, and some
// paths are missing, so every comparison rule in the evaluator gets used.
class FakeRun : public AttributeLookup {
 public:
  FakeRun() {
    values_.push_back(model::Value::Float(0.5));
    values_.push_back(model::Value::Float(std::numeric_limits<double>::quiet_NaN()));
    values_.push_back(model::Value::Int(-3));
    values_.push_back(model::Value::Bool(true));
    values_.push_back(model::Value::String("sweep-12 baseline"));
    values_.push_back(model::Value::Datetime(1'767'225'600'000'000));
    values_.push_back(model::Value::StringSet({"a", "baseline", "lr-3"}));
    model::Value series = model::Value::Float(1.25);
    series.type = model::AttrType::kFloatSeries;
    values_.push_back(series);
    model::Value text = model::Value::String("hello");
    text.type = model::AttrType::kStringSeries;
    values_.push_back(text);
  }
  const model::Value* Find(std::string_view path) const override {
    size_t h = std::hash<std::string_view>()(path) % (values_.size() + 2);
    return h < values_.size() ? &values_[h] : nullptr;
  }

 private:
  std::vector<model::Value> values_;
};

}  // namespace
}  // namespace sextant::query

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sextant::query;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto f = Filter::Parse(text);
  if (!f.ok()) {
    Check(f.status().code() == sextant::Code::kInvalidArgument);
    Check(!f.status().message().empty());
    return 0;
  }
  Check(size <= kMaxFilterBytes);
  static const FakeRun run;
  f->Matches(run);
  std::vector<std::string> paths = f->ReferencedPaths();
  std::string canonical = f->ToString();
  Check(canonical.empty() == f->MatchesAll());
  auto again = Filter::Parse(canonical);
  Check(again.ok());
  Check(again->ToString() == canonical);
  Check(again->ReferencedPaths() == paths);
  Check(again->Matches(run) == f->Matches(run));
  return 0;
}
