// The binary log batch decoder (docs/format/log-batch.md): every column kind
// decodes to what the JSON form gives, and every malformed body is a 400 that
// says where it went wrong.
#include "api/native/log_batch_binary.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

namespace sextant::api {
namespace {

constexpr int64_t kNow = 1'767'225'600'000'000;

// Builds bodies byte by byte, as a client would.
class Body {
 public:
  explicit Body(std::string_view json = "", uint8_t version = 1) {
    out_ = "SXLB";
    Put<uint8_t>(version);
    out_.append(3, '\0');
    Put<uint32_t>(static_cast<uint32_t>(json.size()));
    out_ += json;
    count_at_ = out_.size();
    Put<uint32_t>(0);
  }
  Body& Series(std::string_view path, uint8_t step_kind, uint8_t ts_kind, uint8_t value_kind,
               uint32_t n) {
    uint32_t count;
    std::memcpy(&count, out_.data() + count_at_, 4);
    ++count;
    std::memcpy(out_.data() + count_at_, &count, 4);
    Put<uint16_t>(static_cast<uint16_t>(path.size()));
    out_ += path;
    Put<uint8_t>(step_kind);
    Put<uint8_t>(ts_kind);
    Put<uint8_t>(value_kind);
    Put<uint8_t>(0);
    Put<uint32_t>(n);
    return *this;
  }
  template <typename T>
  Body& Put(T v) {
    out_.append(reinterpret_cast<const char*>(&v), sizeof(T));
    return *this;
  }
  template <typename T>
  Body& Column(std::initializer_list<T> vs) {
    for (T v : vs) Put<T>(v);
    return *this;
  }
  template <typename T>
  Body& Column(const std::vector<T>& vs) {
    for (T v : vs) Put<T>(v);
    return *this;
  }
  std::string str() const { return out_; }

 private:
  std::string out_;
  size_t count_at_ = 0;
};

Status ErrorOf(const std::string& body) {
  auto b = DecodeBinaryLogBatch(body, kNow);
  return b.ok() ? Status::Ok() : b.status();
}

void ExpectError(const std::string& body, std::string_view needle) {
  Status s = ErrorOf(body);
  ASSERT_FALSE(s.ok()) << "expected an error containing: " << needle;
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_NE(s.message().find(needle), std::string::npos) << s.message();
}

TEST(BinaryLogBatchTest, ColumnsDecodeExactly) {
  double nan = std::numeric_limits<double>::quiet_NaN();
  double inf = std::numeric_limits<double>::infinity();
  std::string body = Body()
                         .Series("a", 1, 1, 1, 4)
                         .Column<int64_t>({0, 1, 7, -3})
                         .Column<int64_t>({10, 20, 30, 40})
                         .Column<double>({-0.0, nan, inf, 5e-324})
                         .Series("b", 2, 2, 2, 2)
                         .Column<int64_t>({2'500'000, 3'000'001})
                         .Column<double>({1763812345.1, 1763812345.2})
                         .Column<float>({0.1f, -2.5f})
                         .str();
  auto b = DecodeBinaryLogBatch(body, kNow);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  ASSERT_EQ(b->series.size(), 2u);
  const auto& a = b->series[0];
  EXPECT_EQ(a.path, "a");
  EXPECT_EQ(a.type, model::AttrType::kFloatSeries);
  EXPECT_EQ(a.steps, (std::vector<int64_t>{0, 1'000'000, 7'000'000, -3'000'000}));
  EXPECT_EQ(a.ts, (std::vector<int64_t>{10, 20, 30, 40}));
  ASSERT_EQ(a.floats.size(), 4u);
  EXPECT_TRUE(std::signbit(a.floats[0]) && a.floats[0] == 0);
  EXPECT_TRUE(std::isnan(a.floats[1]));
  EXPECT_EQ(a.floats[2], inf);
  EXPECT_EQ(a.floats[3], 5e-324);
  const auto& s = b->series[1];
  EXPECT_EQ(s.steps, (std::vector<int64_t>{2'500'000, 3'000'001}));
  EXPECT_EQ(s.ts, (std::vector<int64_t>{1'763'812'345'100'000, 1'763'812'345'200'000}));
  EXPECT_EQ(s.floats, (std::vector<double>{double(0.1f), -2.5}));
}

TEST(BinaryLogBatchTest, RangesAndAbsentTimestamps) {
  std::string body = Body()
                         .Series("r", 3, 3, 1, 3)
                         .Column<int64_t>({100, 5})
                         .Column<int64_t>({1'000, 250})
                         .Column<double>({1, 2, 3})
                         .Series("now", 3, 0, 2, 2)
                         .Column<int64_t>({0, 1})
                         .Column<float>({1, 2})
                         .str();
  auto b = DecodeBinaryLogBatch(body, kNow);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->series[0].steps, (std::vector<int64_t>{100'000'000, 105'000'000, 110'000'000}));
  EXPECT_EQ(b->series[0].ts, (std::vector<int64_t>{1'000, 1'250, 1'500}));
  EXPECT_EQ(b->series[1].ts, (std::vector<int64_t>{kNow, kNow}));
}

TEST(BinaryLogBatchTest, TheJsonPartCarriesTheRestAndComesFirst) {
  std::string json =
      R"({"configs":{"lr":0.001},"add_tags":["x"],"state":"finished",)"
      R"("series":[{"path":"text","type":"string","steps":[0],"values":["hi"]},)"
      R"({"path":"j","steps":[0],"values":[1]}]})";
  std::string body = Body(json).Series("bin", 1, 0, 1, 1).Column<int64_t>({4}).Column<double>({9}).str();
  auto b = DecodeBinaryLogBatch(body, kNow);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  ASSERT_EQ(b->series.size(), 3u);
  EXPECT_EQ(b->series[0].path, "text");
  EXPECT_EQ(b->series[2].path, "bin");
  EXPECT_EQ(b->configs.size(), 1u);
  EXPECT_EQ(b->add_tags, std::vector<std::string>{"x"});
  EXPECT_EQ(b->state, model::RunState::kFinished);
  // A broken binary series after two JSON ones is series[2].
  std::string bad = Body(json).Series("bin", 9, 0, 1, 1).Column<double>({1}).str();
  ExpectError(bad, "series[2]: unknown step kind 9");
  ExpectError(Body("{\"configs\": 3}").str(), "configs: expected an object");
  ExpectError(Body("{").str(), "log batch: the JSON part");
  ExpectError(Body("[1]").str(), "must be a JSON object");
}

TEST(BinaryLogBatchTest, MalformedBodiesSayWhatIsWrong) {
  ExpectError("", "does not start with \"SXLB\"");
  ExpectError("{\"series\": []}", "does not start with \"SXLB\"");
  ExpectError(Body("", 2).str(), "version 2 is not supported");
  std::string reserved = Body().str();
  reserved[6] = 1;
  ExpectError(reserved, "header bytes 5-7 must be zero");
  ExpectError(Body().str().substr(0, 10), "the JSON part's length");
  ExpectError(Body().str() + "x", "1 bytes follow the last series");
  // Columns shorter than the point count.
  ExpectError(Body().Series("m", 1, 0, 1, 2).Column<int64_t>({0, 1}).Column<double>({1}).str(),
              "series[0].values: needs 16 bytes");
  ExpectError(Body().Series("m", 1, 0, 1, 1000).Column<int64_t>({0, 1}).str(),
              "series[0]: 1000 points need at least 4000 bytes of values, 16 remain");
  ExpectError(Body().Series("m", 1, 0, 1, 1000).Column<double>(std::vector<double>(501, 1.0)).str(),
              "series[0].steps: needs 8000 bytes");
  // 43 bytes naming 2^32 - 1 points by a step range: refused before allocating.
  ExpectError(Body().Series("m", 3, 0, 1, 0xFFFFFFFF).Column<int64_t>({0, 1}).str(),
              "4294967295 points need at least 17179869180 bytes of values");
  ExpectError(Body().Series("m", 1, 7, 1, 1).Column<int64_t>({0}).str(), "unknown timestamp kind 7");
  ExpectError(Body().Series("m", 1, 0, 3, 1).Column<int64_t>({0}).str(), "unknown value kind 3");
  ExpectError(Body().Series("m", 1, 0, 1, 0).str(), "at least one point");
  ExpectError(Body().Series("m", 3, 0, 1, 2).Column<int64_t>({0, 0}).str(), "stride of a step range");
  ExpectError(Body().Series("m", 3, 0, 1, 3).Column<int64_t>({0, INT64_MAX}).str(), "overflows");
  ExpectError(Body().Series("m", 3, 0, 1, 2).Column<int64_t>({8'999'999'999'999, 1}).str(),
              "series[0].steps (last)");
  ExpectError(Body().Series("m", 1, 0, 1, 1).Column<int64_t>({9'000'000'000'000}).str(),
              "series[0].steps[0]");
  ExpectError(Body().Series("m", 1, 2, 1, 1).Column<int64_t>({0}).Column<double>({NAN}).str(),
              "series[0].timestamps[0]: expected a finite number");
  ExpectError(Body().Series("m", 1, 3, 1, 2).Column<int64_t>({0, 1, 0, -1}).str(), "stride of at least 0");
  std::string head = Body().Series("m", 1, 0, 1, 1).str();
  ExpectError(head.substr(0, head.size() - 3), "the column kinds");
  std::string long_path = Body().str();
  long_path += std::string("\x05\x00", 2) + "ab";
  long_path.replace(long_path.size() - 8, 4, std::string("\x01\x00\x00\x00", 4));
  ExpectError(long_path, "series[0].path: needs 5 bytes");
}

// Limits and path rules are the core's, as for JSON: the decoder passes them on.
TEST(BinaryLogBatchTest, ValidationIsTheCoresAsForJson) {
  auto b = DecodeBinaryLogBatch(
      Body().Series("a//b", 1, 1, 1, 1).Column<int64_t>({0}).Column<int64_t>({-5}).Column<double>({1}).str(),
      kNow);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  Status s = model::ValidateLogBatch(&b.value(), model::Limits(), std::nullopt);
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_NE(s.message().find("'a//b' has an empty segment"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace sextant::api
