// SPDX-License-Identifier: MIT
#pragma once
// The buffers the engine computes in, aligned for Eigen's widest packets. Eigen runs the
// unaligned head of a vectorised loop or reduction as scalar code, and its scalar exp() and sums
// round differently from the packet ones; so where a buffer happens to start (which allocation,
// which thread's scratch) would change the last bits of softmax and SiLU, and with them a run's
// numbers from one engine, or one scheduling, to the next. Aligned, every row starts at the same
// offset from a packet boundary in every run: results depend on the inputs and the thread count
// only (the sensitivity analysis compares runs that differ in one tensor).

#include <Eigen/Core>

#include <vector>

namespace cwb {

template <class T>
using AlignedVector = std::vector<T, Eigen::aligned_allocator<T>>;

} // namespace cwb
