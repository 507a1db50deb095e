#include "records/doc.hpp"

#include <charconv>

#include <amanah/error.hpp>

#include "crypto/crypto.hpp"

namespace amanah::detail::records {
namespace {

constexpr std::byte kSealedV1{1};
constexpr std::byte kFormatV1{1};

std::string field_aad(std::string_view subject_id, std::string_view field,
                      std::string_view key_id) {
  std::string aad = "amanah/v1/field|";
  aad.append(subject_id).append("|").append(field).append("|").append(key_id);
  return aad;
}

}  // namespace

// Format v1: 0x01, varint field count, then per field: varint name length, name, kind (0 text,
// 1 sealed), varint value length, value. Small and fast to parse; every length is checked against
// the input.
std::string format_times(const FieldTimes& t) {
  std::string out;
  for (const auto& [name, at] : t)
    out.append(name).append("=").append(std::to_string(at)).append(";");
  return out;
}

FieldTimes parse_times(std::string_view text) {
  FieldTimes out;
  while (!text.empty()) {
    const auto eq = text.find('=');
    const auto end = text.find(';');
    if (eq == std::string_view::npos || end == std::string_view::npos || eq > end || eq == 0)
      throw Error(ErrorCode::Corrupt, "a stored record's field times are damaged");
    const std::string_view number = text.substr(eq + 1, end - eq - 1);
    std::int64_t at = 0;
    const auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), at);
    if (ec != std::errc{} || ptr != number.data() + number.size() || number.empty())
      throw Error(ErrorCode::Corrupt, "a stored record's field times are damaged");
    out.insert_or_assign(std::string(text.substr(0, eq)), at);
    text.remove_prefix(end + 1);
  }
  return out;
}

std::vector<std::byte> encode(const Doc& doc) {
  std::vector<std::byte> out;
  out.push_back(kFormatV1);
  auto varint = [&](std::size_t v) {
    while (v >= 0x80) {
      out.push_back(static_cast<std::byte>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out.push_back(static_cast<std::byte>(v));
  };
  auto bytes = [&](std::span<const std::byte> b) { out.insert(out.end(), b.begin(), b.end()); };
  varint(doc.size());
  for (const auto& [name, v] : doc) {
    varint(name.size());
    bytes(crypto::as_bytes(name));
    out.push_back(v.sealed ? std::byte{1} : std::byte{0});
    if (v.sealed) {
      varint(v.sealed_box.size());
      bytes(v.sealed_box);
    } else {
      varint(v.text.size());
      bytes(crypto::as_bytes(v.text));
    }
  }
  return out;
}

Doc decode(std::span<const std::byte> in) {
  auto damaged = [] { return Error(ErrorCode::Corrupt, "a stored record is damaged"); };
  std::size_t pos = 0;
  auto varint = [&]() -> std::size_t {
    std::size_t v = 0;
    for (int shift = 0; shift < 35; shift += 7) {
      if (pos >= in.size()) throw damaged();
      const auto b = std::to_integer<std::size_t>(in[pos++]);
      v |= (b & 0x7f) << shift;
      if ((b & 0x80) == 0) return v;
    }
    throw damaged();
  };
  auto take = [&](std::size_t n) {
    if (n > in.size() - pos) throw damaged();
    const auto s = in.subspan(pos, n);
    pos += n;
    return s;
  };
  if (in.empty() || in[0] != kFormatV1) throw damaged();
  pos = 1;
  Doc doc;
  const std::size_t count = varint();
  for (std::size_t i = 0; i < count; ++i) {
    const auto name = take(varint());
    const std::byte kind = take(1)[0];
    if (kind != std::byte{0} && kind != std::byte{1}) throw damaged();
    const auto value = take(varint());
    DocValue dv;
    dv.sealed = kind == std::byte{1};
    if (dv.sealed)
      dv.sealed_box.assign(value.begin(), value.end());
    else
      dv.text.assign(reinterpret_cast<const char*>(value.data()), value.size());
    if (!doc.emplace(std::string(reinterpret_cast<const char*>(name.data()), name.size()),
                     std::move(dv))
             .second)
      throw damaged();
  }
  if (pos != in.size()) throw damaged();
  return doc;
}

DocValue seal_value(const keys::SubjectKey& subject_key, std::string_view subject_id,
                    std::string_view field, std::string_view key_id, std::string_view value) {
  DocValue v;
  v.sealed = true;
  const auto box = subject_key.seal(crypto::as_bytes(value),
                                    crypto::as_bytes(field_aad(subject_id, field, key_id)));
  v.sealed_box.reserve(box.size() + 1);
  v.sealed_box.push_back(kSealedV1);
  v.sealed_box.insert(v.sealed_box.end(), box.begin(), box.end());
  return v;
}

std::string open_value(const keys::SubjectKey& subject_key, std::string_view subject_id,
                       std::string_view field, std::string_view key_id, const DocValue& v) {
  if (!v.sealed) return v.text;
  crypto::Bytes plain;
  if (v.sealed_box.empty() || v.sealed_box[0] != kSealedV1 ||
      !subject_key.open(std::span<const std::byte>(v.sealed_box).subspan(1),
                        crypto::as_bytes(field_aad(subject_id, field, key_id)), plain))
    throw Error(ErrorCode::Corrupt, "a sealed value of field '" + std::string(field) +
                                        "' does not open (damaged or moved)");
  std::string out(reinterpret_cast<const char*>(plain.data()), plain.size());
  crypto::wipe(plain);
  return out;
}

}  // namespace amanah::detail::records
