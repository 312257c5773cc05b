#include "http/tls.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace sextant::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ssl = boost::asio::ssl;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

// TLS 1.2 suites: ephemeral key exchange and AEAD ciphers only (TLS 1.3 has
// only such suites, OpenSSL's defaults).
constexpr const char* kTls12Ciphers = "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL";

// The whole of a (small) file, or an error naming it.
Result<std::string> ReadPem(const std::string& what, const std::string& path) {
  auto error = [&](std::string why) {
    return Status::InvalidArgument("reading " + what + " " + path + ": " + why);
  };
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return error(std::strerror(errno));
  std::string data;
  char buf[8192];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) data.append(buf, n);
  bool failed = std::ferror(f);
  int err = errno;
  std::fclose(f);
  if (failed) return error(std::strerror(err));
  if (data.empty()) return error("the file is empty");
  return data;
}

// Whether `pem` holds a private key OpenSSL can read without a passphrase
// (never asked for here).
bool ReadsAsKey(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (!bio) return false;
  auto no_passphrase = [](char*, int, int, void*) { return 0; };
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, no_passphrase, nullptr);
  BIO_free(bio);
  EVP_PKEY_free(key);
  ERR_clear_error();
  return key != nullptr;
}

}  // namespace

Result<std::unique_ptr<ssl::context>> LoadTlsContext(const std::string& cert_file,
                                                     const std::string& key_file) {
  if (cert_file.empty() || key_file.empty())
    return Status::InvalidArgument("TLS needs both a certificate file and a private key file");
  auto cert = ReadPem("TLS certificate", cert_file);
  if (!cert.ok()) return cert.status();
  auto key = ReadPem("TLS private key", key_file);
  if (!key.ok()) return key.status();

  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
  boost::system::error_code ec;
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                       ssl::context::no_tlsv1_1 | ssl::context::single_dh_use |
                       ssl::context::no_compression | SSL_OP_NO_RENEGOTIATION,
                   ec);
  SSL_CTX* native = ctx->native_handle();
  if (ec || SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1)
    return Status::Internal("setting up TLS: " +
                            (ec ? ec.message() : std::string("OpenSSL refused the settings")));

  ctx->use_certificate_chain(asio::buffer(cert.value()), ec);
  if (ec) {
    bool pem = cert.value().find("-----BEGIN CERTIFICATE-----") != std::string::npos;
    return Status::InvalidArgument("reading TLS certificate " + cert_file + ": " +
                                   (pem ? ec.message() : "no PEM certificate in the file"));
  }
  // A server starts unattended: an encrypted key is refused, not prompted for.
  if (key.value().find("ENCRYPTED") != std::string::npos)
    return Status::InvalidArgument("reading TLS private key " + key_file +
                                   ": the key is encrypted; give it without a passphrase");
  ctx->set_password_callback([](size_t, ssl::context::password_purpose) { return std::string(); },
                             ec);
  ctx->use_private_key(asio::buffer(key.value()), ssl::context::pem, ec);
  // OpenSSL checks a key of the certificate's type against it as it loads
  // it; a key of another type only when asked.
  if ((ec && ReadsAsKey(key.value())) || (!ec && SSL_CTX_check_private_key(native) != 1))
    return Status::InvalidArgument("TLS private key " + key_file +
                                   " does not match the certificate " + cert_file);
  if (ec) {
    bool pem = key.value().find("PRIVATE KEY-----") != std::string::npos;
    return Status::InvalidArgument("reading TLS private key " + key_file + ": " +
                                   (pem ? ec.message() : "no PEM private key in the file"));
  }
  return ctx;
}

asio::awaitable<bool> TlsHandshake(TlsStream& stream,
                                   std::chrono::steady_clock::duration deadline) {
  beast::get_lowest_layer(stream).expires_after(deadline);
  auto [ec] = co_await stream.async_handshake(ssl::stream_base::server, kTuple);
  co_return !ec;
}

asio::awaitable<void> TlsShutdown(TlsStream& stream, std::chrono::steady_clock::duration deadline) {
  beast::get_lowest_layer(stream).expires_after(deadline);
  co_await stream.async_shutdown(kTuple);
}

}  // namespace sextant::http
