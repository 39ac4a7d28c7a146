// SPDX-License-Identifier: MIT
#include "util/large_buffer.h"

#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace cwb {

void *allocateBuffer(size_t bytes)
{
    if (bytes < kLargeBufferBytes)
        return ::operator new(bytes);
    void *p = ::operator new(bytes, std::align_val_t {kHugePageBytes});
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    // Whole huge pages of the block only; a refusal (no THP in this kernel) changes nothing.
    (void)madvise(p, bytes - bytes % kHugePageBytes, MADV_HUGEPAGE);
#endif
    return p;
}

void freeBuffer(void *p, size_t bytes) noexcept
{
    if (bytes < kLargeBufferBytes)
        ::operator delete(p);
    else
        ::operator delete(p, std::align_val_t {kHugePageBytes});
}

} // namespace cwb
