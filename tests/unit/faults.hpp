// Crashes on purpose at the library's named fault points (store/layout.hpp): thrown in-process
// (FaultAt), or as a real process death (killed_at: fork, and _exit at the point).
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch_test_macros.hpp>

#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "store/layout.hpp"

namespace amanah::test {

// Calls `hook` at every fault point reached while it lives, and clears it on destruction.
struct OnFaultPoint {
  explicit OnFaultPoint(std::function<void(std::string_view)> hook) {
    amanah::detail::store::g_fault_point = std::move(hook);
  }
  ~OnFaultPoint() { amanah::detail::store::g_fault_point = nullptr; }
  OnFaultPoint(const OnFaultPoint&) = delete;
  OnFaultPoint& operator=(const OnFaultPoint&) = delete;
};

// Sets a fault point that throws at `point`, and clears it on destruction.
struct FaultAt : OnFaultPoint {
  explicit FaultAt(std::string point)
      : OnFaultPoint([point = std::move(point)](std::string_view at) {
          if (at == point) throw std::runtime_error("injected crash");
        }) {}
};

// Runs `body` in a child process that dies (exit status 0, no destructor, no close) when it
// reaches fault point `point` for the `nth` time; true if it did. Keep no store open in the parent
// that `body` opens.
inline bool killed_at(const std::string& point, const std::function<void()>& body, int nth = 1) {
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int code = 1;
    try {
      amanah::detail::store::g_fault_point = [&point, nth,
                                              reached = 0](std::string_view at) mutable {
        if (at == point && ++reached == nth) ::_exit(0);
      };
      body();
    } catch (...) {
      code = 2;
    }
    ::_exit(code);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace amanah::test
