#include "http/range.h"

#include <gtest/gtest.h>

namespace sextant::http {
namespace {

using Kind = RangePlan::Kind;

std::vector<std::pair<uint64_t, uint64_t>> Parts(const RangePlan& p) {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  for (const auto& r : p.ranges) out.emplace_back(r.first, r.last);
  return out;
}

TEST(RangeTest, SingleRanges) {
  EXPECT_EQ(Parts(PlanRanges("bytes=0-9", 100)), (decltype(Parts({})){{0, 9}}));
  EXPECT_EQ(Parts(PlanRanges("bytes=90-", 100)), (decltype(Parts({})){{90, 99}}));
  EXPECT_EQ(Parts(PlanRanges("bytes=90-500", 100)), (decltype(Parts({})){{90, 99}}));
  EXPECT_EQ(Parts(PlanRanges(" Bytes = 5-5 ", 100)), (decltype(Parts({})){{5, 5}}));
}

TEST(RangeTest, SuffixRanges) {
  EXPECT_EQ(Parts(PlanRanges("bytes=-1", 100)), (decltype(Parts({})){{99, 99}}));
  // N >= size: the whole file, first byte included.
  EXPECT_EQ(Parts(PlanRanges("bytes=-100", 100)), (decltype(Parts({})){{0, 99}}));
  EXPECT_EQ(Parts(PlanRanges("bytes=-1000", 100)), (decltype(Parts({})){{0, 99}}));
  EXPECT_EQ(PlanRanges("bytes=-0", 100).kind, Kind::kUnsatisfiable);
}

TEST(RangeTest, Unsatisfiable) {
  EXPECT_EQ(PlanRanges("bytes=100-", 100).kind, Kind::kUnsatisfiable);
  EXPECT_EQ(PlanRanges("bytes=100-200,300-", 100).kind, Kind::kUnsatisfiable);
  EXPECT_EQ(PlanRanges("bytes=0-", 0).kind, Kind::kUnsatisfiable);
  EXPECT_EQ(PlanRanges("bytes=-5", 0).kind, Kind::kUnsatisfiable);
  // One satisfiable part is enough.
  EXPECT_EQ(Parts(PlanRanges("bytes=200-300,0-0", 100)), (decltype(Parts({})){{0, 0}}));
}

TEST(RangeTest, InvalidHeadersAreIgnored) {
  for (const char* h : {"bytes=5-1", "items=0-1", "bytes=a-b", "bytes=1", "bytes=--1", "bytes=",
                        "bytes=99999999999999999999-", "bytes=0x10-", "0-1", ""})
    EXPECT_EQ(PlanRanges(h, 100).kind, Kind::kWhole) << h;
}

TEST(RangeTest, OverlappingAndAdjacentRangesMerge) {
  std::string many = "bytes=";
  for (int i = 0; i < 400; ++i) many += "0-,";
  auto p = PlanRanges(many, 1000);
  EXPECT_EQ(Parts(p), (decltype(Parts({})){{0, 999}}));
  EXPECT_EQ(Parts(PlanRanges("bytes=10-19,0-9,20-29", 100)), (decltype(Parts({})){{0, 29}}));
  EXPECT_EQ(Parts(PlanRanges("bytes=0-1,10-12", 100)), (decltype(Parts({})){{0, 1}, {10, 12}}));
}

TEST(RangeTest, TooManyDisjointPartsServeTheWholeFile) {
  std::string h = "bytes=";
  for (size_t i = 0; i <= kMaxRangeParts; ++i) h += std::to_string(i * 10) + "-" + std::to_string(i * 10) + ",";
  EXPECT_EQ(PlanRanges(h, 10000).kind, Kind::kWhole);
}

}  // namespace
}  // namespace sextant::http
