// How entries are stored (data.db schema 6): one audit_log row per batch written together (a
// write's transaction, or up to Log::kReadBatch queued reads), so that a read's entry costs a
// share of one row instead of a row and an index entry of its own.
//
//   audit_log row: first (PRIMARY KEY: seq of its first entry), last, min_at, max_at, entries
//   entries = 0x01 ‖ entry ‖ entry ‖ ...
//   entry   = varint Δseq ‖ zigzag varint Δat ‖ varint action ‖ flags (1: allowed, 2: subject,
//             4: payload erased) ‖ [subject, kPseudonymSize bytes] ‖ (erased ? payload hash, 32
//             bytes : 5 varint name ids: actor, roles, purpose, fields, rules) ‖ chain, 32 bytes
//
// Δ: the difference from the entry before in the row (for the first, from 0).
// first, last, min_at and max_at only locate entries (verify() checks them against the entries);
// what is chained is each entry's content (entry.hpp).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "audit/entry.hpp"

namespace amanah::detail::audit {

// One entry as stored: names by their audit_names id.
struct Stored {
  std::uint64_t seq = 0;
  std::int64_t at = 0;
  std::int64_t action = 0;
  bool allowed = true;
  bool has_subject = false;
  std::array<char, kPseudonymSize> subject{};
  bool erased = false;                // the payload was erased: only its hash is kept
  std::array<std::int64_t, 5> ids{};  // actor, roles, purpose, fields, rules
  Hash payload_hash{};                // when erased
  Hash chain{};

  [[nodiscard]] std::string_view subject_bytes() const noexcept {
    return has_subject ? std::string_view(subject.data(), subject.size()) : std::string_view();
  }
};

// A batch's locators, computed from its entries.
struct BatchBounds {
  std::uint64_t first = 0, last = 0;
  std::int64_t min_at = 0, max_at = 0;
  std::size_t entries = 0;
  void add(const Stored& e) noexcept;  // the next entry of the row
};

// Builds one row's entries blob.
class Packer {
 public:
  void clear();
  void add(const Stored& e);
  [[nodiscard]] bool empty() const noexcept { return bounds_.entries == 0; }
  [[nodiscard]] std::span<const std::byte> blob() const noexcept;
  [[nodiscard]] const BatchBounds& bounds() const noexcept { return bounds_; }

 private:
  std::string out_;
  BatchBounds bounds_{};
  std::uint64_t prev_seq_ = 0;
  std::int64_t prev_at_ = 0;
};

// Reads one row's entries blob, which must outlive it.
class Unpacker {
 public:
  explicit Unpacker(std::span<const std::byte> blob) noexcept;
  // The next entry; false at the end, or when the blob is damaged (then damaged() is true).
  [[nodiscard]] bool next(Stored& e) noexcept;
  [[nodiscard]] bool damaged() const noexcept { return damaged_; }

 private:
  std::span<const std::byte> in_;
  bool damaged_ = false;
  std::uint64_t prev_seq_ = 0;
  std::int64_t prev_at_ = 0;
};

// The last entry of a row's blob; nothing if it holds none or is damaged.
[[nodiscard]] std::optional<Stored> last_entry(std::span<const std::byte> blob) noexcept;

}  // namespace amanah::detail::audit
