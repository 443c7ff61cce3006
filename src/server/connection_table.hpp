// The connections of one loop, in a slab indexed by the slot their id names. Finding one by id
// is an index and a compare, and a connection costs the table one pointer (a hash map cost a
// node of its own and a bucket: about 48 bytes each). An id is
//   (sequence << (kSlotBits + kLoopIndexBits)) | (slot << kLoopIndexBits) | loop index,
// the sequence from one counter for the process, so an id is not reused until that counter's
// low 32 bits come round again on the same slot of the same loop. Loop thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace wsx::detail {

template <class Connection, unsigned LoopIndexBits>
class ConnectionTable {
public:
    static constexpr unsigned kSlotBits = 24;  // 16 M connections per loop
    static constexpr std::uint64_t kSlotMask = (std::uint64_t{1} << kSlotBits) - 1;

    /// The id for the next connection inserted; `sequence` from the process's counter.
    [[nodiscard]] std::uint64_t next_id(std::uint64_t sequence, unsigned loop_index) const {
        const std::uint64_t slot = free_.empty() ? slots_.size() : free_.back();
        return (sequence << (kSlotBits + LoopIndexBits)) | (slot << LoopIndexBits) | loop_index;
    }

    /// False when every slot is taken.
    [[nodiscard]] bool full() const noexcept { return free_.empty() && slots_.size() > kSlotMask; }

    /// Inserts `c`, whose id came from next_id() since the last insert or take.
    void insert(std::unique_ptr<Connection> c) {
        const std::size_t slot = slot_of(c->connection_id());
        if (slot == slots_.size()) {
            slots_.push_back(std::move(c));
        } else {
            free_.pop_back();
            slots_[slot] = std::move(c);
        }
        ++size_;
    }

    [[nodiscard]] Connection* find(std::uint64_t id) const noexcept {
        const std::size_t slot = slot_of(id);
        if (slot >= slots_.size() || !slots_[slot] || slots_[slot]->connection_id() != id) {
            return nullptr;
        }
        return slots_[slot].get();
    }

    /// Removes the connection `id` names and hands it out (null if none).
    [[nodiscard]] std::unique_ptr<Connection> take(std::uint64_t id) {
        if (find(id) == nullptr) {
            return nullptr;
        }
        const std::size_t slot = slot_of(id);
        free_.push_back(static_cast<std::uint32_t>(slot));
        --size_;
        return std::move(slots_[slot]);
    }

    [[nodiscard]] std::size_t size() const noexcept { return size_; }

    [[nodiscard]] bool empty() const noexcept { return size_ == 0; }

    /// Every connection, in slot order.
    [[nodiscard]] std::vector<Connection*> all() const {
        std::vector<Connection*> out;
        out.reserve(size_);
        for (const auto& c : slots_) {
            if (c) {
                out.push_back(c.get());
            }
        }
        return out;
    }

    /// Destroys every connection (out of the table first: a destructor finds none).
    void clear() {
        auto doomed = std::move(slots_);
        slots_.clear();
        free_.clear();
        size_ = 0;
        doomed.clear();
    }

private:
    [[nodiscard]] static std::size_t slot_of(std::uint64_t id) noexcept {
        return static_cast<std::size_t>((id >> LoopIndexBits) & kSlotMask);
    }

    std::vector<std::unique_ptr<Connection>> slots_;
    std::vector<std::uint32_t> free_;  // slots emptied, the last one reused first
    std::size_t size_ = 0;
};

}  // namespace wsx::detail
