// Live updates as server-sent events: one `data:` line per committed write of
// the project (docs/api/native.md). The transport waits between events
// without holding a thread; ids keep growing across restarts, and a client
// whose Last-Event-ID is gone gets `event: reset` and reloads.
#include <atomic>
#include <mutex>

#include "api/native/module.h"
#include "api/native/respond.h"

namespace sextant::api::native {

namespace {

class ProjectEvents final : public http::EventStream {
 public:
  ProjectEvents(core::EventHub* hub, int64_t project_id, uint64_t after)
      : hub_(hub), project_id_(project_id), seq_(after) {}
  ~ProjectEvents() override {
    if (sub_) hub_->Unsubscribe(sub_);
  }

  bool Next(std::vector<std::shared_ptr<const std::string>>* out) override {
    static const auto kReset = std::make_shared<const std::string>("event: reset\ndata: {}\n\n");
    bool lagged = false;
    uint64_t next = seq_;
    auto events = hub_->Poll(project_id_, seq_, &next, &lagged);
    if (lagged) out->push_back(kReset);
    for (auto& e : events) out->push_back(std::move(e.frame));
    seq_ = next;
    return !hub_->closed();
  }

  void OnReady(std::function<void()> wake) override { sub_ = hub_->Subscribe(project_id_, std::move(wake)); }

 private:
  core::EventHub* hub_;
  int64_t project_id_;
  uint64_t seq_;
  uint64_t sub_ = 0;
};

}  // namespace

void AddEventRoutes(Router::Module& m, core::Tracker* t, const Options&) {
  m.Add({"GET", "/api/v1/projects/{workspace}/{project}/events", Permission::kRead, 0,
         [t](Context& c) -> Result<http::Response> {
           ASSIGN_OR_RETURN(auto project, t->GetProject(*c.project));
           uint64_t after = t->events().LastSeq();
           // An empty id is what EventSource sends after an event without one.
           if (auto id = c.req.headers.Get("Last-Event-ID"); id && !id->empty()) {
             std::string v(*id);
             char* end = nullptr;
             unsigned long long n = std::strtoull(v.c_str(), &end, 10);
             if (v.empty() || *end || v[0] == '-')
               return Status::InvalidArgument("Last-Event-ID: expected an event id, got '" + v + "'");
             after = n;
           }
           http::Response r;
           r.content_type = "text/event-stream";
           r.events = std::make_shared<ProjectEvents>(&t->events(), project.id, after);
           return r;
         }});
}

}  // namespace sextant::api::native
