// sextant migrate --from URL --to URL: copies every project, run, attribute,
// point and file reference from one store to another (storage/copy_store.h)
// and verifies the copy. Stop the server on the source first.
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include "cli/commands.h"
#include "storage/copy_access.h"
#include "storage/copy_store.h"
#include "storage/open_backend.h"

namespace sextant::cli {

namespace {

constexpr char kUsage[] =
    "usage: sextant migrate --from URL --to URL [--from-data DIR] [--to-data DIR] [--no-verify]\n"
    "\n"
    "Copies every project, run, attribute, point and file reference from one\n"
    "store to another, then reads everything back from both to check the copy,\n"
    "and the accounts: users, tokens, roles and the audit log (with SQLite they\n"
    "are the data folder's access.db: --from-data/--to-data, by default the\n"
    "folder of the .db file; with PostgreSQL they are in the same schema).\n"
    "URL is sqlite:///path/to/sextant.db or postgresql://user@host:port/db.\n"
    "Stop the server that uses the source first. Files stay where they are:\n"
    "start the new server with the same --files (or --data for a files folder).\n"
    "Re-running after an interruption skips the runs already copied.\n";

// The file of a SQLite store URL (sqlite:///path, or a bare path).
std::string SqlitePath(const std::string& url) {
  return url.rfind("sqlite://", 0) == 0 ? url.substr(9) : url;
}

// The access.db that goes with a SQLite store: the data folder's, by
// default the folder of the .db file.
std::string AccessDb(const std::string& url, const std::string& data_dir) {
  if (!data_dir.empty()) return (std::filesystem::path(data_dir) / "access.db").string();
  return (std::filesystem::path(SqlitePath(url)).parent_path() / "access.db").string();
}

}  // namespace

int Migrate(int argc, char** argv) {
  std::string from, to, from_data, to_data;
  bool verify = true;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "sextant migrate: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--from") from = value();
    else if (a == "--to") to = value();
    else if (a == "--from-data") from_data = value();
    else if (a == "--to-data") to_data = value();
    else if (a == "--no-verify") verify = false;
    else if (a == "-h" || a == "--help") { std::fputs(kUsage, stdout); return 0; }
    else return Fail("migrate: unknown option '" + a + "'\n" + kUsage);
  }
  if (from.empty() || to.empty()) return Fail(std::string("migrate needs --from and --to\n") + kUsage);
  if (from == to) return Fail("migrate: --from and --to name the same store");
  if (!storage::IsPostgresUrl(from) && !std::filesystem::exists(SqlitePath(from)))
    return Fail("migrate: the source " + from + " does not exist");

  storage::StoreOptions src_opts;
  src_opts.url = from;
  auto src = storage::OpenBackend(src_opts);
  if (!src.ok()) return Fail("migrate: opening the source: " + src.status().ToString());
  if (!storage::IsPostgresUrl(to)) {  // a new SQLite file: its folder too
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(SqlitePath(to)).parent_path(), ec);
  }
  storage::StoreOptions dst_opts;
  dst_opts.url = to;
  auto dst = storage::OpenBackend(dst_opts);
  if (!dst.ok()) return Fail("migrate: opening the target: " + dst.status().ToString());

  auto start = std::chrono::steady_clock::now();
  auto seconds = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  storage::CopyOptions options;
  options.verify = verify;
  options.progress = [&](const std::string& project, const std::string& run, const storage::CopyStats& s) {
    std::fprintf(stderr, "\r%s/%s: %lld runs, %lld points, %lld files (%.0f s)   ", project.c_str(),
                 run.c_str(), static_cast<long long>(s.runs), static_cast<long long>(s.points),
                 static_cast<long long>(s.files), seconds());
  };
  auto stats = storage::CopyStore(**src, **dst, options);
  std::fputs("\n", stderr);
  Result<storage::AccessCopyStats> access = storage::AccessCopyStats{};
  const std::string from_access = AccessDb(from, from_data), to_access = AccessDb(to, to_data);
  if (stats.ok() && (storage::IsPostgresUrl(from) || std::filesystem::exists(from_access)) &&
      !(from_access == to_access && !storage::IsPostgresUrl(from) && !storage::IsPostgresUrl(to))) {
    auto a = storage::OpenAccessStore(from, from_access);
    mode_t old = umask(077);  // hashes only, but nobody else's business
    auto b = storage::OpenAccessStore(to, to_access);
    umask(old);
    if (!a.ok()) access = a.status().WithContext("opening the source's accounts");
    else if (!b.ok()) access = b.status().WithContext("opening the target's accounts");
    else access = storage::CopyAccess(**a, **b);
  }
  Status closed = (*dst)->Close();
  (void)(*src)->Close();
  if (!stats.ok()) return Fail("migrate: " + stats.status().ToString() + "\n(re-run to resume)");
  if (!access.ok()) return Fail("migrate: the accounts: " + access.status().ToString() + "\n(re-run to resume)");
  if (!closed.ok()) return Fail("migrate: closing the target: " + closed.ToString());
  std::printf("copied %lld projects, %lld runs, %lld attributes, %lld points, %lld file references, "
              "%lld saved views in %.1f s%s%s\n",
              static_cast<long long>(stats->projects), static_cast<long long>(stats->runs),
              static_cast<long long>(stats->attributes), static_cast<long long>(stats->points),
              static_cast<long long>(stats->files), static_cast<long long>(stats->views), seconds(),
              stats->skipped_runs ? (" (" + std::to_string(stats->skipped_runs) +
                                     " runs were already there)").c_str() : "",
              verify ? "; verified: every value and point reads back the same" : "");
  std::printf("accounts: %lld users and service accounts, %lld tokens, %lld roles, %lld audit entries copied\n",
              static_cast<long long>(access->principals), static_cast<long long>(access->tokens),
              static_cast<long long>(access->roles), static_cast<long long>(access->audit));
  return 0;
}

}  // namespace sextant::cli
