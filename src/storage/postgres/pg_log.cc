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
#include <map>
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

// Locks the run's row against a purge (on any replica) until the write
// commits: what the foreign keys did per row, once per write. A purge that
// committed first leaves no row: the write fails and stores nothing.
Status LockRun(Conn& c, const RunInfo& run) {
  ASSIGN_OR_RETURN(Rows rows, c.Query("SELECT 1 FROM runs WHERE id = $1 FOR KEY SHARE",
                                      Params().Add(run.id)));
  if (!rows.size()) return Status::NotFound("run '" + run.run_id + "' was deleted");
  return Status::Ok();
}

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

Result<std::vector<AttrKey>> PgBackend::EnsureAttributes(
    Conn& c, int64_t run_id, const std::vector<std::pair<std::string, model::AttrType>>& wanted,
    AttrCache::Created* created) {
  std::vector<std::optional<AttrKey>> found(wanted.size());
  std::map<std::string, model::AttrType> missing;  // path -> type (one row each)
  for (size_t i = 0; i < wanted.size(); ++i) {
    found[i] = attrs_.Find(AttrCache::Key(run_id, wanted[i].first));
    if (!found[i]) missing.emplace(wanted[i].first, wanted[i].second);
  }
  if (!missing.empty()) {
    // Insert or find them all in one round trip; the no-op update makes
    // RETURNING answer for existing rows too.
    std::vector<std::string> paths;
    std::vector<int64_t> types;
    for (const auto& [path, type] : missing) {
      paths.push_back(path);
      types.push_back(static_cast<int64_t>(type));
    }
    ASSIGN_OR_RETURN(Rows rows, c.Query(
        "INSERT INTO attributes (run_id, path, type) SELECT $1, u.path, u.type "
        "FROM unnest($2::bytea[], $3::bigint[]) AS u(path, type) "
        "ON CONFLICT (run_id, path) DO UPDATE SET run_id = attributes.run_id RETURNING id, type, path",
        Params().Add(run_id).AddArray(paths).AddArray(types)));
    std::map<std::string, AttrKey> got;
    for (int i = 0; i < rows.size(); ++i) {
      AttrKey k{rows.Int(i, 0), static_cast<model::AttrType>(rows.Int(i, 1))};
      std::string path = rows.Text(i, 2);
      created->push_back({AttrCache::Key(run_id, path), k});
      got.emplace(std::move(path), k);
    }
    for (size_t i = 0; i < wanted.size(); ++i)
      if (!found[i]) {
        auto it = got.find(wanted[i].first);
        if (it == got.end()) return Status::Internal("attribute '" + wanted[i].first + "' vanished");
        found[i] = it->second;
      }
  }
  std::vector<AttrKey> out;
  out.reserve(wanted.size());
  for (size_t i = 0; i < wanted.size(); ++i) {
    RETURN_IF_ERROR(CheckAttrType(*found[i], wanted[i].first, wanted[i].second));
    out.push_back(*found[i]);
  }
  return out;
}

Status PgBackend::UpsertConfigs(Conn& c, int64_t run_id,
                                const std::vector<std::pair<std::string, model::Value>>& configs,
                                int64_t now_us, AttrCache::Created* created) {
  if (configs.empty()) return Status::Ok();
  // One row per path (the last value given wins, as if written in order):
  // a statement may not update a row twice.
  std::map<std::string, const model::Value*> last;
  for (const auto& [path, value] : configs) last[path] = &value;
  std::vector<std::string> paths;
  std::vector<int64_t> types;
  std::vector<std::optional<double>> nums;
  std::vector<std::optional<int64_t>> ints;
  std::vector<std::optional<std::string>> texts;
  for (const auto& [path, v] : last) {
    ValueColumns col = ConfigColumns(*v);
    paths.push_back(path);
    types.push_back(static_cast<int64_t>(v->type));
    nums.push_back(col.num);
    ints.push_back(col.int_value);
    texts.push_back(std::move(col.text));
  }
  // last_ts: when the config was last set (the trash's retention counts
  // from when sys/trashed was set). A row whose stored type differs is not
  // updated, and so not returned: that is a conflict.
  ASSIGN_OR_RETURN(Rows rows, c.Query(
      "INSERT INTO attributes (run_id, path, type, num, int_value, text_value, last_ts) "
      "SELECT $1, u.path, u.type, u.num, u.iv, u.tv, $7 FROM "
      "unnest($2::bytea[], $3::bigint[], $4::float8[], $5::bigint[], $6::bytea[]) AS u(path, type, num, iv, tv) "
      "ON CONFLICT (run_id, path) DO UPDATE SET num = excluded.num, int_value = excluded.int_value, "
      "text_value = excluded.text_value, last_ts = excluded.last_ts "
      "WHERE attributes.type = excluded.type RETURNING path",
      Params().Add(run_id).AddArray(paths).AddArray(types).AddArray(nums).AddArray(ints)
          .AddArray(texts).Add(now_us)));
  if (rows.size() == static_cast<int>(paths.size())) return Status::Ok();
  std::set<std::string> stored;
  for (int i = 0; i < rows.size(); ++i) stored.insert(rows.Text(i, 0));
  for (const auto& [path, v] : last)
    if (!stored.count(path))  // let EnsureAttribute phrase the conflict
      RETURN_IF_ERROR(EnsureAttribute(c, run_id, path, v->type, created).status());
  return Status::Internal("configs were not stored");
}

Status PgBackend::WriteConfig(Conn& c, int64_t attr_id, const model::Value& v) {
  Params p;
  AddConfigValue(p, v);
  p.Add(attr_id);
  return c.Query("UPDATE attributes SET num = $1, int_value = $2, text_value = $3 WHERE id = $4", p)
      .status();
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

void ChunkColumns::Add(int64_t attr_id, const chunkenc::EncodedChunk& chunk, const chunkenc::ChunkStats& st) {
  attr.push_back(attr_id);
  first.push_back(st.first_step);
  last.push_back(st.last_step);
  count.push_back(static_cast<int64_t>(st.count));
  mins.push_back(st.min);
  maxs.push_back(st.max);
  sums.push_back(st.sum);
  min_ts.push_back(st.min_ts);
  max_ts.push_back(st.max_ts);
  idx.push_back(chunk.index);
  data.push_back(chunk.data);
}

Status ChunkColumns::Insert(Conn& c, int level) const {
  if (attr.empty()) return Status::Ok();
  return c.Query(
      "INSERT INTO chunks (attr_id, level, first_step, last_step, count, min_value, max_value, "
      "sum_value, min_ts, max_ts, idx, data) SELECT u.a, $12, u.f, u.l, u.n, u.mn, u.mx, u.sm, u.t0, "
      "u.t1, u.i, u.d FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], "
      "$5::float8[], $6::float8[], $7::float8[], $8::bigint[], $9::bigint[], $10::bytea[], "
      "$11::bytea[]) AS u(a, f, l, n, mn, mx, sm, t0, t1, i, d)",
      Params().AddArray(attr).AddArray(first).AddArray(last).AddArray(count).AddArray(mins)
          .AddArray(maxs).AddArray(sums).AddArray(min_ts).AddArray(max_ts).AddArray(idx)
          .AddArray(data).Add(int64_t{level})).status();
}

Status PgBackend::WriteSeries(Conn& c, const std::vector<EncodedSeries>& series,
                              const std::vector<int64_t>& ids) {
  // Every chunk of the batch in one statement (chunks of one series cover
  // disjoint steps, so their relative ids do not matter).
  ChunkColumns cols;
  for (size_t i = 0; i < series.size(); ++i)
    for (size_t k = 0; k < series[i].chunks.size(); ++k)
      cols.Add(ids[i], series[i].chunks[k], series[i].stats[k]);
  RETURN_IF_ERROR(cols.Insert(c, /*level=*/0));
  // The last values and counts, one statement for every series; a series
  // named twice in one batch is folded first (an UPDATE … FROM changes a
  // row once).
  std::map<int64_t, size_t> at;  // attr id -> index in the columns below
  std::vector<int64_t> uid, ucount, ustep, uts;
  std::vector<std::optional<double>> unum;
  std::vector<std::optional<int64_t>> uint;
  std::vector<std::optional<std::string>> utext;
  for (size_t i = 0; i < series.size(); ++i) {
    const auto& s = series[i];
    auto [it, fresh] = at.emplace(ids[i], uid.size());
    if (!fresh) {
      size_t j = it->second;
      ucount[j] += s.count;
      if (!model::ReplacesLastValue(ustep[j], s.last_step)) continue;
    } else {
      uid.push_back(ids[i]);
      ucount.push_back(s.count);
      ustep.emplace_back();
      uts.emplace_back();
      unum.emplace_back();
      uint.emplace_back();
      utext.emplace_back();
    }
    size_t j = it->second;
    ustep[j] = s.last_step;
    uts[j] = s.last_ts;
    if (s.type == model::AttrType::kFloatSeries) {
      unum[j] = s.last_float;
      uint[j] = DoubleBits(s.last_float);
      utext[j].reset();
    } else {
      unum[j].reset();
      uint[j].reset();
      utext[j] = s.last_bytes;
    }
  }
  // model::ReplacesLastValue, in SQL.
  return c.Query(
      "UPDATE attributes a SET point_count = a.point_count + u.n, "
      "num = CASE WHEN a.last_step IS NULL OR a.last_step <= u.s THEN u.num ELSE a.num END, "
      "int_value = CASE WHEN a.last_step IS NULL OR a.last_step <= u.s THEN u.iv ELSE a.int_value END, "
      "text_value = CASE WHEN a.last_step IS NULL OR a.last_step <= u.s THEN u.tv ELSE a.text_value END, "
      "last_ts = CASE WHEN a.last_step IS NULL OR a.last_step <= u.s THEN u.ts ELSE a.last_ts END, "
      "last_step = CASE WHEN a.last_step IS NULL OR a.last_step <= u.s THEN u.s ELSE a.last_step END "
      "FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::float8[], $5::bigint[], $6::bytea[], "
      "$7::bigint[]) AS u(id, n, s, num, iv, tv, ts) WHERE a.id = u.id",
      Params().AddArray(uid).AddArray(ucount).AddArray(ustep).AddArray(unum).AddArray(uint)
          .AddArray(utext).AddArray(uts)).status();
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
        RETURN_IF_ERROR(LockRun(c, run));
        RETURN_IF_ERROR(UpsertConfigs(c, run.id, batch.configs, now_us, &created));
        if (!batch.remove_configs.empty())  // only configs: series and files stay
          RETURN_IF_ERROR(c.Query("DELETE FROM attributes WHERE run_id = $1 AND path = ANY($2::bytea[]) "
                                  "AND type BETWEEN $3 AND $4",
                                  Params().Add(run.id).AddArray(batch.remove_configs)
                                      .Add(static_cast<int64_t>(model::AttrType::kFloat))
                                      .Add(static_cast<int64_t>(model::AttrType::kStringSet)))
                              .status());
        RETURN_IF_ERROR(ApplyTags(c, run.id, batch, &created));
        std::vector<std::pair<std::string, model::AttrType>> wanted;
        for (const auto& s : series) wanted.emplace_back(s.path, s.type);
        ASSIGN_OR_RETURN(std::vector<AttrKey> keys, EnsureAttributes(c, run.id, wanted, &created));
        std::vector<int64_t> ids;
        for (const auto& k : keys) ids.push_back(k.id);
        if (!ids.empty()) {
          std::vector<int64_t> sorted = ids;
          std::sort(sorted.begin(), sorted.end());
          RETURN_IF_ERROR(c.Query("SELECT pg_advisory_xact_lock_shared(x) FROM unnest($1::bigint[]) x",
                                  Params().AddArray(sorted))
                              .status());
        }
        if (!series.empty()) RETURN_IF_ERROR(WriteSeries(c, series, ids));
        for (size_t i = 0; i < series.size(); ++i) {
          chunk_counts.push_back({ids[i], static_cast<int>(series[i].chunks.size())});
          outcome.points += series[i].count;
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
        RETURN_IF_ERROR(LockRun(c, run));
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
        // The run's row first: a write holding it (LockRun) commits before
        // this goes on, and the statements below see what it wrote.
        RETURN_IF_ERROR(c.Query("DELETE FROM runs WHERE id = $1", Params().Add(run.id)).status());
        ASSIGN_OR_RETURN(Rows files, c.Query(
            "SELECT DISTINCT f.digest FROM files f JOIN attributes a ON f.attr_id = a.id "
            "WHERE a.run_id = $1",
            Params().Add(run.id)));
        std::set<std::string> digests;
        for (int i = 0; i < files.size(); ++i) digests.insert(files.Text(i, 0));
        for (const char* sql :
             {"DELETE FROM chunks WHERE attr_id IN (SELECT id FROM attributes WHERE run_id = $1)",
              "DELETE FROM files WHERE attr_id IN (SELECT id FROM attributes WHERE run_id = $1)",
              "DELETE FROM attributes WHERE run_id = $1"})
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
