#include "query/downsample.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace sextant::query {
namespace {

using u128 = unsigned __int128;
using chunkenc::BlockSummary;

constexpr double kInf = std::numeric_limits<double>::infinity();

// x - lo, exact for lo <= x (the difference can pass INT64_MAX).
uint64_t Offset(int64_t x, int64_t lo) {
  return static_cast<uint64_t>(x) - static_cast<uint64_t>(lo);
}

// Maps axis values to buckets. Division is the expensive part of bucketing a
// decoded point, so the range of the last bucket hit is cached: points come
// in step order and, on the time axis, almost always in time order too.
class BucketMap {
 public:
  BucketMap(int64_t lo, int64_t hi, int n)
      : lo_(lo), hi_(hi), n_(n), width_(static_cast<u128>(Offset(hi, lo)) + 1) {}

  int32_t Of(int64_t x) {
    if (x >= cur_start_ && x <= cur_last_) return cur_;
    cur_ = BucketOf(x);
    cur_start_ = Start(cur_);
    cur_last_ = cur_ + 1 < n_ ? Start(cur_ + 1) - 1 : hi_;
    return cur_;
  }

  // Whether a block spanning `span` keys (last - first) is narrower than a
  // bucket: only such blocks are snapped (Edges::kBlocks).
  bool Narrower(uint64_t span) const { return static_cast<u128>(span) * n_ < width_; }

  // The key range of the bucket of the last Of() call.
  void CurrentRange(int64_t* first, int64_t* last) const {
    *first = cur_start_;
    *last = cur_last_;
  }

  // REQUIRES: lo <= x <= hi.
  int32_t BucketOf(int64_t x) const {
    return static_cast<int32_t>(static_cast<u128>(Offset(x, lo_)) * n_ / width_);
  }
  int64_t Start(int32_t b) const {
    u128 off = (static_cast<u128>(b) * width_ + n_ - 1) / n_;  // ceil(b * W / n)
    return static_cast<int64_t>(static_cast<uint64_t>(lo_) + static_cast<uint64_t>(off));
  }

 private:
  int64_t lo_, hi_;
  int n_;
  u128 width_;  // hi - lo + 1, up to 2^64
  int32_t cur_ = -1;
  int64_t cur_start_ = 1, cur_last_ = 0;  // empty until the first lookup
};

// A partial bucket: the points or block summaries of one bucket seen in a
// row. Kept in locals while scanning so the per-point work stays in
// registers; merged into the result once per run.
struct Run {
  int32_t bucket = -1;
  uint64_t count = 0, nan_count = 0;
  double min = kInf, max = -kInf, sum = 0;
  int64_t first_step = 0, last_step = 0;
  double first_value = 0, last_value = 0;
  int64_t first_ts = 0, last_ts = 0;
  int64_t min_ts = std::numeric_limits<int64_t>::max();
  int64_t max_ts = std::numeric_limits<int64_t>::min();

  void Start(int32_t b, int64_t step, int64_t ts, double v) {
    *this = Run();
    bucket = b;
    first_step = step;
    first_ts = ts;
    first_value = v;
  }

  // REQUIRES: Start() was called; points come in step order.
  void AddPoint(int64_t step, int64_t ts, double v) {
    ++count;
    min_ts = std::min(min_ts, ts);
    max_ts = std::max(max_ts, ts);
    if (std::isnan(v)) {
      ++nan_count;
    } else {
      min = std::min(min, v);
      max = std::max(max, v);
      sum += v;
    }
    last_step = step;
    last_value = v;
    last_ts = ts;
  }

  // REQUIRES: the summary's block follows the run's points by step.
  void AddSummary(const BlockSummary& s) {
    count += s.count;
    nan_count += s.nan_count;
    min = std::min(min, s.min);
    max = std::max(max, s.max);
    sum += s.sum;
    min_ts = std::min(min_ts, s.min_ts);
    max_ts = std::max(max_ts, s.max_ts);
    last_step = s.last_step;
    last_value = s.last_value;
    last_ts = s.last_ts;
  }

  // REQUIRES: the aggregated blocks follow the run's points by step.
  void AddStats(const chunkenc::ChunkStats& s) {
    count += s.count;
    nan_count += s.nan_count;
    min = std::min(min, s.min);
    max = std::max(max, s.max);
    sum += s.sum;
    min_ts = std::min(min_ts, s.min_ts);
    max_ts = std::max(max_ts, s.max_ts);
    last_step = s.last_step;
    last_value = s.last_value;
    last_ts = s.last_ts;
  }

  static Run FromStats(int32_t b, const chunkenc::ChunkStats& s) {
    Run r;
    r.bucket = b;
    r.count = s.count;
    r.nan_count = s.nan_count;
    r.min = s.min;
    r.max = s.max;
    r.sum = s.sum;
    r.first_step = s.first_step;
    r.last_step = s.last_step;
    r.first_value = s.first_value;
    r.last_value = s.last_value;
    r.first_ts = s.first_ts;
    r.last_ts = s.last_ts;
    r.min_ts = s.min_ts;
    r.max_ts = s.max_ts;
    return r;
  }

  static Run FromSummary(int32_t b, const BlockSummary& s) {
    Run r;
    r.bucket = b;
    r.count = s.count;
    r.nan_count = s.nan_count;
    r.min = s.min;  // already NaN-free: +inf if all NaN
    r.max = s.max;
    r.sum = s.sum;
    r.first_step = s.first_step;
    r.last_step = s.last_step;
    r.first_value = s.first_value;
    r.last_value = s.last_value;
    r.first_ts = s.first_ts;
    r.last_ts = s.last_ts;
    r.min_ts = s.min_ts;
    r.max_ts = s.max_ts;
    return r;
  }
};

// Collects runs into buckets, sparsely: results hold only touched buckets,
// plus a 4-byte slot per requested bucket.
class Accumulator {
 public:
  explicit Accumulator(int n) : slot_(n, -1) {}

  // REQUIRES: runs of one bucket arrive in step order.
  void Merge(const Run& r) {
    if (r.count == 0) return;
    int32_t& s = slot_[r.bucket];
    if (s < 0) {
      s = static_cast<int32_t>(buckets_.size());
      Bucket& k = buckets_.emplace_back();
      k.index = r.bucket;
      k.min = kInf;
      k.max = -kInf;
      k.first_step = r.first_step;
      k.first_ts = r.first_ts;
      k.first_value = r.first_value;
      k.min_ts = r.min_ts;
      k.max_ts = r.max_ts;
    }
    Bucket& k = buckets_[s];
    k.count += r.count;
    k.nan_count += r.nan_count;
    k.min = std::min(k.min, r.min);
    k.max = std::max(k.max, r.max);
    k.sum += r.sum;
    k.min_ts = std::min(k.min_ts, r.min_ts);
    k.max_ts = std::max(k.max_ts, r.max_ts);
    k.last_step = r.last_step;
    k.last_value = r.last_value;
    k.last_ts = r.last_ts;
  }

  std::vector<Bucket> Finish() {
    // Step-ordered input gives index order on the step axis; time can run
    // backwards, so sort when needed.
    auto by_index = [](const Bucket& a, const Bucket& b) { return a.index < b.index; };
    if (!std::is_sorted(buckets_.begin(), buckets_.end(), by_index)) {
      std::sort(buckets_.begin(), buckets_.end(), by_index);
    }
    return std::move(buckets_);
  }

 private:
  std::vector<int32_t> slot_;
  std::vector<Bucket> buckets_;
};

struct Request {
  Axis axis;
  int64_t lo, hi;
  bool snap;  // Edges::kBlocks on the step axis
};

// Already-decoded points, sorted by step, filtered by clip and range.
void AddPoints(const Request& r, int64_t clip_lo, int64_t clip_hi, std::span<const int64_t> steps,
               std::span<const int64_t> ts, std::span<const double> values, BucketMap* map,
               Accumulator* acc, DownsampleStats* stats) {
  int64_t step_lo = clip_lo, step_hi = clip_hi;
  if (r.axis == Axis::kStep) {
    step_lo = std::max(step_lo, r.lo);
    step_hi = std::min(step_hi, r.hi);
  }
  // Steps are sorted: narrow to the step window by binary search.
  if (step_lo > step_hi) return;
  size_t begin = std::lower_bound(steps.begin(), steps.end(), step_lo) - steps.begin();
  size_t end = std::upper_bound(steps.begin() + begin, steps.end(), step_hi) - steps.begin();
  stats->points_scanned += end - begin;
  Run run;
  int64_t run_first = 1, run_last = 0;  // the run's bucket's key range
  for (size_t i = begin; i < end; ++i) {
    int64_t key = r.axis == Axis::kStep ? steps[i] : ts[i];
    if (key < r.lo || key > r.hi) continue;
    if (key < run_first || key > run_last) {
      acc->Merge(run);
      run.Start(map->Of(key), steps[i], ts[i], values[i]);
      map->CurrentRange(&run_first, &run_last);
    }
    run.AddPoint(steps[i], ts[i], values[i]);
  }
  acc->Merge(run);
}

Status AddChunk(const Request& r, const ChunkPiece& p, BucketMap* map, Accumulator* acc,
                DownsampleStats* stats) {
  const chunkenc::ChunkIndex& index = *p.index;
  int64_t step_lo = p.clip_lo, step_hi = p.clip_hi;
  if (r.axis == Axis::kStep) {
    step_lo = std::max(step_lo, r.lo);
    step_hi = std::min(step_hi, r.hi);
  }
  if (step_lo > step_hi) return Status::Ok();
  // A chunk wholly inside the range, its clip and one bucket is one run:
  // its aggregate, without a walk over its blocks.
  const chunkenc::ChunkStats& cs = index.stats();
  if (cs.count > 0 && cs.first_step >= step_lo && cs.last_step <= step_hi) {
    int64_t key_lo = r.axis == Axis::kStep ? cs.first_step : cs.min_ts;
    int64_t key_hi = r.axis == Axis::kStep ? cs.last_step : cs.max_ts;
    if (key_lo >= r.lo && key_hi <= r.hi) {
      int32_t b = map->Of(key_lo);
      int64_t first, last;
      map->CurrentRange(&first, &last);
      if (key_hi <= last) {
        acc->Merge(Run::FromStats(b, cs));
        ++stats->chunks_summarized;
        return Status::Ok();
      }
    }
  }
  const std::vector<BlockSummary>& blocks = index.blocks();
  // Scratch for one decoded block; on the stack, as vectors would zero-fill.
  int64_t steps[chunkenc::kBlockPoints], ts[chunkenc::kBlockPoints];
  double values[chunkenc::kBlockPoints];
  // Whole blocks landing in the same bucket in a row are combined locally;
  // the run is flushed before any decoded points so merges stay in step order.
  // With snapped edges a whole block belongs to the bucket of its first key.
  Run run;
  int64_t run_first = 1, run_last = 0;  // the run's bucket's key range
  const std::vector<chunkenc::BlockGroup>& groups = index.groups();
  for (size_t i = step_lo <= cs.first_step ? 0 : index.LowerBoundBlock(step_lo);
       i < blocks.size() && blocks[i].first_step <= step_hi; ++i) {
    // A whole group of blocks that all land in one bucket: its aggregate.
    if (i % chunkenc::kGroupBlocks == 0) {
      const chunkenc::ChunkStats& g = groups[i / chunkenc::kGroupBlocks].stats;
      int64_t key_lo = r.axis == Axis::kStep ? g.first_step : g.min_ts;
      int64_t key_hi = r.axis == Axis::kStep ? g.last_step : g.max_ts;
      // With snapped edges a (narrow) block goes where its first step does.
      const chunkenc::BlockGroup& grp = groups[i / chunkenc::kGroupBlocks];
      int64_t key_end = r.snap && map->Narrower(grp.max_block_span) ? grp.last_block_first_step : key_hi;
      if (g.first_step >= step_lo && g.last_step <= step_hi && key_lo >= r.lo && key_hi <= r.hi) {
        size_t n_in_group = std::min(chunkenc::kGroupBlocks, blocks.size() - i);
        if (key_lo >= run_first && key_end <= run_last) {
          run.AddStats(g);
          stats->blocks_summarized += n_in_group;
          i += n_in_group - 1;
          continue;
        }
        int32_t b = map->Of(key_lo);
        int64_t first, last;
        map->CurrentRange(&first, &last);
        if (key_end <= last) {
          acc->Merge(run);
          run = Run::FromStats(b, g);
          run_first = first;
          run_last = last;
          stats->blocks_summarized += n_in_group;
          i += n_in_group - 1;
          continue;
        }
      }
    }
    const BlockSummary& s = blocks[i];
    int64_t key_lo = r.axis == Axis::kStep ? s.first_step : s.min_ts;
    int64_t key_hi = r.axis == Axis::kStep ? s.last_step : s.max_ts;
    if (key_hi < r.lo || key_lo > r.hi) continue;  // no point of it is in range
    bool whole = s.first_step >= step_lo && s.last_step <= step_hi && key_lo >= r.lo &&
                 key_hi <= r.hi;
    const bool snap = r.snap && map->Narrower(Offset(s.last_step, s.first_step));
    if (whole && key_lo >= run_first && (snap ? key_lo : key_hi) <= run_last) {
      run.AddSummary(s);
      ++stats->blocks_summarized;
      continue;
    }
    if (whole) {
      int32_t b = map->Of(key_lo);
      int64_t first, last;
      map->CurrentRange(&first, &last);
      if (snap || key_hi <= last) {
        acc->Merge(run);
        run = Run::FromSummary(b, s);
        run_first = first;
        run_last = last;
        ++stats->blocks_summarized;
        continue;
      }
    }
    acc->Merge(run);
    run = Run();
    run_first = 1;
    run_last = 0;
    RETURN_IF_ERROR(index.DecodeFloatBlockTo(i, p.data, steps, ts, values));
    ++stats->blocks_decoded;
    size_t n = s.count;
    AddPoints(r, p.clip_lo, p.clip_hi, std::span(steps, n), std::span(ts, n),
              std::span(values, n), map, acc, stats);
  }
  acc->Merge(run);
  return Status::Ok();
}

}  // namespace

double Bucket::mean() const {
  uint64_t n = count - nan_count;
  return n == 0 ? std::numeric_limits<double>::quiet_NaN() : sum / static_cast<double>(n);
}

bool BlockNeedsDecode(const BlockSummary& s, Axis axis, Edges edges, int64_t lo, int64_t hi,
                      int n_buckets, int64_t clip_lo, int64_t clip_hi) {
  if (s.last_step < clip_lo || s.first_step > clip_hi) return false;  // not in the piece
  int64_t key_lo = axis == Axis::kStep ? s.first_step : s.min_ts;
  int64_t key_hi = axis == Axis::kStep ? s.last_step : s.max_ts;
  if (axis == Axis::kStep) {
    clip_lo = std::max(clip_lo, lo);
    clip_hi = std::min(clip_hi, hi);
    if (clip_lo > clip_hi || s.last_step < clip_lo || s.first_step > clip_hi) return false;  // none in both
  }
  if (key_hi < lo || key_lo > hi) return false;  // no point of it is in range
  bool whole = s.first_step >= clip_lo && s.last_step <= clip_hi && key_lo >= lo && key_hi <= hi;
  if (!whole) return true;
  BucketMap map(lo, hi, n_buckets);
  if (axis == Axis::kStep && edges == Edges::kBlocks && map.Narrower(Offset(key_hi, key_lo)))
    return false;
  return map.BucketOf(key_lo) != map.BucketOf(key_hi);
}

std::vector<size_t> BlocksToDecode(const chunkenc::ChunkIndex& index, Axis axis, Edges edges,
                                   int64_t lo, int64_t hi, int n_buckets, int64_t clip_lo,
                                   int64_t clip_hi) {
  std::vector<size_t> out;
  const auto& blocks = index.blocks();
  const chunkenc::ChunkStats& cs = index.stats();
  if (blocks.empty() || cs.last_step < clip_lo || cs.first_step > clip_hi) return out;
  int64_t step_lo = clip_lo, step_hi = clip_hi;
  if (axis == Axis::kStep) {
    step_lo = std::max(step_lo, lo);
    step_hi = std::min(step_hi, hi);
  }
  if (step_lo > step_hi) return out;
  // The same shortcut Downsample takes: a whole chunk inside one bucket.
  if (cs.first_step >= step_lo && cs.last_step <= step_hi) {
    int64_t key_lo = axis == Axis::kStep ? cs.first_step : cs.min_ts;
    int64_t key_hi = axis == Axis::kStep ? cs.last_step : cs.max_ts;
    if (key_lo >= lo && key_hi <= hi &&
        BucketOf(key_lo, lo, hi, n_buckets) == BucketOf(key_hi, lo, hi, n_buckets))
      return out;
  }
  if (axis == Axis::kStep && edges == Edges::kBlocks &&
      BucketMap(lo, hi, n_buckets).Narrower(index.max_block_span())) {
    // Every block is snapped whole: only those cut by step_lo or step_hi.
    // A block is cut by step_lo if first < step_lo <= last, by step_hi if
    // first <= step_hi < last: an edge outside those spans of the whole
    // chunk cuts none (and needs no search).
    for (int64_t edge : {step_lo, step_hi}) {
      if (edge == step_lo ? (edge <= cs.first_step || edge > cs.last_step)
                          : (edge < cs.first_step || edge >= cs.last_step))
        continue;
      size_t b = index.LowerBoundBlock(edge);
      if (b < blocks.size() &&
          BlockNeedsDecode(blocks[b], axis, edges, lo, hi, n_buckets, clip_lo, clip_hi) &&
          (out.empty() || out.back() != b))
        out.push_back(b);
    }
    return out;
  }
  for (size_t b = index.LowerBoundBlock(step_lo); b < blocks.size() && blocks[b].first_step <= step_hi; ++b)
    if (BlockNeedsDecode(blocks[b], axis, edges, lo, hi, n_buckets, clip_lo, clip_hi)) out.push_back(b);
  return out;
}

int32_t BucketOf(int64_t x, int64_t lo, int64_t hi, int n) {
  return BucketMap(lo, hi, n).BucketOf(x);
}

int64_t BucketStart(int32_t b, int64_t lo, int64_t hi, int n) {
  return BucketMap(lo, hi, n).Start(b);
}

Result<std::vector<Bucket>> Downsample(std::span<const Piece> pieces, Axis axis, int64_t lo,
                                       int64_t hi, int n_buckets, DownsampleStats* stats,
                                       Edges edges) {
  if (lo > hi) return Status::InvalidArgument("downsample: range start is after its end");
  if (n_buckets < 1 || n_buckets > kMaxBuckets) {
    return Status::InvalidArgument("downsample: bucket count must be in [1, " +
                                   std::to_string(kMaxBuckets) + "], got " +
                                   std::to_string(n_buckets));
  }
  for (size_t i = 0; i < pieces.size(); ++i) {
    if (const auto* c = std::get_if<ChunkPiece>(&pieces[i])) {
      if (c->index == nullptr || !chunkenc::IsFloat(c->index->encoding())) {
        return Status::InvalidArgument("downsample: piece " + std::to_string(i) +
                                       " is not a float chunk");
      }
    } else {
      const auto& pts = std::get<PointsPiece>(pieces[i]);
      if (pts.steps.size() != pts.ts.size() || pts.steps.size() != pts.values.size()) {
        return Status::InvalidArgument("downsample: piece " + std::to_string(i) +
                                       " has columns of unequal length");
      }
    }
  }

  DownsampleStats local;
  if (stats == nullptr) stats = &local;
  *stats = DownsampleStats();
  Request r{axis, lo, hi, axis == Axis::kStep && edges == Edges::kBlocks};
  BucketMap map(lo, hi, n_buckets);
  Accumulator acc(n_buckets);
  for (size_t i = 0; i < pieces.size(); ++i) {
    if (const auto* c = std::get_if<ChunkPiece>(&pieces[i])) {
      Status s = AddChunk(r, *c, &map, &acc, stats);
      if (!s.ok()) return s.WithContext("downsample: piece " + std::to_string(i));
    } else {
      const auto& pts = std::get<PointsPiece>(pieces[i]);
      AddPoints(r, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(),
                pts.steps, pts.ts, pts.values, &map, &acc, stats);
    }
  }
  return acc.Finish();
}

}  // namespace sextant::query
