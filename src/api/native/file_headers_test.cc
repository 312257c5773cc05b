// Downloads must be safe to open in a browser: only an allow-list of image
// signatures is ever inline, everything else (SVG, HTML, text, whatever the
// name says) is an octet-stream attachment, and file names travel as RFC 6266
// / RFC 8187 say.
#include "api/native/file_headers.h"

#include <gtest/gtest.h>

#include <string>

namespace sextant::api::native {
namespace {

using namespace std::string_literals;

const std::string kPng = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR"s;
const std::string kJpeg = "\xff\xd8\xff\xe0\0\x10JFIF\0"s;
const std::string kWebp = "RIFF\x24\0\0\0WEBPVP8 "s;

TEST(SniffImageType, AllowListedSignatures) {
  EXPECT_EQ(SniffImageType(kPng), "image/png");
  EXPECT_EQ(SniffImageType(kPng.substr(0, 8)), "image/png");
  EXPECT_EQ(SniffImageType(kJpeg), "image/jpeg");
  EXPECT_EQ(SniffImageType("\xff\xd8\xff"), "image/jpeg");
  EXPECT_EQ(SniffImageType("GIF87a\x01\0\x01\0"), "image/gif");
  EXPECT_EQ(SniffImageType("GIF89a"), "image/gif");
  EXPECT_EQ(SniffImageType(kWebp), "image/webp");
  EXPECT_EQ(SniffImageType("RIFF\0\0\0\0WEBPVP8L"s), "image/webp");
  EXPECT_EQ(SniffImageType("RIFF\0\0\0\0WEBPVP8X"s), "image/webp");
}

TEST(SniffImageType, EverythingElseIsNotAnImage) {
  for (std::string head :
       {""s, "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>"s, "<?xml version=\"1.0\"?><svg"s,
        "<!DOCTYPE html><html>"s, "<html><script>alert(1)</script>"s, "hello world\n"s,
        "%PDF-1.7"s, "\x89PNG\r\n\x1a"s /* cut short */, "\x89PNG\n\r\x1a\n"s, "\xff\xd8"s,
        "GIF88a"s, "GIF8"s, "RIFF\0\0\0\0WAVEfmt "s, "RIFF\0\0\0\0WEBP"s /* no chunk */,
        " \x89PNG\r\n\x1a\n"s /* not at the start */, "BM"s, "\0\0\0\x0c" "jP  "s}) {
    EXPECT_EQ(SniffImageType(head), "") << head;
  }
}

TEST(SniffImageType, LooksAtTheFirstSixteenBytesOnly) {
  // A WebP signature needs 15 bytes: within the window.
  EXPECT_EQ(SniffImageType(kWebp + "<html>"), "image/webp");
  EXPECT_EQ(SniffImageType(std::string(16, ' ') + kPng), "");
}

TEST(ContentDisposition, PlainAsciiName) {
  EXPECT_EQ(ContentDisposition("attachment", "config.json"),
            "attachment; filename=\"config.json\"; filename*=UTF-8''config.json");
  EXPECT_EQ(ContentDisposition("inline", "img_1.png"),
            "inline; filename=\"img_1.png\"; filename*=UTF-8''img_1.png");
}

TEST(ContentDisposition, EmptyNameIsFile) {
  EXPECT_EQ(ContentDisposition("attachment", ""),
            "attachment; filename=\"file\"; filename*=UTF-8''file");
}

TEST(ContentDisposition, AttrCharsStayAndTheRestIsPercentEncoded) {
  EXPECT_EQ(Rfc8187Value("aZ09!#$&+-.^_`|~"), "UTF-8''aZ09!#$&+-.^_`|~");
  EXPECT_EQ(Rfc8187Value(" \"%'()*,/:;<=>?@[\\]{}"),
            "UTF-8''%20%22%25%27%28%29%2A%2C%2F%3A%3B%3C%3D%3E%3F%40%5B%5C%5D%7B%7D");
  EXPECT_EQ(Rfc8187Value("a\r\nb\t\x7f"), "UTF-8''a%0D%0Ab%09%7F");
}

TEST(ContentDisposition, UnicodeName) {
  const std::string name = "\xc3\xbcn\xc3\xaf c\xc3\xb8" "d\xc3\xa9 \xe6\x96\x87\xe4\xbb\xb6 \xf0\x9f\x9a\x80.txt";
  EXPECT_EQ(AsciiFallbackName(name), "_n_ c_d_ __ _.txt");
  EXPECT_EQ(Rfc8187Value(name),
            "UTF-8''%C3%BCn%C3%AF%20c%C3%B8d%C3%A9%20%E6%96%87%E4%BB%B6%20%F0%9F%9A%80.txt");
  EXPECT_EQ(ContentDisposition("attachment", name),
            "attachment; filename=\"_n_ c_d_ __ _.txt\"; filename*=UTF-8''"
            "%C3%BCn%C3%AF%20c%C3%B8d%C3%A9%20%E6%96%87%E4%BB%B6%20%F0%9F%9A%80.txt");
}

TEST(ContentDisposition, FallbackNeverBreaksTheQuotedString) {
  EXPECT_EQ(AsciiFallbackName("a\"b\\c\r\nd\te\x7f" "f\x01g"), "a_b_c__d_e_f_g");
  // What stays is printable ASCII other than '"' and '\'.
  EXPECT_EQ(AsciiFallbackName("a b;c=d,e'f(g)"), "a b;c=d,e'f(g)");
  // A name that tries to close the quoted string and add parameters stays
  // inside it (and is percent-encoded in filename*).
  std::string h = ContentDisposition("attachment", "x\"; filename*=UTF-8''evil.html; y=\"");
  EXPECT_EQ(h,
            "attachment; filename=\"x_; filename*=UTF-8''evil.html; y=_\"; "
            "filename*=UTF-8''x%22%3B%20filename%2A%3DUTF-8%27%27evil.html%3B%20y%3D%22");
  for (char c : h) EXPECT_TRUE(c >= 0x20 && c < 0x7f) << static_cast<int>(c);
}

TEST(ContentDisposition, InvalidUtf8BecomesUnderscores) {
  // A lone continuation byte, a truncated sequence, an overlong '/', a
  // surrogate and a code point above U+10FFFF: each byte is one '_'.
  EXPECT_EQ(Rfc8187Value("a\x80" "b"), "UTF-8''a_b");
  EXPECT_EQ(Rfc8187Value("a\xe6\x96"), "UTF-8''a__");
  EXPECT_EQ(Rfc8187Value("\xc0\xaf"), "UTF-8''__");
  EXPECT_EQ(Rfc8187Value("\xed\xa0\x80"), "UTF-8''___");
  EXPECT_EQ(Rfc8187Value("\xf4\x90\x80\x80"), "UTF-8''____");
  EXPECT_EQ(AsciiFallbackName("a\x80" "b\xe6\x96"), "a_b__");
  // Valid next to invalid.
  EXPECT_EQ(Rfc8187Value("\xff\xc3\xbc"), "UTF-8''_%C3%BC");
  EXPECT_EQ(AsciiFallbackName("\xff\xc3\xbc"), "__");
}

TEST(HeadersForFile, ImagesInlineEverythingElseAttachment) {
  FileHeaders png = HeadersForFile(kPng, "plot.png");
  EXPECT_EQ(png.content_type, "image/png");
  EXPECT_EQ(png.content_disposition, "inline; filename=\"plot.png\"; filename*=UTF-8''plot.png");
  EXPECT_EQ(HeadersForFile(kJpeg, "x").content_type, "image/jpeg");
  EXPECT_EQ(HeadersForFile("GIF89a", "x").content_type, "image/gif");
  EXPECT_EQ(HeadersForFile(kWebp, "x").content_type, "image/webp");

  for (const char* head : {"<svg><script>alert(1)</script></svg>", "<html>", "text", ""}) {
    FileHeaders h = HeadersForFile(head, "x.svg");
    EXPECT_EQ(h.content_type, "application/octet-stream") << head;
    EXPECT_EQ(h.content_disposition.rfind("attachment; ", 0), 0u) << head;
  }
}

TEST(HeadersForFile, TheNameNeverDecidesTheType) {
  // HTML named like a PNG is still an attachment...
  FileHeaders h = HeadersForFile("<html><script>alert(1)</script>", "innocent.png");
  EXPECT_EQ(h.content_type, "application/octet-stream");
  EXPECT_EQ(h.content_disposition,
            "attachment; filename=\"innocent.png\"; filename*=UTF-8''innocent.png");
  // ...and a PNG named like HTML is a PNG.
  EXPECT_EQ(HeadersForFile(kPng, "page.html").content_type, "image/png");
}

}  // namespace
}  // namespace sextant::api::native
