// Upload records as files, for one server on its data folder:
// <dir>/<sha256(project, path)> is the upload's record (a small JSON file
// written atomically after the bytes are durable) and, for a reference that
// came first, <…>.pending holds the attachments waiting for it (JSON lines).
// One mutex per storage path (striped) orders Put and GetOrWait.
#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>

#include <nlohmann/json.hpp>

#include "storage/blobs/digest.h"
#include "storage/upload_records.h"

namespace sextant::storage {
namespace {

Status WriteAtomically(const std::string& final_path, const std::string& text) {
  std::string tmp = final_path + ".tmp" + std::to_string(::getpid()) + "-" +
                    std::to_string(reinterpret_cast<uintptr_t>(&text));
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::Internal("creating " + tmp + ": " + std::strerror(errno));
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || std::rename(tmp.c_str(), final_path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return Status::Internal("writing " + final_path + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

std::string Dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

class DiskUploadRecords final : public UploadRecords {
 public:
  explicit DiskUploadRecords(std::string dir) : dir_(std::move(dir)) {}

  Result<std::vector<PendingAttachment>> Put(const model::ProjectName& project,
                                             const std::string& storage_path,
                                             const UploadRecord& ref) override {
    RETURN_IF_ERROR(MakeDir());
    ASSIGN_OR_RETURN(std::string file, FileFor(project, storage_path));
    std::string text = Dump({{"project", project.Full()},
                             {"path", storage_path},
                             {"digest", ref.blob.digest},
                             {"size", ref.blob.size},
                             {"filename", ref.filename}});
    std::lock_guard l(LockFor(file));
    RETURN_IF_ERROR(WriteAtomically(file, text));
    std::vector<PendingAttachment> out;
    std::ifstream in(file + ".pending");
    if (!in) return out;
    for (std::string line; std::getline(in, line);) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_discarded() || !j.is_object()) continue;  // a torn last line
      PendingAttachment p;
      p.run_id = j.value("run_id", "");
      p.path = j.value("attribute", "");
      if (j.contains("step") && j["step"].is_number_integer()) p.step = j["step"].get<int64_t>();
      if (!p.run_id.empty() && !p.path.empty()) out.push_back(std::move(p));
    }
    in.close();
    ::unlink((file + ".pending").c_str());
    return out;
  }

  Result<std::optional<UploadRecord>> Get(const model::ProjectName& project,
                                          const std::string& storage_path) override {
    ASSIGN_OR_RETURN(std::string file, FileFor(project, storage_path));
    std::lock_guard l(LockFor(file));
    return Read(file, storage_path);
  }

  Result<std::optional<UploadRecord>> GetOrWait(const model::ProjectName& project,
                                                const std::string& storage_path,
                                                const PendingAttachment& wait) override {
    ASSIGN_OR_RETURN(std::string file, FileFor(project, storage_path));
    std::lock_guard l(LockFor(file));
    ASSIGN_OR_RETURN(auto ref, Read(file, storage_path));
    if (ref) return ref;
    RETURN_IF_ERROR(MakeDir());
    nlohmann::json j = {{"run_id", wait.run_id}, {"attribute", wait.path}};
    if (wait.step) j["step"] = *wait.step;
    std::string line = Dump(j) + "\n";
    int fd = ::open((file + ".pending").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) return Status::Internal("creating " + file + ".pending: " + std::strerror(errno));
    bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
    ::close(fd);
    if (!ok) return Status::Internal("writing " + file + ".pending: " + std::strerror(errno));
    return std::optional<UploadRecord>();
  }

 private:
  Status MakeDir() {
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
    if (ec) return Status::Internal("creating " + dir_ + ": " + ec.message());
    return Status::Ok();
  }

  Result<std::string> FileFor(const model::ProjectName& project, const std::string& storage_path) const {
    ASSIGN_OR_RETURN(blobs::Sha256 h, blobs::Sha256::Create());
    RETURN_IF_ERROR(h.Update(project.Full() + '\0' + storage_path));
    ASSIGN_OR_RETURN(std::string digest, h.Finish());
    return dir_ + "/" + digest;
  }

  std::mutex& LockFor(const std::string& file) {
    return locks_[std::hash<std::string>{}(file) % locks_.size()];
  }

  static Result<std::optional<UploadRecord>> Read(const std::string& file, const std::string& storage_path) {
    std::ifstream in(file);
    if (!in) return std::optional<UploadRecord>();
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("digest") || !j["digest"].is_string() ||
        !j.contains("size") || !j["size"].is_number_unsigned())
      return Status::DataLoss("the upload record of '" + storage_path + "' is damaged");
    UploadRecord r;
    r.blob.digest = j["digest"].get<std::string>();
    r.blob.size = j["size"].get<uint64_t>();
    r.filename = j.value("filename", "");
    return std::optional<UploadRecord>(std::move(r));
  }

  const std::string dir_;
  std::array<std::mutex, 64> locks_;
};

}  // namespace

std::unique_ptr<UploadRecords> OpenDiskUploadRecords(const std::string& dir) {
  return std::make_unique<DiskUploadRecords>(dir);
}

}  // namespace sextant::storage
