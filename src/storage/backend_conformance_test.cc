// Property tests of the write path against a brute-force reference: random
// batches with overwrites and out-of-order steps, compaction at random
// moments, reopening the database; every read must equal the reference.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <atomic>
#include <random>
#include <thread>

#include "storage/backend.h"
#include "storage/backend_test_env.h"
#include "storage/series_merge.h"

namespace sextant::storage {
namespace {

class BackendTest : public BackendEnv {
 protected:
  Status LogPoints(const RunInfo& run, model::SeriesWrite s) {
    model::LogBatch b;
    b.series.push_back(std::move(s));
    // Storage keeps whatever timestamps it is given: these tests use µs ones.
    model::Limits limits;
    limits.timestamp_resolution_us = model::kTimestampResolutionUs;
    RETURN_IF_ERROR(model::ValidateLogBatch(&b, limits, run.fork_step));
    std::vector<EncodedSeries> enc;
    for (const auto& w : b.series) {
      ASSIGN_OR_RETURN(auto e, EncodeSeriesWrite(w));
      enc.push_back(std::move(e));
    }
    auto r = backend_->Log(run, b, std::move(enc), 2, nullptr);
    return r.ok() ? Status::Ok() : r.status();
  }
  static model::SeriesWrite OnePoint(const std::string& path) {
    model::SeriesWrite s;
    s.path = path;
    s.steps = {0};
    s.ts = {0};
    s.floats = {1.0};
    return s;
  }
  Points ReadAll(int64_t run_id, const std::string& path) {
    Points p;
    auto attr = backend_->FindAttribute(run_id, path);
    EXPECT_TRUE(attr.ok() && attr.value());
    auto rows = backend_->ReadChunks(attr.value()->id, INT64_MIN, INT64_MAX);
    EXPECT_TRUE(rows.ok());
    std::vector<const ChunkRow*> ptrs;
    for (const auto& r : rows.value()) ptrs.push_back(&r);
    EXPECT_TRUE(MergeChunks(ptrs, INT64_MIN, INT64_MAX, &p).ok());
    return p;
  }

  void CountWhileCompacting(int round);

};

TEST_P(BackendTest, RandomOverwritesMatchReference) {
  RunInfo run = NewRun("r1");
  std::mt19937_64 rng(7);
  std::map<int64_t, std::pair<int64_t, double>> ref;
  for (int batch = 0; batch < 300; ++batch) {
    model::SeriesWrite s;
    s.path = "train/loss";
    int n = 1 + rng() % 200;
    int64_t base = (rng() % 4 == 0) ? rng() % 5000 : batch * 100;  // some rewrite the past
    for (int i = 0; i < n; ++i) {
      int64_t step = (base + static_cast<int64_t>(rng() % 300)) * model::kStepScale;
      double v = std::uniform_real_distribution<double>(-1, 1)(rng);
      if (rng() % 50 == 0) v = std::numeric_limits<double>::quiet_NaN();
      s.steps.push_back(step);
      s.ts.push_back(batch * 1000 + i);
      s.floats.push_back(v);
    }
    // Within a batch, the last occurrence of a step wins.
    for (int i = 0; i < n; ++i) ref[s.steps[i]] = {s.ts[i], s.floats[i]};
    ASSERT_TRUE(LogPoints(run, std::move(s)).ok());
    if (rng() % 20 == 0) {
      ASSERT_TRUE(backend_->CompactSome(100).ok());
    }
    if (rng() % 100 == 0) Open();
  }
  auto check = [&] {
    Points p = ReadAll(run.id, "train/loss");
    ASSERT_EQ(p.size(), ref.size());
    size_t i = 0;
    for (const auto& [step, tv] : ref) {
      ASSERT_EQ(p.steps[i], step);
      ASSERT_EQ(p.ts[i], tv.first);
      if (std::isnan(tv.second)) {
        ASSERT_TRUE(std::isnan(p.floats[i]));
      } else {
        ASSERT_EQ(p.floats[i], tv.second);
      }
      ++i;
    }
  };
  check();
  // Compact everything (the idle rule needs time; call until done).
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  for (int k = 0; k < 10; ++k) ASSERT_TRUE(backend_->CompactSome(1000).ok());
  check();
  // After compaction no two chunks overlap, and every chunk is sealed.
  auto attr = backend_->FindAttribute(run.id, "train/loss");
  auto rows = backend_->ReadChunks(attr.value()->id, INT64_MIN, INT64_MAX).value();
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].level, 1);
    if (i) {
      EXPECT_LT(rows[i - 1].last_step, rows[i].first_step);
    }
  }
  EXPECT_EQ(attr.value()->count, static_cast<int64_t>(ref.size()));
  Open();
  check();
}

// Counting must see one snapshot: a compaction committed between listing the
// chunks and merging an overlapping group once made that group count zero.
// ListChunks: the chunks that intersect a step range, by first step, at
// most `limit`, with the counts ReadChunks gives, and no payload.
TEST_P(BackendTest, ListChunksIsReadChunksWithoutPayloadsAndBounded) {
  RunInfo run = NewRun("r");
  for (int b = 0; b < 10; ++b) {  // chunks [0,9], [10,19], … [90,99]
    model::SeriesWrite s;
    s.path = "loss";
    for (int i = b * 10; i < (b + 1) * 10; ++i) {
      s.steps.push_back(int64_t{i} * model::kStepScale);
      s.ts.push_back(1000 + i);
      s.floats.push_back(i);
    }
    ASSERT_TRUE(LogPoints(run, std::move(s)).ok());
  }
  model::SeriesWrite over;  // overlaps the 3rd and 4th chunks
  over.path = "loss";
  for (int i = 25; i < 35; ++i) {
    over.steps.push_back(int64_t{i} * model::kStepScale);
    over.ts.push_back(2000 + i);
    over.floats.push_back(-i);
  }
  ASSERT_TRUE(LogPoints(run, std::move(over)).ok());
  auto attr = backend_->FindAttribute(run.id, "loss");
  ASSERT_TRUE(attr.ok() && attr.value());
  const int64_t id = attr.value()->id, k = model::kStepScale;

  auto all = backend_->ListChunks(id, INT64_MIN, INT64_MAX, 1000, std::nullopt);
  auto rows = backend_->ReadChunks(id, INT64_MIN, INT64_MAX);
  ASSERT_TRUE(all.ok() && rows.ok());
  ASSERT_EQ(all->size(), 11u);
  ASSERT_EQ(all->size(), rows->size());
  for (size_t i = 0; i < all->size(); ++i) {
    EXPECT_EQ((*all)[i].id, (*rows)[i].id);
    EXPECT_EQ((*all)[i].first, (*rows)[i].first_step);
    EXPECT_EQ((*all)[i].last, (*rows)[i].last_step);
    EXPECT_EQ((*all)[i].count, (*rows)[i].count);
  }
  // A range in the middle, the overlapping chunk in first-step order.
  auto mid = backend_->ListChunks(id, 19 * k, 30 * k, 1000, std::nullopt);
  ASSERT_TRUE(mid.ok());
  std::vector<int64_t> firsts;
  for (const auto& m : *mid) firsts.push_back(m.first / k);
  EXPECT_EQ(firsts, (std::vector<int64_t>{10, 20, 25, 30}));
  auto two = backend_->ListChunks(id, 19 * k, 30 * k, 2, std::nullopt);
  ASSERT_TRUE(two.ok());
  ASSERT_EQ(two->size(), 2u);
  EXPECT_EQ((*two)[1].first, 20 * k);
  EXPECT_TRUE(backend_->ListChunks(id, 100 * k, INT64_MAX, 10, std::nullopt)->empty());

  // A time range keeps the chunks whose timestamp bounds meet it.
  auto firsts_in = [&](int64_t lo, int64_t hi, int64_t t0, int64_t t1) {
    std::vector<int64_t> out;
    auto metas = backend_->ListChunks(id, lo, hi, 1000, std::make_pair(t0, t1));
    EXPECT_TRUE(metas.ok());
    if (metas.ok())
      for (const auto& m : *metas) out.push_back(m.first / k);
    return out;
  };
  EXPECT_EQ(firsts_in(INT64_MIN, INT64_MAX, 1015, 1024), (std::vector<int64_t>{10, 20}));
  EXPECT_EQ(firsts_in(INT64_MIN, INT64_MAX, 2000, 3000), (std::vector<int64_t>{25}));
  EXPECT_EQ(firsts_in(INT64_MIN, INT64_MAX, 1099, 1099), (std::vector<int64_t>{90}));
  EXPECT_EQ(firsts_in(40 * k, INT64_MAX, 1015, 1024), (std::vector<int64_t>{}));
  EXPECT_EQ(firsts_in(INT64_MIN, INT64_MAX, 1100, 2024), (std::vector<int64_t>{}));
}

// SeriesLineage: every run from the root to the run, with its attribute at
// the path and the series' extent, whichever backend answers.
TEST_P(BackendTest, SeriesLineageWalksForksRootFirst) {
  const int64_t k = model::kStepScale;
  RunInfo root = NewRun("root");
  auto fork = [&](const std::string& id, const std::string& parent, int64_t step) {
    model::CreateRunOp op;
    op.run_id = id;
    op.name = id;
    op.fork_run_id = parent;
    op.fork_step = step * k;
    auto r = backend_->CreateOrResumeRun({"ws", "p"}, op, 1);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->first : RunInfo{};
  };
  auto points = [&](const RunInfo& run, int64_t from, int64_t to) {
    model::SeriesWrite s;
    s.path = "loss";
    for (int64_t i = from; i <= to; ++i) {
      s.steps.push_back(i * k);
      s.ts.push_back(1000 + i);
      s.floats.push_back(i);
    }
    ASSERT_TRUE(LogPoints(run, std::move(s)).ok());
  };
  points(root, 0, 20);
  RunInfo child = fork("child", "root", 10);
  RunInfo grandchild = fork("grandchild", "child", 15);
  points(grandchild, 16, 30);
  model::LogBatch cfg;
  cfg.configs.push_back({"lr", model::Value::Float(0.1)});
  ASSERT_TRUE(backend_->Log(child, cfg, {}, 2, nullptr).ok());

  auto all = backend_->SeriesLineage(grandchild, "loss", true);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].run.run_id, "root");
  EXPECT_EQ((*all)[1].run.run_id, "child");
  EXPECT_EQ((*all)[2].run.run_id, "grandchild");
  EXPECT_EQ((*all)[2].run.fork_step, std::optional<int64_t>(15 * k));
  ASSERT_TRUE((*all)[0].attr);
  EXPECT_EQ((*all)[0].attr->type, model::AttrType::kFloatSeries);
  EXPECT_EQ((*all)[0].extent, std::make_optional(std::make_pair(0 * k, 20 * k)));
  EXPECT_FALSE((*all)[1].attr);
  EXPECT_EQ((*all)[2].extent, std::make_optional(std::make_pair(16 * k, 30 * k)));

  auto alone = backend_->SeriesLineage(grandchild, "loss", false);
  ASSERT_TRUE(alone.ok());
  ASSERT_EQ(alone->size(), 1u);
  EXPECT_EQ((*alone)[0].run.run_id, "grandchild");

  auto config = backend_->SeriesLineage(grandchild, "lr", true);
  ASSERT_TRUE(config.ok());
  ASSERT_TRUE((*config)[1].attr);
  EXPECT_EQ((*config)[1].attr->type, model::AttrType::kFloat);
  EXPECT_FALSE((*config)[1].extent);
  EXPECT_FALSE((*config)[0].attr);
}

TEST_P(BackendTest, CountPointsIsExactWhileCompacting) {
  for (int round = 0; round < 8 && !HasFailure(); ++round) CountWhileCompacting(round);
}

void BackendTest::CountWhileCompacting(int round) {
  RunInfo run = NewRun("r" + std::to_string(round));
  constexpr int kWriters = 8, kPerWriter = 60, kBatch = 4;
  std::atomic<int64_t> committed{0};
  std::atomic<bool> done{false};
  std::thread compactor([&] {
    while (!done) (void)backend_->CompactSome(64, /*force=*/true);
  });
  std::vector<std::thread> writers;
  for (int t = 0; t < kWriters; ++t)
    writers.emplace_back([&, t] {
      for (int b = 0; b < kPerWriter; b += kBatch) {
        model::SeriesWrite s;
        s.path = "m";
        s.type = model::AttrType::kFloatSeries;
        for (int k = b; k < b + kBatch; ++k) {
          s.steps.push_back(t + kWriters * k);  // interleaved: chunks overlap
          s.floats.push_back(k);
          s.ts.push_back(1);
        }
        ASSERT_TRUE(LogPoints(run, std::move(s)).ok());
        committed += kBatch;
      }
    });
  auto attr = [&]() -> int64_t {
    for (;;) {
      auto a = backend_->FindAttribute(run.id, "m");
      if (a.ok() && a.value()) return a.value()->id;
      std::this_thread::yield();
    }
  }();
  int checks = 0;
  while (committed < kWriters * kPerWriter) {
    int64_t floor = committed;
    auto n = backend_->CountPoints(attr);
    bool good = n.ok() && *n >= floor;
    EXPECT_TRUE(good) << "count " << (n.ok() ? std::to_string(*n) : n.status().ToString())
                      << " < " << floor << " committed, after " << checks << " counts";
    if (!good) break;
    ++checks;
  }
  for (auto& w : writers) w.join();
  done = true;
  compactor.join();
  auto n = backend_->CountPoints(attr);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, kWriters * kPerWriter);
}

TEST_P(BackendTest, TypeChangeIsRejectedAndBatchLeavesNoTrace) {
  RunInfo run = NewRun("r1");
  ASSERT_TRUE(LogPoints(run, OnePoint("x")).ok());
  model::LogBatch b;
  b.configs.push_back({"new/config", model::Value::Int(3)});
  b.configs.push_back({"x", model::Value::String("now a string")});
  auto r = backend_->Log(run, b, {}, 3, nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kConflict);
  auto attr = backend_->FindAttribute(run.id, "new/config");
  ASSERT_TRUE(attr.ok());
  EXPECT_FALSE(attr.value().has_value());  // the whole batch was rolled back
}

TEST_P(BackendTest, ResumeIsIdempotentAndForkMustMatch) {
  RunInfo a = NewRun("a");
  RunInfo again = NewRun("a");
  EXPECT_EQ(a.id, again.id);
  model::CreateRunOp fork;
  fork.run_id = "b";
  fork.fork_run_id = "a";
  fork.fork_step = 10 * model::kStepScale;
  auto b = backend_->CreateOrResumeRun({"ws", "p"}, fork, 5);
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->second);
  EXPECT_EQ(b->first.fork_parent_id, a.id);
  fork.fork_step = 11 * model::kStepScale;
  auto conflict = backend_->CreateOrResumeRun({"ws", "p"}, fork, 6);
  EXPECT_EQ(conflict.status().code(), Code::kConflict);
  fork.run_id = "c";
  fork.fork_run_id = "missing";
  EXPECT_EQ(backend_->CreateOrResumeRun({"ws", "p"}, fork, 6).status().code(), Code::kNotFound);
}

// A write that found its run before a purge committed must fail and leave
// nothing behind: no attribute or chunk may outlive its run (PostgreSQL keeps
// this without per-row foreign keys, see pg_schema.cc).
TEST_P(BackendTest, WritesToAPurgedRunFailAndLeaveNothing) {
  RunInfo run = NewRun("gone");
  model::SeriesWrite s = OnePoint("x");
  ASSERT_TRUE(LogPoints(run, s).ok());
  ASSERT_TRUE(backend_->PurgeRun(run).ok());
  s.path = "y";
  EXPECT_EQ(LogPoints(run, s).code(), Code::kNotFound);
  model::LogBatch b;
  b.configs.push_back({"lr", model::Value::Float(0.1)});
  b.add_tags = {"t"};
  auto r = backend_->Log(run, b, {}, 3, nullptr);
  EXPECT_EQ(r.status().code(), Code::kNotFound);
  FileRef ref;
  ref.digest = std::string(64, 'a');
  ref.size = 1;
  ref.filename = "f.txt";
  EXPECT_EQ(backend_->PutFile(run, "files/f", std::nullopt, ref, 4, nullptr).code(), Code::kNotFound);
  auto attrs = backend_->ListAttributes(run.id);
  ASSERT_TRUE(attrs.ok());
  EXPECT_TRUE(attrs->empty());
  // Another run of the same project is untouched and writable.
  RunInfo other = NewRun("other");
  EXPECT_TRUE(LogPoints(other, s).ok());
  EXPECT_TRUE(backend_->CompactSome(100, /*force=*/true).ok());
  EXPECT_EQ(ReadAll(other.id, "y").size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Backends, BackendTest, ::testing::ValuesIn(BackendKinds()), BackendName);

}  // namespace
}  // namespace sextant::storage
