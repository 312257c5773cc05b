// The read path: attributes, chunks and file references. Reads that must see
// one state (a project's runs and attributes, a chunk list and the payloads
// it names) run in a REPEATABLE READ snapshot.
#include <algorithm>
#include <cstring>
#include <unordered_map>
#include <limits>

#include "storage/config_columns.h"
#include "storage/postgres/pg_backend.h"
#include "storage/series_merge.h"

namespace sextant::storage::postgres {

const char* const kAttrColumns =
    "id, path, type, num, int_value, text_value, last_step, last_ts, point_count";

AttributeInfo ReadAttribute(const Rows& rows, int i, int c) {
  AttributeInfo a;
  a.id = rows.Int(i, c);
  a.path = rows.Text(i, c + 1);
  a.type = static_cast<model::AttrType>(rows.Int(i, c + 2));
  std::optional<int64_t> iv;
  std::optional<std::string_view> text;
  if (!rows.IsNull(i, c + 4)) iv = rows.Int(i, c + 4);
  if (!rows.IsNull(i, c + 5)) text = rows.Bytes(i, c + 5);
  a.value = ValueFromColumns(a.type, iv, text);
  if (!rows.IsNull(i, c + 6)) a.last_step = rows.Int(i, c + 6);
  a.last_ts = rows.Int(i, c + 7);
  a.count = rows.Int(i, c + 8);
  return a;
}

namespace {

ChunkRow ReadChunkMeta(const Rows& rows, int i) {
  ChunkRow c;
  c.id = rows.Int(i, 0);
  c.level = static_cast<int>(rows.Int(i, 1));
  c.first_step = rows.Int(i, 2);
  c.last_step = rows.Int(i, 3);
  c.count = rows.Int(i, 4);
  c.index = rows.Text(i, 5);
  return c;
}

constexpr const char* kChunksInRange =
    "FROM chunks WHERE attr_id = $1 AND first_step <= $2 AND last_step >= $3 "
    "ORDER BY first_step, id";

Result<std::vector<ChunkRow>> ReadChunksOn(Conn& c, int64_t attr_id, int64_t lo, int64_t hi) {
  ASSIGN_OR_RETURN(Rows rows, c.Query(std::string("SELECT id, level, first_step, last_step, count, idx, data ") +
                                          kChunksInRange,
                                      Params().Add(attr_id).Add(hi).Add(lo)));
  std::vector<ChunkRow> out;
  out.reserve(rows.size());
  for (int i = 0; i < rows.size(); ++i) {
    ChunkRow ch = ReadChunkMeta(rows, i);
    ch.data = rows.Text(i, 6);
    out.push_back(std::move(ch));
  }
  return out;
}

}  // namespace

Result<std::vector<ChunkMeta>> ListChunkMeta(Conn& c, int64_t attr_id) {
  ASSIGN_OR_RETURN(Rows rows, c.Query("SELECT id, level, first_step, last_step, count FROM chunks "
                                      "WHERE attr_id = $1 ORDER BY first_step, id",
                                      Params().Add(attr_id)));
  std::vector<ChunkMeta> meta;
  meta.reserve(rows.size());
  for (int i = 0; i < rows.size(); ++i)
    meta.push_back({rows.Int(i, 0), static_cast<int>(rows.Int(i, 1)), rows.Int(i, 2),
                    rows.Int(i, 3), rows.Int(i, 4)});
  return meta;
}

Result<std::vector<AttributeInfo>> PgBackend::ListAttributes(int64_t run_id) {
  return ListAttributesAfter(run_id, "", std::numeric_limits<int64_t>::max());
}

Result<std::vector<AttributeInfo>> PgBackend::ListAttributesAfter(int64_t run_id,
                                                                  const std::string& after_path,
                                                                  size_t limit) {
  ASSIGN_OR_RETURN(auto r, AcquireReader());
  ASSIGN_OR_RETURN(Rows rows, (*r)->Query(
      std::string("SELECT ") + kAttrColumns +
          " FROM attributes WHERE run_id = $1 AND path > $2 ORDER BY path LIMIT $3",
      Params().Add(run_id).Add(after_path).Add(static_cast<int64_t>(
          std::min<size_t>(limit, std::numeric_limits<int64_t>::max())))));
  std::vector<AttributeInfo> out;
  out.reserve(rows.size());
  for (int i = 0; i < rows.size(); ++i) out.push_back(ReadAttribute(rows, i, 0));
  return out;
}

Result<std::optional<AttributeInfo>> PgBackend::FindAttribute(int64_t run_id, const std::string& path) {
  ASSIGN_OR_RETURN(auto r, AcquireReader());
  ASSIGN_OR_RETURN(Rows rows, (*r)->Query(std::string("SELECT ") + kAttrColumns +
                                              " FROM attributes WHERE run_id = $1 AND path = $2",
                                          Params().Add(run_id).Add(path)));
  std::optional<AttributeInfo> out;
  if (rows.size()) out = ReadAttribute(rows, 0, 0);
  return out;
}

Status PgBackend::ScanProject(int64_t project_id, ProjectScanner* scanner) {
  ASSIGN_OR_RETURN(auto snap, Snapshot::Begin(this));
  Conn& c = snap->conn();
  ASSIGN_OR_RETURN(Rows runs, c.Query(std::string("SELECT ") + kRunColumns +
                                          " FROM runs r LEFT JOIN runs p ON p.id = r.fork_parent_id"
                                          " WHERE r.project_id = $1 ORDER BY r.id",
                                      Params().Add(project_id)));
  for (int i = 0; i < runs.size(); ++i)
    if (!scanner->Run(ReadRun(runs, i)))
      return Status::Unavailable("loading the runs table was cancelled");
  // Attributes through a cursor: a project of 100 k runs x 100 attributes
  // never sits in memory whole.
  RETURN_IF_ERROR(c.QueryOnce(
                       "DECLARE attrs BINARY NO SCROLL CURSOR FOR SELECT a.run_id, a.id, a.path, a.type, "
                       "a.num, a.int_value, a.text_value, a.last_step, a.last_ts, a.point_count "
                       "FROM runs r JOIN attributes a ON a.run_id = r.id WHERE r.project_id = $1",
                       Params().Add(project_id))
                      .status());
  for (;;) {
    ASSIGN_OR_RETURN(Rows rows, c.QueryOnce("FETCH 20000 FROM attrs"));
    if (!rows.size()) break;
    for (int i = 0; i < rows.size(); ++i)
      if (!scanner->Attribute(rows.Int(i, 0), ReadAttribute(rows, i, 1)))
        return Status::Unavailable("loading the runs table was cancelled");
  }
  return Status::Ok();
}

Result<std::vector<ChunkRow>> PgBackend::ReadChunks(int64_t attr_id, int64_t lo, int64_t hi) {
  ASSIGN_OR_RETURN(auto r, AcquireReader());
  return ReadChunksOn(**r, attr_id, lo, hi);
}

Result<std::vector<ChunkMeta>> PgBackend::ListChunks(
    int64_t attr_id, int64_t lo, int64_t hi, size_t limit,
    const std::optional<std::pair<int64_t, int64_t>>& time) {
  ASSIGN_OR_RETURN(auto r, AcquireReader());
  Params params;
  params.Add(attr_id).Add(hi).Add(lo).Add(static_cast<int64_t>(std::min<size_t>(limit, INT64_MAX)));
  if (time) params.Add(time->first).Add(time->second);
  ASSIGN_OR_RETURN(Rows rows, (*r)->Query(
      time ? "SELECT id, level, first_step, last_step, count FROM chunks "
             "WHERE attr_id = $1 AND first_step <= $2 AND last_step >= $3 "
             "AND max_ts >= $5 AND min_ts <= $6 ORDER BY first_step, id LIMIT $4"
           : std::string("SELECT id, level, first_step, last_step, count ") + kChunksInRange + " LIMIT $4",
      params));
  std::vector<ChunkMeta> out;
  for (int i = 0; i < rows.size(); ++i)
    out.push_back({rows.Int(i, 0), static_cast<int>(rows.Int(i, 1)), rows.Int(i, 2), rows.Int(i, 3),
                   rows.Int(i, 4)});
  return out;
}

Result<int64_t> PgBackend::CountPoints(int64_t attr_id) {
  ASSIGN_OR_RETURN(auto snap, Snapshot::Begin(this));
  Conn& c = snap->conn();
  ASSIGN_OR_RETURN(std::vector<ChunkMeta> meta, ListChunkMeta(c, attr_id));
  return CountSeriesPoints(meta, [&](int64_t lo, int64_t hi) { return ReadChunksOn(c, attr_id, lo, hi); });
}

Result<std::vector<ChunkRow>> PgBackend::ReadChunksSparse(int64_t attr_id, int64_t lo, int64_t hi,
                                                          const BlockChooser& choose) {
  ASSIGN_OR_RETURN(auto many, ReadChunksSparseMany({SeriesRange{attr_id, lo, hi}},
                                                   [&](size_t, const chunkenc::ChunkIndex& idx) { return choose(idx); }));
  return std::move(many.front());
}

Result<std::vector<std::vector<ChunkRow>>> PgBackend::ReadChunksSparseMany(
    const std::vector<SeriesRange>& ranges, const RangeBlockChooser& choose) {
  std::vector<std::vector<ChunkRow>> result(ranges.size());
  if (ranges.empty()) return result;
  ASSIGN_OR_RETURN(auto snap, Snapshot::Begin(this));
  Conn& c = snap->conn();
  // The chunks of every range in one query. Indexes of sealed chunks come
  // from the cache; unsealed ones (few, soon compacted away) ride along. A
  // cold cache costs one more round trip.
  std::vector<int64_t> attrs, los, his;
  for (const SeriesRange& r : ranges) {
    attrs.push_back(r.attr_id);
    los.push_back(r.lo);
    his.push_back(r.hi);
  }
  ASSIGN_OR_RETURN(Rows rows, c.Query(
      "SELECT c.id, c.level, c.first_step, c.last_step, c.count, "
      "CASE WHEN c.level = 0 THEN c.idx END, u.k "
      "FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) WITH ORDINALITY AS u(attr, lo, hi, k) "
      "JOIN chunks c ON c.attr_id = u.attr AND c.first_step <= u.hi AND c.last_step >= u.lo "
      "ORDER BY u.k, c.first_step, c.id",
      Params().AddArray(attrs).AddArray(los).AddArray(his)));
  IndexCache& cache = index_cache();
  std::vector<ChunkRow> out;
  std::vector<size_t> range_of;  // out[i] belongs to ranges[range_of[i]]
  out.reserve(rows.size());
  std::vector<int64_t> missing;
  for (int i = 0; i < rows.size(); ++i) {
    ChunkRow ch = ReadChunkMeta(rows, i);
    if (ch.level > 0) {
      ch.parsed = cache.Find(ch.id);
      if (!ch.parsed) missing.push_back(ch.id);
    }
    out.push_back(std::move(ch));
    range_of.push_back(static_cast<size_t>(rows.Int(i, 6) - 1));
  }
  // A chunk read for two ranges (one attribute twice) is fetched once.
  std::sort(missing.begin(), missing.end());
  missing.erase(std::unique(missing.begin(), missing.end()), missing.end());
  std::unordered_map<int64_t, std::string> fetched;
  if (!missing.empty()) {
    ASSIGN_OR_RETURN(Rows idx, c.Query("SELECT id, idx FROM chunks WHERE id = ANY($1)",
                                       Params().AddArray(missing)));
    for (int i = 0; i < idx.size(); ++i) fetched.emplace(idx.Int(i, 0), idx.Text(i, 1));
  }
  // The byte ranges to fetch: the chosen blocks of each chunk, adjacent
  // ones joined.
  std::vector<int64_t> range_chunk, range_offset, range_size;
  std::vector<size_t> range_row;  // index into `out`
  for (size_t row = 0; row < out.size(); ++row) {
    ChunkRow& ch = out[row];
    if (!ch.parsed) {
      std::string_view bytes = ch.index;
      if (ch.level > 0) {
        auto it = fetched.find(ch.id);
        if (it == fetched.end()) return Status::Unavailable("chunk vanished during a read; retry");
        bytes = it->second;
      }
      auto parsed = chunkenc::ChunkIndex::Parse(bytes);
      if (!parsed.ok()) return parsed.status().WithContext("chunk " + std::to_string(ch.id));
      ch.parsed = std::make_shared<chunkenc::ChunkIndex>(std::move(parsed).value());
      if (ch.level > 0) cache.Insert(ch.id, ch.parsed);
      ch.index.clear();
    }
    std::vector<size_t> chosen = choose(range_of[row], *ch.parsed);
    std::sort(chosen.begin(), chosen.end());
    uint64_t chosen_bytes = 0;
    for (size_t b : chosen) chosen_bytes += ch.parsed->blocks().at(b).size;
    if (chosen.empty()) continue;
    // Not zero-filled: only the chosen blocks' bytes are ever read.
    ch.sparse = std::make_shared_for_overwrite<char[]>(ch.parsed->data_size());
    if (chosen_bytes * 2 >= ch.parsed->data_size()) {
      // Most of the chunk: one range, the whole payload, is cheaper than
      // many small ones.
      range_chunk.push_back(ch.id);
      range_offset.push_back(0);
      range_size.push_back(static_cast<int64_t>(ch.parsed->data_size()));
      range_row.push_back(row);
      continue;
    }
    for (size_t b : chosen) {
      const auto& bs = ch.parsed->blocks().at(b);
      if (!range_row.empty() && range_row.back() == row &&
          range_offset.back() + range_size.back() == static_cast<int64_t>(bs.offset)) {
        range_size.back() += bs.size;
        continue;
      }
      range_chunk.push_back(ch.id);
      range_offset.push_back(static_cast<int64_t>(bs.offset));
      range_size.push_back(static_cast<int64_t>(bs.size));
      range_row.push_back(row);
    }
  }
  auto distribute = [&]() {
    for (size_t i = 0; i < out.size(); ++i) result[range_of[i]].push_back(std::move(out[i]));
    return std::move(result);
  };
  if (range_row.empty()) return distribute();
  // One more round trip for every byte range needed, whatever the chunk
  // count. Payloads are stored EXTERNAL (uncompressed), so PostgreSQL reads
  // only the TOAST slices a substring covers, not whole chunks.
  ASSIGN_OR_RETURN(Rows data, c.Query(
      "SELECT u.k, substring(c.data FROM (u.off + 1)::int FOR u.len::int) "
      "FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) WITH ORDINALITY AS u(id, off, len, k) "
      "JOIN chunks c ON c.id = u.id ORDER BY u.k",
      Params().AddArray(range_chunk).AddArray(range_offset).AddArray(range_size)));
  if (data.size() != static_cast<int>(range_row.size()))
    return Status::Unavailable("chunk vanished during a read; retry");
  for (int i = 0; i < data.size(); ++i) {
    size_t r = static_cast<size_t>(data.Int(i, 0) - 1);
    std::string_view bytes = data.Bytes(i, 1);
    ChunkRow& ch = out[range_row[r]];
    if (bytes.size() != static_cast<size_t>(range_size[r]) ||
        range_offset[r] + range_size[r] > static_cast<int64_t>(ch.parsed->data_size()))
      return Status::DataLoss("chunk " + std::to_string(ch.id) + " is shorter than its index");
    // Only the chosen blocks' bytes are kept, at their offsets (ChunkRow).
    std::memcpy(ch.sparse.get() + range_offset[r], bytes.data(), bytes.size());
  }
  return distribute();
}

Result<std::vector<LineageEntry>> PgBackend::SeriesLineage(const RunInfo& run, const std::string& path,
                                                           bool lineage) {
  ASSIGN_OR_RETURN(auto r, AcquireReader());
  // The chain from `run` up (depth 0 is the run), one row per run with its
  // attribute at the path and that series' extent, root first.
  ASSIGN_OR_RETURN(Rows rows, (*r)->Query(
      std::string("WITH RECURSIVE chain(id, depth) AS (SELECT $1::bigint, 0 "
                  "UNION ALL SELECT r.fork_parent_id, c.depth + 1 FROM chain c JOIN runs r ON r.id = c.id "
                  "WHERE r.fork_parent_id IS NOT NULL AND $3::bigint = 1 AND c.depth <= $4) "
                  "SELECT ") + kRunColumns +
          ", a.id, a.path, a.type, a.num, a.int_value, a.text_value, a.last_step, a.last_ts, "
          "a.point_count, (SELECT min(first_step) FROM chunks k WHERE k.attr_id = a.id), "
          "(SELECT max(last_step) FROM chunks k WHERE k.attr_id = a.id), c.depth "
          "FROM chain c JOIN runs r ON r.id = c.id LEFT JOIN runs p ON p.id = r.fork_parent_id "
          "LEFT JOIN attributes a ON a.run_id = r.id AND a.path = $2 ORDER BY c.depth DESC",
      Params().Add(run.id).Add(path).Add(int64_t{lineage ? 1 : 0}).Add(int64_t{kMaxLineageDepth})));
  if (!rows.size()) return Status::NotFound("run #" + std::to_string(run.id) + " does not exist");
  if (rows.Int(0, 22) > kMaxLineageDepth)
    return Status::Internal("fork lineage deeper than " + std::to_string(kMaxLineageDepth) + " runs");
  std::vector<LineageEntry> out;
  for (int i = 0; i < rows.size(); ++i) {
    LineageEntry e{ReadRun(rows, i), std::nullopt, std::nullopt};
    if (!rows.IsNull(i, 11)) e.attr = ReadAttribute(rows, i, 11);
    if (!rows.IsNull(i, 20)) e.extent = std::make_pair(rows.Int(i, 20), rows.Int(i, 21));
    out.push_back(std::move(e));
  }
  return out;
}

Result<std::optional<std::pair<int64_t, int64_t>>> PgBackend::SeriesExtent(int64_t attr_id) {
  ASSIGN_OR_RETURN(auto r, AcquireReader());
  ASSIGN_OR_RETURN(Rows rows, (*r)->Query(
      "SELECT MIN(first_step), MAX(last_step) FROM chunks WHERE attr_id = $1", Params().Add(attr_id)));
  std::optional<std::pair<int64_t, int64_t>> out;
  if (rows.size() && !rows.IsNull(0, 0)) out = std::make_pair(rows.Int(0, 0), rows.Int(0, 1));
  return out;
}

Result<FileRef> PgBackend::GetFile(int64_t run_id, const std::string& path, std::optional<int64_t> step) {
  ASSIGN_OR_RETURN(auto r, AcquireReader());
  // Without a step, a file series answers with its latest point.
  ASSIGN_OR_RETURN(Rows rows, (*r)->Query(
      "SELECT f.digest, f.size, f.filename, f.created_us FROM files f "
      "JOIN attributes a ON a.id = f.attr_id WHERE a.run_id = $1 AND a.path = $2 "
      "AND ($3::bigint IS NULL OR f.step = $3::bigint) ORDER BY f.step DESC LIMIT 1",
      Params().Add(run_id).Add(path).Add(step)));
  if (!rows.size())
    return Status::NotFound("no file at '" + path + "'" + (step ? " for that step" : std::string()));
  return FileRef{rows.Text(0, 0), rows.Int(0, 1), rows.Text(0, 2), rows.Int(0, 3)};
}

Result<std::vector<std::pair<int64_t, FileRef>>> PgBackend::ListFiles(int64_t run_id, const std::string& path,
                                                                      int64_t lo, int64_t hi, size_t limit) {
  ASSIGN_OR_RETURN(auto r, AcquireReader());
  ASSIGN_OR_RETURN(Rows rows, (*r)->Query(
      "SELECT f.step, f.digest, f.size, f.filename, f.created_us FROM files f "
      "JOIN attributes a ON a.id = f.attr_id WHERE a.run_id = $1 AND a.path = $2 "
      "AND f.step BETWEEN $3 AND $4 ORDER BY f.step DESC LIMIT $5",
      Params().Add(run_id).Add(path).Add(lo).Add(hi).Add(static_cast<int64_t>(
          std::min<size_t>(limit, std::numeric_limits<int64_t>::max())))));
  std::vector<std::pair<int64_t, FileRef>> out;
  for (int i = 0; i < rows.size(); ++i)
    out.emplace_back(rows.Int(i, 0), FileRef{rows.Text(i, 1), rows.Int(i, 2), rows.Text(i, 3), rows.Int(i, 4)});
  return out;
}

}  // namespace sextant::storage::postgres
