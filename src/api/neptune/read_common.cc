// Shared conversions of the read endpoints (read_common.h).
#include "api/neptune/read_common.h"

#include <re2/re2.h>

#include <algorithm>
#include <cmath>

#include "api/native/file_headers.h"
#include "api/neptune/ingest_decode.h"
#include "api/neptune/storage_paths.h"
#include "model/types.h"

namespace sextant::api::neptune {

using model::AttrType;

namespace {

struct TypeName {
  AttrType type;
  std::string_view neptune;
};
constexpr TypeName kTypes[] = {
    {AttrType::kFloat, "float"},
    {AttrType::kInt, "int"},
    {AttrType::kBool, "bool"},
    {AttrType::kString, "string"},
    {AttrType::kDatetime, "datetime"},
    {AttrType::kStringSet, "stringSet"},
    {AttrType::kFloatSeries, "floatSeries"},
    {AttrType::kStringSeries, "stringSeries"},
    {AttrType::kHistogramSeries, "histogramSeries"},
    {AttrType::kFile, "fileRef"},
    {AttrType::kFileSeries, "fileRefSeries"},
};
// Neptune types Sextant has no attribute of.
constexpr std::string_view kOtherTypes[] = {"experimentState", "gitRef", "complex"};

std::string Shorten(std::string_view s) {
  if (s.size() <= 200) return std::string(s);
  return std::string(s.substr(0, 200)) + "…";
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

std::string_view Extension(std::string_view name) {
  size_t slash = name.find_last_of('/');
  if (slash != std::string_view::npos) name.remove_prefix(slash + 1);
  size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return {};
  return name.substr(dot + 1);
}

}  // namespace

std::string_view NeptuneType(AttrType t) {
  for (const auto& k : kTypes)
    if (k.type == t) return k.neptune;
  return "string";
}

std::optional<AttrType> SextantType(std::string_view neptune_type) {
  for (const auto& k : kTypes)
    if (k.neptune == neptune_type) return k.type;
  return std::nullopt;
}

bool IsNeptuneType(std::string_view neptune_type) {
  if (SextantType(neptune_type)) return true;
  return std::find(std::begin(kOtherTypes), std::end(kOtherTypes), neptune_type) != std::end(kOtherTypes);
}

Result<RunRef> ParseRunIdentifier(std::string_view id) {
  std::string_view s = id;
  if (s.starts_with("CUSTOM/")) s.remove_prefix(7);
  size_t a = s.find('/');
  size_t b = a == std::string_view::npos ? a : s.find('/', a + 1);
  if (b == std::string_view::npos || b + 1 >= s.size())
    return Status::InvalidArgument("run identifier '" + Shorten(id) +
                                   "': expected workspace/project/<run id> or CUSTOM/workspace/project/<run id>");
  RunRef r;
  ASSIGN_OR_RETURN(r.project, ParseProjectIdentifier(s.substr(0, b)));
  r.run_id = std::string(s.substr(b + 1));
  RETURN_IF_ERROR(model::ValidateRunId(r.run_id).WithContext("run identifier '" + Shorten(id) + "'"));
  return r;
}

Result<int64_t> StepBound(double step, bool lower) {
  if (!std::isfinite(step)) return Status::InvalidArgument("a step bound must be a finite number");
  if (auto exact = model::StepFromDouble(step); exact.ok()) return *exact;
  double micro = step * static_cast<double>(model::kStepScale);
  micro = lower ? std::ceil(micro) : std::floor(micro);
  double limit = static_cast<double>(model::kMaxAbsMicroStep);
  micro = std::clamp(micro, -limit, limit);
  return static_cast<int64_t>(micro);
}

bool HistogramFromJson(std::string_view json, pb::ProtoHistogram* out) {
  auto j = nlohmann::json::parse(json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return false;
  auto edges = j.find("edges");
  auto counts = j.find("counts");
  if (edges == j.end() || counts == j.end() || !edges->is_array() || !counts->is_array()) return false;
  bool whole = true;
  for (const auto& e : *edges) {
    if (!e.is_number()) return false;
    out->add_edges(e.get<double>());
  }
  for (const auto& v : *counts) {
    if (!v.is_number()) return false;
    double d = v.get<double>();
    if (d != std::floor(d)) whole = false;
    out->add_values(d);
  }
  out->set_type(whole ? "COUNTING" : "DENSITY");
  return true;
}

std::string MimeType(std::string_view head, std::string_view filename) {
  std::string_view image = native::SniffImageType(head);
  if (!image.empty()) return std::string(image);
  struct Ext {
    std::string_view ext, type;
  };
  static constexpr Ext kExt[] = {
      {"txt", "text/plain"},        {"log", "text/plain"},         {"csv", "text/csv"},
      {"json", "application/json"}, {"html", "text/html"},         {"htm", "text/html"},
      {"svg", "image/svg+xml"},     {"png", "image/png"},          {"jpg", "image/jpeg"},
      {"jpeg", "image/jpeg"},       {"gif", "image/gif"},          {"webp", "image/webp"},
      {"pdf", "application/pdf"},   {"zip", "application/zip"},    {"gz", "application/gzip"},
      {"tar", "application/x-tar"}, {"yaml", "application/yaml"},  {"yml", "application/yaml"},
      {"mp4", "video/mp4"},         {"wav", "audio/wav"},          {"mp3", "audio/mpeg"},
  };
  std::string ext(Extension(filename));
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char ch) { return std::tolower(ch); });
  for (const auto& e : kExt)
    if (e.ext == ext) return std::string(e.type);
  return "application/octet-stream";
}

bool ToProtoAttribute(const std::string& name, const storage::AttributeInfo& a, const FileLookup& files,
                      pb::ProtoAttributeDTO* out) {
  const model::Value& v = a.value;
  std::string type(NeptuneType(a.type));
  out->set_name(name);
  out->set_type(type);
  auto fill = [&](auto* props) {
    props->set_attribute_name(name);
    props->set_attribute_type(type);
    return props;
  };
  auto file_ref = [&](std::optional<int64_t> step, auto* ref) {
    FileDetails d = files ? files(a.path, step) : FileDetails{};
    ref->set_path(d.path);
    ref->set_sizebytes(d.size);
    ref->set_mimetype(d.mime_type);
  };
  switch (a.type) {
    case AttrType::kFloat: fill(out->mutable_float_properties())->set_value(v.f); return true;
    case AttrType::kInt: fill(out->mutable_int_properties())->set_value(v.i); return true;
    case AttrType::kBool: fill(out->mutable_bool_properties())->set_value(v.i != 0); return true;
    case AttrType::kString: fill(out->mutable_string_properties())->set_value(v.s); return true;
    case AttrType::kDatetime: fill(out->mutable_datetime_properties())->set_value(FloorDiv(v.i, 1000)); return true;
    case AttrType::kStringSet: {
      auto* p = fill(out->mutable_string_set_properties());
      for (const auto& s : v.set) p->add_value(s);
      return true;
    }
    case AttrType::kFloatSeries: {
      auto* p = fill(out->mutable_float_series_properties());
      if (a.last_step) p->set_last_step(model::StepToDouble(*a.last_step));
      if (a.last_step || a.count > 0) p->set_last(v.f);
      p->set_has_preview(false);
      return true;
    }
    case AttrType::kStringSeries: {
      auto* p = fill(out->mutable_string_series_properties());
      if (a.last_step) p->set_last_step(model::StepToDouble(*a.last_step));
      p->set_last(v.s);
      return true;
    }
    case AttrType::kHistogramSeries: {
      auto* p = fill(out->mutable_histogram_series_properties());
      if (a.last_step) p->set_last_step(model::StepToDouble(*a.last_step));
      if (!HistogramFromJson(v.s, p->mutable_last())) p->clear_last();
      return true;
    }
    case AttrType::kFile: {
      file_ref(std::nullopt, fill(out->mutable_file_ref_properties()));
      return true;
    }
    case AttrType::kFileSeries: {
      auto* p = fill(out->mutable_file_ref_series_properties());
      if (a.last_step) p->set_last_step(model::StepToDouble(*a.last_step));
      if (a.last_step) file_ref(a.last_step, p->mutable_last());
      return true;
    }
  }
  return false;
}

FileLookup RunFiles(core::Tracker* t, const model::ProjectName& p, const std::string& run_id) {
  return [t, p, run_id](const std::string& path, std::optional<int64_t> step) {
    FileDetails d;
    auto ref = t->FindFile(p, run_id, path, step);
    if (!ref.ok()) return d;
    d.path = FileStoragePath({run_id, step, path});
    d.size = ref->size;
    std::string head;
    if (ref->size > 0) {
      if (auto blob = t->OpenBlob(ref->digest); blob.ok()) (void)(*blob)->ReadAt(0, native::kSniffBytes, &head);
    }
    d.mime_type = MimeType(head, ref->filename);
    return d;
  };
}

storage::AttributeInfo FromCatalogValue(const std::string& path, const model::Value& v) {
  storage::AttributeInfo a;
  a.path = path;
  a.type = v.type;
  a.value = v;
  if (model::IsSeries(v.type)) {
    a.last_step = v.i;
    a.count = 1;
  }
  return a;
}

namespace {

storage::AttributeInfo Sys(std::string path, model::Value v) {
  storage::AttributeInfo a;
  a.path = std::move(path);
  a.type = v.type;
  a.value = std::move(v);
  return a;
}

}  // namespace

std::optional<storage::AttributeInfo> SysAttribute(const storage::RunInfo& run, std::string_view name) {
  if (name == "sys/id" || name == "sys/custom_run_id") return Sys(std::string(name), model::Value::String(run.run_id));
  if (name == "sys/name") return Sys("sys/name", model::Value::String(run.name));
  if (name == "sys/experiment/name") {
    if (run.experiment.empty()) return std::nullopt;
    return Sys("sys/experiment/name", model::Value::String(run.experiment));
  }
  if (name == "sys/creation_time") return Sys("sys/creation_time", model::Value::Datetime(run.created_us));
  if (name == "sys/modification_time") return Sys("sys/modification_time", model::Value::Datetime(run.updated_us));
  if (name == "sys/failed") return Sys("sys/failed", model::Value::Bool(run.state == model::RunState::kFailed));
  return std::nullopt;
}

std::vector<storage::AttributeInfo> SysAttributes(const storage::RunInfo& run) {
  std::vector<storage::AttributeInfo> out;
  for (std::string_view n : {"sys/id", "sys/custom_run_id", "sys/name", "sys/experiment/name", "sys/creation_time",
                             "sys/modification_time", "sys/failed"})
    if (auto a = SysAttribute(run, n)) out.push_back(std::move(*a));
  return out;
}

// ---- AttributeSelector

Result<AttributeSelector> AttributeSelector::FromJson(const nlohmann::json& body) {
  AttributeSelector s;
  ASSIGN_OR_RETURN(const nlohmann::json* types, OptArray(body, "attributeFilter", "attributeFilter"));
  if (types) {
    if (types->size() > 64) return Status::InvalidArgument("attributeFilter: at most 64 entries");
    for (const auto& t : *types) {
      if (!t.is_object()) return Status::InvalidArgument("attributeFilter: each entry is {\"attributeType\": ...}");
      ASSIGN_OR_RETURN(auto name, OptString(t, "attributeType", "attributeFilter[].attributeType"));
      if (!name) return Status::InvalidArgument("attributeFilter: each entry needs attributeType");
      if (!IsNeptuneType(*name))
        return Status::InvalidArgument("attributeFilter: unknown attribute type '" + Shorten(*name) + "'");
      if (auto st = SextantType(*name)) s.types_.push_back(*st);
    }
    s.no_types_ = !types->empty() && s.types_.empty();
  }
  ASSIGN_OR_RETURN(const nlohmann::json* names, OptObject(body, "attributeNameFilter", "attributeNameFilter"));
  if (names) {
    ASSIGN_OR_RETURN(const nlohmann::json* any, OptArray(*names, "mustMatchAny", "attributeNameFilter.mustMatchAny"));
    size_t total = 0;
    if (any) {
      for (const auto& alt : *any) {
        if (!alt.is_object())
          return Status::InvalidArgument("attributeNameFilter.mustMatchAny: each entry is an object");
        Alternative a;
        for (const char* key : {"mustMatchRegexes", "mustNotMatchRegexes"}) {
          ASSIGN_OR_RETURN(const nlohmann::json* list, OptArray(alt, key, key));
          if (!list) continue;
          for (const auto& re : *list) {
            if (!re.is_string()) return Status::InvalidArgument(std::string(key) + ": each entry is a string");
            if (++total > model::kNeptuneMaxNameRegexes)
              return Status::InvalidArgument("attributeNameFilter: at most " +
                                             std::to_string(model::kNeptuneMaxNameRegexes) + " regexes");
            std::string text = re.get<std::string>();
            RE2::Options opts;
            opts.set_log_errors(false);
            auto compiled = std::make_shared<const RE2>(text, opts);
            if (!compiled->ok())
              return Status::InvalidArgument("attributeNameFilter: invalid regular expression '" + Shorten(text) +
                                             "': " + compiled->error());
            (key[4] == 'M' ? a.must : a.must_not).push_back(std::move(compiled));
          }
        }
        s.any_.push_back(std::move(a));
      }
    }
  }
  return s;
}

bool AttributeSelector::MatchesName(std::string_view name) const {
  if (any_.empty()) return true;
  for (const auto& alt : any_) {
    bool ok = true;
    for (const auto& re : alt.must)
      if (!RE2::PartialMatch(name, *re)) {
        ok = false;
        break;
      }
    for (size_t i = 0; ok && i < alt.must_not.size(); ++i)
      if (RE2::PartialMatch(name, *alt.must_not[i])) ok = false;
    if (ok) return true;
  }
  return false;
}

bool AttributeSelector::Matches(std::string_view name, AttrType type) const {
  if (no_types_) return false;
  if (!types_.empty() && std::find(types_.begin(), types_.end(), type) == types_.end()) return false;
  return MatchesName(name);
}

// ---- JSON

Result<nlohmann::json> ParseJsonObject(std::string_view body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded()) return Status::InvalidArgument("the body is not valid JSON");
  if (!j.is_object()) return Status::InvalidArgument("the body must be a JSON object");
  return j;
}

Result<model::ProjectName> QueryProject(const Context& c) {
  std::string id = c.query.Get("projectIdentifier");
  if (id.empty()) return Status::InvalidArgument("the query parameter projectIdentifier (workspace/project) is required");
  return ParseProjectIdentifier(id);
}

namespace {

const nlohmann::json* Member(const nlohmann::json& obj, const char* key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

Status WrongType(std::string_view what, const char* expected) {
  return Status::InvalidArgument(std::string(what) + ": expected " + expected);
}

}  // namespace

Result<std::optional<int64_t>> OptInt(const nlohmann::json& obj, const char* key, std::string_view what) {
  const auto* m = Member(obj, key);
  if (!m) return std::optional<int64_t>();
  if (m->is_number_integer()) return std::optional<int64_t>(m->get<int64_t>());
  if (m->is_number_float()) {
    double d = m->get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9e18) return std::optional<int64_t>(static_cast<int64_t>(d));
  }
  return WrongType(what, "an integer");
}

Result<std::optional<double>> OptDouble(const nlohmann::json& obj, const char* key, std::string_view what) {
  const auto* m = Member(obj, key);
  if (!m) return std::optional<double>();
  if (m->is_number()) return std::optional<double>(m->get<double>());
  return WrongType(what, "a number");
}

Result<std::optional<std::string>> OptString(const nlohmann::json& obj, const char* key, std::string_view what) {
  const auto* m = Member(obj, key);
  if (!m) return std::optional<std::string>();
  if (m->is_string()) return std::optional<std::string>(m->get<std::string>());
  return WrongType(what, "a string");
}

Result<std::optional<bool>> OptBool(const nlohmann::json& obj, const char* key, std::string_view what) {
  const auto* m = Member(obj, key);
  if (!m) return std::optional<bool>();
  if (m->is_boolean()) return std::optional<bool>(m->get<bool>());
  return WrongType(what, "true or false");
}

Result<const nlohmann::json*> OptObject(const nlohmann::json& obj, const char* key, std::string_view what) {
  const auto* m = Member(obj, key);
  if (m && !m->is_object()) return WrongType(what, "an object");
  return m;
}

Result<const nlohmann::json*> OptArray(const nlohmann::json& obj, const char* key, std::string_view what) {
  const auto* m = Member(obj, key);
  if (m && !m->is_array()) return WrongType(what, "an array");
  return m;
}

}  // namespace sextant::api::neptune
