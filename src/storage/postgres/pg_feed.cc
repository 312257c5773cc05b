#include "storage/postgres/pg_feed.h"

#include <poll.h>

#include <chrono>
#include <charconv>
#include <cstdio>

namespace sextant::storage::postgres {

namespace {

// How long an announcement may wait to share a NOTIFY statement, and how
// often the loop looks at the queue and the stop flag.
constexpr int kTickMs = 20;
// A change's payload stays small: a longer event is sent without its text
// (followers still reload the run).
constexpr size_t kMaxPayload = 7900;
// Followers read the log at least this often, notified or not.
constexpr int64_t kPollMs = 1000;
// A sequence number is given when a change is appended, which may commit
// after a later one: changes are kept in `seen_` this long before the
// watermark passes them (each append is one short statement).
constexpr int64_t kGraceMs = 10'000;
// Rows read per poll, and holes (sequence numbers not seen yet below the
// highest seen) asked for by number.
constexpr size_t kPollRows = 10'000;
constexpr size_t kMaxHoles = 1'000;
// How long the log keeps changes, and how often a replica prunes it.
constexpr int64_t kKeepUs = 10LL * 60 * 1'000'000;
constexpr int64_t kPruneMs = 60'000;

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch()).count();
}

int64_t WallUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch()).count();
}

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
  // One statement: the changes in order, then one notification saying
  // there are new ones.
  return c.Query("WITH added AS (INSERT INTO changes (at_us, payload) SELECT $3, p "
                 "FROM unnest($2::bytea[]) WITH ORDINALITY AS u(p, n) ORDER BY n RETURNING seq) "
                 "SELECT pg_notify(convert_from($1, 'UTF8'), max(seq)::text) FROM added",
                 Params().Add(channel_).AddArray(payloads).Add(WallUs()))
      .status();
}

Status ChangeFeed::Poll(Conn& c) {
  if (watermark_ < 0) {
    // The first connection: what came before is in the store already.
    ASSIGN_OR_RETURN(Rows r, c.Query("SELECT coalesce(max(seq), 0) FROM changes"));
    watermark_ = r.Int(0, 0);
    return Status::Ok();
  }
  // What lies past the last change seen, and the holes below it that a
  // slower append may still fill: never again what was seen. (Re-reading
  // the whole grace window cost O(changes in 10 s) per poll, and a window of
  // more than kPollRows changes stopped the feed until the watermark moved.)
  int64_t top = watermark_;
  std::vector<int64_t> holes;
  for (const auto& [seq, at] : seen_) {
    for (int64_t s = top + 1; s < seq && holes.size() < kMaxHoles; ++s) holes.push_back(s);
    if (holes.size() >= kMaxHoles) break;  // read past `top` again, seen ones skipped below
    top = std::max(top, seq);
  }
  ASSIGN_OR_RETURN(Rows rows, c.Query("SELECT seq, payload FROM changes WHERE seq > $1 OR seq = ANY($2) "
                                      "ORDER BY seq LIMIT " + std::to_string(kPollRows),
                                      Params().Add(top).AddArray(holes)));
  const int64_t now = SteadyMs();
  std::vector<Change> got;
  for (int i = 0; i < rows.size(); ++i) {
    int64_t seq = rows.Int(i, 0);
    if (!seen_.emplace(seq, now).second) continue;
    uint64_t origin = 0;
    Change change;
    if (Decode(rows.Bytes(i, 1), &origin, &change) && origin != origin_) got.push_back(std::move(change));
  }
  while (!seen_.empty() && seen_.begin()->second <= now - kGraceMs) {
    watermark_ = std::max(watermark_, seen_.begin()->first);
    seen_.erase(seen_.begin());
  }
  if (got.empty()) return Status::Ok();
  ChangeHandler handler;
  {
    std::lock_guard<std::mutex> l(mu_);
    handler = handler_;
  }
  if (handler) handler(got);
  return Status::Ok();
}

Status ChangeFeed::Prune(Conn& c) {
  return c.Query("DELETE FROM changes WHERE at_us < $1", Params().Add(WallUs() - kKeepUs)).status();
}

void ChangeFeed::Loop() {
  std::unique_ptr<Conn> conn;
  bool warned = false;
  int64_t last_poll = 0, last_prune = SteadyMs();
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
      conn.reset();  // the announcements are lost; followers catch up at the run's next change
      continue;
    }
    pollfd pfd{PQsocket(conn->raw()), POLLIN, 0};
    ::poll(&pfd, 1, kTickMs);
    if (!PQconsumeInput(conn->raw())) {
      conn.reset();
      continue;
    }
    bool notified = false;
    while (PGnotify* n = PQnotifies(conn->raw())) {
      notified = true;
      PQfreemem(n);
    }
    int64_t now = SteadyMs();
    if (notified || watermark_ < 0 || now - last_poll >= kPollMs) {
      last_poll = now;
      if (!Poll(*conn).ok()) {
        conn.reset();
        continue;
      }
    }
    if (now - last_prune >= kPruneMs) {
      last_prune = now;
      (void)Prune(*conn);  // any replica may; a failure waits for the next turn
    }
  }
}

}  // namespace sextant::storage::postgres
