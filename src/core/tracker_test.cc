// Tracker-level tests: fork lineage, downsampling over partly compacted
// series against a brute-force reference, and the runs catalogue.
#include "core/tracker.h"

#include <gtest/gtest.h>

#include <barrier>
#include <cmath>
#include <filesystem>
#include <map>
#include <random>
#include <thread>

namespace sextant::core {
namespace {

const model::ProjectName kProject{"ws", "p"};

class TrackerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("sextant-tracker-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    TrackerOptions o;
    o.data_dir = dir_.string();
    o.fsync_commits = false;
    o.background_compaction = false;  // tests decide when to compact
    // The time-range tests place points µs apart (the ms default is
    // model/operations_test's and the end-to-end tests').
    o.limits.timestamp_resolution_us = model::kTimestampResolutionUs;
    auto t = Tracker::Open(o);
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    tracker_ = std::move(t).value();
  }
  void TearDown() override {
    tracker_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Create(const std::string& id, std::optional<std::string> parent = {},
              std::optional<int64_t> fork_step = {}) {
    model::CreateRunOp op;
    op.run_id = id;
    op.fork_run_id = parent;
    if (fork_step) op.fork_step = *fork_step * model::kStepScale;
    auto r = tracker_->CreateRun(kProject, op);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  // Timestamps are ts_base + step (µs).
  Status Log(const std::string& id, const std::string& path, const std::vector<int64_t>& steps,
             const std::vector<double>& values, int64_t ts_base = 1'000'000) {
    model::LogBatch b;
    model::SeriesWrite s;
    s.path = path;
    for (size_t i = 0; i < steps.size(); ++i) {
      s.steps.push_back(steps[i] * model::kStepScale);
      s.ts.push_back(ts_base + steps[i]);
      s.floats.push_back(values[i]);
    }
    b.series.push_back(std::move(s));
    auto r = tracker_->Log(kProject, id, std::move(b));
    return r.ok() ? Status::Ok() : r.status();
  }
  // `chunks` batches of `per` points, steps 0, 1, …, value step / 4: one
  // chunk each, as compaction is off.
  void LogChunks(const std::string& id, int chunks, int64_t per, std::map<int64_t, double>* want) {
    for (int b = 0; b < chunks; ++b) {
      std::vector<int64_t> steps;
      std::vector<double> values;
      for (int64_t s = b * per; s < (b + 1) * per; ++s) {
        steps.push_back(s);
        values.push_back(s * 0.25);
        if (want) (*want)[s] = s * 0.25;
      }
      ASSERT_TRUE(Log(id, "loss", steps, values).ok());
    }
  }
  SeriesResult Read(const std::string& id, SeriesRequest req) {
    req.run_ids = {id};
    if (req.path.empty()) req.path = "loss";
    auto r = tracker_->ReadSeries(kProject, req);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r.value()[0] : SeriesResult{};
  }

  std::filesystem::path dir_;
  std::unique_ptr<Tracker> tracker_;
};

TEST_F(TrackerTest, ForkedRunReadsAncestorsUpToForkStep) {
  Create("parent");
  std::vector<int64_t> steps;
  std::vector<double> values;
  for (int64_t s = 0; s < 100; ++s) {
    steps.push_back(s);
    values.push_back(static_cast<double>(s));
  }
  ASSERT_TRUE(Log("parent", "loss", steps, values).ok());
  Create("child", "parent", 49);
  EXPECT_EQ(Log("child", "loss", {49}, {0.0}).code(), Code::kInvalidArgument);
  ASSERT_TRUE(Log("child", "loss", {50, 51}, {1000.0, 1001.0}).ok());
  Create("grandchild", "child", 50);
  ASSERT_TRUE(Log("grandchild", "loss", {60}, {2000.0}).ok());

  SeriesResult r = Read("grandchild", {});
  std::vector<int64_t> want_steps;
  for (int64_t s = 0; s <= 50; ++s) want_steps.push_back(s * model::kStepScale);
  want_steps.push_back(60 * model::kStepScale);
  EXPECT_EQ(r.points.steps, want_steps);
  EXPECT_EQ(r.points.floats[50], 1000.0);  // the child's own point at its fork step
  EXPECT_EQ(r.points.floats.back(), 2000.0);

  SeriesRequest own;
  own.lineage = false;
  EXPECT_EQ(Read("grandchild", own).points.size(), 1u);

  SeriesRequest buckets;
  buckets.buckets = 1;
  SeriesResult b = Read("grandchild", buckets);
  ASSERT_EQ(b.buckets.size(), 1u);
  EXPECT_EQ(b.buckets[0].count, 52u);
  EXPECT_EQ(b.buckets[0].max, 2000.0);
  EXPECT_EQ(b.buckets[0].last_value, 2000.0);
}

TEST_F(TrackerTest, ChartReadDecodesABoundedNumberOfBlocksAsTheSeriesGrows) {
  // 10x more points, same 100 snapped buckets: only the blocks cut by the
  // requested range (or a fork step) are decoded, whatever the length.
  Create("short");
  Create("long");
  for (auto [id, n] : {std::pair<std::string, int64_t>{"short", 20'000}, {"long", 200'000}}) {
    for (int64_t s0 = 0; s0 < n; s0 += 10'000) {
      std::vector<int64_t> steps;
      std::vector<double> values;
      for (int64_t s = s0; s < s0 + 10'000; ++s) {
        steps.push_back(s);
        values.push_back(std::sin(0.001 * static_cast<double>(s)));
      }
      ASSERT_TRUE(Log(id, "loss", steps, values).ok());
    }
  }
  ASSERT_TRUE(tracker_->CompactAll().ok());
  Create("fork", "long", 150'007);
  ASSERT_TRUE(Log("fork", "loss", {150'008}, {5.0}).ok());
  ASSERT_TRUE(tracker_->CompactAll().ok());
  for (const char* id : {"short", "long", "fork"}) {
    SCOPED_TRACE(id);
    SeriesRequest whole;
    whole.buckets = 100;  // 200 points per bucket at the shortest: wider than a block
    SeriesResult all = Read(id, whole);
    uint64_t total = 0;
    for (const auto& b : all.buckets) total += b.count;
    EXPECT_EQ(total, std::string(id) == "short" ? 20'000u : std::string(id) == "long" ? 200'000u : 150'009u);
    // The whole series: nothing is cut but at a fork step.
    EXPECT_LE(all.decoded_blocks, std::string(id) == "fork" ? 1u : 0u);
    SeriesRequest window = whole;
    window.step_lo = 1'001 * model::kStepScale;
    window.step_hi = 17'777 * model::kStepScale;
    SeriesResult part = Read(id, window);
    EXPECT_LE(part.decoded_blocks, 2u);
    total = 0;
    for (const auto& b : part.buckets) total += b.count;
    EXPECT_EQ(total, 16'777u);
  }
}

TEST_F(TrackerTest, DownsampleMatchesBruteForceWithOverwritesAndPartialCompaction) {
  Create("r");
  std::mt19937_64 rng(3);
  std::map<int64_t, double> ref;
  for (int batch = 0; batch < 120; ++batch) {
    std::vector<int64_t> steps;
    std::vector<double> values;
    int64_t base = rng() % 3 == 0 ? static_cast<int64_t>(rng() % 20000) : batch * 200;
    for (int i = 0; i < 250; ++i) {
      int64_t s = base + static_cast<int64_t>(rng() % 400);
      double v = std::normal_distribution<double>(0, 1)(rng);
      if (rng() % 97 == 0) v = std::numeric_limits<double>::quiet_NaN();
      if (rng() % 89 == 0) v = std::numeric_limits<double>::infinity();
      steps.push_back(s);
      values.push_back(v);
    }
    for (size_t i = 0; i < steps.size(); ++i) ref[steps[i]] = values[i];
    ASSERT_TRUE(Log("r", "loss", steps, values).ok());
    if (batch == 60) {
      ASSERT_TRUE(tracker_->CompactAll().ok());
    }
  }
  for (int n : {1, 7, 100, 3000}) {
    for (auto [lo, hi] : {std::pair<int64_t, int64_t>{0, 30000}, {1234, 5678}, {19999, 20001}}) {
      SeriesRequest req;
      req.buckets = n;
      req.exact_buckets = true;
      req.step_lo = lo * model::kStepScale;
      req.step_hi = hi * model::kStepScale;
      SeriesResult got = Read("r", req);
      // Snapped edges (the default) see the same points, NaNs and extremes.
      SeriesRequest snapped_req = req;
      snapped_req.exact_buckets = false;
      SeriesResult snapped = Read("r", snapped_req);
      uint64_t total[2] = {0, 0}, nans[2] = {0, 0};
      double lows[2] = {INFINITY, INFINITY}, highs[2] = {-INFINITY, -INFINITY};
      for (int k = 0; k < 2; ++k) {
        for (const auto& bk : (k == 0 ? got : snapped).buckets) {
          total[k] += bk.count;
          nans[k] += bk.nan_count;
          lows[k] = std::min(lows[k], bk.min);
          highs[k] = std::max(highs[k], bk.max);
        }
      }
      EXPECT_EQ(total[0], total[1]);
      EXPECT_EQ(nans[0], nans[1]);
      EXPECT_EQ(lows[0], lows[1]);
      EXPECT_EQ(highs[0], highs[1]);
      // Brute force: bucket b holds floor((s - lo) * n / (hi - lo + 1)).
      std::map<int, std::tuple<uint64_t, uint64_t, double, double, double>> want;
      for (auto [s, v] : ref) {
        int64_t ms = s * model::kStepScale;
        if (ms < req.step_lo || ms > req.step_hi) continue;
        int b = static_cast<int>((static_cast<__int128>(ms - req.step_lo) * n) /
                                 (req.step_hi - req.step_lo + 1));
        auto& [count, nans, mn, mx, last] = want.try_emplace(b, 0, 0, INFINITY, -INFINITY, 0).first->second;
        ++count;
        if (std::isnan(v)) {
          ++nans;
        } else {
          mn = std::min(mn, v);
          mx = std::max(mx, v);
        }
        last = v;
      }
      ASSERT_EQ(got.buckets.size(), want.size()) << n << " " << lo;
      for (const auto& bk : got.buckets) {
        auto& [count, nans, mn, mx, last] = want.at(bk.index);
        EXPECT_EQ(bk.count, count);
        EXPECT_EQ(bk.nan_count, nans);
        EXPECT_EQ(bk.min, mn);
        EXPECT_EQ(bk.max, mx);
        if (std::isnan(last)) {
          EXPECT_TRUE(std::isnan(bk.last_value));
        } else {
          EXPECT_EQ(bk.last_value, last);
        }
      }
    }
  }
  ASSERT_TRUE(tracker_->CompactAll().ok());
  SeriesRequest all;
  all.limit = 1'000'000;
  EXPECT_EQ(Read("r", all).points.size(), ref.size());
}

TEST_F(TrackerTest, RawReadsPageWithAfterStep) {
  Create("r");
  std::vector<int64_t> steps;
  std::vector<double> values;
  for (int64_t s = 0; s < 1000; ++s) {
    steps.push_back(s);
    values.push_back(s * 0.5);
  }
  ASSERT_TRUE(Log("r", "loss", steps, values).ok());
  SeriesRequest req;
  req.limit = 300;
  size_t total = 0;
  for (int page = 0; page < 10; ++page) {
    SeriesResult r = Read("r", req);
    total += r.points.size();
    if (!r.next_after_step) break;
    req.after_step = r.next_after_step;
  }
  EXPECT_EQ(total, 1000u);
}

// A raw page reads the chunks its points come from, not the whole series
// (a page at the start of 200 chunks costs what it costs at 2), and pages
// over overwritten, not yet compacted steps return the last write.
TEST_F(TrackerTest, RawPagesReadOnlyTheChunksTheyNeed) {
  Create("r");
  std::map<int64_t, double> want;
  LogChunks("r", 200, 50, &want);
  SeriesRequest first;
  first.limit = 10;
  SeriesResult r = Read("r", first);
  ASSERT_EQ(r.points.size(), 10u);
  EXPECT_LE(r.chunks_read, 2u);
  EXPECT_EQ(r.next_after_step, std::optional<int64_t>(9 * model::kStepScale));

  SeriesRequest middle;
  middle.limit = 120;
  middle.after_step = 4999 * model::kStepScale;
  r = Read("r", middle);
  ASSERT_EQ(r.points.size(), 120u);
  EXPECT_EQ(r.points.steps.front(), 5000 * model::kStepScale);
  EXPECT_LE(r.chunks_read, 4u);

  // Overwrites overlap the first chunks: merged, later writes winning.
  std::vector<int64_t> steps;
  std::vector<double> values;
  for (int64_t s = 10; s < 70; ++s) {
    steps.push_back(s);
    values.push_back(-1.0 * s);
    want[s] = -1.0 * s;
  }
  ASSERT_TRUE(Log("r", "loss", steps, values).ok());
  first.limit = 30;
  r = Read("r", first);
  ASSERT_EQ(r.points.size(), 30u);
  for (size_t i = 0; i < 30; ++i) EXPECT_EQ(r.points.floats[i], want[static_cast<int64_t>(i)]) << i;
  EXPECT_LE(r.chunks_read, 4u);

  // Every page together is the series, once, in order.
  SeriesRequest req;
  req.limit = 777;
  std::vector<int64_t> got_steps;
  for (int page = 0; page < 100; ++page) {
    SeriesResult p = Read("r", req);
    for (size_t i = 0; i < p.points.size(); ++i) {
      int64_t step = p.points.steps[i] / model::kStepScale;
      got_steps.push_back(step);
      EXPECT_EQ(p.points.floats[i], want[step]) << step;
    }
    if (!p.next_after_step) break;
    req.after_step = p.next_after_step;
  }
  ASSERT_EQ(got_steps.size(), want.size());
  for (size_t i = 0; i < got_steps.size(); ++i) ASSERT_EQ(got_steps[i], static_cast<int64_t>(i));
}

// The same with a time range: the chunks listed are those whose timestamps
// meet the range, so a page at either end of 200 chunks reads a few; a step
// overwritten at a time outside the range drops out of it.
TEST_F(TrackerTest, RawPagesInATimeRangeReadOnlyTheChunksTheyNeed) {
  Create("r");
  LogChunks("r", 200, 50, nullptr);
  const int64_t t0 = 1'000'000, k = model::kStepScale;
  SeriesRequest mid;
  mid.time_range = {{t0 + 5000, t0 + 5099}};
  mid.limit = 1000;
  SeriesResult r = Read("r", mid);
  ASSERT_EQ(r.points.size(), 100u);
  EXPECT_EQ(r.points.steps.front(), 5000 * k);
  EXPECT_EQ(r.points.steps.back(), 5099 * k);
  EXPECT_FALSE(r.next_after_step);
  EXPECT_LE(r.chunks_read, 3u);

  SeriesRequest tail;
  tail.time_range = {{t0 + 9990, t0 + 1'000'000}};
  tail.limit = 5;
  r = Read("r", tail);
  ASSERT_EQ(r.points.size(), 5u);
  EXPECT_EQ(r.points.steps.front(), 9990 * k);
  EXPECT_LE(r.chunks_read, 2u);
  ASSERT_TRUE(r.next_after_step);
  tail.after_step = r.next_after_step;
  r = Read("r", tail);
  ASSERT_EQ(r.points.size(), 5u);
  EXPECT_EQ(r.points.steps.back(), 9999 * k);
  EXPECT_FALSE(r.next_after_step);
  EXPECT_LE(r.chunks_read, 2u);

  // Steps 5010-5019 written again, an hour later: out of the range now.
  std::vector<int64_t> steps;
  std::vector<double> values;
  for (int64_t s = 5010; s < 5020; ++s) {
    steps.push_back(s);
    values.push_back(-1.0);
  }
  ASSERT_TRUE(Log("r", "loss", steps, values, t0 + 3'600'000'000).ok());
  r = Read("r", mid);
  ASSERT_EQ(r.points.size(), 90u);
  for (size_t i = 0; i < r.points.size(); ++i) {
    const int64_t step = r.points.steps[i] / k;
    EXPECT_TRUE(step < 5010 || step >= 5020) << step;
    EXPECT_EQ(r.points.floats[i], step * 0.25) << step;
  }
  SeriesRequest later;
  later.time_range = {{t0 + 3'600'000'000, t0 + 3'600'000'000 + 1'000'000}};
  later.limit = 100;
  r = Read("r", later);
  ASSERT_EQ(r.points.size(), 10u);
  EXPECT_EQ(r.points.steps.front(), 5010 * k);
  EXPECT_EQ(r.points.floats.front(), -1.0);
  EXPECT_LE(r.chunks_read, 3u);
}

TEST_F(TrackerTest, RunsQueryFiltersSortsAndPages) {
  for (int i = 0; i < 30; ++i) {
    std::string id = "run-" + std::to_string(i);
    Create(id);
    model::LogBatch b;
    b.configs.push_back({"lr", model::Value::Float(i * 0.001)});
    if (i % 3) b.configs.push_back({"layers", model::Value::Int(i % 4)});
    if (i % 5 == 0) b.add_tags = {"five"};
    ASSERT_TRUE(tracker_->Log(kProject, id, std::move(b)).ok());
    ASSERT_TRUE(Log(id, "loss", {0, 1}, {1.0, 1.0 / (i + 1)}).ok());
  }
  RunsQuery q;
  q.filter = query::Filter::Parse("lr >= 0.01 and sys/tags contains \"five\"").value();
  q.sort = {{"loss", false}};
  auto page = tracker_->QueryRuns(kProject, q);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->total, 4u);  // 10, 15, 20, 25
  EXPECT_EQ(page->rows[0].run.run_id, "run-25");  // smallest last loss first
  EXPECT_EQ(page->rows[3].run.run_id, "run-10");

  RunsQuery by_layers;
  by_layers.sort = {{"layers", true}};
  by_layers.limit = 5;
  by_layers.offset = 25;
  page = tracker_->QueryRuns(kProject, by_layers);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->total, 30u);
  ASSERT_EQ(page->rows.size(), 5u);
  for (const auto& row : page->rows)  // runs without `layers` sort last
    for (const auto& [path, v] : row.attributes) EXPECT_NE(path, "layers");
}

// Concurrent writes of one config: the runs table must show the value the
// database kept, so the catalogue is updated in commit order. Each round
// starts every thread's write at once, then compares.
TEST_F(TrackerTest, CatalogueFollowsCommitOrderUnderConcurrentWrites) {
  Create("shared");
  // Load the catalogue first so that every write goes through it.
  ASSERT_TRUE(tracker_->QueryRuns(kProject, RunsQuery{}).ok());
  constexpr int kThreads = 8, kRounds = 150;
  auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  for (int round = 0; round < kRounds && !HasFailure(); ++round) {
    std::barrier start(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
      threads.emplace_back([&, t] {
        model::LogBatch b;
        b.configs.push_back({"c", model::Value::Int(round * kThreads + t)});
        b.add_tags = {"t" + std::to_string(t)};
        b.remove_tags = {"t" + std::to_string((t + 1) % kThreads)};
        start.arrive_and_wait();
        EXPECT_TRUE(tracker_->Log(kProject, "shared", std::move(b)).ok());
      });
    for (auto& th : threads) th.join();
    auto attrs = tracker_->Attributes(kProject, "shared", "");
    ASSERT_TRUE(attrs.ok());
    std::map<std::string, model::Value> stored;
    for (const auto& a : *attrs) stored[a.path] = a.value;
    auto page = tracker_->QueryRuns(kProject, RunsQuery{});
    ASSERT_TRUE(page.ok());
    ASSERT_EQ(page->rows.size(), 1u);
    std::map<std::string, model::Value> shown(page->rows[0].attributes.begin(),
                                              page->rows[0].attributes.end());
    ASSERT_TRUE(shown.count("c") && stored.count("c") && shown.count("sys/tags"));
    EXPECT_EQ(shown["c"].i, stored["c"].i) << "round " << round;
    EXPECT_EQ(sorted(shown["sys/tags"].set), sorted(stored["sys/tags"].set)) << "round " << round;
  }
}

}  // namespace
}  // namespace sextant::core
