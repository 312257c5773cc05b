// TLS for the transport (OpenSSL through Asio): the server's context, loaded
// once by Server::Bind, and the two steps a TLS connection adds to a plain
// one, the handshake and the closing close_notify. Internal to http/.
#pragma once

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>

#include <chrono>
#include <memory>
#include <string>

#include "common/status.h"

namespace sextant::http {

// A connection over TLS; its lowest layer is the same tcp_stream a plain
// connection uses, so deadlines and socket calls are the same for both.
using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

// A server context from PEM files: the certificate (chain) and its private
// key. TLS 1.2 and 1.3 only, forward-secret AEAD suites for 1.2, no
// compression, no renegotiation. Errors name the file and the reason, e.g.
// "reading TLS certificate /x.pem: No such file or directory".
Result<std::unique_ptr<boost::asio::ssl::context>> LoadTlsContext(const std::string& cert_file,
                                                                 const std::string& key_file);

// The server side of the handshake, within `deadline`; false when it failed
// (a client that does not speak TLS, a timeout, a protocol error).
boost::asio::awaitable<bool> TlsHandshake(TlsStream& stream,
                                          std::chrono::steady_clock::duration deadline);

// Sends close_notify and waits, at most `deadline`, for the peer's. Errors
// are ignored: the connection is being closed anyway.
boost::asio::awaitable<void> TlsShutdown(TlsStream& stream,
                                         std::chrono::steady_clock::duration deadline);

}  // namespace sextant::http
