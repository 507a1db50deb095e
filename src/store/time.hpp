// Times as the store keeps them: whole unix seconds from the store's clock (Core::now()), and the
// public TimePoint. One place for the conversions every service makes.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <amanah/clock.hpp>

namespace amanah::detail::store {

[[nodiscard]] inline std::int64_t unix_seconds(TimePoint t) {
  return std::chrono::floor<std::chrono::seconds>(t).time_since_epoch().count();
}
[[nodiscard]] inline TimePoint time_point(std::int64_t unix_seconds) {
  return TimePoint{std::chrono::seconds{unix_seconds}};
}
// "2026-01-05T10:00:00Z" (UTC); empty if the time cannot be shown.
[[nodiscard]] std::string iso8601(std::int64_t unix_seconds);

}  // namespace amanah::detail::store
