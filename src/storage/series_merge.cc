#include "storage/series_merge.h"

#include <algorithm>
#include <numeric>

namespace sextant::storage {

Status MergeChunks(const std::vector<const ChunkRow*>& chunks, int64_t lo, int64_t hi,
                   Points* out) {
  std::vector<const ChunkRow*> order(chunks);
  std::sort(order.begin(), order.end(),
            [](const ChunkRow* a, const ChunkRow* b) { return a->id < b->id; });
  Points all;
  bool floats = true;
  for (const ChunkRow* c : order) {
    ASSIGN_OR_RETURN(auto idx, chunkenc::ChunkIndex::Parse(c->index));
    if (chunkenc::IsFloat(idx.encoding())) {
      RETURN_IF_ERROR(idx.DecodeAllFloat(c->data, &all.steps, &all.ts, &all.floats)
                          .WithContext("chunk " + std::to_string(c->id)));
    } else {
      floats = false;
      RETURN_IF_ERROR(idx.DecodeAllBytes(c->data, &all.steps, &all.ts, &all.bytes)
                          .WithContext("chunk " + std::to_string(c->id)));
    }
  }
  std::vector<uint32_t> perm(all.size());
  std::iota(perm.begin(), perm.end(), 0);
  // Stable: among equal steps the later chunk (appended later) stays last.
  std::stable_sort(perm.begin(), perm.end(),
                   [&](uint32_t a, uint32_t b) { return all.steps[a] < all.steps[b]; });
  for (size_t k = 0; k < perm.size(); ++k) {
    uint32_t i = perm[k];
    if (k + 1 < perm.size() && all.steps[perm[k + 1]] == all.steps[i]) continue;
    if (all.steps[i] < lo || all.steps[i] > hi) continue;
    out->steps.push_back(all.steps[i]);
    out->ts.push_back(all.ts[i]);
    if (floats)
      out->floats.push_back(all.floats[i]);
    else
      out->bytes.push_back(std::move(all.bytes[i]));
  }
  return Status::Ok();
}

Result<std::vector<chunkenc::EncodedChunk>> EncodePoints(const Points& p, bool floats,
                                                         size_t max_points) {
  std::vector<chunkenc::EncodedChunk> out;
  std::vector<std::string_view> views;
  for (size_t start = 0; start < p.size(); start += max_points) {
    size_t n = std::min(max_points, p.size() - start);
    std::span<const int64_t> steps(p.steps.data() + start, n), ts(p.ts.data() + start, n);
    if (floats) {
      ASSIGN_OR_RETURN(auto c, chunkenc::EncodeFloatChunk(
                                   steps, ts, std::span<const double>(p.floats.data() + start, n)));
      out.push_back(std::move(c));
    } else {
      views.assign(p.bytes.begin() + start, p.bytes.begin() + start + n);
      ASSIGN_OR_RETURN(auto c, chunkenc::EncodeBytesChunk(steps, ts, views));
      out.push_back(std::move(c));
    }
  }
  return out;
}

Result<EncodedSeries> EncodeSeriesWrite(const model::SeriesWrite& s) {
  EncodedSeries e;
  e.path = s.path;
  e.type = s.type;
  bool floats = s.type == model::AttrType::kFloatSeries;
  // A request's points become one or more small chunks; the compactor merges them.
  constexpr size_t kMaxIngestChunk = kSealedChunkPoints;
  for (size_t start = 0; start < s.size(); start += kMaxIngestChunk) {
    size_t n = std::min(kMaxIngestChunk, s.size() - start);
    std::span<const int64_t> steps(s.steps.data() + start, n), ts(s.ts.data() + start, n);
    chunkenc::EncodedChunk c;
    if (floats) {
      ASSIGN_OR_RETURN(c, chunkenc::EncodeFloatChunk(
                              steps, ts, std::span<const double>(s.floats.data() + start, n)));
    } else {
      std::vector<std::string_view> views(s.bytes.begin() + start, s.bytes.begin() + start + n);
      ASSIGN_OR_RETURN(c, chunkenc::EncodeBytesChunk(steps, ts, views));
    }
    ASSIGN_OR_RETURN(auto idx, chunkenc::ChunkIndex::Parse(c.index));
    e.stats.push_back(chunkenc::Aggregate(idx.blocks()));
    e.chunks.push_back(std::move(c));
  }
  size_t last = s.size() - 1;
  e.last_step = s.steps[last];
  e.last_ts = s.ts[last];
  if (floats)
    e.last_float = s.floats[last];
  else
    e.last_bytes = s.bytes[last];
  e.count = static_cast<int64_t>(s.size());
  return e;
}

}  // namespace sextant::storage
