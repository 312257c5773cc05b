#include "api/native/decode.h"

#include <algorithm>
#include <bit>
#include <climits>
#include <cstdint>
#include <cmath>
#include <cstring>
#include <limits>

#include "common/base64.h"
#include "query/filter_datetime.h"

namespace sextant::api {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

namespace {

std::string Kind(element e) {
  switch (e.type()) {
    case element_type::ARRAY: return "array";
    case element_type::OBJECT: return "object";
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE: return "number";
    case element_type::STRING: return "string";
    case element_type::BOOL: return "boolean";
    case element_type::NULL_VALUE: return "null";
  }
  return "value";
}

Status Expected(const std::string& field, std::string_view what, element e) {
  return Status::InvalidArgument(field + ": expected " + std::string(what) + ", got " + Kind(e));
}

bool IsNumber(element e) {
  auto t = e.type();
  return t == element_type::INT64 || t == element_type::UINT64 || t == element_type::DOUBLE;
}

Result<std::string> GetString(element e, const std::string& field) {
  std::string_view s;
  if (e.get(s)) return Expected(field, "a string", e);
  return std::string(s);
}

Result<std::optional<std::string>> OptString(object o, std::string_view key) {
  element e;
  if (o[key].get(e) || e.is_null()) return std::optional<std::string>();
  ASSIGN_OR_RETURN(std::string s, GetString(e, std::string(key)));
  return std::optional<std::string>(std::move(s));
}

// A float value: a JSON number or one of the strings for non-finite values.
Result<double> FloatValue(element e, const std::string& field) {
  if (IsNumber(e)) {
    double d = 0;
    if (e.type() == element_type::DOUBLE) {
      d = double(e);
    } else if (e.type() == element_type::INT64) {
      d = static_cast<double>(int64_t(e));
    } else {
      d = static_cast<double>(uint64_t(e));
    }
    return d;
  }
  std::string_view s;
  if (!e.get(s)) {
    if (s == "NaN" || s == "nan") return std::numeric_limits<double>::quiet_NaN();
    if (s == "Infinity" || s == "inf" || s == "+Infinity") return std::numeric_limits<double>::infinity();
    if (s == "-Infinity" || s == "-inf") return -std::numeric_limits<double>::infinity();
  }
  return Expected(field, "a number or \"NaN\", \"Infinity\", \"-Infinity\"", e);
}

// Steps convert exactly (model/types.h): the model's rules decide what is a
// step; this only picks the conversion for the JSON type.
Result<int64_t> StepValue(element e, const std::string& field) {
  if (IsNumber(e)) {
    // A UINT64 is beyond int64, so out of range: StepFromDouble says so.
    auto r = e.type() == element_type::INT64
                 ? model::StepFromInt(int64_t(e))
                 : model::StepFromDouble(e.type() == element_type::DOUBLE
                                             ? double(e)
                                             : static_cast<double>(uint64_t(e)));
    if (!r.ok()) return r.status().WithContext(field);
    return r;
  }
  std::string_view s;
  if (!e.get(s)) {
    auto r = model::StepFromString(s);
    if (!r.ok()) return r.status().WithContext(field);
    return r;
  }
  return Expected(field, "a step (number or decimal string)", e);
}

// Unix seconds (fractions allowed) to µs. The range is the model's to check
// (ValidateLogBatch, ValidateCreateRun): out-of-range values saturate.
Result<int64_t> TimestampValue(element e, const std::string& field) {
  if (!IsNumber(e)) return Expected(field, "Unix seconds as a number", e);
  double d;
  if (e.type() == element_type::DOUBLE) d = double(e);
  else if (e.type() == element_type::INT64) d = static_cast<double>(int64_t(e));
  else d = static_cast<double>(uint64_t(e));
  return model::SecondsToMicros(d);
}

Result<model::Value> ConfigValue(element e, const std::string& field) {
  using model::Value;
  switch (e.type()) {
    case element_type::INT64: return Value::Int(int64_t(e));
    case element_type::UINT64:
      return Status::InvalidArgument(field + ": integer does not fit in 64 bits");
    case element_type::DOUBLE: return Value::Float(double(e));
    case element_type::BOOL: return Value::Bool(bool(e));
    case element_type::STRING: return Value::String(std::string(std::string_view(e)));
    case element_type::OBJECT: break;
    default: return Expected(field, "a number, boolean, string or {\"type\", \"value\"}", e);
  }
  object o = e;
  element t, v;
  std::string_view type;
  if (o["type"].get(t) || t.get(type) || o["value"].get(v))
    return Status::InvalidArgument(field + ": an object value needs \"type\" and \"value\"");
  if (type == "float") {
    ASSIGN_OR_RETURN(double d, FloatValue(v, field + ".value"));
    return Value::Float(d);
  }
  if (type == "int") {
    if (v.type() != element_type::INT64) return Expected(field + ".value", "an integer", v);
    return Value::Int(int64_t(v));
  }
  if (type == "bool") {
    if (v.type() != element_type::BOOL) return Expected(field + ".value", "a boolean", v);
    return Value::Bool(bool(v));
  }
  if (type == "string") {
    ASSIGN_OR_RETURN(std::string s, GetString(v, field + ".value"));
    return Value::String(std::move(s));
  }
  if (type == "datetime") {
    if (IsNumber(v)) {
      ASSIGN_OR_RETURN(int64_t us, TimestampValue(v, field + ".value"));
      return Value::Datetime(us);
    }
    ASSIGN_OR_RETURN(std::string s, GetString(v, field + ".value"));
    auto us = query::internal::ParseDatetime(s);
    if (!us.ok()) return us.status().WithContext(field + ".value");
    return Value::Datetime(us.value());
  }
  if (type == "string_set") {
    array a;
    if (v.get(a)) return Expected(field + ".value", "an array of strings", v);
    std::vector<std::string> items;
    size_t i = 0;
    for (element m : a) {
      ASSIGN_OR_RETURN(std::string s, GetString(m, field + ".value[" + std::to_string(i++) + "]"));
      items.push_back(std::move(s));
    }
    return Value::StringSet(std::move(items));
  }
  return Status::InvalidArgument(field + ".type: unknown type '" + std::string(type) +
                                 "' (float, int, bool, string, datetime, string_set)");
}

// A count (limit, offset): a JSON integer >= 0; too large for size_t saturates.
Result<size_t> NonNegative(element e, const std::string& field) {
  if (e.type() == element_type::UINT64) return SIZE_MAX;
  if (e.type() != element_type::INT64 || int64_t(e) < 0)
    return Status::InvalidArgument(field + ": expected a non-negative integer, got " +
                                   (e.type() == element_type::INT64 ? std::to_string(int64_t(e))
                                                                    : Kind(e)));
  return static_cast<size_t>(int64_t(e));
}

Result<std::vector<std::string>> StringList(element e, const std::string& field) {
  array a;
  if (e.get(a)) return Expected(field, "an array of strings", e);
  std::vector<std::string> out;
  size_t i = 0;
  for (element m : a) {
    ASSIGN_OR_RETURN(std::string s, GetString(m, field + "[" + std::to_string(i++) + "]"));
    out.push_back(std::move(s));
  }
  return out;
}

Result<std::vector<double>> NumberList(element e, const std::string& field) {
  array a;
  if (e.get(a)) return Expected(field, "an array of numbers", e);
  std::vector<double> out;
  size_t i = 0;
  for (element m : a) {
    ASSIGN_OR_RETURN(double d, FloatValue(m, field + "[" + std::to_string(i++) + "]"));
    out.push_back(d);
  }
  return out;
}

// A base64 column of n little-endian float64s, or nullopt when `key` is absent.
Result<std::optional<std::string>> Float64Column(object o, std::string_view key,
                                                 const std::string& field, size_t n) {
  static_assert(std::endian::native == std::endian::little, "float64 columns are little-endian");
  element e;
  if (o[key].get(e) || e.is_null()) return std::optional<std::string>();
  std::string_view text;
  if (e.get(text)) return Expected(field + "." + std::string(key), "a base64 string", e);
  auto bytes = DecodeBase64(text);
  if (!bytes.ok()) return bytes.status().WithContext(field + "." + std::string(key));
  if (bytes->size() != 8 * n)
    return Status::InvalidArgument(field + "." + std::string(key) + ": holds " +
                                   std::to_string(bytes->size()) + " bytes, expected 8 per step (" +
                                   std::to_string(8 * n) + ")");
  return std::optional<std::string>(std::move(bytes).value());
}

Status DecodeSeries(element e, const std::string& field, int64_t now_us,
                    model::SeriesWrite* s) {
  object o;
  if (e.get(o)) return Expected(field, "an object", e);
  ASSIGN_OR_RETURN(auto path, OptString(o, "path"));
  if (!path) return Status::InvalidArgument(field + ".path is required");
  s->path = *path;
  ASSIGN_OR_RETURN(auto type, OptString(o, "type"));
  std::string t = type.value_or("float");
  if (t == "float" || t == "float_series") s->type = model::AttrType::kFloatSeries;
  else if (t == "string" || t == "string_series") s->type = model::AttrType::kStringSeries;
  else if (t == "histogram" || t == "histogram_series") s->type = model::AttrType::kHistogramSeries;
  else return Status::InvalidArgument(field + ".type: unknown series type '" + t +
                                      "' (float, string, histogram)");
  element steps, values, ts;
  array sa, va, ta;
  if (o["steps"].get(steps) || steps.get(sa))
    return Status::InvalidArgument(field + ".steps: expected an array of steps");
  size_t n = sa.size();
  // Float series may carry values and timestamps as base64 float64 columns
  // instead of JSON arrays: formatting and parsing decimal text is most of
  // what a JSON ingest costs on both ends.
  ASSIGN_OR_RETURN(auto values_b64, Float64Column(o, "values_b64", field, n));
  ASSIGN_OR_RETURN(auto ts_b64, Float64Column(o, "timestamps_b64", field, n));
  bool has_values = !o["values"].get(values);
  if (values_b64 && has_values)
    return Status::InvalidArgument(field + ": give values or values_b64, not both");
  if (values_b64 && s->type != model::AttrType::kFloatSeries)
    return Status::InvalidArgument(field + ".values_b64: only float series take binary values");
  if (!values_b64 && (!has_values || values.get(va)))
    return Status::InvalidArgument(field + ".values: expected an array");
  bool has_ts = !o["timestamps"].get(ts) && !ts.is_null();
  if (ts_b64 && has_ts)
    return Status::InvalidArgument(field + ": give timestamps or timestamps_b64, not both");
  if (has_ts && ts.get(ta)) return Expected(field + ".timestamps", "an array", ts);
  if ((!values_b64 && va.size() != n) || (has_ts && ta.size() != n))
    return Status::InvalidArgument(field + ": steps, values and timestamps must have the same "
                                   "length (" + std::to_string(n) + ", " +
                                   std::to_string(values_b64 ? n : va.size()) + ", " +
                                   std::to_string(has_ts ? ta.size() : n) + ")");
  s->steps.reserve(n);
  s->ts.reserve(n);
  size_t i = 0;
  // Hot loops: the common case (integer steps, number values) is decoded
  // inline; a field name for an error message is only built on the slow path.
  // Integer steps that overflow int64 micro-steps take the slow path, which
  // refuses them; the range check of the rest is ValidateLogBatch's.
  for (element st : sa) {
    int64_t v, micro;
    if (st.type() == element_type::INT64 &&
        !__builtin_mul_overflow(int64_t(st), model::kStepScale, &micro)) {
      s->steps.push_back(micro);
    } else {
      ASSIGN_OR_RETURN(v, StepValue(st, field + ".steps[" + std::to_string(i) + "]"));
      s->steps.push_back(v);
    }
    ++i;
  }
  if (ts_b64) {
    for (i = 0; i < n; ++i) {
      double d;
      std::memcpy(&d, ts_b64->data() + 8 * i, 8);
      if (!std::isfinite(d))  // no time at all, not one out of range
        return Status::InvalidArgument(field + ".timestamps_b64[" + std::to_string(i) +
                                       "]: expected a finite number of Unix seconds");
      s->ts.push_back(model::SecondsToMicros(d));
    }
  } else if (has_ts) {
    i = 0;
    for (element x : ta) {
      if (x.type() == element_type::DOUBLE) {
        s->ts.push_back(model::SecondsToMicros(double(x)));
      } else {
        ASSIGN_OR_RETURN(int64_t v, TimestampValue(x, field + ".timestamps[" + std::to_string(i) + "]"));
        s->ts.push_back(v);
      }
      ++i;
    }
  } else {
    s->ts.assign(n, now_us);
  }
  i = 0;
  if (values_b64) {
    s->floats.resize(n);
    if (n) std::memcpy(s->floats.data(), values_b64->data(), 8 * n);
  } else if (s->type == model::AttrType::kFloatSeries) {
    s->floats.reserve(n);
    for (element x : va) {
      if (x.type() == element_type::DOUBLE) {
        s->floats.push_back(double(x));
      } else if (x.type() == element_type::INT64) {
        s->floats.push_back(static_cast<double>(int64_t(x)));
      } else {
        ASSIGN_OR_RETURN(double v, FloatValue(x, field + ".values[" + std::to_string(i) + "]"));
        s->floats.push_back(v);
      }
      ++i;
    }
  } else if (s->type == model::AttrType::kStringSeries) {
    for (element x : va) {
      ASSIGN_OR_RETURN(std::string v, GetString(x, field + ".values[" + std::to_string(i++) + "]"));
      s->bytes.push_back(std::move(v));
    }
  } else {
    for (element x : va) {
      std::string f = field + ".values[" + std::to_string(i++) + "]";
      object h;
      element edges, counts;
      if (x.get(h) || h["edges"].get(edges) || h["counts"].get(counts))
        return Status::InvalidArgument(f + ": expected {\"edges\": [...], \"counts\": [...]}");
      ASSIGN_OR_RETURN(auto ev, NumberList(edges, f + ".edges"));
      ASSIGN_OR_RETURN(auto cv, NumberList(counts, f + ".counts"));
      auto enc = model::EncodeHistogram(ev, cv);
      if (!enc.ok()) return enc.status().WithContext(f);
      s->bytes.push_back(std::move(enc).value());
    }
  }
  return Status::Ok();
}

Status RejectUnknown(object o, std::initializer_list<std::string_view> known,
                     std::string_view where) {
  for (auto field : o) {
    bool ok = false;
    for (auto k : known) ok |= field.key == k;
    if (!ok)
      return Status::InvalidArgument(std::string(where) + ": unknown field '" +
                                     std::string(field.key) + "'");
  }
  return Status::Ok();
}

}  // namespace

void ReserveForJson(std::string* body, size_t size) {
  body->reserve(size + simdjson::SIMDJSON_PADDING);
}

Result<element> ParseJsonObject(simdjson::dom::parser& parser,
                                const std::string& body) {
  element root;
  if (body.capacity() < body.size() + simdjson::SIMDJSON_PADDING)
    return Status::Internal("request body is not padded for parsing");
  auto err = parser.parse(body.data(), body.size(), /*realloc_if_needed=*/false).get(root);
  if (err)
    return Status::InvalidArgument(std::string("request body is not valid JSON: ") +
                                   simdjson::error_message(err));
  if (root.type() != element_type::OBJECT)
    return Status::InvalidArgument("request body must be a JSON object, got " + Kind(root));
  return root;
}

Result<model::CreateRunOp> DecodeCreateRun(element body) {
  object o = body;
  RETURN_IF_ERROR(RejectUnknown(o, {"run_id", "name", "experiment_name", "fork_run_id",
                                    "fork_step", "created_at"}, "create run"));
  model::CreateRunOp op;
  ASSIGN_OR_RETURN(op.run_id, OptString(o, "run_id"));
  ASSIGN_OR_RETURN(op.name, OptString(o, "name"));
  ASSIGN_OR_RETURN(op.experiment_name, OptString(o, "experiment_name"));
  ASSIGN_OR_RETURN(op.fork_run_id, OptString(o, "fork_run_id"));
  element e;
  if (!o["fork_step"].get(e) && !e.is_null()) {
    ASSIGN_OR_RETURN(int64_t s, StepValue(e, "fork_step"));
    op.fork_step = s;
  }
  if (!o["created_at"].get(e) && !e.is_null()) {
    ASSIGN_OR_RETURN(int64_t us, TimestampValue(e, "created_at"));
    op.created_us = us;
  }
  return op;
}

Result<model::LogBatch> DecodeLogBatch(element body, int64_t now_us) {
  object o = body;
  RETURN_IF_ERROR(RejectUnknown(o, {"configs", "series", "add_tags", "remove_tags", "state"},
                                "log batch"));
  model::LogBatch b;
  element e;
  if (!o["configs"].get(e) && !e.is_null()) {
    object c;
    if (e.get(c)) return Expected("configs", "an object", e);
    for (auto field : c) {
      std::string key(field.key);
      ASSIGN_OR_RETURN(model::Value v, ConfigValue(field.value, "configs." + key));
      b.configs.push_back({std::move(key), std::move(v)});
    }
  }
  if (!o["series"].get(e) && !e.is_null()) {
    array a;
    if (e.get(a)) return Expected("series", "an array", e);
    b.series.resize(a.size());
    size_t i = 0;
    for (element s : a) {
      RETURN_IF_ERROR(DecodeSeries(s, "series[" + std::to_string(i) + "]", now_us, &b.series[i]));
      ++i;
    }
  }
  if (!o["add_tags"].get(e) && !e.is_null()) {
    ASSIGN_OR_RETURN(b.add_tags, StringList(e, "add_tags"));
  }
  if (!o["remove_tags"].get(e) && !e.is_null()) {
    ASSIGN_OR_RETURN(b.remove_tags, StringList(e, "remove_tags"));
  }
  ASSIGN_OR_RETURN(auto state, OptString(o, "state"));
  if (state) {
    auto s = model::ParseRunState(*state);
    if (!s || *s == model::RunState::kStale)
      return Status::InvalidArgument("state: expected running, finished or failed, got '" +
                                     *state + "'");
    b.state = *s;
  }
  return b;
}

Result<FinishRequest> DecodeFinish(element body) {
  object o = body;
  RETURN_IF_ERROR(RejectUnknown(o, {"state", "ended_at"}, "finish"));
  FinishRequest out;
  element e;
  if (!o["ended_at"].get(e) && !e.is_null()) {
    ASSIGN_OR_RETURN(int64_t us, TimestampValue(e, "ended_at"));
    out.ended_us = us;  // the range is the core's to check (Tracker::Finish)
  }
  ASSIGN_OR_RETURN(auto state, OptString(o, "state"));
  if (!state) return out;
  if (*state == "finished") out.state = model::RunState::kFinished;
  else if (*state == "failed") out.state = model::RunState::kFailed;
  else return Status::InvalidArgument("state: expected finished or failed, got '" + *state + "'");
  return out;
}

Result<std::vector<core::SortKey>> ParseSortParam(std::string_view text) {
  std::vector<core::SortKey> keys;
  size_t start = 0;
  while (start <= text.size() && !text.empty()) {
    size_t comma = text.find(',', start);
    std::string_view part = text.substr(start, comma == std::string_view::npos ? text.npos : comma - start);
    core::SortKey k;
    if (!part.empty() && (part[0] == '-' || part[0] == '+')) {
      k.descending = part[0] == '-';
      part.remove_prefix(1);
    }
    k.path = std::string(part);  // the core validates paths (core::ValidateRunsQuery)
    keys.push_back(std::move(k));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return keys;
}

Result<core::RunsQuery> DecodeRunsQuery(element body) {
  object o = body;
  RETURN_IF_ERROR(RejectUnknown(o, {"filter", "sort", "limit", "offset", "columns", "trashed", "archived"},
                                "runs query"));
  core::RunsQuery q;
  // The runs table hides the trash and archived runs unless asked.
  q.trashed = q.archived = core::Visibility::kHide;
  for (auto [key, vis] : {std::pair{"trashed", &q.trashed}, std::pair{"archived", &q.archived}}) {
    ASSIGN_OR_RETURN(auto text, OptString(o, key));
    if (text) {
      ASSIGN_OR_RETURN(*vis, ParseVisibility(*text, key));
    }
  }
  ASSIGN_OR_RETURN(auto filter, OptString(o, "filter"));
  if (filter) {
    auto f = query::Filter::Parse(*filter);
    if (!f.ok()) return f.status().WithContext("filter");
    q.filter = std::move(f).value();
  }
  element e;
  if (!o["sort"].get(e) && !e.is_null()) {
    std::string_view s;
    array a;
    if (!e.get(s)) {
      ASSIGN_OR_RETURN(q.sort, ParseSortParam(s));
    } else if (!e.get(a)) {
      size_t i = 0;
      for (element k : a) {
        std::string f = "sort[" + std::to_string(i++) + "]";
        object ko;
        if (k.get(ko)) return Expected(f, "{\"path\", \"order\"}", k);
        ASSIGN_OR_RETURN(auto path, OptString(ko, "path"));
        ASSIGN_OR_RETURN(auto order, OptString(ko, "order"));
        if (!path) return Status::InvalidArgument(f + ".path is required");
        if (order && *order != "asc" && *order != "desc")
          return Status::InvalidArgument(f + ".order: expected asc or desc");
        q.sort.push_back({*path, order && *order == "desc"});
      }
    } else {
      return Expected("sort", "an array or a string", e);
    }
  }
  // Ranges are the core's (core::ValidateRunsQuery): a count too large for
  // size_t saturates and is refused there like any other over-limit count.
  auto count = [&](std::string_view key, size_t* out) -> Status {
    element v;
    if (o[key].get(v) || v.is_null()) return Status::Ok();
    ASSIGN_OR_RETURN(*out, NonNegative(v, std::string(key)));
    return Status::Ok();
  };
  RETURN_IF_ERROR(count("limit", &q.limit));
  RETURN_IF_ERROR(count("offset", &q.offset));
  if (!o["columns"].get(e) && !e.is_null()) {
    ASSIGN_OR_RETURN(auto cols, StringList(e, "columns"));
    q.columns = std::move(cols);
  }
  return q;
}

Result<core::Visibility> ParseVisibility(std::string_view text, const std::string& field) {
  if (text == "hide") return core::Visibility::kHide;
  if (text == "only") return core::Visibility::kOnly;
  if (text == "include") return core::Visibility::kInclude;
  return Status::InvalidArgument(field + ": expected hide, only or include, got '" +
                                 std::string(text.substr(0, 64)) + "'");
}

namespace {

Result<std::optional<bool>> OptBool(object o, std::string_view key) {
  element e;
  if (o[key].get(e) || e.is_null()) return std::optional<bool>();
  if (e.type() != element_type::BOOL) return Expected(std::string(key), "true or false", e);
  return std::optional<bool>(bool(e));
}

Status EditFields(object o, model::EditRunOp* op) {
  element e;
  if (!o["add_tags"].get(e) && !e.is_null()) {
    ASSIGN_OR_RETURN(op->add_tags, StringList(e, "add_tags"));
  }
  if (!o["remove_tags"].get(e) && !e.is_null()) {
    ASSIGN_OR_RETURN(op->remove_tags, StringList(e, "remove_tags"));
  }
  ASSIGN_OR_RETURN(op->archived, OptBool(o, "archived"));
  return Status::Ok();
}

}  // namespace

Result<model::EditRunOp> DecodeRunEdit(element body) {
  object o = body;
  RETURN_IF_ERROR(RejectUnknown(o, {"name", "description", "add_tags", "remove_tags", "archived"},
                                "run edit"));
  model::EditRunOp op;
  ASSIGN_OR_RETURN(op.name, OptString(o, "name"));
  ASSIGN_OR_RETURN(op.description, OptString(o, "description"));
  RETURN_IF_ERROR(EditFields(o, &op));
  return op;
}

Result<BulkEdit> DecodeBulkEdit(element body) {
  object o = body;
  RETURN_IF_ERROR(RejectUnknown(o, {"run_ids", "add_tags", "remove_tags", "archived", "trashed"},
                                "bulk run edit"));
  BulkEdit b;
  element e;
  if (o["run_ids"].get(e)) return Status::InvalidArgument("run_ids is required");
  ASSIGN_OR_RETURN(b.run_ids, StringList(e, "run_ids"));
  RETURN_IF_ERROR(EditFields(o, &b.op));
  ASSIGN_OR_RETURN(b.op.trashed, OptBool(o, "trashed"));
  return b;
}

Result<std::string> DecodeProjectEdit(element body) {
  object o = body;
  RETURN_IF_ERROR(RejectUnknown(o, {"description"}, "project edit"));
  ASSIGN_OR_RETURN(auto d, OptString(o, "description"));
  if (!d) return Status::InvalidArgument("description is required");
  return *d;
}

Result<SeriesQuery> DecodeSeriesRequest(element body) {
  object o = body;
  RETURN_IF_ERROR(RejectUnknown(o, {"runs", "path", "step_range", "time_range", "buckets", "limit",
                                    "after_step", "lineage", "encoding", "exact_buckets"},
                                "series request"));
  SeriesQuery q;
  core::SeriesRequest& r = q.request;
  element e;
  if (o["runs"].get(e)) return Status::InvalidArgument("runs is required");
  ASSIGN_OR_RETURN(r.run_ids, StringList(e, "runs"));
  ASSIGN_OR_RETURN(auto path, OptString(o, "path"));
  if (!path) return Status::InvalidArgument("path is required");
  r.path = *path;
  auto range = [&](std::string_view key, bool steps, int64_t* lo, int64_t* hi) -> Result<bool> {
    element v;
    if (o[key].get(v) || v.is_null()) return false;
    array a;
    if (v.get(a) || a.size() != 2)
      return Status::InvalidArgument(std::string(key) + ": expected [start, end]");
    element x = a.at(0).value(), y = a.at(1).value();
    std::string f(key);
    if (!x.is_null()) {
      ASSIGN_OR_RETURN(*lo, steps ? StepValue(x, f + "[0]") : TimestampValue(x, f + "[0]"));
    }
    if (!y.is_null()) {
      ASSIGN_OR_RETURN(*hi, steps ? StepValue(y, f + "[1]") : TimestampValue(y, f + "[1]"));
    }
    return true;  // start <= end is checked by the core (Tracker::ReadSeries)
  };
  ASSIGN_OR_RETURN(bool has_steps, range("step_range", true, &r.step_lo, &r.step_hi));
  (void)has_steps;
  int64_t tlo = 0, thi = INT64_MAX;
  ASSIGN_OR_RETURN(bool has_time, range("time_range", false, &tlo, &thi));
  if (has_time) r.time_range = {tlo, thi};
  // Ranges are the core's (Tracker::ReadSeries); out-of-range integers saturate.
  if (!o["buckets"].get(e) && !e.is_null()) {
    if (e.type() == element_type::INT64)
      r.buckets = static_cast<int>(std::clamp<int64_t>(int64_t(e), INT_MIN, INT_MAX));
    else if (e.type() == element_type::UINT64)
      r.buckets = INT_MAX;
    else
      return Expected("buckets", "an integer", e);
  }
  if (!o["limit"].get(e) && !e.is_null()) {
    if (e.type() == element_type::INT64)
      r.limit = int64_t(e) < 0 ? 0 : static_cast<size_t>(int64_t(e));
    else if (e.type() == element_type::UINT64)
      r.limit = SIZE_MAX;
    else
      return Expected("limit", "an integer", e);
  }
  if (!o["after_step"].get(e) && !e.is_null()) {
    ASSIGN_OR_RETURN(int64_t s, StepValue(e, "after_step"));
    r.after_step = s;
  }
  if (!o["lineage"].get(e) && !e.is_null()) {
    if (e.type() != element_type::BOOL) return Expected("lineage", "a boolean", e);
    r.lineage = bool(e);
  }
  if (!o["exact_buckets"].get(e) && !e.is_null()) {
    if (e.type() != element_type::BOOL) return Expected("exact_buckets", "a boolean", e);
    r.exact_buckets = bool(e);
  }
  ASSIGN_OR_RETURN(auto encoding, OptString(o, "encoding"));
  if (encoding && *encoding != "json" && *encoding != "base64")
    return Status::InvalidArgument("encoding: expected \"json\" or \"base64\", got \"" +
                                   *encoding + "\"");
  q.base64 = encoding && *encoding == "base64";
  return q;
}

}  // namespace sextant::api
