#include "api/native/export_stream.h"

#include <chrono>
#include <deque>
#include <map>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "api/json_writer.h"
#include "common/base64.h"
#include "query/filter_datetime.h"

namespace sextant::api::native {

namespace {

using model::AttrType;

// Pieces handed to the transport are about this large (a few lines each).
constexpr size_t kPieceBytes = 512 << 10;

std::string Line(JsonWriter& w) {
  std::string s = w.Take();
  s += '\n';
  return s;
}

void WriteFileValue(JsonWriter& w, const storage::FileRef& f) {
  w.BeginObject().Key("path").String("files/" + f.digest).Key("name").String(f.filename);
  w.Key("size").Int(f.size).EndObject();
}

// Runs ordered by id (bytewise), each fork moved after its parent.
std::vector<storage::RunInfo> ParentsFirst(std::vector<storage::RunInfo> runs) {
  std::sort(runs.begin(), runs.end(),
            [](const storage::RunInfo& a, const storage::RunInfo& b) { return a.run_id < b.run_id; });
  std::map<std::string, size_t> by_id;
  for (size_t i = 0; i < runs.size(); ++i) by_id.emplace(runs[i].run_id, i);
  std::vector<storage::RunInfo> out;
  std::vector<bool> done(runs.size(), false);
  for (size_t i = 0; i < runs.size(); ++i) {
    std::vector<size_t> chain;
    for (size_t k = i; !done[k];) {
      done[k] = true;  // also ends a (corrupt) cycle
      chain.push_back(k);
      if (!runs[k].fork_run_id) break;
      auto it = by_id.find(*runs[k].fork_run_id);
      if (it == by_id.end()) break;
      k = it->second;
    }
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) out.push_back(std::move(runs[*it]));
  }
  return out;
}

class ProjectExport final : public http::BodyStream {
 public:
  ProjectExport(core::Tracker* t, model::ProjectName p, ExportStreamOptions o,
                std::vector<storage::RunInfo> runs)
      : t_(t), p_(std::move(p)), o_(o), runs_(std::move(runs)) {}

  Result<bool> Next(std::string* out) override {
    while (!done_ && out->size() < kPieceBytes) RETURN_IF_ERROR(Step(out));
    return !done_;
  }

 private:
  struct PendingBlob {
    std::string digest;
    uint64_t size = 0, offset = 0;
  };

  // Appends one line (or a piece of a file) to *out.
  Status Step(std::string* out) {
    if (!blobs_.empty()) return BlobPiece(out);
    if (!held_.empty()) {
      *out += held_;
      held_.clear();
      return Status::Ok();
    }
    if (!head_sent_) {
      head_sent_ = true;
      JsonWriter w;
      auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                     std::chrono::system_clock::now().time_since_epoch()).count();
      w.BeginObject().Key("export").BeginObject();
      w.Key("format").String(kExportStreamFormat).Key("version").Int(kExportStreamVersion);
      w.Key("project").String(p_.Full()).Key("runs").Int(static_cast<int64_t>(runs_.size()));
      w.Key("files").Bool(o_.files);
      w.Key("exported_at").String(query::internal::FormatDatetime(now));
      w.EndObject().EndObject();
      *out += Line(w);
      return Status::Ok();
    }
    if (run_ == runs_.size()) return End(out);
    const storage::RunInfo& run = runs_[run_];
    if (!run_started_) {
      run_started_ = true;
      attr_ = 0;
      after_.reset();
      auto attrs = t_->Attributes(p_, run.run_id, "");
      if (!attrs.ok() && attrs.status().code() == Code::kNotFound) {
        // Purged since the listing: said, not fatal.
        Skipped(out, run.run_id, "", attrs.status().message());
        NextRun();
        return Status::Ok();
      }
      if (!attrs.ok()) return attrs.status();
      attrs_ = std::move(attrs).value();
      WriteRunLine(out, run);
      return Status::Ok();
    }
    if (attr_ == attrs_.size()) {
      NextRun();
      return Status::Ok();
    }
    const storage::AttributeInfo& a = attrs_[attr_];
    if (model::IsConfig(a.type)) {
      WriteConfigLine(out, run, a);
      ++attr_;
    } else if (a.type == AttrType::kFile) {
      auto ref = t_->FindFile(p_, run.run_id, a.path, std::nullopt);
      ++attr_;
      if (!ref.ok()) {
        if (ref.status().code() != Code::kNotFound) return ref.status();
        Skipped(out, run.run_id, a.path, ref.status().message());
        return Status::Ok();
      }
      JsonWriter w;
      w.BeginObject().Key("file").BeginObject();
      Ids(w, run, a);
      w.Key("file_value");
      WriteFileValue(w, *ref);
      w.EndObject().EndObject();
      held_ = Line(w);
      QueueBlob(*ref);
      ++files_;
    } else {
      return SeriesPage(run, a);
    }
    return Status::Ok();
  }

  void NextRun() {
    ++run_;
    run_started_ = false;
    attrs_.clear();
  }

  void Ids(JsonWriter& w, const storage::RunInfo& run, const storage::AttributeInfo& a) {
    w.Key("run_id").String(run.run_id).Key("attribute_path").String(a.path);
    w.Key("attribute_type").String(model::AttrTypeName(a.type));
  }

  void WriteRunLine(std::string* out, const storage::RunInfo& r) {
    JsonWriter w;
    w.BeginObject().Key("run").BeginObject();
    w.Key("project_id").String(p_.Full()).Key("run_id").String(r.run_id);
    w.Key("name").String(r.name).Key("experiment_name").String(r.experiment);
    w.Key("state").String(r.state == model::RunState::kStale ? "running" : model::RunStateName(r.state));
    w.Key("created_at_us").Int(r.created_us);
    w.Key("fork_run_id");
    if (r.fork_run_id) w.String(*r.fork_run_id); else w.Null();
    w.Key("fork_step");
    if (r.fork_step) w.String(model::StepToString(*r.fork_step)); else w.Null();
    w.EndObject().EndObject();
    *out += Line(w);
  }

  void WriteConfigLine(std::string* out, const storage::RunInfo& run, const storage::AttributeInfo& a) {
    JsonWriter w;
    w.BeginObject().Key("config").BeginObject();
    Ids(w, run, a);
    const model::Value& v = a.value;
    switch (a.type) {
      case AttrType::kFloat: w.Key("float_value").Double(v.f); break;
      case AttrType::kInt: w.Key("int_value").Int(v.i); break;
      case AttrType::kBool: w.Key("bool_value").Bool(v.i != 0); break;
      case AttrType::kDatetime: w.Key("datetime_value_us").Int(v.i); break;
      case AttrType::kStringSet:
        w.Key("string_set_value").BeginArray();
        for (const auto& s : v.set) w.String(s);
        w.EndArray();
        break;
      default: w.Key("string_value").String(v.s); break;
    }
    w.EndObject().EndObject();
    *out += Line(w);
    ++configs_;
  }

  // One page of a series (its own points: forks hold theirs after the fork
  // step, as stored), held until the file contents it names are out.
  Status SeriesPage(const storage::RunInfo& run, const storage::AttributeInfo& a) {
    core::SeriesRequest req;
    req.run_ids = {run.run_id};
    req.path = a.path;
    req.limit = o_.page_points;
    req.after_step = after_;
    req.lineage = false;
    ASSIGN_OR_RETURN(auto results, t_->ReadSeries(p_, req));
    if (results.empty() || results[0].points.size() == 0) {
      ++attr_;
      after_.reset();
      return Status::Ok();
    }
    const core::SeriesResult& r = results[0];
    const storage::Points& pts = r.points;
    JsonWriter w;
    w.BeginObject().Key("series").BeginObject();
    storage::AttributeInfo as = a;
    if (r.type) as.type = *r.type;
    Ids(w, run, as);
    w.Key("step_micros").BeginArray();
    for (int64_t s : pts.steps) w.Int(s);
    w.EndArray().Key("timestamp_us").BeginArray();
    for (int64_t s : pts.ts) w.Int(s);
    w.EndArray();
    switch (as.type) {
      case AttrType::kFloatSeries:
        w.Key("float_value").BeginArray();
        for (double v : pts.floats) w.Double(v);
        w.EndArray();
        break;
      case AttrType::kHistogramSeries:
        w.Key("histogram_value").BeginArray();
        for (const auto& v : pts.bytes) w.Raw(v);
        w.EndArray();
        break;
      case AttrType::kFileSeries:
        w.Key("file_value").BeginArray();
        for (const auto& f : r.files) {
          WriteFileValue(w, f);
          QueueBlob(f);
        }
        w.EndArray();
        files_ += r.files.size();
        break;
      default:
        w.Key("string_value").BeginArray();
        for (const auto& v : pts.bytes) w.String(v);
        w.EndArray();
        break;
    }
    w.EndObject().EndObject();
    held_ = Line(w);
    points_ += pts.size();
    if (r.next_after_step) {
      after_ = r.next_after_step;
    } else {
      ++attr_;
      after_.reset();
    }
    return Status::Ok();
  }

  void QueueBlob(const storage::FileRef& f) {
    if (!o_.files || !sent_.insert(f.digest).second) return;
    blobs_.push_back({f.digest, static_cast<uint64_t>(f.size), 0});
  }

  // The next piece of the first queued file: {"blob": {sha256, size,
  // offset, data}}; an empty file is one line with empty data.
  Status BlobPiece(std::string* out) {
    PendingBlob& b = blobs_.front();
    if (!reader_) {
      auto r = t_->OpenBlob(b.digest);
      if (!r.ok()) {
        if (r.status().code() != Code::kNotFound) return r.status();
        JsonWriter w;
        w.BeginObject().Key("skipped").BeginObject().Key("sha256").String(b.digest);
        w.Key("why").String("the file's contents are missing from the file store: " + r.status().message());
        w.EndObject().EndObject();
        *out += Line(w);
        blobs_.pop_front();
        return Status::Ok();
      }
      reader_ = std::move(r).value();
    }
    std::string data;
    RETURN_IF_ERROR(reader_->ReadAt(b.offset, o_.blob_piece, &data));
    if (data.empty() && b.offset < b.size)
      return Status::Internal("file " + b.digest + " ended at " + std::to_string(b.offset) +
                              " of " + std::to_string(b.size) + " bytes");
    std::string line = "{\"blob\":{\"sha256\":\"" + b.digest + "\",\"size\":" + std::to_string(b.size) +
                       ",\"offset\":" + std::to_string(b.offset) + ",\"data\":\"";
    AppendBase64(data, &line);
    line += "\"}}\n";
    *out += line;
    b.offset += data.size();
    blob_bytes_ += data.size();
    if (b.offset >= b.size) {
      blobs_.pop_front();
      reader_.reset();
      ++blob_count_;
    }
    return Status::Ok();
  }

  void Skipped(std::string* out, const std::string& run_id, const std::string& path,
               const std::string& why) {
    JsonWriter w;
    w.BeginObject().Key("skipped").BeginObject().Key("run_id").String(run_id);
    if (!path.empty()) w.Key("attribute_path").String(path);
    w.Key("why").String(why).EndObject().EndObject();
    *out += Line(w);
  }

  Status End(std::string* out) {
    JsonWriter w;
    w.BeginObject().Key("end").BeginObject();
    w.Key("runs").Int(static_cast<int64_t>(runs_.size())).Key("configs").Int(configs_);
    w.Key("points").Int(points_).Key("files").Int(files_);
    w.Key("blobs").Int(blob_count_).Key("blob_bytes").Int(blob_bytes_);
    w.EndObject().EndObject();
    *out += Line(w);
    done_ = true;
    return Status::Ok();
  }

  core::Tracker* t_;
  model::ProjectName p_;
  ExportStreamOptions o_;
  std::vector<storage::RunInfo> runs_;
  bool head_sent_ = false, done_ = false;
  size_t run_ = 0;
  bool run_started_ = false;
  std::vector<storage::AttributeInfo> attrs_;
  size_t attr_ = 0;
  std::optional<int64_t> after_;  // the series page to read next
  std::string held_;              // a line waiting for the files it names
  std::deque<PendingBlob> blobs_;
  std::unique_ptr<blobs::BlobReader> reader_;  // of blobs_.front()
  std::unordered_set<std::string> sent_;       // digests queued once
  int64_t configs_ = 0, points_ = 0, files_ = 0, blob_count_ = 0, blob_bytes_ = 0;
};

}  // namespace

Result<std::shared_ptr<http::BodyStream>> NewProjectExport(core::Tracker* tracker,
                                                           const model::ProjectName& project,
                                                           ExportStreamOptions options) {
  std::vector<storage::RunInfo> runs;
  core::RunsQuery q;
  q.sort = {{"sys/id", false}};
  q.columns = std::vector<std::string>{};
  q.limit = model::kMaxRunsLimit;
  for (;;) {
    q.offset = runs.size();
    ASSIGN_OR_RETURN(auto page, tracker->QueryRuns(project, q));
    for (auto& row : page.rows) runs.push_back(std::move(row.run));
    if (page.rows.empty() || runs.size() >= page.total) break;
  }
  return std::shared_ptr<http::BodyStream>(
      std::make_shared<ProjectExport>(tracker, project, options, ParentsFirst(std::move(runs))));
}

}  // namespace sextant::api::native
