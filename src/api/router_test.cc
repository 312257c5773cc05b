#include "api/router.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <set>

#include "api/server.h"

namespace sextant::api {
namespace {

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("sextant-router-test-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    core::TrackerOptions o;
    o.data_dir = dir_.string();
    o.background_compaction = false;
    auto t = core::Tracker::Open(o);
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    tracker_ = std::move(t).value();
    server_ = std::make_unique<Server>(tracker_.get(), ServerOptions{});
  }
  void TearDown() override {
    server_.reset();
    (void)tracker_->Close();
    std::filesystem::remove_all(dir_);
  }
  std::filesystem::path dir_;
  std::unique_ptr<core::Tracker> tracker_;
  std::unique_ptr<Server> server_;
};

// Every route of every front end declares what it needs from the caller, so
// the access-control layer cannot miss one.
TEST_F(RouterTest, EveryRouteDeclaresAPermission) {
  const auto& routes = server_->router().routes();
  ASSERT_GT(routes.size(), 15u);
  for (const auto& e : routes) {
    EXPECT_NE(e.route.permission, Permission::kUndeclared)
        << e.module->name() << " " << e.route.method << " " << e.route.pattern;
    EXPECT_TRUE(e.route.handler || e.route.upload) << e.route.pattern;
    // Writes are never public (a signed write carries its own credential);
    // a body limit only on routes that read one.
    if (e.route.method != "GET") {
      EXPECT_NE(e.route.permission, Permission::kPublic) << e.route.pattern;
    } else {
      EXPECT_EQ(e.route.body_limit, 0u) << e.route.pattern;
    }
  }
}

TEST_F(RouterTest, NoTwoRoutesShareMethodAndPattern) {
  std::set<std::string> seen;
  for (const auto& e : server_->router().routes())
    EXPECT_TRUE(seen.insert(e.route.method + " " + e.route.pattern).second) << e.route.pattern;
}

http::Request Req(std::string method, std::string target) {
  http::Request r;
  r.method = std::move(method);
  r.target = target;
  size_t q = target.find('?');
  r.path = target.substr(0, q);
  if (q != std::string::npos) r.query = target.substr(q + 1);
  return r;
}

TEST(RouterMatchTest, ParamsProjectAndErrors) {
  Router router;
  std::string seen;
  router.AddModule("t", [](int status, std::string_view code, std::string_view message) {
    http::Response r;
    r.status = status;
    r.body = std::string(code) + ":" + std::string(message);
    return r;
  }).Add({"GET", "/p/{workspace}/{project}/f/{path...}", Permission::kRead, 0,
          [&](Context& c) -> Result<http::Response> {
            seen = c.project->Full() + "|" + c.Param("path") + "|" + c.query.Get("q");
            return http::Response{};
          }});
  auto ex = router.Dispatch(Req("GET", "/p/ws/proj/f/a/b%2Fc.txt?q=x=y"));
  http::Request req = Req("GET", "/p/ws/proj/f/a/b%2Fc.txt?q=x=y");
  EXPECT_EQ(ex->Run(req).status, 200);
  EXPECT_EQ(seen, "ws/proj|a/b/c.txt|x=y");

  http::Request bad = Req("GET", "/p/w%20s/proj/f/x");
  EXPECT_EQ(router.Dispatch(bad)->Run(bad).status, 400);
  http::Request esc = Req("GET", "/p/ws/proj/f/%zz");
  EXPECT_EQ(router.Dispatch(esc)->Run(esc).status, 400);
  http::Request none = Req("GET", "/nothing");
  EXPECT_EQ(router.Dispatch(none)->Run(none).status, 404);
  http::Request post = Req("POST", "/p/ws/proj/f/x");
  auto r = router.Dispatch(post)->Run(post);
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.headers.GetOr("Allow"), "GET");
  // HEAD is served by the GET route.
  http::Request head = Req("HEAD", "/p/ws/proj/f/x");
  EXPECT_EQ(router.Dispatch(head)->Run(head).status, 200);
}

TEST(RouterMatchTest, TheGateSeesEveryRouteAndHowItEnded) {
  Router router;
  router.AddModule("t", [](int status, std::string_view, std::string_view) {
    http::Response r;
    r.status = status;
    return r;
  }).Add({"POST", "/w/{workspace}/{project}", Permission::kWrite, 10,
          [](Context&) -> Result<http::Response> { return http::Response{}; }});
  struct TestGate : Gate {
    Permission asked = Permission::kUndeclared;
    int done = 0;
    int screened = 0;
    Status Screen(const http::Request& head, const Route&) override {
      ++screened;
      return head.path.find("/w/banned/") == 0 ? Status::PermissionDenied("banned") : Status::Ok();
    }
    Status Admit(Context& c, const Route& r) override {
      asked = r.permission;
      return c.project->workspace == "locked" ? Status::NotFound("no such project") : Status::Ok();
    }
    void Done(const Context&, const Route&, int status) override { done = status; }
  } gate;
  router.SetGate(&gate);
  http::Request ok = Req("POST", "/w/open/p");
  EXPECT_EQ(router.Dispatch(ok)->Run(ok).status, 200);
  EXPECT_EQ(gate.asked, Permission::kWrite);
  EXPECT_EQ(gate.done, 200);
  http::Request locked = Req("POST", "/w/locked/p");
  EXPECT_EQ(router.Dispatch(locked)->Run(locked).status, 404);
  // Screened from the head alone: no handler, no Admit.
  http::Request banned = Req("POST", "/w/banned/p");
  gate.asked = Permission::kUndeclared;
  auto ex = router.Dispatch(banned);
  EXPECT_EQ(ex->body_limit(), 0u);  // the body is never read
  EXPECT_EQ(ex->Run(banned).status, 403);
  EXPECT_EQ(gate.asked, Permission::kUndeclared);
  EXPECT_EQ(gate.screened, 3);
}

}  // namespace
}  // namespace sextant::api
