// SPDX-License-Identifier: MIT
#pragma once
// An allocator whose value-less construct() default-initializes: vector<T, it>::resize(n) then
// leaves trivial elements uninitialized instead of zeroing them. For large output buffers that
// are written in full by parallel code: the zeroing pass (single-threaded, and the one that
// faults every fresh page in) disappears, and the pages are first touched by the threads that
// fill them. Anything constructed with a value (assign(n, 0), push_back) behaves as usual.
// Large blocks come from util/large_buffer.h (huge-page aligned and advised).

#include "util/large_buffer.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

namespace cwb {

template <class T>
struct DefaultInitAllocator : std::allocator<T> {
    template <class U>
    struct rebind {
        using other = DefaultInitAllocator<U>;
    };
    DefaultInitAllocator() = default;
    template <class U>
    DefaultInitAllocator(const DefaultInitAllocator<U> &) noexcept
    { }
    [[nodiscard]] T *allocate(size_t n)
    {
        if (n > size_t(-1) / sizeof(T))
            throw std::bad_array_new_length();
        return static_cast<T *>(allocateBuffer(n * sizeof(T)));
    }
    void deallocate(T *p, size_t n) noexcept { freeBuffer(p, n * sizeof(T)); }
    template <class U>
    void construct(U *p) noexcept(std::is_nothrow_default_constructible_v<U>)
    {
        ::new (static_cast<void *>(p)) U;
    }
    template <class U, class... Args>
    void construct(U *p, Args &&...args)
    {
        ::new (static_cast<void *>(p)) U(std::forward<Args>(args)...);
    }
};

// A byte buffer that resize() does not zero.
using ByteBuffer = std::vector<uint8_t, DefaultInitAllocator<uint8_t>>;

} // namespace cwb
