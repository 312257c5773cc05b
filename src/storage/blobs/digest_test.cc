#include "storage/blobs/digest.h"

#include <gtest/gtest.h>

#include <cctype>
#include <string>

namespace sextant::blobs {
namespace {

std::string Hash(const std::string& data, size_t piece) {
  Result<Sha256> h = Sha256::Create();
  EXPECT_TRUE(h.ok());
  for (size_t i = 0; i < data.size(); i += piece) {
    EXPECT_TRUE(h->Update(std::string_view(data).substr(i, piece)).ok());
  }
  Result<std::string> d = h->Finish();
  EXPECT_TRUE(d.ok()) << d.status().ToString();
  return d.ok() ? d.value() : "";
}

// FIPS 180-2 test vectors, hashed in pieces of several sizes so that piece
// boundaries falling inside and across 64-byte blocks are covered.
TEST(Sha256Test, KnownAnswers) {
  for (size_t piece : {1, 3, 64, 1000, 1 << 20}) {
    EXPECT_EQ(Hash("", piece),
              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(Hash("abc", piece),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(Hash("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", piece),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  }
  EXPECT_EQ(Hash(std::string(1000000, 'a'), 4093),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256Test, EmptyUpdatesDoNotChangeDigest) {
  Result<Sha256> h = Sha256::Create();
  ASSERT_TRUE(h.ok());
  ASSERT_TRUE(h->Update("").ok());
  ASSERT_TRUE(h->Update("abc").ok());
  ASSERT_TRUE(h->Update("").ok());
  EXPECT_EQ(h->Finish().value(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(NormalizeDigestTest, AcceptsHexOfEitherCase) {
  const std::string lower = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  std::string upper = lower;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(NormalizeDigest(lower).value(), lower);
  EXPECT_EQ(NormalizeDigest(upper).value(), lower);
}

TEST(NormalizeDigestTest, RejectsEverythingElse) {
  std::string with_nul(64, 'a');
  with_nul[10] = '\0';
  std::string nul_at_end = std::string(63, 'a') + std::string(1, '\0');
  std::string non_ascii(64, 'a');
  non_ascii[0] = static_cast<char>(0xc3);
  non_ascii[1] = static_cast<char>(0xa9);
  const std::string bad[] = {
      "",
      std::string(63, 'a'),
      std::string(65, 'a'),
      std::string(10000, 'a'),
      std::string(64, 'g'),
      "../../etc/passwd",
      "/etc/passwd",
      // Right length, but with path syntax in it.
      "../../" + std::string(58, 'a'),
      "/" + std::string(63, 'a'),
      std::string(31, 'a') + "/" + std::string(32, 'a'),
      std::string(62, 'a') + "..",
      std::string(63, 'a') + " ",
      "0x" + std::string(62, 'a'),
      with_nul,
      nul_at_end,
      non_ascii,
  };
  for (const std::string& digest : bad) {
    Result<std::string> r = NormalizeDigest(digest);
    ASSERT_FALSE(r.ok()) << digest;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
    // The message must not echo arbitrary caller bytes.
    EXPECT_EQ(r.status().message().find('\0'), std::string::npos);
    EXPECT_LT(r.status().message().size(), 200u);
  }
}

}  // namespace
}  // namespace sextant::blobs
