// The body of a server-sent event stream (text/event-stream, chunked), for a
// connection whose response head is already out. Internal to http/;
// instantiated for plain (beast::tcp_stream) and TLS (TlsStream) connections.
#pragma once

#include <boost/asio.hpp>

#include <atomic>

#include "http/message.h"
#include "http/server.h"

namespace sextant::http {

// Writes `events` as chunks until the stream ends, the client sends anything
// or leaves, or `stopping` is set; a comment line every sse_heartbeat keeps
// proxies open, and events published within sse_min_interval of a write go
// out together. While it runs, *timer (read and written on the connection's
// strand) is the timer to cancel to wake it, e.g. when the server stops; it is
// null again when this returns. On return nothing is in flight on `stream`,
// which is to be closed.
template <typename Stream>
boost::asio::awaitable<void> PumpEvents(Stream& stream, EventStream& events,
                                        const ServerOptions& opt,
                                        const std::atomic<bool>& stopping,
                                        boost::asio::steady_timer** timer);

}  // namespace sextant::http
