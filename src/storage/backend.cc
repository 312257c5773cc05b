#include "storage/backend.h"

#include <algorithm>

namespace sextant::storage {

Result<std::vector<LineageEntry>> Backend::SeriesLineage(const RunInfo& run, const std::string& path,
                                                        bool lineage) {
  std::vector<LineageEntry> out;
  out.push_back({run, std::nullopt, std::nullopt});
  while (lineage && out.back().run.fork_parent_id) {
    if (out.size() > static_cast<size_t>(kMaxLineageDepth))
      return Status::Internal("fork lineage deeper than " + std::to_string(kMaxLineageDepth) + " runs");
    ASSIGN_OR_RETURN(RunInfo parent, GetRunById(*out.back().run.fork_parent_id));
    out.push_back({std::move(parent), std::nullopt, std::nullopt});
  }
  std::reverse(out.begin(), out.end());
  for (LineageEntry& e : out) {
    ASSIGN_OR_RETURN(e.attr, FindAttribute(e.run.id, path));
    if (e.attr && model::IsSeries(e.attr->type)) {
      ASSIGN_OR_RETURN(e.extent, SeriesExtent(e.attr->id));
    }
  }
  return out;
}

Result<std::vector<std::vector<ChunkRow>>> Backend::ReadChunksSparseMany(
    const std::vector<SeriesRange>& ranges, const RangeBlockChooser& choose) {
  std::vector<std::vector<ChunkRow>> out;
  out.reserve(ranges.size());
  for (size_t k = 0; k < ranges.size(); ++k) {
    const SeriesRange& r = ranges[k];
    ASSIGN_OR_RETURN(auto rows, ReadChunksSparse(r.attr_id, r.lo, r.hi,
                                                 [&](const chunkenc::ChunkIndex& idx) { return choose(k, idx); }));
    out.push_back(std::move(rows));
  }
  return out;
}

}  // namespace sextant::storage
