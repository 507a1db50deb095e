#include "audit/alerts.hpp"

#include <chrono>
#include <iterator>
#include <limits>

namespace amanah::detail::audit {
namespace {

// The distinct-subject window keeps the limit + 1 most recent subjects.
std::uint64_t cap_of(std::uint64_t limit) {
  return limit == std::numeric_limits<std::uint64_t>::max() ? limit : limit + 1;
}

std::optional<std::uint64_t> either(const std::optional<std::uint64_t>& options,
                                    const std::optional<std::uint64_t>& manifest) {
  return options ? options : manifest;
}

}  // namespace

void Alerts::Counts::add(std::int64_t at) {
  ++per_second[at];
  ++total;
}

void Alerts::Counts::prune(std::int64_t oldest_out) {
  while (!per_second.empty() && per_second.begin()->first <= oldest_out) {
    total -= per_second.begin()->second;
    per_second.erase(per_second.begin());
  }
}

void Alerts::Distinct::add(std::string_view subject, std::int64_t at, std::uint64_t cap) {
  if (auto it = last.find(subject); it != last.end()) {
    if (at <= it->second) return;
    // Insert the new position first: if that throws, nothing has changed.
    by_time.emplace(at, std::string_view(it->first));
    by_time.erase({it->second, std::string_view(it->first)});
    it->second = at;
    return;
  }
  const auto it = last.emplace(std::string(subject), at).first;
  try {
    by_time.emplace(at, std::string_view(it->first));
  } catch (...) {
    last.erase(it);
    throw;
  }
  while (last.size() > cap)
    pop_oldest();
}

void Alerts::Distinct::pop_oldest() {
  const auto oldest = by_time.begin();
  const auto it = last.find(oldest->second);
  by_time.erase(oldest);
  last.erase(it);
}

void Alerts::Distinct::prune(std::int64_t oldest_out) {
  while (!by_time.empty() && by_time.begin()->first <= oldest_out)
    pop_oldest();
}

Alerts::~Alerts() {
  stop();
}

void Alerts::configure(const AlertLimits& manifest, const AlertLimits& options, Hook hook) {
  AlertLimits limits{
      either(options.subjects_read_per_minute, manifest.subjects_read_per_minute),
      either(options.exports_per_hour, manifest.exports_per_hour),
      either(options.denials_per_minute, manifest.denials_per_minute),
  };
  std::shared_ptr<const Hook> h;
  if (hook) h = std::make_shared<const Hook>(std::move(hook));
  if (!h) limits = AlertLimits{};

  std::lock_guard lk(mu_);
  const bool reads = limits.subjects_read_per_minute != limits_.subjects_read_per_minute;
  const bool exports = limits.exports_per_hour != limits_.exports_per_hour;
  const bool denials = limits.denials_per_minute != limits_.denials_per_minute;
  for (auto it = actors_.begin(); it != actors_.end();) {
    Actor& a = it->second;
    if (reads) a.reads = {};
    if (exports) a.exports = {};
    if (denials) a.denials = {};
    it = a.empty() ? actors_.erase(it) : std::next(it);
  }
  limits_ = limits;
  hook_ = std::move(h);
  active_.store(limits_ != AlertLimits{}, std::memory_order_release);
}

void Alerts::observe(const Seen& e) noexcept {
  if (!active_.load(std::memory_order_acquire)) return;
  const bool read = e.allowed && e.action == "read" && !e.subject.empty();
  const bool exported = e.allowed && (e.action == "export" || e.action == "scan");
  const bool denied = !e.allowed;
  if (!read && !exported && !denied) return;
  try {
    std::lock_guard lk(mu_);
    if (!active_.load(std::memory_order_relaxed)) return;
    advance(e.at);
    const auto& reads = limits_.subjects_read_per_minute;
    const auto& exports = limits_.exports_per_hour;
    const auto& denials = limits_.denials_per_minute;
    if (!(read && reads) && !(exported && exports) && !(denied && denials)) return;

    auto it = actors_.find(e.actor);
    if (it == actors_.end()) it = actors_.emplace(std::string(e.actor), Actor{}).first;
    const std::string_view actor = it->first;
    Actor& a = it->second;
    if (read && reads)
      step(a.reads, AlertKind::subjects_read, *reads, kMinute, actor, e.at,
           [&](Distinct& w) { w.add(e.subject, e.at, cap_of(*reads)); });
    if (exported && exports)
      step(a.exports, AlertKind::exports, *exports, kHour, actor, e.at,
           [&](Counts& w) { w.add(e.at); });
    if (denied && denials)
      step(a.denials, AlertKind::denials, *denials, kMinute, actor, e.at,
           [&](Counts& w) { w.add(e.at); });
    if (a.empty()) actors_.erase(it);
  } catch (...) {
    // Best effort: the access this entry records has happened whatever becomes of its alert.
  }
}

void Alerts::advance(std::int64_t at) {
  if (!now_ || at > *now_) {
    if (!now_) next_sweep_ = at + kMinute;
    now_ = at;
  } else if (at <= *now_ - kHour) {
    // The clock was set back beyond every window: what was counted is in a future now.
    actors_.clear();
    now_ = at;
    next_sweep_ = at + kMinute;
    return;
  }
  if (*now_ >= next_sweep_) {
    sweep();
    next_sweep_ = *now_ + kMinute;
  }
}

// Prunes every actor's windows, ends quiet periods that are over, drops actors left empty.
void Alerts::sweep() {
  const std::int64_t now = *now_;
  auto settle = [&](auto& track, const std::optional<std::uint64_t>& limit, std::int64_t window) {
    track.window.prune(now - window);
    if (track.raised && (!limit || track.window.size() < *limit || now - *track.raised >= window))
      track.raised.reset();
  };
  for (auto it = actors_.begin(); it != actors_.end();) {
    Actor& a = it->second;
    settle(a.reads, limits_.subjects_read_per_minute, kMinute);
    settle(a.exports, limits_.exports_per_hour, kHour);
    settle(a.denials, limits_.denials_per_minute, kMinute);
    it = a.empty() ? actors_.erase(it) : std::next(it);
  }
}

template <class Window, class Add>
void Alerts::step(Track<Window>& track, AlertKind kind, std::uint64_t limit, std::int64_t window,
                  std::string_view actor, std::int64_t at, Add&& add) {
  const std::int64_t now = *now_;
  track.window.prune(now - window);
  if (track.raised && (track.window.size() < limit || now - *track.raised >= window))
    track.raised.reset();
  if (at <= now - window) return;  // late, and already out of its window
  add(track.window);
  if (track.raised || track.window.size() <= limit) return;
  track.raised = now;
  raise(Alert{kind, std::string(actor), track.window.size(), limit, std::chrono::seconds(window),
              TimePoint(std::chrono::seconds(at))});
}

void Alerts::raise(Alert alert) {
  if (queue_.size() >= kMaxQueued) return;  // the hook is far behind: drop rather than grow
  queue_.push_back(Queued{std::move(alert), hook_});
  if (!thread_.joinable()) thread_ = std::thread([this] { dispatch(); });
  cv_.notify_one();
}

void Alerts::dispatch() {
  std::unique_lock lk(mu_);
  for (;;) {
    cv_.wait(lk, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and all delivered
    {
      Queued q = std::move(queue_.front());
      queue_.pop_front();
      lk.unlock();
      try {
        (*q.hook)(q.alert);
      } catch (...) {
        // The application's hook failed; the store goes on.
      }
    }  // the hook's last reference, if configure() replaced it, goes outside the lock
    lk.lock();
  }
}

void Alerts::stop() noexcept {
  std::thread t;
  {
    std::lock_guard lk(mu_);
    active_.store(false, std::memory_order_relaxed);
    stopping_ = true;
    if (!thread_.joinable() && !queue_.empty()) {
      try {
        thread_ = std::thread([this] { dispatch(); });
      } catch (...) {
        queue_.clear();  // no thread to deliver them on
      }
    }
    t = std::move(thread_);
  }
  cv_.notify_all();
  if (t.joinable()) {
    if (t.get_id() == std::this_thread::get_id())
      t.detach();  // called from the hook, which it must not be: at least do not deadlock
    else
      t.join();
  }
  std::lock_guard lk(mu_);
  stopping_ = false;
  actors_.clear();
  now_.reset();
  limits_ = AlertLimits{};
  hook_.reset();
}

std::size_t Alerts::tracked_actors() const {
  std::lock_guard lk(mu_);
  return actors_.size();
}

}  // namespace amanah::detail::audit
