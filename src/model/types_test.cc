// Steps, timestamps and paths: exact conversions and their bounds.
#include "model/types.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace sextant::model {
namespace {

int64_t Micro(Result<int64_t> r) {
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? r.value() : -1;
}

TEST(StepTest, DoublesConvertExactlyAsTheirShortestDecimal) {
  EXPECT_EQ(Micro(StepFromDouble(0.1)), 100'000);
  EXPECT_EQ(Micro(StepFromDouble(2.5)), 2'500'000);
  EXPECT_EQ(Micro(StepFromDouble(1e-6)), 1);
  EXPECT_EQ(Micro(StepFromDouble(-1e-6)), -1);
  EXPECT_EQ(Micro(StepFromDouble(0.3)), 300'000);
  EXPECT_EQ(Micro(StepFromDouble(0.0)), 0);
  EXPECT_EQ(Micro(StepFromDouble(-0.0)), 0);
  EXPECT_EQ(Micro(StepFromDouble(12.0)), 12'000'000);
  EXPECT_EQ(Micro(StepFromDouble(1e12)), 1'000'000'000'000'000'000);
  EXPECT_EQ(Micro(StepFromDouble(123456789.123456)), 123'456'789'123'456);
  EXPECT_EQ(Micro(StepFromDouble(-8999999999999.5)), -8'999'999'999'999'500'000);
}

TEST(StepTest, DoublesWithMoreThanSixFractionalDigitsAreRefused) {
  for (double d : {1e-7, 2e-7, 0.1234567, 0.1 + 0.2, 1.0 / 3, 5e-324, -1e-7}) {
    auto r = StepFromDouble(d);
    ASSERT_FALSE(r.ok()) << d;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
    EXPECT_NE(r.status().message().find("more than 6 fractional digits"), std::string::npos)
        << r.status().message();
  }
}

TEST(StepTest, NumbersAndStringsFollowOneRule) {
  // The same decimal sent as a number or as text means the same step.
  for (const char* text : {"0.1", "2.5", "0.000001", "12", "-3.25", "123456.654321"}) {
    double d = std::strtod(text, nullptr);
    auto a = StepFromString(text);
    auto b = StepFromDouble(d);
    ASSERT_TRUE(a.ok() && b.ok()) << text;
    EXPECT_EQ(a.value(), b.value()) << text;
  }
  for (const char* text : {"0.0000001", "0.1234567"}) {
    EXPECT_FALSE(StepFromString(text).ok()) << text;
    EXPECT_FALSE(StepFromDouble(std::strtod(text, nullptr)).ok()) << text;
  }
}

TEST(StepTest, RangeIsEnforcedEverywhere) {
  EXPECT_TRUE(StepFromInt(kMaxAbsStep - 1).ok());
  EXPECT_FALSE(StepFromInt(kMaxAbsStep).ok());
  EXPECT_FALSE(StepFromInt(-kMaxAbsStep).ok());
  EXPECT_FALSE(StepFromInt(INT64_MIN).ok());
  EXPECT_FALSE(StepFromDouble(9e12).ok());
  EXPECT_FALSE(StepFromDouble(1e300).ok());
  EXPECT_FALSE(StepFromDouble(std::nan("")).ok());
  EXPECT_FALSE(StepFromDouble(std::numeric_limits<double>::infinity()).ok());
  EXPECT_FALSE(StepFromString("9000000000000").ok());
  EXPECT_FALSE(StepFromString("99999999999999999999999999").ok());
  EXPECT_EQ(Micro(StepFromString("0000000000000000000000012.5")), 12'500'000);
  EXPECT_TRUE(ValidateStep(kMaxAbsMicroStep - 1).ok());
  EXPECT_FALSE(ValidateStep(kMaxAbsMicroStep).ok());
  EXPECT_FALSE(ValidateStep(-kMaxAbsMicroStep).ok());
}

TEST(StepTest, StringsAreStrictDecimals) {
  for (const char* bad : {"", "-", "1e3", "1.", ".5", "1.5.5", " 1", "0x10", "1,5", "0.1000000"})
    EXPECT_FALSE(StepFromString(bad).ok()) << bad;
  EXPECT_EQ(Micro(StepFromString("+7")), 7'000'000);
  EXPECT_EQ(Micro(StepFromString("-0.000001")), -1);
  EXPECT_EQ(StepToString(Micro(StepFromString("-12.50"))), "-12.5");
}

TEST(TimestampTest, SecondsToMicrosSaturatesAndValidationRefuses) {
  EXPECT_EQ(SecondsToMicros(1.5), 1'500'000);
  EXPECT_EQ(SecondsToMicros(1763812345.123456), 1'763'812'345'123'456);
  EXPECT_EQ(SecondsToMicros(std::nan("")), INT64_MIN);
  EXPECT_EQ(SecondsToMicros(1e13), INT64_MAX);
  EXPECT_EQ(SecondsToMicros(-1e300), INT64_MIN);
  EXPECT_TRUE(ValidateTimestamp(0).ok());
  EXPECT_TRUE(ValidateTimestamp(kMaxTimestampUs).ok());
  EXPECT_FALSE(ValidateTimestamp(-1).ok());
  EXPECT_FALSE(ValidateTimestamp(kMaxTimestampUs + 1).ok());
  EXPECT_FALSE(ValidateTimestamp(SecondsToMicros(std::nan(""))).ok());
  EXPECT_FALSE(ValidateTimestamp(SecondsToMicros(1e13)).ok());
}

TEST(PathTest, LengthLimit) {
  EXPECT_TRUE(ValidatePath(std::string(kMaxPathBytes, 'a')).ok());
  auto st = ValidatePath(std::string(kMaxPathBytes + 1, 'a'));
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("1024"), std::string::npos);
}

}  // namespace
}  // namespace sextant::model
