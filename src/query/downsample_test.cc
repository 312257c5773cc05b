#include "query/downsample.h"

#include <gtest/gtest.h>

#include <bit>
#include <chrono>
#include <cstdio>
#include <cmath>
#include <limits>
#include <memory>
#include <random>

namespace sextant::query {
namespace {

using chunkenc::ChunkIndex;
using chunkenc::EncodedChunk;

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
const double kInf = std::numeric_limits<double>::infinity();

struct Points {
  std::vector<int64_t> steps, ts;
  std::vector<double> values;
  void Add(int64_t s, int64_t t, double v) {
    steps.push_back(s);
    ts.push_back(t);
    values.push_back(v);
  }
};

// Owns the encoded chunks and point buffers the pieces point into.
struct Fixture {
  std::vector<std::unique_ptr<EncodedChunk>> chunks;
  std::vector<std::unique_ptr<ChunkIndex>> indexes;
  std::vector<std::unique_ptr<Points>> points;
  std::vector<Piece> pieces;

  void AddChunk(const Points& p, int64_t clip_lo, int64_t clip_hi) {
    chunks.push_back(std::make_unique<EncodedChunk>(
        chunkenc::EncodeFloatChunk(p.steps, p.ts, p.values).value()));
    indexes.push_back(
        std::make_unique<ChunkIndex>(ChunkIndex::Parse(chunks.back()->index).value()));
    pieces.push_back(ChunkPiece{indexes.back().get(), chunks.back()->data, clip_lo, clip_hi});
  }
  void AddPoints(const Points& p) {
    points.push_back(std::make_unique<Points>(p));
    const Points& q = *points.back();
    pieces.push_back(PointsPiece{q.steps, q.ts, q.values});
  }
};

// The reference: every point of the series, bucketed one by one.
std::vector<Bucket> BruteForce(const Points& series, Axis axis, int64_t lo, int64_t hi, int n) {
  std::vector<Bucket> dense(n);
  for (size_t i = 0; i < series.steps.size(); ++i) {
    int64_t key = axis == Axis::kStep ? series.steps[i] : series.ts[i];
    if (key < lo || key > hi) continue;
    Bucket& b = dense[BucketOf(key, lo, hi, n)];
    double v = series.values[i];
    if (b.count == 0) {
      b.min = kInf;
      b.max = -kInf;
      b.first_step = series.steps[i];
      b.first_value = v;
      b.first_ts = series.ts[i];
      b.min_ts = b.max_ts = series.ts[i];
    }
    ++b.count;
    b.min_ts = std::min(b.min_ts, series.ts[i]);
    b.max_ts = std::max(b.max_ts, series.ts[i]);
    if (std::isnan(v)) {
      ++b.nan_count;
    } else {
      b.min = std::min(b.min, v);
      b.max = std::max(b.max, v);
      b.sum += v;
    }
    b.last_step = series.steps[i];
    b.last_value = v;
    b.last_ts = series.ts[i];
  }
  std::vector<Bucket> out;
  for (int i = 0; i < n; ++i) {
    if (dense[i].count == 0) continue;
    dense[i].index = i;
    out.push_back(dense[i]);
  }
  return out;
}

bool SameBits(double a, double b) {
  return std::bit_cast<uint64_t>(a) == std::bit_cast<uint64_t>(b);
}

void ExpectSameBuckets(const std::vector<Bucket>& got, const std::vector<Bucket>& want,
                       double sum_tolerance) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    const Bucket& g = got[i];
    const Bucket& w = want[i];
    SCOPED_TRACE(testing::Message() << "bucket " << w.index);
    ASSERT_EQ(g.index, w.index);
    EXPECT_EQ(g.count, w.count);
    EXPECT_EQ(g.nan_count, w.nan_count);
    EXPECT_EQ(g.min, w.min);
    EXPECT_EQ(g.max, w.max);
    if (std::isnan(w.sum) || std::isinf(w.sum)) {
      EXPECT_TRUE(SameBits(g.sum, w.sum) || (std::isnan(g.sum) && std::isnan(w.sum)))
          << g.sum << " vs " << w.sum;
    } else {
      EXPECT_NEAR(g.sum, w.sum, sum_tolerance);
    }
    EXPECT_EQ(g.first_step, w.first_step);
    EXPECT_EQ(g.last_step, w.last_step);
    EXPECT_TRUE(SameBits(g.first_value, w.first_value));
    EXPECT_TRUE(SameBits(g.last_value, w.last_value));
    EXPECT_EQ(g.first_ts, w.first_ts);
    EXPECT_EQ(g.last_ts, w.last_ts);
    EXPECT_EQ(g.min_ts, w.min_ts);
    EXPECT_EQ(g.max_ts, w.max_ts);
  }
}

TEST(BucketOfTest, EqualWidthIntervals) {
  // [0, 9] in 3 buckets of widths 3.33: {0..3}, {4..6}, {7..9}.
  EXPECT_EQ(BucketOf(0, 0, 9, 3), 0);
  EXPECT_EQ(BucketOf(3, 0, 9, 3), 0);
  EXPECT_EQ(BucketOf(4, 0, 9, 3), 1);
  EXPECT_EQ(BucketOf(6, 0, 9, 3), 1);
  EXPECT_EQ(BucketOf(7, 0, 9, 3), 2);
  EXPECT_EQ(BucketOf(9, 0, 9, 3), 2);
  EXPECT_EQ(BucketStart(1, 0, 9, 3), 4);
  EXPECT_EQ(BucketStart(2, 0, 9, 3), 7);
  // More buckets than values: some buckets are empty, none is skipped twice.
  EXPECT_EQ(BucketOf(0, 0, 1, 5), 0);
  EXPECT_EQ(BucketOf(1, 0, 1, 5), 2);
  // The full int64 range does not overflow.
  EXPECT_EQ(BucketOf(kMin, kMin, kMax, 2), 0);
  EXPECT_EQ(BucketOf(-1, kMin, kMax, 2), 0);
  EXPECT_EQ(BucketOf(0, kMin, kMax, 2), 1);
  EXPECT_EQ(BucketOf(kMax, kMin, kMax, 100000), 99999);
  EXPECT_EQ(BucketStart(1, kMin, kMax, 2), 0);
  std::mt19937_64 rng(1);
  for (int i = 0; i < 10000; ++i) {
    int64_t lo = static_cast<int64_t>(rng()), hi = static_cast<int64_t>(rng());
    if (lo > hi) std::swap(lo, hi);
    int n = 1 + static_cast<int>(rng() % 1000);
    int32_t b = static_cast<int32_t>(rng() % n);
    int64_t start = BucketStart(b, lo, hi, n);
    ASSERT_EQ(BucketOf(start, lo, hi, n), b);
    if (start > lo) {
      ASSERT_EQ(BucketOf(start - 1, lo, hi, n), b - 1);
    }
  }
}

TEST(DownsampleTest, InvalidArguments) {
  std::vector<Piece> none;
  EXPECT_EQ(Downsample(none, Axis::kStep, 5, 4, 10).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(Downsample(none, Axis::kStep, 0, 4, 0).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(Downsample(none, Axis::kStep, 0, 4, 100001).status().code(), Code::kInvalidArgument);
  EXPECT_TRUE(Downsample(none, Axis::kStep, 0, 4, 100000).ok());
  std::vector<Piece> null_chunk = {ChunkPiece{nullptr, "", kMin, kMax}};
  EXPECT_EQ(Downsample(null_chunk, Axis::kStep, 0, 4, 1).status().code(), Code::kInvalidArgument);
  std::vector<int64_t> s = {1, 2}, t = {1};
  std::vector<double> v = {1, 2};
  std::vector<Piece> ragged = {PointsPiece{s, t, v}};
  EXPECT_EQ(Downsample(ragged, Axis::kStep, 0, 4, 1).status().code(), Code::kInvalidArgument);
  // Bytes chunks cannot be downsampled.
  std::vector<std::string_view> sv = {"a", "b"};
  EncodedChunk bytes = chunkenc::EncodeBytesChunk(s, s, sv).value();
  ChunkIndex idx = ChunkIndex::Parse(bytes.index).value();
  std::vector<Piece> bytes_piece = {ChunkPiece{&idx, bytes.data, kMin, kMax}};
  EXPECT_EQ(Downsample(bytes_piece, Axis::kStep, 0, 4, 1).status().code(),
            Code::kInvalidArgument);
}

TEST(DownsampleTest, CorruptChunkIsDataLossWithContext) {
  Points p;
  for (int i = 0; i < 300; ++i) p.Add(i, i, i);
  Fixture f;
  f.AddChunk(p, kMin, kMax);
  std::string bad(f.chunks[0]->data);
  bad[bad.size() / 2] ^= 1;
  std::get<ChunkPiece>(f.pieces[0]).data = bad;
  auto r = Downsample(f.pieces, Axis::kStep, 0, 299, 7);
  EXPECT_EQ(r.status().code(), Code::kDataLoss);
  EXPECT_NE(r.status().message().find("piece 0"), std::string::npos);
}

TEST(DownsampleTest, SmallExampleWithNanAndClip) {
  Points p;
  const double nan = std::nan("");
  // Steps 0..9; the clip keeps 2..7.
  double vals[] = {100, 100, 1, nan, 3, -kInf, 5, 6, 100, 100};
  for (int i = 0; i < 10; ++i) p.Add(i * 10, 1000 + i, vals[i]);
  Fixture f;
  f.AddChunk(p, 20, 70);
  auto r = Downsample(f.pieces, Axis::kStep, 0, 99, 2).value();
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].index, 0);  // steps 20..40
  EXPECT_EQ(r[0].count, 3u);
  EXPECT_EQ(r[0].nan_count, 1u);
  EXPECT_EQ(r[0].min, 1);
  EXPECT_EQ(r[0].max, 3);
  EXPECT_EQ(r[0].mean(), 2);
  EXPECT_EQ(r[0].first_step, 20);
  EXPECT_EQ(r[0].last_step, 40);
  EXPECT_EQ(r[1].index, 1);  // steps 50..70
  EXPECT_EQ(r[1].min, -kInf);
  EXPECT_EQ(r[1].max, 6);
  EXPECT_EQ(r[1].last_value, 6);
  EXPECT_EQ(r[1].last_ts, 1007);
}

TEST(DownsampleTest, CostGrowsWithBucketsNotPoints) {
  const int64_t n = 1'000'000;
  Fixture f;
  std::mt19937_64 rng(3);
  // Ten 100k-point chunks, as a compactor would seal them.
  for (int64_t c = 0; c < 10; ++c) {
    Points p;
    for (int64_t i = c * n / 10; i < (c + 1) * n / 10; ++i) {
      p.Add(i * 1'000'000, 1'700'000'000'000'000 + i * 100'000 + int64_t(rng() % 3000),
            std::exp(-1e-6 * i) + 1e-3 * (rng() % 100));
    }
    f.AddChunk(p, kMin, kMax);
  }
  for (Axis axis : {Axis::kStep, Axis::kTime}) {
    int64_t lo = axis == Axis::kStep ? 0 : 1'700'000'000'000'000;
    int64_t hi = axis == Axis::kStep ? (n - 1) * 1'000'000 : lo + n * 100'000 + 3000;
    DownsampleStats stats;
    auto r = Downsample(f.pieces, axis, lo, hi, 100, &stats);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->size(), 100u);
    uint64_t total = 0;
    for (const Bucket& b : *r) total += b.count;
    EXPECT_EQ(total, static_cast<uint64_t>(n));
    EXPECT_LE(stats.blocks_decoded, 2u * 100);
    EXPECT_LE(stats.points_scanned, 2u * 100 * chunkenc::kBlockPoints);
    EXPECT_EQ(stats.blocks_summarized + stats.blocks_decoded, (n / 10 + 127) / 128 * 10);
  }
}

// A random series split into non-overlapping pieces: chunks (which may hold
// extra points outside their clip range, like a forked run's parent) and
// already-decoded points.
struct RandomCase {
  Points series;  // what the series really is, in step order
  Fixture f;
};

void MakeRandomCase(std::mt19937_64& rng, RandomCase* c) {
  int64_t step = static_cast<int64_t>(rng() % 1000) - 500;
  int64_t t = static_cast<int64_t>(rng() % 1'000'000);
  bool regular = rng() % 2;
  int n_pieces = 1 + static_cast<int>(rng() % 5);
  auto next_value = [&]() -> double {
    switch (rng() % 20) {
      case 0: return std::nan("");
      case 1: return kInf;
      case 2: return -kInf;
      case 3: return -0.0;
      default: return static_cast<double>(static_cast<int64_t>(rng() % 2001) - 1000) / 8;
    }
  };
  for (int piece = 0; piece < n_pieces; ++piece) {
    size_t n = rng() % 3 == 0 ? rng() % 20 : rng() % 1500;
    Points own;
    for (size_t i = 0; i < n; ++i) {
      step += regular ? 1000 : 1 + static_cast<int64_t>(rng() % 3000);
      t += regular ? 100 + static_cast<int64_t>(rng() % 10)
                   : static_cast<int64_t>(rng() % 400) - 100;  // may run backwards
      own.Add(step, t, next_value());
    }
    step += 1 + static_cast<int64_t>(rng() % 5000);
    c->series.steps.insert(c->series.steps.end(), own.steps.begin(), own.steps.end());
    c->series.ts.insert(c->series.ts.end(), own.ts.begin(), own.ts.end());
    c->series.values.insert(c->series.values.end(), own.values.begin(), own.values.end());
    if (rng() % 3 == 0 || own.steps.empty()) {
      if (!own.steps.empty()) c->f.AddPoints(own);
      continue;
    }
    // A chunk with junk before and after its clip range.
    int64_t clip_lo = own.steps.front(), clip_hi = own.steps.back();
    Points chunk;
    int junk_before = rng() % 2 ? static_cast<int>(rng() % 300) : 0;
    int64_t gap = 1 + static_cast<int64_t>(rng() % 400);
    for (int j = 0; j < junk_before; ++j) chunk.Add(clip_lo - (junk_before - j) * gap, t, 1e300);
    chunk.steps.insert(chunk.steps.end(), own.steps.begin(), own.steps.end());
    chunk.ts.insert(chunk.ts.end(), own.ts.begin(), own.ts.end());
    chunk.values.insert(chunk.values.end(), own.values.begin(), own.values.end());
    int junk_after = rng() % 2 ? static_cast<int>(rng() % 300) : 0;
    for (int j = 0; j < junk_after; ++j) chunk.Add(clip_hi + 1 + j * 7, t - j, -1e300);
    // Sometimes the clip is looser than the points it keeps.
    if (rng() % 4 == 0 && junk_before == 0) clip_lo = kMin;
    if (rng() % 4 == 0 && junk_after == 0) clip_hi = kMax;
    c->f.AddChunk(chunk, clip_lo, clip_hi);
  }
}

TEST(DownsampleTest, MatchesBruteForceOnRandomSeries) {
  std::mt19937_64 rng(2024);
  for (int iter = 0; iter < 600; ++iter) {
    SCOPED_TRACE(iter);
    RandomCase c;
    MakeRandomCase(rng, &c);
    if (c.series.steps.empty()) continue;
    for (Axis axis : {Axis::kStep, Axis::kTime}) {
      const std::vector<int64_t>& keys = axis == Axis::kStep ? c.series.steps : c.series.ts;
      int64_t kmin = *std::min_element(keys.begin(), keys.end());
      int64_t kmax = *std::max_element(keys.begin(), keys.end());
      int64_t span = kmax - kmin + 1;
      int64_t lo, hi;
      switch (rng() % 4) {
        case 0: lo = kmin; hi = kmax; break;                      // everything
        case 1: lo = kmin - span / 3; hi = kmax + span / 3; break;  // margins
        case 2: lo = kmin + static_cast<int64_t>(rng() % span);     // a window
                hi = lo + static_cast<int64_t>(rng() % span); break;
        default: lo = hi = keys[rng() % keys.size()]; break;        // one value
      }
      int n = rng() % 5 == 0 ? 1 + static_cast<int>(rng() % 5000)
                             : 1 + static_cast<int>(rng() % 200);
      double scale = 0;
      for (double v : c.series.values) scale += std::isfinite(v) ? std::fabs(v) : 0;
      DownsampleStats stats;
      auto got = Downsample(c.f.pieces, axis, lo, hi, n, &stats);
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      ExpectSameBuckets(*got, BruteForce(c.series, axis, lo, hi, n), scale * 1e-12 + 1e-9);
      if (HasFailure()) return;
    }
  }
}

// The reference for snapped edges: a block that lies wholly inside the
// range and its piece's clip goes to the bucket of its first key; every
// other point (cut blocks, decoded pieces) to its own bucket.
std::vector<Bucket> BruteForceSnapped(const Fixture& f, int64_t lo, int64_t hi, int n) {
  Points assigned;          // points in step order
  std::vector<int64_t> key;  // the key each point is bucketed by
  for (const Piece& piece : f.pieces) {
    if (const auto* pts = std::get_if<PointsPiece>(&piece)) {
      for (size_t i = 0; i < pts->steps.size(); ++i) {
        assigned.Add(pts->steps[i], pts->ts[i], pts->values[i]);
        key.push_back(pts->steps[i]);
      }
      continue;
    }
    const auto& c = std::get<ChunkPiece>(piece);
    for (size_t b = 0; b < c.index->blocks().size(); ++b) {
      const auto& s = c.index->blocks()[b];
      std::vector<int64_t> st, ts;
      std::vector<double> v;
      EXPECT_TRUE(c.index->DecodeFloatBlock(b, c.data, &st, &ts, &v).ok());
      bool whole = s.first_step >= std::max(c.clip_lo, lo) && s.last_step <= std::min(c.clip_hi, hi);
      // Only blocks narrower than a bucket are snapped.
      unsigned __int128 span = static_cast<uint64_t>(s.last_step) - static_cast<uint64_t>(s.first_step);
      unsigned __int128 width = static_cast<unsigned __int128>(static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo)) + 1;
      whole = whole && span * static_cast<unsigned>(n) < width;
      for (size_t i = 0; i < st.size(); ++i) {
        if (st[i] < c.clip_lo || st[i] > c.clip_hi) continue;
        assigned.Add(st[i], ts[i], v[i]);
        key.push_back(whole ? s.first_step : st[i]);
      }
    }
  }
  std::vector<Bucket> dense(n);
  for (size_t i = 0; i < assigned.steps.size(); ++i) {
    if (assigned.steps[i] < lo || assigned.steps[i] > hi) continue;
    Bucket& b = dense[BucketOf(key[i], lo, hi, n)];
    double v = assigned.values[i];
    if (b.count == 0) {
      b.min = kInf;
      b.max = -kInf;
      b.first_step = assigned.steps[i];
      b.first_value = v;
      b.first_ts = assigned.ts[i];
      b.min_ts = b.max_ts = assigned.ts[i];
    }
    ++b.count;
    b.min_ts = std::min(b.min_ts, assigned.ts[i]);
    b.max_ts = std::max(b.max_ts, assigned.ts[i]);
    if (std::isnan(v)) {
      ++b.nan_count;
    } else {
      b.min = std::min(b.min, v);
      b.max = std::max(b.max, v);
      b.sum += v;
    }
    b.last_step = assigned.steps[i];
    b.last_value = v;
    b.last_ts = assigned.ts[i];
  }
  std::vector<Bucket> out;
  for (int i = 0; i < n; ++i) {
    if (dense[i].count == 0) continue;
    dense[i].index = i;
    out.push_back(dense[i]);
  }
  return out;
}

TEST(DownsampleTest, SnappedEdgesMatchBruteForceAndAgreeWithExact) {
  std::mt19937_64 rng(77);
  for (int iter = 0; iter < 600; ++iter) {
    SCOPED_TRACE(iter);
    RandomCase c;
    MakeRandomCase(rng, &c);
    if (c.series.steps.empty()) continue;
    int64_t kmin = c.series.steps.front(), kmax = c.series.steps.back();
    int64_t span = kmax - kmin + 1;
    int64_t lo = kmin, hi = kmax;
    if (rng() % 2) {
      lo = kmin + static_cast<int64_t>(rng() % span);
      hi = lo + static_cast<int64_t>(rng() % span);
    }
    int n = 1 + static_cast<int>(rng() % 300);
    double scale = 0;
    for (double v : c.series.values) scale += std::isfinite(v) ? std::fabs(v) : 0;
    auto snapped = Downsample(c.f.pieces, Axis::kStep, lo, hi, n, nullptr, Edges::kBlocks);
    ASSERT_TRUE(snapped.ok()) << snapped.status().ToString();
    ExpectSameBuckets(*snapped, BruteForceSnapped(c.f, lo, hi, n), scale * 1e-12 + 1e-9);
    // Same points, NaNs, extremes and ends as equal-width buckets.
    auto exact = Downsample(c.f.pieces, Axis::kStep, lo, hi, n);
    ASSERT_TRUE(exact.ok());
    auto totals = [](const std::vector<Bucket>& bs) {
      Bucket t;
      t.min = kInf;
      t.max = -kInf;
      for (const Bucket& b : bs) {
        t.count += b.count;
        t.nan_count += b.nan_count;
        t.min = std::min(t.min, b.min);
        t.max = std::max(t.max, b.max);
      }
      if (!bs.empty()) {
        t.first_step = bs.front().first_step;
        t.last_step = bs.back().last_step;
      }
      return t;
    };
    Bucket a = totals(*snapped), b = totals(*exact);
    EXPECT_EQ(a.count, b.count);
    EXPECT_EQ(a.nan_count, b.nan_count);
    EXPECT_EQ(a.min, b.min);
    EXPECT_EQ(a.max, b.max);
    EXPECT_EQ(a.first_step, b.first_step);
    EXPECT_EQ(a.last_step, b.last_step);
    // Every bucket reports what it covers, in order, without overlap.
    for (size_t i = 1; i < snapped->size(); ++i)
      EXPECT_GT((*snapped)[i].first_step, (*snapped)[i - 1].last_step);
    if (HasFailure()) return;
  }
}

TEST(DownsampleTest, BlocksWiderThanABucketAreCutExactly) {
  // A short series in a wide chart: 100 points (one block) in 400 buckets
  // gives 100 buckets, as equal-width ones do; snapping is only for blocks
  // narrower than a bucket.
  Points p;
  for (int64_t i = 0; i < 100; ++i) p.Add(i, i, double(i));
  Fixture f;
  f.AddChunk(p, kMin, kMax);
  auto snapped = Downsample(f.pieces, Axis::kStep, 0, 99, 400, nullptr, Edges::kBlocks);
  ASSERT_TRUE(snapped.ok());
  ExpectSameBuckets(*snapped, BruteForce(p, Axis::kStep, 0, 99, 400), 0);
  // 1,000 points in 20 buckets of 50: blocks of 128 span three buckets.
  Points q;
  for (int64_t i = 0; i < 1000; ++i) q.Add(i, i, double(i % 7));
  Fixture g;
  g.AddChunk(q, kMin, kMax);
  auto r = Downsample(g.pieces, Axis::kStep, 0, 999, 20, nullptr, Edges::kBlocks);
  ASSERT_TRUE(r.ok());
  ExpectSameBuckets(*r, BruteForce(q, Axis::kStep, 0, 999, 20), 0);
  // 10 buckets of 100 points: still narrower than a block, still exact.
  r = Downsample(g.pieces, Axis::kStep, 0, 999, 10, nullptr, Edges::kBlocks);
  ASSERT_TRUE(r.ok());
  ExpectSameBuckets(*r, BruteForce(q, Axis::kStep, 0, 999, 10), 0);
}

TEST(DownsampleTest, BlocksToDecodeIsWhatDownsampleDecodes) {
  std::mt19937_64 rng(91);
  for (int iter = 0; iter < 300; ++iter) {
    SCOPED_TRACE(iter);
    RandomCase c;
    MakeRandomCase(rng, &c);
    if (c.series.steps.empty()) continue;
    for (Axis axis : {Axis::kStep, Axis::kTime}) {
      for (Edges edges : {Edges::kExact, Edges::kBlocks}) {
        const auto& keys = axis == Axis::kStep ? c.series.steps : c.series.ts;
        int64_t kmin = *std::min_element(keys.begin(), keys.end());
        int64_t kmax = *std::max_element(keys.begin(), keys.end());
        int64_t span = kmax - kmin + 1;
        int64_t lo = kmin + static_cast<int64_t>(rng() % span) - span / 4;
        int64_t hi = lo + static_cast<int64_t>(rng() % span);
        int n = 1 + static_cast<int>(rng() % 100);
        uint64_t chosen = 0;
        for (const Piece& piece : c.f.pieces) {
          const auto* cp = std::get_if<ChunkPiece>(&piece);
          if (!cp) continue;
          std::vector<size_t> want;
          for (size_t b = 0; b < cp->index->blocks().size(); ++b)
            if (BlockNeedsDecode(cp->index->blocks()[b], axis, edges, lo, hi, n, cp->clip_lo, cp->clip_hi))
              want.push_back(b);
          EXPECT_EQ(BlocksToDecode(*cp->index, axis, edges, lo, hi, n, cp->clip_lo, cp->clip_hi), want)
              << "axis " << int(axis) << " edges " << int(edges) << " lo " << lo << " hi " << hi << " n " << n
              << " clip " << cp->clip_lo << ".." << cp->clip_hi << " chunk " << cp->index->stats().first_step << ".."
              << cp->index->stats().last_step << " ts " << cp->index->stats().min_ts << ".." << cp->index->stats().max_ts
              << " b1 " << (want.empty() ? 0 : cp->index->blocks()[want[0]].first_step) << ".."
              << (want.empty() ? 0 : cp->index->blocks()[want[0]].last_step) << " ts "
              << (want.empty() ? 0 : cp->index->blocks()[want[0]].min_ts) << ".."
              << (want.empty() ? 0 : cp->index->blocks()[want[0]].max_ts);
          chosen += want.size();
        }
        DownsampleStats stats;
        ASSERT_TRUE(Downsample(c.f.pieces, axis, lo, hi, n, &stats, edges).ok());
        EXPECT_EQ(stats.blocks_decoded, chosen);
        if (HasFailure()) return;
      }
    }
  }
}

TEST(DownsampleTest, SnappedCostDoesNotGrowWithTheSeries) {
  // 10x and 100x the points, same 50 buckets: with snapped edges only the
  // blocks cut by the requested range are decoded, and chunks that fit in
  // one bucket are taken whole from their aggregates.
  std::mt19937_64 rng(8);
  uint64_t decoded_at[3];
  for (int k = 0; k < 3; ++k) {
    const int64_t n = int64_t{50'000} * (k == 0 ? 1 : k == 1 ? 10 : 100);
    const int64_t per_chunk = 16'384;
    Fixture f;
    for (int64_t c0 = 0; c0 < n; c0 += per_chunk) {
      Points p;
      for (int64_t i = c0; i < std::min(n, c0 + per_chunk); ++i)
        p.Add(i * 1'000'000, i * 1000 + int64_t(rng() % 700), 1e-3 * double(rng() % 1000));
      f.AddChunk(p, kMin, kMax);
    }
    // A window that cuts blocks at both ends.
    int64_t lo = 77 * 1'000'000 + 1, hi = (n - 77) * 1'000'000 - 1;
    DownsampleStats stats;
    // 50 buckets: each ~1,000 points at the smallest size, wider than a block.
    auto r = Downsample(f.pieces, Axis::kStep, lo, hi, 50, &stats, Edges::kBlocks);
    ASSERT_TRUE(r.ok());
    uint64_t total = 0;
    for (const Bucket& b : *r) total += b.count;
    EXPECT_EQ(total, static_cast<uint64_t>(n - 77 - 77 - 1));
    decoded_at[k] = stats.blocks_decoded;
    EXPECT_LE(stats.blocks_decoded, 2u);
    EXPECT_GT(stats.blocks_summarized, 0u);
  }
  EXPECT_EQ(decoded_at[0], decoded_at[2]);
  // When a bucket spans several chunks (as 2,000 buckets over 100 M points
  // in 16,384-point chunks do), most chunks are taken whole.
  const int64_t n = 2'000'000, per_chunk = 256;
  Fixture f;
  Points p;
  for (int64_t c0 = 0; c0 < n; c0 += per_chunk) {
    p = Points();
    for (int64_t i = c0; i < std::min(n, c0 + per_chunk); i += 1) p.Add(i, i, double(i % 97));
    f.AddChunk(p, kMin, kMax);
  }
  DownsampleStats stats;
  auto r = Downsample(f.pieces, Axis::kStep, 0, n - 1, 2000, &stats, Edges::kBlocks);
  ASSERT_TRUE(r.ok());
  uint64_t chunks = (n + per_chunk - 1) / per_chunk;
  EXPECT_GT(stats.chunks_summarized, chunks / 2);
  // Everything else walks the summaries of the chunks cut by bucket edges.
  EXPECT_LE(stats.blocks_summarized, 2000u * (per_chunk / chunkenc::kBlockPoints + 1) * 2);
  EXPECT_EQ(stats.blocks_decoded, 0u);
}

TEST(DownsampleTest, ExtremeRanges) {
  Points p;
  p.Add(kMin, kMin, 1);
  p.Add(-1, 0, 2);
  p.Add(kMax, kMax, 3);
  Fixture f;
  f.AddChunk(p, kMin, kMax);
  for (Axis axis : {Axis::kStep, Axis::kTime}) {
    for (int n : {1, 2, 3, 100000}) {
      auto r = Downsample(f.pieces, axis, kMin, kMax, n);
      ASSERT_TRUE(r.ok());
      ExpectSameBuckets(*r, BruteForce(p, axis, kMin, kMax, n), 0);
    }
  }
}

// DESIGN.md's target: a 10M-point series into 2,000 buckets in <= 10 ms.
// Prints the time; run with --gtest_also_run_disabled_tests.
TEST(DownsampleTest, DISABLED_TenMillionPointsSpeed) {
  const int64_t n = 10'000'000, per_chunk = 100'000;
  Fixture f;
  std::mt19937_64 rng(5);
  for (int64_t c = 0; c < n / per_chunk; ++c) {
    Points p;
    for (int64_t i = c * per_chunk; i < (c + 1) * per_chunk; ++i) {
      p.Add(i * 1'000'000, 1'700'000'000'000'000 + i * 100'000 + int64_t(rng() % 3000),
            static_cast<float>(std::exp(-1e-7 * i) + 1e-3 * (rng() % 100)));
    }
    f.AddChunk(p, kMin, kMax);
  }
  for (int buckets : {2000, 100000}) {
    double best_ds = 1e9, best_parse = 1e9;
    DownsampleStats stats;
    for (int rep = 0; rep < 10; ++rep) {
      auto t0 = std::chrono::steady_clock::now();
      for (const auto& c : f.chunks) {
        auto idx = ChunkIndex::Parse(c->index);
        ASSERT_TRUE(idx.ok());
      }
      auto t1 = std::chrono::steady_clock::now();
      auto r = Downsample(f.pieces, Axis::kStep, 0, (n - 1) * 1'000'000, buckets, &stats);
      auto t2 = std::chrono::steady_clock::now();
      ASSERT_TRUE(r.ok());
      best_parse = std::min(best_parse, std::chrono::duration<double>(t1 - t0).count());
      best_ds = std::min(best_ds, std::chrono::duration<double>(t2 - t1).count());
    }
    std::printf("10M points -> %d buckets: downsample %.2f ms (%llu blocks decoded, %llu "
                "summarized); parsing the %zu chunk indexes %.2f ms\n",
                buckets, best_ds * 1e3, static_cast<unsigned long long>(stats.blocks_decoded),
                static_cast<unsigned long long>(stats.blocks_summarized), f.chunks.size(),
                best_parse * 1e3);
  }
}

}  // namespace
}  // namespace sextant::query
