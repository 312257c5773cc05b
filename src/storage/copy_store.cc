#include "storage/copy_store.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <set>

#include "storage/series_merge.h"

namespace sextant::storage {

namespace {

// Chunks per Log call when copying a series: a few tens of MB at most.
constexpr size_t kChunksPerBatch = 64;

int64_t Now() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A run's attributes, from a scan.
struct Scanned : ProjectScanner {
  std::vector<RunInfo> runs;
  std::map<int64_t, std::vector<AttributeInfo>> attrs;
  bool Run(const RunInfo& r) override {
    runs.push_back(r);
    return true;
  }
  bool Attribute(int64_t run_id, const AttributeInfo& a) override {
    attrs[run_id].push_back(a);
    return true;
  }
};

std::string Where(const model::ProjectName& p, const RunInfo& r, const std::string& path = "") {
  return p.Full() + "/" + r.run_id + (path.empty() ? "" : " '" + path + "'");
}

// Copies one series as its encoded chunks, in (first step, id) order, a
// batch of chunks per write. The last value rides on the final batch.
Status CopySeries(Backend& from, Backend& to, const RunInfo& dst, const AttributeInfo& a,
                  int64_t* points) {
  ASSIGN_OR_RETURN(auto metas, from.ReadChunksSparse(a.id, INT64_MIN, INT64_MAX,
                                                     [](const chunkenc::ChunkIndex&) {
                                                       return std::vector<size_t>{};
                                                     }));
  std::set<int64_t> copied;
  for (size_t i = 0; i < metas.size();) {
    size_t j = std::min(metas.size(), i + kChunksPerBatch);
    int64_t lo = metas[i].first_step, hi = lo;
    for (size_t k = i; k < j; ++k) hi = std::max(hi, metas[k].last_step);
    ASSIGN_OR_RETURN(auto rows, from.ReadChunks(a.id, lo, hi));
    EncodedSeries s;
    s.path = a.path;
    s.type = a.type;
    for (auto& row : rows) {
      if (!copied.insert(row.id).second) continue;
      ASSIGN_OR_RETURN(auto idx, chunkenc::ChunkIndex::Parse(row.index));
      s.stats.push_back(chunkenc::Aggregate(idx.blocks()));
      s.count += static_cast<int64_t>(s.stats.back().count);
      s.chunks.push_back({std::move(row.index), std::move(row.data)});
    }
    i = j;
    if (s.chunks.empty()) continue;
    // The attribute's last value, as the source keeps it (its step may be
    // in any batch; the backend keeps the value at the greatest step).
    s.last_step = a.last_step.value_or(s.stats.back().last_step);
    s.last_ts = a.last_ts;
    s.last_float = a.value.f;
    s.last_bytes = a.value.s;
    *points += s.count;
    std::vector<EncodedSeries> one;
    one.push_back(std::move(s));
    RETURN_IF_ERROR(to.Log(dst, model::LogBatch{}, std::move(one), Now(), nullptr).status());
  }
  return Status::Ok();
}

Status CopyFiles(Backend& from, Backend& to, const RunInfo& src, const RunInfo& dst,
                 const AttributeInfo& a, int64_t* files) {
  if (a.type == model::AttrType::kFile) {
    ASSIGN_OR_RETURN(FileRef f, from.GetFile(src.id, a.path, std::nullopt));
    ++*files;
    return to.PutFile(dst, a.path, std::nullopt, f, f.created_us, nullptr);
  }
  // Every point, then written in the order they were first written, so
  // that the attribute's value (the file written last) is the source's.
  std::vector<std::pair<int64_t, FileRef>> all;
  int64_t hi = INT64_MAX;
  for (;;) {  // newest step first, a page at a time
    ASSIGN_OR_RETURN(auto page, from.ListFiles(src.id, a.path, INT64_MIN, hi, 1000));
    bool last_page = page.size() < 1000 || page.back().first == INT64_MIN;
    if (!page.empty()) hi = page.back().first - 1;
    all.insert(all.end(), page.begin(), page.end());
    if (last_page) break;
  }
  std::stable_sort(all.begin(), all.end(), [](const auto& x, const auto& y) {
    return x.second.created_us != y.second.created_us ? x.second.created_us < y.second.created_us
                                                      : x.first < y.first;
  });
  for (const auto& [step, f] : all) {
    RETURN_IF_ERROR(to.PutFile(dst, a.path, step, f, f.created_us, nullptr));
    ++*files;
  }
  return Status::Ok();
}

Result<Points> AllPoints(Backend& b, int64_t attr_id) {
  ASSIGN_OR_RETURN(auto rows, b.ReadChunks(attr_id, INT64_MIN, INT64_MAX));
  std::vector<const ChunkRow*> ptrs;
  for (const auto& r : rows) ptrs.push_back(&r);
  Points p;
  RETURN_IF_ERROR(MergeChunks(ptrs, INT64_MIN, INT64_MAX, &p));
  return p;
}

Status Verify(Backend& from, Backend& to, const model::ProjectName& p, const RunInfo& src,
              const RunInfo& dst, const std::vector<AttributeInfo>& attrs) {
  if (src.name != dst.name || src.experiment != dst.experiment || src.state != dst.state ||
      src.created_us != dst.created_us || src.fork_run_id != dst.fork_run_id ||
      src.fork_step != dst.fork_step)
    return Status::DataLoss(Where(p, src) + ": the copied run differs (name, experiment, state, "
                            "creation time or fork)");
  ASSIGN_OR_RETURN(auto got, to.ListAttributes(dst.id));
  std::map<std::string, AttributeInfo> by_path;
  for (auto& a : got) by_path.emplace(a.path, std::move(a));
  for (const auto& a : attrs) {
    auto it = by_path.find(a.path);
    if (it == by_path.end()) return Status::DataLoss(Where(p, src, a.path) + " is missing from the copy");
    const AttributeInfo& b = it->second;
    // Every field of the value, floats by their bits (NaN payloads, -0.0).
    bool same = a.type == b.type && a.last_step == b.last_step &&
                std::memcmp(&a.value.f, &b.value.f, sizeof a.value.f) == 0 &&
                a.value.i == b.value.i && a.value.s == b.value.s && a.value.set == b.value.set;
    if (!same) return Status::DataLoss(Where(p, src, a.path) + ": the copied value differs");
    if (model::IsSeries(a.type)) {
      ASSIGN_OR_RETURN(Points x, AllPoints(from, a.id));
      ASSIGN_OR_RETURN(Points y, AllPoints(to, b.id));
      bool equal = x.steps == y.steps && x.ts == y.ts && x.bytes == y.bytes &&
                   x.floats.size() == y.floats.size() &&
                   std::equal(x.floats.begin(), x.floats.end(), y.floats.begin(), [](double u, double v) {
                     return std::memcmp(&u, &v, sizeof u) == 0;
                   });
      if (!equal) return Status::DataLoss(Where(p, src, a.path) + ": the copied points differ");
    }
  }
  return Status::Ok();
}

}  // namespace

Result<CopyStats> CopyStore(Backend& from, Backend& to, const CopyOptions& options) {
  CopyStats stats;
  // Sealed, non-overlapping chunks copy as they are.
  for (int round = 0; round < 100; ++round) {
    ASSIGN_OR_RETURN(int n, from.CompactSome(1 << 20, /*force=*/true));
    if (n == 0) break;
  }
  ASSIGN_OR_RETURN(auto projects, from.ListProjects());
  for (const auto& pr : projects) {
    model::ProjectName name{pr.workspace, pr.name};
    auto made = to.CreateProject(name, pr.created_us);
    if (!made.ok() && made.status().code() != Code::kAlreadyExists) return made.status();
    ASSIGN_OR_RETURN(auto dst_project, to.GetProject(name));
    ASSIGN_OR_RETURN(auto props, from.ProjectProperties(pr.id));
    RETURN_IF_ERROR(to.UpdateProjectProperties(dst_project.id, props, {}));
    ASSIGN_OR_RETURN(auto views, from.ListViews(pr.id));
    for (const auto& v : views) RETURN_IF_ERROR(to.PutView(dst_project.id, v));
    stats.views += static_cast<int64_t>(views.size());
    ++stats.projects;

    Scanned scan;
    RETURN_IF_ERROR(from.ScanProject(pr.id, &scan));
    // Runs come in id order, so a fork's parent is created before it.
    for (const auto& src : scan.runs) {
      const auto& attrs = scan.attrs[src.id];
      auto existing = to.GetRun(name, src.run_id);
      if (existing.ok()) {
        ASSIGN_OR_RETURN(auto have, to.ListAttributes(existing->id));
        if (have.size() >= attrs.size()) {
          ++stats.skipped_runs;
          continue;
        }
      }
      model::CreateRunOp op;
      op.run_id = src.run_id;
      op.name = src.name;
      op.experiment_name = src.experiment;
      op.fork_run_id = src.fork_run_id;
      op.fork_step = src.fork_step;
      op.created_us = src.created_us;
      ASSIGN_OR_RETURN(auto created, to.CreateOrResumeRun(name, op, Now()));
      RunInfo dst = created.first;
      model::LogBatch configs;
      for (const auto& a : attrs)
        if (model::IsConfig(a.type)) configs.configs.push_back({a.path, a.value});
      if (!configs.configs.empty()) RETURN_IF_ERROR(to.Log(dst, configs, {}, Now(), nullptr).status());
      for (const auto& a : attrs) {
        if (model::IsSeries(a.type)) {
          RETURN_IF_ERROR(CopySeries(from, to, dst, a, &stats.points).WithContext(Where(name, src, a.path)));
        } else if (a.type == model::AttrType::kFile || a.type == model::AttrType::kFileSeries) {
          RETURN_IF_ERROR(CopyFiles(from, to, src, dst, a, &stats.files).WithContext(Where(name, src, a.path)));
        }
      }
      // The copy's writes mark the run running; give it back its state.
      RETURN_IF_ERROR(to.SetState(dst.id, src.state, Now(), nullptr));
      stats.attributes += static_cast<int64_t>(attrs.size());
      ++stats.runs;
      if (options.verify) {
        ASSIGN_OR_RETURN(RunInfo again, to.GetRunById(dst.id));
        RETURN_IF_ERROR(Verify(from, to, name, src, again, attrs));
      }
      if (options.progress) options.progress(name.Full(), src.run_id, stats);
    }
  }
  return stats;
}

}  // namespace sextant::storage
