#include "storage/open_backend.h"

#include "storage/postgres/postgres.h"
#include "storage/sqlite/sqlite.h"

namespace sextant::storage {

namespace {

bool StartsWith(const std::string& s, std::string_view prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

std::string RedactStoreUrl(const std::string& url) {
  size_t scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  size_t at = url.find('@', scheme + 3);
  size_t slash = url.find('/', scheme + 3);
  if (at == std::string::npos || (slash != std::string::npos && slash < at)) return url;
  size_t colon = url.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

bool IsPostgresUrl(const std::string& url) {
  return StartsWith(url, "postgresql://") || StartsWith(url, "postgres://");
}

Result<std::unique_ptr<AccessStore>> OpenAccessStore(const std::string& url,
                                                     const std::string& sqlite_path) {
  if (!IsPostgresUrl(url)) return OpenSqliteAccessStore(sqlite_path);
  auto s = OpenPostgresAccessStore(url);
  if (!s.ok()) return s.status().WithContext("opening the accounts in " + RedactStoreUrl(url));
  return s;
}

Result<std::unique_ptr<UploadRecords>> OpenUploadRecords(const std::string& url,
                                                         const std::string& disk_dir) {
  if (!IsPostgresUrl(url)) return OpenDiskUploadRecords(disk_dir);
  auto u = OpenPostgresUploadRecords(url);
  if (!u.ok()) return u.status().WithContext("opening the upload records in " + RedactStoreUrl(url));
  return u;
}

Result<std::unique_ptr<Backend>> OpenBackend(const StoreOptions& options) {
  const std::string& url = options.url;
  if (url.empty() || StartsWith(url, "sqlite://") || url.find("://") == std::string::npos) {
    std::string path = url.empty() ? options.default_sqlite_path : url;
    if (StartsWith(path, "sqlite://")) path = path.substr(9);
    if (path.empty()) return Status::InvalidArgument("--store sqlite:// needs a path: sqlite:///var/lib/sextant/sextant.db");
    BackendOptions bo;
    bo.path = path;
    bo.fsync_commits = options.fsync_commits;
    return OpenSqliteBackend(bo);
  }
  if (IsPostgresUrl(url)) {
    auto b = OpenPostgresBackend(url, options.fsync_commits);
    if (!b.ok()) return b.status().WithContext("opening " + RedactStoreUrl(url));
    return b;
  }
  return Status::InvalidArgument("--store '" + RedactStoreUrl(url) +
                                 "': expected sqlite:///path or postgresql://host/db");
}

}  // namespace sextant::storage
