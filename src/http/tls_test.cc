// The transport over TLS: a real http::Server on a throwaway self-signed
// certificate (made here with OpenSSL's C API), and a Beast client.
#include "http/server.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

namespace sextant::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr auto kClientTimeout = std::chrono::seconds(10);

// ----------------------------------------------------------- certificates

struct Pem {
  std::string cert;
  std::string key;
};

std::string BioText(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(n));
}

// A P-256 key and a self-signed certificate for CN=localhost, with
// subjectAltName DNS:localhost and IP:127.0.0.1, valid for a day.
Pem MakeSelfSigned() {
  Pem out;
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* x = X509_new();
  if (!key || !x) return out;
  X509_set_version(x, 2);  // v3
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 24 * 3600);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, x, x, nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1"},
                            std::pair{NID_basic_constraints, "critical,CA:FALSE"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, nid, value);
    if (ext) X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
  }
  if (X509_sign(x, key, EVP_sha256()) > 0) {
    BIO* c = BIO_new(BIO_s_mem());
    BIO* k = BIO_new(BIO_s_mem());
    if (PEM_write_bio_X509(c, x) == 1 &&
        PEM_write_bio_PrivateKey(k, key, nullptr, nullptr, 0, nullptr, nullptr) == 1) {
      out.cert = BioText(c);
      out.key = BioText(k);
    }
    BIO_free(c);
    BIO_free(k);
  }
  X509_free(x);
  EVP_PKEY_free(key);
  return out;
}

void WriteFile(const std::filesystem::path& p, const std::string& data) {
  std::ofstream(p, std::ios::binary) << data;
}

// ------------------------------------------------------------- the server

// A file body in memory: bytes 0, 1, …, 255, 0, 1, …
class PatternFile : public FileBody {
 public:
  explicit PatternFile(uint64_t size) : size_(size) {}
  uint64_t size() const override { return size_; }
  Status ReadAt(uint64_t offset, size_t n, std::string* out) override {
    out->clear();
    for (uint64_t i = offset; i < size_ && out->size() < n; ++i) out->push_back(char(i % 256));
    return Status::Ok();
  }

 private:
  uint64_t size_;
};

// Two events, then the end of the stream.
class TwoEvents : public EventStream {
 public:
  bool Next(std::vector<std::shared_ptr<const std::string>>* out) override {
    out->push_back(std::make_shared<const std::string>("data: one\n\n"));
    out->push_back(std::make_shared<const std::string>("data: two\n\n"));
    return false;
  }
  void OnReady(std::function<void()> wake) override { wake_ = std::move(wake); }

 private:
  std::function<void()> wake_;
};

Response ErrorResponse(int status, std::string_view code, std::string_view message) {
  Response r;
  r.status = status;
  r.content_type = "text/plain";
  r.body = std::string(code) + ": " + std::string(message);
  return r;
}

// GET /file: a 200 KB file; GET /events: two server-sent events; anything
// else: "<method> <path> <secure|plain> <body size>".
class TestExchange : public Exchange {
 public:
  uint64_t body_limit() const override { return 1 << 20; }
  Response Run(Request& req) override {
    Response r;
    r.content_type = "text/plain";
    if (req.path == "/file") {
      r.content_type = "application/octet-stream";
      r.file = std::make_shared<PatternFile>(200 << 10);
    } else if (req.path == "/events") {
      r.events = std::make_shared<TwoEvents>();
    } else {
      r.body = req.method + " " + req.path + " " + (req.secure ? "secure" : "plain") + " " +
               std::to_string(req.body.size());
    }
    return r;
  }
  Response Error(int status, std::string_view code, std::string_view message) override {
    return ErrorResponse(status, code, message);
  }
};

class TestDispatcher : public Dispatcher {
 public:
  std::unique_ptr<Exchange> Dispatch(const Request&) override {
    return std::make_unique<TestExchange>();
  }
  Response Error(int status, std::string_view code, std::string_view message) override {
    return ErrorResponse(status, code, message);
  }
};

// ------------------------------------------------------------- the client

using Reply = bhttp::response<bhttp::string_body>;

// What one client connection saw: the replies, and how the connection ended
// when the client read on after them (if it did).
struct Seen {
  std::vector<Reply> replies;
  boost::system::error_code error;  // first failure, if any
  boost::system::error_code end;    // the read after the last reply
  boost::system::error_code shutdown;
};

// One round on a connection: bytes to send, then replies to read.
struct Round {
  std::string send;
  int replies = 1;
};

// Over TLS (verifying the server against `ca_pem` as "localhost"), or plain
// when ca_pem is empty: runs `rounds`, then either reads on until the server
// closes (`read_to_end`) or closes with a TLS shutdown of its own.
template <typename Stream>
asio::awaitable<void> RunRounds(Stream& s, std::vector<Round> rounds, bool read_to_end,
                                Seen& seen) {
  auto& tcp = beast::get_lowest_layer(s);
  beast::flat_buffer buf;
  for (const Round& r : rounds) {
    tcp.expires_after(kClientTimeout);
    auto [wec, wn] = co_await asio::async_write(s, asio::buffer(r.send), kTuple);
    if (wec) {
      seen.error = wec;
      co_return;
    }
    for (int i = 0; i < r.replies; ++i) {
      bhttp::response_parser<bhttp::string_body> p;
      p.body_limit(16 << 20);
      tcp.expires_after(kClientTimeout);
      auto [rec, rn] = co_await bhttp::async_read(s, buf, p, kTuple);
      if (rec) {
        seen.error = rec;
        co_return;
      }
      seen.replies.push_back(p.release());
    }
  }
  if (read_to_end) {
    char c[256];
    for (;;) {
      tcp.expires_after(kClientTimeout);
      auto [ec, n] = co_await s.async_read_some(asio::buffer(c), kTuple);
      if (ec) {
        seen.end = ec;
        break;
      }
    }
  } else if constexpr (!std::is_same_v<Stream, beast::tcp_stream>) {
    tcp.expires_after(kClientTimeout);
    auto [ec] = co_await s.async_shutdown(kTuple);
    seen.shutdown = ec;
  }
}

asio::awaitable<void> Client(int port, std::string ca_pem, std::vector<Round> rounds,
                             bool read_to_end, Seen& seen) {
  auto exec = co_await asio::this_coro::executor;
  tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port));
  if (ca_pem.empty()) {
    beast::tcp_stream s(exec);
    s.expires_after(kClientTimeout);
    auto [ec] = co_await s.async_connect(ep, kTuple);
    if (ec) {
      seen.error = ec;
      co_return;
    }
    co_await RunRounds(s, std::move(rounds), read_to_end, seen);
    co_return;
  }
  ssl::context ctx(ssl::context::tls_client);
  ctx.set_verify_mode(ssl::verify_peer);
  ctx.add_certificate_authority(asio::buffer(ca_pem));
  beast::ssl_stream<beast::tcp_stream> s(exec, ctx);
  s.set_verify_callback(ssl::host_name_verification("localhost"));
  SSL_set_tlsext_host_name(s.native_handle(), "localhost");
  auto& tcp = beast::get_lowest_layer(s);
  tcp.expires_after(kClientTimeout);
  auto [cec] = co_await tcp.async_connect(ep, kTuple);
  if (!cec) {
    auto [hec] = co_await s.async_handshake(ssl::stream_base::client, kTuple);
    cec = hec;
  }
  if (cec) {
    seen.error = cec;
    co_return;
  }
  co_await RunRounds(s, std::move(rounds), read_to_end, seen);
}

Seen Talk(int port, const std::string& ca_pem, std::vector<Round> rounds,
          bool read_to_end = false) {
  Seen seen;
  asio::io_context ioc;
  asio::co_spawn(ioc, Client(port, ca_pem, std::move(rounds), read_to_end, seen), asio::detached);
  ioc.run();
  return seen;
}

std::string Get(std::string_view target, std::string_view extra = "") {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: localhost\r\n" + std::string(extra) +
         "\r\n";
}

// ---------------------------------------------------------------- fixture

class TlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::filesystem::path(std::filesystem::temp_directory_path() /
                                     ("sextant-tls-test-" + std::to_string(::getpid())));
    std::filesystem::create_directories(*dir_);
    pem_ = new Pem(MakeSelfSigned());
    ASSERT_FALSE(pem_->cert.empty());
    WriteFile(*dir_ / "cert.pem", pem_->cert);
    WriteFile(*dir_ / "key.pem", pem_->key);
    WriteFile(*dir_ / "other-key.pem", MakeSelfSigned().key);
  }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(*dir_);
    delete dir_;
    delete pem_;
  }
  void TearDown() override { StopServer(); }

  static std::string File(const char* name) { return (*dir_ / name).string(); }

  ServerOptions TlsOptions() {
    ServerOptions o;
    o.port = 0;
    o.workers = 2;
    o.io_threads = 2;
    o.tls_cert_file = File("cert.pem");
    o.tls_key_file = File("key.pem");
    return o;
  }

  // Binds and serves on a thread; returns the port.
  int StartServer(ServerOptions o) {
    server_ = std::make_unique<Server>(&dispatcher_, std::move(o));
    auto port = server_->Bind();
    EXPECT_TRUE(port.ok()) << port.status().ToString();
    if (!port.ok()) return 0;
    thread_ = std::thread([this] { (void)server_->Serve(); });
    return port.value();
  }
  void StopServer() {
    if (!server_) return;
    server_->Stop();
    if (thread_.joinable()) thread_.join();
    server_.reset();
  }

  static std::filesystem::path* dir_;
  static Pem* pem_;
  TestDispatcher dispatcher_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
};

std::filesystem::path* TlsTest::dir_ = nullptr;
Pem* TlsTest::pem_ = nullptr;

// ------------------------------------------------------------------ tests

TEST_F(TlsTest, GetOverTlsAndGracefulClose) {
  int port = StartServer(TlsOptions());
  ASSERT_GT(port, 0);
  EXPECT_TRUE(server_->tls());
  Seen s = Talk(port, pem_->cert, {{Get("/hello")}});
  ASSERT_FALSE(s.error) << s.error.message();
  ASSERT_EQ(s.replies.size(), 1u);
  EXPECT_EQ(s.replies[0].result_int(), 200);
  EXPECT_EQ(s.replies[0].body(), "GET /hello secure 0");
  // Our close_notify is answered with the server's.
  EXPECT_FALSE(s.shutdown) << s.shutdown.message();
}

TEST_F(TlsTest, PipelinedAndKeepAliveRequestsOnOneConnection) {
  int port = StartServer(TlsOptions());
  ASSERT_GT(port, 0);
  Seen s = Talk(port, pem_->cert, {{Get("/a") + Get("/b"), 2}, {Get("/c")}});
  ASSERT_FALSE(s.error) << s.error.message();
  ASSERT_EQ(s.replies.size(), 3u);
  EXPECT_EQ(s.replies[0].body(), "GET /a secure 0");
  EXPECT_EQ(s.replies[1].body(), "GET /b secure 0");
  EXPECT_EQ(s.replies[2].body(), "GET /c secure 0");
  for (const Reply& r : s.replies) EXPECT_TRUE(r.keep_alive());
}

TEST_F(TlsTest, ConnectionCloseEndsWithCloseNotify) {
  int port = StartServer(TlsOptions());
  ASSERT_GT(port, 0);
  Seen s = Talk(port, pem_->cert, {{Get("/x", "Connection: close\r\n")}}, /*read_to_end=*/true);
  ASSERT_FALSE(s.error) << s.error.message();
  ASSERT_EQ(s.replies.size(), 1u);
  EXPECT_FALSE(s.replies[0].keep_alive());
  // A clean TLS end (close_notify), not a truncated stream.
  EXPECT_EQ(s.end, asio::error::eof) << s.end.message();
}

TEST_F(TlsTest, BodyWithExpectContinue) {
  int port = StartServer(TlsOptions());
  ASSERT_GT(port, 0);
  std::string body(300 << 10, 'x');
  std::string head = "POST /up HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\n"
                     "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  Seen s = Talk(port, pem_->cert, {{head, 1}, {body, 1}});
  ASSERT_FALSE(s.error) << s.error.message();
  ASSERT_EQ(s.replies.size(), 2u);
  EXPECT_EQ(s.replies[0].result_int(), 100);
  EXPECT_EQ(s.replies[1].result_int(), 200);
  EXPECT_EQ(s.replies[1].body(), "POST /up secure " + std::to_string(body.size()));
}

TEST_F(TlsTest, OversizedBodyIsRefusedAndTheAnswerArrives) {
  int port = StartServer(TlsOptions());
  ASSERT_GT(port, 0);
  // Over the route's 1 MiB: 413 before the body is read, then the close.
  std::string req = "POST /up HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4194304\r\n\r\n" +
                    std::string(64 << 10, 'x');
  Seen s = Talk(port, pem_->cert, {{req}}, /*read_to_end=*/true);
  ASSERT_FALSE(s.error) << s.error.message();
  ASSERT_EQ(s.replies.size(), 1u);
  EXPECT_EQ(s.replies[0].result_int(), 413);
  EXPECT_FALSE(s.replies[0].keep_alive());
}

TEST_F(TlsTest, FileWithRangesAndEventStream) {
  int port = StartServer(TlsOptions());
  ASSERT_GT(port, 0);
  Seen s = Talk(port, pem_->cert,
                {{Get("/file")}, {Get("/file", "Range: bytes=1000-1009\r\n")}, {Get("/events")}},
                /*read_to_end=*/true);
  ASSERT_FALSE(s.error) << s.error.message();
  ASSERT_EQ(s.replies.size(), 3u);
  EXPECT_EQ(s.replies[0].result_int(), 200);
  ASSERT_EQ(s.replies[0].body().size(), 200u << 10);
  EXPECT_EQ(static_cast<unsigned char>(s.replies[0].body()[123456]), 123456 % 256);
  EXPECT_EQ(s.replies[1].result_int(), 206);
  std::string want;
  for (int i = 1000; i <= 1009; ++i) want.push_back(char(i % 256));
  EXPECT_EQ(s.replies[1].body(), want);
  EXPECT_EQ(s.replies[2].result_int(), 200);
  EXPECT_EQ(s.replies[2][bhttp::field::content_type], "text/event-stream");
  EXPECT_EQ(s.replies[2].body(), "data: one\n\ndata: two\n\n");
  // The stream ends the connection, with a close_notify.
  EXPECT_EQ(s.end, asio::error::eof) << s.end.message();
}

TEST_F(TlsTest, PlainHttpToTheTlsPortIsRefused) {
  int port = StartServer(TlsOptions());
  ASSERT_GT(port, 0);
  Seen plain = Talk(port, "", {{Get("/hello")}});
  EXPECT_TRUE(plain.error);  // no HTTP answer, just the end of the connection
  EXPECT_TRUE(plain.replies.empty());
  EXPECT_NE(plain.error, beast::error::timeout) << "the server should close, not wait";
  // The server is still there for TLS clients.
  Seen s = Talk(port, pem_->cert, {{Get("/after")}});
  ASSERT_FALSE(s.error) << s.error.message();
  ASSERT_EQ(s.replies.size(), 1u);
  EXPECT_EQ(s.replies[0].body(), "GET /after secure 0");
}

TEST_F(TlsTest, WithoutTlsRequestsAreNotSecure) {
  ServerOptions o = TlsOptions();
  o.tls_cert_file.clear();
  o.tls_key_file.clear();
  int port = StartServer(o);
  ASSERT_GT(port, 0);
  EXPECT_FALSE(server_->tls());
  Seen s = Talk(port, "", {{Get("/p")}});
  ASSERT_FALSE(s.error) << s.error.message();
  ASSERT_EQ(s.replies.size(), 1u);
  EXPECT_EQ(s.replies[0].body(), "GET /p plain 0");
}

TEST_F(TlsTest, StopDoesNotWaitForAHandshake) {
  ServerOptions o = TlsOptions();
  o.header_timeout = std::chrono::seconds(60);
  int port = StartServer(o);
  ASSERT_GT(port, 0);
  // A client that connects and says nothing.
  asio::io_context ioc;
  tcp::socket idle(ioc);
  idle.connect(
      tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto t0 = std::chrono::steady_clock::now();
  StopServer();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
}

TEST_F(TlsTest, MissingCertificateFailsBind) {
  ServerOptions o = TlsOptions();
  o.tls_cert_file = File("missing.pem");
  Server server(&dispatcher_, o);
  EXPECT_TRUE(server.tls());
  auto port = server.Bind();
  ASSERT_FALSE(port.ok());
  const std::string& m = port.status().message();
  EXPECT_NE(m.find("reading TLS certificate " + File("missing.pem")), std::string::npos) << m;
  EXPECT_NE(m.find("No such file"), std::string::npos) << m;
}

TEST_F(TlsTest, KeyThatDoesNotMatchFailsBind) {
  ServerOptions o = TlsOptions();
  o.tls_key_file = File("other-key.pem");
  Server server(&dispatcher_, o);
  auto port = server.Bind();
  ASSERT_FALSE(port.ok());
  EXPECT_NE(port.status().message().find(File("other-key.pem")), std::string::npos)
      << port.status().message();
}

TEST_F(TlsTest, CertificateWithoutKeyOrNotPemFailsBind) {
  ServerOptions o = TlsOptions();
  o.tls_key_file.clear();
  {
    Server server(&dispatcher_, o);
    auto port = server.Bind();
    ASSERT_FALSE(port.ok());
    EXPECT_NE(port.status().message().find("both"), std::string::npos) << port.status().message();
  }
  WriteFile(*dir_ / "garbage.pem", "not a certificate\n");
  o = TlsOptions();
  o.tls_cert_file = File("garbage.pem");
  Server server(&dispatcher_, o);
  auto port = server.Bind();
  ASSERT_FALSE(port.ok());
  EXPECT_NE(port.status().message().find("reading TLS certificate " + File("garbage.pem")),
            std::string::npos)
      << port.status().message();
}

}  // namespace
}  // namespace sextant::http
