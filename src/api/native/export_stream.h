// GET /api/v1/projects/{ws}/{project}/export: a whole project as one
// newline-delimited JSON stream (docs/format/export.md, "The streamed
// export"): every run, every attribute and point, the file contents and the
// fork lineage, produced page by page while it is sent, so memory stays
// bounded by a page however large the project. `sextant import sextant
// FILE.ndjson` reads it back.
#pragma once

#include <memory>

#include "core/tracker.h"
#include "http/message.h"
#include "model/types.h"

namespace sextant::api::native {

// The format's name and version, on the stream's first line.
inline constexpr const char* kExportStreamFormat = "sextant-export-stream";
inline constexpr int kExportStreamVersion = 1;

struct ExportStreamOptions {
  bool files = true;  // file contents as `blob` lines (false: references only)
  // Points per `series` line, and bytes of file per `blob` line (before
  // base64).
  size_t page_points = 65'536;
  size_t blob_piece = 768 << 10;
};

// Lists the project's runs (parents before their forks) and returns the
// body that streams them; fails (before anything is sent) when the runs
// cannot be listed.
Result<std::shared_ptr<http::BodyStream>> NewProjectExport(core::Tracker* tracker,
                                                           const model::ProjectName& project,
                                                           ExportStreamOptions options);

}  // namespace sextant::api::native
