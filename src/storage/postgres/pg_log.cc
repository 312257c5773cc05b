// The write path: configs, tags, series chunks, state, files, purges. Every
// write runs as a task of the group commit (storage/group_commit.h).
//
// Ingest and compaction of one series are ordered by an advisory lock on the
// attribute id: ingest takes it shared, compaction exclusive. Without it, a
// chunk whose id was drawn before a compaction's but committed after it
// would lose to the sealed chunk (greater id) and its newer values would be
// hidden — the same rule that SQLite's single writer keeps by construction.
#include <algorithm>
#include <cstring>
#include <set>

#include <nlohmann/json.hpp>

#include "model/rules.h"
#include "storage/config_columns.h"
#include "storage/postgres/pg_backend.h"

namespace sextant::storage::postgres {

namespace {

// Adds a config value as the (num, int_value, text_value) parameters.
void AddConfigValue(Params& p, const model::Value& v) {
  ValueColumns c = ConfigColumns(v);
  p.Add(c.num).Add(c.int_value).Add(c.text);
}

constexpr const char* kTouchRun = "UPDATE runs SET updated_us = $1 WHERE id = $2";

}  // namespace

Result<AttrKey> PgBackend::EnsureAttribute(
    Conn& c, int64_t run_id, const std::string& path, model::AttrType type,
    AttrCache::Created* created) {
  std::string key = AttrCache::Key(run_id, path);
  std::optional<AttrKey> found = attrs_.Find(key);
  if (!found) {
    // Insert or find in one round trip; the no-op update makes RETURNING
    // answer for an existing row too.
    ASSIGN_OR_RETURN(Rows rows, c.Query(
        "INSERT INTO attributes (run_id, path, type) VALUES ($1, $2, $3) "
        "ON CONFLICT (run_id, path) DO UPDATE SET run_id = attributes.run_id RETURNING id, type",
        Params().Add(run_id).Add(path).Add(static_cast<int64_t>(type))));
    found = AttrKey{rows.Int(0, 0), static_cast<model::AttrType>(rows.Int(0, 1))};
    created->push_back({key, *found});
  }
  RETURN_IF_ERROR(CheckAttrType(*found, path, type));
  return *found;
}

Status PgBackend::WriteConfig(Conn& c, int64_t attr_id, const model::Value& v) {
  Params p;
  AddConfigValue(p, v);
  p.Add(attr_id);
  return c.Query("UPDATE attributes SET num = $1, int_value = $2, text_value = $3 WHERE id = $4", p)
      .status();
}

Status PgBackend::UpsertConfig(Conn& c, int64_t run_id, const std::string& path,
                               const model::Value& v, int64_t now_us,
                               AttrCache::Created* created) {
  Params p;
  p.Add(run_id).Add(path).Add(static_cast<int64_t>(v.type));
  AddConfigValue(p, v);
  p.Add(now_us);
  ASSIGN_OR_RETURN(Rows rows, c.Query(
      "INSERT INTO attributes (run_id, path, type, num, int_value, text_value, last_ts) "
      "VALUES ($1, $2, $3, $4::float8, $5::bigint, $6::bytea, $7) ON CONFLICT (run_id, path) DO UPDATE SET "
      "num = excluded.num, int_value = excluded.int_value, text_value = excluded.text_value, "
      "last_ts = excluded.last_ts WHERE attributes.type = excluded.type RETURNING id",
      p));
  if (rows.size()) return Status::Ok();
  // The type differs: let EnsureAttribute phrase the conflict.
  return EnsureAttribute(c, run_id, path, v.type, created).status();
}

Status PgBackend::ApplyTags(Conn& c, int64_t run_id, const model::LogBatch& batch,
                            AttrCache::Created* created) {
  if (batch.add_tags.empty() && batch.remove_tags.empty()) return Status::Ok();
  ASSIGN_OR_RETURN(AttrKey k, EnsureAttribute(c, run_id, "sys/tags", model::AttrType::kStringSet, created));
  // FOR UPDATE: another replica editing the tags waits, so neither edit is lost.
  ASSIGN_OR_RETURN(Rows rows, c.Query("SELECT text_value FROM attributes WHERE id = $1 FOR UPDATE",
                                      Params().Add(k.id)));
  std::vector<std::string> tags;
  if (rows.size() && !rows.IsNull(0, 0)) {
    auto j = nlohmann::json::parse(rows.Bytes(0, 0), nullptr, /*allow_exceptions=*/false);
    if (j.is_array())
      for (auto& t : j)
        if (t.is_string()) tags.push_back(t.get<std::string>());
  }
  return WriteConfig(c, k.id, model::EditTags(std::move(tags), batch.add_tags, batch.remove_tags));
}

Status PgBackend::InsertChunk(Conn& c, int64_t attr_id, int level, const chunkenc::EncodedChunk& chunk,
                              const chunkenc::ChunkStats& s) {
  return c.Query("INSERT INTO chunks (attr_id, level, first_step, last_step, count, min_value, "
                 "max_value, sum_value, min_ts, max_ts, idx, data) "
                 "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                 Params().Add(attr_id).Add(int64_t{level}).Add(s.first_step).Add(s.last_step)
                     .Add(static_cast<int64_t>(s.count)).Add(s.min).Add(s.max).Add(s.sum)
                     .Add(s.min_ts).Add(s.max_ts).Add(chunk.index).Add(chunk.data))
      .status();
}

Result<LogOutcome> PgBackend::Log(const RunInfo& run, const model::LogBatch& batch,
                                  std::vector<EncodedSeries> series, int64_t now_us,
                                  const OnCommit& on_commit) {
  LogOutcome outcome;
  AttrCache::Created created;
  std::vector<std::pair<int64_t, int>> chunk_counts;
  RETURN_IF_ERROR(writer_->Submit(
      [&](Conn& c) -> Status {
        created.clear();
        chunk_counts.clear();
        outcome = {};
        for (const auto& [path, value] : batch.configs)
          RETURN_IF_ERROR(UpsertConfig(c, run.id, path, value, now_us, &created));
        for (const auto& path : batch.remove_configs)  // only configs: series and files stay
          RETURN_IF_ERROR(c.Query("DELETE FROM attributes WHERE run_id = $1 AND path = $2 "
                                  "AND type BETWEEN $3 AND $4",
                                  Params().Add(run.id).Add(path)
                                      .Add(static_cast<int64_t>(model::AttrType::kFloat))
                                      .Add(static_cast<int64_t>(model::AttrType::kStringSet)))
                              .status());
        RETURN_IF_ERROR(ApplyTags(c, run.id, batch, &created));
        std::vector<int64_t> ids;
        for (const auto& s : series) {
          ASSIGN_OR_RETURN(AttrKey k, EnsureAttribute(c, run.id, s.path, s.type, &created));
          ids.push_back(k.id);
        }
        if (!ids.empty()) {
          std::vector<int64_t> sorted = ids;
          std::sort(sorted.begin(), sorted.end());
          RETURN_IF_ERROR(c.Query("SELECT pg_advisory_xact_lock_shared(x) FROM unnest($1::bigint[]) x",
                                  Params().AddArray(sorted))
                              .status());
        }
        for (size_t i = 0; i < series.size(); ++i) {
          const auto& s = series[i];
          for (size_t k = 0; k < s.chunks.size(); ++k)
            RETURN_IF_ERROR(InsertChunk(c, ids[i], 0, s.chunks[k], s.stats[k]));
          Params p;
          p.Add(s.count).Add(s.last_step);
          if (s.type == model::AttrType::kFloatSeries) {
            p.Add(s.last_float).Add(DoubleBits(s.last_float)).AddNull();
          } else {
            p.AddNull().AddNull().Add(s.last_bytes);
          }
          p.Add(s.last_ts).Add(ids[i]);
          // model::ReplacesLastValue, in SQL.
          RETURN_IF_ERROR(c.Query(
              "UPDATE attributes SET point_count = point_count + $1, "
              "num = CASE WHEN last_step IS NULL OR last_step <= $2 THEN $3::float8 ELSE num END, "
              "int_value = CASE WHEN last_step IS NULL OR last_step <= $2 THEN $4::bigint ELSE int_value END, "
              "text_value = CASE WHEN last_step IS NULL OR last_step <= $2 THEN $5::bytea ELSE text_value END, "
              "last_ts = CASE WHEN last_step IS NULL OR last_step <= $2 THEN $6 ELSE last_ts END, "
              "last_step = CASE WHEN last_step IS NULL OR last_step <= $2 THEN $2 ELSE last_step END "
              "WHERE id = $7",
              p).status());
          chunk_counts.push_back({ids[i], static_cast<int>(s.chunks.size())});
          outcome.points += s.count;
        }
        std::optional<int64_t> state;
        if (batch.state) state = static_cast<int64_t>(*batch.state);
        RETURN_IF_ERROR(c.Query("UPDATE runs SET updated_us = $1, state = COALESCE($2::bigint, state), "
                                "name = COALESCE($3::bytea, name) WHERE id = $4",
                                Params().Add(now_us).Add(state).Add(model::RenameOf(batch)).Add(run.id))
                            .status());
        outcome.configs = static_cast<int64_t>(batch.configs.size());
        return Status::Ok();
      },
      [&] {
        attrs_.Add(created);
        for (auto [id, n] : chunk_counts) dirty_.Mark(id, n);
        if (on_commit) on_commit();
      }));
  return outcome;
}

Status PgBackend::SetState(int64_t run_id, model::RunState state, int64_t now_us,
                           const OnCommit& on_commit) {
  return writer_->Submit(
      [&](Conn& c) -> Status {
        return c.Query("UPDATE runs SET state = $1, updated_us = $2 WHERE id = $3",
                       Params().Add(static_cast<int64_t>(state)).Add(now_us).Add(run_id))
            .status();
      },
      on_commit);
}

Status PgBackend::PutFile(const RunInfo& run, const std::string& path, std::optional<int64_t> step,
                          const FileRef& ref, int64_t now_us, const OnCommit& on_commit) {
  AttrCache::Created created;
  return writer_->Submit(
      [&](Conn& c) -> Status {
        created.clear();
        auto type = step ? model::AttrType::kFileSeries : model::AttrType::kFile;
        ASSIGN_OR_RETURN(AttrKey k, EnsureAttribute(c, run.id, path, type, &created));
        RETURN_IF_ERROR(c.Query(
            "INSERT INTO files (attr_id, step, digest, size, filename, created_us) "
            "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (attr_id, step) DO UPDATE SET "
            "digest = excluded.digest, size = excluded.size, filename = excluded.filename, "
            "created_us = excluded.created_us",
            Params().Add(k.id).Add(step.value_or(0)).Add(ref.digest).Add(ref.size)
                .Add(ref.filename).Add(now_us)).status());
        RETURN_IF_ERROR(c.Query(
            "UPDATE attributes SET text_value = $1, int_value = $2, point_count = "
            "(SELECT COUNT(*) FROM files WHERE attr_id = $3), last_ts = $4, "
            "last_step = CASE WHEN $5::bigint IS NULL THEN NULL "
            "ELSE GREATEST(COALESCE(last_step, $5::bigint), $5::bigint) END WHERE id = $3",
            Params().Add(ref.digest).Add(ref.size).Add(k.id).Add(now_us).Add(step)).status());
        return c.Query(kTouchRun, Params().Add(now_us).Add(run.id)).status();
      },
      [&] {
        attrs_.Add(created);
        if (on_commit) on_commit();
      });
}

Status PgBackend::DeleteFiles(const RunInfo& run, const std::vector<std::string>& paths,
                              int64_t now_us, const OnCommit& on_commit) {
  if (paths.empty()) return Status::Ok();
  // No cached id of a deleted row may survive (see the SQLite backend).
  auto evict = [&] { attrs_.Evict(run.id, paths); };
  return writer_->Submit(
      [&](Conn& c) -> Status {
        evict();
        bool any = false;
        for (const auto& path : paths) {
          ASSIGN_OR_RETURN(Rows rows, c.Query(
              "SELECT id FROM attributes WHERE run_id = $1 AND path = $2 AND type IN ($3, $4)",
              Params().Add(run.id).Add(path).Add(static_cast<int64_t>(model::AttrType::kFile))
                  .Add(static_cast<int64_t>(model::AttrType::kFileSeries))));
          if (!rows.size()) continue;
          int64_t attr_id = rows.Int(0, 0);
          RETURN_IF_ERROR(c.Query("DELETE FROM files WHERE attr_id = $1", Params().Add(attr_id)).status());
          RETURN_IF_ERROR(c.Query("DELETE FROM attributes WHERE id = $1", Params().Add(attr_id)).status());
          any = true;
        }
        if (!any) return Status::Ok();
        return c.Query(kTouchRun, Params().Add(now_us).Add(run.id)).status();
      },
      [&] {
        evict();
        if (on_commit) on_commit();
      });
}

Result<std::vector<std::string>> PgBackend::PurgeRun(const RunInfo& run) {
  std::vector<std::string> orphans;
  RETURN_IF_ERROR(writer_->Submit(
      [&](Conn& c) -> Status {
        attrs_.EvictRun(run.id);
        orphans.clear();
        ASSIGN_OR_RETURN(Rows files, c.Query(
            "SELECT DISTINCT f.digest FROM files f JOIN attributes a ON f.attr_id = a.id "
            "WHERE a.run_id = $1",
            Params().Add(run.id)));
        std::set<std::string> digests;
        for (int i = 0; i < files.size(); ++i) digests.insert(files.Text(i, 0));
        for (const char* sql :
             {"DELETE FROM chunks WHERE attr_id IN (SELECT id FROM attributes WHERE run_id = $1)",
              "DELETE FROM files WHERE attr_id IN (SELECT id FROM attributes WHERE run_id = $1)",
              "DELETE FROM attributes WHERE run_id = $1", "DELETE FROM runs WHERE id = $1"})
          RETURN_IF_ERROR(c.Query(sql, Params().Add(run.id)).status());
        for (const auto& d : digests) {
          ASSIGN_OR_RETURN(Rows used, c.Query("SELECT 1 FROM files WHERE digest = $1 LIMIT 1",
                                              Params().Add(d)));
          if (!used.size()) orphans.push_back(d);
        }
        return Status::Ok();
      },
      [&] { attrs_.EvictRun(run.id); }));
  return orphans;
}

}  // namespace sextant::storage::postgres
