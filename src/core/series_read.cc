// Reading series: lineage of forked runs, overlap resolution, raw pages and
// downsampled buckets.
#include <algorithm>
#include <deque>

#include "core/tracker.h"

namespace sextant::core {

namespace {

struct Segment {
  int64_t run_id;
  int64_t lo, hi;  // the part of this run's series that belongs to the lineage
};

// One non-overlapping part of a series: a chunk read through its block
// summaries (clipped to [lo, hi]) or points already merged from overlapping chunks.
struct Src {
  const chunkenc::ChunkIndex* index = nullptr;
  std::string_view data;
  int64_t lo = 0, hi = 0;
  const storage::Points* points = nullptr;
};

// Pieces of one series ready for reading; owns the bytes the pieces point to.
struct Pieces {
  std::deque<storage::ChunkRow> rows;
  std::deque<chunkenc::ChunkIndex> indexes;
  std::deque<storage::Points> merged;
  std::vector<Src> list;
  bool floats = true;
};

bool InTime(const std::optional<std::pair<int64_t, int64_t>>& range, int64_t ts) {
  return !range || (ts >= range->first && ts <= range->second);
}

// Raw points in step order, at most `limit`, decoding only blocks in range.
Status ReadRaw(const Pieces& pieces, const std::optional<std::pair<int64_t, int64_t>>& time,
               size_t limit, storage::Points* out) {
  std::vector<int64_t> steps, ts;
  std::vector<double> floats;
  std::vector<std::string> bytes;
  for (const Src& src : pieces.list) {
    if (out->size() >= limit) break;
    if (src.points) {
      const auto& p = *src.points;
      for (size_t i = 0; i < p.size() && out->size() < limit; ++i) {
        if (!InTime(time, p.ts[i])) continue;
        out->steps.push_back(p.steps[i]);
        out->ts.push_back(p.ts[i]);
        if (pieces.floats) out->floats.push_back(p.floats[i]); else out->bytes.push_back(p.bytes[i]);
      }
      continue;
    }
    const auto& blocks = src.index->blocks();
    for (size_t b = src.index->LowerBoundBlock(src.lo); b < blocks.size(); ++b) {
      if (out->size() >= limit || blocks[b].first_step > src.hi) break;
      if (time && (blocks[b].max_ts < time->first || blocks[b].min_ts > time->second)) continue;
      steps.clear(); ts.clear(); floats.clear(); bytes.clear();
      if (pieces.floats) {
        RETURN_IF_ERROR(src.index->DecodeFloatBlock(b, src.data, &steps, &ts, &floats));
      } else {
        RETURN_IF_ERROR(src.index->DecodeBytesBlock(b, src.data, &steps, &ts, &bytes));
      }
      for (size_t i = 0; i < steps.size() && out->size() < limit; ++i) {
        if (steps[i] < src.lo || steps[i] > src.hi || !InTime(time, ts[i])) continue;
        out->steps.push_back(steps[i]);
        out->ts.push_back(ts[i]);
        if (pieces.floats) out->floats.push_back(floats[i]); else out->bytes.push_back(std::move(bytes[i]));
      }
    }
  }
  return Status::Ok();
}

}  // namespace

Status Tracker::ReadOne(const storage::RunInfo& run, const SeriesRequest& req, SeriesResult* out) {
  // Lineage from the root ancestor to `run`: each ancestor contributes its
  // points up to the step its child was forked at.
  std::vector<storage::RunInfo> chain{run};
  while (req.lineage && chain.back().fork_parent_id) {
    if (chain.size() > 1000) return Status::Internal("fork lineage deeper than 1000 runs");
    ASSIGN_OR_RETURN(auto parent, backend_->GetRunById(*chain.back().fork_parent_id));
    chain.push_back(std::move(parent));
  }
  std::reverse(chain.begin(), chain.end());
  std::vector<Segment> segments;
  for (size_t k = 0; k < chain.size(); ++k) {
    int64_t lo = (k == 0 || !chain[k].fork_step) ? INT64_MIN : *chain[k].fork_step + 1;
    int64_t hi = k + 1 < chain.size() ? *chain[k + 1].fork_step : INT64_MAX;
    if (!req.lineage) lo = INT64_MIN;
    lo = std::max(lo, req.step_lo);
    hi = std::min(hi, req.step_hi);
    if (!req.buckets && req.after_step) {
      if (*req.after_step == INT64_MAX) continue;
      lo = std::max(lo, *req.after_step + 1);
    }
    if (lo <= hi) segments.push_back({chain[k].id, lo, hi});
  }

  Pieces pieces;
  for (const Segment& seg : segments) {
    ASSIGN_OR_RETURN(auto attr, backend_->FindAttribute(seg.run_id, req.path));
    if (!attr || !model::IsSeries(attr->type)) continue;
    if (out->type && *out->type != attr->type) continue;  // lineage changed the type
    out->type = attr->type;
    pieces.floats = attr->type == model::AttrType::kFloatSeries;
    ASSIGN_OR_RETURN(auto rows, backend_->ReadChunks(attr->id, seg.lo, seg.hi));
    // Group chunks whose step ranges overlap; a lone chunk is read through its
    // summaries, a group is decoded and merged (later writes win).
    for (size_t i = 0; i < rows.size();) {
      size_t j = i + 1;
      int64_t end = rows[i].last_step;
      while (j < rows.size() && rows[j].first_step <= end) end = std::max(end, rows[j++].last_step);
      if (j == i + 1) {
        pieces.rows.push_back(std::move(rows[i]));
        ASSIGN_OR_RETURN(auto idx, chunkenc::ChunkIndex::Parse(pieces.rows.back().index));
        pieces.indexes.push_back(std::move(idx));
        pieces.list.push_back(Src{&pieces.indexes.back(), pieces.rows.back().data, seg.lo, seg.hi});
      } else {
        std::vector<const storage::ChunkRow*> group;
        for (size_t k = i; k < j; ++k) group.push_back(&rows[k]);
        storage::Points merged;
        RETURN_IF_ERROR(storage::MergeChunks(group, seg.lo, seg.hi, &merged));
        pieces.merged.push_back(std::move(merged));
        const auto& m = pieces.merged.back();
        if (!m.steps.empty()) pieces.list.push_back(Src{nullptr, {}, seg.lo, seg.hi, &m});
      }
      i = j;
    }
  }
  // String and histogram series have no statistics: they are returned raw.
  out->downsampled = req.buckets.has_value() && pieces.floats;
  if (!out->type) return Status::Ok();

  if (out->downsampled) {
    query::Axis axis = req.time_range ? query::Axis::kTime : query::Axis::kStep;
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    std::vector<query::Piece> qp;
    for (const Src& src : pieces.list) {
      if (src.points) {
        lo = std::min(lo, src.points->steps.front());
        hi = std::max(hi, src.points->steps.back());
        qp.push_back(query::PointsPiece{src.points->steps, src.points->ts, src.points->floats});
      } else {
        const auto& blocks = src.index->blocks();
        if (blocks.empty()) continue;
        lo = std::min(lo, std::max(src.lo, blocks.front().first_step));
        hi = std::max(hi, std::min(src.hi, blocks.back().last_step));
        qp.push_back(query::ChunkPiece{src.index, src.data, src.lo, src.hi});
      }
    }
    if (qp.empty()) return Status::Ok();
    if (req.time_range) {
      lo = req.time_range->first;
      hi = req.time_range->second;
    } else {
      // Without an explicit range the buckets span the data that exists.
      if (req.step_lo != INT64_MIN) lo = req.step_lo;
      if (req.step_hi != INT64_MAX) hi = req.step_hi;
    }
    query::DownsampleStats stats;
    ASSIGN_OR_RETURN(out->buckets, query::Downsample(qp, axis, lo, hi, *req.buckets, &stats));
    out->decoded_blocks = stats.blocks_decoded;
    return Status::Ok();
  }

  // Raw points: decode only the blocks inside the range, stop after limit + 1.
  RETURN_IF_ERROR(ReadRaw(pieces, req.time_range, req.limit + 1, &out->points));
  if (out->points.size() > req.limit) {
    auto& pts = out->points;
    pts.steps.resize(req.limit);
    pts.ts.resize(req.limit);
    if (pieces.floats) pts.floats.resize(req.limit); else pts.bytes.resize(req.limit);
    out->next_after_step = pts.steps.back();
  }
  return Status::Ok();
}

}  // namespace sextant::core
