// Storage paths of files as Neptune's readers see them. A file attribute
// read back through the Neptune API carries the path
// "sextant/<run id>/<step or ->/<attribute path>", which a signed read URL
// resolves through the core (Tracker::FindFile, within the URL's project),
// whatever protocol stored the file. Paths neptune-scale chose itself when
// uploading resolve through the upload records (uploads.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sextant::api::neptune {

struct FileLocation {
  std::string run_id;
  std::optional<int64_t> step;  // micro-steps; nullopt: a file attribute
  std::string path;             // the attribute
};

std::string FileStoragePath(const FileLocation& f);
// nullopt for paths not of that form.
std::optional<FileLocation> ParseFileStoragePath(std::string_view s);

}  // namespace sextant::api::neptune
