// server_bench: end-to-end benchmark of the real `sextant serve` binary.
//
// Starts the server as a child process on a free 127.0.0.1 port with a fresh
// data folder, drives it over HTTP/1.1 (keep-alive) and prints a Markdown
// table plus one JSON line. The workloads, their flags and what the numbers
// mean are described in bench/README.md; results are kept in
// docs/benchmarks.md. These are targets, not tests: only HTTP errors and wrong
// readbacks make the program exit non-zero (that is what `--smoke` checks).
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cinttypes>
#include <cstdarg>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr char kHost[] = "127.0.0.1";
// 2026-11-22T00:00:00Z: the logged timestamps start here.
constexpr int64_t kEpochUs = 1'795'305'600'000'000LL;

// ---------------------------------------------------------------------------
// Options

// --auth: set before any server starts, read by every client.
bool g_auth = false;
// --store: a PostgreSQL database for every server's runs, each server in a
// schema of its own (empty: SQLite in the server's data folder).
std::string g_store;
// The server's --timestamp-resolution, in µs (1000: ms, its default; 1: µs).
int64_t g_ts_resolution_us = 1000;
std::string g_token;

struct Options {
  std::string server = "build/src/sextant";
  std::string tmp;  // parent of the data folders; default $TMPDIR or /tmp
  bool smoke = false;
  bool keep_data = false;
  bool auth = false;  // create an owner first; every request sends its token
  // 1. ingest
  int ingest_threads = 4;
  int ingest_series = 100;
  int ingest_steps = 1000;
  int ingest_requests = 25;  // timed requests per thread (after one warm-up)
  bool ingest_binary = false;  // --body binary: docs/format/log-batch.md
  // 2./3. long series
  int64_t long_points = 10'000'000;
  int64_t long_batch = 100'000;
  int64_t raw_points = 100'000;
  int64_t jitter_us = 7000;
  // 4. runs table
  int64_t runs = 100'000;
  int run_threads = 8;
  int configs = 80;
  int metrics = 20;
  // reads
  int reps = 20;
  std::vector<std::string> workloads = {"ingest", "long", "runs"};
};

[[noreturn]] void Usage(int code) {
  std::fputs(
      "usage: server_bench [options]\n"
      "  --server PATH        sextant binary (default build/src/sextant)\n"
      "  --smoke              tiny sizes, finishes in seconds (the test suite runs this)\n"
      "  --workloads LIST     comma-separated subset of ingest,long,runs (default all)\n"
      "  --tmp DIR            where to create the data folders (default $TMPDIR or /tmp)\n"
      "  --keep-data          leave the data folders behind\n"
      "  --store URL          keep runs in PostgreSQL (postgresql://…), a schema per server\n"
      "  --auth               accounts on: create an owner (sextant admin init) and send\n"
      "                       its API token with every request\n"
      " ingest (workload 1):\n"
      "  --ingest-threads N   client threads, one run each (default 4)\n"
      "  --series N           series per request (default 100)\n"
      "  --steps N            steps per series per request (default 1000)\n"
      "  --requests N         timed requests per thread (default 25)\n"
      "  --body json|binary   log batch form: JSON numbers (default) or the binary\n"
      "                       columns of docs/format/log-batch.md (steps as a range)\n"
      " long series (workloads 2, 3):\n"
      "  --long-points N      points in the long series (default 10000000)\n"
      "  --long-batch N       points per request (default 100000)\n"
      "  --raw-points N       raw read size (default 100000)\n"
      "  --jitter-us N        timestamp jitter, 0 to 99999 µs (default 7000)\n"
      "  --timestamp-resolution ms|us  what the server keeps (default ms, its default)\n"
      " runs table (workload 4):\n"
      "  --runs N             runs (default 100000)\n"
      "  --run-threads N      client threads creating runs (default 8)\n"
      "  --configs N          config attributes per run (default 80, at least 2)\n"
      "  --metrics N          one-point float series per run (default 20, at least 1)\n"
      " reads:\n"
      "  --reps N             timed repetitions of each read (default 20)\n",
      code == 0 ? stdout : stderr);
  std::exit(code);
}

Options ParseArgs(int argc, char** argv) {
  Options o;
  bool smoke = false;
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]) == "--smoke") smoke = true;
  if (smoke) {
    o.smoke = true;
    o.ingest_threads = 2;
    o.ingest_series = 10;
    o.ingest_steps = 200;
    o.ingest_requests = 3;
    o.long_points = 300'000;
    o.long_batch = 50'000;
    o.raw_points = 20'000;
    o.runs = 300;
    o.run_threads = 4;
    o.reps = 3;
  }
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "server_bench: %s needs a value\n", a.c_str());
        Usage(2);
      }
      return argv[++i];
    };
    auto number = [&](int64_t lo, int64_t hi) -> int64_t {
      std::string v = value();
      int64_t n = 0;
      auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
      if (ec != std::errc() || p != v.data() + v.size() || n < lo || n > hi) {
        std::fprintf(stderr, "server_bench: %s must be an integer from %" PRId64 " to %" PRId64 "\n",
                     a.c_str(), lo, hi);
        Usage(2);
      }
      return n;
    };
    if (a == "--smoke") continue;
    else if (a == "--server") o.server = value();
    else if (a == "--tmp") o.tmp = value();
    else if (a == "--keep-data") o.keep_data = true;
    else if (a == "--auth") o.auth = true;
    else if (a == "--store") g_store = value();
    else if (a == "--workloads") {
      o.workloads.clear();
      std::string v = value();
      std::stringstream ss(v);
      std::string w;
      while (std::getline(ss, w, ',')) {
        if (w != "ingest" && w != "long" && w != "runs") {
          std::fprintf(stderr, "server_bench: unknown workload '%s'\n", w.c_str());
          Usage(2);
        }
        o.workloads.push_back(w);
      }
    }
    else if (a == "--ingest-threads") o.ingest_threads = int(number(1, 256));
    else if (a == "--series") o.ingest_series = int(number(1, 10'000));
    else if (a == "--steps") o.ingest_steps = int(number(1, 1'000'000));
    else if (a == "--requests") o.ingest_requests = int(number(1, 100'000));
    else if (a == "--body") {
      std::string v = i + 1 < argc ? argv[++i] : "";
      if (v != "json" && v != "binary") Usage(2);
      o.ingest_binary = v == "binary";
    }
    else if (a == "--long-points") o.long_points = number(1, 1'000'000'000);
    else if (a == "--long-batch") o.long_batch = number(1, 1'000'000);
    else if (a == "--raw-points") o.raw_points = number(1, 1'000'000);
    else if (a == "--jitter-us") o.jitter_us = number(0, 99'999);
    else if (a == "--timestamp-resolution") {
      std::string v = i + 1 < argc ? argv[++i] : "";
      if (v != "ms" && v != "us") Usage(2);
      g_ts_resolution_us = v == "ms" ? 1000 : 1;
    }
    else if (a == "--runs") o.runs = number(1, 10'000'000);
    else if (a == "--run-threads") o.run_threads = int(number(1, 256));
    else if (a == "--configs") o.configs = int(number(2, 10'000));
    else if (a == "--metrics") o.metrics = int(number(1, 10'000));
    else if (a == "--reps") o.reps = int(number(1, 10'000));
    else if (a == "-h" || a == "--help") Usage(0);
    else {
      std::fprintf(stderr, "server_bench: unknown option '%s'\n", a.c_str());
      Usage(2);
    }
  }
  if (int64_t(o.ingest_series) * o.ingest_steps > 1'000'000) {
    std::fprintf(stderr, "server_bench: --series x --steps must be at most 1,000,000 (the server's per-request limit)\n");
    std::exit(2);
  }
  if (o.tmp.empty()) {
    const char* t = std::getenv("TMPDIR");
    o.tmp = t && *t ? t : "/tmp";
  }
  return o;
}

bool Has(const Options& o, const std::string& w) {
  return std::find(o.workloads.begin(), o.workloads.end(), w) != o.workloads.end();
}

// ---------------------------------------------------------------------------
// Failures: every HTTP error or wrong readback is recorded; a phase that
// cannot go on throws BenchError and the next phase starts.

struct BenchError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::mutex g_fail_mu;
std::vector<std::string> g_failures;

void RecordFailure(const std::string& msg) {
  std::lock_guard<std::mutex> l(g_fail_mu);
  if (g_failures.size() < 1000) g_failures.push_back(msg);
  std::fprintf(stderr, "FAIL: %s\n", msg.c_str());
}

[[noreturn]] void Fatal(const std::string& msg) { throw BenchError(msg); }

void Check(bool ok, const std::string& what) {
  if (!ok) RecordFailure("wrong readback: " + what);
}

// ---------------------------------------------------------------------------
// Small helpers

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }
double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// Nearest-rank percentile (q in (0, 1]) of an unsorted sample.
double Percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(std::ceil(q * double(v.size())));
  if (rank < 1) rank = 1;
  return v[std::min(rank, v.size()) - 1];
}

uint64_t SplitMix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}
// Uniform in [0, 1), a pure function of (seed, i).
double Unit(uint64_t seed, uint64_t i) {
  return double(SplitMix(SplitMix(seed) ^ i) >> 11) * 0x1.0p-53;
}

void AppendInt(std::string& s, int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  s.append(buf, r.ptr);
}
// Shortest text that reads back as exactly `v` (what Python's json.dumps
// writes for a float).
void AppendDouble(std::string& s, double v) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  s.append(buf, r.ptr);
}
// A float config value: must not look like an integer to the server.
void AppendFloatConfig(std::string& s, double v) {
  size_t at = s.size();
  AppendDouble(s, v);
  if (s.find_first_of(".eE", at) == std::string::npos) s += ".0";
}
// Unix seconds with microseconds.
void AppendTs(std::string& s, int64_t us) {
  char buf[40];
  int n = std::snprintf(buf, sizeof buf, "%" PRId64 ".%06" PRId64, us / 1'000'000, us % 1'000'000);
  s.append(buf, size_t(n));
}

std::string Fmt(const char* f, ...) __attribute__((format(printf, 1, 2)));
std::string Fmt(const char* f, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, f);
  std::vsnprintf(buf, sizeof buf, f, ap);
  va_end(ap);
  return buf;
}

std::string Human(double n) {  // 12.3 M, 45.6 k
  if (n >= 1e9) return Fmt("%.2f G", n / 1e9);
  if (n >= 1e6) return Fmt("%.2f M", n / 1e6);
  if (n >= 1e3) return Fmt("%.1f k", n / 1e3);
  return Fmt("%.0f", n);
}

int64_t FileSize(const fs::path& p) {
  std::error_code ec;
  auto n = fs::file_size(p, ec);
  return ec ? 0 : int64_t(n);
}

int64_t TreeSize(const fs::path& p) {
  int64_t total = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(p, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->is_regular_file(ec)) total += FileSize(it->path());
  }
  return total;
}

double CpuSecondsSelf() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// ---------------------------------------------------------------------------
// The server as a child process

int FreeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) Fatal("socket(): " + std::string(std::strerror(errno)));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = 0;
  inet_pton(AF_INET, kHost, &a.sin_addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    Fatal("bind(127.0.0.1:0): " + std::string(std::strerror(errno)));
  }
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

class ServerProc {
 public:
  ServerProc(std::string binary, fs::path dir, bool fsync)
      : binary_(std::move(binary)), dir_(std::move(dir)), fsync_(fsync) {}
  ~ServerProc() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int st;
      ::waitpid(pid_, &st, 0);
    }
  }

  fs::path data() const { return dir_ / "data"; }

  // `sextant admin init`: the owner's token becomes every request's bearer token.
  void AdminInit() {
    std::string cmd = binary_ + " admin init --data '" + data().string() + "' 2>&1";
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) Fatal("popen: " + std::string(std::strerror(errno)));
    std::string out, line;
    char buf[512];
    while (std::fgets(buf, sizeof buf, p)) {
      line = buf;
      out += line;
    }
    if (::pclose(p) != 0) Fatal("sextant admin init failed:\n" + out);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    g_token = line;
  }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }

  // Starts the server and waits for GET /api/v1/health; returns seconds taken.
  double Start() {
    fs::create_directories(dir_);
    if (g_auth && !fs::exists(data() / "access.db")) AdminInit();
    std::string log = (dir_ / "server.log").string();
    for (int attempt = 0; attempt < 3; ++attempt) {
      port_ = FreeLoopbackPort();
      std::vector<std::string> args = {binary_, "serve", "--data", data().string(), "--host", kHost,
                                       "--port", std::to_string(port_)};
      if (!fsync_) args.push_back("--no-fsync");
      args.push_back("--timestamp-resolution");
      args.push_back(g_ts_resolution_us == 1 ? "us" : "ms");
      if (!g_store.empty()) {
        // The data folder's name is unique per server and stable across restarts.
        std::string schema = "bench_" + std::to_string(::getpid()) + "_" + dir_.filename().string();
        for (char& c : schema)
          if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
        args.push_back("--store");
        args.push_back(g_store + (g_store.find('?') == std::string::npos ? "?" : "&") +
                       "options=-csearch_path%3D" + schema);
      }
      auto t0 = Clock::now();
      pid_t pid = ::fork();
      if (pid < 0) Fatal("fork(): " + std::string(std::strerror(errno)));
      if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the benchmark
        int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
          ::dup2(fd, 1);
          ::dup2(fd, 2);
          ::close(fd);
        }
        std::vector<char*> argv;
        for (auto& s : args) argv.push_back(s.data());
        argv.push_back(nullptr);
        ::execv(argv[0], argv.data());
        std::fprintf(stderr, "exec %s: %s\n", argv[0], std::strerror(errno));
        ::_exit(127);
      }
      pid_ = pid;
      httplib::Client cli(kHost, port_);
      cli.set_connection_timeout(0, 200'000);
      cli.set_read_timeout(2, 0);
      while (Seconds(Clock::now() - t0) < 60) {
        int st = 0;
        if (::waitpid(pid_, &st, WNOHANG) == pid_) {
          pid_ = -1;
          if (WIFEXITED(st) && WEXITSTATUS(st) == 127) Fatal("cannot execute " + binary_ + "\n" + LogTail());
          break;  // probably lost the port race; try another port
        }
        auto r = cli.Get("/api/v1/health");
        if (r && r->status == 200) {
          json j = json::parse(r->body, nullptr, false);
          if (j.is_discarded() || j.value("status", "") != "ok")
            RecordFailure("health: unexpected body " + r->body.substr(0, 200));
          return Seconds(Clock::now() - t0);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      if (pid_ > 0) Fatal("server did not answer /api/v1/health within 60 s\n" + LogTail());
    }
    Fatal("server exited during start-up (3 attempts)\n" + LogTail());
  }

  // SIGTERM, then waits (up to 120 s) for a clean exit; returns seconds.
  double Stop() {
    if (pid_ <= 0) return 0;
    auto t0 = Clock::now();
    ::kill(pid_, SIGTERM);
    int st = 0;
    while (true) {
      pid_t r = ::waitpid(pid_, &st, WNOHANG);
      if (r == pid_) break;
      if (Seconds(Clock::now() - t0) > 120) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &st, 0);
        pid_ = -1;
        RecordFailure("server did not stop within 120 s of SIGTERM (killed)\n" + LogTail());
        return Seconds(Clock::now() - t0);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    pid_ = -1;
    double took = Seconds(Clock::now() - t0);
    if (took > 5) std::printf("  note: the server took %.1f s to stop after SIGTERM\n", took);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
      RecordFailure(Fmt("server exited uncleanly after SIGTERM (%s %d)\n",
                        WIFSIGNALED(st) ? "signal" : "status",
                        WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st)) +
                    LogTail());
    return Seconds(Clock::now() - t0);
  }

  bool Alive() {
    if (pid_ <= 0) return false;
    int st;
    if (::waitpid(pid_, &st, WNOHANG) == pid_) {
      pid_ = -1;
      RecordFailure(Fmt("server died (%s %d)\n", WIFSIGNALED(st) ? "signal" : "status",
                        WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st)) +
                    LogTail());
      return false;
    }
    return true;
  }

  // Peak resident memory in MiB since start or the last ResetPeak().
  double PeakMiB() const { return StatusKb("VmHWM:") / 1024.0; }
  double RssMiB() const { return StatusKb("VmRSS:") / 1024.0; }
  // Resets VmHWM (Linux: "5" > /proc/PID/clear_refs); false if not allowed.
  bool ResetPeak() const {
    if (pid_ <= 0) return false;
    std::ofstream f("/proc/" + std::to_string(pid_) + "/clear_refs");
    f << "5";
    f.flush();
    return bool(f);
  }
  // User + system CPU seconds of the server so far.
  double CpuSeconds() const {
    if (pid_ <= 0) return 0;
    std::ifstream f("/proc/" + std::to_string(pid_) + "/stat");
    std::string s((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    size_t p = s.rfind(')');
    if (p == std::string::npos) return 0;
    std::istringstream in(s.substr(p + 2));
    std::string field;
    double ut = 0, st = 0;
    for (int i = 3; i <= 15 && in >> field; ++i) {
      if (i == 14) ut = std::atof(field.c_str());
      if (i == 15) st = std::atof(field.c_str());
    }
    return (ut + st) / double(sysconf(_SC_CLK_TCK));
  }

  std::string LogTail() const {
    std::ifstream f(dir_ / "server.log");
    std::string s((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    if (s.size() > 2000) s = "..." + s.substr(s.size() - 2000);
    return "---- server log (" + (dir_ / "server.log").string() + ") ----\n" + s;
  }

 private:
  double StatusKb(const char* key) const {
    if (pid_ <= 0) return 0;
    std::ifstream f("/proc/" + std::to_string(pid_) + "/status");
    std::string line;
    while (std::getline(f, line))
      if (line.rfind(key, 0) == 0) return std::atof(line.c_str() + std::strlen(key));
    return 0;
  }

  std::string binary_;
  fs::path dir_;
  bool fsync_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// One keep-alive connection; not shared between threads.
class Http {
 public:
  // keep_alive=false: a new TCP connection for every request.
  explicit Http(int port, bool keep_alive = true) : cli_(kHost, port) {
    cli_.set_keep_alive(keep_alive);
    // Send headers and body without waiting for delayed ACKs (as curl and
    // Python's http.client do); without it every request waits ~40 ms.
    cli_.set_tcp_nodelay(true);
    cli_.set_connection_timeout(5, 0);
    cli_.set_read_timeout(600, 0);
    cli_.set_write_timeout(600, 0);
    // Measure the server's work, not gzip: ask for uncompressed responses.
    headers_ = {{"Accept-Encoding", "identity"}};
    if (!g_token.empty()) headers_.emplace("Authorization", "Bearer " + g_token);
  }

  // POSTs JSON; returns the response body. Any status other than `expect`
  // (or a transport error) is recorded and thrown.
  std::string Post(const std::string& path, const std::string& body, int expect = 200,
                   int expect2 = -1, const char* type = "application/json") {
    auto r = cli_.Post(path, headers_, body.data(), body.size(), type);
    return Take(r, "POST " + path, expect, expect2);
  }
  // Closes the keep-alive connection (before stopping the server: an idle
  // keep-alive connection would hold up its shutdown).
  void Close() { cli_.stop(); }

  std::string Get(const std::string& path, int expect = 200) {
    auto r = cli_.Get(path, headers_);
    return Take(r, "GET " + path, expect, -1);
  }

 private:
  std::string Take(httplib::Result& r, const std::string& what, int expect, int expect2) {
    if (!r) {
      std::string msg = what + ": transport error: " + httplib::to_string(r.error());
      RecordFailure(msg);
      Fatal(msg);
    }
    if (r->status != expect && r->status != expect2) {
      std::string msg = what + Fmt(": HTTP %d: ", r->status) + r->body.substr(0, 500);
      RecordFailure(msg);
      Fatal(msg);
    }
    return std::move(r->body);
  }

  httplib::Client cli_;
  httplib::Headers headers_;
};

json ParseJson(const std::string& body, const std::string& what) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded()) {
    RecordFailure(what + ": response is not valid JSON: " + body.substr(0, 200));
    Fatal(what + ": invalid JSON");
  }
  return j;
}

// Fixed per-request cost: GET /api/v1/health over one keep-alive connection
// and over a new connection per request. A server that leaves Nagle's
// algorithm on shows ~40 ms (the client's delayed ACK) on the first.
void HealthProbe(int port, int reps, double* keep_alive_p50, double* fresh_p50) {
  for (int mode = 0; mode < 2; ++mode) {
    Http h(port, mode == 0);
    std::vector<double> v;
    for (int i = 0; i < reps; ++i) {
      auto a = Clock::now();
      h.Get("/api/v1/health");
      v.push_back(Ms(Clock::now() - a));
    }
    h.Close();
    *(mode == 0 ? keep_alive_p50 : fresh_p50) = Percentile(v, 0.5);
  }
}

// A float as the API returns it: a number, or "NaN"/"Infinity"/"-Infinity".
double JsonFloat(const json& v) {
  if (v.is_number()) return v.get<double>();
  if (v.is_string()) {
    std::string s = v.get<std::string>();
    if (s == "NaN") return std::nan("");
    if (s == "Infinity") return INFINITY;
    if (s == "-Infinity") return -INFINITY;
  }
  return std::nan("");
}

// ---------------------------------------------------------------------------
// Results

struct Row {
  std::string workload, metric, value, target, verdict;
};

struct Report {
  std::vector<Row> rows;
  json j = json::object();

  void Add(std::string workload, std::string metric, std::string value, std::string target = "",
           std::string verdict = "") {
    std::printf("  %-28s %s%s%s\n", metric.c_str(), value.c_str(),
                target.empty() ? "" : ("   (target " + target + ")").c_str(),
                verdict.empty() ? "" : ("  " + verdict).c_str());
    std::fflush(stdout);
    rows.push_back({std::move(workload), std::move(metric), std::move(value), std::move(target),
                    std::move(verdict)});
  }
};

std::string Verdict(bool met) { return met ? "met" : "missed"; }

void Phase(const char* title) {
  std::printf("\n== %s\n", title);
  std::fflush(stdout);
}

// ---------------------------------------------------------------------------
// Workload 1: ingest throughput, durable on ack

// A gradient-norm-like value: computed in float32, sent as the double it
// widens to (what `float(tensor.item())` gives a Python client).
double GradNorm(int series, int64_t step) {
  float decay = std::exp(-float(step) / 20000.0f);
  float base = 0.2f + 0.05f * float(series % 13);
  float noise = float(Unit(uint64_t(series) * 7919u + 17u, uint64_t(step))) - 0.5f;
  float v = base * (1.0f + 2.0f * decay) + 0.02f * noise;
  return double(v);
}

std::string IngestBody(const Options& o, int request) {
  std::string s;
  s.reserve(size_t(o.ingest_series) * size_t(o.ingest_steps) * 28 + 64);
  s += "{\"series\":[";
  int64_t first = int64_t(request) * o.ingest_steps;
  for (int j = 0; j < o.ingest_series; ++j) {
    if (j) s += ',';
    s += "{\"path\":\"layer_";
    AppendInt(s, j);
    s += "/grad_norm\",\"steps\":[";
    for (int k = 0; k < o.ingest_steps; ++k) {
      if (k) s += ',';
      AppendInt(s, first + k);
    }
    s += "],\"values\":[";
    for (int k = 0; k < o.ingest_steps; ++k) {
      if (k) s += ',';
      AppendDouble(s, GradNorm(j, first + k));
    }
    s += "]}";
  }
  s += "]}";
  return s;
}

// The same batch in the binary form (docs/format/log-batch.md): each series
// a step range, no timestamps (the server's clock, as in the JSON body) and
// float64 values.
std::string BinaryIngestBody(const Options& o, int request) {
  auto put = [](std::string& s, auto v) { s.append(reinterpret_cast<const char*>(&v), sizeof(v)); };
  std::string s = "SXLB";
  put(s, uint8_t{1});
  s.append(3, '\0');
  put(s, uint32_t{0});  // no JSON part
  put(s, uint32_t(o.ingest_series));
  int64_t first = int64_t(request) * o.ingest_steps;
  for (int j = 0; j < o.ingest_series; ++j) {
    std::string path = "layer_" + std::to_string(j) + "/grad_norm";
    put(s, uint16_t(path.size()));
    s += path;
    for (uint8_t kind : {uint8_t{3}, uint8_t{0}, uint8_t{1}, uint8_t{0}}) put(s, kind);
    put(s, uint32_t(o.ingest_steps));
    put(s, first);
    put(s, int64_t{1});
    for (int k = 0; k < o.ingest_steps; ++k) put(s, GradNorm(j, first + k));
  }
  return s;
}

void Ingest(const Options& o, const fs::path& root, bool fsync, Report& rep) {
  std::string label = fsync ? "ingest (fsync)" : "ingest (--no-fsync)";
  Phase(fsync ? "1a. ingest throughput, durable on ack (fsync on every group commit)"
              : "1b. ingest throughput, --no-fsync");
  ServerProc srv(o.server, root / (fsync ? "ingest-fsync" : "ingest-nofsync"), fsync);
  srv.Start();
  const std::string project = "/api/v1/projects/bench/ingest";
  const int T = o.ingest_threads;

  // Pre-build every body so the timed loop only sends. Request 0 is a warm-up
  // (it creates the series); requests 1..R are timed. Every thread logs to its
  // own run, so each thread can share the same bodies.
  std::printf("  building %d request bodies...\n", o.ingest_requests + 1);
  std::fflush(stdout);
  std::vector<std::string> bodies(size_t(o.ingest_requests) + 1);
  {
    std::vector<std::thread> th;
    std::atomic<int> next{0};
    for (int t = 0; t < 2; ++t)
      th.emplace_back([&] {
        for (int i; (i = next++) < int(bodies.size());)
          bodies[size_t(i)] = o.ingest_binary ? BinaryIngestBody(o, i) : IngestBody(o, i);
      });
    for (auto& t : th) t.join();
  }
  size_t timed_bytes = 0;
  for (size_t i = 1; i < bodies.size(); ++i) timed_bytes += bodies[i].size();
  const int64_t points_per_req = int64_t(o.ingest_series) * o.ingest_steps;

  std::vector<std::vector<double>> lat(static_cast<size_t>(T));
  std::vector<std::vector<Clock::time_point>> finished(static_cast<size_t>(T));
  std::vector<std::string> errors(static_cast<size_t>(T));
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  Clock::time_point t_start, t_end;
  std::vector<Clock::time_point> done(static_cast<size_t>(T));
  std::vector<std::thread> th;
  for (int t = 0; t < T; ++t) {
    th.emplace_back([&, t] {
      try {
        Http h(srv.port());
        std::string run = "ingest-" + std::to_string(t);
        h.Post(project + "/runs", "{\"run_id\":\"" + run + "\"}", 201, 200);
        std::string log_path = project + "/runs/" + run + "/log";
        const char* type = o.ingest_binary ? "application/vnd.sextant.log-batch" : "application/json";
        std::string r0 = h.Post(log_path, bodies[0], 200, -1, type);  // warm-up, untimed
        ready++;
        while (!go.load()) std::this_thread::yield();
        for (size_t i = 1; i < bodies.size(); ++i) {
          auto a = Clock::now();
          std::string r = h.Post(log_path, bodies[i], 200, -1, type);
          auto b = Clock::now();
          lat[size_t(t)].push_back(Ms(b - a));
          finished[size_t(t)].push_back(b);
          if (r.find("\"points\":" + std::to_string(points_per_req)) == std::string::npos &&
              ParseJson(r, "log").value("points", int64_t(-1)) != points_per_req)
            RecordFailure("log: expected " + std::to_string(points_per_req) + " points acknowledged, got " + r);
        }
        done[size_t(t)] = Clock::now();
      } catch (const std::exception& e) {
        errors[size_t(t)] = e.what();
        ready++;
      }
    });
  }
  while (ready.load() < T) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  srv.ResetPeak();
  double cpu0 = srv.CpuSeconds(), ccpu0 = CpuSecondsSelf();
  t_start = Clock::now();
  go = true;
  for (auto& t : th) t.join();
  for (auto& e : errors)
    if (!e.empty()) Fatal(label + ": " + e);
  t_end = *std::max_element(done.begin(), done.end());
  double wall = Seconds(t_end - t_start);
  double srv_cpu = srv.CpuSeconds() - cpu0, cli_cpu = CpuSecondsSelf() - ccpu0;
  double peak = srv.PeakMiB();

  // Readback: each run's first series holds every step, with the last value.
  {
    Http h(srv.port());
    int64_t expect_count = int64_t(bodies.size()) * o.ingest_steps;
    int64_t last_step = expect_count - 1;
    for (int t = 0; t < T; ++t) {
      std::string run = "ingest-" + std::to_string(t);
      json j = ParseJson(h.Get(project + "/runs/" + run + "/attributes?pattern=%5Elayer_0/grad_norm%24"),
                         "attributes");
      auto& a = j["attributes"];
      if (a.size() != 1) {
        RecordFailure("wrong readback: attributes of " + run + ": " + j.dump().substr(0, 300));
        continue;
      }
      Check(a[0].value("count", int64_t(-1)) == expect_count,
            run + " layer_0/grad_norm count " + a[0]["count"].dump() + " != " + std::to_string(expect_count));
      Check(a[0]["last_step"] == last_step, run + " last_step " + a[0]["last_step"].dump());
      Check(JsonFloat(a[0]["last_value"]) == GradNorm(0, last_step),
            run + " last_value " + a[0]["last_value"].dump());
    }
  }
  double health_ka = 0, health_fresh = 0;
  if (fsync) HealthProbe(srv.port(), o.reps, &health_ka, &health_fresh);
  srv.Alive();
  srv.Stop();

  std::vector<double> all;
  for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
  double points = double(points_per_req) * double(all.size());
  double pps = points / wall;
  // Throughput in the first and the second half of the window, to show a
  // server that slows down as data accumulates.
  auto mid = t_start + (t_end - t_start) / 2;
  double first_half = 0;
  for (auto& v : finished)
    for (auto& x : v) first_half += x <= mid ? 1 : 0;
  double pps_first = first_half * double(points_per_req) / (wall / 2);
  double pps_second = (double(all.size()) - first_half) * double(points_per_req) / (wall / 2);
  double mbs = double(timed_bytes) * T / wall / 1e6;
  std::string w = fsync ? "1 ingest, fsync" : "1 ingest, --no-fsync";
  rep.Add(w, "points/s", Human(pps), fsync ? "≥ 5 M" : "", fsync ? Verdict(pps >= 5e6) : "");
  rep.Add(w, "points/s 1st / 2nd half", Fmt("%s / %s", Human(pps_first).c_str(), Human(pps_second).c_str()));
  rep.Add(w, o.ingest_binary ? "body MB/s (binary)" : "body MB/s (JSON)", Fmt("%.1f", mbs));
  rep.Add(w, "request latency p50 / p99", Fmt("%.1f / %.1f ms", Percentile(all, 0.5), Percentile(all, 0.99)));
  rep.Add(w, "server CPU / wall", Fmt("%.2f cores", srv_cpu / wall));
  rep.Add(w, "client CPU / wall", Fmt("%.2f cores", cli_cpu / wall));
  rep.Add(w, "server peak RSS (VmHWM)", Fmt("%.0f MiB", peak), "≤ 300 MB", Verdict(peak <= 300 * 1e6 / 1048576));
  if (fsync) {
    rep.Add("0 per-request floor", "GET /health p50 keep-alive / new conn",
            Fmt("%.2f / %.2f ms", health_ka, health_fresh));
    rep.j["health_p50_ms"] = {{"keep_alive", health_ka}, {"new_connection", health_fresh}};
  }
  std::string key = fsync ? "ingest_fsync" : "ingest_nofsync";
  rep.j[key] = {{"points", points},
                {"seconds", wall},
                {"points_per_s", pps},
                {"points_per_s_first_half", pps_first},
                {"points_per_s_second_half", pps_second},
                {"body", o.ingest_binary ? "binary" : "json"},
                {"body_mb_per_s", mbs},
                {"bytes_per_request", bodies.size() > 1 ? bodies[1].size() : 0},
                {"p50_ms", Percentile(all, 0.5)},
                {"p99_ms", Percentile(all, 0.99)},
                {"server_cpu_cores", srv_cpu / wall},
                {"client_cpu_cores", cli_cpu / wall},
                {"peak_rss_mib", peak}};
}

// ---------------------------------------------------------------------------
// Workloads 2 and 3: one long series, compaction, downsampled and raw reads,
// disk bytes per point.

// A training loss: decaying curve computed in float32 (plus float32 noise),
// widened to double.
double Loss(int64_t step, int64_t n) {
  float x = float(step) / float(std::max<int64_t>(n, 1));
  float noise = float(Unit(42, uint64_t(step))) - 0.5f;
  float v = 0.35f + 2.0f * std::exp(-6.0f * x) + 0.4f / (1.0f + 50.0f * x) + 0.05f * noise;
  return double(v);
}
// 100 ms apart plus up to --jitter-us of jitter (µs).
int64_t g_jitter_us = 7000;
int64_t LossTs(int64_t step) {
  return kEpochUs + step * 100'000 + int64_t(Unit(43, uint64_t(step)) * double(g_jitter_us));
}
// The same as the server keeps it (floored to --timestamp-resolution).
int64_t KeptLossTs(int64_t step) {
  int64_t t = LossTs(step);
  return t - t % g_ts_resolution_us;
}

std::string LongBody(int64_t first, int64_t count, int64_t n) {
  std::string s;
  s.reserve(size_t(count) * 48 + 64);
  s += "{\"series\":[{\"path\":\"train/loss\",\"steps\":[";
  for (int64_t i = 0; i < count; ++i) {
    if (i) s += ',';
    AppendInt(s, first + i);
  }
  s += "],\"values\":[";
  for (int64_t i = 0; i < count; ++i) {
    if (i) s += ',';
    AppendDouble(s, Loss(first + i, n));
  }
  s += "],\"timestamps\":[";
  for (int64_t i = 0; i < count; ++i) {
    if (i) s += ',';
    AppendTs(s, LossTs(first + i));
  }
  s += "]}]}";
  return s;
}

struct Timing {
  double first = 0, p50 = 0, p90 = 0, min = 0;
  size_t bytes = 0;
};

Timing TimeRepeated(int reps, const std::function<size_t()>& fn) {
  Timing t;
  std::vector<double> v;
  for (int i = 0; i < reps; ++i) {
    auto a = Clock::now();
    t.bytes = fn();
    v.push_back(Ms(Clock::now() - a));
  }
  t.first = v.front();
  t.p50 = Percentile(v, 0.5);
  t.p90 = Percentile(v, 0.9);
  t.min = *std::min_element(v.begin(), v.end());
  return t;
}

void LongSeries(const Options& o, const fs::path& root, Report& rep) {
  Phase("2. one long series: ingest, compact, downsampled and raw reads; 3. disk bytes per point");
  ServerProc srv(o.server, root / "long", true);
  srv.Start();
  const std::string project = "/api/v1/projects/bench/long";
  const int64_t N = o.long_points;
  Http h(srv.port());
  h.Post(project + "/runs", R"({"run_id":"long","name":"one long training curve"})", 201, 200);

  // Ingest in batches, one client; the next body is built while the current
  // one is in flight.
  srv.ResetPeak();
  double ingest_bytes = 0;
  std::vector<double> lat;
  auto t0 = Clock::now();
  {
    auto build = [&](int64_t first) { return LongBody(first, std::min(o.long_batch, N - first), N); };
    std::future<std::string> next = std::async(std::launch::async, build, int64_t(0));
    int64_t last_pct = -1;
    for (int64_t first = 0; first < N; first += o.long_batch) {
      std::string body = next.get();
      if (first + o.long_batch < N) next = std::async(std::launch::async, build, first + o.long_batch);
      ingest_bytes += double(body.size());
      auto a = Clock::now();
      std::string r = h.Post(project + "/runs/long/log", body);
      lat.push_back(Ms(Clock::now() - a));
      int64_t n = std::min(o.long_batch, N - first);
      if (ParseJson(r, "log").value("points", int64_t(-1)) != n)
        RecordFailure("log: expected " + std::to_string(n) + " points acknowledged, got " + r);
      int64_t pct = (first + n) * 10 / N;
      if (pct != last_pct && !o.smoke) {
        std::printf("  ingested %s points\n", Human(double(first + n)).c_str());
        std::fflush(stdout);
        last_pct = pct;
      }
    }
  }
  double ingest_s = Seconds(Clock::now() - t0);
  double peak_ingest = srv.PeakMiB();
  int64_t db_before = FileSize(srv.data() / "sextant.db"), wal_before = FileSize(srv.data() / "sextant.db-wal");

  srv.ResetPeak();
  auto c0 = Clock::now();
  h.Post("/api/v1/admin/compact", "{}");
  double compact_s = Seconds(Clock::now() - c0);
  double peak_compact = srv.PeakMiB();
  int64_t db = FileSize(srv.data() / "sextant.db"), wal = FileSize(srv.data() / "sextant.db-wal");

  // Downsampled read: 2,000 buckets over the whole series.
  srv.ResetPeak();
  const std::string series_path = project + "/series";
  const std::string ds_req = R"({"runs":["long"],"path":"train/loss","buckets":2000})";
  std::string last_body;
  Timing ds = TimeRepeated(o.reps, [&] {
    last_body = h.Post(series_path, ds_req);
    return last_body.size();
  });
  {
    json j = ParseJson(last_body, "series (buckets)");
    const json& s = j["series"];
    if (!s.is_array() || s.size() != 1 || !s[0].contains("buckets")) {
      RecordFailure("wrong readback: downsampled response: " + last_body.substr(0, 300));
    } else {
      const json& b = s[0]["buckets"];
      int64_t sum = 0;
      for (auto& c : b["count"]) sum += c.get<int64_t>();
      Check(sum == N, Fmt("bucket counts sum to %" PRId64 ", expected %" PRId64, sum, N));
      Check(b["count"].size() <= 2000 && b["count"].size() >= std::min<size_t>(2000, size_t(N)),
            Fmt("%zu buckets returned for 2000 requested over %" PRId64 " points", b["count"].size(), N));
      double mn = INFINITY, mx = -INFINITY, emn = INFINITY, emx = -INFINITY;
      for (auto& v : b["min"]) mn = std::min(mn, JsonFloat(v));
      for (auto& v : b["max"]) mx = std::max(mx, JsonFloat(v));
      for (int64_t i = 0; i < N; ++i) {
        double v = Loss(i, N);
        emn = std::min(emn, v);
        emx = std::max(emx, v);
      }
      Check(mn == emn && mx == emx, Fmt("bucket min/max %.17g/%.17g, expected %.17g/%.17g", mn, mx, emn, emx));
      if (!b["first_step"].empty())
        Check(b["first_step"][0] == 0 && b["last_step"].back() == N - 1,
              "bucket step range " + b["first_step"][0].dump() + ".." + b["last_step"].back().dump());
    }
  }

  double peak_ds = srv.PeakMiB();

  // The same over a new connection per request (no keep-alive): the server
  // may then answer on a different worker thread each time.
  Timing ds_fresh;
  {
    Http hf(srv.port(), false);
    ds_fresh = TimeRepeated(o.reps, [&] { return hf.Post(series_path, ds_req).size(); });
  }
  double peak_ds_fresh = srv.PeakMiB();
  srv.ResetPeak();

  // Raw read of the first points.
  const int64_t R = std::min(o.raw_points, N);
  const std::string raw_req =
      R"({"runs":["long"],"path":"train/loss","limit":)" + std::to_string(R) + "}";
  Timing raw = TimeRepeated(std::max(3, o.reps / 4), [&] {
    last_body = h.Post(series_path, raw_req);
    return last_body.size();
  });
  // Raw read of R points in a time range in the middle of the series.
  const int64_t mid = (N - R) / 2;
  const std::string raw_time_req =
      R"({"runs":["long"],"path":"train/loss","limit":)" + std::to_string(R) +
      Fmt(R"(,"time_range":[%.6f,%.6f]})", double(LossTs(mid) - 40'000) / 1e6,
          double(LossTs(mid + R - 1) + 40'000) / 1e6);  // ±40 ms: points are 100 ms (± jitter) apart
  std::string time_body;
  Timing raw_time = TimeRepeated(std::max(3, o.reps / 4), [&] {
    time_body = h.Post(series_path, raw_time_req);
    return time_body.size();
  });
  {
    json j = ParseJson(time_body, "series (raw, time range)");
    const json& s = j["series"];
    const bool ok = s.is_array() && s.size() == 1 && s[0].contains("steps") && s[0]["steps"].size() == size_t(R) &&
                    s[0]["steps"][0] == mid && s[0]["steps"][R - 1] == mid + R - 1;
    Check(ok, "raw read in a time range: " + time_body.substr(0, 300));
  }
  double peak_raw = srv.PeakMiB();
  double rss_after_reads = srv.RssMiB();
  {
    json j = ParseJson(last_body, "series (raw)");
    const json& s = j["series"];
    if (!s.is_array() || s.size() != 1 || !s[0].contains("steps")) {
      RecordFailure("wrong readback: raw series response: " + last_body.substr(0, 300));
    } else {
      const json& st = s[0]["steps"];
      const json& va = s[0]["values"];
      const json& ts = s[0]["timestamps"];
      Check(st.size() == size_t(R) && va.size() == size_t(R) && ts.size() == size_t(R),
            Fmt("raw read returned %zu/%zu/%zu points, expected %" PRId64, st.size(), va.size(), ts.size(), R));
      int bad = 0;
      for (size_t i = 0; i < std::min({st.size(), va.size(), ts.size()}) && bad < 5; ++i) {
        bool ok = st[i] == int64_t(i) && JsonFloat(va[i]) == Loss(int64_t(i), N) &&
                  std::llround(ts[i].get<double>() * 1e6) == KeptLossTs(int64_t(i));
        // Timestamps come back as seconds; a double holds them to ~0.2 µs.
        if (!ok && st[i] == int64_t(i) && JsonFloat(va[i]) == Loss(int64_t(i), N) &&
            std::llabs(std::llround(ts[i].get<double>() * 1e6) - KeptLossTs(int64_t(i))) <= 1)
          ok = true;
        if (!ok) {
          ++bad;
          RecordFailure(Fmt("wrong readback: raw point %zu: step %s value %s ts %s, expected %zu %.17g %.6f",
                            i, st[i].dump().c_str(), va[i].dump().c_str(), ts[i].dump().c_str(), i,
                            Loss(int64_t(i), N), double(KeptLossTs(int64_t(i))) / 1e6));
        }
      }
      bool more = R < N;
      Check(more ? s[0]["next_after_step"] == R - 1 : s[0]["next_after_step"].is_null(),
            "next_after_step " + s[0]["next_after_step"].dump());
    }
  }
  srv.Alive();
  h.Close();
  double stop_s = srv.Stop();
  int64_t db_closed = FileSize(srv.data() / "sextant.db"),
          wal_closed = FileSize(srv.data() / "sextant.db-wal");
  int64_t folder_closed = TreeSize(srv.data());

  double bpp = double(db + wal) / double(N);
  double bpp_closed = double(db_closed + wal_closed) / double(N);
  const std::string w2 = "2 long series", w3 = "3 disk";
  rep.Add(w2, "ingest (1 client, sequential)",
          Fmt("%s points/s, %.1f MB/s JSON, p50 %.0f ms/request", Human(double(N) / ingest_s).c_str(),
              ingest_bytes / ingest_s / 1e6, Percentile(lat, 0.5)));
  rep.Add(w2, "compaction (admin/compact)", Fmt("%.2f s", compact_s));
  rep.Add(w2, Fmt("downsample %s → 2,000 p50 / p90", Human(double(N)).c_str()),
          Fmt("%.2f / %.2f ms (cold first %.2f ms, %zu B)", ds.p50, ds.p90, ds.first, ds.bytes), "≤ 10 ms",
          Verdict(ds.p50 <= 10));
  rep.Add(w2, "downsample, new connection each, p50 / p90", Fmt("%.2f / %.2f ms", ds_fresh.p50, ds_fresh.p90));
  rep.Add(w2, Fmt("raw read first %s p50 / p90", Human(double(R)).c_str()),
          Fmt("%.1f / %.1f ms (%.1f MB)", raw.p50, raw.p90, double(raw.bytes) / 1e6));
  rep.Add(w2, Fmt("raw read %s in a mid-series time range p50 / p90", Human(double(R)).c_str()),
          Fmt("%.1f / %.1f ms", raw_time.p50, raw_time.p90));
  rep.Add(w2, "server peak RSS ingest / compact",
          Fmt("%.0f / %.0f MiB", peak_ingest, peak_compact), "≤ 300 MB",
          Verdict(std::max(peak_ingest, peak_compact) <= 300 * 1e6 / 1048576));
  rep.Add(w2, "server peak RSS downsample keep-alive / new conn / raw",
          Fmt("%.0f / %.0f / %.0f MiB (RSS after %.0f)", peak_ds, peak_ds_fresh, peak_raw, rss_after_reads),
          "≤ 300 MB", Verdict(std::max({peak_ds, peak_ds_fresh, peak_raw}) <= 300 * 1e6 / 1048576));
  rep.Add(w3, "bytes/point (db+wal after compact)",
          Fmt("%.2f (db %.1f MB + wal %.1f MB)", bpp, db / 1e6, wal / 1e6), "≤ 3", Verdict(bpp <= 3));
  rep.Add(w3, "bytes/point after clean shutdown",
          Fmt("%.2f (db %.1f MB, wal %.1f MB, folder %.1f MB)", bpp_closed, db_closed / 1e6, wal_closed / 1e6,
              folder_closed / 1e6),
          "≤ 3", Verdict(bpp_closed <= 3));
  rep.Add(w3, "db+wal before compaction", Fmt("%.2f bytes/point", double(db_before + wal_before) / double(N)));
  rep.j["long_series"] = {{"points", N},
                          {"ingest_s", ingest_s},
                          {"ingest_points_per_s", double(N) / ingest_s},
                          {"compact_s", compact_s},
                          {"downsample_p50_ms", ds.p50},
                          {"downsample_p90_ms", ds.p90},
                          {"downsample_first_ms", ds.first},
                          {"downsample_response_bytes", ds.bytes},
                          {"downsample_new_conn_p50_ms", ds_fresh.p50},
                          {"downsample_new_conn_p90_ms", ds_fresh.p90},
                          {"raw_points", R},
                          {"raw_p50_ms", raw.p50},
                          {"raw_p90_ms", raw.p90},
                          {"raw_time_range_p50_ms", raw_time.p50},
                          {"raw_time_range_p90_ms", raw_time.p90},
                          {"peak_rss_mib_ingest", peak_ingest},
                          {"peak_rss_mib_compact", peak_compact},
                          {"peak_rss_mib_downsample", peak_ds},
                          {"peak_rss_mib_downsample_new_conn", peak_ds_fresh},
                          {"peak_rss_mib_raw", peak_raw},
                          {"rss_mib_after_reads", rss_after_reads},
                          {"stop_s", stop_s}};
  rep.j["disk"] = {{"db_bytes", db},
                   {"wal_bytes", wal},
                   {"bytes_per_point", bpp},
                   {"db_bytes_closed", db_closed},
                   {"wal_bytes_closed", wal_closed},
                   {"bytes_per_point_closed", bpp_closed},
                   {"folder_bytes_closed", folder_closed},
                   {"bytes_per_point_before_compact", double(db_before + wal_before) / double(N)}};
}

// ---------------------------------------------------------------------------
// Workload 4: the runs table

struct RunAttrs {
  double lr, loss;
  int64_t layers;
};

RunAttrs RunValues(int64_t i) {
  RunAttrs a;
  a.lr = std::pow(10.0, -5.0 + 3.0 * Unit(101, uint64_t(i)));            // 1e-5 .. 1e-2
  a.layers = 2 + int64_t(Unit(102, uint64_t(i)) * 47.0);                  // 2 .. 48
  a.loss = double(float(0.5 + 3.0 * Unit(103, uint64_t(i))));             // float32 widened
  return a;
}

std::string RunId(int64_t i) { return Fmt("run-%07" PRId64, i); }

// 80 configs of mixed types (by default) and 20 one-point float series.
std::string RunLogBody(const Options& o, int64_t i) {
  RunAttrs a = RunValues(i);
  std::string s;
  s.reserve(4096);
  s += "{\"configs\":{\"config/lr\":";
  AppendFloatConfig(s, a.lr);
  s += ",\"config/layers\":";
  AppendInt(s, a.layers);
  static const char* kOpt[] = {"adamw", "sgd", "lion", "adafactor"};
  for (int c = 2; c < o.configs; ++c) {
    int kind = c % 10;  // 3 float, 3 int, 1 bool, 2 string, 1 datetime / string set
    double u = Unit(200 + uint64_t(c), uint64_t(i));
    s += Fmt(",\"config/c%02d\":", c);
    switch (kind) {
      case 0: case 1: case 2: AppendFloatConfig(s, double(float(u * 10.0))); break;
      case 3: case 4: case 5: AppendInt(s, int64_t(u * 4096)); break;
      case 6: s += u < 0.5 ? "true" : "false"; break;
      case 7: case 8: s += '"'; s += kOpt[int(u * 4)]; s += Fmt("-%d\"", int(u * 100)); break;
      default:
        if (c % 20 == 9)
          s += Fmt("{\"type\":\"datetime\",\"value\":\"2026-11-%02dT%02d:%02d:00Z\"}", 1 + int(u * 21),
                   int(u * 24), int(u * 600) % 60);
        else
          s += Fmt("{\"type\":\"string_set\",\"value\":[\"ds-%d\",\"ds-%d\"]}", int(u * 5), 5 + int(u * 7));
    }
  }
  s += "},\"series\":[{\"path\":\"train/loss\",\"steps\":[0],\"values\":[";
  AppendDouble(s, a.loss);
  s += "]}";
  for (int m = 1; m < o.metrics; ++m) {
    s += Fmt(",{\"path\":\"metrics/m%02d\",\"steps\":[0],\"values\":[", m);
    AppendDouble(s, double(float(Unit(300 + uint64_t(m), uint64_t(i)))));
    s += "]}";
  }
  s += "],\"add_tags\":[\"bench\"]}";
  return s;
}

void RunsTable(const Options& o, const fs::path& root, Report& rep) {
  Phase("4. runs table: create runs, then filter + sort + first page");
  auto srv = std::make_unique<ServerProc>(o.server, root / "runs", true);
  srv->Start();
  const std::string project = "/api/v1/projects/bench/runs";
  const int64_t R = o.runs;
  const int T = o.run_threads;
  srv->ResetPeak();
  std::atomic<int64_t> next{0}, created{0};
  std::vector<std::string> errors(static_cast<size_t>(T));
  auto t0 = Clock::now();
  std::vector<std::thread> th;
  for (int t = 0; t < T; ++t)
    th.emplace_back([&, t] {
      try {
        Http h(srv->port());
        for (int64_t i; (i = next++) < R;) {
          std::string id = RunId(i);
          h.Post(project + "/runs", "{\"run_id\":\"" + id + "\",\"name\":\"sweep-" + std::to_string(i) + "\"}",
                 201);
          std::string r = h.Post(project + "/runs/" + id + "/log", RunLogBody(o, i));
          if (r.find(Fmt("\"points\":%d", o.metrics)) == std::string::npos ||
              r.find(Fmt("\"configs\":%d", o.configs)) == std::string::npos)
            RecordFailure("wrong readback: log " + id + ": " + r);
          created++;
        }
      } catch (const std::exception& e) {
        errors[size_t(t)] = e.what();
        next = R;  // stop the others
      }
    });
  std::thread progress([&] {
    int64_t last = 0;
    while (created.load() < R && next.load() <= R && !o.smoke) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      int64_t c = created.load();
      if (c * 10 / R != last * 10 / R) {
        std::printf("  created %s runs (%.0f s)\n", Human(double(c)).c_str(), Seconds(Clock::now() - t0));
        std::fflush(stdout);
      }
      last = c;
    }
  });
  for (auto& t : th) t.join();
  created = R;  // ends the progress thread
  progress.join();
  for (auto& e : errors)
    if (!e.empty()) Fatal("runs: " + e);
  double create_s = Seconds(Clock::now() - t0);
  double peak_create = srv->PeakMiB();

  // Expected answer, computed on the client.
  std::vector<std::pair<double, int64_t>> match;
  for (int64_t i = 0; i < R; ++i) {
    RunAttrs a = RunValues(i);
    if (a.lr < 0.001 && a.layers >= 12) match.push_back({a.loss, i});
  }
  std::sort(match.begin(), match.end());

  const std::string query_req =
      R"({"filter":"config/lr < 0.001 and config/layers >= 12","sort":[{"path":"train/loss","order":"asc"}],"limit":50})";
  const std::string query_cols_req =
      R"({"filter":"config/lr < 0.001 and config/layers >= 12","sort":[{"path":"train/loss","order":"asc"}],"limit":50,"columns":["config/lr","config/layers","train/loss"]})";
  auto verify = [&](const std::string& body, const char* what) {
    json j = ParseJson(body, what);
    Check(j.value("total", int64_t(-1)) == int64_t(match.size()),
          Fmt("%s: total %s, expected %zu", what, j["total"].dump().c_str(), match.size()));
    const json& runs = j["runs"];
    size_t want = std::min<size_t>(50, match.size());
    if (!runs.is_array() || runs.size() != want) {
      RecordFailure(Fmt("wrong readback: %s: %zu rows, expected %zu", what, runs.is_array() ? runs.size() : 0, want));
      return;
    }
    for (size_t k = 0; k < want; ++k) {
      const json& a = runs[k]["attributes"];
      double loss = a.contains("train/loss") ? JsonFloat(a["train/loss"]) : NAN;
      if (loss != match[k].first) {
        RecordFailure(Fmt("wrong readback: %s: row %zu train/loss %s, expected %.9g (%s)", what, k,
                          a.contains("train/loss") ? a["train/loss"].dump().c_str() : "missing",
                          match[k].first, RunId(match[k].second).c_str()));
        return;
      }
      if (k == 0 && runs[k]["run_id"] != RunId(match[0].second) &&
          (match.size() < 2 || match[1].first != match[0].first))
        RecordFailure(std::string("wrong readback: ") + what + ": first run " + runs[k]["run_id"].dump());
    }
    if (std::string(what) == "runs/query") {
      // Every config and series, plus sys/tags.
      const json& a = runs[0]["attributes"];
      Check(a.size() == size_t(o.configs + o.metrics + 1) && a.contains("config/layers") &&
                a.contains("sys/tags") && a.contains(Fmt("config/c%02d", o.configs - 1)) &&
                (o.metrics < 2 || a.contains(Fmt("metrics/m%02d", o.metrics - 1))),
            Fmt("runs/query without columns: %zu attributes on a row, expected %d", a.size(),
                o.configs + o.metrics + 1));
    } else {
      const json& a = runs[0]["attributes"];
      Check(a.size() == 3, Fmt("%s: %zu attributes on a row, expected 3", what, a.size()));
    }
  };

  // First query on the live server (catalogue was filled while writing, or
  // is loaded now, depending on the server).
  Http h0(srv->port());
  auto q0 = Clock::now();
  std::string b0 = h0.Post(project + "/runs/query", query_req);
  double live_first_ms = Ms(Clock::now() - q0);
  verify(b0, "runs/query");
  h0.Close();
  srv->Alive();
  srv->Stop();
  int64_t db = FileSize(srv->data() / "sextant.db");

  // Restart so that the first query really is cold (catalogue loaded from
  // the database).
  double restart_s = srv->Start();
  srv->ResetPeak();
  Http h(srv->port());
  auto c0 = Clock::now();
  std::string cold_body = h.Post(project + "/runs/query", query_req);
  double cold_ms = Ms(Clock::now() - c0);
  verify(cold_body, "runs/query");
  std::string body;
  Timing warm = TimeRepeated(o.reps, [&] {
    body = h.Post(project + "/runs/query", query_req);
    return body.size();
  });
  verify(body, "runs/query");
  Timing cols = TimeRepeated(o.reps, [&] {
    body = h.Post(project + "/runs/query", query_cols_req);
    return body.size();
  });
  verify(body, "runs/query with columns");
  Timing fresh;
  {
    Http hf(srv->port(), false);
    fresh = TimeRepeated(o.reps, [&] {
      body = hf.Post(project + "/runs/query", query_cols_req);
      return body.size();
    });
  }
  verify(body, "runs/query with columns");
  double peak_query = srv->PeakMiB();
  double rss_after = srv->RssMiB();
  h.Close();
  srv->Alive();
  srv->Stop();

  const std::string w = "4 runs table";
  int attrs = o.configs + o.metrics;
  rep.Add(w, Fmt("create %s runs × %d attrs", Human(double(R)).c_str(), attrs),
          Fmt("%.1f s (%.0f runs/s, %d client threads, 2 requests/run)", create_s, double(R) / create_s, T));
  rep.Add(w, "query p50 / p90 (warm)",
          Fmt("%.1f / %.1f ms (%zu matches, %zu B response)", warm.p50, warm.p90, match.size(), warm.bytes),
          "≤ 50 ms", Verdict(warm.p50 <= 50));
  rep.Add(w, "query cold (after restart)", Fmt("%.1f ms (restart to healthy %.2f s)", cold_ms, restart_s));
  rep.Add(w, "query, 3 columns p50 / p90", Fmt("%.1f / %.1f ms (%zu B)", cols.p50, cols.p90, cols.bytes));
  rep.Add(w, "query, 3 columns, new conn each", Fmt("%.1f / %.1f ms", fresh.p50, fresh.p90));
  rep.Add(w, "query right after creating", Fmt("%.1f ms", live_first_ms));
  rep.Add(w, "server peak RSS create / query", Fmt("%.0f / %.0f MiB (RSS after %.0f)", peak_create, peak_query, rss_after),
          "≤ 300 MB", Verdict(std::max(peak_create, peak_query) <= 300 * 1e6 / 1048576));
  rep.j["runs_table"] = {{"runs", R},
                         {"attributes", attrs},
                         {"create_s", create_s},
                         {"matches", match.size()},
                         {"query_p50_ms", warm.p50},
                         {"query_p90_ms", warm.p90},
                         {"query_cold_ms", cold_ms},
                         {"query_columns_p50_ms", cols.p50},
                         {"query_columns_p90_ms", cols.p90},
                         {"query_columns_new_conn_p50_ms", fresh.p50},
                         {"query_after_create_ms", live_first_ms},
                         {"response_bytes", warm.bytes},
                         {"restart_s", restart_s},
                         {"db_bytes", db},
                         {"peak_rss_mib_create", peak_create},
                         {"peak_rss_mib_query", peak_query}};
}

// ---------------------------------------------------------------------------

std::string Machine() {
  std::string model;
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("model name", 0) == 0) {
      model = line.substr(line.find(':') + 2);
      break;
    }
  double mem_gib = 0;
  std::ifstream m("/proc/meminfo");
  while (std::getline(m, line))
    if (line.rfind("MemTotal:", 0) == 0) mem_gib = std::atof(line.c_str() + 9) / 1048576.0;
  return Fmt("%u cores, %s, %.1f GiB RAM", std::thread::hardware_concurrency(), model.c_str(), mem_gib);
}

}  // namespace

int main(int argc, char** argv) {
  Options o = ParseArgs(argc, argv);
  g_auth = o.auth;
  g_jitter_us = o.jitter_us;
  signal(SIGPIPE, SIG_IGN);
  if (::access(o.server.c_str(), X_OK) != 0) {
    std::fprintf(stderr, "server_bench: cannot execute server binary '%s' (build it: ninja -C build sextant, or pass --server PATH)\n",
                 o.server.c_str());
    return 2;
  }
  o.server = fs::absolute(o.server).string();
  std::string tmpl = (fs::path(o.tmp) / "sextant-bench-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) {
    std::fprintf(stderr, "server_bench: mkdtemp %s: %s\n", tmpl.c_str(), std::strerror(errno));
    return 2;
  }
  fs::path root = tmpl;

  std::printf("# server_bench%s\n", o.smoke ? " (smoke sizes)" : "");
  std::printf("server %s\nmachine: %s\ndata under %s\n", o.server.c_str(), Machine().c_str(), root.c_str());
  std::fflush(stdout);

  Report rep;
  auto t_all = Clock::now();
  auto guarded = [&](const char* name, const std::function<void()>& fn) {
    try {
      fn();
    } catch (const std::exception& e) {
      std::lock_guard<std::mutex> l(g_fail_mu);
      std::string msg = std::string(name) + " aborted: " + e.what();
      if (std::find(g_failures.begin(), g_failures.end(), e.what()) == g_failures.end())
        g_failures.push_back(msg);
      std::fprintf(stderr, "FAIL: %s\n", msg.c_str());
    }
  };
  if (Has(o, "ingest")) {
    guarded("ingest (fsync)", [&] { Ingest(o, root, true, rep); });
    guarded("ingest (--no-fsync)", [&] { Ingest(o, root, false, rep); });
  }
  if (Has(o, "long")) guarded("long series", [&] { LongSeries(o, root, rep); });
  if (Has(o, "runs")) guarded("runs table", [&] { RunsTable(o, root, rep); });
  double total_s = Seconds(Clock::now() - t_all);

  std::printf("\n## Results\n\n");
  std::printf("| workload | metric | result | target | |\n| --- | --- | --- | --- | --- |\n");
  for (const auto& r : rep.rows)
    std::printf("| %s | %s | %s | %s | %s |\n", r.workload.c_str(), r.metric.c_str(), r.value.c_str(),
                r.target.c_str(), r.verdict.c_str());
  std::printf("\nReads are client-observed over loopback (request sent to response fully received), "
              "not server-internal time. Memory is the server's VmHWM per phase (MiB).\n");
  std::printf("total %.1f s\n", total_s);

  rep.j["bench"] = "server_bench";
  rep.j["smoke"] = o.smoke;
  rep.j["machine"] = Machine();
  rep.j["total_s"] = total_s;
  rep.j["config"] = {{"ingest_threads", o.ingest_threads}, {"series", o.ingest_series},
                     {"steps", o.ingest_steps},             {"requests", o.ingest_requests},
                     {"long_points", o.long_points},       {"long_batch", o.long_batch},
                     {"jitter_us", o.jitter_us},
                     {"timestamp_resolution_us", g_ts_resolution_us},
                     {"runs", o.runs},                     {"run_threads", o.run_threads},
                     {"configs", o.configs},               {"metrics", o.metrics},
                     {"reps", o.reps}};
  rep.j["failures"] = g_failures;
  std::printf("\n%s\n", rep.j.dump().c_str());

  if (!o.keep_data) {
    std::error_code ec;
    fs::remove_all(root, ec);
  } else {
    std::printf("data kept in %s\n", root.c_str());
  }
  if (!g_failures.empty()) {
    std::fprintf(stderr, "\nserver_bench: %zu failure(s):\n", g_failures.size());
    for (const auto& f : g_failures) std::fprintf(stderr, "  - %s\n", f.c_str());
    return 1;
  }
  return 0;
}
