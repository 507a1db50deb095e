#include "fs/fs.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include <amanah/error.hpp>

namespace amanah::detail::fs {
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

}  // namespace

void sync_directory(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw_io("cannot open directory " + dir.string(), errno);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) throw_io("cannot sync directory " + dir.string(), err);
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
  if (::rename(tmp.c_str(), file.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw_io("cannot replace " + file.string(), err);
  }
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

}  // namespace amanah::detail::fs
