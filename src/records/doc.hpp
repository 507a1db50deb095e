// A subject's field values as stored in subjects.doc: text for values kept under SQLCipher's page
// encryption, sealed boxes for values sealed under the subject's own key.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <amanah/secret.hpp>

#include "keys/typed.hpp"

namespace amanah::detail::records {

struct DocValue {
  bool sealed = false;
  std::string text;                   // !sealed
  std::vector<std::byte> sealed_box;  // sealed: version byte | nonce | ciphertext | tag
};

using Doc = std::map<std::string, DocValue, std::less<>>;

// Per field, a time in unix seconds: when a value was collected after the record was created
// (subjects.set_at), or until when a legal hold keeps an erased customer's field
// (subjects.held_until). Field names and times only. Stored as "name=seconds;...".
using FieldTimes = std::map<std::string, std::int64_t, std::less<>>;
[[nodiscard]] std::string format_times(const FieldTimes& t);
// Error(Corrupt) if the text is not in that form.
[[nodiscard]] FieldTimes parse_times(std::string_view text);

[[nodiscard]] std::vector<std::byte> encode(const Doc& doc);
// Error(Corrupt) if the bytes are not a doc.
[[nodiscard]] Doc decode(std::span<const std::byte> bytes);

// AES-256-GCM under the subject key; the associated data binds subject, field and key id, so a
// box moved to another subject or field does not open.
[[nodiscard]] DocValue seal_value(const keys::SubjectKey& subject_key, std::string_view subject_id,
                                  std::string_view field, std::string_view key_id,
                                  std::string_view value);
// Error(Corrupt) if the box does not open.
[[nodiscard]] std::string open_value(const keys::SubjectKey& subject_key,
                                     std::string_view subject_id, std::string_view field,
                                     std::string_view key_id, const DocValue& v);

}  // namespace amanah::detail::records
