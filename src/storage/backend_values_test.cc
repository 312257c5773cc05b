// Conformance: what a backend stores comes back exactly — every config type
// (a NUL byte, which a text column would refuse, included), tags, renames, last values,
// scans, sparse reads, properties, purges — over every backend.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <map>

#include "storage/backend.h"
#include "storage/backend_test_env.h"
#include "storage/series_merge.h"

namespace sextant::storage {
namespace {

class ValuesTest : public BackendEnv {
 protected:
  void LogBatch(const RunInfo& run, model::LogBatch b) {
    Status valid = model::ValidateLogBatch(&b, model::Limits(), run.fork_step);
    ASSERT_TRUE(valid.ok()) << valid.ToString();
    std::vector<EncodedSeries> enc;
    for (const auto& w : b.series) {
      auto e = EncodeSeriesWrite(w);
      ASSERT_TRUE(e.ok());
      enc.push_back(std::move(e).value());
    }
    auto r = backend_->Log(run, b, std::move(enc), 7, nullptr);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  AttributeInfo Attr(const RunInfo& run, const std::string& path) {
    auto a = backend_->FindAttribute(run.id, path);
    EXPECT_TRUE(a.ok() && a->has_value()) << path;
    return a.ok() && a->has_value() ? **a : AttributeInfo{};
  }
};

bool SameBits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

TEST_P(ValuesTest, ConfigsComeBackExactly) {
  RunInfo run = NewRun("r");
  using namespace std::string_literals;
  const std::string odd = "nul\0byte, ünïcode 🙂"s;  // a TEXT column refuses NUL
  model::LogBatch b;
  b.configs = {{"f/nan", model::Value::Float(std::nan(""))},
               {"f/negzero", model::Value::Float(-0.0)},
               {"f/inf", model::Value::Float(-std::numeric_limits<double>::infinity())},
               {"f/tiny", model::Value::Float(4.9e-324)},
               {"i/max", model::Value::Int(std::numeric_limits<int64_t>::max())},
               {"i/min", model::Value::Int(std::numeric_limits<int64_t>::min())},
               {"b", model::Value::Bool(true)},
               {"d", model::Value::Datetime(1'700'000'000'123'456)},
               {"s/odd", model::Value::String(odd)},
               {"s/empty", model::Value::String("")},
               {"set", model::Value::StringSet({"b", "a", "ü"})}};
  LogBatch(run, b);
  Open();  // and it survives a reopen
  EXPECT_TRUE(std::isnan(Attr(run, "f/nan").value.f));
  EXPECT_TRUE(SameBits(Attr(run, "f/negzero").value.f, -0.0));
  EXPECT_EQ(Attr(run, "f/inf").value.f, -std::numeric_limits<double>::infinity());
  EXPECT_TRUE(SameBits(Attr(run, "f/tiny").value.f, 4.9e-324));
  EXPECT_EQ(Attr(run, "i/max").value.i, std::numeric_limits<int64_t>::max());
  EXPECT_EQ(Attr(run, "i/min").value.i, std::numeric_limits<int64_t>::min());
  EXPECT_EQ(Attr(run, "b").value.i, 1);
  EXPECT_EQ(Attr(run, "d").value.i, 1'700'000'000'123'456);
  EXPECT_EQ(Attr(run, "s/odd").value.s, odd);
  EXPECT_EQ(Attr(run, "s/empty").value.s, "");
  EXPECT_EQ(Attr(run, "set").value.set, (std::vector<std::string>{"a", "b", "ü"}));
  EXPECT_GT(Attr(run, "s/odd").last_ts, 0);
}

TEST_P(ValuesTest, TagsRenameStateAndRemovedConfigs) {
  RunInfo run = NewRun("r");
  model::LogBatch b;
  b.add_tags = {"x", "y"};
  b.configs = {{"sys/name", model::Value::String("renamed")}, {"gone", model::Value::Int(1)}};
  b.state = model::RunState::kFinished;
  LogBatch(run, b);
  model::LogBatch c;
  c.add_tags = {"z"};
  c.remove_tags = {"x", "z"};
  c.remove_configs = {"gone"};
  LogBatch(run, c);
  EXPECT_EQ(Attr(run, "sys/tags").value.set, (std::vector<std::string>{"y"}));
  auto again = backend_->GetRunById(run.id);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->name, "renamed");
  EXPECT_EQ(again->state, model::RunState::kFinished);
  auto gone = backend_->FindAttribute(run.id, "gone");
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
}

TEST_P(ValuesTest, LastValueIsAtTheGreatestStep) {
  RunInfo run = NewRun("r");
  auto series = [](std::vector<int64_t> steps, std::vector<double> v) {
    model::SeriesWrite s;
    s.path = "loss";
    s.steps = steps;
    s.ts.assign(steps.size(), 5);
    s.floats = v;
    model::LogBatch b;
    b.series.push_back(s);
    return b;
  };
  LogBatch(run, series({10 * model::kStepScale, 20 * model::kStepScale}, {1.0, 2.0}));
  LogBatch(run, series({5 * model::kStepScale}, {9.0}));  // older step: not the last value
  AttributeInfo a = Attr(run, "loss");
  EXPECT_EQ(a.value.f, 2.0);
  EXPECT_EQ(a.last_step, 20 * model::kStepScale);
  LogBatch(run, series({20 * model::kStepScale}, {3.0}));  // same step: last write wins
  EXPECT_EQ(Attr(run, "loss").value.f, 3.0);
  auto n = backend_->CountPoints(a.id);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 3);
  auto extent = backend_->SeriesExtent(a.id);
  ASSERT_TRUE(extent.ok() && extent->has_value());
  EXPECT_EQ((*extent)->first, 5 * model::kStepScale);
  EXPECT_EQ((*extent)->second, 20 * model::kStepScale);
}

TEST_P(ValuesTest, SparseReadsFetchOnlyChosenBlocks) {
  RunInfo run = NewRun("r");
  model::SeriesWrite s;
  s.path = "m";
  for (int i = 0; i < 1000; ++i) {
    s.steps.push_back(int64_t{i} * model::kStepScale);
    s.ts.push_back(i);
    s.floats.push_back(i * 0.5);
  }
  model::LogBatch b;
  b.series.push_back(s);
  LogBatch(run, b);
  ASSERT_TRUE(backend_->CompactSome(100, /*force=*/true).ok());
  AttributeInfo a = Attr(run, "m");
  auto rows = backend_->ReadChunksSparse(a.id, INT64_MIN, INT64_MAX,
                                         [](const chunkenc::ChunkIndex&) { return std::vector<size_t>{1}; });
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 1u);
  const ChunkRow& c = (*rows)[0];
  ASSERT_TRUE(c.parsed);
  ASSERT_GT(c.parsed->blocks().size(), 2u);
  auto full = backend_->ReadChunks(a.id, INT64_MIN, INT64_MAX);
  ASSERT_TRUE(full.ok());
  const auto& b1 = c.parsed->blocks()[1];
  ASSERT_TRUE(c.sparse);
  EXPECT_EQ(c.payload().size(), c.parsed->data_size());
  EXPECT_EQ(c.payload().substr(b1.offset, b1.size), std::string_view((*full)[0].data).substr(b1.offset, b1.size));
  // The parsed index is cached: a second read parses nothing and shares it.
  auto again = backend_->ReadChunksSparse(a.id, INT64_MIN, INT64_MAX,
                                          [](const chunkenc::ChunkIndex&) { return std::vector<size_t>{}; });
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  ASSERT_EQ(again->size(), 1u);
  EXPECT_EQ((*again)[0].parsed.get(), c.parsed.get());
  EXPECT_FALSE((*again)[0].sparse);  // nothing chosen, nothing read
}

// Several ranges at once (a fork lineage) answer what each range alone
// answers, in order, each chooser told which range it chooses for; an
// empty range and a range of a series with unsealed chunks included.
TEST_P(ValuesTest, SparseReadsOfSeveralRangesAnswerEachRange) {
  std::vector<AttributeInfo> attrs;
  for (int r = 0; r < 3; ++r) {
    RunInfo run = NewRun("run" + std::to_string(r));
    for (int batch = 0; batch < 2; ++batch) {  // two chunks each
      model::SeriesWrite s;
      s.path = "m";
      for (int i = batch * 300; i < (batch + 1) * 300; ++i) {
        s.steps.push_back(int64_t{i} * model::kStepScale);
        s.ts.push_back(i);
        s.floats.push_back(r * 1000 + i);
      }
      model::LogBatch b;
      b.series.push_back(s);
      LogBatch(run, b);
    }
    if (r < 2) ASSERT_TRUE(backend_->CompactSome(100, /*force=*/true).ok());
    attrs.push_back(Attr(run, "m"));
  }
  const int64_t k = model::kStepScale;
  std::vector<SeriesRange> ranges = {{attrs[0].id, 0, 149 * k},
                                     {attrs[1].id, 150 * k, 599 * k},
                                     {attrs[0].id, 1000 * k, 2000 * k},  // no chunk there
                                     {attrs[2].id, INT64_MIN, INT64_MAX}};
  // Range k chooses block k (when the chunk has one): answers differ by range.
  auto choose = [](size_t r, const chunkenc::ChunkIndex& idx) {
    return r < idx.blocks().size() ? std::vector<size_t>{r} : std::vector<size_t>{};
  };
  auto many = backend_->ReadChunksSparseMany(ranges, choose);
  ASSERT_TRUE(many.ok()) << many.status().ToString();
  ASSERT_EQ(many->size(), ranges.size());
  EXPECT_TRUE((*many)[2].empty());
  for (size_t r = 0; r < ranges.size(); ++r) {
    auto one = backend_->ReadChunksSparse(ranges[r].attr_id, ranges[r].lo, ranges[r].hi,
                                          [&](const chunkenc::ChunkIndex& idx) { return choose(r, idx); });
    ASSERT_TRUE(one.ok());
    auto full = backend_->ReadChunks(ranges[r].attr_id, ranges[r].lo, ranges[r].hi);
    ASSERT_TRUE(full.ok());
    ASSERT_EQ((*many)[r].size(), one->size()) << r;
    for (size_t i = 0; i < one->size(); ++i) {
      const ChunkRow& got = (*many)[r][i];
      EXPECT_EQ(got.id, (*one)[i].id);
      EXPECT_EQ(got.first_step, (*one)[i].first_step);
      EXPECT_EQ(got.count, (*one)[i].count);
      ASSERT_TRUE(got.parsed);
      if (r >= got.parsed->blocks().size()) {
        EXPECT_FALSE(got.sparse);
        continue;
      }
      const auto& blk = got.parsed->blocks()[r];
      ASSERT_TRUE(got.sparse) << r;
      EXPECT_EQ(got.payload().substr(blk.offset, blk.size),
                std::string_view((*full)[i].data).substr(blk.offset, blk.size));
    }
  }
  EXPECT_TRUE(backend_->ReadChunksSparseMany({}, choose)->empty());
}

TEST_P(ValuesTest, ChunkIdsAreNeverReusedAfterADelete) {
  // The index cache names chunks by id: a chunk deleted by a compaction or
  // a purge must not lend its id to a new chunk with other contents.
  RunInfo run = NewRun("ids");
  std::vector<int64_t> seen;
  for (int round = 0; round < 3; ++round) {
    model::SeriesWrite s;
    s.path = "m";
    for (int i = 0; i < 10; ++i) {
      s.steps.push_back(int64_t{round * 10 + i} * model::kStepScale);
      s.ts.push_back(i);
      s.floats.push_back(round * 100 + i);
    }
    model::LogBatch b;
    b.series.push_back(s);
    LogBatch(run, b);
    ASSERT_TRUE(backend_->CompactSome(100, /*force=*/true).ok());
    AttributeInfo a = Attr(run, "m");
    auto metas = backend_->ListChunks(a.id, INT64_MIN, INT64_MAX, 100, std::nullopt);
    ASSERT_TRUE(metas.ok());
    ASSERT_EQ(metas->size(), 1u);
    for (int64_t id : seen) EXPECT_NE((*metas)[0].id, id) << "round " << round;
    seen.push_back((*metas)[0].id);
    // Every round reads through the cache and sees this round's points.
    auto rows = backend_->ReadChunksSparse(a.id, INT64_MIN, INT64_MAX,
                                           [](const chunkenc::ChunkIndex&) { return std::vector<size_t>{}; });
    ASSERT_TRUE(rows.ok());
    ASSERT_EQ(rows->size(), 1u);
    EXPECT_EQ((*rows)[0].parsed->num_points(), uint64_t(10 * (round + 1)));
  }
}

struct Collect : ProjectScanner {
  std::vector<RunInfo> runs;
  std::map<int64_t, std::vector<std::string>> paths;
  bool Run(const RunInfo& r) override {
    runs.push_back(r);
    return true;
  }
  bool Attribute(int64_t run_id, const AttributeInfo& a) override {
    paths[run_id].push_back(a.path);
    return true;
  }
};

TEST_P(ValuesTest, ScanFindPropertiesAndPurge) {
  RunInfo a = NewRun("a"), b = NewRun("b");
  NewRun("a", {"ws", "other"});
  model::LogBatch cfg;
  cfg.configs = {{"lr", model::Value::Float(0.1)}};
  LogBatch(a, cfg);
  LogBatch(b, cfg);
  ASSERT_TRUE(backend_->PutFile(a, "art", std::nullopt, {"d1", 3, "x.txt", 0}, 9, nullptr).ok());
  ASSERT_TRUE(backend_->PutFile(b, "art", std::nullopt, {"d1", 3, "x.txt", 0}, 9, nullptr).ok());
  ASSERT_TRUE(backend_->PutFile(a, "only", 0, {"d2", 4, "y.txt", 0}, 9, nullptr).ok());

  Collect scan;
  ASSERT_TRUE(backend_->ScanProject(a.project_id, &scan).ok());
  ASSERT_EQ(scan.runs.size(), 2u);
  EXPECT_EQ(scan.paths[a.id].size(), 3u);

  auto found = backend_->FindRunsByRunId("a", 10);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->size(), 2u);

  ASSERT_TRUE(backend_->UpdateProjectProperties(a.project_id, {{"k", "v"}, {"k2", "v2"}}, {}).ok());
  ASSERT_TRUE(backend_->UpdateProjectProperties(a.project_id, {{"k", "w"}}, {"k2"}).ok());
  auto props = backend_->ProjectProperties(a.project_id);
  ASSERT_TRUE(props.ok());
  EXPECT_EQ(*props, (std::vector<std::pair<std::string, std::string>>{{"k", "w"}}));
  auto by = backend_->FindProjectsByProperty("k", "w");
  ASSERT_TRUE(by.ok());
  EXPECT_EQ(*by, std::vector<int64_t>{a.project_id});

  // Purging a: d1 is still named by b, d2 by nobody.
  auto orphans = backend_->PurgeRun(a);
  ASSERT_TRUE(orphans.ok()) << orphans.status().ToString();
  EXPECT_EQ(*orphans, std::vector<std::string>{"d2"});
  EXPECT_EQ(backend_->GetRunById(a.id).status().code(), Code::kNotFound);
  auto file = backend_->GetFile(b.id, "art", std::nullopt);
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(file->filename, "x.txt");
  auto project = backend_->GetProjectById(a.project_id);
  ASSERT_TRUE(project.ok());
  EXPECT_EQ(project->num_runs, 1);
}

TEST_P(ValuesTest, CreateProjectAndViews) {
  auto p = backend_->CreateProject({"ws", "new"}, 3);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(backend_->CreateProject({"ws", "new"}, 4).status().code(), Code::kAlreadyExists);
  ASSERT_TRUE(backend_->PutView(p->id, {"v", "{\"a\":1}", 5}).ok());
  ASSERT_TRUE(backend_->PutView(p->id, {"v", "{\"a\":2}", 6}).ok());
  auto views = backend_->ListViews(p->id);
  ASSERT_TRUE(views.ok());
  ASSERT_EQ(views->size(), 1u);
  EXPECT_EQ((*views)[0].state_json, "{\"a\":2}");
  EXPECT_TRUE(backend_->DeleteView(p->id, "v").ok());
  EXPECT_EQ(backend_->DeleteView(p->id, "v").code(), Code::kNotFound);
}

INSTANTIATE_TEST_SUITE_P(Backends, ValuesTest, ::testing::ValuesIn(BackendKinds()), BackendName);

}  // namespace
}  // namespace sextant::storage
