#include "api/neptune/read_common.h"

#include <gtest/gtest.h>

namespace sextant::api::neptune {
namespace {

using model::AttrType;

TEST(NeptuneRead, TypeNamesRoundTrip) {
  for (AttrType t : {AttrType::kFloat, AttrType::kInt, AttrType::kBool, AttrType::kString, AttrType::kDatetime,
                     AttrType::kStringSet, AttrType::kFloatSeries, AttrType::kStringSeries,
                     AttrType::kHistogramSeries, AttrType::kFile, AttrType::kFileSeries})
    EXPECT_EQ(SextantType(NeptuneType(t)), t) << NeptuneType(t);
  EXPECT_EQ(NeptuneType(AttrType::kFile), "fileRef");
  EXPECT_EQ(NeptuneType(AttrType::kFileSeries), "fileRefSeries");
  EXPECT_TRUE(IsNeptuneType("experimentState"));
  EXPECT_FALSE(SextantType("experimentState"));
  EXPECT_FALSE(IsNeptuneType("float_series"));
}

TEST(NeptuneRead, RunIdentifiers) {
  auto r = ParseRunIdentifier("ws/proj/run-1");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->project.Full(), "ws/proj");
  EXPECT_EQ(r->run_id, "run-1");
  r = ParseRunIdentifier("CUSTOM/ws/proj/a.b:c");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->run_id, "a.b:c");
  for (const char* bad : {"", "ws", "ws/proj", "ws/proj/", "ws/proj/a/b", "CUSTOM/ws/proj", "w s/proj/x"})
    EXPECT_EQ(ParseRunIdentifier(bad).status().code(), Code::kInvalidArgument) << bad;
}

TEST(NeptuneRead, StepBoundsRoundTowardsTheRange) {
  EXPECT_EQ(StepBound(1.5, true).value(), 1'500'000);
  EXPECT_EQ(StepBound(3.000001, false).value(), 3'000'001);
  EXPECT_EQ(StepBound(1e-7, true).value(), 1);
  EXPECT_EQ(StepBound(1e-7, false).value(), 0);
  EXPECT_EQ(StepBound(-1e-7, true).value(), 0);
  EXPECT_EQ(StepBound(1e300, false).value(), model::kMaxAbsMicroStep);
  EXPECT_EQ(StepBound(std::nan(""), true).status().code(), Code::kInvalidArgument);
}

TEST(NeptuneRead, Histograms) {
  pb::ProtoHistogram h;
  ASSERT_TRUE(HistogramFromJson(R"({"edges":[0,1,2.5],"counts":[3,4]})", &h));
  EXPECT_EQ(h.type(), "COUNTING");
  EXPECT_EQ(std::vector<double>(h.edges().begin(), h.edges().end()), (std::vector<double>{0, 1, 2.5}));
  EXPECT_EQ(std::vector<double>(h.values().begin(), h.values().end()), (std::vector<double>{3, 4}));
  pb::ProtoHistogram d;
  ASSERT_TRUE(HistogramFromJson(R"({"edges":[0,0.5,1],"counts":[0.25,0.75]})", &d));
  EXPECT_EQ(d.type(), "DENSITY");
  pb::ProtoHistogram bad;
  EXPECT_FALSE(HistogramFromJson("not json", &bad));
  EXPECT_FALSE(HistogramFromJson(R"({"edges":[0,1]})", &bad));
}

TEST(NeptuneRead, MimeTypes) {
  EXPECT_EQ(MimeType("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "x.bin"), "image/png");
  EXPECT_EQ(MimeType("hello", "notes.TXT"), "text/plain");
  EXPECT_EQ(MimeType("{}", "a/b.json"), "application/json");
  EXPECT_EQ(MimeType("", "noext"), "application/octet-stream");
  EXPECT_EQ(MimeType("", ".hidden"), "application/octet-stream");
}

storage::AttributeInfo Attr(std::string path, model::Value v, std::optional<int64_t> last_step = std::nullopt) {
  storage::AttributeInfo a;
  a.path = std::move(path);
  a.type = v.type;
  a.value = std::move(v);
  a.last_step = last_step;
  return a;
}

TEST(NeptuneRead, AttributeValues) {
  pb::ProtoAttributeDTO out;
  ASSERT_TRUE(ToProtoAttribute("cfg/dt", Attr("cfg/dt", model::Value::Datetime(-1'500)), nullptr, &out));
  EXPECT_EQ(out.type(), "datetime");
  EXPECT_EQ(out.datetime_properties().value(), -2);  // ms, rounded down
  out.Clear();
  ASSERT_TRUE(ToProtoAttribute("cfg/b", Attr("cfg/b", model::Value::Bool(true)), nullptr, &out));
  EXPECT_TRUE(out.bool_properties().value());
  out.Clear();
  ASSERT_TRUE(ToProtoAttribute("sys/tags", Attr("sys/tags", model::Value::StringSet({"b", "a"})), nullptr, &out));
  EXPECT_EQ(out.type(), "stringSet");
  EXPECT_EQ(out.string_set_properties().value_size(), 2);
  out.Clear();
  model::Value loss = model::Value::Float(0.125);
  loss.type = AttrType::kFloatSeries;
  ASSERT_TRUE(ToProtoAttribute("m/loss", Attr("m/loss", loss, 2'500'000), nullptr, &out));
  EXPECT_EQ(out.type(), "floatSeries");
  EXPECT_EQ(out.float_series_properties().last(), 0.125);
  EXPECT_EQ(out.float_series_properties().last_step(), 2.5);
  EXPECT_FALSE(out.float_series_properties().has_min());
  out.Clear();
  model::Value file;
  file.type = AttrType::kFileSeries;
  file.s = "digest";
  file.i = 10;
  std::optional<int64_t> asked;
  FileLookup files = [&](const std::string& path, std::optional<int64_t> step) {
    asked = step;
    return FileDetails{"sextant/r/" + path, 10, "image/png"};
  };
  ASSERT_TRUE(ToProtoAttribute("fs/img", Attr("fs/img", file, 3'000'000), files, &out));
  EXPECT_EQ(out.type(), "fileRefSeries");
  EXPECT_EQ(asked, 3'000'000);
  EXPECT_EQ(out.file_ref_series_properties().last().path(), "sextant/r/fs/img");
  EXPECT_EQ(out.file_ref_series_properties().last_step(), 3.0);
}

TEST(NeptuneRead, SystemAttributes) {
  storage::RunInfo run;
  run.run_id = "r1";
  run.name = "exp";
  run.experiment = "exp";
  run.created_us = 1'000'000;
  run.state = model::RunState::kFailed;
  auto all = SysAttributes(run);
  std::vector<std::string> names;
  for (const auto& a : all) names.push_back(a.path);
  EXPECT_EQ(names, (std::vector<std::string>{"sys/id", "sys/custom_run_id", "sys/name", "sys/experiment/name",
                                              "sys/creation_time", "sys/modification_time", "sys/failed"}));
  EXPECT_EQ(SysAttribute(run, "sys/custom_run_id")->value.s, "r1");
  EXPECT_EQ(SysAttribute(run, "sys/failed")->value.i, 1);
  EXPECT_FALSE(SysAttribute(run, "sys/tags"));
  run.experiment.clear();
  EXPECT_FALSE(SysAttribute(run, "sys/experiment/name"));
}

TEST(NeptuneRead, AttributeSelector) {
  auto body = nlohmann::json::parse(R"({
    "attributeFilter": [{"attributeType": "float"}, {"attributeType": "floatSeries"}],
    "attributeNameFilter": {"mustMatchAny": [{"mustMatchRegexes": ["config\/"], "mustNotMatchRegexes": ["bs"]},
                                              {"mustMatchRegexes": ["^train\\-loss$"]}]}})");
  auto s = AttributeSelector::FromJson(body);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_TRUE(s->Matches("config/lr", AttrType::kFloat));
  EXPECT_FALSE(s->Matches("config/bs", AttrType::kFloat));
  EXPECT_FALSE(s->Matches("config/lr", AttrType::kInt));
  EXPECT_TRUE(s->Matches("train-loss", AttrType::kFloatSeries));
  EXPECT_FALSE(s->Matches("train-loss2", AttrType::kFloatSeries));

  auto all = AttributeSelector::FromJson(nlohmann::json::parse(R"({"attributeNameFilter": {}})"));
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->Matches("anything", AttrType::kFileSeries));

  auto only_state = AttributeSelector::FromJson(nlohmann::json::parse(R"({"attributeFilter": [{"attributeType": "experimentState"}]})"));
  ASSERT_TRUE(only_state.ok());
  EXPECT_FALSE(only_state->Matches("sys/state", AttrType::kString));

  for (const char* bad : {R"({"attributeFilter": [{"attributeType": "float_series"}]})",
                          R"({"attributeFilter": {}})",
                          R"({"attributeNameFilter": {"mustMatchAny": [{"mustMatchRegexes": ["("]}]}})",
                          R"({"attributeNameFilter": {"mustMatchAny": [{"mustMatchRegexes": [1]}]}})"}) {
    auto r = AttributeSelector::FromJson(nlohmann::json::parse(bad));
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << bad;
  }
}

TEST(NeptuneRead, Formulas) {
  EXPECT_EQ(FormulaAttribute("${train/loss}").value(), "train/loss");
  EXPECT_EQ(FormulaAttribute(R"(${a\$b\{c\}\\d})").value(), R"(a$b{c}\d)");
  for (const char* bad : {"", "train/loss", "${}", "${a} + ${b}", "${a", "$a}", "${a\\}"})
    EXPECT_EQ(FormulaAttribute(bad).status().code(), Code::kInvalidArgument) << bad;
}

}  // namespace
}  // namespace sextant::api::neptune
