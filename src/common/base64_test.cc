#include "common/base64.h"

#include <gtest/gtest.h>

namespace sextant {
namespace {

TEST(Base64Test, DecodesWithAndWithoutPadding) {
  EXPECT_EQ(DecodeBase64("").value(), "");
  EXPECT_EQ(DecodeBase64("Zg==").value(), "f");
  EXPECT_EQ(DecodeBase64("Zm8=").value(), "fo");
  EXPECT_EQ(DecodeBase64("Zm9v").value(), "foo");
  EXPECT_EQ(DecodeBase64("AAAAAAAA8D8=").value(), std::string("\0\0\0\0\0\0\xf0\x3f", 8));
}

TEST(Base64Test, EncodesAndRoundTrips) {
  std::string out = "x:";
  AppendBase64("foo", &out);
  AppendBase64("fo", &out);
  EXPECT_EQ(out, "x:Zm9vZm8=");
  std::string bytes;
  for (int i = 0; i < 1000; ++i) bytes.push_back(static_cast<char>(i * 7));
  std::string enc;
  AppendBase64(bytes, &enc);
  EXPECT_EQ(DecodeBase64(enc).value(), bytes);
}

TEST(Base64Test, RejectsWhatIsNotBase64) {
  EXPECT_FALSE(DecodeBase64("Zm9").ok());       // length
  EXPECT_FALSE(DecodeBase64("Zm9*").ok());      // alphabet
  EXPECT_FALSE(DecodeBase64(" Zm9v   ").ok());  // whitespace
  EXPECT_FALSE(DecodeBase64("Z=9v").ok());      // padding inside
  EXPECT_EQ(DecodeBase64("Zm9*").status().code(), Code::kInvalidArgument);
}

TEST(Base64UrlTest, RoundTripsWithoutPadding) {
  EXPECT_EQ(EncodeBase64Url(""), "");
  EXPECT_EQ(EncodeBase64Url("f"), "Zg");
  EXPECT_EQ(EncodeBase64Url("fo"), "Zm8");
  EXPECT_EQ(EncodeBase64Url("foo"), "Zm9v");
  EXPECT_EQ(EncodeBase64Url("\xfb\xff"), "-_8");
  std::string bytes;
  for (int i = 0; i < 1000; ++i) {
    bytes.push_back(static_cast<char>(i * 13));
    auto enc = EncodeBase64Url(bytes);
    ASSERT_EQ(DecodeBase64Url(enc).value(), bytes);
  }
}

TEST(Base64UrlTest, IsStrict) {
  EXPECT_FALSE(DecodeBase64Url("Zm9vZ").ok());  // 1 char of a group
  EXPECT_FALSE(DecodeBase64Url("Zg==").ok());   // padding
  EXPECT_FALSE(DecodeBase64Url("Zm+v").ok());   // standard alphabet
  EXPECT_FALSE(DecodeBase64Url("Zh").ok());     // non-zero unused bits
  EXPECT_TRUE(DecodeBase64Url("Zg").ok());
}

}  // namespace
}  // namespace sextant
