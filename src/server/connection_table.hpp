// The connections of one loop, stored in the table itself: fixed-size slots in 64 KiB chunks,
// each connection built in place in the slot its id names. A chunk is aligned to its size and
// starts with the address of the table's owner, so a connection finds its server by masking its
// own address (connection_table_owner) instead of keeping a pointer to it. Finding one by id is an
// index and a compare; a connection costs its own size and nothing more (no allocator header, no
// pointer to it, no vector growth slack). An id is
//   (sequence << (kSlotBits + kLoopIndexBits)) | (slot << kLoopIndexBits) | loop index,
// the sequence from one counter for the process, so an id is not reused until that counter's
// low 32 bits come round again on the same slot of the same loop. A connection taken out of the
// table (retire) is found no more but lives on until destroy(), so that it can be freed after
// the loop's current batch. Chunks are kept once made (the table holds at most its peak); the
// last freed slot is reused first. Loop thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <utility>
#include <vector>

#include "net/slot_pool.hpp"  // map_aligned_block; WSX_SLOT_POOL_BYPASS under AddressSanitizer

#ifdef WSX_SLOT_POOL_BYPASS
#include <sanitizer/asan_interface.h>
// A slot not holding a connection is poisoned, so a use after destroy() is still reported.
#define WSX_TABLE_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define WSX_TABLE_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define WSX_TABLE_POISON(p, n) ((void)(p), (void)(n))
#define WSX_TABLE_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

namespace wsx::detail {

inline constexpr std::size_t kTableChunkBytes = std::size_t{64} * 1024;
inline constexpr std::size_t kTableChunkHeader = 16;  // the owner's address, padded

/// The owner given to the table that holds `connection` (its chunk's first word).
[[nodiscard]] inline void* connection_table_owner(const void* connection) noexcept {
    const auto* at = static_cast<const std::byte*>(connection);
    const std::byte* chunk = at - (reinterpret_cast<std::uintptr_t>(at) & (kTableChunkBytes - 1));
    return *reinterpret_cast<void* const*>(chunk);
}

template <class Connection, unsigned LoopIndexBits>
class ConnectionTable {
public:
    static constexpr unsigned kSlotBits = 24;  // 16 M connections per loop
    static constexpr std::uint64_t kSlotMask = (std::uint64_t{1} << kSlotBits) - 1;
    static constexpr std::size_t kChunkSlots =
            (kTableChunkBytes - kTableChunkHeader) / sizeof(Connection);
    static_assert(kChunkSlots > 0 && alignof(Connection) <= kTableChunkHeader);

    /// `owner`: what connection_table_owner() gives back for the connections of this table.
    explicit ConnectionTable(void* owner = nullptr) noexcept : owner_(owner) {}

    ConnectionTable(const ConnectionTable&) = delete;
    ConnectionTable& operator=(const ConnectionTable&) = delete;

    ~ConnectionTable() { clear(); }

    /// The id for the next connection emplaced; `sequence` from the process's counter.
    [[nodiscard]] std::uint64_t next_id(std::uint64_t sequence, unsigned loop_index) const {
        const std::uint64_t slot = free_.empty() ? used_ : free_.back();
        return (sequence << (kSlotBits + LoopIndexBits)) | (slot << LoopIndexBits) | loop_index;
    }

    /// False when every slot is taken.
    [[nodiscard]] bool full() const noexcept { return free_.empty() && used_ > kSlotMask; }

    /// Builds a connection in the slot of `id`, which came from next_id() since the last
    /// emplace(); the connection's connection_id() must be `id`. A constructor that throws
    /// leaves the slot free.
    template <class... Args>
    Connection& emplace(std::uint64_t id, Args&&... args) {
        const std::size_t slot = slot_of(id);
        if (slot == used_ && slot / kChunkSlots == chunks_.size()) {
            add_chunk();
        }
        WSX_TABLE_UNPOISON(address(slot), sizeof(Connection));
        Connection* c = ::new (address(slot)) Connection(std::forward<Args>(args)...);
        if (slot == used_) {
            ++used_;
        } else {
            free_.pop_back();
        }
        states_[slot] = State::live;
        ++size_;
        return *c;
    }

    [[nodiscard]] Connection* find(std::uint64_t id) const noexcept {
        const std::size_t slot = slot_of(id);
        if (slot >= used_ || states_[slot] != State::live) {
            return nullptr;
        }
        Connection* c = address(slot);
        return c->connection_id() == id ? c : nullptr;
    }

    /// Takes the connection `id` names out of the table (found no more), still alive until
    /// destroy(); null if none.
    [[nodiscard]] Connection* retire(std::uint64_t id) noexcept {
        Connection* c = find(id);
        if (c != nullptr) {
            states_[slot_of(id)] = State::retired;
            --size_;
        }
        return c;
    }

    /// Destroys a retired connection and frees its slot (null: a no-op).
    void destroy(Connection* c) noexcept {
        if (c == nullptr) {
            return;
        }
        const std::size_t slot = slot_of(c->connection_id());
        if (slot >= used_ || states_[slot] != State::retired || address(slot) != c) {
            return;
        }
        states_[slot] = State::empty;
        c->~Connection();
        WSX_TABLE_POISON(c, sizeof(Connection));
        free_.push_back(static_cast<std::uint32_t>(slot));
    }

    /// Connections in the table (not those retired and not yet destroyed).
    [[nodiscard]] std::size_t size() const noexcept { return size_; }

    [[nodiscard]] bool empty() const noexcept { return size_ == 0; }

    /// Every connection in the table, in slot order.
    [[nodiscard]] std::vector<Connection*> all() const {
        std::vector<Connection*> out;
        out.reserve(size_);
        for (std::size_t slot = 0; slot < used_; ++slot) {
            if (states_[slot] == State::live) {
                out.push_back(address(slot));
            }
        }
        return out;
    }

    /// Destroys every connection, retired ones too (out of the table first: a destructor finds
    /// none), and frees the chunks.
    void clear() noexcept {
        std::vector<State> was(states_.size(), State::empty);
        was.swap(states_);
        size_ = 0;
        for (std::size_t slot = 0; slot < used_; ++slot) {
            if (was[slot] != State::empty) {
                address(slot)->~Connection();
            }
        }
        for (std::byte* chunk : chunks_) {
            WSX_TABLE_UNPOISON(chunk, kTableChunkBytes);
            net::unmap_aligned_block(chunk, kTableChunkBytes);
        }
        chunks_.clear();
        states_.clear();
        free_.clear();
        used_ = 0;
    }

private:
    enum class State : std::uint8_t { empty, live, retired };

    void add_chunk() {
        chunks_.reserve(chunks_.size() + 1);
        auto* chunk = static_cast<std::byte*>(net::map_aligned_block(kTableChunkBytes));
        if (chunk == nullptr) {
            throw std::bad_alloc();
        }
        *reinterpret_cast<void**>(chunk) = owner_;
        WSX_TABLE_POISON(chunk + kTableChunkHeader, kTableChunkBytes - kTableChunkHeader);
        chunks_.push_back(chunk);
        states_.resize(chunks_.size() * kChunkSlots, State::empty);
    }

    [[nodiscard]] static std::size_t slot_of(std::uint64_t id) noexcept {
        return static_cast<std::size_t>((id >> LoopIndexBits) & kSlotMask);
    }

    [[nodiscard]] Connection* address(std::size_t slot) const noexcept {
        std::byte* at = chunks_[slot / kChunkSlots] + kTableChunkHeader
                        + (slot % kChunkSlots) * sizeof(Connection);
        return std::launder(reinterpret_cast<Connection*>(at));
    }

    void* owner_;
    std::vector<std::byte*> chunks_;   // from net::map_aligned_block, kTableChunkBytes each
    std::vector<State> states_;        // one byte per slot of every chunk
    std::vector<std::uint32_t> free_;  // slots emptied, the last one reused first
    std::size_t used_ = 0;             // slots ever built in: [0, used_)
    std::size_t size_ = 0;
};

}  // namespace wsx::detail
