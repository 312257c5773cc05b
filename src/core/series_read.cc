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

// Adds one segment's chunk rows (ordered by first step) to `pieces`: a
// lone chunk is read through its summaries, chunks whose step ranges overlap
// (not yet compacted) are decoded and merged, later writes winning.
Status AddPieces(std::vector<storage::ChunkRow> rows, int64_t lo, int64_t hi, Pieces* pieces) {
  for (size_t i = 0; i < rows.size();) {
    size_t j = i + 1;
    int64_t end = rows[i].last_step;
    while (j < rows.size() && rows[j].first_step <= end) end = std::max(end, rows[j++].last_step);
    if (j == i + 1) {
      pieces->rows.push_back(std::move(rows[i]));
      const storage::ChunkRow& row = pieces->rows.back();
      ASSIGN_OR_RETURN(auto idx, chunkenc::ChunkIndex::Parse(row.index));
      pieces->indexes.push_back(std::move(idx));
      pieces->list.push_back(Src{&pieces->indexes.back(), row.data, lo, hi});
    } else {
      std::vector<const storage::ChunkRow*> group;
      for (size_t q = i; q < j; ++q) group.push_back(&rows[q]);
      storage::Points merged;
      RETURN_IF_ERROR(storage::MergeChunks(group, lo, hi, &merged));
      pieces->merged.push_back(std::move(merged));
      const auto& m = pieces->merged.back();
      if (!m.steps.empty()) pieces->list.push_back(Src{nullptr, {}, lo, hi, &m});
    }
    i = j;
  }
  return Status::Ok();
}

// Appends the raw points of one series with steps in [lo, hi] (and
// timestamps in `time`, when given) to `out` until it holds `want`, reading
// the series in windows of steps that hold about the points still wanted
// (chosen from chunk counts, without payloads): a page costs the chunks it
// returns, not the whole series.
//
// With a time range only chunks whose timestamp bounds meet it are listed.
// Steps before the first of them hold no point in the range (every version
// of them sits in a chunk outside it), so the window starts there; and
// after the last of a complete listing there is nothing left to read.
Status ReadRawPaged(storage::Backend& backend, int64_t attr_id, bool floats, int64_t lo, int64_t hi,
                    const std::optional<std::pair<int64_t, int64_t>>& time, size_t want,
                    SeriesResult* out) {
  constexpr size_t kMetaRows = 64;
  while (lo <= hi && out->points.size() < want) {
    const int64_t need = static_cast<int64_t>(want - out->points.size());
    ASSIGN_OR_RETURN(auto metas, backend.ListChunks(attr_id, lo, hi, kMetaRows, time));
    if (metas.empty()) break;
    if (time) {
      lo = std::max(lo, metas.front().first);
      if (metas.size() < kMetaRows) {
        int64_t last = lo;
        for (const auto& m : metas) last = std::max(last, m.last);
        hi = std::min(hi, last);
      }
    }
    int64_t end = hi, held = 0;
    bool enough = false;
    for (const auto& m : metas) {
      held += m.count;  // an over-estimate (overwritten steps, a chunk before lo): then one more window
      if (held >= need) {
        end = std::min(hi, std::max(m.last, lo));
        enough = true;
        break;
      }
    }
    if (!enough && metas.size() == kMetaRows) end = std::min(hi, std::max(metas.back().last, lo));
    ASSIGN_OR_RETURN(auto rows, backend.ReadChunks(attr_id, lo, end));
    out->chunks_read += rows.size();
    Pieces pieces;
    pieces.floats = floats;
    RETURN_IF_ERROR(AddPieces(std::move(rows), lo, end, &pieces));
    RETURN_IF_ERROR(ReadRaw(pieces, time, want, &out->points));
    if (end >= hi) break;
    lo = end + 1;
  }
  return Status::Ok();
}

// Cuts a raw read of limit + 1 points to `limit` and says where the next
// page starts.
void TrimToLimit(size_t limit, bool floats, SeriesResult* out) {
  auto& pts = out->points;
  if (pts.size() <= limit) return;
  pts.steps.resize(limit);
  pts.ts.resize(limit);
  if (floats) pts.floats.resize(limit); else pts.bytes.resize(limit);
  out->next_after_step = pts.steps.back();
}

}  // namespace

Status Tracker::ReadOne(const storage::RunInfo& run, const SeriesRequest& req, SeriesResult* out,
                        bool force_full) {
  SeriesResult fresh;
  fresh.run_id = std::move(out->run_id);
  *out = std::move(fresh);
  // Lineage from the root ancestor to `run`: each ancestor contributes its
  // points up to the step its child was forked at. One call for the runs,
  // their attributes at the path and the series' extents (one round trip
  // on PostgreSQL, however deep the lineage).
  ASSIGN_OR_RETURN(std::vector<storage::LineageEntry> lineage,
                   backend_->SeriesLineage(run, req.path, req.lineage));
  std::vector<Segment> segments;
  std::vector<size_t> entry_of;  // segment -> lineage entry
  for (size_t k = 0; k < lineage.size(); ++k) {
    const storage::RunInfo& r = lineage[k].run;
    int64_t lo = (k == 0 || !r.fork_step) ? INT64_MIN : *r.fork_step + 1;
    int64_t hi = k + 1 < lineage.size() ? *lineage[k + 1].run.fork_step : INT64_MAX;
    if (!req.lineage) lo = INT64_MIN;
    lo = std::max(lo, req.step_lo);
    hi = std::min(hi, req.step_hi);
    if (!req.buckets && req.after_step) {
      if (*req.after_step == INT64_MAX) continue;
      lo = std::max(lo, *req.after_step + 1);
    }
    if (lo <= hi) {
      segments.push_back({r.id, lo, hi});
      entry_of.push_back(k);
    }
  }

  // Which attribute each segment reads, and the series' type.
  std::vector<std::optional<storage::AttributeInfo>> attrs;
  for (size_t k = 0; k < segments.size(); ++k) {
    auto attr = lineage[entry_of[k]].attr;
    if (attr && (!model::IsSeries(attr->type) || (out->type && *out->type != attr->type)))
      attr.reset();  // not a series, or the lineage changed the type
    if (attr) out->type = attr->type;
    attrs.push_back(std::move(attr));
  }
  const bool floats = out->type == model::AttrType::kFloatSeries;
  // A page of raw points (by step, within a time range or not): bounded by
  // the page, not the series. String and histogram series have no
  // statistics: asked for buckets, they answer raw too.
  if (!req.buckets || (out->type && !floats)) {
    for (size_t k = 0; k < segments.size() && out->points.size() <= req.limit; ++k) {
      if (!attrs[k]) continue;
      RETURN_IF_ERROR(ReadRawPaged(*backend_, attrs[k]->id, floats, segments[k].lo, segments[k].hi,
                                   req.time_range, req.limit + 1, out));
    }
    TrimToLimit(req.limit, floats, out);
    return Status::Ok();
  }
  // A downsampled read (of a float series, or of none) fixes its buckets
  // first, so that it fetches only the payload of blocks at bucket edges
  // (the rest is read from block summaries).
  out->downsampled = true;
  if (!out->type) return Status::Ok();
  bool sparse = !force_full;
  query::Axis axis = req.time_range ? query::Axis::kTime : query::Axis::kStep;
  query::Edges edges = req.exact_buckets ? query::Edges::kExact : query::Edges::kBlocks;
  int64_t blo = INT64_MAX, bhi = INT64_MIN;
  if (req.time_range) {
    blo = req.time_range->first;
    bhi = req.time_range->second;
  } else {
    for (size_t k = 0; k < segments.size(); ++k) {
      if (!attrs[k]) continue;
      const auto& extent = lineage[entry_of[k]].extent;
      if (!extent) continue;
      blo = std::min(blo, std::max(segments[k].lo, extent->first));
      bhi = std::max(bhi, std::min(segments[k].hi, extent->second));
    }
    // Without an explicit range the buckets span the data that exists.
    if (req.step_lo != INT64_MIN) blo = req.step_lo;
    if (req.step_hi != INT64_MAX) bhi = req.step_hi;
  }

  // A sparse read fetches every segment's chunks at once: on PostgreSQL
  // the same round trips for a forked run as for one without ancestors.
  std::vector<std::vector<storage::ChunkRow>> sparse_rows(segments.size());
  if (sparse && blo <= bhi) {
    std::vector<storage::SeriesRange> ranges;
    std::vector<size_t> range_segment;
    for (size_t k = 0; k < segments.size(); ++k) {
      if (!attrs[k]) continue;
      ranges.push_back({attrs[k]->id, segments[k].lo, segments[k].hi});
      range_segment.push_back(k);
    }
    const int n = *req.buckets;
    auto choose = [&](size_t r, const chunkenc::ChunkIndex& idx) {
      const Segment& seg = segments[range_segment[r]];
      return query::BlocksToDecode(idx, axis, edges, blo, bhi, n, seg.lo, seg.hi);
    };
    ASSIGN_OR_RETURN(auto many, backend_->ReadChunksSparseMany(ranges, choose));
    for (size_t r = 0; r < many.size(); ++r) sparse_rows[range_segment[r]] = std::move(many[r]);
  }
  Pieces pieces;
  for (size_t k = 0; k < segments.size(); ++k) {
    const Segment& seg = segments[k];
    const auto& attr = attrs[k];
    if (!attr) continue;
    std::vector<storage::ChunkRow> rows;
    if (sparse && blo <= bhi) {
      rows = std::move(sparse_rows[k]);
    } else {
      ASSIGN_OR_RETURN(rows, backend_->ReadChunks(attr->id, seg.lo, seg.hi));
      out->chunks_read += rows.size();
      RETURN_IF_ERROR(AddPieces(std::move(rows), seg.lo, seg.hi, &pieces));
      continue;
    }
    // A sparse read: chunks carry their parsed indexes and chosen payloads.
    // Group chunks whose step ranges overlap; a lone chunk is read through its
    // summaries, a group is decoded and merged (later writes win).
    for (size_t i = 0; i < rows.size();) {
      size_t j = i + 1;
      int64_t end = rows[i].last_step;
      while (j < rows.size() && rows[j].first_step <= end) end = std::max(end, rows[j++].last_step);
      if (j == i + 1) {
        pieces.rows.push_back(std::move(rows[i]));
        const storage::ChunkRow& row = pieces.rows.back();
        const chunkenc::ChunkIndex* index = row.parsed.get();
        if (!index) {
          ASSIGN_OR_RETURN(auto idx, chunkenc::ChunkIndex::Parse(row.index));
          pieces.indexes.push_back(std::move(idx));
          index = &pieces.indexes.back();
        }
        pieces.list.push_back(Src{index, row.payload(), seg.lo, seg.hi});
      } else {
        // Overlapping chunks (not yet compacted) are decoded whole and merged.
        ASSIGN_OR_RETURN(auto full, backend_->ReadChunks(attr->id, rows[i].first_step, end));
        std::erase_if(full, [&](const storage::ChunkRow& c) {
          for (size_t q = i; q < j; ++q)
            if (rows[q].id == c.id) return false;
          return true;
        });
        // A compaction committed between the two reads: read again, whole,
        // from one snapshot.
        if (full.size() != j - i) return ReadOne(run, req, out, /*force_full=*/true);
        std::vector<const storage::ChunkRow*> group;
        for (const auto& c : full) group.push_back(&c);
        storage::Points merged;
        RETURN_IF_ERROR(storage::MergeChunks(group, seg.lo, seg.hi, &merged));
        pieces.merged.push_back(std::move(merged));
        const auto& m = pieces.merged.back();
        if (!m.steps.empty()) pieces.list.push_back(Src{nullptr, {}, seg.lo, seg.hi, &m});
      }
      i = j;
    }
  }
  std::vector<query::Piece> qp;
  for (const Src& src : pieces.list) {
    if (src.points)
      qp.push_back(query::PointsPiece{src.points->steps, src.points->ts, src.points->floats});
    else if (!src.index->blocks().empty())
      qp.push_back(query::ChunkPiece{src.index, src.data, src.lo, src.hi});
  }
  if (qp.empty() || blo > bhi) return Status::Ok();
  query::DownsampleStats stats;
  auto buckets = query::Downsample(qp, axis, blo, bhi, *req.buckets, &stats, edges);
  // A block the sparse read did not fetch fails its checksum: read whole.
  if (!buckets.ok() && sparse && buckets.status().code() == Code::kDataLoss)
    return ReadOne(run, req, out, /*force_full=*/true);
  if (!buckets.ok()) return buckets.status();
  out->buckets = std::move(buckets).value();
  out->decoded_blocks = stats.blocks_decoded;
  return Status::Ok();
}

}  // namespace sextant::core
