// The connections of one loop, stored in the table itself: fixed-size slots in chunks of 256,
// each connection built in place in the slot its id names. Finding one by id is an index and a
// compare; a connection costs its own size and nothing more (no allocator header, no pointer to
// it, no vector growth slack). An id is
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

#include "net/slot_pool.hpp"  // WSX_SLOT_POOL_BYPASS: built with AddressSanitizer

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

template <class Connection, unsigned LoopIndexBits>
class ConnectionTable {
public:
    static constexpr unsigned kSlotBits = 24;  // 16 M connections per loop
    static constexpr std::uint64_t kSlotMask = (std::uint64_t{1} << kSlotBits) - 1;
    static constexpr std::size_t kChunkSlots = 256;

    ConnectionTable() = default;
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
            chunks_.push_back(std::make_unique_for_overwrite<Chunk>());
            states_.resize(chunks_.size() * kChunkSlots, State::empty);
            WSX_TABLE_POISON(chunks_.back()->bytes, sizeof(Chunk::bytes));
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
        for (auto& chunk : chunks_) {
            WSX_TABLE_UNPOISON(chunk->bytes, sizeof(Chunk::bytes));  // back to the allocator
        }
        chunks_.clear();
        states_.clear();
        free_.clear();
        used_ = 0;
    }

private:
    enum class State : std::uint8_t { empty, live, retired };

    struct Chunk {
        alignas(Connection) std::byte bytes[kChunkSlots * sizeof(Connection)];
    };

    [[nodiscard]] static std::size_t slot_of(std::uint64_t id) noexcept {
        return static_cast<std::size_t>((id >> LoopIndexBits) & kSlotMask);
    }

    [[nodiscard]] Connection* address(std::size_t slot) const noexcept {
        std::byte* at =
                chunks_[slot / kChunkSlots]->bytes + (slot % kChunkSlots) * sizeof(Connection);
        return std::launder(reinterpret_cast<Connection*>(at));
    }

    std::vector<std::unique_ptr<Chunk>> chunks_;
    std::vector<State> states_;        // one byte per slot of every chunk
    std::vector<std::uint32_t> free_;  // slots emptied, the last one reused first
    std::size_t used_ = 0;             // slots ever built in: [0, used_)
    std::size_t size_ = 0;
};

}  // namespace wsx::detail
