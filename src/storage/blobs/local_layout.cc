#include "storage/blobs/local_layout.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <utility>

namespace sextant::blobs::internal {
namespace {

// Blobs are immutable; read-only files guard against an accidental in-place
// edit by an operator or a tool. The creating open() still returns a writable
// descriptor.
constexpr mode_t kBlobMode = 0444;

// Attempts at finding an unused temp name before giving up. Names are unique
// by construction, so a collision means something odd is in root/tmp/.
constexpr int kTempNameAttempts = 8;

int HexNibble(char c) { return c <= '9' ? c - '0' : c - 'a' + 10; }

// Creates `dir` if missing; when `sync_parent`, fsyncs `parent` afterwards so
// the entry for `dir` is durable whether or not this call created it.
Status MakeDurableDir(const std::string& parent, const std::string& dir, bool sync_parent) {
  bool created = false;
  RETURN_IF_ERROR(MakeDir(dir, &created));
  if (sync_parent || created) return SyncDir(parent);
  return Status::Ok();
}

}  // namespace

LocalLayout::LocalLayout(std::string root)
    : root_(std::move(root)),
      tmp_dir_(root_ + "/tmp"),
      blob_dir_(root_ + "/sha256"),
      nonce_(static_cast<uint64_t>(
                 std::chrono::steady_clock::now().time_since_epoch().count()) ^
             reinterpret_cast<uintptr_t>(this)) {}

Result<std::unique_ptr<LocalLayout>> LocalLayout::Open(const std::string& root) {
  if (root.empty()) return Status::InvalidArgument("blob store root is empty");
  std::string trimmed = root;
  while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
  std::unique_ptr<LocalLayout> layout(new LocalLayout(trimmed));

  // Like mkdir -p, but each directory created is made durable in its parent.
  for (size_t slash = trimmed.find('/', 1); ; slash = trimmed.find('/', slash + 1)) {
    std::string dir = trimmed.substr(0, slash);
    size_t up = dir.find_last_of('/');
    std::string parent = up == std::string::npos ? "." : up == 0 ? "/" : dir.substr(0, up);
    Status s = MakeDurableDir(parent, dir, /*sync_parent=*/false);
    if (!s.ok()) return s.WithContext("opening blob store");
    if (slash == std::string::npos) break;
  }
  bool created_tmp = false;
  bool created_blobs = false;
  RETURN_IF_ERROR(MakeDir(layout->tmp_dir_, &created_tmp));
  RETURN_IF_ERROR(MakeDir(layout->blob_dir_, &created_blobs));
  if (created_tmp || created_blobs) RETURN_IF_ERROR(SyncDir(trimmed));
  RETURN_IF_ERROR(layout->RemoveStaleTempFiles(kStaleTempAge));
  return layout;
}

std::string LocalLayout::BlobPath(std::string_view digest) const {
  std::string path = blob_dir_;
  path.reserve(path.size() + 8 + digest.size());
  path.append("/").append(digest.substr(0, 2));
  path.append("/").append(digest.substr(2, 2));
  path.append("/").append(digest);
  return path;
}

Status LocalLayout::CreateTempFile(ScopedFd* fd, std::string* path) {
  for (int attempt = 0; attempt < kTempNameAttempts; ++attempt) {
    char name[96];
    std::snprintf(name, sizeof(name), "/%ld-%016llx-%llu.part", static_cast<long>(::getpid()),
                  static_cast<unsigned long long>(nonce_),
                  static_cast<unsigned long long>(next_temp_id_.fetch_add(1)));
    std::string candidate = tmp_dir_ + name;
    int f = ::open(candidate.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, kBlobMode);
    if (f >= 0) {
      *fd = ScopedFd(f);
      *path = std::move(candidate);
      return Status::Ok();
    }
    if (errno != EEXIST && errno != EINTR) return ErrnoStatus("creating upload file", errno);
  }
  return Status::Internal("creating upload file: no unused temp name found");
}

Status LocalLayout::EnsureShardDirs(std::string_view digest) {
  size_t i1 = HexNibble(digest[0]) * 16 + HexNibble(digest[1]);
  size_t i2 = i1 * 256 + HexNibble(digest[2]) * 16 + HexNibble(digest[3]);
  bool l1_synced;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (level2_synced_[i2]) return Status::Ok();  // implies its parent too
    l1_synced = level1_synced_[i1];
  }
  // No lock during I/O: racing threads may both fsync a directory, which is
  // merely redundant, whereas holding mu_ would serialize every commit.
  std::string l1 = blob_dir_ + "/" + std::string(digest.substr(0, 2));
  std::string l2 = l1 + "/" + std::string(digest.substr(2, 2));
  RETURN_IF_ERROR(MakeDurableDir(blob_dir_, l1, /*sync_parent=*/!l1_synced));
  RETURN_IF_ERROR(MakeDurableDir(l1, l2, /*sync_parent=*/true));
  std::lock_guard<std::mutex> lock(mu_);
  level1_synced_[i1] = true;
  level2_synced_[i2] = true;
  return Status::Ok();
}

Status LocalLayout::Publish(const std::string& temp_path, std::string_view digest) {
  Status s = EnsureShardDirs(digest);
  if (!s.ok()) return s.WithContext("storing blob " + std::string(digest));
  std::string final_path = BlobPath(digest);
  if (::rename(temp_path.c_str(), final_path.c_str()) != 0) {
    return ErrnoStatus("storing blob " + std::string(digest), errno);
  }
  // The temp directory is not synced: if its entry for the renamed file
  // comes back after a crash, it is an old temp file and gets cleaned up.
  s = SyncDir(final_path.substr(0, final_path.size() - digest.size() - 1));
  if (!s.ok()) return s.WithContext("storing blob " + std::string(digest));
  return Status::Ok();
}

Status LocalLayout::RemoveStaleTempFiles(std::chrono::seconds max_age) {
  DIR* dir = ::opendir(tmp_dir_.c_str());
  if (dir == nullptr) return ErrnoStatus("listing " + tmp_dir_, errno);
  const time_t cutoff = std::time(nullptr) - static_cast<time_t>(max_age.count());
  while (true) {
    errno = 0;
    struct dirent* entry = ::readdir(dir);
    if (entry == nullptr) break;
    std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    std::string path = tmp_dir_ + "/" + name;
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (st.st_mtime < cutoff) ::unlink(path.c_str());  // best effort, see header
  }
  int err = errno;
  ::closedir(dir);
  if (err != 0) return ErrnoStatus("listing " + tmp_dir_, err);
  return Status::Ok();
}

}  // namespace sextant::blobs::internal
