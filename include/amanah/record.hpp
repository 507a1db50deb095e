// amanah — customer records: ids, access context, values.
#pragma once

#include <compare>
#include <cstddef>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <amanah/error.hpp>
#include <amanah/export.hpp>

namespace amanah {

// Who is asking, in which role(s), and why. Every record call takes one; the roles and the
// purpose must be declared in the manifest, and the access is recorded.
struct AccessContext {
  std::string actor{};               // a person or service, e.g. "agent-17"
  std::vector<std::string> roles{};  // at least one
  std::string purpose{};             // a declared purpose id
};

// A customer (data subject) id: 128 random bits as 32 hex digits, never derived from personal
// data.
class AMANAH_EXPORT CustomerId {
 public:
  CustomerId() = default;
  // Error(InvalidArgument) unless `text` is 32 lower-case hex digits.
  [[nodiscard]] static CustomerId parse(std::string_view text);
  [[nodiscard]] const std::string& str() const noexcept { return hex_; }
  [[nodiscard]] bool empty() const noexcept { return hex_.empty(); }
  friend bool operator==(const CustomerId&, const CustomerId&) = default;
  friend auto operator<=>(const CustomerId&, const CustomerId&) = default;

 private:
  std::string hex_{};
};

// Field name -> value, as given (insert) or as stored in canonical form (get, scan).
using FieldValues = std::map<std::string, std::string, std::less<>>;
// Field name -> new value; std::nullopt clears the field.
using FieldChanges = std::map<std::string, std::optional<std::string>, std::less<>>;

struct Record {
  CustomerId id{};
  FieldValues fields{};  // the requested fields that hold a value
};

// A value that was accepted but looks odd (e.g. a NIK whose birth date is not a calendar date).
struct Warning {
  std::string field{};
  std::string message{};   // never contains the value
  std::size_t record = 0;  // the record's position in the batch (insert_many, validate; 0-based)
};

// What validate() found wrong with one record of a batch: what insert_many would refuse.
struct RecordProblem {
  std::size_t record = 0;  // position in the batch (0-based)
  std::string field{};     // the declared field at fault; empty for the record as a whole or a
                           // name the manifest does not declare (never echoed: it may be a value)
  ErrorCode code =
      ErrorCode::Validation;  // Validation, UndeclaredField, Duplicate, InvalidArgument
  std::string message{};      // never contains the value
};

namespace detail::records {
class Records;
}  // namespace detail::records

// What validate() has seen of an import sent in several batches, so that each batch is checked
// against the earlier ones too: the unique fields' values of the records it accepted, kept only
// as digests under a one-off random key (never the values), and how many records came before.
// With a scope, validate() counts positions (RecordProblem::record, Warning::record) from the
// scope's first record, and a record holding a unique value that an earlier accepted record holds
// is a Duplicate naming that record's position. A record with a problem adds nothing to it (as
// insert_many would refuse it). Tied to the store (store_id) of its first validate():
// another store's gives Error(InvalidArgument). Move-only (a moved-from scope starts afresh); not
// thread-safe: one import at a time. Memory: about 50 bytes per unique value accepted.
class AMANAH_EXPORT ValidationScope {
 public:
  ValidationScope();
  ValidationScope(ValidationScope&&) noexcept;
  ValidationScope& operator=(ValidationScope&&) noexcept;
  ValidationScope(const ValidationScope&) = delete;
  ValidationScope& operator=(const ValidationScope&) = delete;
  ~ValidationScope();

  // Records validated through the scope so far: the position of the next batch's first record.
  [[nodiscard]] std::size_t records() const noexcept;

  struct State;

 private:
  friend class detail::records::Records;
  std::unique_ptr<State> state_;
};

// A streaming pass over all records (in storage order), fetched in small batches: the store is
// never loaded into memory at once. The store must outlive the scan. Records inserted during a scan
// may or may not be seen.
class AMANAH_EXPORT RecordScan {
 public:
  class AMANAH_EXPORT iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = Record;
    using difference_type = std::ptrdiff_t;
    using reference = const Record&;
    using pointer = const Record*;

    iterator() = default;
    reference operator*() const;
    pointer operator->() const;
    iterator& operator++();
    void operator++(int) { ++*this; }
    friend bool operator==(const iterator& it, std::default_sentinel_t) noexcept {
      return it.scan_ == nullptr;
    }

   private:
    friend class RecordScan;
    explicit iterator(RecordScan* scan) : scan_(scan) {}
    RecordScan* scan_ = nullptr;
  };

  struct State;
  explicit RecordScan(std::unique_ptr<State> state);
  RecordScan(RecordScan&&) noexcept;
  RecordScan& operator=(RecordScan&&) noexcept;
  ~RecordScan();

  [[nodiscard]] iterator begin();
  [[nodiscard]] std::default_sentinel_t end() const noexcept { return {}; }

 private:
  bool advance();  // false at the end
  std::unique_ptr<State> state_;
};

}  // namespace amanah
