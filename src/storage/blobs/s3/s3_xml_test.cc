#include "storage/blobs/s3/s3_xml.h"

#include <gtest/gtest.h>

namespace sextant::blobs {
namespace {

TEST(S3Xml, ErrorAndUploadId) {
  const char* err =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchBucket</Code>"
      "<Message>The specified bucket does not exist</Message><Key>k</Key></Error>";
  EXPECT_EQ(s3xml::FirstText(err, "Code").value(), "NoSuchBucket");
  EXPECT_EQ(s3xml::FirstText(err, "Message").value(), "The specified bucket does not exist");
  EXPECT_EQ(s3xml::FirstText(err, "Absent").value(), "");
  const char* init =
      "<InitiateMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<Bucket>b</Bucket><Key>tmp/x</Key><UploadId>abc&amp;def</UploadId></InitiateMultipartUploadResult>";
  EXPECT_EQ(s3xml::FirstText(init, "UploadId").value(), "abc&def");
}

TEST(S3Xml, ListingElements) {
  const char* list =
      "<ListBucketResult><Name>b</Name>"
      "<Contents><Key>p/tmp/1</Key><LastModified>2026-12-03T10:00:00.000Z</LastModified></Contents>"
      "<Contents><Key>p/tmp/2</Key><LastModified>2026-12-03T11:00:00.000Z</LastModified></Contents>"
      "</ListBucketResult>";
  auto items = s3xml::Elements(list, "Contents").value();
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[1]["Key"], "p/tmp/2");
  EXPECT_EQ(items[0]["LastModified"], "2026-12-03T10:00:00.000Z");
}

TEST(S3Xml, MalformedAndHostileInput) {
  for (const char* bad : {"", "not xml", "<a><b></a>", "<Error><Code>x</Code>"}) {
    EXPECT_EQ(s3xml::FirstText(bad, "Code").status().code(), Code::kInvalidArgument) << bad;
  }
  // External entities are never fetched or expanded.
  const char* xxe =
      "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><Error><Code>&x;</Code></Error>";
  auto code = s3xml::FirstText(xxe, "Code");
  if (code.ok()) {
    EXPECT_EQ(code->find("root:"), std::string::npos);
  }
  // Deep nesting is refused or walked without recursion, never a crash.
  std::string deep;
  for (int i = 0; i < 5000; ++i) deep += "<a>";
  for (int i = 0; i < 5000; ++i) deep += "</a>";
  (void)s3xml::FirstText(deep, "Code");
}

}  // namespace
}  // namespace sextant::blobs
