#include "storage/postgres/pg_feed.h"

#include <poll.h>

#include <charconv>
#include <cstdio>

namespace sextant::storage::postgres {

namespace {

// How long an announcement may wait to share a NOTIFY statement, and how
// often the loop looks at the queue and the stop flag.
constexpr int kTickMs = 20;
// NOTIFY payloads must stay under 8000 bytes; a longer event is sent without
// its text (followers still reload the run).
constexpr size_t kMaxPayload = 7900;

}  // namespace

ChangeFeed::ChangeFeed(Connect connect, std::string channel, uint64_t origin)
    : connect_(std::move(connect)), channel_(std::move(channel)), origin_(origin) {
  thread_ = std::thread([this] { Loop(); });
}

ChangeFeed::~ChangeFeed() { Stop(); }

void ChangeFeed::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void ChangeFeed::Announce(Change change) {
  std::string p = Encode(origin_, change);
  if (p.size() > kMaxPayload) {
    change.event.clear();
    p = Encode(origin_, change);
  }
  std::lock_guard<std::mutex> l(mu_);
  outgoing_.push_back(std::move(p));
}

void ChangeFeed::Follow(ChangeHandler handler) {
  std::lock_guard<std::mutex> l(mu_);
  handler_ = std::move(handler);
}

std::string ChangeFeed::Encode(uint64_t origin, const Change& c) {
  return std::to_string(origin) + ' ' + std::to_string(c.project_id) + ' ' + std::to_string(c.run_id) +
         ' ' + c.kind + ' ' + c.event;
}

bool ChangeFeed::Decode(std::string_view payload, uint64_t* origin, Change* c) {
  auto field = [&](std::string_view* out) {
    size_t sp = payload.find(' ');
    if (sp == std::string_view::npos) return false;
    *out = payload.substr(0, sp);
    payload.remove_prefix(sp + 1);
    return true;
  };
  std::string_view o, pr, r, kind;
  if (!field(&o) || !field(&pr) || !field(&r) || !field(&kind)) return false;
  auto num = [](std::string_view s, auto* v) {
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
    return ec == std::errc() && end == s.data() + s.size();
  };
  if (!num(o, origin) || !num(pr, &c->project_id) || !num(r, &c->run_id)) return false;
  c->kind = std::string(kind);
  c->event = std::string(payload);
  return true;
}

Status ChangeFeed::Listen(Conn& c) { return c.Exec("LISTEN " + QuoteIdent(channel_)); }

Status ChangeFeed::Send(Conn& c, std::vector<std::string> payloads) {
  return c.Query("SELECT pg_notify(convert_from($1, 'UTF8'), convert_from(p, 'UTF8')) "
                 "FROM unnest($2::bytea[]) WITH ORDINALITY AS u(p, n) ORDER BY n",
                 Params().Add(channel_).AddArray(payloads))
      .status();
}

void ChangeFeed::Receive(Conn& c) {
  std::vector<Change> got;
  while (PGnotify* n = PQnotifies(c.raw())) {
    uint64_t origin = 0;
    Change change;
    if (Decode(n->extra ? n->extra : "", &origin, &change) && origin != origin_)
      got.push_back(std::move(change));
    PQfreemem(n);
  }
  if (got.empty()) return;
  ChangeHandler handler;
  {
    std::lock_guard<std::mutex> l(mu_);
    handler = handler_;
  }
  if (handler) handler(got);
}

void ChangeFeed::Loop() {
  std::unique_ptr<Conn> conn;
  bool warned = false;
  while (!stop_) {
    if (!conn) {
      auto c = connect_();
      if (!c.ok() || !Listen(**c).ok()) {
        if (!warned)
          std::fprintf(stderr, "sextant: change feed: %s; retrying\n",
                       c.ok() ? "LISTEN failed" : c.status().ToString().c_str());
        warned = true;
        for (int i = 0; i < 50 && !stop_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(kTickMs));
        continue;
      }
      conn = std::move(c).value();
      warned = false;
    }
    std::vector<std::string> batch;
    {
      std::lock_guard<std::mutex> l(mu_);
      while (!outgoing_.empty() && batch.size() < 1000) {
        batch.push_back(std::move(outgoing_.front()));
        outgoing_.pop_front();
      }
    }
    if (!batch.empty() && !Send(*conn, std::move(batch)).ok()) {
      conn.reset();  // best effort: a lost announcement is caught up at the next change
      continue;
    }
    pollfd pfd{PQsocket(conn->raw()), POLLIN, 0};
    ::poll(&pfd, 1, kTickMs);
    if (!PQconsumeInput(conn->raw())) {
      conn.reset();
      continue;
    }
    Receive(*conn);
  }
}

}  // namespace sextant::storage::postgres
