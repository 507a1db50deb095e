#include "records/doc.hpp"

#include <nlohmann/json.hpp>

#include <amanah/error.hpp>

#include "crypto/crypto.hpp"

namespace amanah::detail::records {
namespace {

using nlohmann::json;
constexpr std::byte kSealedV1{1};

std::string field_aad(std::string_view subject_id, std::string_view field,
                      std::string_view key_id) {
  std::string aad = "amanah/v1/field|";
  aad.append(subject_id).append("|").append(field).append("|").append(key_id);
  return aad;
}

}  // namespace

std::vector<std::byte> encode(const Doc& doc) {
  json j = json::object();
  for (const auto& [name, v] : doc) {
    if (v.sealed) {
      json::binary_t bin(std::vector<std::uint8_t>(
          reinterpret_cast<const std::uint8_t*>(v.sealed_box.data()),
          reinterpret_cast<const std::uint8_t*>(v.sealed_box.data()) + v.sealed_box.size()));
      j[name] = std::move(bin);
    } else {
      j[name] = v.text;
    }
  }
  const std::vector<std::uint8_t> packed = json::to_msgpack(j);
  const auto* p = reinterpret_cast<const std::byte*>(packed.data());
  return {p, p + packed.size()};
}

Doc decode(std::span<const std::byte> bytes) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(bytes.data());
  const json j = json::from_msgpack(p, p + bytes.size(), /*strict=*/true,
                                    /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object())
    throw Error(ErrorCode::Corrupt, "a stored record is damaged");
  Doc doc;
  for (const auto& [name, v] : j.items()) {
    DocValue dv;
    if (v.is_binary()) {
      dv.sealed = true;
      const auto& bin = v.get_binary();
      const auto* b = reinterpret_cast<const std::byte*>(bin.data());
      dv.sealed_box.assign(b, b + bin.size());
    } else if (v.is_string()) {
      dv.text = v.get<std::string>();
    } else {
      throw Error(ErrorCode::Corrupt, "a stored record is damaged");
    }
    doc.emplace(name, std::move(dv));
  }
  return doc;
}

DocValue seal_value(std::span<const std::byte> subject_key, std::string_view subject_id,
                    std::string_view field, std::string_view key_id, std::string_view value) {
  DocValue v;
  v.sealed = true;
  const auto box = crypto::seal(subject_key, crypto::as_bytes(value),
                                crypto::as_bytes(field_aad(subject_id, field, key_id)));
  v.sealed_box.reserve(box.size() + 1);
  v.sealed_box.push_back(kSealedV1);
  v.sealed_box.insert(v.sealed_box.end(), box.begin(), box.end());
  return v;
}

std::string open_value(std::span<const std::byte> subject_key, std::string_view subject_id,
                       std::string_view field, std::string_view key_id, const DocValue& v) {
  if (!v.sealed) return v.text;
  crypto::Bytes plain;
  if (v.sealed_box.empty() || v.sealed_box[0] != kSealedV1 ||
      !crypto::open(subject_key, std::span<const std::byte>(v.sealed_box).subspan(1),
                    crypto::as_bytes(field_aad(subject_id, field, key_id)), plain))
    throw Error(ErrorCode::Corrupt, "a sealed value of field '" + std::string(field) +
                                        "' does not open (damaged or moved)");
  std::string out(reinterpret_cast<const char*>(plain.data()), plain.size());
  crypto::wipe(plain);
  return out;
}

}  // namespace amanah::detail::records
