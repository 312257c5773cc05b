#include "api/native/account_json.h"

#include "auth/roles.h"

namespace sextant::api::native {

using simdjson::dom::element;
using simdjson::dom::element_type;

namespace {
Result<std::optional<element>> Field(element obj, const char* key) {
  element v;
  if (obj[key].get(v)) return std::optional<element>();
  if (v.is_null()) return std::optional<element>();
  return std::optional<element>(v);
}
}  // namespace

Result<std::optional<std::string>> StringField(element obj, const char* key) {
  ASSIGN_OR_RETURN(auto v, Field(obj, key));
  if (!v) return std::optional<std::string>();
  std::string_view s;
  if (v->get(s)) return Status::InvalidArgument(std::string(key) + ": expected a string");
  return std::optional<std::string>(std::string(s));
}

Result<std::optional<bool>> BoolField(element obj, const char* key) {
  ASSIGN_OR_RETURN(auto v, Field(obj, key));
  if (!v) return std::optional<bool>();
  bool b;
  if (v->get(b)) return Status::InvalidArgument(std::string(key) + ": expected true or false");
  return std::optional<bool>(b);
}

Result<std::optional<int64_t>> IntField(element obj, const char* key) {
  ASSIGN_OR_RETURN(auto v, Field(obj, key));
  if (!v) return std::optional<int64_t>();
  int64_t i;
  if (v->get(i)) return Status::InvalidArgument(std::string(key) + ": expected an integer");
  return std::optional<int64_t>(i);
}

Result<std::vector<std::string>> StringListField(element obj, const char* key) {
  ASSIGN_OR_RETURN(auto v, Field(obj, key));
  std::vector<std::string> out;
  if (!v) return out;
  simdjson::dom::array a;
  if (v->get(a)) return Status::InvalidArgument(std::string(key) + ": expected a list of strings");
  for (element e : a) {
    std::string_view s;
    if (e.get(s)) return Status::InvalidArgument(std::string(key) + ": expected a list of strings");
    out.emplace_back(s);
  }
  return out;
}

void WriteUser(JsonWriter& w, const storage::PrincipalRow& p) {
  w.BeginObject().Key("name").String(p.name).Key("kind").String(p.service ? "service" : "user");
  w.Key("owner").Bool(p.owner).Key("disabled").Bool(p.disabled);
  w.Key("created_us").Int(p.created_us).EndObject();
}

void WriteToken(JsonWriter& w, const storage::TokenRow& t) {
  w.BeginObject().Key("id").Int(t.id).Key("principal").String(t.principal).Key("name").String(t.name);
  w.Key("created_us").Int(t.created_us).Key("expires_us");
  t.expires_us ? w.Int(*t.expires_us) : w.Null();
  w.Key("projects").BeginArray();
  for (const auto& p : t.projects) w.String(p);
  w.EndArray().Key("role");
  t.max_role ? w.String(auth::RoleName(static_cast<auth::Role>(t.max_role))) : w.Null();
  w.Key("last_used_us");
  t.last_used_us ? w.Int(*t.last_used_us) : w.Null();
  w.Key("revoked").Bool(t.revoked_us.has_value()).EndObject();
}

void WriteMember(JsonWriter& w, const storage::MemberRow& m) {
  w.BeginObject().Key("principal").String(m.principal);
  w.Key("role").String(auth::RoleName(static_cast<auth::Role>(m.role)));
  w.Key("scope").String(m.project.empty() ? "workspace" : "project").EndObject();
}

void WriteAudit(JsonWriter& w, const storage::AuditRow& a) {
  w.BeginObject().Key("id").Int(a.id).Key("time_us").Int(a.time_us);
  w.Key("principal").String(a.principal).Key("address").String(a.address);
  w.Key("action").String(a.action).Key("target").String(a.target).Key("detail").String(a.detail);
  w.EndObject();
}

}  // namespace sextant::api::native
