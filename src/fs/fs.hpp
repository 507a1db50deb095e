// Internal filesystem helpers: atomic replacement and the store's directory lock.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace amanah::detail::fs {

// Test-only fault injection (store/layout.hpp re-exports it): called at named points between the
// durable steps of multi-file operations, so tests can crash there. Empty in production.
extern std::function<void(std::string_view point)> g_fault_point;
inline void fault_point(std::string_view point) {
  if (g_fault_point) g_fault_point(point);
}

// Replaces `file` with `data` so that a crash leaves either the old or the new content:
// write a temp file beside it, fsync, rename over, fsync the directory. Mode 0600. Fault points
// "<file name>:temp-synced" and "<file name>:renamed" (e.g. "keyslots:renamed").
void write_atomic(const std::filesystem::path& file, std::span<const std::byte> data);

// Creates an empty file with mode 0600 whatever the umask. Error(AlreadyExists) if anything
// (even a dangling symlink) is at `file`, Error(Io) for other failures.
void create_private_file(const std::filesystem::path& file);

// Best effort: takes group and other permissions off an existing regular file (not through a
// symlink). Returns false if the file could not be checked or changed; nothing if it is absent.
bool make_private(const std::filesystem::path& file) noexcept;

// A file of lines that only grows (audit checkpoints, the erasure ledger). Appends `line` and a
// newline, synced; creates the file (0600) if missing. A torn last line left by a crash is cut
// first, but only if it could be the start of a line of this kind (begins like `tag`, at most
// `max_line` bytes): a file of another kind is Corrupt, never cut into.
void append_line(const std::filesystem::path& file, std::string_view line, std::string_view tag,
                 std::size_t max_line);
// Every complete line of such a file (a torn last line is skipped); none if it does not exist.
[[nodiscard]] std::vector<std::string> read_lines(const std::filesystem::path& file);

// fsync a regular file's data and metadata (a file written by others, e.g. a copy).
void sync_file(const std::filesystem::path& file);

// Creates the directory `dir` with mode 0700 (Error(Io) if it cannot, or exists).
void create_private_directory(const std::filesystem::path& dir);

// A hidden sibling of `target` to build it in before renaming it into place:
// ".<name>.<what>-<unique>" beside it.
[[nodiscard]] std::filesystem::path staging_sibling(const std::filesystem::path& target,
                                                    std::string_view what, std::string_view unique);

// Whether `path` is `dir` or inside it, symlinks resolved (a file the store must not keep, such
// as a checkpoint file or an erasure ledger, or a backup of it).
[[nodiscard]] bool is_inside(const std::filesystem::path& dir, const std::filesystem::path& path);

// fsync a directory (makes a rename or create in it durable).
void sync_directory(const std::filesystem::path& dir);

// An exclusive, non-blocking flock on a directory, held until destruction. flock locks belong
// to the open file description, so a second lock fails both in another process and in this one.
class DirLock {
 public:
  DirLock() noexcept = default;
  // Error(StoreLocked) if held elsewhere; Error(Io) if the directory cannot be opened.
  explicit DirLock(const std::filesystem::path& dir);
  ~DirLock();
  DirLock(DirLock&& other) noexcept;
  DirLock& operator=(DirLock&& other) noexcept;
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;
  void release() noexcept;

 private:
  int fd_ = -1;
};

}  // namespace amanah::detail::fs
