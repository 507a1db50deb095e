// A test VFS layered over SQLite's default one: every file amanah opens goes through it, and it
// counts reads, writes, syncs, locks and truncates, and fails the Nth of one kind on request
// (one-shot, or from the Nth on: a disk that stays full). SQLCipher encrypts above the VFS, so
// the faults hit the encrypted pages as a failing disk would.
#pragma once

#include <cstdint>

namespace amanah::test {

enum class IoKind : int { read = 0, write, sync, lock, truncate };
inline constexpr int kIoKinds = 5;

struct IoFault {
  IoKind kind = IoKind::write;
  std::uint64_t nth = 1;    // counting from arming, 1-based
  int error = 0;            // the SQLite result code returned (SQLITE_IOERR_WRITE, SQLITE_FULL...)
  bool persistent = false;  // fail every operation of `kind` from the Nth on
};

// Registers the VFS as SQLite's default while alive (connections opened meanwhile use it;
// the default one is restored on destruction). One at a time.
class FaultyVfs {
 public:
  FaultyVfs();
  ~FaultyVfs();
  FaultyVfs(const FaultyVfs&) = delete;
  FaultyVfs& operator=(const FaultyVfs&) = delete;

  // Zeroes the counters.
  void reset();
  // Operations of `kind` since the last reset() or arm(). Thread-safe.
  [[nodiscard]] std::uint64_t count(IoKind kind) const;
  // Zeroes the counters and fails the fault's operation(s) from now on.
  void arm(const IoFault& fault);
  void disarm();
  // How many operations the armed fault failed.
  [[nodiscard]] std::uint64_t fired() const;
};

}  // namespace amanah::test
