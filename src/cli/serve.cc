// `sextant serve`: opens the store and the accounts, checks that the chosen
// address is safe to serve on, and serves until SIGINT/SIGTERM.
#include <malloc.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>

#include "api/server.h"
#include "auth/accounts.h"
#include "cli/commands.h"
#include "cli/demo.h"
#include "core/tracker.h"
#include "model/limits.h"
#include "model/types.h"
#include "storage/open_backend.h"

namespace sextant::cli {
namespace {

constexpr char kServeUsage[] =
    "usage: sextant serve [options]\n"
    "\n"
    "  --data DIR           data folder (default ./sextant-data)\n"
    "  --store URL          where runs live: sqlite:///path (default DIR/sextant.db) or\n"
    "                       postgresql://user@host:port/db (see docs/deploy.md)\n"
    "  --files LOCATION     where logged files go (default DIR/files): a folder, or\n"
    "                       s3://bucket[/prefix][?endpoint=URL&region=R] for an\n"
    "                       S3-compatible store (credentials: AWS_ACCESS_KEY_ID,\n"
    "                       AWS_SECRET_ACCESS_KEY; see docs/deploy.md)\n"
    "  --host HOST          address to listen on (default 127.0.0.1); any address\n"
    "                       other than loopback needs accounts (sextant admin init)\n"
    "  --port PORT          port (default 5050; 0 picks a free one)\n"
    "  --demo               log a small demo project (demo/quickstart) if absent\n"
    "  --max-body-mb N      largest JSON request body (default 64)\n"
    "  --body-memory-mb N   request bodies read and handled at once hold at most\n"
    "                       N MiB together (default 32; 0: no bound); others wait\n"
    "  --max-file-gb N      largest file upload (default 100)\n"
    "  --timestamp-resolution ms|us\n"
    "                       point timestamps are kept to the millisecond (default,\n"
    "                       as MLflow and Neptune keep them) or to the microsecond\n"
    "  --no-fsync           acknowledge writes before fsync (survives a crash of the\n"
    "                       server, not of the machine)\n"
    "  --threads N          worker threads for blocking work (default 64)\n"
    "  --stale-after SEC    a running run silent this long is shown as stale (default 600)\n"
    "  --trash-days D       runs in the trash longer than D days are purged (default 30;\n"
    "                       0 keeps them until purged by hand)\n"
    "  --web-dir DIR        the built web UI (default: web/dist beside the build)\n"
    "  --allowed-host NAME  a name clients use to reach the server (Host header);\n"
    "                       repeatable. localhost and the bound address always are\n"
    "  --trusted-proxy IP   a reverse proxy whose X-Forwarded-For/-Proto are believed\n"
    "  --tls-cert FILE      serve HTTPS with this PEM certificate (chain)\n"
    "  --tls-key FILE       ... and this PEM private key\n"
    "  --signing-key FILE   sign Neptune access tokens and storage URLs with the 32\n"
    "                       bytes in FILE (mode 0600; openssl rand -out FILE 32)\n"
    "                       instead of a key kept in the data folder or, with\n"
    "                       PostgreSQL, in the database; give replicas one file\n"
    "  --mlflow-workspace W experiments created by MLflow clients become projects\n"
    "                       of workspace W (default: mlflow)\n"
    "  --external-url URL   the URL clients reach this server at (behind a proxy);\n"
    "                       Neptune clients are sent there (default: from Host)\n"
    "  --session-hours N    browser sessions last this long (default 168)\n"
    "  --insecure-no-auth   serve a non-loopback address without accounts: anyone\n"
    "                       who can reach it can read and change everything\n";

bool IsLoopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host == "[::1]" || host.rfind("127.", 0) == 0;
}


// The UI built in the source tree: <repo>/web/dist for a binary at
// <repo>/build/src/sextant, or ./web/dist.
std::string DefaultWebDir(const char* argv0) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path exe = fs::canonical("/proc/self/exe", ec);
  if (ec) exe = fs::absolute(argv0, ec);
  for (fs::path p : {exe.parent_path() / "../../web/dist", exe.parent_path() / "../share/sextant/web",
                     fs::path("web/dist")})
    if (fs::exists(p / "index.html", ec)) return fs::weakly_canonical(p, ec).string();
  return "";
}

}  // namespace

int Serve(int argc, char** argv) {
  // glibc gives each of the 256 worker threads' first allocations an arena
  // (up to 8 per core) and raises its mmap threshold after large frees, so
  // the multi-MB buffers of chunk reads stayed resident per arena: 150 MiB
  // grew to 830 MiB when reads came over new connections. A few arenas and a
  // fixed threshold return large buffers to the system when freed.
  mallopt(M_ARENA_MAX, 4);
  // Every open connection (keep-alive, event streams) is a descriptor: allow
  // as many as the hard limit does.
  rlimit nofile{};
  if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
    nofile.rlim_cur = nofile.rlim_max;
    setrlimit(RLIMIT_NOFILE, &nofile);
  }
  mallopt(M_MMAP_THRESHOLD, 1 << 20);

  sextant::core::TrackerOptions topts;
  topts.data_dir = "sextant-data";
  sextant::api::ServerOptions sopts;
  bool demo = false;
  std::string signing_key;
  sextant::auth::AccountsOptions aopts;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* name) -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "sextant: %s needs a value\n", name);
        std::exit(2);
      }
      return argv[++i];
    };
    auto number = [&](const char* name, long lo, long hi) {
      const char* v = value(name);
      char* end = nullptr;
      long n = std::strtol(v, &end, 10);
      if (*end || n < lo || n > hi) {
        std::fprintf(stderr, "sextant: %s must be an integer from %ld to %ld\n", name, lo, hi);
        std::exit(2);
      }
      return n;
    };
    if (a == "--data") topts.data_dir = value("--data");
    else if (a == "--files") topts.files = value("--files");
    else if (a == "--store") topts.store = value("--store");
    else if (a == "--host") sopts.host = value("--host");
    else if (a == "--port") sopts.port = static_cast<int>(number("--port", 0, 65535));
    else if (a == "--demo") demo = true;
    else if (a == "--max-body-mb") sopts.max_body_bytes = size_t(number("--max-body-mb", 1, 4096)) << 20;
    else if (a == "--body-memory-mb") sopts.max_body_memory = uint64_t(number("--body-memory-mb", 0, 1 << 20)) << 20;
    else if (a == "--max-file-gb") sopts.max_file_bytes = uint64_t(number("--max-file-gb", 1, 1 << 20)) << 30;
    else if (a == "--no-fsync") topts.fsync_commits = false;
    else if (a == "--timestamp-resolution") {
      std::string r = value("--timestamp-resolution");
      if (r == "ms") topts.limits.timestamp_resolution_us = sextant::model::kTimestampResolutionMs;
      else if (r == "us") topts.limits.timestamp_resolution_us = sextant::model::kTimestampResolutionUs;
      else return Fail("--timestamp-resolution must be ms or us, got '" + r + "'");
    }
    else if (a == "--stale-after") topts.stale_after_us = number("--stale-after", 1, 1L << 31) * 1'000'000L;
    else if (a == "--trash-days") {
      const char* v = value("--trash-days");
      char* end = nullptr;
      double days = std::strtod(v, &end);
      if (*end || !(days >= 0) || days > 36500) {
        std::fprintf(stderr, "sextant: --trash-days must be a number of days from 0 (keep) to 36500\n");
        std::exit(2);
      }
      topts.trash_retention_us = static_cast<int64_t>(days * 86400.0 * 1e6);
    }
    else if (a == "--web-dir") sopts.web_dir = value("--web-dir");
    else if (a == "--threads") sopts.threads = static_cast<int>(number("--threads", 1, 4096));
    else if (a == "--allowed-host") sopts.allowed_hosts.push_back(value("--allowed-host"));
    else if (a == "--trusted-proxy") sopts.trusted_proxies.push_back(value("--trusted-proxy"));
    else if (a == "--tls-cert") sopts.tls_cert_file = value("--tls-cert");
    else if (a == "--tls-key") sopts.tls_key_file = value("--tls-key");
    else if (a == "--signing-key") signing_key = value("--signing-key");
    else if (a == "--external-url") sopts.external_url = value("--external-url");
    else if (a == "--mlflow-workspace") {
      sopts.mlflow_workspace = value("--mlflow-workspace");
      if (!sextant::model::ValidateProjectPart(sopts.mlflow_workspace, "--mlflow-workspace").ok()) {
        std::fprintf(stderr, "sextant: --mlflow-workspace must be 1-128 of [A-Za-z0-9._-]\n");
        return 2;
      }
    }
    else if (a == "--session-hours")
      aopts.session_ttl_us = number("--session-hours", 1, 24 * 365) * 3'600'000'000LL;
    else if (a == "--session-seconds")  // for tests of expiry
      aopts.session_ttl_us = number("--session-seconds", 1, 1L << 31) * 1'000'000LL;
    else if (a == "--insecure-no-auth") aopts.insecure_no_auth = true;
    else if (a == "-h" || a == "--help") { std::fputs(kServeUsage, stdout); return 0; }
    else return Fail("unknown option '" + a + "'\n" + kServeUsage);
  }

  if (sopts.web_dir.empty()) sopts.web_dir = DefaultWebDir(argv[0]);
  if (sopts.tls_cert_file.empty() != sopts.tls_key_file.empty())
    return Fail("--tls-cert and --tls-key go together");
  // Checked before anything else starts: a wrong key file is an operator's
  // mistake to fix, not to find after the data was opened.
  std::unique_ptr<sextant::auth::AccessTokens> file_key;
  if (!signing_key.empty()) {
    auto k = sextant::auth::AccessTokens::FromFile(signing_key);
    if (!k.ok()) return Fail(k.status().message());
    file_key = std::move(k).value();
  }

  // Accounts: a loopback server with none stays open for its one user; any
  // other address needs an owner (or an explicit, loud opt-out).
  aopts.require_auth = !IsLoopback(sopts.host) && !aopts.insecure_no_auth;
  auto accounts = sextant::auth::Accounts::Open(topts.data_dir, aopts, topts.store);
  if (!accounts.ok()) return Fail(accounts.status().ToString());
  if (aopts.require_auth) {
    auto has_owner = accounts.value()->HasOwner();
    if (!has_owner.ok()) return Fail(has_owner.status().ToString());
    if (!*has_owner)
      return Fail("listening on " + sopts.host +
                  " lets other machines connect, so it needs accounts. Create the owner with\n"
                  "  sextant admin init --data " + topts.data_dir +
                  "\nthen start again (or pass --insecure-no-auth to serve without accounts)");
  }
  if (aopts.insecure_no_auth)
    std::fprintf(stderr,
                 "sextant: WARNING: --insecure-no-auth: anyone who can reach %s can read and change "
                 "everything on this server\n",
                 sopts.host.c_str());

  // Signals are taken by one thread with sigwait so that shutdown runs as
  // ordinary code, not inside a signal handler.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto tracker = sextant::core::Tracker::Open(topts);
  if (!tracker.ok()) return Fail(tracker.status().ToString());
  if (demo) {
    sextant::Status st = sextant::cli::SeedDemo(tracker.value().get());
    if (!st.ok()) return Fail("demo: " + st.ToString());
  }
  // The operator's key file, else: replicas share one signing key through
  // the store; one server keeps it in its data folder.
  auto access_tokens =
      file_key ? sextant::Result<std::unique_ptr<sextant::auth::AccessTokens>>(std::move(file_key))
      : sextant::storage::IsPostgresUrl(topts.store)
          ? sextant::auth::AccessTokens::OpenShared(accounts.value()->store())
          : sextant::auth::AccessTokens::Open(topts.data_dir);
  if (!access_tokens.ok()) return Fail(access_tokens.status().ToString());
  sextant::api::Server server(tracker.value().get(), sopts, accounts.value().get(),
                              access_tokens.value().get());
  auto port = server.Bind();
  if (!port.ok()) return Fail(port.status().message());
  std::string shown = sopts.host.find(':') != std::string::npos ? "[" + sopts.host + "]" : sopts.host;
  std::printf("sextant listening on %s://%s:%d (data: %s)\n", sopts.tls_cert_file.empty() ? "http" : "https",
              shown.c_str(), port.value(), topts.data_dir.c_str());
  std::fflush(stdout);

  // Serve on a second thread; this one waits for SIGINT/SIGTERM (or for the
  // server to end by itself, which raises SIGTERM to wake it).
  std::mutex mu;
  std::condition_variable cv;
  bool served_done = false;
  sextant::Status served;
  std::thread serving([&] {
    sextant::Status st = server.Serve();
    {
      std::lock_guard<std::mutex> l(mu);
      served = st;
      served_done = true;
    }
    cv.notify_all();
    kill(getpid(), SIGTERM);
  });
  int sig = 0;
  sigwait(&sigs, &sig);
  std::fprintf(stderr, "sextant: %s received, finishing in-flight requests\n",
               sig == SIGINT ? "SIGINT" : "SIGTERM");
  server.Stop();
  tracker.value()->events().Close();  // ends live-update streams
  // Idle connections close at once; wait a bounded time for in-flight
  // requests, then close the store (which finishes every queued write) and
  // exit without waiting for a client that is slow to read its answer.
  bool drained;
  {
    std::unique_lock<std::mutex> l(mu);
    drained = cv.wait_for(l, std::chrono::seconds(2), [&] { return served_done; });
  }
  sextant::Status closed = tracker.value()->Close();
  if (!closed.ok()) return Fail("closing: " + closed.ToString());
  if (!drained) {
    std::fprintf(stderr, "sextant: stopped cleanly (idle connections dropped)\n");
    std::fflush(stderr);
    std::_Exit(0);
  }
  serving.join();
  if (!served.ok()) return Fail(served.ToString());
  std::fprintf(stderr, "sextant: stopped cleanly\n");
  return 0;
}

}  // namespace sextant::cli
