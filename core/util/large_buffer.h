// SPDX-License-Identifier: MIT
#pragma once
// Memory for large output buffers (quantized codes of a whole matrix: tens to hundreds of MB),
// allocated fresh for every tensor. Each fresh 4 KiB page costs a page fault on first touch:
// ~0.1-0.3 us on bare metal, but ~20 us measured on this project's virtual machines, where a
// 44 MB buffer then spent ~100 ms in the kernel against ~15 ms of work. Blocks from
// kLargeBufferBytes up are therefore aligned to 2 MiB and advised as transparent huge pages
// (madvise(MADV_HUGEPAGE), which Linux honours when THP is "always" or "madvise": one fault per
// 2 MiB). Advice only: where the system has no THP, or no huge page is free, they are ordinary
// pages. The threshold is glibc's largest mmap threshold (32 MiB): above it every block is a
// fresh mapping anyway; below it glibc may hand back a freed block whose pages are already
// there, which measured faster than fresh huge pages (bench compress, 2026-12-07: rtn on
// 11008 x 4096, 22 MB of codes, 10 ms from the heap, 20 ms with huge pages from 4 MiB up).

#include <cstddef>

namespace cwb {

inline constexpr size_t kLargeBufferBytes = size_t {32} << 20;
inline constexpr size_t kHugePageBytes = size_t {2} << 20;

// At least `bytes` bytes (> 0), aligned to kHugePageBytes and advised as huge pages when
// bytes >= kLargeBufferBytes, else as ::operator new. Throws std::bad_alloc.
[[nodiscard]] void *allocateBuffer(size_t bytes);
// Frees what allocateBuffer(bytes) returned (the same `bytes`).
void freeBuffer(void *p, size_t bytes) noexcept;

} // namespace cwb
