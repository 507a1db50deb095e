#include "fs/fs.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <amanah/error.hpp>

namespace amanah::detail::fs {

std::function<void(std::string_view)> g_fault_point;

namespace {

[[noreturn]] void throw_io(const std::string& what, int err) {
  throw Error(ErrorCode::Io, what + ": " + std::strerror(err));
}

void write_all(int fd, std::span<const std::byte> data, const std::string& name) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_io("cannot write " + name, errno);
    done += static_cast<std::size_t>(n);
  }
}

[[noreturn]] void throw_io(const char* what, const std::filesystem::path& file, int err) {
  throw Error(ErrorCode::Io, std::string(what) + " " + file.string() + ": " + std::strerror(err));
}

class Fd {
 public:
  explicit Fd(int fd) noexcept : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  [[nodiscard]] int get() const noexcept { return fd_; }

 private:
  int fd_;
};

void require_regular(const Fd& fd, const std::filesystem::path& file, struct stat& st) {
  if (::fstat(fd.get(), &st) != 0) throw_io("cannot inspect", file, errno);
  if (!S_ISREG(st.st_mode)) throw Error(ErrorCode::Io, file.string() + " is not a regular file");
}

void write_all(const Fd& fd, std::string_view data, const std::filesystem::path& file) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd.get(), data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_io("cannot write", file, errno);
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

// Up to out.size() bytes at `offset` (fewer only at the end of the file).
std::size_t read_at(const Fd& fd, std::span<char> out, off_t offset,
                    const std::filesystem::path& file) {
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t n =
        ::pread(fd.get(), out.data() + done, out.size() - done, offset + static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_io("cannot read", file, errno);
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  return done;
}

// A crash while appending leaves a last line without its newline. read_lines() skips it, but the
// next line appended would join it into a bad line in the middle. So before appending, such a tail
// is cut off, though only when it could be the start of a line of its kind: a sink pointed at some
// other file refuses (Corrupt) rather than cutting into it. Returns the file's size after.
off_t drop_torn_tail(const Fd& fd, const std::filesystem::path& file, off_t size,
                     std::string_view tag, std::size_t max_line) {
  if (size == 0) return size;
  const auto window =
      static_cast<off_t>(std::min<std::uintmax_t>(static_cast<std::uintmax_t>(size), max_line + 1));
  std::string tail(static_cast<std::size_t>(window), '\0');
  if (read_at(fd, tail, size - window, file) != tail.size())
    throw Error(ErrorCode::Io, "cannot read " + file.string() + ": it shrank while appending");
  if (tail.back() == '\n') return size;
  const std::size_t newline = tail.rfind('\n');
  const std::size_t piece_start = newline == std::string::npos ? 0 : newline + 1;
  const std::string_view piece = std::string_view(tail).substr(piece_start);
  const std::string_view prefix = tag.substr(0, piece.size());
  if (piece.size() > max_line || piece.substr(0, prefix.size()) != prefix)
    throw Error(ErrorCode::Corrupt, file.string() + ": ends in an incomplete line of another kind");
  const off_t keep = size - window + static_cast<off_t>(piece_start);
  if (::ftruncate(fd.get(), keep) != 0) throw_io("cannot cut the torn last line of", file, errno);
  return keep;
}

void sync_parent(const std::filesystem::path& file) {
  std::filesystem::path dir = file.parent_path();
  if (dir.empty()) dir = ".";
  const Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) throw_io("cannot open the directory of", file, errno);
  if (::fsync(fd.get()) != 0) throw_io("cannot sync the directory of", file, errno);
}

}  // namespace

void sync_directory(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw_io("cannot open directory " + dir.string(), errno);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) throw_io("cannot sync directory " + dir.string(), err);
}

void sync_file(const std::filesystem::path& file) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw_io("cannot open " + file.string() + " to sync it", errno);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) throw_io("cannot sync " + file.string(), err);
}

void create_private_directory(const std::filesystem::path& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0) throw_io("cannot create " + dir.string(), errno);
  // The umask may have taken bits off 0700: set it exactly.
  if (::chmod(dir.c_str(), 0700) != 0)
    throw_io("cannot set the permissions of " + dir.string(), errno);
}

std::filesystem::path staging_sibling(const std::filesystem::path& target, std::string_view what,
                                      std::string_view unique) {
  // (Built with append: GCC 12 at -O3 warns a false -Wrestrict on "." + std::string.)
  std::string name = ".";
  name.append(target.filename().string()).append(".").append(what).append("-").append(unique);
  return target.parent_path() / name;
}

bool is_inside(const std::filesystem::path& dir, const std::filesystem::path& path) {
  const auto p = std::filesystem::weakly_canonical(std::filesystem::absolute(path));
  const auto d = std::filesystem::weakly_canonical(std::filesystem::absolute(dir));
  return std::mismatch(d.begin(), d.end(), p.begin(), p.end()).first == d.end();
}

void create_private_file(const std::filesystem::path& file) {
  const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    const int err = errno;
    if (err == EEXIST) throw Error(ErrorCode::AlreadyExists, file.string() + " already exists");
    throw_io("cannot create " + file.string(), err);
  }
  // The umask may have taken bits off 0600 (never added any): set it exactly.
  const int rc = ::fchmod(fd, 0600);
  const int err = errno;
  ::close(fd);
  if (rc != 0) {
    ::unlink(file.c_str());
    throw_io("cannot set the permissions of " + file.string(), err);
  }
}

bool make_private(const std::filesystem::path& file) noexcept {
  const int fd = ::open(file.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT;
  struct stat st {};
  bool ok = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  if (ok && (st.st_mode & 077) != 0) ok = ::fchmod(fd, st.st_mode & 0700) == 0;
  ::close(fd);
  return ok;
}

void write_atomic(const std::filesystem::path& file, std::span<const std::byte> data) {
  std::filesystem::path tmp = file;
  tmp += ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw_io("cannot create " + tmp.string(), errno);
  try {
    write_all(fd, data, tmp.string());
    if (::fsync(fd) != 0) throw_io("cannot sync " + tmp.string(), errno);
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw_io("cannot close " + tmp.string(), err);
  }
  if (g_fault_point) fault_point(file.filename().string() + ":temp-synced");
  if (::rename(tmp.c_str(), file.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw_io("cannot replace " + file.string(), err);
  }
  if (g_fault_point) fault_point(file.filename().string() + ":renamed");
  sync_directory(file.parent_path().empty() ? std::filesystem::path(".") : file.parent_path());
}

DirLock::DirLock(const std::filesystem::path& dir) {
  fd_ = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd_ < 0) throw_io("cannot open directory " + dir.string(), errno);
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd_);
    fd_ = -1;
    if (err == EWOULDBLOCK)
      throw Error(ErrorCode::StoreLocked,
                  "the store at " + dir.string() + " is already open (in this or another process)");
    throw_io("cannot lock " + dir.string(), err);
  }
}

DirLock::~DirLock() {
  release();
}

DirLock::DirLock(DirLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

DirLock& DirLock::operator=(DirLock&& other) noexcept {
  if (this != &other) {
    release();
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

void DirLock::release() noexcept {
  if (fd_ >= 0) {
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
    fd_ = -1;
  }
}

void append_line(const std::filesystem::path& file, std::string_view line, std::string_view tag,
                 std::size_t max_line) {
  std::string text(line);
  text.push_back('\n');
  bool created = false;
  int raw = ::open(file.c_str(), O_RDWR | O_APPEND | O_CLOEXEC);
  if (raw < 0 && errno == ENOENT) {
    raw = ::open(file.c_str(), O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (raw < 0 && errno == EEXIST) {  // created by someone else meanwhile
      raw = ::open(file.c_str(), O_RDWR | O_APPEND | O_CLOEXEC);
    } else {
      created = raw >= 0;
    }
  }
  if (raw < 0) throw_io("cannot open", file, errno);
  const Fd fd(raw);
  struct stat st {};
  require_regular(fd, file, st);
  const off_t size = drop_torn_tail(fd, file, st.st_size, tag, max_line);
  try {
    write_all(fd, text, file);
  } catch (...) {
    // A part written is taken back where possible (else read_lines() skips it as a torn line).
    if (::ftruncate(fd.get(), size) != 0) {
      // best effort only: the write's own error is the one to report
    }
    throw;
  }
  if (::fdatasync(fd.get()) != 0) throw_io("cannot sync", file, errno);
  if (created) sync_parent(file);
}

std::vector<std::string> read_lines(const std::filesystem::path& file) {
  const Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return {};
    throw_io("cannot open", file, errno);
  }
  struct stat st {};
  require_regular(fd, file, st);
  std::string text;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_io("cannot read", file, errno);
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  std::vector<std::string> out;
  std::string_view rest = text;
  for (;;) {
    const std::size_t newline = rest.find('\n');
    if (newline == std::string_view::npos) break;  // nothing left, or a torn last line: skipped
    out.emplace_back(rest.substr(0, newline));
    rest.remove_prefix(newline + 1);
  }
  return out;
}

}  // namespace amanah::detail::fs
