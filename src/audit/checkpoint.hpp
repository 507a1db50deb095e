// Making checkpoints: the store fills and signs one (the public Checkpoint, audit.hpp) whenever
// its log completes `checkpoint_every` entries, and at close. The signed bytes are described in
// checkpoint.cpp.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include <amanah/audit.hpp>
#include <amanah/clock.hpp>

namespace amanah::detail::audit {

// A checkpoint of store `store_id` whose log held `seq` entries with chain head `head` at `at`
// (kept to whole seconds, truncated), signed with `key`. InvalidArgument if `store_id` is empty,
// longer than 128 bytes, or holds anything but printable ASCII without spaces.
[[nodiscard]] Checkpoint make_checkpoint(const AuditSigningKey& key, std::string store_id,
                                         std::uint64_t seq, const std::array<std::byte, 32>& head,
                                         TimePoint at);

}  // namespace amanah::detail::audit
