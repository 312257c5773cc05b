// JSON bodies of the native API's responses (docs/api/native.md).
#include "api/native/write.h"

#include <algorithm>
#include <bit>

#include "common/base64.h"

namespace sextant::api::native {

void WriteRun(JsonWriter& w, const model::ProjectName& p, const storage::RunInfo& r) {
  w.Key("project").String(p.Full());
  w.Key("run_id").String(r.run_id);
  w.Key("name").String(r.name);
  w.Key("experiment_name").String(r.experiment);
  w.Key("state").String(model::RunStateName(r.state));
  w.Key("created_at").Seconds(r.created_us);
  w.Key("updated_at").Seconds(r.updated_us);
  w.Key("fork_run_id");
  if (r.fork_run_id) w.String(*r.fork_run_id); else w.Null();
  w.Key("fork_step");
  if (r.fork_step) w.Step(*r.fork_step); else w.Null();
}

std::string RunJson(const model::ProjectName& p, const storage::RunInfo& r) {
  JsonWriter w;
  w.BeginObject();
  WriteRun(w, p, r);
  w.EndObject();
  return w.Take();
}

void WriteAttribute(JsonWriter& w, const storage::AttributeInfo& a) {
  w.BeginObject();
  w.Key("path").String(a.path);
  w.Key("type").String(model::AttrTypeName(a.type));
  if (model::IsSeries(a.type)) {
    w.Key("last_step");
    if (a.last_step) w.Step(*a.last_step); else w.Null();
    w.Key("last_value").Value(a.value);
    w.Key("last_timestamp").Seconds(a.last_ts);
    w.Key("count").Int(a.count);
  } else if (a.type == model::AttrType::kFile || a.type == model::AttrType::kFileSeries) {
    w.Key("digest").String(a.value.s);
    w.Key("size").Int(a.value.i);
    if (a.type == model::AttrType::kFileSeries) {
      w.Key("last_step");
      if (a.last_step) w.Step(*a.last_step); else w.Null();
      w.Key("count").Int(a.count);
    }
  } else {
    w.Key("value").Value(a.value);
  }
  w.EndObject();
}

static bool IsFloatOrUntyped(const core::SeriesResult& r) {
  return r.type == model::AttrType::kFloatSeries || !r.type;
}

// The "values" array of a string (JSON strings) or histogram series (objects).
static void WriteTextValues(JsonWriter& w, const core::SeriesResult& r) {
  w.Key("values").BeginArray();
  if (r.type == model::AttrType::kFileSeries) {  // {"digest", "size", "name"} per point
    for (const auto& f : r.files) {
      w.BeginObject().Key("digest").String(f.digest).Key("size").Int(f.size);
      w.Key("name").String(f.filename).EndObject();
    }
    w.EndArray();
    return;
  }
  for (const auto& v : r.points.bytes) {
    if (r.type == model::AttrType::kHistogramSeries) w.Raw(v); else w.String(v);
  }
  w.EndArray();
}

static void WriteJsonPoints(JsonWriter& w, const core::SeriesResult& r) {
  w.Key("steps").BeginArray();
  for (int64_t s : r.points.steps) w.Step(s);
  w.EndArray();
  if (IsFloatOrUntyped(r)) {
    w.Key("values").BeginArray();
    for (double v : r.points.floats) w.Double(v);
    w.EndArray();
  } else {
    WriteTextValues(w, r);
  }
  w.Key("timestamps").BeginArray();
  for (int64_t t : r.points.ts) w.Seconds(t);
  w.EndArray();
}

// Raw points as base64 columns: steps as int64 (whole steps when every step
// of the page is whole, else millionths: "step_scale"), float values and
// timestamps (Unix seconds) as float64, all little-endian.
static void WriteBinaryPoints(JsonWriter& w, const core::SeriesResult& r) {
  static_assert(std::endian::native == std::endian::little, "columns are little-endian");
  const auto& p = r.points;
  bool whole = std::all_of(p.steps.begin(), p.steps.end(),
                           [](int64_t s) { return s % model::kStepScale == 0; });
  std::vector<int64_t> steps(p.steps);
  if (whole)
    for (auto& s : steps) s /= model::kStepScale;
  auto column = [&](const void* data, size_t bytes) {
    std::string b64 = "\"";
    AppendBase64(std::string_view(static_cast<const char*>(data), bytes), &b64);
    b64 += '"';
    w.Raw(b64);
  };
  w.Key("step_scale").Int(whole ? 1 : model::kStepScale);
  w.Key("steps_b64");
  column(steps.data(), steps.size() * 8);
  if (IsFloatOrUntyped(r)) {
    w.Key("values_b64");
    column(p.floats.data(), p.floats.size() * 8);
  } else {
    WriteTextValues(w, r);
  }
  std::vector<double> ts(p.ts.size());
  for (size_t i = 0; i < ts.size(); ++i) ts[i] = static_cast<double>(p.ts[i]) / 1e6;
  w.Key("timestamps_b64");
  column(ts.data(), ts.size() * 8);
}

std::string SeriesJson(const std::vector<core::SeriesResult>& results, bool base64) {
  JsonWriter w;
  w.BeginObject().Key("series").BeginArray();
  for (const auto& r : results) {
    w.BeginObject();
    w.Key("run_id").String(r.run_id);
    w.Key("type");
    if (r.type) w.String(model::AttrTypeName(*r.type)); else w.Null();
    if (!r.downsampled) {
      if (base64) WriteBinaryPoints(w, r); else WriteJsonPoints(w, r);
      w.Key("next_after_step");
      if (r.next_after_step) w.Step(*r.next_after_step); else w.Null();
    }
    if (r.downsampled) {
      w.Key("buckets").BeginObject();
      w.Key("index").BeginArray();
      for (const auto& b : r.buckets) w.Int(b.index);
      w.EndArray().Key("first_step").BeginArray();
      for (const auto& b : r.buckets) w.Step(b.first_step);
      w.EndArray().Key("last_step").BeginArray();
      for (const auto& b : r.buckets) w.Step(b.last_step);
      w.EndArray().Key("min").BeginArray();
      for (const auto& b : r.buckets) w.Double(b.min);
      w.EndArray().Key("max").BeginArray();
      for (const auto& b : r.buckets) w.Double(b.max);
      w.EndArray().Key("mean").BeginArray();
      for (const auto& b : r.buckets) w.Double(b.mean());
      w.EndArray().Key("count").BeginArray();
      for (const auto& b : r.buckets) w.Int(static_cast<int64_t>(b.count));
      w.EndArray().Key("nan_count").BeginArray();
      for (const auto& b : r.buckets) w.Int(static_cast<int64_t>(b.nan_count));
      w.EndArray().Key("last").BeginArray();
      for (const auto& b : r.buckets) w.Double(b.last_value);
      w.EndArray().EndObject();
    }
    w.EndObject();
  }
  w.EndArray().EndObject();
  return w.Take();
}

void WriteNextPageToken(JsonWriter& w, const std::string& token) {
  w.Key("next_page_token");
  if (token.empty()) w.Null(); else w.String(token);
}

}  // namespace sextant::api::native
