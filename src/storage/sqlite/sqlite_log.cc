// The write path: Log (configs, tags, series chunks, state) and files.
#include <cstring>

#include <nlohmann/json.hpp>

#include "model/rules.h"
#include "storage/config_columns.h"
#include "storage/sqlite/sqlite_backend.h"

namespace sextant::storage::sqlite {

Result<AttrKey> SqliteBackend::EnsureAttribute(
    Db& db, int64_t run_id, const std::string& path, model::AttrType type,
    AttrCache::Created* created) {
  std::string key = AttrCache::Key(run_id, path);
  std::optional<AttrKey> found = attrs_.Find(key);
  if (!found) {
    ASSIGN_OR_RETURN(Stmt * s, db.Prepare("SELECT id, type FROM attributes WHERE run_id = ? AND path = ?"));
    s->Bind(1, run_id).Bind(2, path);
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (row) found = AttrKey{s->Int(0), static_cast<model::AttrType>(s->Int(1))};
    s->Reset();
    if (!found) {
      ASSIGN_OR_RETURN(Stmt * ins, db.Prepare(
          "INSERT INTO attributes (run_id, path, type) VALUES (?, ?, ?)"));
      RETURN_IF_ERROR(ins->Bind(1, run_id).Bind(2, path).Bind(3, int64_t(type)).Exec());
      found = AttrKey{db.LastInsertId(), type};
    }
    created->push_back({key, *found});
  }
  RETURN_IF_ERROR(CheckAttrType(*found, path, type));
  return *found;
}

namespace {

// Binds a config value to the (num, int_value, text_value) columns at
// parameters first, first + 1, first + 2 (storage/config_columns.h).
void BindConfigValue(Stmt* s, int first, const model::Value& v) {
  ValueColumns c = ConfigColumns(v);
  s->Bind(first, c.num).Bind(first + 1, c.int_value).Bind(first + 2, c.text);
}

}  // namespace

Status SqliteBackend::WriteConfig(Db& db, int64_t attr_id, const model::Value& v) {
  ASSIGN_OR_RETURN(Stmt * s, db.Prepare(
      "UPDATE attributes SET num = ?, int_value = ?, text_value = ? WHERE id = ?"));
  BindConfigValue(s, 1, v);
  return s->Bind(4, attr_id).Exec();
}

// One statement per config value: insert, or update when the stored type is
// the same. No row back means the type differs, which is a conflict.
Status SqliteBackend::UpsertConfig(Db& db, int64_t run_id, const std::string& path,
                                   const model::Value& v, int64_t now_us,
                                   AttrCache::Created* created) {
  // last_ts: when the config was last set (the trash's retention counts from
  // when sys/trashed was set).
  ASSIGN_OR_RETURN(Stmt * s, db.Prepare(
      "INSERT INTO attributes (run_id, path, type, num, int_value, text_value, last_ts) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (run_id, path) DO UPDATE SET "
      "num = excluded.num, int_value = excluded.int_value, text_value = excluded.text_value, "
      "last_ts = excluded.last_ts WHERE attributes.type = excluded.type RETURNING id"));
  s->Bind(1, run_id).Bind(2, path).Bind(3, static_cast<int64_t>(v.type)).Bind(7, now_us);
  BindConfigValue(s, 4, v);
  ASSIGN_OR_RETURN(bool row, s->Step());
  if (row) {  // configs stay out of the attribute cache: it is for the series hot path
    s->Reset();
    return Status::Ok();
  }
  s->Reset();
  // The type differs: let EnsureAttribute phrase the conflict.
  return EnsureAttribute(db, run_id, path, v.type, created).status();
}

Status SqliteBackend::ApplyTags(Db& db, int64_t run_id, const model::LogBatch& batch,
                                AttrCache::Created* created) {
  if (batch.add_tags.empty() && batch.remove_tags.empty()) return Status::Ok();
  ASSIGN_OR_RETURN(AttrKey k, EnsureAttribute(db, run_id, "sys/tags",
                                              model::AttrType::kStringSet, created));
  ASSIGN_OR_RETURN(Stmt * s, db.Prepare("SELECT text_value FROM attributes WHERE id = ?"));
  s->Bind(1, k.id);
  ASSIGN_OR_RETURN(bool row, s->Step());
  std::vector<std::string> tags;
  if (row && !s->IsNull(0)) tags = nlohmann::json::parse(s->Text(0)).get<std::vector<std::string>>();
  s->Reset();
  return WriteConfig(db, k.id, model::EditTags(std::move(tags), batch.add_tags, batch.remove_tags));
}

Status SqliteBackend::InsertChunk(Db& db, int64_t attr_id, int level,
                                  const chunkenc::EncodedChunk& c, const chunkenc::ChunkStats& s) {
  ASSIGN_OR_RETURN(Stmt * ins, db.Prepare(
      "INSERT INTO chunks (attr_id, level, first_step, last_step, count, min_value, max_value, "
      "sum_value, min_ts, max_ts, idx, data, id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  ins->Bind(1, attr_id).Bind(2, int64_t(level)).Bind(3, s.first_step).Bind(4, s.last_step)
      .Bind(5, static_cast<int64_t>(s.count)).Bind(6, s.min).Bind(7, s.max).Bind(8, s.sum)
      .Bind(9, s.min_ts).Bind(10, s.max_ts).BindBlob(11, c.index).BindBlob(12, c.data)
      .Bind(13, next_chunk_id_++);  // never reused: see next_chunk_id_
  return ins->Exec();
}

Result<LogOutcome> SqliteBackend::Log(const RunInfo& run, const model::LogBatch& batch,
                                      std::vector<EncodedSeries> series, int64_t now_us,
                                      const OnCommit& on_commit) {
  LogOutcome outcome;
  AttrCache::Created created;
  std::vector<std::pair<int64_t, int>> chunk_counts;
  Status st = writer_->Submit(
      [&](Db& db) -> Status {
        created.clear();
        chunk_counts.clear();
        for (const auto& [path, value] : batch.configs)
          RETURN_IF_ERROR(UpsertConfig(db, run.id, path, value, now_us, &created));
        if (!batch.remove_configs.empty()) {
          // Only configs: a series or file keeps its data.
          ASSIGN_OR_RETURN(Stmt * del, db.Prepare(
              "DELETE FROM attributes WHERE run_id = ? AND path = ? AND type BETWEEN ? AND ?"));
          for (const auto& path : batch.remove_configs)
            RETURN_IF_ERROR(del->Bind(1, run.id).Bind(2, path)
                                .Bind(3, static_cast<int64_t>(model::AttrType::kFloat))
                                .Bind(4, static_cast<int64_t>(model::AttrType::kStringSet))
                                .Exec());
        }
        RETURN_IF_ERROR(ApplyTags(db, run.id, batch, &created));
        ASSIGN_OR_RETURN(Stmt * upd, db.Prepare(
            // model::ReplacesLastValue, in SQL.
            "UPDATE attributes SET point_count = point_count + ?1, "
            "num = CASE WHEN last_step IS NULL OR last_step <= ?2 THEN ?3 ELSE num END, "
            "int_value = CASE WHEN last_step IS NULL OR last_step <= ?2 THEN ?4 ELSE int_value END, "
            "text_value = CASE WHEN last_step IS NULL OR last_step <= ?2 THEN ?5 ELSE text_value END, "
            "last_ts = CASE WHEN last_step IS NULL OR last_step <= ?2 THEN ?6 ELSE last_ts END, "
            "last_step = CASE WHEN last_step IS NULL OR last_step <= ?2 THEN ?2 ELSE last_step END "
            "WHERE id = ?7"));
        for (const auto& s : series) {
          ASSIGN_OR_RETURN(AttrKey k, EnsureAttribute(db, run.id, s.path, s.type, &created));
          for (size_t i = 0; i < s.chunks.size(); ++i)
            RETURN_IF_ERROR(InsertChunk(db, k.id, 0, s.chunks[i], s.stats[i]));
          upd->Bind(1, s.count).Bind(2, s.last_step);
          if (s.type == model::AttrType::kFloatSeries) {
            upd->Bind(3, s.last_float).Bind(4, DoubleBits(s.last_float)).BindNull(5);
          } else {
            upd->BindNull(3).BindNull(4).Bind(5, s.last_bytes);
          }
          RETURN_IF_ERROR(upd->Bind(6, s.last_ts).Bind(7, k.id).Exec());
          chunk_counts.push_back({k.id, static_cast<int>(s.chunks.size())});
          outcome.points += s.count;
        }
        ASSIGN_OR_RETURN(Stmt * r, db.Prepare(
            "UPDATE runs SET updated_us = ?, state = COALESCE(?, state), "
            "name = COALESCE(?, name) WHERE id = ?"));
        std::optional<int64_t> state;
        if (batch.state) state = static_cast<int64_t>(*batch.state);
        std::optional<std::string> name = model::RenameOf(batch);
        RETURN_IF_ERROR(r->Bind(1, now_us).Bind(2, state).Bind(3, name).Bind(4, run.id).Exec());
        // Purged since the caller found it: the task rolls back, nothing is left behind.
        if (db.Changes() == 0) return Status::NotFound("run '" + run.run_id + "' was deleted");
        outcome.configs = static_cast<int64_t>(batch.configs.size());
        return Status::Ok();
      },
      [&] {
        attrs_.Add(created);
        for (auto [id, n] : chunk_counts) dirty_.Mark(id, n);
        if (on_commit) on_commit();
      });
  if (!st.ok()) return st;
  return outcome;
}

Status SqliteBackend::SetState(int64_t run_id, model::RunState state, int64_t now_us,
                               const OnCommit& on_commit) {
  return writer_->Submit(
      [&](Db& db) -> Status {
        ASSIGN_OR_RETURN(Stmt * s, db.Prepare("UPDATE runs SET state = ?, updated_us = ? WHERE id = ?"));
        return s->Bind(1, static_cast<int64_t>(state)).Bind(2, now_us).Bind(3, run_id).Exec();
      },
      on_commit);
}

Status SqliteBackend::PutFile(const RunInfo& run, const std::string& path,
                              std::optional<int64_t> step, const FileRef& ref, int64_t now_us,
                              const OnCommit& on_commit) {
  AttrCache::Created created;
  return writer_->Submit(
      [&](Db& db) -> Status {
        created.clear();
        auto type = step ? model::AttrType::kFileSeries : model::AttrType::kFile;
        ASSIGN_OR_RETURN(AttrKey k, EnsureAttribute(db, run.id, path, type, &created));
        ASSIGN_OR_RETURN(Stmt * s, db.Prepare(
            "INSERT INTO files (attr_id, step, digest, size, filename, created_us) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (attr_id, step) DO UPDATE SET "
            "digest = excluded.digest, size = excluded.size, filename = excluded.filename, "
            "created_us = excluded.created_us"));
        RETURN_IF_ERROR(s->Bind(1, k.id).Bind(2, step.value_or(0)).Bind(3, ref.digest)
                            .Bind(4, ref.size).Bind(5, ref.filename).Bind(6, now_us).Exec());
        ASSIGN_OR_RETURN(Stmt * u, db.Prepare(
            "UPDATE attributes SET text_value = ?1, int_value = ?2, point_count = "
            "(SELECT COUNT(*) FROM files WHERE attr_id = ?3), last_ts = ?4, "
            "last_step = CASE WHEN ?5 IS NULL THEN NULL ELSE MAX(COALESCE(last_step, ?5), ?5) END "
            "WHERE id = ?3"));
        RETURN_IF_ERROR(u->Bind(1, ref.digest).Bind(2, ref.size).Bind(3, k.id).Bind(4, now_us)
                            .Bind(5, step).Exec());
        ASSIGN_OR_RETURN(Stmt * r, db.Prepare("UPDATE runs SET updated_us = ? WHERE id = ?"));
        RETURN_IF_ERROR(r->Bind(1, now_us).Bind(2, run.id).Exec());
        if (db.Changes() == 0) return Status::NotFound("run '" + run.run_id + "' was deleted");
        return Status::Ok();
      },
      [&] {
        attrs_.Add(created);
        if (on_commit) on_commit();
      });
}

}  // namespace sextant::storage::sqlite
