// SecretBytes: whole anonymous pages, locked (best effort), kept out of core dumps, wiped with
// OPENSSL_cleanse before they are returned to the OS.
#include <amanah/error.hpp>
#include <amanah/secret.hpp>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>

#include <openssl/crypto.h>
#include <openssl/rand.h>

namespace amanah {
namespace {

std::size_t page_size() noexcept {
  static const std::size_t size = [] {
    long p = ::sysconf(_SC_PAGESIZE);
    return p > 0 ? static_cast<std::size_t>(p) : std::size_t{4096};
  }();
  return size;
}

std::byte* map_pages(std::size_t bytes) {
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw Error(ErrorCode::Io, "cannot allocate memory for a secret");
  (void)::mlock(p, bytes);  // best effort: RLIMIT_MEMLOCK may forbid it
#ifdef MADV_DONTDUMP
  (void)::madvise(p, bytes, MADV_DONTDUMP);
#endif
  return static_cast<std::byte*>(p);
}

}  // namespace

SecretBytes::SecretBytes(std::size_t size) {
  if (size == 0) return;
  const std::size_t pages = (size + page_size() - 1) / page_size();
  mapped_ = pages * page_size();
  data_ = map_pages(mapped_);  // anonymous pages are zero-filled
  size_ = size;
}

SecretBytes::~SecretBytes() {
  clear();
}

SecretBytes::SecretBytes(SecretBytes&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      mapped_(std::exchange(other.mapped_, 0)) {}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    clear();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    mapped_ = std::exchange(other.mapped_, 0);
  }
  return *this;
}

void SecretBytes::clear() noexcept {
  if (data_ == nullptr) return;
  OPENSSL_cleanse(data_, mapped_);
  (void)::munlock(data_, mapped_);
  (void)::munmap(data_, mapped_);
  data_ = nullptr;
  size_ = 0;
  mapped_ = 0;
}

SecretBytes SecretBytes::copy_of(std::span<const std::byte> bytes) {
  SecretBytes s(bytes.size());
  if (!bytes.empty()) std::memcpy(s.data_, bytes.data(), bytes.size());
  return s;
}

SecretBytes SecretBytes::from_string(std::string_view text) {
  return copy_of({reinterpret_cast<const std::byte*>(text.data()), text.size()});
}

SecretBytes SecretBytes::random(std::size_t size) {
  SecretBytes s(size);
  if (size > 0 &&
      RAND_bytes(reinterpret_cast<unsigned char*>(s.data_), static_cast<int>(size)) != 1)
    throw Error(ErrorCode::Internal, "the random number generator failed");
  return s;
}

SecretBytes SecretBytes::from_env(const char* name) {
  const char* value = name ? std::getenv(name) : nullptr;
  if (value == nullptr || *value == '\0')
    throw Error(ErrorCode::NotFound,
                std::string("environment variable ") + (name ? name : "(null)") + " is not set");
  return from_string(value);
}

SecretBytes SecretBytes::from_file(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    throw Error(err == ENOENT ? ErrorCode::NotFound : ErrorCode::Io,
                "cannot open secret file " + path.string() + ": " + std::strerror(err));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (1 << 20)) {
    ::close(fd);
    throw Error(ErrorCode::Io,
                "secret file " + path.string() + " is not a regular file under 1 MiB");
  }
  SecretBytes buf(static_cast<std::size_t>(st.st_size));
  std::size_t got = 0;
  while (got < buf.size_) {
    const ssize_t n = ::read(fd, buf.data_ + got, buf.size_ - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  if (got != buf.size_) throw Error(ErrorCode::Io, "cannot read secret file " + path.string());
  std::size_t len = got;
  if (len > 0 && buf.data_[len - 1] == std::byte{'\n'}) {
    --len;
    if (len > 0 && buf.data_[len - 1] == std::byte{'\r'}) --len;  // only as part of "\r\n"
  }
  if (len == got) return buf;
  return copy_of(buf.view().first(len));
}

SecretBytes SecretBytes::clone() const {
  return copy_of(view());
}

bool SecretBytes::equals(const SecretBytes& other) const noexcept {
  if (size_ != other.size_) return false;
  return size_ == 0 || CRYPTO_memcmp(data_, other.data_, size_) == 0;
}

}  // namespace amanah
