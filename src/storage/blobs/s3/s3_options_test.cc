#include "storage/blobs/s3/s3_options.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace sextant::blobs {
namespace {

struct Env {
  std::map<std::string, std::string> vars = {{"AWS_ACCESS_KEY_ID", "AK"}, {"AWS_SECRET_ACCESS_KEY", "SK"}};
  const char* operator()(const char* n) const {
    auto it = vars.find(n);
    return it == vars.end() ? nullptr : it->second.c_str();
  }
};

TEST(S3Options, BucketPrefixAndEndpoint) {
  Env env;
  auto o = ParseS3Location("s3://team-files/sextant/prod/?endpoint=http%3A%2F%2F127.0.0.1%3A9000&region=eu-west-1", env);
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->bucket, "team-files");
  EXPECT_EQ(o->prefix, "sextant/prod/");
  EXPECT_EQ(o->endpoint, "http://127.0.0.1:9000");
  EXPECT_EQ(o->region, "eu-west-1");
  EXPECT_TRUE(o->path_style);
  EXPECT_EQ(o->access_key, "AK");
  EXPECT_EQ(o->secret_key, "SK");
}

TEST(S3Options, AwsDefaultsAndEnvironment) {
  Env env;
  env.vars["AWS_REGION"] = "us-west-2";
  auto o = ParseS3Location("s3://bucket", env);
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->endpoint, "https://s3.us-west-2.amazonaws.com");
  EXPECT_FALSE(o->path_style) << "AWS itself: virtual-hosted style";
  EXPECT_EQ(o->prefix, "");
  env.vars["AWS_ENDPOINT_URL_S3"] = "http://minio:9000/";
  o = ParseS3Location("s3://bucket/p", env);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->endpoint, "http://minio:9000");
  EXPECT_TRUE(o->path_style);
}

TEST(S3Options, RejectsWhatItCannotUse) {
  Env env;
  for (const char* bad : {"http://bucket", "s3://", "s3://AB", "s3://Bucket_Name", "s3://bucket/a//b",
                          "s3://bucket/../x", "s3://bucket/a b", "s3://bucket?endpoint=ftp://x",
                          "s3://bucket?endpoint=http://h/path", "s3://bucket?colour=red",
                          "s3://bucket?path_style=maybe", "s3://bucket?region=us/east"}) {
    EXPECT_EQ(ParseS3Location(bad, env).status().code(), Code::kInvalidArgument) << bad;
  }
  Env none;
  none.vars.clear();
  auto o = ParseS3Location("s3://bucket?endpoint=http://127.0.0.1:9000", none);
  ASSERT_FALSE(o.ok());
  EXPECT_NE(o.status().message().find("AWS_ACCESS_KEY_ID"), std::string::npos);
}

TEST(S3Options, UriEncoding) {
  EXPECT_EQ(AwsUriEncode("a/b c~d_e.f-g", true), "a/b%20c~d_e.f-g");
  EXPECT_EQ(AwsUriEncode("a/b", false), "a%2Fb");
  EXPECT_EQ(AwsUriEncode("\xc3\xa9", false), "%C3%A9");
}

}  // namespace
}  // namespace sextant::blobs
