#include "http/decode_body.h"

#include <brotli/encode.h>
#include <gtest/gtest.h>
#include <zlib.h>

namespace sextant::http {
namespace {

std::string Gzip(const std::string& in) {
  z_stream z{};
  deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, in.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(out.size() - z.avail_out);
  deflateEnd(&z);
  return out;
}

TEST(DecodeBodyTest, GzipRoundTripsAndMembersConcatenate) {
  std::string text(300000, 'x');
  auto d = DecodeBody("gzip", Gzip(text), 1 << 20);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d.value(), text);
  auto two = DecodeBody("gzip", Gzip("ab") + Gzip("cd"), 100);
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(two.value(), "abcd");
}

TEST(DecodeBodyTest, OutputIsBoundedByTheLimit) {
  std::string bomb = Gzip(std::string(10 << 20, '\0'));
  ASSERT_LT(bomb.size(), 20000u);
  auto d = DecodeBody("gzip", bomb, 1 << 20);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), Code::kTooLarge);
  // Streamed, the sink never sees more than the limit.
  auto dec = BodyDecoder::Create("gzip", 1 << 20);
  ASSERT_TRUE(dec.ok());
  size_t seen = 0;
  Status st = dec.value()->Feed(bomb, [&](std::string_view p) {
    seen += p.size();
    return Status::Ok();
  });
  EXPECT_EQ(st.code(), Code::kTooLarge);
  EXPECT_LE(seen, size_t{1} << 20);
}

TEST(DecodeBodyTest, CorruptOrTruncatedInputIsInvalid) {
  std::string g = Gzip("hello world, hello world");
  EXPECT_EQ(DecodeBody("gzip", g.substr(0, g.size() - 4), 100).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(DecodeBody("gzip", "plain text", 100).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(DecodeBody("br", "\xff\xff\xff\xff garbage", 100).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(DecodeBody("zstd", "x", 100).status().code(), Code::kUnsupportedMedia);
}

TEST(DecodeBodyTest, Brotli) {
  std::string text(100000, 'y');
  std::string out(BrotliEncoderMaxCompressedSize(text.size()), '\0');
  size_t n = out.size();
  ASSERT_TRUE(BrotliEncoderCompress(5, 22, BROTLI_MODE_GENERIC, text.size(),
                                    reinterpret_cast<const uint8_t*>(text.data()), &n,
                                    reinterpret_cast<uint8_t*>(out.data())));
  out.resize(n);
  auto d = DecodeBody("br", out, 1 << 20);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d.value(), text);
  EXPECT_EQ(DecodeBody("br", out, 1000).status().code(), Code::kTooLarge);
  EXPECT_EQ(DecodeBody("br", out.substr(0, out.size() / 2), 1 << 20).status().code(),
            Code::kInvalidArgument);
}

TEST(DecodeBodyTest, IdentityCountsToo) {
  EXPECT_TRUE(DecodeBody("", "abc", 3).ok());
  EXPECT_TRUE(DecodeBody("identity", "abc", 3).ok());
  EXPECT_EQ(DecodeBody("", "abcd", 3).status().code(), Code::kTooLarge);
}

}  // namespace
}  // namespace sextant::http
