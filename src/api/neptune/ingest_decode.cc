#include "api/neptune/ingest_decode.h"

#include <cmath>
#include <map>
#include <unordered_map>
#include <utility>

#include "api/neptune/proto/ingest.pb.h"
#include "model/types.h"

namespace sextant::api::neptune {
namespace {

namespace pb = ::sextant::neptune;
using model::AttrType;

constexpr const char* kTags = "sys/tags";
constexpr const char* kGroupTags = "sys/group_tags";

int64_t TimestampMicros(const google::protobuf::Timestamp& t) {
  // Saturates instead of overflowing; validation refuses what is out of range.
  if (t.seconds() > INT64_MAX / 1'000'000 - 1) return INT64_MAX;
  if (t.seconds() < INT64_MIN / 1'000'000 + 1) return INT64_MIN;
  return t.seconds() * 1'000'000 + t.nanos() / 1000;
}

// Step{whole, micro} → micro-steps.
Result<int64_t> StepMicros(const pb::Step& s) {
  if (s.micro() >= static_cast<uint64_t>(model::kStepScale))
    return Status::InvalidArgument("step.micro must be below 1000000, got " + std::to_string(s.micro()));
  if (s.whole() >= static_cast<uint64_t>(model::kMaxAbsStep))
    return Status::TooLarge("step " + std::to_string(s.whole()) + " is too large (at most " +
                              std::to_string(model::kMaxAbsStep - 1) + ")");
  return static_cast<int64_t>(s.whole()) * model::kStepScale + static_cast<int64_t>(s.micro());
}

std::string KindName(AttrType t) { return std::string(model::AttrTypeName(t)); }

IngestCode HistogramCode(const Status& st) {
  if (st.code() == Code::kTooLarge) return IngestCode::kHistogramTooManyBins;
  const std::string& m = st.message();
  if (m.find("finite") != std::string::npos && m.find("edges") != std::string::npos)
    return IngestCode::kHistogramBinEdgesContainsNan;
  if (m.find("increasing") != std::string::npos) return IngestCode::kHistogramBinEdgesNotIncreasing;
  return IngestCode::kHistogramValuesLengthDoesntMatchBins;
}

Result<std::string> HistogramJson(const pb::Histogram& h) {
  std::vector<double> edges(h.bin_edges().begin(), h.bin_edges().end());
  std::vector<double> values;
  if (h.has_counts()) {
    for (uint64_t c : h.counts().values()) values.push_back(static_cast<double>(c));
  } else if (h.has_densities()) {
    values.assign(h.densities().values().begin(), h.densities().values().end());
  }
  return model::EncodeHistogram(edges, values);
}

// Accumulates the snapshots of one operation.
class Merger {
 public:
  Merger(DecodedOperation* out, int64_t now_us) : out_(out), now_us_(now_us) {}

  void Snapshot(const pb::UpdateRunSnapshot& s) {
    int64_t ts = s.has_timestamp() ? TimestampMicros(s.timestamp()) : now_us_;
    std::optional<int64_t> step;
    Status step_error;
    if (s.has_step()) {
      auto m = StepMicros(s.step());
      if (m.ok()) step = *m; else step_error = m.status();
    }
    for (const auto& [path, v] : s.assign()) Assign(path, v, ts);
    for (const auto& [path, mod] : s.modify_sets()) ModifySet(path, mod);
    for (const auto& [path, v] : s.append()) {
      if (!step) {
        Refuse(path, step_error.ok() ? IngestCode::kSeriesStepInvalid
                     : step_error.code() == Code::kTooLarge ? IngestCode::kSeriesStepTooLarge
                                                              : IngestCode::kSeriesStepInvalid,
               step_error.ok() ? "a series point needs a step" : step_error.message());
        continue;
      }
      Append(path, v, *step, ts);
    }
  }

  void Finish() {
    for (const auto& [tag, add] : tags_) (add ? out_->batch.add_tags : out_->batch.remove_tags).push_back(tag);
    for (const auto& [tag, add] : group_tags_)
      (add ? out_->group_tags_add : out_->group_tags_remove).push_back(tag);
  }

 private:
  void Refuse(const std::string& path, IngestCode code, std::string message) {
    out_->errors.push_back({path, code, path + ": " + std::move(message)});
  }

  // The attribute's one type within this operation; false (and refused) when
  // an earlier item of it had another.
  bool Claim(const std::string& path, AttrType type) {
    auto [it, fresh] = types_.try_emplace(path, type);
    if (fresh || it->second == type) return true;
    Refuse(path, IngestCode::kFieldTypeConflicting,
           std::string("written as ") + KindName(it->second) + " and as " + KindName(type) +
               " in one request");
    return false;
  }

  bool Writable(const std::string& path) {
    if (path.empty()) {
      Refuse(path, IngestCode::kFieldPathEmpty, "an attribute path is empty");
      return false;
    }
    if (model::IsReservedPath(path)) {
      Refuse(path, IngestCode::kFieldPathNonWritable, "sys/ attributes belong to the server");
      return false;
    }
    return true;
  }

  void Config(const std::string& path, model::Value v) {
    if (!Claim(path, v.type)) return;
    ++out_->items;
    auto [it, fresh] = config_index_.try_emplace(path, out_->batch.configs.size());
    if (fresh) out_->batch.configs.emplace_back(path, std::move(v));
    else out_->batch.configs[it->second].second = std::move(v);
  }

  void Assign(const std::string& path, const pb::Value& v, int64_t ts) {
    if (!Writable(path)) return;
    switch (v.value_case()) {
      case pb::Value::kFloat64: return Config(path, model::Value::Float(v.float64()));
      case pb::Value::kInt64: return Config(path, model::Value::Int(v.int64()));
      case pb::Value::kBool: return Config(path, model::Value::Bool(v.bool_()));
      case pb::Value::kString: return Config(path, model::Value::String(v.string()));
      case pb::Value::kTimestamp:
        return Config(path, model::Value::Datetime(TimestampMicros(v.timestamp())));
      case pb::Value::kStringSet:
        return Config(path, model::Value::StringSet({v.string_set().values().begin(),
                                                     v.string_set().values().end()}));
      case pb::Value::kFileRef:
        if (!Claim(path, AttrType::kFile)) return;
        ++out_->items;
        out_->files.push_back({path, std::nullopt, ts, v.file_ref().path(), v.file_ref().size_bytes(),
                               v.file_ref().mime_type()});
        return;
      case pb::Value::kHistogram:
        return Refuse(path, IngestCode::kFieldTypeUnsupported,
                      "a histogram is a series: append it at a step");
      case pb::Value::VALUE_NOT_SET:
        return Refuse(path, IngestCode::kFieldTypeUnsupported, "the value is empty");
    }
  }

  void ModifySet(const std::string& path, const pb::ModifySet& mod) {
    std::map<std::string, bool>* target = path == kTags ? &tags_ : path == kGroupTags ? &group_tags_ : nullptr;
    if (!target) {
      return Refuse(path, IngestCode::kFieldTypeUnsupported,
                    "only sys/tags and sys/group_tags take set changes");
    }
    for (const auto& [tag, op] : mod.string().values()) {
      if (op == pb::NOOP) continue;
      ++out_->items;
      (*target)[tag] = op == pb::ADD;
    }
  }

  void Point(const std::string& path, AttrType type, int64_t step, int64_t ts, double f,
             std::string bytes) {
    if (!Claim(path, type)) return;
    ++out_->items;
    auto [it, fresh] = series_index_.try_emplace(path, out_->batch.series.size());
    if (fresh) {
      out_->batch.series.emplace_back();
      out_->batch.series.back().path = path;
      out_->batch.series.back().type = type;
    }
    model::SeriesWrite& s = out_->batch.series[it->second];
    s.steps.push_back(step);
    s.ts.push_back(ts);
    if (type == AttrType::kFloatSeries) s.floats.push_back(f);
    else s.bytes.push_back(std::move(bytes));
  }

  void Append(const std::string& path, const pb::Value& v, int64_t step, int64_t ts) {
    if (!Writable(path)) return;
    switch (v.value_case()) {
      case pb::Value::kFloat64: return Point(path, AttrType::kFloatSeries, step, ts, v.float64(), {});
      case pb::Value::kInt64:
        return Point(path, AttrType::kFloatSeries, step, ts, static_cast<double>(v.int64()), {});
      case pb::Value::kString: return Point(path, AttrType::kStringSeries, step, ts, 0, v.string());
      case pb::Value::kHistogram: {
        auto json = HistogramJson(v.histogram());
        if (!json.ok()) return Refuse(path, HistogramCode(json.status()), json.status().message());
        return Point(path, AttrType::kHistogramSeries, step, ts, 0, std::move(*json));
      }
      case pb::Value::kFileRef:
        if (!Claim(path, AttrType::kFileSeries)) return;
        ++out_->items;
        out_->files.push_back({path, step, ts, v.file_ref().path(), v.file_ref().size_bytes(),
                               v.file_ref().mime_type()});
        return;
      default:
        return Refuse(path, IngestCode::kFieldTypeUnsupported,
                      "series take floats, integers, strings, histograms or files");
    }
  }

  DecodedOperation* out_;
  int64_t now_us_;
  std::unordered_map<std::string, AttrType> types_;
  std::unordered_map<std::string, size_t> config_index_, series_index_;
  std::map<std::string, bool> tags_, group_tags_;  // tag → added (true) or removed
};

}  // namespace

Result<model::ProjectName> ParseProjectIdentifier(std::string_view id) {
  size_t slash = id.find('/');
  if (slash == std::string_view::npos || id.find('/', slash + 1) != std::string_view::npos)
    return Status::InvalidArgument("project '" + std::string(id) + "': write workspace/project");
  model::ProjectName p{std::string(id.substr(0, slash)), std::string(id.substr(slash + 1))};
  RETURN_IF_ERROR(model::ValidateProjectName(p));
  return p;
}

Result<DecodedOperation> DecodeRunOperation(std::string_view body, int64_t now_us) {
  pb::RunOperation op;
  if (body.size() > static_cast<size_t>(INT32_MAX) || !op.ParseFromArray(body.data(), static_cast<int>(body.size())))
    return Status::InvalidArgument("the body is not a Neptune RunOperation (protobuf)");
  DecodedOperation out;
  if (op.project().empty()) return Status::InvalidArgument("RunOperation.project is empty");
  ASSIGN_OR_RETURN(out.project, ParseProjectIdentifier(op.project()));
  if (op.run_id().empty()) return Status::InvalidArgument("RunOperation.run_id is empty");
  out.run_id = op.run_id();
  out.create_missing_project = op.create_missing_project();

  switch (op.operation_case()) {
    case pb::RunOperation::kCreate: {
      const pb::Run& r = op.create();
      model::CreateRunOp c;
      c.run_id = r.has_run_id() && !r.run_id().empty() ? r.run_id() : out.run_id;
      if (*c.run_id != out.run_id)
        return Status::InvalidArgument("Run.run_id '" + *c.run_id + "' differs from RunOperation.run_id '" +
                                       out.run_id + "'");
      // Neptune names an experiment's run by the experiment (sys/name).
      if (r.has_experiment_id() && !r.experiment_id().empty()) {
        c.experiment_name = r.experiment_id();
        c.name = r.experiment_id();
      }
      if (r.has_creation_time()) c.created_us = TimestampMicros(r.creation_time());
      if (r.has_fork_point()) {
        const pb::ForkPoint& f = r.fork_point();
        if (f.parent_run_id().empty()) return Status::InvalidArgument("ForkPoint.parent_run_id is empty");
        c.fork_run_id = f.parent_run_id();
        auto step = StepMicros(f.step());
        if (!step.ok()) return step.status().WithContext("ForkPoint.step");
        c.fork_step = *step;
        if (f.has_parent_project() && !f.parent_project().empty()) {
          auto parent = ParseProjectIdentifier(f.parent_project());
          if (!parent.ok()) return parent.status().WithContext("ForkPoint.parent_project");
          out.fork_parent_project = *parent;
        }
      }
      out.inherit_configs = r.has_inherit_configs() && r.inherit_configs();
      out.create = std::move(c);
      ++out.items;
      break;
    }
    case pb::RunOperation::kUpdate: {
      Merger m(&out, now_us);
      m.Snapshot(op.update());
      m.Finish();
      break;
    }
    case pb::RunOperation::kUpdateBatch: {
      if (op.update_batch().snapshots_size() > static_cast<int>(model::kNeptuneMaxSnapshots))
        return Status::TooLarge("UpdateRunSnapshots holds " +
                                std::to_string(op.update_batch().snapshots_size()) +
                                " snapshots; at most " + std::to_string(model::kNeptuneMaxSnapshots));
      Merger m(&out, now_us);
      for (const auto& s : op.update_batch().snapshots()) m.Snapshot(s);
      m.Finish();
      break;
    }
    case pb::RunOperation::OPERATION_NOT_SET:
      return Status::InvalidArgument("RunOperation has no operation (create, update or update_batch)");
  }
  return out;
}

}  // namespace sextant::api::neptune
