// Decimal bit-packing (decimal.h): which blocks fit, bit-exact round trips
// against the values themselves, the encoder's choice, corrupt columns.
#include "storage/chunkenc/decimal.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "storage/chunkenc/chunk.h"
#include "storage/chunkenc/coding.h"
#include "storage/chunkenc/dod.h"
#include "storage/chunkenc/test_codecs.h"

namespace sextant::chunkenc {
namespace {

uint64_t Bits(double v) { return std::bit_cast<uint64_t>(v); }

void ExpectRoundTrip(const std::vector<double>& v, int exponent) {
  auto f = FitDecimal(v);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->exponent, exponent);
  std::string enc;
  EncodeDecimalColumn(v, *f, &enc);
  EXPECT_EQ(enc.size(), DecimalColumnSize(*f, v.size()));
  std::vector<double> got(v.size());
  ASSERT_TRUE(DecodeDecimalColumn(enc, v.size(), got.data()).ok());
  for (size_t i = 0; i < v.size(); ++i) EXPECT_EQ(Bits(got[i]), Bits(v[i])) << i << ": " << v[i];
}

TEST(DecimalTest, DecimalsFitAtTheirSmallestExponent) {
  ExpectRoundTrip({0.731, 0.7, 0.749, 0.0}, 3);
  ExpectRoundTrip({90, 99, 100, -3}, 0);
  ExpectRoundTrip({3e-4, 3e-5, 1.5e-4}, 5);
  ExpectRoundTrip({0.5}, 1);
  ExpectRoundTrip(std::vector<double>(128, 42.0), 0);  // width 0
  ExpectRoundTrip({9007199254740991.0, -9007199254740991.0}, 0);  // ±(2^53 - 1): width 54
  ExpectRoundTrip({1.234567890123}, 12);
  // Any double with at most ~15 significant digits is a decimal (the encoder
  // then keeps the smaller of this and XOR): pi to 16 digits fits at 15.
  ExpectRoundTrip({3.141592653589793}, 15);
}

TEST(DecimalTest, WhatDoesNotFitIsRefused) {
  const double inf = std::numeric_limits<double>::infinity();
  for (double bad : {-0.0, std::nan(""), inf, -inf, 0.1 + 0.2, 9007199254740992.0 * 2, 1e-300, 5e-324}) {
    EXPECT_FALSE(FitDecimal(std::vector<double>{1.0, bad}).has_value()) << bad;
  }
  std::mt19937_64 rng(3);
  std::normal_distribution<double> noise;
  std::vector<double> v;
  for (int i = 0; i < 128; ++i) v.push_back(noise(rng));
  EXPECT_FALSE(FitDecimal(v).has_value());
}

TEST(DecimalTest, RandomDecimalsRoundTrip) {
  std::mt19937_64 rng(9);
  for (int round = 0; round < 300; ++round) {
    const int e = static_cast<int>(rng() % 10);
    const int64_t span = int64_t{1} << (rng() % 40);
    const int64_t base = static_cast<int64_t>(rng() % (1u << 20)) - (1 << 19);
    std::vector<double> v;
    for (size_t i = 0, n = 1 + rng() % 128; i < n; ++i) {
      const int64_t k = base + static_cast<int64_t>(rng() % static_cast<uint64_t>(span));
      v.push_back(static_cast<double>(k) / std::pow(10.0, e));
    }
    auto f = FitDecimal(v);
    ASSERT_TRUE(f.has_value());
    EXPECT_LE(f->exponent, e);
    std::string enc;
    EncodeDecimalColumn(v, *f, &enc);
    std::vector<double> got(v.size());
    ASSERT_TRUE(DecodeDecimalColumn(enc, v.size(), got.data()).ok());
    for (size_t i = 0; i < v.size(); ++i) ASSERT_EQ(Bits(got[i]), Bits(v[i]));
  }
}

TEST(DecimalTest, CorruptColumnsAreDataLoss) {
  std::vector<double> v = {0.5, 0.75, 1.25};
  auto f = FitDecimal(v);
  ASSERT_TRUE(f);
  std::string enc;
  EncodeDecimalColumn(v, *f, &enc);
  std::vector<double> out(3);
  for (size_t len = 0; len < enc.size(); ++len)
    EXPECT_EQ(DecodeDecimalColumn(enc.substr(0, len), 3, out.data()).code(), Code::kDataLoss) << len;
  EXPECT_EQ(DecodeDecimalColumn(enc + '\0', 3, out.data()).code(), Code::kDataLoss);
  std::string bad = enc;
  bad[0] = 19;  // exponent
  EXPECT_EQ(DecodeDecimalColumn(bad, 3, out.data()).code(), Code::kDataLoss);
  bad = enc;
  bad[2] = 55;  // width (the base, 50, is one varint byte)
  EXPECT_EQ(DecodeDecimalColumn(bad, 3, out.data()).code(), Code::kDataLoss);
  std::string far;
  far.push_back(0);
  PutVarint(&far, ZigZag(int64_t{1} << 60));  // base beyond 2^53
  far.push_back(0);
  EXPECT_EQ(DecodeDecimalColumn(far, 3, out.data()).code(), Code::kDataLoss);
  // A base near 2^53 plus a wide delta leaves the exact range.
  std::string wide;
  wide.push_back(0);
  PutVarint(&wide, ZigZag((int64_t{1} << 53) - 1));
  wide.push_back(54);
  wide.append(std::string(7, '\xff'));
  EXPECT_EQ(DecodeDecimalColumn(wide, 1, out.data()).code(), Code::kDataLoss);
  EXPECT_EQ(DecodeDecimalColumn(enc, 0, out.data()).code(), Code::kDataLoss);
}

// An accuracy curve (k/1000) goes to decimal blocks, a float32 loss to
// float32 blocks, float64 noise stays XOR; all decode bit-exactly.
TEST(DecimalTest, EncoderChoosesDecimalForDecimals) {
  std::mt19937_64 rng(4);
  std::vector<int64_t> steps, ts;
  std::vector<double> acc;
  for (int i = 0; i < 128 * 8; ++i) {
    steps.push_back(int64_t{i} * 1'000'000);
    ts.push_back(1'763'800'000'000'000 + int64_t{i} * 100'000);
    acc.push_back(static_cast<double>(700 + rng() % 50) / 1000.0);
  }
  EncodedChunk c = EncodeFloatChunk(steps, ts, acc).value();
  ChunkIndex idx = ChunkIndex::Parse(c.index).value();
  for (const BlockCodec& b : BlockCodecs(c)) {
    EXPECT_EQ(b.codec, static_cast<uint8_t>(ValueCodec::kDecimal));
    EXPECT_LE(b.value_bytes, 4u + (128 * 6 + 7) / 8);  // 50 values: 6 bits each
  }
  std::vector<int64_t> s2, t2;
  std::vector<double> v2;
  ASSERT_TRUE(idx.DecodeAllFloat(c.data, &s2, &t2, &v2).ok());
  ASSERT_EQ(v2.size(), acc.size());
  for (size_t i = 0; i < acc.size(); ++i) ASSERT_EQ(Bits(v2[i]), Bits(acc[i]));
}

// Integers that move steadily (a counter of tokens) cost a few bytes a
// block delta-coded, and round-trip; a corrupt delta column is DataLoss.
TEST(DecimalTest, CountersAreDeltaCoded) {
  std::vector<int64_t> steps, ts;
  std::vector<double> tokens;
  for (int i = 0; i < 128 * 4; ++i) {
    steps.push_back(int64_t{i} * 1'000'000);
    ts.push_back(1'763'800'000'000'000 + int64_t{i} * 100'000);
    tokens.push_back(static_cast<double>(i) * 4096.0 + 1e12);
  }
  EncodedChunk c = EncodeFloatChunk(steps, ts, tokens).value();
  ChunkIndex idx = ChunkIndex::Parse(c.index).value();
  for (const BlockCodec& b : BlockCodecs(c)) {
    EXPECT_EQ(b.codec, static_cast<uint8_t>(ValueCodec::kDecimalDelta));
    EXPECT_LE(b.value_bytes, 16u);  // e, first k, mode, scale, delta
  }
  std::vector<int64_t> s2, t2;
  std::vector<double> v2;
  ASSERT_TRUE(idx.DecodeAllFloat(c.data, &s2, &t2, &v2).ok());
  for (size_t i = 0; i < tokens.size(); ++i) ASSERT_EQ(Bits(v2[i]), Bits(tokens[i]));

  std::vector<double> v = {0.5, 0.75, 1.25};
  std::string enc;
  EncodeDecimalDeltaColumn(v, *FitDecimal(v), &enc);
  std::vector<double> out(3);
  ASSERT_TRUE(DecodeDecimalDeltaColumn(enc, 3, out.data()).ok());
  EXPECT_EQ(out, v);
  for (size_t len = 0; len < enc.size(); ++len)
    EXPECT_EQ(DecodeDecimalDeltaColumn(enc.substr(0, len), 3, out.data()).code(), Code::kDataLoss) << len;
  EXPECT_EQ(DecodeDecimalDeltaColumn(enc + '\0', 3, out.data()).code(), Code::kDataLoss);
  std::string bad = enc;
  bad[0] = 19;
  EXPECT_EQ(DecodeDecimalDeltaColumn(bad, 3, out.data()).code(), Code::kDataLoss);
  std::string far;  // one k of 2^60: beyond what a double holds exactly
  far.push_back(0);
  PutVarint(&far, ZigZag(int64_t{1} << 60));
  EXPECT_EQ(DecodeDecimalDeltaColumn(far, 1, out.data()).code(), Code::kDataLoss);
}

}  // namespace
}  // namespace sextant::chunkenc
