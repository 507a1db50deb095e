// amanah — the store's clock. Every time the library records or compares (audit entries, and
// next consent expiry and retention) comes from one injectable clock, so tests can set the time.
#pragma once

#include <chrono>
#include <memory>

#include <amanah/export.hpp>

namespace amanah {

using TimePoint = std::chrono::system_clock::time_point;  // kept to whole seconds

class AMANAH_EXPORT Clock {
 public:
  virtual ~Clock();
  [[nodiscard]] virtual std::chrono::system_clock::time_point now() const = 0;
};

// The system clock (the default when an option leaves the clock empty).
[[nodiscard]] AMANAH_EXPORT std::shared_ptr<const Clock> system_clock();

}  // namespace amanah
