// Retries and error mapping of the S3 client, against a loopback HTTP server
// that answers from a script (the store's behaviour against a real S3 server
// is in ../blob_store_conformance_test.cc).
#include "storage/blobs/s3/s3_client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace sextant::blobs {
namespace {

// Answers the i-th request with answers[min(i, last)], one request per
// connection (it closes after answering).
class ScriptedServer {
 public:
  explicit ScriptedServer(std::vector<std::string> answers) : answers_(std::move(answers)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    ::listen(fd_, 16);
    thread_ = std::thread([this] { Serve(); });
  }
  ~ScriptedServer() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  int port() const { return port_; }
  int requests() const { return requests_.load(); }

 private:
  void Serve() {
    for (;;) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string req;
      char buf[4096];
      while (req.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = ::read(c, buf, sizeof buf);
        if (n <= 0) break;
        req.append(buf, static_cast<size_t>(n));
      }
      const int i = requests_++;
      const std::string& a = answers_[std::min<size_t>(i, answers_.size() - 1)];
      (void)!::write(c, a.data(), a.size());
      ::close(c);
    }
  }

  std::vector<std::string> answers_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<int> requests_{0};
  std::thread thread_;
};

std::string Answer(int status, const std::string& reason, const std::string& body) {
  return "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n\r\n" + body;
}

S3Options Local(int port) {
  S3Options o;
  o.endpoint = "http://127.0.0.1:" + std::to_string(port);
  o.bucket = "b";
  o.access_key = "k";
  o.secret_key = "s";
  return o;
}

TEST(S3Client, RetriesSlowDownAndServerErrorsThenSucceeds) {
  const std::string slow = Answer(503, "Slow Down", "<Error><Code>SlowDown</Code><Message>Please reduce</Message></Error>");
  ScriptedServer srv({slow, Answer(500, "Internal", ""), Answer(200, "OK", "done")});
  S3Client c(Local(srv.port()));
  auto t0 = std::chrono::steady_clock::now();
  Result<S3Response> res = c.Send(S3Request{.method = "GET", .key = "x"});
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "done");
  EXPECT_EQ(srv.requests(), 3);
  // Backoff: 50-100 ms, then 100-200 ms.
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(150));
}

TEST(S3Client, GivesUpAfterMaxAttemptsWithTheLastError) {
  ScriptedServer srv({Answer(503, "Slow Down", "<Error><Code>SlowDown</Code><Message>m</Message></Error>")});
  S3Options o = Local(srv.port());
  o.max_attempts = 3;
  S3Client c(o);
  Result<S3Response> res = c.Send(S3Request{.method = "GET", .key = "x"});
  // The last answer is returned as is for the caller to map.
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->status, 503);
  EXPECT_EQ(srv.requests(), 3);
  Status st = S3Client::ErrorStatus(*res, "reading x");
  EXPECT_EQ(st.code(), Code::kUnavailable);
  EXPECT_NE(st.message().find("SlowDown"), std::string::npos) << st.ToString();
}

TEST(S3Client, ClientErrorsAreNotRetried) {
  ScriptedServer srv({Answer(403, "Forbidden", "<Error><Code>AccessDenied</Code><Message>no</Message></Error>")});
  S3Client c(Local(srv.port()));
  Result<S3Response> res = c.Send(S3Request{.method = "GET", .key = "x"});
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->status, 403);
  EXPECT_EQ(srv.requests(), 1);
  EXPECT_EQ(S3Client::ErrorStatus(*res, "x").code(), Code::kPermissionDenied);
}

TEST(S3Client, UnreachableEndpointIsUnavailable) {
  int port;
  {
    ScriptedServer probe({Answer(200, "OK", "")});
    port = probe.port();
  }  // closed: nothing listens there now
  S3Options o = Local(port);
  o.max_attempts = 2;
  S3Client c(o);
  Result<S3Response> res = c.Send(S3Request{.method = "HEAD", .key = "x"});
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().code(), Code::kUnavailable);
  EXPECT_NE(res.status().message().find("after 2 attempts"), std::string::npos) << res.status().ToString();
}

}  // namespace
}  // namespace sextant::blobs
