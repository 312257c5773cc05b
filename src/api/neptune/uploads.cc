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

Status Uploads::Put(const model::ProjectName& project, const std::string& storage_path,
                    const UploadRef& ref) {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return Status::Internal("creating " + dir_ + ": " + ec.message());
  std::string text = nlohmann::json{{"project", project.Full()},
                                    {"path", storage_path},
                                    {"digest", ref.blob.digest},
                                    {"size", ref.blob.size},
                                    {"filename", ref.filename}}
                         .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string final_path = FileFor(project, storage_path);
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

Result<std::optional<UploadRef>> Uploads::Get(const model::ProjectName& project,
                                              const std::string& storage_path) {
  std::ifstream in(FileFor(project, storage_path));
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
