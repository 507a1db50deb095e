// Alerts: unusual activity per actor, counted over sliding windows of the recorded entries, and
// handed to the application's hook on a thread of our own.
//
// Three counters, each kept only while its limit is set:
//   subjects_read  distinct non-empty subjects of allowed "read" entries, within 60 s
//   exports        allowed "export" and "scan" entries, within 3600 s
//   denials        entries with allowed == false (any action), within 60 s
// An entry at time `at` is in the window of time `now` when now - window < at <= now. When a count
// exceeds its limit, one alert is raised (count, limit, window, at = the entry's time). The
// actor's counter of that kind then stays quiet until its window has gone below the limit
// (count < limit, seen at a later entry of that kind or a sweep) or a whole window has passed
// since the alert (60 s; an hour for exports): at most one alert per actor, kind and window
// however long the burst lasts, unless it pauses below the limit in between.
//
// Time comes only from the entries (the store's clock, perhaps a test's). `now` is the latest `at`
// of an entry a counter looks at (reads, exports, scans, denials: others are not even locked
// for); an entry that arrives after its window has passed is not counted. A clock set back by
// more than the longest window (an hour) starts the counting afresh.
//
// Memory: windows drop what falls out of them as time advances (a sweep each minute of store time
// visits actors that went quiet); an actor's state is removed once all its windows are empty. The
// distinct-subject window keeps at most limit + 1 subjects (the most recent): enough to know
// whether the limit is exceeded and whether the window is back below it. The exports and denials
// windows keep one counter per second. At most 4096 alerts wait for the hook; more are dropped.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include <amanah/audit.hpp>
#include <amanah/manifest.hpp>

namespace amanah::detail::audit {

// What the counters see of one recorded entry.
struct Seen {
  std::int64_t at = 0;  // unix seconds, the store's clock
  std::string_view actor;
  std::string_view action;
  std::string_view subject;  // the pseudonym; empty when about no one customer
  bool allowed = true;
};

class Alerts {
 public:
  using Hook = std::function<void(const Alert&)>;

  static constexpr std::int64_t kMinute = 60;
  static constexpr std::int64_t kHour = 3600;
  static constexpr std::size_t kMaxQueued = 4096;

  Alerts() = default;  // inert
  ~Alerts();
  Alerts(const Alerts&) = delete;
  Alerts& operator=(const Alerts&) = delete;

  // The limits in force: each set member of `options` wins over `manifest`'s. With no hook or no
  // limit, observe() does nothing. Counts of a kind whose limit changed start afresh; the others
  // go on. Alerts already queued go to the hook they were raised under.
  void configure(const AlertLimits& manifest, const AlertLimits& options, Hook hook);

  // Counts one recorded entry. Thread-safe; only an atomic load when inert. Never calls the hook
  // on the caller's thread and never waits for it. Never throws: alerts are best effort, and a
  // failure here (memory, a thread that cannot start) must not fail the access it follows.
  void observe(const Seen& e) noexcept;

  // Delivers what is queued, then joins the dispatcher thread; observe() is inert afterwards
  // until configure() is called again. Idempotent; the destructor calls it. Must not be called
  // from the hook.
  void stop() noexcept;

  // Actors with any state kept (for tests of the memory bound).
  [[nodiscard]] std::size_t tracked_actors() const;

 private:
  // Allowed exports or scans, or denials: how many per second of the window.
  struct Counts {
    std::map<std::int64_t, std::uint64_t> per_second;
    std::uint64_t total = 0;
    void add(std::int64_t at);
    void prune(std::int64_t oldest_out);  // drops entries at or before `oldest_out`
    [[nodiscard]] std::uint64_t size() const { return total; }
    [[nodiscard]] bool empty() const { return total == 0; }
  };

  // Distinct subjects read, each with the last time it was read. Moves keep the map's nodes, so
  // the views stay valid; a copy would not, so there is none.
  struct Distinct {
    Distinct() = default;
    Distinct(Distinct&&) noexcept = default;
    Distinct& operator=(Distinct&&) noexcept = default;
    Distinct(const Distinct&) = delete;
    Distinct& operator=(const Distinct&) = delete;
    std::map<std::string, std::int64_t, std::less<>> last;
    std::set<std::pair<std::int64_t, std::string_view>> by_time;  // views of `last`'s keys
    void add(std::string_view subject, std::int64_t at, std::uint64_t cap);
    void prune(std::int64_t oldest_out);
    void pop_oldest();
    [[nodiscard]] std::uint64_t size() const { return last.size(); }
    [[nodiscard]] bool empty() const { return last.empty(); }
  };

  template <class Window>
  struct Track {
    Window window;
    std::optional<std::int64_t> raised;  // when the last alert was raised, while quiet
  };

  struct Actor {
    Track<Distinct> reads;
    Track<Counts> exports;
    Track<Counts> denials;
    [[nodiscard]] bool empty() const {
      return reads.window.empty() && exports.window.empty() && denials.window.empty();
    }
  };

  struct Queued {
    Alert alert;
    std::shared_ptr<const Hook> hook;
  };

  // Under mu_.
  void advance(std::int64_t at);
  void sweep();
  template <class Window, class Add>
  void step(Track<Window>& track, AlertKind kind, std::uint64_t limit, std::int64_t window,
            std::string_view actor, std::int64_t at, Add&& add);
  void raise(Alert alert);
  void dispatch();

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<bool> active_{false};
  AlertLimits limits_{};  // the effective ones
  std::shared_ptr<const Hook> hook_;
  std::map<std::string, Actor, std::less<>> actors_;
  std::optional<std::int64_t> now_;  // the latest `at` seen
  std::int64_t next_sweep_ = 0;
  std::deque<Queued> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace amanah::detail::audit
