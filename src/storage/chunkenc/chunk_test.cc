#include "storage/chunkenc/chunk.h"

#include <gtest/gtest.h>

#include <bit>
#include <cfloat>
#include <cmath>
#include <limits>
#include <random>

namespace sextant::chunkenc {
namespace {

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
const double kInf = std::numeric_limits<double>::infinity();

double FromBits(uint64_t b) { return std::bit_cast<double>(b); }
uint64_t ToBits(double d) { return std::bit_cast<uint64_t>(d); }

struct Series {
  std::vector<int64_t> steps, ts;
  std::vector<double> values;
};

// The summary a block of points must have, computed point by point.
BlockSummary BruteSummary(const Series& s, size_t lo, size_t n) {
  BlockSummary b;
  b.count = static_cast<uint32_t>(n);
  b.first_step = s.steps[lo];
  b.last_step = s.steps[lo + n - 1];
  b.min_ts = b.max_ts = s.ts[lo];
  b.min = kInf;
  b.max = -kInf;
  for (size_t i = lo; i < lo + n; ++i) {
    b.min_ts = std::min(b.min_ts, s.ts[i]);
    b.max_ts = std::max(b.max_ts, s.ts[i]);
    double v = s.values[i];
    if (std::isnan(v)) {
      ++b.nan_count;
    } else {
      b.min = std::min(b.min, v);
      b.max = std::max(b.max, v);
      b.sum += v;
    }
  }
  b.first_value = s.values[lo];
  b.last_value = s.values[lo + n - 1];
  b.first_ts = s.ts[lo];
  b.last_ts = s.ts[lo + n - 1];
  return b;
}

void ExpectSameDouble(double a, double b, const char* what) {
  EXPECT_EQ(ToBits(a), ToBits(b)) << what << ": " << a << " vs " << b;
}

// Encodes, parses, checks every summary against brute force, and decodes
// both block by block and all at once, bit-exactly.
void ExpectFloatRoundTrip(const Series& s) {
  auto enc = EncodeFloatChunk(s.steps, s.ts, s.values);
  ASSERT_TRUE(enc.ok()) << enc.status().ToString();
  auto idx = ChunkIndex::Parse(enc->index);
  ASSERT_TRUE(idx.ok()) << idx.status().ToString();
  EXPECT_EQ(idx->encoding(), Encoding::kFloat);
  EXPECT_EQ(idx->num_points(), s.steps.size());
  EXPECT_EQ(idx->data_size(), enc->data.size());
  ASSERT_EQ(idx->blocks().size(), (s.steps.size() + kBlockPoints - 1) / kBlockPoints);
  for (size_t b = 0; b < idx->blocks().size(); ++b) {
    const BlockSummary& got = idx->blocks()[b];
    size_t lo = b * kBlockPoints;
    BlockSummary want = BruteSummary(s, lo, std::min(kBlockPoints, s.steps.size() - lo));
    ASSERT_EQ(got.count, want.count);
    EXPECT_EQ(got.first_step, want.first_step);
    EXPECT_EQ(got.last_step, want.last_step);
    EXPECT_EQ(got.min_ts, want.min_ts);
    EXPECT_EQ(got.max_ts, want.max_ts);
    EXPECT_EQ(got.first_ts, want.first_ts);
    EXPECT_EQ(got.last_ts, want.last_ts);
    EXPECT_EQ(got.nan_count, want.nan_count);
    ExpectSameDouble(got.min, want.min, "min");
    ExpectSameDouble(got.max, want.max, "max");
    ExpectSameDouble(got.sum, want.sum, "sum");
    ExpectSameDouble(got.first_value, want.first_value, "first");
    ExpectSameDouble(got.last_value, want.last_value, "last");

    std::vector<int64_t> steps, ts;
    std::vector<double> values;
    Status st = idx->DecodeFloatBlock(b, enc->data, &steps, &ts, &values);
    ASSERT_TRUE(st.ok()) << st.ToString();
    ASSERT_EQ(steps.size(), want.count);
    for (size_t i = 0; i < steps.size(); ++i) {
      ASSERT_EQ(steps[i], s.steps[lo + i]);
      ASSERT_EQ(ts[i], s.ts[lo + i]);
      ASSERT_EQ(ToBits(values[i]), ToBits(s.values[lo + i]));
    }
  }
  std::vector<int64_t> steps = {1}, ts = {2};
  std::vector<double> values = {3};
  ASSERT_TRUE(idx->DecodeAllFloat(enc->data, &steps, &ts, &values).ok());
  ASSERT_EQ(steps.size(), s.steps.size() + 1);
  EXPECT_EQ(std::vector<int64_t>(steps.begin() + 1, steps.end()), s.steps);
  EXPECT_EQ(std::vector<int64_t>(ts.begin() + 1, ts.end()), s.ts);
  for (size_t i = 0; i < s.values.size(); ++i) {
    ASSERT_EQ(ToBits(values[i + 1]), ToBits(s.values[i])) << i;
  }
}

Series RandomSeries(std::mt19937_64& rng, size_t n) {
  Series s;
  int64_t step = static_cast<int64_t>((rng() % 2 ? rng() : rng() % 1000) - (1ull << 40));
  int64_t t = 1'700'000'000'000'000 + static_cast<int64_t>(rng() % 1'000'000'000);
  double walk = 0;
  int value_kind = static_cast<int>(rng() % 4);
  for (size_t i = 0; i < n; ++i) {
    // Integer and fractional micro-steps, with occasional large gaps.
    int64_t gap = rng() % 10 == 0 ? 1 + static_cast<int64_t>(rng() % (1ull << 40))
                                  : 1 + static_cast<int64_t>(rng() % 3) * 500'000;
    if (i > 0 && step > kMax - gap) break;
    if (i > 0) step += gap;
    t += static_cast<int64_t>(rng() % 200'000) - 50'000;  // clocks may go backwards
    double v;
    switch (value_kind) {
      case 0: v = FromBits(rng()); break;  // any bits: NaNs, infinities, subnormals
      case 1: walk += std::ldexp(static_cast<double>(rng() % 2001) - 1000, -10); v = walk; break;
      case 2: v = static_cast<float>(std::exp(-1e-3 * i) + 1e-2 * (rng() % 100)); break;
      default: {
        const double specials[] = {std::nan(""), kInf, -kInf, -0.0, 0.0, DBL_MAX, 1.5};
        v = specials[rng() % 7];
      }
    }
    s.steps.push_back(step);
    s.ts.push_back(t);
    s.values.push_back(v);
  }
  return s;
}

TEST(ChunkTest, BlockBoundarySizesRoundTrip) {
  std::mt19937_64 rng(1);
  for (size_t n : {1, 2, 127, 128, 129, 255, 256, 257, 10000}) {
    SCOPED_TRACE(n);
    Series s;
    for (size_t i = 0; i < n; ++i) {
      s.steps.push_back(static_cast<int64_t>(i) * 1'000'000);
      s.ts.push_back(1'760'000'000'000'000 + static_cast<int64_t>(i) * 100'000 +
                     static_cast<int64_t>(rng() % 5000));
      s.values.push_back(static_cast<float>(2.0 * std::exp(-1e-3 * i) + 0.01 * (rng() % 7)));
    }
    ExpectFloatRoundTrip(s);
  }
}

TEST(ChunkTest, SpecialValuesAreBitExact) {
  Series s;
  std::vector<double> v = {std::nan(""),
                           FromBits(0x7FF0000000000001),  // signaling NaN
                           FromBits(0xFFF8000000000000),  // negative quiet NaN
                           FromBits(0x7FF8DEADBEEF0001),  // NaN with a payload
                           -0.0, 0.0, kInf, -kInf, DBL_MAX, -DBL_MAX, DBL_TRUE_MIN, 5e-320,
                           -5e-320, DBL_MIN};
  for (size_t i = 0; i < 300; ++i) {
    s.steps.push_back(static_cast<int64_t>(i) * 3 - 450);  // negative and fractional steps
    s.ts.push_back(static_cast<int64_t>(i));
    s.values.push_back(v[i % v.size()]);
  }
  ExpectFloatRoundTrip(s);
}

TEST(ChunkTest, AllNanBlockSummary) {
  Series s{{1, 2, 3}, {5, 4, 6}, {std::nan(""), std::nan(""), -std::nan("")}};
  ExpectFloatRoundTrip(s);
  auto enc = EncodeFloatChunk(s.steps, s.ts, s.values);
  auto idx = ChunkIndex::Parse(enc->index);
  const BlockSummary& b = idx->blocks()[0];
  EXPECT_EQ(b.nan_count, 3u);
  EXPECT_EQ(b.min, kInf);
  EXPECT_EQ(b.max, -kInf);
  EXPECT_EQ(b.sum, 0.0);
  EXPECT_EQ(b.min_ts, 4);
  EXPECT_EQ(b.max_ts, 6);
}

TEST(ChunkTest, Int64ExtremesRoundTrip) {
  ExpectFloatRoundTrip({{kMin, kMax}, {kMax, kMin}, {1, 2}});
  ExpectFloatRoundTrip({{kMin, kMin + 1, 0, kMax - 1, kMax}, {0, kMin, kMax, kMin, kMax},
                        {1, 2, 3, 4, 5}});
  Series s;
  for (int i = 0; i < 300; ++i) {
    // Spans the whole int64 range: deltas near 2^56, first and last near the extremes.
    s.steps.push_back(static_cast<int64_t>(static_cast<uint64_t>(kMin) + i * (~0ull / 300)));
    s.ts.push_back(i % 2 ? kMin : kMax);
    s.values.push_back(i);
  }
  ExpectFloatRoundTrip(s);
}

TEST(ChunkTest, RandomSeriesProperty) {
  std::mt19937_64 rng(2024);
  for (int iter = 0; iter < 400; ++iter) {
    SCOPED_TRACE(iter);
    ExpectFloatRoundTrip(RandomSeries(rng, 1 + rng() % 700));
    if (HasFatalFailure()) return;
  }
}

TEST(ChunkTest, EmptyChunk) {
  auto enc = EncodeFloatChunk({}, {}, {});
  ASSERT_TRUE(enc.ok());
  EXPECT_TRUE(enc->data.empty());
  auto idx = ChunkIndex::Parse(enc->index);
  ASSERT_TRUE(idx.ok());
  EXPECT_TRUE(idx->blocks().empty());
  ChunkStats c = Aggregate(idx->blocks());
  EXPECT_EQ(c.count, 0u);
  EXPECT_EQ(c.min, kInf);
  EXPECT_EQ(c.max, -kInf);
}

TEST(ChunkTest, InvalidInput) {
  std::vector<int64_t> steps = {1, 2, 2}, ts = {1, 2, 3};
  std::vector<double> v = {1, 2, 3};
  EXPECT_EQ(EncodeFloatChunk(steps, ts, v).status().code(), Code::kInvalidArgument);
  steps = {3, 2, 1};
  EXPECT_EQ(EncodeFloatChunk(steps, ts, v).status().code(), Code::kInvalidArgument);
  steps = {1, 2, 3};
  EXPECT_EQ(EncodeFloatChunk(steps, ts, std::span(v).first(2)).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(EncodeFloatChunk(steps, std::span(ts).first(2), v).status().code(),
            Code::kInvalidArgument);
  std::vector<std::string_view> sv = {"a", "b"};
  EXPECT_EQ(EncodeBytesChunk(steps, ts, sv).status().code(), Code::kInvalidArgument);
}

TEST(ChunkTest, BytesChunkRoundTrip) {
  std::mt19937_64 rng(5);
  for (size_t n : {1, 127, 128, 129, 1000}) {
    std::vector<std::string> owned;
    std::vector<int64_t> steps, ts;
    for (size_t i = 0; i < n; ++i) {
      std::string v(i % 5 == 0 ? 0 : rng() % 300, '\0');  // empty strings too
      for (char& c : v) c = static_cast<char>(rng());     // arbitrary binary
      owned.push_back(v);
      steps.push_back(static_cast<int64_t>(i) * 7 - 100);
      ts.push_back(static_cast<int64_t>(rng() % 1000));
    }
    std::vector<std::string_view> views(owned.begin(), owned.end());
    auto enc = EncodeBytesChunk(steps, ts, views);
    ASSERT_TRUE(enc.ok());
    auto idx = ChunkIndex::Parse(enc->index);
    ASSERT_TRUE(idx.ok());
    EXPECT_EQ(idx->encoding(), Encoding::kBytes);
    std::vector<int64_t> got_steps, got_ts;
    std::vector<std::string> got;
    ASSERT_TRUE(idx->DecodeAllBytes(enc->data, &got_steps, &got_ts, &got).ok());
    EXPECT_EQ(got_steps, steps);
    EXPECT_EQ(got_ts, ts);
    EXPECT_EQ(got, owned);
    // Block access, and a float decode of a bytes chunk is refused cleanly.
    got.clear();
    got_steps.clear();
    got_ts.clear();
    ASSERT_TRUE(idx->DecodeBytesBlock(idx->blocks().size() - 1, enc->data, &got_steps, &got_ts,
                                      &got).ok());
    EXPECT_EQ(got.back(), owned.back());
    std::vector<double> fv;
    EXPECT_EQ(idx->DecodeFloatBlock(0, enc->data, &got_steps, &got_ts, &fv).code(),
              Code::kDataLoss);
    ChunkStats c = Aggregate(idx->blocks());
    EXPECT_EQ(c.count, n);
    EXPECT_EQ(c.last_step, steps.back());
  }
}

TEST(ChunkTest, AggregateMatchesBruteForce) {
  std::mt19937_64 rng(99);
  for (int iter = 0; iter < 100; ++iter) {
    Series s = RandomSeries(rng, 1 + rng() % 2000);
    auto enc = EncodeFloatChunk(s.steps, s.ts, s.values);
    auto idx = ChunkIndex::Parse(enc->index);
    ASSERT_TRUE(idx.ok());
    ChunkStats c = Aggregate(idx->blocks());
    BlockSummary b = BruteSummary(s, 0, s.steps.size());
    EXPECT_EQ(c.count, s.steps.size());
    EXPECT_EQ(c.first_step, b.first_step);
    EXPECT_EQ(c.last_step, b.last_step);
    EXPECT_EQ(c.min_ts, b.min_ts);
    EXPECT_EQ(c.max_ts, b.max_ts);
    EXPECT_EQ(c.first_ts, b.first_ts);
    EXPECT_EQ(c.last_ts, b.last_ts);
    EXPECT_EQ(c.nan_count, b.nan_count);
    ExpectSameDouble(c.min, b.min, "min");
    ExpectSameDouble(c.max, b.max, "max");
    ExpectSameDouble(c.first_value, b.first_value, "first");
    ExpectSameDouble(c.last_value, b.last_value, "last");
    // Sums are added in a different order; compare within rounding.
    if (std::isfinite(b.sum)) {
      double scale = 0;
      for (double v : s.values) scale += std::isfinite(v) ? std::fabs(v) : 0;
      EXPECT_NEAR(c.sum, b.sum, scale * 1e-12);
    } else if (!std::isnan(b.sum)) {
      EXPECT_EQ(c.sum, b.sum);
    }
  }
}

TEST(ChunkTest, LowerBoundBlock) {
  Series s;
  for (int i = 0; i < 1000; ++i) {
    s.steps.push_back(i * 10);
    s.ts.push_back(i);
    s.values.push_back(i);
  }
  auto enc = EncodeFloatChunk(s.steps, s.ts, s.values);
  auto idx = ChunkIndex::Parse(enc->index);
  EXPECT_EQ(idx->LowerBoundBlock(-5), 0u);
  EXPECT_EQ(idx->LowerBoundBlock(1270), 0u);
  EXPECT_EQ(idx->LowerBoundBlock(1271), 1u);
  EXPECT_EQ(idx->LowerBoundBlock(1280), 1u);
  EXPECT_EQ(idx->LowerBoundBlock(9990), 7u);
  EXPECT_EQ(idx->LowerBoundBlock(9991), 8u);
  std::vector<int64_t> st, ts;
  std::vector<double> v;
  EXPECT_EQ(idx->DecodeFloatBlock(8, enc->data, &st, &ts, &v).code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace sextant::chunkenc
