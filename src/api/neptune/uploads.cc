#include "api/neptune/uploads.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <nlohmann/json.hpp>

#include "auth/secrets.h"

namespace sextant::api::neptune {

Uploads::Uploads(std::string data_dir)
    : dir_((std::filesystem::path(data_dir) / "neptune-uploads").string()) {}

std::string Uploads::FileFor(const model::ProjectName& project, const std::string& storage_path) const {
  return dir_ + "/" + auth::DigestSecret(project.Full() + '\0' + storage_path);
}

std::mutex& Uploads::LockFor(const std::string& file) {
  return locks_[std::hash<std::string>{}(file) % locks_.size()];
}

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

}  // namespace

Result<std::vector<PendingAttach>> Uploads::Put(const model::ProjectName& project,
                                                const std::string& storage_path, const UploadRef& ref) {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return Status::Internal("creating " + dir_ + ": " + ec.message());
  std::string file = FileFor(project, storage_path);
  std::string text = Dump({{"project", project.Full()},
                           {"path", storage_path},
                           {"digest", ref.blob.digest},
                           {"size", ref.blob.size},
                           {"filename", ref.filename}});
  std::lock_guard l(LockFor(file));
  RETURN_IF_ERROR(WriteAtomically(file, text));
  std::vector<PendingAttach> out;
  std::ifstream in(file + ".pending");
  if (!in) return out;
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) continue;  // a torn last line
    PendingAttach p;
    p.run_id = j.value("run_id", "");
    p.path = j.value("attribute", "");
    if (j.contains("step") && j["step"].is_number_integer()) p.step = j["step"].get<int64_t>();
    if (!p.run_id.empty() && !p.path.empty()) out.push_back(std::move(p));
  }
  in.close();
  ::unlink((file + ".pending").c_str());
  return out;
}

Result<std::optional<UploadRef>> Uploads::Get(const model::ProjectName& project,
                                              const std::string& storage_path) {
  std::string file = FileFor(project, storage_path);
  std::lock_guard l(LockFor(file));
  return Read(file, storage_path);
}

Result<std::optional<UploadRef>> Uploads::GetOrWait(const model::ProjectName& project,
                                                    const std::string& storage_path, const PendingAttach& wait) {
  std::string file = FileFor(project, storage_path);
  std::lock_guard l(LockFor(file));
  ASSIGN_OR_RETURN(auto ref, Read(file, storage_path));
  if (ref) return ref;
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return Status::Internal("creating " + dir_ + ": " + ec.message());
  nlohmann::json j = {{"run_id", wait.run_id}, {"attribute", wait.path}};
  if (wait.step) j["step"] = *wait.step;
  std::string line = Dump(j) + "\n";
  int fd = ::open((file + ".pending").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return Status::Internal("creating " + file + ".pending: " + std::strerror(errno));
  bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return Status::Internal("writing " + file + ".pending: " + std::strerror(errno));
  return std::optional<UploadRef>();
}

Result<std::optional<UploadRef>> Uploads::Read(const std::string& file, const std::string& storage_path) {
  std::ifstream in(file);
  if (!in) return std::optional<UploadRef>();
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("digest") || !j["digest"].is_string() ||
      !j.contains("size") || !j["size"].is_number_unsigned())
    return Status::DataLoss("the upload record of '" + storage_path + "' is damaged");
  UploadRef r;
  r.blob.digest = j["digest"].get<std::string>();
  r.blob.size = j["size"].get<uint64_t>();
  r.filename = j.value("filename", "");
  return std::optional<UploadRef>(std::move(r));
}

}  // namespace sextant::api::neptune
