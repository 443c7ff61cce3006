// The per-thread read buffer; see read_buffer.hpp.
#include "engine/read_buffer.hpp"

namespace wsx::detail {
namespace {

struct ThreadBuffer {
    std::unique_ptr<char[]> bytes;
    bool busy = false;
};

ThreadBuffer& thread_buffer() {
    thread_local ThreadBuffer buffer;
    return buffer;
}

}  // namespace

ReadBufferLease::ReadBufferLease() {
    ThreadBuffer& t = thread_buffer();
    if (!t.busy) {
        if (!t.bytes) {
            t.bytes = std::make_unique_for_overwrite<char[]>(kSize);
        }
        t.busy = true;
        shared_ = true;
        data_ = t.bytes.get();
        return;
    }
    own_ = std::make_unique_for_overwrite<char[]>(kSize);
    data_ = own_.get();
}

ReadBufferLease::~ReadBufferLease() {
    if (shared_) {
        thread_buffer().busy = false;
    }
}

}  // namespace wsx::detail
