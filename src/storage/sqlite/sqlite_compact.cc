// The compactor: merges level-0 chunks (one per request and series) with the
// sealed chunks they overlap or continue, resolving overwritten steps, into
// sealed level-1 chunks of up to kSealedChunkPoints points. After it, the
// chunks of a series never overlap, so reads can use chunk statistics.
#include <algorithm>

#include "storage/series_merge.h"
#include "storage/sqlite/sqlite_backend.h"

namespace sextant::storage::sqlite {

namespace {

// A series is compacted once it has this many unsealed chunks, or when it has
// been idle for kIdleBeforeCompaction: often enough that reads rarely merge,
// rarely enough that a steady writer does not rewrite its tail per request.
constexpr int kMinUnsealedChunks = 16;
constexpr auto kIdleBeforeCompaction = std::chrono::seconds(1);

struct Meta {
  int64_t id;
  int level;
  int64_t first, last, count;
  bool included = false;
};

}  // namespace

Status SqliteBackend::CompactSeries(Db& db, int64_t attr_id, bool* changed) {
  *changed = false;
  std::vector<Meta> meta;
  {
    ASSIGN_OR_RETURN(Stmt * s, db.Prepare(
        "SELECT id, level, first_step, last_step, count FROM chunks WHERE attr_id = ? "
        "ORDER BY first_step, id"));
    s->Bind(1, attr_id);
    for (;;) {
      ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      meta.push_back({s->Int(0), static_cast<int>(s->Int(1)), s->Int(2), s->Int(3), s->Int(4)});
    }
    s->Reset();
  }
  bool any = false;
  for (auto& m : meta) any |= m.included = (m.level == 0);
  if (!any) return Status::Ok();
  // Sealed chunks overlapping an unsealed one must be merged with it.
  for (auto& m : meta) {
    if (m.included) continue;
    for (const auto& o : meta)
      if (o.level == 0 && o.first <= m.last && m.first <= o.last) {
        m.included = true;
        break;
      }
  }
  // A partly filled sealed neighbour is merged too, so appends fill chunks up.
  for (size_t i = 0; i < meta.size(); ++i) {
    if (meta[i].included || meta[i].count >= static_cast<int64_t>(kSealedChunkPoints)) continue;
    if ((i > 0 && meta[i - 1].included && meta[i - 1].level == 0) ||
        (i + 1 < meta.size() && meta[i + 1].included && meta[i + 1].level == 0))
      meta[i].included = true;
  }

  ASSIGN_OR_RETURN(Stmt * get, db.Prepare("SELECT idx, data FROM chunks WHERE id = ?"));
  ASSIGN_OR_RETURN(Stmt * del, db.Prepare("DELETE FROM chunks WHERE id = ?"));
  for (size_t i = 0; i < meta.size();) {
    if (!meta[i].included) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < meta.size() && meta[j].included) ++j;
    // meta[i, j) is one group of consecutive included chunks.
    std::vector<ChunkRow> rows;
    for (size_t k = i; k < j; ++k) {
      get->Bind(1, meta[k].id);
      ASSIGN_OR_RETURN(bool row, get->Step());
      if (!row) return Status::Internal("chunk vanished during compaction");
      ChunkRow c;
      c.id = meta[k].id;
      c.index = std::string(get->BlobView(0));
      c.data = std::string(get->BlobView(1));
      get->Reset();
      rows.push_back(std::move(c));
    }
    std::vector<const ChunkRow*> ptrs;
    for (const auto& r : rows) ptrs.push_back(&r);
    Points merged;
    RETURN_IF_ERROR(MergeChunks(ptrs, INT64_MIN, INT64_MAX, &merged)
                        .WithContext("compacting series " + std::to_string(attr_id)));
    ASSIGN_OR_RETURN(auto idx0, chunkenc::ChunkIndex::Parse(rows[0].index));
    bool floats = idx0.encoding() == chunkenc::Encoding::kFloatXor;
    ASSIGN_OR_RETURN(auto chunks, EncodePoints(merged, floats, kSealedChunkPoints));
    for (size_t k = i; k < j; ++k) RETURN_IF_ERROR(del->Bind(1, meta[k].id).Exec());
    for (const auto& c : chunks) {
      ASSIGN_OR_RETURN(auto idx, chunkenc::ChunkIndex::Parse(c.index));
      RETURN_IF_ERROR(InsertChunk(db, attr_id, 1, c, chunkenc::Aggregate(idx.blocks())));
    }
    i = j;
  }
  ASSIGN_OR_RETURN(Stmt * cnt, db.Prepare(
      "UPDATE attributes SET point_count = (SELECT COALESCE(SUM(count), 0) FROM chunks "
      "WHERE attr_id = ?1) WHERE id = ?1"));
  RETURN_IF_ERROR(cnt->Bind(1, attr_id).Exec());
  *changed = true;
  return Status::Ok();
}

Result<int> SqliteBackend::CompactSome(int max_series, bool force) {
  if (closed_) return 0;
  std::vector<int64_t> picked;
  {
    std::lock_guard<std::mutex> l(dirty_mu_);
    auto now = std::chrono::steady_clock::now();
    for (auto& [id, d] : dirty_) {
      if (static_cast<int>(picked.size()) >= max_series) break;
      if (force || d.first >= kMinUnsealedChunks || now - d.second >= kIdleBeforeCompaction)
        picked.push_back(id);
    }
  }
  if (picked.empty()) return 0;
  int done = 0;
  Status st = writer_->Submit(
      [&](Db& db) -> Status {
        done = 0;
        for (int64_t id : picked) {
          bool changed;
          RETURN_IF_ERROR(CompactSeries(db, id, &changed));
          done += changed;
        }
        return Status::Ok();
      },
      [&] {
        std::lock_guard<std::mutex> l(dirty_mu_);
        for (int64_t id : picked) dirty_.erase(id);
      });
  if (!st.ok()) return st;
  return done;
}

}  // namespace sextant::storage::sqlite
