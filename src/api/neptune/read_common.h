// What the read endpoints (read_routes.cc) share: Neptune's attribute types
// and values (ProtoAttributeDTO) from Sextant's, run identifiers as
// neptune-query spells them ("ws/proj/<run id>", "CUSTOM/ws/proj/<run id>"),
// steps as doubles, attribute name filters, and the JSON body helpers.
// The conversions are pure and tested in read_common_test.cc.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/neptune/proto/read.pb.h"
#include "api/router.h"
#include "common/status.h"
#include "core/tracker.h"
#include "model/operations.h"
#include "storage/backend.h"

namespace re2 {
class RE2;
}

namespace sextant::api::neptune {

class Neptune;
namespace pb = ::sextant::neptune;

// The handlers, one file each (registered by read_routes.cc).
Result<http::Response> SearchEntries(Context& c, Neptune* n);          // read_entries.cc
Result<http::Response> QueryDefinitions(Context& c, Neptune* n);       // read_attributes.cc
Result<http::Response> QueryAttributes(Context& c, Neptune* n);        // read_attributes.cc
Result<http::Response> FloatSeriesValues(Context& c, Neptune* n);      // read_series.cc
Result<http::Response> SeriesValues(Context& c, Neptune* n);           // read_series.cc
Result<http::Response> TimeseriesBuckets(Context& c, Neptune* n);      // read_buckets.cc

// ---- types

// Neptune's name of a Sextant type: "float", "floatSeries", "fileRef", ...
std::string_view NeptuneType(model::AttrType t);
// The Sextant type of a Neptune type name; nullopt for the types Sextant
// has no attribute of (experimentState, gitRef, complex) and unknown names.
std::optional<model::AttrType> SextantType(std::string_view neptune_type);
// True for every name of Neptune's AttributeTypeDTO.
bool IsNeptuneType(std::string_view neptune_type);

// ---- run identifiers

struct RunRef {
  model::ProjectName project;
  std::string run_id;
};
// "ws/proj/<run id>" or "CUSTOM/ws/proj/<run id>" (both name the run by its
// Sextant id, which is Neptune's sys/id and sys/custom_run_id).
Result<RunRef> ParseRunIdentifier(std::string_view id);

// ---- steps

// A stepRange bound in micro-steps: `from` rounds up, `to` down, to the
// micro-step grid, and both clamp to the step range. Non-finite: 400.
Result<int64_t> StepBound(double step, bool lower);

// ---- values

// A stored histogram ({"edges":[...],"counts":[...]}) as Neptune's. Sextant
// keeps no counts/densities flag: `type` is "COUNTING" when every value is a
// whole number, else "DENSITY" (neptune-query shows it, never interprets it).
bool HistogramFromJson(std::string_view json, pb::ProtoHistogram* out);

// A stored file as Neptune's FileRef: path (storage_paths.h), size, media type.
struct FileDetails {
  std::string path;
  int64_t size = 0;
  std::string mime_type;
};
// The media type neptune-query names the downloaded file after: an image
// type sniffed from the first bytes, else one guessed from the file name's
// extension, else application/octet-stream.
std::string MimeType(std::string_view head, std::string_view filename);

// Looks up a file attribute (step nullopt) or a file series point.
using FileLookup = std::function<FileDetails(const std::string& path, std::optional<int64_t> step)>;
// The files of one run, through Tracker::FindFile and the file's first bytes;
// a file that cannot be found has an empty path.
FileLookup RunFiles(core::Tracker* t, const model::ProjectName& p, const std::string& run_id);

// One attribute value as Neptune's ProtoAttributeDTO named `name`; files
// need `files`. False when the type has no Neptune form.
bool ToProtoAttribute(const std::string& name, const storage::AttributeInfo& a, const FileLookup& files,
                      pb::ProtoAttributeDTO* out);

// A runs-catalogue cell (core::RunRow) as an AttributeInfo: for series the
// value's `i` is the last step.
storage::AttributeInfo FromCatalogValue(const std::string& path, const model::Value& v);

// The system attributes Neptune has and Sextant keeps as run properties:
// sys/id, sys/custom_run_id, sys/name, sys/experiment/name (when the run has
// an experiment), sys/creation_time, sys/modification_time, sys/failed.
std::vector<storage::AttributeInfo> SysAttributes(const storage::RunInfo& run);
// One of those by Neptune name; nullopt for any other name.
std::optional<storage::AttributeInfo> SysAttribute(const storage::RunInfo& run, std::string_view name);

// A timeseries/buckets customYFormula naming one attribute, "${name}" with
// \\, \$, \{ and \} escaped, → the name; anything else is a 400.
Result<std::string> FormulaAttribute(std::string_view formula);

// ---- attribute selection (definitions/query and attributes/query)

// attributeFilter (types, OR) and attributeNameFilter.mustMatchAny
// (alternatives, OR; in each every mustMatchRegexes must match, anywhere in
// the name, and no mustNotMatchRegexes). Regexes are RE2 (Python's
// re.escape output is accepted).
class AttributeSelector {
 public:
  static Result<AttributeSelector> FromJson(const nlohmann::json& body);
  bool Matches(std::string_view name, model::AttrType type) const;
  bool MatchesName(std::string_view name) const;
  bool AnyType() const { return types_.empty(); }

 private:
  struct Alternative {
    std::vector<std::shared_ptr<const re2::RE2>> must, must_not;
  };
  std::vector<model::AttrType> types_;  // empty: all
  bool no_types_ = false;               // only types Sextant does not have were asked for
  std::vector<Alternative> any_;        // empty: all names
};

// ---- JSON bodies

Result<nlohmann::json> ParseJsonObject(std::string_view body);
// The project of `projectIdentifier` (query string), 400 when absent or malformed.
Result<model::ProjectName> QueryProject(const Context& c);
// Optional members with a type check: 400 naming `what` when present with
// another type (null counts as absent).
Result<std::optional<int64_t>> OptInt(const nlohmann::json& obj, const char* key, std::string_view what);
Result<std::optional<double>> OptDouble(const nlohmann::json& obj, const char* key, std::string_view what);
Result<std::optional<std::string>> OptString(const nlohmann::json& obj, const char* key, std::string_view what);
Result<std::optional<bool>> OptBool(const nlohmann::json& obj, const char* key, std::string_view what);
// The member `key` when it is an object (nullptr when absent or null; 400 for another type).
Result<const nlohmann::json*> OptObject(const nlohmann::json& obj, const char* key, std::string_view what);
Result<const nlohmann::json*> OptArray(const nlohmann::json& obj, const char* key, std::string_view what);

}  // namespace sextant::api::neptune
