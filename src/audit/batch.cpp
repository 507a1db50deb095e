#include "audit/batch.hpp"

#include <algorithm>
#include <cstring>

namespace amanah::detail::audit {
namespace {

constexpr char kVersion = 1;
constexpr std::uint8_t kAllowed = 1, kSubject = 2, kErased = 4;

void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}

std::uint64_t zigzag(std::int64_t v) {
  return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}
std::int64_t unzigzag(std::uint64_t v) {
  return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1);
}

}  // namespace

void BatchBounds::add(const Stored& e) noexcept {
  if (entries++ == 0) {
    first = e.seq;
    min_at = max_at = e.at;
  }
  last = e.seq;
  min_at = std::min(min_at, e.at);
  max_at = std::max(max_at, e.at);
}

void Packer::clear() {
  out_.clear();
  bounds_ = {};
  prev_seq_ = 0;
  prev_at_ = 0;
}

void Packer::add(const Stored& e) {
  if (out_.empty()) out_ += kVersion;
  bounds_.add(e);
  // Numbers and times as differences from the entry before (the first from 0): mostly one byte.
  put_varint(out_, e.seq - prev_seq_);
  put_varint(out_, zigzag(static_cast<std::int64_t>(static_cast<std::uint64_t>(e.at) -
                                                    static_cast<std::uint64_t>(prev_at_))));
  prev_seq_ = e.seq;
  prev_at_ = e.at;
  put_varint(out_, static_cast<std::uint64_t>(e.action));
  out_ += static_cast<char>((e.allowed ? kAllowed : 0) | (e.has_subject ? kSubject : 0) |
                            (e.erased ? kErased : 0));
  if (e.has_subject) out_.append(e.subject.data(), e.subject.size());
  if (e.erased)
    out_.append(reinterpret_cast<const char*>(e.payload_hash.data()), e.payload_hash.size());
  else
    for (const std::int64_t id : e.ids)
      put_varint(out_, static_cast<std::uint64_t>(id));
  out_.append(reinterpret_cast<const char*>(e.chain.data()), e.chain.size());
}

std::span<const std::byte> Packer::blob() const noexcept {
  return {reinterpret_cast<const std::byte*>(out_.data()), out_.size()};
}

Unpacker::Unpacker(std::span<const std::byte> blob) noexcept : in_(blob) {
  if (in_.empty() || in_[0] != static_cast<std::byte>(kVersion))
    damaged_ = true;
  else
    in_ = in_.subspan(1);
}

bool Unpacker::next(Stored& e) noexcept {
  if (damaged_ || in_.empty()) return false;
  std::span<const std::byte> in = in_;
  bool ok = true;
  const auto varint = [&]() -> std::uint64_t {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64 && !in.empty(); shift += 7) {
      const auto b = static_cast<std::uint8_t>(in[0]);
      in = in.subspan(1);
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return v;
    }
    ok = false;
    return 0;
  };
  const auto bytes = [&](void* to, std::size_t n) {
    if (in.size() < n) {
      ok = false;
      return;
    }
    std::memcpy(to, in.data(), n);
    in = in.subspan(n);
  };
  e.seq = prev_seq_ + varint();
  e.at = static_cast<std::int64_t>(static_cast<std::uint64_t>(prev_at_) +
                                   static_cast<std::uint64_t>(unzigzag(varint())));
  e.action = static_cast<std::int64_t>(varint());
  std::uint8_t flags = 0;
  bytes(&flags, 1);
  e.allowed = (flags & kAllowed) != 0;
  e.has_subject = (flags & kSubject) != 0;
  e.erased = (flags & kErased) != 0;
  if ((flags & ~(kAllowed | kSubject | kErased)) != 0) ok = false;
  if (e.has_subject) bytes(e.subject.data(), e.subject.size());
  if (e.erased) {
    bytes(e.payload_hash.data(), e.payload_hash.size());
    e.ids = {};
  } else {
    for (std::int64_t& id : e.ids)
      id = static_cast<std::int64_t>(varint());
  }
  bytes(e.chain.data(), e.chain.size());
  if (!ok) {
    damaged_ = true;
    return false;
  }
  in_ = in;
  prev_seq_ = e.seq;
  prev_at_ = e.at;
  return true;
}

std::optional<Stored> last_entry(std::span<const std::byte> blob) noexcept {
  Unpacker u(blob);
  Stored e;
  bool any = false;
  while (u.next(e))
    any = true;
  if (!any || u.damaged()) return std::nullopt;
  return e;
}

}  // namespace amanah::detail::audit
