// The alert counters: one alert per burst, at limit + 1, over sliding windows of store time; the
// hook runs on a thread of the counters' own, never the observer's.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <future>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch_test_macros.hpp>

#include "audit/alerts.hpp"

using amanah::Alert;
using amanah::AlertKind;
using amanah::AlertLimits;
using amanah::TimePoint;
using amanah::detail::audit::Alerts;
using amanah::detail::audit::Seen;

namespace {

constexpr std::int64_t kT0 = 1'760'000'000;  // an arbitrary store time, unix seconds

// What the hook was given, in order.
struct Sink {
  std::mutex mu;
  std::vector<Alert> alerts;
  std::vector<std::thread::id> threads;
  Alerts::Hook hook() {
    return [this](const Alert& a) {
      std::lock_guard lk(mu);
      alerts.push_back(a);
      threads.push_back(std::this_thread::get_id());
    };
  }
};

Seen read(std::int64_t at, std::string_view actor, std::string_view subject) {
  return Seen{at, actor, "read", subject, true};
}
Seen act(std::int64_t at, std::string_view actor, std::string_view action, bool allowed = true) {
  return Seen{at, actor, action, {}, allowed};
}

TimePoint tp(std::int64_t at) {
  return TimePoint(std::chrono::seconds(at));
}

}  // namespace

TEST_CASE("each kind raises exactly one alert at limit + 1, naming actor, count and limit",
          "[alerts]") {
  Sink sink;
  Alerts alerts;
  SECTION("distinct subjects read within a minute") {
    alerts.configure({.subjects_read_per_minute = 3}, {}, sink.hook());
    for (int i = 0; i < 10; ++i)  // the 4th subject, at kT0 + 3, crosses the limit
      alerts.observe(read(kT0 + i, "agent-7", "subject-" + std::to_string(i)));
    alerts.stop();
    REQUIRE(sink.alerts.size() == 1);
    const Alert& a = sink.alerts[0];
    CHECK(a.kind == AlertKind::subjects_read);
    CHECK(a.actor == "agent-7");
    CHECK(a.count == 4);
    CHECK(a.limit == 3);
    CHECK(a.window == std::chrono::seconds(60));
    CHECK(a.at == tp(kT0 + 3));
  }
  SECTION("exports and scans within an hour") {
    alerts.configure({.exports_per_hour = 2}, {}, sink.hook());
    alerts.observe(act(kT0, "batch", "export"));
    alerts.observe(act(kT0 + 600, "batch", "scan"));
    alerts.observe(act(kT0 + 700, "batch", "export", false));  // denied: not an export
    alerts.observe(act(kT0 + 800, "batch", "read"));
    alerts.observe(act(kT0 + 1200, "batch", "scan"));  // the 3rd
    alerts.observe(act(kT0 + 1300, "batch", "export"));
    alerts.stop();
    REQUIRE(sink.alerts.size() == 1);
    const Alert& a = sink.alerts[0];
    CHECK(a.kind == AlertKind::exports);
    CHECK(a.actor == "batch");
    CHECK(a.count == 3);
    CHECK(a.limit == 2);
    CHECK(a.window == std::chrono::seconds(3600));
    CHECK(a.at == tp(kT0 + 1200));
  }
  SECTION("denials of any action within a minute") {
    alerts.configure({.denials_per_minute = 2}, {}, sink.hook());
    alerts.observe(act(kT0, "mallory", "read", false));
    alerts.observe(act(kT0 + 1, "mallory", "update", true));  // allowed: not counted
    alerts.observe(act(kT0 + 2, "mallory", "export", false));
    alerts.observe(act(kT0 + 3, "mallory", "read_audit", false));  // the 3rd
    alerts.observe(act(kT0 + 4, "mallory", "erase", false));
    alerts.stop();
    REQUIRE(sink.alerts.size() == 1);
    const Alert& a = sink.alerts[0];
    CHECK(a.kind == AlertKind::denials);
    CHECK(a.actor == "mallory");
    CHECK(a.count == 3);
    CHECK(a.limit == 2);
    CHECK(a.window == std::chrono::seconds(60));
    CHECK(a.at == tp(kT0 + 3));
  }
  SECTION("each actor is counted on its own") {
    alerts.configure({.denials_per_minute = 2}, {}, sink.hook());
    for (int i = 0; i < 4; ++i)
      alerts.observe(act(kT0, "actor-" + std::to_string(i), "read", false));
    alerts.observe(act(kT0, "actor-0", "read", false));
    alerts.observe(act(kT0, "actor-0", "read", false));  // actor-0's 3rd
    alerts.stop();
    REQUIRE(sink.alerts.size() == 1);
    CHECK(sink.alerts[0].actor == "actor-0");
  }
}

TEST_CASE("a subject read again is counted once; reads about no one and denied reads not at all",
          "[alerts]") {
  Sink sink;
  Alerts alerts;
  alerts.configure({.subjects_read_per_minute = 3}, {}, sink.hook());
  for (int round = 0; round < 20; ++round)
    for (const char* s : {"a", "b", "c"})
      alerts.observe(read(kT0 + round, "agent", s));
  alerts.observe(read(kT0 + 20, "agent", ""));                   // a read about no one customer
  alerts.observe(Seen{kT0 + 20, "agent", "read", "d", false});   // denied
  alerts.observe(Seen{kT0 + 20, "agent", "update", "e", true});  // not a read
  alerts.observe(Seen{kT0 + 20, "other", "read", "f", true});    // another actor
  alerts.stop();
  CHECK(sink.alerts.empty());

  // A fourth distinct subject does cross it.
  Sink sink2;
  alerts.configure({.subjects_read_per_minute = 3}, {}, sink2.hook());
  for (int round = 0; round < 5; ++round)
    for (const char* s : {"a", "b", "c"})
      alerts.observe(read(kT0 + round, "agent", s));
  alerts.observe(read(kT0 + 5, "agent", "d"));
  alerts.stop();
  REQUIRE(sink2.alerts.size() == 1);
  CHECK(sink2.alerts[0].count == 4);
}

TEST_CASE("the window slides: entries older than it no longer count", "[alerts]") {
  Sink sink;
  Alerts alerts;
  alerts.configure({.subjects_read_per_minute = 3, .denials_per_minute = 3}, {}, sink.hook());
  // In the window of time t are the entries with t - 60 < at <= t.
  SECTION("at t = 60 the entries of 1, 2 and 3 still count") {
    for (int i = 1; i <= 3; ++i)
      alerts.observe(read(kT0 + i, "agent", "s" + std::to_string(i)));
    alerts.observe(read(kT0 + 60, "agent", "s4"));
    alerts.stop();
    REQUIRE(sink.alerts.size() == 1);
    CHECK(sink.alerts[0].count == 4);
  }
  SECTION("at t = 61 the entry of 1 is out") {
    for (int i = 1; i <= 3; ++i)
      alerts.observe(read(kT0 + i, "agent", "s" + std::to_string(i)));
    alerts.observe(read(kT0 + 61, "agent", "s4"));
    alerts.stop();
    CHECK(sink.alerts.empty());
  }
  SECTION("a subject read again stays in the window from its last read") {
    alerts.observe(read(kT0 + 1, "agent", "s1"));
    alerts.observe(read(kT0 + 2, "agent", "s2"));
    alerts.observe(read(kT0 + 3, "agent", "s3"));
    alerts.observe(read(kT0 + 50, "agent", "s1"));  // s1 again
    alerts.observe(read(kT0 + 62, "agent", "s4"));  // s2 is out: s3, s1, s4
    alerts.observe(read(kT0 + 63, "agent", "s5"));  // s3 is out: s1, s4, s5
    alerts.observe(read(kT0 + 64, "agent", "s6"));  // s1, s4, s5, s6: 4
    alerts.stop();
    REQUIRE(sink.alerts.size() == 1);
    CHECK(sink.alerts[0].count == 4);
    CHECK(sink.alerts[0].at == tp(kT0 + 64));
  }
  SECTION("a steady trickle under the limit never alerts") {
    for (int i = 0; i < 600; ++i)  // 3 denials a minute, for ten minutes
      alerts.observe(act(kT0 + i * 20, "agent", "read", false));
    alerts.stop();
    CHECK(sink.alerts.empty());
  }
  SECTION("an entry that arrives after its window has passed is not counted") {
    alerts.observe(act(kT0 + 200, "agent", "read", false));
    for (int i = 0; i < 5; ++i)
      alerts.observe(act(kT0 + 100, "agent", "read", false));  // 100 s late
    alerts.stop();
    CHECK(sink.alerts.empty());
  }
}

TEST_CASE("no alert storm: quiet until the window goes below the limit or a minute passes",
          "[alerts]") {
  Sink sink;
  Alerts alerts;
  alerts.configure({.denials_per_minute = 2}, {}, sink.hook());
  SECTION("a sustained burst raises one alert a minute") {
    for (int i = 0; i < 120; ++i)  // 10 denials a second for 12 s, then one a second to 130 s
      alerts.observe(act(kT0 + i / 10, "agent", "read", false));
    for (int t = 12; t <= 130; ++t)
      alerts.observe(act(kT0 + t, "agent", "read", false));
    alerts.stop();
    REQUIRE(sink.alerts.size() == 3);  // at 0, at 60, at 120
    CHECK(sink.alerts[0].at == tp(kT0));
    CHECK(sink.alerts[1].at == tp(kT0 + 60));
    CHECK(sink.alerts[2].at == tp(kT0 + 120));
  }
  SECTION("exports: a sustained exporter raises one alert an hour") {
    Sink hourly;
    Alerts exports;
    exports.configure({.exports_per_hour = 2}, {}, hourly.hook());
    for (const int t : {0, 1, 2})  // alert at 2
      exports.observe(act(kT0 + t, "batch", "export"));
    for (int t = 600; t <= 3000; t += 600)  // 10 minutes apart, always over the limit
      exports.observe(act(kT0 + t, "batch", "scan"));
    exports.observe(act(kT0 + 3601, "batch", "export"));  // 3599 s after the alert
    exports.observe(act(kT0 + 3602, "batch", "export"));  // an hour after it
    exports.stop();
    REQUIRE(hourly.alerts.size() == 2);
    CHECK(hourly.alerts[0].at == tp(kT0 + 2));
    CHECK(hourly.alerts[1].at == tp(kT0 + 3602));
    CHECK(hourly.alerts[1].count == 7);  // 600 ... 3000, 3601, 3602
  }
  SECTION("below the limit once, a new burst alerts again within the minute") {
    for (const int t : {0, 1, 50})  // alert at 50
      alerts.observe(act(kT0 + t, "agent", "read", false));
    alerts.observe(act(kT0 + 61, "agent", "read", false));  // 0 and 1 are out: 1 before it, < 2
    alerts.observe(act(kT0 + 62, "agent", "read", false));  // 3 > 2, 12 s after the alert
    alerts.stop();
    REQUIRE(sink.alerts.size() == 2);
    CHECK(sink.alerts[0].at == tp(kT0 + 50));
    CHECK(sink.alerts[1].at == tp(kT0 + 62));
  }
  SECTION("back at the limit (not below it) stays quiet within the minute") {
    for (const int t : {0, 40, 41})  // alert at 41
      alerts.observe(act(kT0 + t, "agent", "read", false));
    alerts.observe(act(kT0 + 61, "agent", "read", false));  // 0 is out: 2 before it, = 2
    alerts.observe(act(kT0 + 70, "agent", "read", false));
    alerts.stop();
    CHECK(sink.alerts.size() == 1);
  }
}

TEST_CASE("each limit set in the options wins over the manifest's", "[alerts]") {
  Sink sink;
  Alerts alerts;
  alerts.configure({.subjects_read_per_minute = 100, .exports_per_hour = 2},
                   {.subjects_read_per_minute = 1, .denials_per_minute = 1}, sink.hook());
  alerts.observe(read(kT0, "agent", "a"));
  alerts.observe(read(kT0, "agent", "b"));  // options: 1
  for (int i = 0; i < 3; ++i)
    alerts.observe(act(kT0, "agent", "export"));  // the manifest's 2 still applies
  alerts.observe(act(kT0, "agent", "read", false));
  alerts.observe(act(kT0, "agent", "read", false));  // options' own limit
  alerts.stop();
  REQUIRE(sink.alerts.size() == 3);
  CHECK(sink.alerts[0].kind == AlertKind::subjects_read);
  CHECK(sink.alerts[0].limit == 1);
  CHECK(sink.alerts[1].kind == AlertKind::exports);
  CHECK(sink.alerts[1].limit == 2);
  CHECK(sink.alerts[2].kind == AlertKind::denials);
  CHECK(sink.alerts[2].limit == 1);
}

TEST_CASE("inert without a hook or without limits", "[alerts]") {
  SECTION("default constructed") {
    Alerts alerts;
    for (int i = 0; i < 100; ++i)
      alerts.observe(act(kT0, "agent", "read", false));
    CHECK(alerts.tracked_actors() == 0);
    alerts.stop();
  }
  SECTION("limits but no hook") {
    Alerts alerts;
    alerts.configure({.denials_per_minute = 1}, {.subjects_read_per_minute = 1}, nullptr);
    for (int i = 0; i < 100; ++i) {
      alerts.observe(act(kT0, "agent", "read", false));
      alerts.observe(read(kT0, "agent", std::to_string(i)));
    }
    CHECK(alerts.tracked_actors() == 0);
  }
  SECTION("a hook but no limits") {
    Sink sink;
    Alerts alerts;
    alerts.configure({}, {}, sink.hook());
    for (int i = 0; i < 100; ++i)
      alerts.observe(act(kT0, "agent", "read", false));
    CHECK(alerts.tracked_actors() == 0);
    alerts.stop();
    CHECK(sink.alerts.empty());
  }
  SECTION("stopped, until configured again") {
    Sink sink;
    Alerts alerts;
    alerts.configure({.denials_per_minute = 1}, {}, sink.hook());
    alerts.stop();
    alerts.stop();  // idempotent
    for (int i = 0; i < 5; ++i)
      alerts.observe(act(kT0, "agent", "read", false));
    CHECK(alerts.tracked_actors() == 0);
    alerts.configure({.denials_per_minute = 1}, {}, sink.hook());
    for (int i = 0; i < 5; ++i)
      alerts.observe(act(kT0, "agent", "read", false));
    alerts.stop();
    CHECK(sink.alerts.size() == 1);
  }
}

TEST_CASE("memory: windows drop old entries, and an actor's state goes when they are empty",
          "[alerts]") {
  Sink sink;
  Alerts alerts;
  alerts.configure(
      {.subjects_read_per_minute = 1000, .exports_per_hour = 1000, .denials_per_minute = 1000}, {},
      sink.hook());
  for (int i = 0; i < 50; ++i)
    alerts.observe(read(kT0, "reader-" + std::to_string(i), "s"));
  alerts.observe(act(kT0, "exporter", "export"));
  alerts.observe(act(kT0, "denied", "read", false));
  CHECK(alerts.tracked_actors() == 52);
  // Someone else reads a little over a minute later: the sweep drops the quiet readers and the
  // denied actor; the exporter's hour is not over yet.
  alerts.observe(read(kT0 + 61, "later", "x"));
  CHECK(alerts.tracked_actors() == 2);
  alerts.observe(read(kT0 + 3600 + 61, "later", "x"));  // the exporter's hour is over
  CHECK(alerts.tracked_actors() == 1);
  alerts.stop();
  CHECK(sink.alerts.empty());
}

TEST_CASE("the distinct-subject window keeps at most limit + 1 subjects", "[alerts]") {
  Sink sink;
  Alerts alerts;
  alerts.configure({.subjects_read_per_minute = 2}, {}, sink.hook());
  for (int i = 0; i < 1000; ++i)
    alerts.observe(read(kT0, "agent", std::to_string(i)));
  alerts.stop();
  REQUIRE(sink.alerts.size() == 1);
  CHECK(sink.alerts[0].count == 3);
}

TEST_CASE("a clock set back beyond the longest window starts counting afresh", "[alerts]") {
  Sink sink;
  Alerts alerts;
  alerts.configure({.denials_per_minute = 2}, {}, sink.hook());
  alerts.observe(act(kT0 + 10'000, "agent", "read", false));
  alerts.observe(act(kT0 + 10'000, "agent", "read", false));
  for (int i = 0; i < 3; ++i)  // a test clock set back by almost three hours
    alerts.observe(act(kT0, "agent", "read", false));
  alerts.stop();
  REQUIRE(sink.alerts.size() == 1);
  CHECK(sink.alerts[0].at == tp(kT0));
  CHECK(sink.alerts[0].count == 3);
}

TEST_CASE("a slow hook never holds up observe(); it runs on a thread of its own", "[alerts]") {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> finished{false};
  std::atomic<int> calls{0};
  std::mutex mu;
  std::vector<std::thread::id> threads;
  Alerts alerts;
  alerts.configure({.denials_per_minute = 1}, {}, [&](const Alert&) {
    {
      std::lock_guard lk(mu);
      threads.push_back(std::this_thread::get_id());
    }
    ++calls;
    // Blocks until the test lets it go (bounded, so a defect fails, not hangs).
    (void)released.wait_for(std::chrono::seconds(5));
    finished = true;
  });
  alerts.observe(act(kT0, "a", "read", false));
  alerts.observe(act(kT0, "a", "read", false));  // alert 1: the hook now blocks
  alerts.observe(act(kT0, "b", "read", false));
  alerts.observe(act(kT0, "b", "read", false));  // alert 2: queued behind it
  for (int i = 0; i < 1000; ++i)
    alerts.observe(act(kT0, "c" + std::to_string(i), "read", false));
  // Had observe() called or waited for the hook, the hook would have finished by now.
  CHECK_FALSE(finished.load());
  release.set_value();
  alerts.stop();  // delivers the queued alert, then joins
  CHECK(finished.load());
  CHECK(calls.load() == 2);
  REQUIRE(threads.size() == 2);
  CHECK(threads[0] != std::this_thread::get_id());
  CHECK(threads[0] == threads[1]);
}

TEST_CASE("a hook that throws does not stop the next alert", "[alerts]") {
  std::atomic<int> calls{0};
  std::vector<std::string> actors;
  std::mutex mu;
  {
    Alerts alerts;
    alerts.configure({.denials_per_minute = 1}, {}, [&](const Alert& a) {
      ++calls;
      {
        std::lock_guard lk(mu);
        actors.push_back(a.actor);
      }
      throw std::runtime_error("the application's hook failed");
    });
    for (const char* actor : {"a", "a", "b", "b"})
      alerts.observe(act(kT0, actor, "read", false));
  }  // the destructor delivers and joins
  CHECK(calls.load() == 2);
  CHECK(actors == std::vector<std::string>{"a", "b"});
}

TEST_CASE("a new hook or limits take effect; counts of a changed limit start afresh", "[alerts]") {
  Sink first, second;
  Alerts alerts;
  alerts.configure({.subjects_read_per_minute = 3, .denials_per_minute = 2}, {}, first.hook());
  alerts.observe(read(kT0, "agent", "a"));
  alerts.observe(read(kT0, "agent", "b"));
  alerts.observe(act(kT0, "agent", "read", false));
  alerts.observe(act(kT0, "agent", "read", false));
  // Denial limit unchanged (its two go on counting), read limit changed (its two are forgotten).
  alerts.configure({.subjects_read_per_minute = 2, .denials_per_minute = 2}, {}, second.hook());
  alerts.observe(read(kT0, "agent", "c"));
  alerts.observe(read(kT0, "agent", "d"));
  alerts.observe(act(kT0, "agent", "read", false));  // the 3rd denial
  alerts.stop();
  CHECK(first.alerts.empty());
  REQUIRE(second.alerts.size() == 1);
  CHECK(second.alerts[0].kind == AlertKind::denials);
}

TEST_CASE("several threads observe at once: each actor's burst raises exactly one alert",
          "[alerts][concurrency]") {
  constexpr int kThreads = 4;
  constexpr int kEach = 200;
  Sink sink;
  Alerts alerts;
  alerts.configure({.subjects_read_per_minute = 50, .denials_per_minute = 10}, {}, sink.hook());
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      const std::string actor = "agent-" + std::to_string(t);
      for (int i = 0; i < kEach; ++i) {
        alerts.observe(read(kT0 + i / 50, actor, std::to_string(i)));
        alerts.observe(act(kT0 + i / 50, "shared", "read", false));
        if (i == kEach / 2) (void)alerts.tracked_actors();
      }
    });
  for (auto& th : threads)
    th.join();
  alerts.stop();
  int reads = 0, denials = 0;
  for (const Alert& a : sink.alerts) {
    if (a.kind == AlertKind::subjects_read) {
      ++reads;
      CHECK(a.count == 51);
    } else {
      ++denials;
      CHECK(a.actor == "shared");
      CHECK(a.count == 11);
    }
  }
  CHECK(reads == kThreads);
  CHECK(denials == 1);  // 800 denials within 4 s: one burst
}
