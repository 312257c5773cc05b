// MLflow search filters and order_by → Sextant filter text and sort keys.
//
// The scanner reads MLflow's grammar by position (name, comparator, value)
// without recursion; the translator then checks each clause the way MLflow's
// SearchUtils, SearchExperimentsUtils and SearchLoggedModelsUtils do (same
// order of checks, same messages) and writes the Sextant condition.
//
// Supported, per target:
//   runs:          metrics.K  > >= = != < <=  number
//                  params.K, tags.K  = != LIKE ILIKE 'str', IS [NOT] NULL
//                  run_id  = != LIKE ILIKE 'str', [NOT] IN ('a', ...)
//                  run_name (and "run name" spellings), user_id, status
//                          = != LIKE ILIKE 'str'
//                  start_time, created, end_time  > >= = != < <=  ms
//   experiments:   name  = != LIKE ILIKE;  creation_time, last_update_time
//                  numeric;  tags.K  as for runs
//   logged models: name, model_id, status, source_run_id  = != LIKE ILIKE,
//                  [NOT] IN;  creation_time(stamp), last_updated_time(stamp)
//                  numeric;  metrics.K;  params.K, tags.K  = != LIKE ILIKE
// Refused with a message saying Sextant does not support them: artifact_uri,
// datasets.*, model_type (logged models).
//
// Where the result can differ from MLflow's:
// - Values are taken verbatim between their quotes, as MLflow does ('it''s'
//   is the five characters it''s). MLflow reads IN lists as Python literals
//   (escapes interpreted); here their items are verbatim too.
// - Clauses must be separated by AND; MLflow also accepts clauses with
//   nothing between them (a quirk of its SQL tokenizer). Stray ANDs
//   (leading, doubled, trailing) are skipped, as MLflow does. OR, and
//   parentheses, are refused with MLflow's "Invalid clause(s)" message.
// - Numbers may have an exponent with '+' (1E+5), which MLflow refuses.
// - Times: MLflow compares whole milliseconds; Sextant keeps microseconds.
//   A run whose created_at is t µs is taken to report start_time floor(t /
//   1000) ms, and each comparison is written so that it holds exactly when
//   it would on that millisecond value: start_time = 5 is 5000 <= t < 6000.
// - status: RUNNING and SCHEDULED are Sextant's running or stale, FINISHED
//   finished, FAILED and KILLED failed. `!=` is the complement of `=`; LIKE
//   matches the pattern against the five MLflow names and takes the union.
// - end_time is sys/updated_at of finished and failed runs only (for the
//   others MLflow's end_time is null, and comparisons with it are false).
#include "api/mlflow/search.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <system_error>
#include <utility>

#include "model/limits.h"
#include "model/types.h"
#include "query/filter.h"

namespace sextant::api::mlflow {
namespace {

Status Invalid(std::string m) { return Status::InvalidArgument(std::move(m)); }

// ---------------------------------------------------------------- characters

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
// Unquoted names: ASCII letters, digits, '_', and any non-ASCII byte (MLflow
// takes Unicode word characters; the input is checked to be UTF-8 first).
bool IsWordByte(char c) {
  return IsAsciiLetter(c) || IsDigit(c) || c == '_' || static_cast<unsigned char>(c) >= 0x80;
}
char Upper(char c) { return c >= 'a' && c <= 'z' ? char(c - 'a' + 'A') : c; }
char Lower(char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; }
std::string UpperAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = Upper(c);
  return out;
}
bool IsContinuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// At most `max` bytes of `s` for an error message, cut at a character.
std::string Shorten(std::string_view s, size_t max = 60) {
  if (s.size() <= max) return std::string(s);
  size_t cut = max;
  while (cut > 0 && IsContinuation(s[cut])) --cut;
  return std::string(s.substr(0, cut)) + "...";
}

// ------------------------------------------------------------ Sextant output

// Shortest round-trip text, kept a float ("1" would be an integer literal).
std::string FormatNumber(double d) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
  std::string s(buf, ec == std::errc() ? end : buf);
  if (s.find_first_of(".eE") == std::string::npos) s += ".0";
  return s;
}

// "YYYY-MM-DDTHH:MM:SS.ffffffZ". REQUIRES: a year from 0000 to 9999.
std::string FormatDatetime(int64_t us) {
  auto floor_div = [](int64_t a, int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); };
  int64_t secs = floor_div(us, 1'000'000);
  int64_t micros = us - secs * 1'000'000;
  int64_t days = floor_div(secs, 86'400);
  int64_t sod = secs - days * 86'400;
  // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
  int64_t z = days + 719'468;
  int64_t era = floor_div(z, 146'097);
  int64_t doe = z - era * 146'097;
  int64_t yoe = (doe - doe / 1460 + doe / 36'524 - doe / 146'096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t day = doy - (153 * mp + 2) / 5 + 1;
  int64_t month = mp < 10 ? mp + 3 : mp - 9;
  int64_t year = yoe + era * 400 + (month <= 2);
  char buf[128];  // large enough for any int64 fields, so the compiler sees no truncation
  std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%06lldZ",
                static_cast<long long>(year), static_cast<long long>(month),
                static_cast<long long>(day), static_cast<long long>(sod / 3600),
                static_cast<long long>(sod / 60 % 60), static_cast<long long>(sod % 60),
                static_cast<long long>(micros));
  return buf;
}

// SQL LIKE as an anchored RE2 regex: '%' any run of characters (newlines
// too), '_' one character, everything else literal.
std::string LikeToRegex(std::string_view pattern, bool ignore_case) {
  std::string re = ignore_case ? "(?is)^" : "(?s)^";
  bool after_percent = false;
  for (char c : pattern) {
    if (c == '%') {
      if (!after_percent) re += ".*";
      after_percent = true;
      continue;
    }
    after_percent = false;
    if (c == '_') {
      re += '.';
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(c));
      re += buf;
    } else if (std::strchr("\\.+*?()|[]{}^$", c) != nullptr) {
      re += '\\';
      re += c;
    } else {
      re += c;  // UTF-8 sequences are literals in RE2's UTF-8 mode
    }
  }
  return re + "$";
}

// SQL LIKE of `pattern` against an ASCII `name` (the five MLflow statuses).
// Linear in the pattern: a set of reachable positions in the name.
bool LikeMatches(std::string_view pattern, std::string_view name, bool ignore_case) {
  constexpr size_t kMaxName = 16;
  if (name.size() >= kMaxName) return false;
  bool reach[kMaxName + 1] = {true};
  for (size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (IsContinuation(c)) continue;  // a character is matched at its first byte
    bool next[kMaxName + 1] = {};
    bool any = false;
    for (size_t j = 0; j <= name.size(); ++j) {
      if (c == '%') {
        any = any || reach[j];
        next[j] = any;
      } else if (j < name.size() && reach[j]) {
        bool same = ignore_case ? Lower(c) == Lower(name[j]) : c == name[j];
        next[j + 1] = c == '_' || same;  // a non-ASCII literal never equals ASCII
      }
    }
    std::memcpy(reach, next, sizeof reach);
  }
  return reach[name.size()];
}

// ------------------------------------------------------------------- scanner

// Where a value belongs: a quoted string, a number, a bare or backquoted name
// (MLflow's "Identifier"), or a parenthesised list of quoted strings.
enum class ValueKind { kString, kNumber, kName, kList };

struct Operand {
  ValueKind kind = ValueKind::kString;
  std::string text;                // as written, for messages
  std::string str;                 // kString: between the quotes, verbatim
  std::vector<std::string> items;  // kList
  Status list_error;               // kList: why it is not a list of quoted strings
};

// `entity.key` or a lone `key`.
struct Name {
  bool has_entity = false;
  std::string entity;
  std::string key;
  std::string text;  // as written
};

struct Clause {
  Name name;
  std::string op;  // "=", "LIKE", "NOT IN", "IS NULL", ... (keywords upper-cased)
  Operand value;   // not set for IS [NOT] NULL
};


// MLflow's "Invalid clause(s) in filter string: 'a', 'b'" (without the
// quotes for experiments).
Status InvalidClauses(bool quoted, std::initializer_list<std::string_view> tokens) {
  std::string m = "Invalid clause(s) in filter string: ";
  bool first = true;
  for (std::string_view t : tokens) {
    if (!first) m += ", ";
    first = false;
    m += quoted ? "'" + Shorten(t, 40) + "'" : Shorten(t, 40);
  }
  return Invalid(std::move(m));
}

class Scanner {
 public:
  Scanner(std::string_view text, bool quote_clauses) : in_(text), quote_clauses_(quote_clauses) {}
  Status InvalidClause(std::initializer_list<std::string_view> tokens) const {
    return InvalidClauses(quote_clauses_, tokens);
  }

  void SkipSpace() {
    while (pos_ < in_.size() && IsSpace(in_[pos_])) ++pos_;
  }
  bool AtEnd() const { return pos_ == in_.size(); }
  char Peek() const { return in_[pos_]; }

  // The token starting here, for messages: up to the next space.
  std::string NextToken() const {
    size_t end = pos_;
    while (end < in_.size() && !IsSpace(in_[end])) ++end;
    return Shorten(in_.substr(pos_, end - pos_), 40);
  }

  std::string_view Word() {
    size_t start = pos_;
    while (pos_ < in_.size() && IsWordByte(in_[pos_])) ++pos_;
    return in_.substr(start, pos_ - start);
  }

  // Takes the word `keyword` (any case) when it stands alone here.
  bool TakeKeyword(std::string_view keyword) {
    size_t start = pos_;
    std::string_view w = Word();
    if (UpperAscii(w) == keyword && (AtEnd() || in_[pos_] != '.')) return true;
    pos_ = start;
    return false;
  }

  // At a quote: the text up to the matching quote, verbatim. Doubled quotes,
  // and \' or \" inside '...' or "...", do not end it. Like MLflow's SQL
  // tokenizer, a quote that would otherwise never close ends at the last
  // quote that can close it, so 'C:\' is the three characters C:\.
  Result<std::string> Quoted() {
    char q = in_[pos_];
    size_t start = pos_++;
    size_t fallback = std::string_view::npos;
    while (pos_ < in_.size()) {
      char c = in_[pos_];
      if (c == q && pos_ + 1 < in_.size() && in_[pos_ + 1] == q) {
        fallback = pos_;
        pos_ += 2;
      } else if (c == q) {
        ++pos_;
        return std::string(in_.substr(start + 1, pos_ - start - 2));
      } else if (c == '\\' && q != '`' && pos_ + 1 < in_.size() && in_[pos_ + 1] == q) {
        fallback = pos_ + 1;
        pos_ += 2;
      } else {
        ++pos_;
      }
    }
    if (fallback != std::string_view::npos) {
      pos_ = fallback + 1;
      return std::string(in_.substr(start + 1, fallback - start - 1));
    }
    pos_ = start;
    return Invalid("Invalid filter string: the quote " + std::string(1, q) + " at character " +
                   std::to_string(start + 1) + " is never closed");
  }

  // `entity.key`, `key`; the entity may be backquoted or double-quoted, the
  // key backquoted, double- or single-quoted, or bare (dots allowed:
  // tags.mlflow.runName).
  Result<Name> ScanName() {
    Name name;
    size_t start = pos_;
    std::string head;
    char c = Peek();
    if (c == '`' || c == '"') {
      ASSIGN_OR_RETURN(head, Quoted());
    } else if (IsWordByte(c)) {
      head = std::string(Word());
    } else {
      return InvalidClause({NextToken()});
    }
    if (!AtEnd() && Peek() == '.') {
      ++pos_;
      name.has_entity = true;
      name.entity = std::move(head);
      if (!AtEnd() && (Peek() == '`' || Peek() == '"' || Peek() == '\'')) {
        ASSIGN_OR_RETURN(name.key, Quoted());
      } else {
        size_t key_start = pos_;
        while (pos_ < in_.size() && (IsWordByte(in_[pos_]) || in_[pos_] == '.')) ++pos_;
        name.key = std::string(in_.substr(key_start, pos_ - key_start));
      }
    } else {
      name.key = std::move(head);
    }
    name.text = std::string(in_.substr(start, pos_ - start));
    return name;
  }

  Result<std::string> ScanComparator() {
    if (AtEnd()) return Invalid("Invalid comparison clause. Expected 3 tokens found 1");
    size_t start = pos_;
    if (std::strchr("<>=~!", Peek()) != nullptr) {
      while (pos_ < in_.size() && std::strchr("<>=~!", in_[pos_]) != nullptr) ++pos_;
      return std::string(in_.substr(start, pos_ - start));
    }
    std::string w = UpperAscii(Word());
    if (w == "LIKE" || w == "ILIKE" || w == "RLIKE" || w == "REGEXP" || w == "IN") return w;
    if (w == "NOT" || w == "IS") {
      SkipSpace();
      std::string w2 = UpperAscii(Word());
      if (w == "NOT" && (w2 == "IN" || w2 == "LIKE" || w2 == "ILIKE" || w2 == "RLIKE")) {
        return "NOT " + w2;
      }
      if (w == "IS" && w2 == "NULL") return std::string("IS NULL");
      if (w == "IS" && w2 == "NOT") {
        SkipSpace();
        if (UpperAscii(Word()) == "NULL") return std::string("IS NOT NULL");
      }
    }
    pos_ = start;
    return Invalid("Invalid comparison clause. Expected comparison found '" + NextToken() + "'");
  }

  Result<Operand> ScanOperand() {
    if (AtEnd()) return Invalid("Invalid comparison clause. Expected 3 tokens found 2");
    Operand v;
    size_t start = pos_;
    char c = Peek();
    if (c == '\'' || c == '"' || c == '`') {
      ASSIGN_OR_RETURN(v.str, Quoted());
      v.kind = c == '`' ? ValueKind::kName : ValueKind::kString;
    } else if (c == '(') {
      RETURN_IF_ERROR(List(&v));
    } else if (size_t n = query::NumberLength(in_, pos_);
               n > 0 && (pos_ + n == in_.size() ||
                         !(IsWordByte(in_[pos_ + n]) || in_[pos_ + n] == '.'))) {
      pos_ += n;
      v.kind = ValueKind::kNumber;
    } else if (IsWordByte(c)) {
      while (pos_ < in_.size() && (IsWordByte(in_[pos_]) || in_[pos_] == '.')) ++pos_;
      v.kind = ValueKind::kName;
    } else {
      return Invalid("Invalid comparison clause. Expected value token found '" + NextToken() + "'");
    }
    v.text = std::string(in_.substr(start, pos_ - start));
    return v;
  }

 private:
  // ('a', "b", ...), a trailing comma allowed. What is wrong inside the
  // parentheses is kept in v->list_error and the scan goes on after the
  // first ')': it is the error only where a list is allowed (MLflow answers
  // metrics.a IN (1) with "Expected numeric value type for metric").
  Status List(Operand* v) {
    v->kind = ValueKind::kList;
    size_t start = pos_++;
    static const std::string kPrefix = "While parsing a list in the query, ";
    const std::string ill_formed =
        kPrefix + "expected a non-empty list of string values, but got ill-formed list.";
    auto fail = [&](bool wrong_type) {
      size_t close = in_.find(')', pos_);
      if (close == std::string_view::npos) return Invalid(ill_formed);
      pos_ = close + 1;
      v->list_error = Invalid(wrong_type ? kPrefix +
                                               "expected string value, punctuation, or "
                                               "whitespace, but got different type in list: " +
                                               Shorten(in_.substr(start, pos_ - start))
                                         : ill_formed);
      return Status::Ok();
    };
    while (true) {
      SkipSpace();
      if (AtEnd()) return Invalid(ill_formed);
      char c = Peek();
      if (c == ')') break;
      if (c != '\'' && c != '"') return fail(true);
      auto item = Quoted();
      if (!item.ok()) return fail(false);
      v->items.push_back(std::move(item).value());
      SkipSpace();
      if (!AtEnd() && Peek() == ',') {
        ++pos_;
      } else if (AtEnd() || Peek() != ')') {
        return fail(false);
      }
    }
    ++pos_;  // ')'
    if (v->items.empty()) {
      v->list_error =
          Invalid(kPrefix + "expected a non-empty list of string values, but got empty list");
    }
    return Status::Ok();
  }

  std::string_view in_;
  bool quote_clauses_;
  size_t pos_ = 0;
};

// ------------------------------------------------------------- MLflow's keys

enum class Entity { kMetric, kParam, kTag, kAttribute, kDataset };

std::string_view EntityName(Entity e) {
  switch (e) {
    case Entity::kMetric: return "metric";
    case Entity::kParam: return "parameter";
    case Entity::kTag: return "tag";
    case Entity::kAttribute: return "attribute";
    case Entity::kDataset: return "dataset";
  }
  return "";
}

enum class AttrKind { kString, kTime, kRunStatus, kUnsupported };

struct AttrSpec {
  std::string_view key;
  AttrKind kind;
  std::string_view path;
  bool orderable;
};

constexpr AttrSpec kRunAttrs[] = {
    {"run_id", AttrKind::kString, "sys/id", true},
    {"run_name", AttrKind::kString, "sys/name", true},
    {"run name", AttrKind::kString, "sys/name", false},
    {"Run name", AttrKind::kString, "sys/name", false},
    {"Run Name", AttrKind::kString, "sys/name", false},
    {"status", AttrKind::kRunStatus, "sys/state", true},
    {"user_id", AttrKind::kString, "tags/mlflow.user", true},
    {"start_time", AttrKind::kTime, "sys/created_at", true},
    {"created", AttrKind::kTime, "sys/created_at", true},
    {"Created", AttrKind::kTime, "sys/created_at", true},
    {"end_time", AttrKind::kTime, "sys/updated_at", true},
    {"artifact_uri", AttrKind::kUnsupported, "", true},
};
constexpr AttrSpec kExperimentAttrs[] = {
    {"name", AttrKind::kString, "sys/name", true},
    {"experiment_id", AttrKind::kString, "sys/id", true},
    {"creation_time", AttrKind::kTime, "sys/created_at", true},
    {"last_update_time", AttrKind::kTime, "sys/updated_at", true},
};
constexpr AttrSpec kLoggedModelAttrs[] = {
    {"name", AttrKind::kString, "sys/name", true},
    {"model_id", AttrKind::kString, "sys/id", true},
    {"model_type", AttrKind::kUnsupported, "", true},
    {"status", AttrKind::kString, "model/status", true},
    {"source_run_id", AttrKind::kString, "model/source_run_id", true},
    {"creation_timestamp", AttrKind::kTime, "sys/created_at", true},
    {"creation_time", AttrKind::kTime, "sys/created_at", true},
    {"last_updated_timestamp", AttrKind::kTime, "sys/updated_at", true},
    {"last_updated_time", AttrKind::kTime, "sys/updated_at", true},
};

std::pair<const AttrSpec*, size_t> AttrsOf(SearchTarget t) {
  switch (t) {
    case SearchTarget::kRuns: return {kRunAttrs, std::size(kRunAttrs)};
    case SearchTarget::kExperiments: return {kExperimentAttrs, std::size(kExperimentAttrs)};
    case SearchTarget::kLoggedModels: return {kLoggedModelAttrs, std::size(kLoggedModelAttrs)};
  }
  return {kRunAttrs, 0};
}

std::string_view Noun(SearchTarget t) {
  switch (t) {
    case SearchTarget::kRuns: return "runs";
    case SearchTarget::kExperiments: return "experiments";
    case SearchTarget::kLoggedModels: return "logged models";
  }
  return "";
}

// Python's rendering of a set of strings: {'a', 'b'}.
std::string PySet(std::initializer_list<std::string_view> items) {
  std::string out = "{";
  for (std::string_view s : items) {
    if (out.size() > 1) out += ", ";
    out += "'" + std::string(s) + "'";
  }
  return out + "}";
}

Result<const AttrSpec*> FindAttribute(std::string_view key, SearchTarget target, bool for_order) {
  auto [attrs, n] = AttrsOf(target);
  std::string valid = "{";
  for (size_t i = 0; i < n; ++i) {
    if (for_order && !attrs[i].orderable) continue;
    if (attrs[i].key == key) return &attrs[i];
    if (valid.size() > 1) valid += ", ";
    valid += "'" + std::string(attrs[i].key) + "'";
  }
  // The key is not in the list, so the list is complete.
  return Invalid("Invalid attribute key '" + std::string(key) + "' specified. Valid keys are '" +
                 valid + "}'");
}

// The entity of `name`: MLflow's spellings, per target.
Result<Entity> ResolveEntity(const Name& name, SearchTarget target) {
  if (!name.has_entity) return Entity::kAttribute;
  std::string_view e = name.entity;
  if (target == SearchTarget::kExperiments) {
    if (e == "attribute" || e == "attributes") return Entity::kAttribute;
    if (e == "tag" || e == "tags") return Entity::kTag;
    return Invalid("Invalid entity type '" + std::string(e) +
                   "'. Valid entity types are ('attribute', 'tag', 'tags')");
  }
  if (e == "metric" || e == "metrics") return Entity::kMetric;
  if (e == "parameter" || e == "parameters" || e == "param" || e == "params") return Entity::kParam;
  if (e == "tag" || e == "tags") return Entity::kTag;
  if (e == "attribute" || e == "attr" || e == "attributes" || e == "run") return Entity::kAttribute;
  if (e == "dataset" || e == "datasets") return Entity::kDataset;
  return Invalid("Invalid entity type '" + std::string(e) +
                 "'. Valid values are ['metric', 'parameter', 'tag', 'attribute', 'dataset']");
}

Status CheckDatasetKey(std::string_view key) {
  if (key == "name" || key == "digest" || key == "context") return Status::Ok();
  return Invalid("Invalid dataset key '" + std::string(key) + "' specified. Valid keys are '" +
                 PySet({"name", "digest", "context"}) + "'");
}

Status DatasetsUnsupported(const Name& name) {
  return Invalid("Searching by datasets ('" + name.text + "') is not supported by Sextant yet");
}

// The Sextant path of a metric, param or tag key.
std::string KeyPath(Entity e, std::string_view key, SearchTarget target) {
  switch (e) {
    case Entity::kParam: return "params/" + std::string(key);
    case Entity::kTag:
      if (target == SearchTarget::kRuns && key == "mlflow.runName") return "sys/name";
      return "tags/" + std::string(key);
    default: return std::string(key);
  }
}

Status EmptyKey(Entity e, const Name& name) {
  return Invalid("Invalid " + std::string(EntityName(e)) + " key '' in '" + Shorten(name.text) +
                 "': keys cannot be empty");
}

// --------------------------------------------------------------- translation

const std::initializer_list<std::string_view> kNumericOps = {">", ">=", "!=", "=", "<", "<="};
const std::initializer_list<std::string_view> kStringOps = {"!=", "=",  "LIKE",
                                                            "ILIKE", "IN", "NOT IN"};
const std::initializer_list<std::string_view> kKeyOps = {"!=",    "=",       "LIKE",
                                                         "ILIKE", "IS NULL", "IS NOT NULL"};
const std::initializer_list<std::string_view> kModelKeyOps = {"!=", "=", "LIKE", "ILIKE"};

Status CheckComparator(std::string_view op, std::initializer_list<std::string_view> valid) {
  for (std::string_view v : valid) {
    if (v == op) return Status::Ok();
  }
  return Invalid("Invalid comparator '" + std::string(op) + "' not one of '" + PySet(valid) + "'");
}

// The value of a number token. Beyond the double range is ±inf (the caller
// decides); below it, ±0.
double ParseNumber(std::string_view text) {
  double d = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
  if (ec == std::errc()) return d;
  // Out of range: decide overflow or underflow from the decimal exponent.
  bool negative = !text.empty() && text[0] == '-';
  size_t p = negative ? 1 : 0;
  long magnitude = 0;  // roughly log10 of the value
  bool seen_nonzero = false;
  bool after_point = false;
  for (; p < text.size() && text[p] != 'e' && text[p] != 'E'; ++p) {
    if (text[p] == '.') {
      after_point = true;
    } else if (!seen_nonzero && text[p] == '0') {
      if (after_point) --magnitude;
    } else {
      seen_nonzero = true;
      if (!after_point) ++magnitude;
    }
  }
  long exponent = 0;
  if (p < text.size()) {
    size_t q = p + 1;
    bool exp_negative = q < text.size() && text[q] == '-';
    if (q < text.size() && (text[q] == '-' || text[q] == '+')) ++q;
    for (; q < text.size() && exponent < 1'000'000; ++q) exponent = exponent * 10 + (text[q] - '0');
    if (exp_negative) exponent = -exponent;
  }
  double big = magnitude + exponent > 0 ? HUGE_VAL : 0.0;
  return negative ? -big : big;
}

std::string StringCondition(const std::string& path, const std::string& op, const Operand& v) {
  std::string p = query::QuotePath(path);
  if (op == "IN" || op == "NOT IN") {
    bool in = op == "IN";
    std::string out;
    for (const std::string& item : v.items) {
      if (!out.empty()) out += in ? " or " : " and ";
      out += p + (in ? " = " : " != ") + query::QuoteString(item);
    }
    return in && v.items.size() > 1 ? "(" + out + ")" : out;
  }
  if (op == "LIKE" || op == "ILIKE") {
    return p + " ~ " + query::QuoteString(LikeToRegex(v.str, op == "ILIKE"));
  }
  return p + " " + op + " " + query::QuoteString(v.str);
}

// `path >= us`, `path < us`, clamped to the datetimes Sextant can write (every
// stored datetime is within them, so the clamped condition means the same).
std::string DatetimeCondition(const std::string& p, std::string_view op, int64_t us) {
  return p + " " + std::string(op) + " datetime(\"" + FormatDatetime(us) + "\")";
}
std::string AtOrAfter(const std::string& p, int64_t us) {
  if (us <= model::kMinDatetimeUs) return DatetimeCondition(p, ">=", model::kMinDatetimeUs);
  if (us > model::kMaxTimestampUs) return DatetimeCondition(p, ">", model::kMaxTimestampUs);
  return DatetimeCondition(p, ">=", us);
}
std::string Before(const std::string& p, int64_t us) {
  if (us <= model::kMinDatetimeUs) return DatetimeCondition(p, "<", model::kMinDatetimeUs);
  if (us > model::kMaxTimestampUs) return DatetimeCondition(p, "<=", model::kMaxTimestampUs);
  return DatetimeCondition(p, "<", us);
}

// MLflow's millisecond value n = floor(t / 1000) of a datetime t (µs)
// compared with `ms`, as conditions on t.
std::string TimeCondition(const std::string& path, const std::string& op, double ms) {
  constexpr double kBound = 1e15;  // beyond year 9999 either way
  double c = std::isnan(ms) ? 0 : ms < -kBound ? -kBound : ms > kBound ? kBound : ms;
  int64_t lo = static_cast<int64_t>(std::ceil(c));   // least whole n >= ms
  int64_t hi = static_cast<int64_t>(std::floor(c));  // greatest whole n <= ms
  int64_t first_at_lo = lo * 1000;                   // n >= lo  <=>  t >= lo * 1000
  int64_t first_above_hi = (hi + 1) * 1000;          // n > hi   <=>  t >= (hi + 1) * 1000
  std::string p = query::QuotePath(path);
  if (op == ">") return AtOrAfter(p, first_above_hi);
  if (op == ">=") return AtOrAfter(p, first_at_lo);
  if (op == "<") return Before(p, first_at_lo);
  if (op == "<=") return Before(p, first_above_hi);
  if (op == "=") return AtOrAfter(p, first_at_lo) + " and " + Before(p, first_above_hi);
  return "(" + Before(p, first_at_lo) + " or " + AtOrAfter(p, first_above_hi) + ")";  // !=
}

// MLflow run statuses onto Sextant run states (bit i is kStates[i]).
constexpr std::string_view kStates[] = {"running", "stale", "finished", "failed"};
constexpr unsigned kAllStates = 0b1111;
struct StatusMapping {
  std::string_view mlflow;
  unsigned states;
};
constexpr StatusMapping kStatuses[] = {
    {"RUNNING", 0b0011}, {"SCHEDULED", 0b0011}, {"FINISHED", 0b0100},
    {"FAILED", 0b1000},  {"KILLED", 0b1000},
};

std::string StatusCondition(const std::string& op, const std::string& value) {
  unsigned states = 0;
  for (const StatusMapping& s : kStatuses) {
    bool match = op == "=" || op == "!=" ? s.mlflow == value
                                         : LikeMatches(value, s.mlflow, op == "ILIKE");
    if (match) states |= s.states;
  }
  if (op == "!=") states = kAllStates & ~states;
  if (states == 0) return "not exists(sys/state)";  // every run has a state
  if (states == kAllStates) return "exists(sys/state)";
  std::string out;
  int n = 0;
  for (size_t i = 0; i < std::size(kStates); ++i) {
    if ((states & (1u << i)) == 0) continue;
    if (n++ > 0) out += " or ";
    out += "sys/state = " + query::QuoteString(kStates[i]);
  }
  return n > 1 ? "(" + out + ")" : out;
}

Status UnsupportedAttribute(std::string_view key, SearchTarget target, std::string_view verb) {
  return Invalid(std::string(verb) + " " + std::string(Noun(target)) + " by '" + std::string(key) +
                 "' is not supported by Sextant");
}

// Value checks, in MLflow's order and words (SearchUtils._get_value).
Status CheckValue(Entity e, const AttrSpec* attr, const Clause& c, SearchTarget target) {
  const Operand& v = c.value;
  auto not_quoted = [&] {
    return Invalid("Parameter value is either not quoted or unidentified quote types used for "
                   "string value " + Shorten(v.text) + ". Use either single or double quotes.");
  };
  switch (e) {
    case Entity::kMetric:
      if (v.kind != ValueKind::kNumber) {
        return Invalid("Expected numeric value type for metric. Found " + Shorten(v.text));
      }
      return Status::Ok();
    case Entity::kParam:
    case Entity::kTag:
      if (v.kind == ValueKind::kName) return not_quoted();
      if (v.kind != ValueKind::kString) {
        return Invalid("Expected a quoted string value for " + std::string(EntityName(e)) +
                       " (e.g. 'my-value'). Got value " + Shorten(v.text));
      }
      return Status::Ok();
    case Entity::kDataset:
      if (v.kind != ValueKind::kString && v.kind != ValueKind::kList) {
        if (v.kind == ValueKind::kName) return not_quoted();
        return Invalid("Expected a quoted string value for dataset attributes. Got value " +
                       Shorten(v.text));
      }
      return v.list_error;
    case Entity::kAttribute:
      break;
  }
  if (attr->kind == AttrKind::kTime) {
    if (v.kind != ValueKind::kNumber) {
      return Invalid("Expected numeric value type for numeric attribute: " +
                     std::string(attr->key) + ". Found " + Shorten(v.text));
    }
    return Status::Ok();
  }
  if (v.kind == ValueKind::kName) return not_quoted();
  if (v.kind == ValueKind::kList) {
    // Which attributes take a list (SearchUtils.LIST_SUPPORTED_KEYS).
    if (target == SearchTarget::kRuns && attr->key != "run_id") {
      return Invalid("Only ['run_id'] attributes support comparison with a list of quoted string "
                     "values.");
    }
    if (target == SearchTarget::kExperiments && attr->key != "experiment_id") {
      return Invalid("Only ['experiment_id'] attributes support comparison with a list of quoted "
                     "string values.");
    }
    return v.list_error;
  }
  if (v.kind != ValueKind::kString) {
    return Invalid("Expected a quoted string value for attributes. Got value " + Shorten(v.text));
  }
  return Status::Ok();
}

Result<std::string> TranslateClause(const Clause& c, SearchTarget target) {
  ASSIGN_OR_RETURN(Entity e, ResolveEntity(c.name, target));
  const AttrSpec* attr = nullptr;
  if (e == Entity::kAttribute) {
    ASSIGN_OR_RETURN(attr, FindAttribute(c.name.key, target, false));
  } else if (e == Entity::kDataset) {
    RETURN_IF_ERROR(CheckDatasetKey(c.name.key));
  }
  bool is_null_test = c.op == "IS NULL" || c.op == "IS NOT NULL";
  if (is_null_test) {
    if (target == SearchTarget::kExperiments && e != Entity::kTag) {
      return Invalid("IS NULL / IS NOT NULL is only supported for tags, not for attribute '" +
                     c.name.key + "'");
    }
    if (e != Entity::kTag && e != Entity::kParam) {
      return Invalid("IS NULL / IS NOT NULL is only supported for tags and params, not for '" +
                     std::string(EntityName(e)) + "' '" + c.name.key + "'");
    }
  } else {
    RETURN_IF_ERROR(CheckValue(e, attr, c, target));
  }
  switch (e) {
    case Entity::kMetric: RETURN_IF_ERROR(CheckComparator(c.op, kNumericOps)); break;
    case Entity::kParam:
    case Entity::kTag:
      RETURN_IF_ERROR(CheckComparator(c.op, target == SearchTarget::kLoggedModels ? kModelKeyOps
                                                                                  : kKeyOps));
      break;
    case Entity::kAttribute:
      RETURN_IF_ERROR(
          CheckComparator(c.op, attr->kind == AttrKind::kTime ? kNumericOps : kStringOps));
      break;
    case Entity::kDataset: RETURN_IF_ERROR(CheckComparator(c.op, kStringOps)); break;
  }
  // MLflow accepted the clause; now what Sextant cannot do.
  if (e == Entity::kDataset) return DatasetsUnsupported(c.name);
  if (attr != nullptr && attr->kind == AttrKind::kUnsupported) {
    return UnsupportedAttribute(attr->key, target, "Searching");
  }
  bool wants_list = c.op == "IN" || c.op == "NOT IN";
  if (!is_null_test && wants_list && c.value.kind != ValueKind::kList) {
    return Invalid("Invalid comparison clause. " + c.op +
                   " needs a parenthesised list of quoted strings, like run_id IN ('a', 'b')");
  }
  if (!is_null_test && !wants_list && c.value.kind == ValueKind::kList) {
    return Invalid("Invalid comparison clause. A list of values can only be compared with IN or "
                   "NOT IN, not '" + c.op + "'");
  }
  if (c.name.key.empty()) return EmptyKey(e, c.name);

  if (e == Entity::kAttribute) {
    switch (attr->kind) {
      case AttrKind::kTime: {
        std::string time =
            TimeCondition(std::string(attr->path), c.op, ParseNumber(c.value.text));
        // A run has an end_time once it has ended; until then MLflow's is null.
        if (target == SearchTarget::kRuns && attr->key == "end_time") {
          return "(sys/state = \"finished\" or sys/state = \"failed\") and " + time;
        }
        return time;
      }
      case AttrKind::kRunStatus: return StatusCondition(c.op, c.value.str);
      default: return StringCondition(std::string(attr->path), c.op, c.value);
    }
  }
  std::string path = KeyPath(e, c.name.key, target);
  if (c.op == "IS NULL") return "not exists(" + query::QuotePath(path) + ")";
  if (c.op == "IS NOT NULL") return "exists(" + query::QuotePath(path) + ")";
  if (e != Entity::kMetric) return StringCondition(path, c.op, c.value);
  double d = ParseNumber(c.value.text);
  if (std::isinf(d)) {
    return Invalid("The value " + Shorten(c.value.text) + " in '" + Shorten(c.name.text) +
                   "' is beyond the range of a double");
  }
  std::string number = FormatNumber(d);
  // A subnormal that the filter lexer might refuse as out of range reads as 0.
  double check = 0;
  if (std::from_chars(number.data(), number.data() + number.size(), check).ec != std::errc()) {
    number = FormatNumber(std::signbit(d) ? -0.0 : 0.0);
  }
  return query::QuotePath(path) + " " + c.op + " " + number;
}

Result<Clause> ScanClause(Scanner& in) {
  Clause c;
  ASSIGN_OR_RETURN(c.name, in.ScanName());
  in.SkipSpace();
  if (in.AtEnd()) return in.InvalidClause({c.name.text});
  ASSIGN_OR_RETURN(c.op, in.ScanComparator());
  if (c.op == "IS NULL" || c.op == "IS NOT NULL") return c;
  in.SkipSpace();
  if (in.AtEnd()) return in.InvalidClause({c.name.text, c.op});
  ASSIGN_OR_RETURN(c.value, in.ScanOperand());
  return c;
}

Status TooLong(size_t bytes) {
  return Invalid("The filter is too long: in Sextant's filter language it is " +
                 std::to_string(bytes) + " bytes or more, and the limit is " +
                 std::to_string(query::kMaxFilterBytes));
}

// ------------------------------------------------------------------ order_by

Status CouldNotParse(std::string_view entry) {
  return Invalid("Invalid order_by clause '" + Shorten(entry) + "'. Could not be parsed.");
}

// Splits "<key> [ASC|DESC]" (runs, experiments).
Result<std::pair<Name, bool>> ScanOrderEntry(std::string_view entry) {
  Scanner in(entry, true);
  in.SkipSpace();
  if (in.AtEnd()) return CouldNotParse(entry);
  auto name = in.ScanName();
  if (!name.ok()) return CouldNotParse(entry);
  bool descending = false;
  if (!in.AtEnd() && !IsSpace(in.Peek())) return CouldNotParse(entry);  // "metrics.a, x"
  in.SkipSpace();
  if (!in.AtEnd()) {
    std::string dir = UpperAscii(in.Word());
    in.SkipSpace();
    if (dir.empty() || !in.AtEnd()) return CouldNotParse(entry);
    if (dir != "ASC" && dir != "DESC") {
      return Invalid("Invalid ordering key in order_by clause '" + Shorten(entry) + "'.");
    }
    descending = dir == "DESC";
  }
  return std::make_pair(std::move(name).value(), descending);
}

Result<OrderKey> OrderKeyForRunsOrExperiments(std::string_view entry, SearchTarget target) {
  ASSIGN_OR_RETURN(auto parsed, ScanOrderEntry(entry));
  const Name& name = parsed.first;
  ASSIGN_OR_RETURN(Entity e, ResolveEntity(name, target));
  if (e == Entity::kAttribute) {
    ASSIGN_OR_RETURN(const AttrSpec* attr, FindAttribute(name.key, target, true));
    if (attr->kind == AttrKind::kUnsupported) {
      return UnsupportedAttribute(attr->key, target, "Ordering");
    }
    return OrderKey{std::string(attr->path), parsed.second};
  }
  if (e == Entity::kDataset) {
    RETURN_IF_ERROR(CheckDatasetKey(name.key));
    return Invalid("Invalid order_by entity type 'dataset'");
  }
  if (target == SearchTarget::kExperiments) {
    return Invalid("Invalid order_by entity: " + std::string(EntityName(e)));
  }
  if (name.key.empty()) return EmptyKey(e, name);
  return OrderKey{KeyPath(e, name.key, target), parsed.second};
}

// MLflow's {field_name, ascending}, written "field_name [ASC|DESC]".
Result<OrderKey> OrderKeyForLoggedModels(std::string_view entry) {
  std::string_view field = entry;
  bool descending = false;
  while (!field.empty() && IsSpace(field.back())) field.remove_suffix(1);
  size_t space = field.size();
  while (space > 0 && !IsSpace(field[space - 1])) --space;
  if (space > 0) {
    std::string dir = UpperAscii(field.substr(space));
    if (dir == "ASC" || dir == "DESC") {
      descending = dir == "DESC";
      field = field.substr(0, space);
      while (!field.empty() && IsSpace(field.back())) field.remove_suffix(1);
    }
  }
  if (size_t dot = field.find('.'); dot != std::string_view::npos) {
    std::string_view entity = field.substr(0, dot);
    if (entity != "metrics") {
      return Invalid("Invalid order by field name: " + Shorten(entity) +
                     ", only `metrics.<name>` is allowed.");
    }
    if (dot + 1 == field.size()) {
      return Invalid("Invalid order by field name: " + Shorten(field) + ".");
    }
    return OrderKey{std::string(field.substr(dot + 1)), descending};
  }
  while (!field.empty() && IsSpace(field.front())) field.remove_prefix(1);
  for (const AttrSpec& a : kLoggedModelAttrs) {
    if (a.key != field) continue;
    if (a.kind == AttrKind::kUnsupported) {
      return UnsupportedAttribute(a.key, SearchTarget::kLoggedModels, "Ordering");
    }
    return OrderKey{std::string(a.path), descending};
  }
  return Invalid("Invalid order by field name: " + Shorten(field) + ".");
}

}  // namespace

Result<std::string> TranslateFilter(std::string_view mlflow_filter, SearchTarget target) {
  if (!model::IsValidUtf8(mlflow_filter)) return Invalid("Invalid filter string: it is not valid UTF-8");
  Scanner in(mlflow_filter, target != SearchTarget::kExperiments);
  std::string out;
  while (true) {
    in.SkipSpace();
    if (in.AtEnd()) break;
    // MLflow skips stray ANDs (leading, doubled, trailing); so do we.
    if (in.TakeKeyword("AND")) continue;
    std::string next = in.NextToken();
    if (in.TakeKeyword("OR")) return in.InvalidClause({next.substr(0, 2)});
    ASSIGN_OR_RETURN(Clause clause, ScanClause(in));
    ASSIGN_OR_RETURN(std::string condition, TranslateClause(clause, target));
    if (!out.empty()) out += " and ";
    out += condition;
    if (out.size() > query::kMaxFilterBytes) return TooLong(out.size());
    in.SkipSpace();
    if (!in.AtEnd() && !in.TakeKeyword("AND")) return in.InvalidClause({in.NextToken()});
  }
  return out;
}

Result<std::vector<OrderKey>> TranslateOrderBy(const std::vector<std::string>& order_by,
                                               SearchTarget target) {
  std::vector<OrderKey> keys;
  for (const std::string& entry : order_by) {
    if (!model::IsValidUtf8(entry)) return Invalid("Invalid order_by clause: it is not valid UTF-8");
    if (target == SearchTarget::kLoggedModels) {
      ASSIGN_OR_RETURN(OrderKey key, OrderKeyForLoggedModels(entry));
      keys.push_back(std::move(key));
    } else {
      ASSIGN_OR_RETURN(OrderKey key, OrderKeyForRunsOrExperiments(entry, target));
      keys.push_back(std::move(key));
    }
  }
  return keys;
}

}  // namespace sextant::api::mlflow
