#include "api/neptune/ingest_decode.h"

#include <gtest/gtest.h>

#include "api/neptune/proto/ingest.pb.h"

namespace sextant::api::neptune {
namespace {

namespace pb = ::sextant::neptune;

pb::RunOperation Op(const std::string& project = "ws/proj", const std::string& run = "run-1") {
  pb::RunOperation op;
  op.set_project(project);
  op.set_run_id(run);
  return op;
}

Result<DecodedOperation> Decode(const pb::RunOperation& op) {
  return DecodeRunOperation(op.SerializeAsString(), 1'700'000'000'000'000);
}

TEST(NeptuneIngestDecode, CreateWithForkExperimentAndTime) {
  auto op = Op();
  pb::Run* r = op.mutable_create();
  r->set_run_id("run-1");
  r->set_experiment_id("exp-a");
  r->mutable_creation_time()->set_seconds(1'700'000'000);
  r->mutable_creation_time()->set_nanos(123'456'000);
  r->mutable_fork_point()->set_parent_run_id("parent");
  r->mutable_fork_point()->mutable_step()->set_whole(12);
  r->mutable_fork_point()->mutable_step()->set_micro(500'000);
  r->mutable_fork_point()->set_parent_project("ws/proj");
  r->set_inherit_configs(true);
  auto d = Decode(op);
  ASSERT_TRUE(d.ok()) << d.status().message();
  ASSERT_TRUE(d->create);
  EXPECT_EQ(d->project.Full(), "ws/proj");
  EXPECT_EQ(*d->create->run_id, "run-1");
  EXPECT_EQ(*d->create->experiment_name, "exp-a");
  EXPECT_EQ(*d->create->created_us, 1'700'000'000'123'456);
  EXPECT_EQ(*d->create->fork_run_id, "parent");
  EXPECT_EQ(*d->create->fork_step, 12'500'000);
  EXPECT_TRUE(d->inherit_configs);
  ASSERT_TRUE(d->fork_parent_project);
  EXPECT_EQ(d->fork_parent_project->Full(), "ws/proj");
}

TEST(NeptuneIngestDecode, SnapshotsMergeConfigsSeriesAndTags) {
  auto op = Op();
  auto* batch = op.mutable_update_batch();
  for (int i = 0; i < 3; ++i) {
    pb::UpdateRunSnapshot* s = batch->add_snapshots();
    s->mutable_step()->set_whole(i);
    s->mutable_step()->set_micro(i == 1 ? 250'000 : 0);
    s->mutable_timestamp()->set_seconds(1'700'000'000 + i);
    (*s->mutable_append())["train/loss"].set_float64(1.0 / (i + 1));
    (*s->mutable_append())["log"].set_string("line " + std::to_string(i));
    (*s->mutable_assign())["params/lr"].set_float64(0.1 * (i + 1));  // last wins
  }
  pb::UpdateRunSnapshot* s = batch->add_snapshots();
  (*s->mutable_assign())["params/layers"].set_int64(24);
  (*s->mutable_assign())["params/flag"].set_bool_(true);
  (*s->mutable_assign())["params/name"].set_string("x");
  (*s->mutable_assign())["when"].mutable_timestamp()->set_seconds(10);
  auto* set = (*s->mutable_assign())["labels"].mutable_string_set();
  set->add_values("b");
  set->add_values("a");
  auto& tags = *(*s->mutable_modify_sets())["sys/tags"].mutable_string()->mutable_values();
  tags["keep"] = pb::ADD;
  tags["drop"] = pb::REMOVE;
  (*(*s->mutable_modify_sets())["sys/group_tags"].mutable_string()->mutable_values())["g"] = pb::ADD;

  auto d = Decode(op);
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_TRUE(d->errors.empty());
  const model::LogBatch& b = d->batch;
  ASSERT_EQ(b.series.size(), 2u);
  for (const auto& series : b.series) {
    ASSERT_EQ(series.steps, (std::vector<int64_t>{0, 1'250'000, 2'000'000})) << series.path;
    EXPECT_EQ(series.ts[2], 1'700'000'002'000'000);
    if (series.path == "train/loss") {
      EXPECT_EQ(series.type, model::AttrType::kFloatSeries);
      EXPECT_DOUBLE_EQ(series.floats[1], 0.5);
    } else {
      EXPECT_EQ(series.type, model::AttrType::kStringSeries);
      EXPECT_EQ(series.bytes[2], "line 2");
    }
  }
  std::map<std::string, model::Value> configs(b.configs.begin(), b.configs.end());
  EXPECT_DOUBLE_EQ(configs["params/lr"].f, 0.30000000000000004);
  EXPECT_EQ(configs["params/layers"], model::Value::Int(24));
  EXPECT_EQ(configs["params/flag"], model::Value::Bool(true));
  EXPECT_EQ(configs["params/name"], model::Value::String("x"));
  EXPECT_EQ(configs["when"], model::Value::Datetime(10'000'000));
  EXPECT_EQ(configs["labels"], model::Value::StringSet({"a", "b"}));
  EXPECT_EQ(b.add_tags, std::vector<std::string>{"keep"});
  EXPECT_EQ(b.remove_tags, std::vector<std::string>{"drop"});
  EXPECT_EQ(d->group_tags_add, std::vector<std::string>{"g"});
}

TEST(NeptuneIngestDecode, HistogramsAndFiles) {
  auto op = Op();
  pb::UpdateRunSnapshot* s = op.mutable_update();
  s->mutable_step()->set_whole(3);
  pb::Histogram* h = (*s->mutable_append())["hist"].mutable_histogram();
  for (double e : {0.0, 1.0, 2.0}) h->add_bin_edges(e);
  h->mutable_counts()->add_values(4);
  h->mutable_counts()->add_values(5);
  pb::FileRef* f = (*s->mutable_assign())["model"].mutable_file_ref();
  f->set_path("ws/proj/run-1/model/abc/model.pt");
  f->set_size_bytes(10);
  f->set_mime_type("application/octet-stream");
  (*s->mutable_append())["images"].mutable_file_ref()->set_path("p/img.png");
  auto d = Decode(op);
  ASSERT_TRUE(d.ok()) << d.status().message();
  ASSERT_EQ(d->batch.series.size(), 1u);
  EXPECT_EQ(d->batch.series[0].type, model::AttrType::kHistogramSeries);
  EXPECT_EQ(d->batch.series[0].bytes[0], R"({"edges":[0,1,2],"counts":[4,5]})");
  ASSERT_EQ(d->files.size(), 2u);
  for (const auto& file : d->files) {
    if (file.path == "model") {
      EXPECT_FALSE(file.step);
      EXPECT_EQ(file.storage_path, "ws/proj/run-1/model/abc/model.pt");
      EXPECT_EQ(file.size_bytes, 10);
    } else {
      EXPECT_EQ(file.path, "images");
      EXPECT_EQ(*file.step, 3'000'000);
    }
  }
}

TEST(NeptuneIngestDecode, BadItemsAreRefusedAloneWithNeptuneCodes) {
  auto op = Op();
  auto* batch = op.mutable_update_batch();
  pb::UpdateRunSnapshot* a = batch->add_snapshots();
  a->mutable_step()->set_whole(1);
  (*a->mutable_append())["x"].set_float64(1);
  (*a->mutable_append())["ok"].set_float64(1);
  pb::UpdateRunSnapshot* b = batch->add_snapshots();
  b->mutable_step()->set_whole(2);
  (*b->mutable_append())["x"].set_string("now a string");          // conflicting type
  (*b->mutable_assign())["sys/state"].set_string("x");             // not writable
  (*b->mutable_assign())["h"].mutable_histogram()->add_bin_edges(0);  // histogram config
  (*b->mutable_append())["ok"].set_bool_(true);                     // bool series
  pb::UpdateRunSnapshot* c = batch->add_snapshots();               // no step
  (*c->mutable_append())["nostep"].set_float64(1);
  auto d = Decode(op);
  ASSERT_TRUE(d.ok()) << d.status().message();
  std::map<std::string, IngestCode> codes;
  for (const auto& e : d->errors) codes[e.path] = e.code;
  EXPECT_EQ(codes["x"], IngestCode::kFieldTypeConflicting);
  EXPECT_EQ(codes["sys/state"], IngestCode::kFieldPathNonWritable);
  EXPECT_EQ(codes["h"], IngestCode::kFieldTypeUnsupported);
  EXPECT_EQ(codes["ok"], IngestCode::kFieldTypeUnsupported);
  EXPECT_EQ(codes["nostep"], IngestCode::kSeriesStepInvalid);
  ASSERT_EQ(d->batch.series.size(), 2u);  // x (float, step 1) and ok
  EXPECT_EQ(d->batch.series[0].size(), 1u);
}

TEST(NeptuneIngestDecode, MalformedBodiesAreRefused) {
  for (std::string bad : {std::string("\xff\xff\xff"), std::string("\x0a\x05ws"), std::string("garbage")}) {
    EXPECT_EQ(DecodeRunOperation(bad, 0).status().code(), Code::kInvalidArgument);
  }
  auto op = Op("no-slash");
  op.mutable_update();
  EXPECT_EQ(Decode(op).status().code(), Code::kInvalidArgument);
  op = Op("ws/proj", "");
  op.mutable_update();
  EXPECT_EQ(Decode(op).status().code(), Code::kInvalidArgument);
  op = Op();  // no operation
  EXPECT_EQ(Decode(op).status().code(), Code::kInvalidArgument);
  op = Op();
  op.mutable_update()->mutable_step()->set_micro(1'000'000);
  (*op.mutable_update()->mutable_append())["x"].set_float64(1);
  auto d = Decode(op);
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->errors.size(), 1u);
  EXPECT_EQ(d->errors[0].code, IngestCode::kSeriesStepInvalid);
}

}  // namespace
}  // namespace sextant::api::neptune
