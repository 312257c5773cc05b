#include "storage/chunkenc/xor.h"

#include <gtest/gtest.h>

#include <bit>
#include <cfloat>
#include <cmath>
#include <limits>
#include <random>

namespace sextant::chunkenc {
namespace {

std::vector<uint64_t> Bits(const std::vector<double>& v) {
  std::vector<uint64_t> b;
  for (double x : v) b.push_back(std::bit_cast<uint64_t>(x));
  return b;
}

double FromBits(uint64_t b) { return std::bit_cast<double>(b); }

std::string Encode(const std::vector<double>& v) {
  std::string out;
  EncodeXorColumn(v, &out);
  return out;
}

void ExpectBitExact(const std::vector<double>& v) {
  std::string enc = Encode(v);
  std::vector<double> got(v.size());
  ASSERT_TRUE(DecodeXorColumn(enc, v.size(), got.data()).ok());
  EXPECT_EQ(Bits(got), Bits(v));
}

TEST(XorTest, SpecialValuesAreBitExact) {
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> v = {
      0.0, -0.0, 1.0, -1.0, inf, -inf, DBL_MAX, -DBL_MAX, DBL_MIN, DBL_TRUE_MIN, -DBL_TRUE_MIN,
      5e-320,  // subnormal
      std::numeric_limits<double>::quiet_NaN(), FromBits(0x7FF0000000000001),  // signaling NaN
      FromBits(0xFFF8000000000000),  // negative quiet NaN
      FromBits(0x7FFFFFFFFFFFFFFF), FromBits(0x7FF8DEADBEEF0001), 0.1, 0.1, 0.1, -0.0, 0.0};
  ExpectBitExact(v);
  for (double x : v) ExpectBitExact({x});
  std::vector<double> rev(v.rbegin(), v.rend());
  ExpectBitExact(rev);
}

TEST(XorTest, RandomBitPatternsRoundTrip) {
  std::mt19937_64 rng(11);
  for (int iter = 0; iter < 2000; ++iter) {
    std::vector<double> v(1 + rng() % 130);
    double walk = 1.0;
    for (double& x : v) {
      switch (iter % 4) {
        case 0: x = FromBits(rng()); break;
        case 1: walk += (double(rng() % 1000) - 500) / 1e4; x = walk; break;
        case 2: x = static_cast<float>(walk *= 0.999); break;  // float32-widened
        default: x = (rng() % 4 == 0) ? FromBits(rng()) : double(rng() % 3); break;
      }
    }
    ExpectBitExact(v);
  }
}

TEST(XorTest, RepeatedValuesCostOneBit) {
  std::vector<double> v(128, 0.25);
  EXPECT_EQ(Encode(v).size(), 8u + 16u);  // 64 raw bits, then 127 one-bit codes
}

TEST(XorTest, GarbageAndTruncationAreDataLoss) {
  std::mt19937_64 rng(13);
  std::vector<double> v;
  for (int i = 0; i < 128; ++i) v.push_back(std::sin(i) * 1000);
  std::string enc = Encode(v);
  std::vector<double> got(v.size());
  for (size_t len = 0; len < enc.size(); ++len) {
    EXPECT_EQ(DecodeXorColumn(std::string_view(enc).substr(0, len), v.size(), got.data()).code(),
              Code::kDataLoss);
  }
  EXPECT_EQ(DecodeXorColumn(enc + "x", v.size(), got.data()).code(), Code::kDataLoss);
  for (int iter = 0; iter < 20000; ++iter) {
    std::string junk(rng() % 200, '\0');
    for (char& c : junk) c = static_cast<char>(rng());
    got.assign(128, 0);
    Status s = DecodeXorColumn(junk, 1 + rng() % 128, got.data());
    if (!s.ok()) {
      EXPECT_EQ(s.code(), Code::kDataLoss);
    }
  }
}

}  // namespace
}  // namespace sextant::chunkenc
