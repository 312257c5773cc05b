// Fuzzes the Neptune NQL translator (api/neptune/nql.h). Input layout: byte
// 0 with bit 0x80 clear: the rest is NQL text; with it set: the rest is the
// four fields of TranslateSort (name, type, dir, aggregation), one per line.
// NQL either translates or is InvalidArgument with a message; a translation
// is within the length limit, query::Filter::Parse must accept it (a
// translation Sextant cannot parse is a bug), evaluating it on a run does
// not crash, and translating again gives the same text. A sort either fails
// the same way or gives a non-empty path.
// Seeds: fuzz/corpus/neptune_nql/.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "api/neptune/nql.h"
#include "model/types.h"
#include "query/filter.h"

namespace sextant::api::neptune {
namespace {

void Check(bool ok, std::string_view what, std::string_view detail = "") {
  if (ok) return;
  std::fprintf(stderr, "check failed: %.*s\n%.*s\n", int(what.size()), what.data(),
               int(detail.size()), detail.data());
  std::abort();
}

// A run with attributes of every kind a translated filter compares with.
class FakeRun : public query::AttributeLookup {
 public:
  FakeRun() {
    string_ = model::Value::String("sweep-12 Baseline\nx");
    tags_ = model::Value::StringSet({"a", "baseline"});
    time_ = model::Value::Datetime(1'767'225'600'000'999);
    int_ = model::Value::Int(64);
    series_ = model::Value::Float(0.5);
    series_.type = model::AttrType::kFloatSeries;
    flag_ = model::Value::Bool(true);
  }
  const model::Value* Find(std::string_view path) const override {
    if (path == "sys/created_at" || path == "sys/updated_at") return &time_;
    if (path == "sys/tags" || path == "sys/group_tags") return &tags_;
    if (path == "sys/trashed") return path.size() % 2 ? nullptr : &flag_;
    switch (path.size() % 5) {
      case 0:
        return nullptr;
      case 1:
        return &string_;
      case 2:
        return &int_;
      case 3:
        return &series_;
      default:
        return &tags_;
    }
  }

 private:
  model::Value string_, tags_, time_, int_, series_, flag_;
};

void FuzzFilter(std::string_view text) {
  auto out = TranslateFilter(text);
  if (!out.ok()) {
    Check(out.status().code() == Code::kInvalidArgument, "error code", out.status().ToString());
    Check(!out.status().message().empty(), "empty error message");
    return;
  }
  const std::string& sextant = out.value();
  Check(sextant.size() <= query::kMaxFilterBytes, "translation over the limit", sextant);
  auto again = TranslateFilter(text);
  Check(again.ok() && again.value() == sextant, "translation not deterministic", sextant);
  auto filter = query::Filter::Parse(sextant);
  Check(filter.ok(), "Sextant cannot parse the translation",
        sextant + "\n" + filter.status().ToString());
  Check(filter.value().MatchesAll() == sextant.empty(), "empty translation", sextant);
  static const FakeRun run;
  filter.value().Matches(run);
}

void FuzzSort(std::string_view text) {
  std::vector<std::string_view> fields;
  size_t start = 0;
  while (fields.size() < 3) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) break;
    fields.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  fields.push_back(text.substr(start));
  while (fields.size() < 4) fields.emplace_back();
  auto key = TranslateSort(fields[0], fields[1], fields[2], fields[3]);
  if (!key.ok()) {
    Check(key.status().code() == Code::kInvalidArgument, "error code", key.status().ToString());
    Check(!key.status().message().empty(), "empty error message");
    return;
  }
  Check(!key.value().path.empty(), "empty sort path");
}

}  // namespace
}  // namespace sextant::api::neptune

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sextant::api::neptune;
  if (size == 0) return 0;
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 0x80) {
    FuzzSort(text);
  } else {
    FuzzFilter(text);
  }
  return 0;
}
