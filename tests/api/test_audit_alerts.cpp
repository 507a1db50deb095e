// Alerts through a store: limits from the manifest's [alerts] or the options, the hook called
// after the entries that raised the alert were recorded, on a thread of the store's, with names
// and counts only.
#include <amanah/amanah.hpp>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "records_fixture.hpp"
#include "support.hpp"

using amanah::Alert;
using amanah::AlertKind;
using amanah::CustomerStore;
using amanah::test::app_key;
using amanah::test::kDpo;
using amanah::test::kSiti;
using amanah::test::kSupport;
using amanah::test::TempDir;

namespace {

const amanah::AccessContext kMarketing{
    .actor = "campaign-svc", .roles = {"marketing"}, .purpose = "marketing"};

// Collects alerts from the store's thread.
struct Inbox {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<Alert> alerts;
  std::vector<std::thread::id> threads;

  std::function<void(const Alert&)> hook() {
    return [this](const Alert& a) {
      std::lock_guard g(mu);
      alerts.push_back(a);
      threads.push_back(std::this_thread::get_id());
      cv.notify_all();
    };
  }
  // Waits (up to 10 s, never deciding the test by time) for n alerts.
  std::vector<Alert> wait_for(std::size_t n) {
    std::unique_lock g(mu);
    cv.wait_for(g, std::chrono::seconds(10), [&] { return alerts.size() >= n; });
    return alerts;
  }
};

std::string with_alerts(const std::string& toml, const std::string& section) {
  return toml + "\n" + section;
}

}  // namespace

TEST_CASE("denials past the manifest's limit raise one alert naming the actor, not the data",
          "[audit][alerts]") {
  TempDir tmp;
  Inbox inbox;
  const auto manifest = amanah::Manifest::from_toml(
      with_alerts(amanah::test::kManifestToml, "[alerts]\ndenials_per_minute = 2\n"));
  auto clock = std::make_shared<amanah::test::ManualClock>();
  auto store = CustomerStore::create(tmp / "s", *app_key(), manifest,
                                     {.clock = clock, .audit = {.on_alert = inbox.hook()}});
  const auto id = store.insert(kSupport, kSiti);
  for (int i = 0; i < 4; ++i)
    REQUIRE_THROWS_AS(store.get(kMarketing, id, {"nik"}), amanah::AccessDenied);
  // The denials are queued; the next write records them, and the alert follows its commit.
  store.update(kSupport, id, {{"phone", "0813 1111 2222"}});
  const auto got = inbox.wait_for(1);
  REQUIRE(got.size() == 1);
  CHECK(got[0].kind == AlertKind::denials);
  CHECK(got[0].actor == "campaign-svc");
  CHECK(got[0].count == 3);
  CHECK(got[0].limit == 2);
  CHECK(got[0].window == std::chrono::seconds(60));
  CHECK(inbox.threads[0] != std::this_thread::get_id());
  const std::string text = got[0].explain();
  CHECK(text.find("campaign-svc") != std::string::npos);
  for (const auto& [field, value] : kSiti)
    CHECK(text.find(value) == std::string::npos);
  store.close();  // delivers what is queued
  std::lock_guard g(inbox.mu);
  CHECK(inbox.alerts.size() == 1);  // one alert for the burst, not one per denial
}

TEST_CASE("an option's limit wins over the manifest's; reads of distinct customers alert",
          "[audit][alerts]") {
  TempDir tmp;
  Inbox inbox;
  const auto manifest = amanah::Manifest::from_toml(
      with_alerts(amanah::test::kManifestToml, "[alerts]\nsubjects_read_per_minute = 1000\n"));
  auto store = CustomerStore::create(tmp / "s", *app_key(), manifest,
                                     {.audit = {.sync_reads = true,
                                                .alerts = {.subjects_read_per_minute = 3},
                                                .on_alert = inbox.hook()}});
  std::vector<amanah::CustomerId> ids;
  for (int i = 0; i < 5; ++i)
    ids.push_back(store.insert(kSupport, amanah::test::customer(i)));
  // The same customer read again and again is one customer.
  for (int i = 0; i < 10; ++i)
    (void)store.get(kDpo, ids[0]);
  for (int i = 1; i < 3; ++i)
    (void)store.get(kDpo, ids[static_cast<std::size_t>(i)]);
  // Three distinct customers are at the limit, not past it: the first alert counts four.
  (void)store.get(kDpo, ids[3]);
  const auto got = inbox.wait_for(1);
  REQUIRE(got.size() == 1);
  CHECK(got[0].kind == AlertKind::subjects_read);
  CHECK(got[0].actor == "dpo-1");
  CHECK(got[0].count == 4);
  CHECK(got[0].limit == 3);
}

TEST_CASE("without a hook or a limit nothing is counted, and scans count as exports",
          "[audit][alerts]") {
  TempDir tmp;
  Inbox inbox;
  auto store = CustomerStore::create(
      tmp / "s", *app_key(), amanah::test::example_manifest(),
      {.audit = {.sync_reads = true, .alerts = {.exports_per_hour = 1}, .on_alert = inbox.hook()}});
  (void)store.insert(kSupport, kSiti);
  for (int i = 0; i < 2; ++i)
    for (const auto& r : store.scan(kDpo))
      (void)r;
  const auto got = inbox.wait_for(1);
  REQUIRE(got.size() == 1);
  CHECK(got[0].kind == AlertKind::exports);
  CHECK(got[0].window == std::chrono::hours(1));
}
