// amanah — SecretBytes: the only type that holds key material and passphrases.
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>
#include <string_view>

#include <amanah/export.hpp>

namespace amanah {

// Move-only buffer for secrets. Its pages are locked in memory where the OS allows (best effort),
// excluded from core dumps, and wiped when the buffer is destroyed or cleared. It deliberately has
// no stream or format operator, and no conversion to std::string.
class AMANAH_EXPORT SecretBytes {
 public:
  SecretBytes() noexcept = default;
  explicit SecretBytes(std::size_t size);  // zero-filled
  ~SecretBytes();
  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;

  [[nodiscard]] static SecretBytes copy_of(std::span<const std::byte> bytes);
  // Copies text (e.g. a passphrase). The caller remains responsible for its own copy.
  [[nodiscard]] static SecretBytes from_string(std::string_view text);
  [[nodiscard]] static SecretBytes random(std::size_t size);
  // The value of an environment variable; Error(NotFound) when it is unset or empty.
  [[nodiscard]] static SecretBytes from_env(const char* name);
  // A file's contents with one trailing newline ("\n" or "\r\n") removed; Error(NotFound / Io).
  [[nodiscard]] static SecretBytes from_file(const std::filesystem::path& path);

  [[nodiscard]] std::byte* data() noexcept { return data_; }
  [[nodiscard]] const std::byte* data() const noexcept { return data_; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] std::span<const std::byte> view() const noexcept { return {data_, size_}; }
  [[nodiscard]] std::span<std::byte> mutable_view() noexcept { return {data_, size_}; }

  [[nodiscard]] SecretBytes clone() const;
  // Constant-time comparison.
  [[nodiscard]] bool equals(const SecretBytes& other) const noexcept;
  // Wipes and releases the buffer.
  void clear() noexcept;

 private:
  std::byte* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t mapped_ = 0;  // bytes reserved (whole pages)
};

}  // namespace amanah
