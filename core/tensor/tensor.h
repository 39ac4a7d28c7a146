// SPDX-License-Identifier: MIT
#pragma once
// A named tensor of a model: its type and shape plus a lazy view of its bytes.
// Shape is outermost-first (PyTorch/NumPy order): the last dimension is contiguous and is the
// "row" that ggml blocks run along. GGUF stores ne[] innermost-first; its reader reverses it.
// Bytes are a view into a memory-mapped file (kept alive by `keepAlive`) or, for storage that
// cannot be mapped (compressed HDF5), produced on demand by `loader`.

#include "formats/dtype.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace cwb {

namespace io {
class MappedFile;
}

struct Tensor {
    std::string name;       // as spelled in the file
    std::string canonical;  // architecture-neutral role name ("layers.3.attn.q"); empty if unknown
    DType dtype = DType::Unknown;
    std::string dtypeLabel; // display label; for DType::Unknown it names the raw type id
    std::vector<int64_t> shape;
    std::string file;       // path of the file holding the bytes
    uint64_t fileOffset = 0; // absolute byte offset of the data in `file`
    uint64_t byteSize = 0;   // stored bytes (0 when unknown)
    std::string tiedTo;      // name of a tensor with identical contents (counted once), if any

    std::span<const std::byte> data;                 // mapped bytes; empty when `loader` is used
    std::function<std::vector<std::byte>()> loader;  // for bytes that are not mapped
    std::shared_ptr<const void> keepAlive;           // owner of `data`
    // The file mapping `data` lies in, when a reader mapped it (and `keepAlive` is that mapping);
    // lets releaseMappedPages() give the pages back. Null otherwise.
    const io::MappedFile *mappedFrom = nullptr;

    [[nodiscard]] int64_t numel() const;
    [[nodiscard]] int64_t rowLength() const { return shape.empty() ? 1 : shape.back(); }
    [[nodiscard]] int64_t rows() const; // product of all dims but the last
    [[nodiscard]] bool decodable() const;
    [[nodiscard]] std::string shapeString() const; // "512 x 64"
    [[nodiscard]] std::string typeLabel() const;   // dtypeLabel, or the dtype's name when unset

    // Raw stored bytes (maps pages in, or runs `loader`). Throws cwb::Error for unknown sizes.
    [[nodiscard]] std::vector<std::byte> copyBytes() const;
    // All values as float32, dequantizing block types. Throws cwb::Error naming the tensor when the
    // dtype cannot be decoded or `out` has the wrong size.
    void toFloat(std::span<float> out) const;
    [[nodiscard]] std::vector<float> toFloat() const;
    // Rows [firstRow, firstRow + nRows) as float32 (streaming over large tensors).
    void rowsToFloat(int64_t firstRow, int64_t nRows, std::span<float> out) const;
    // After a streaming pass has read this tensor: drops its mapped pages from the process
    // (util/mapped_file.h dropPages), so a pass over a model larger than memory does not keep
    // every page it read resident. The values stay readable (mapped again from the file). Does
    // nothing unless `data` lies in the mapping `mappedFrom` that `keepAlive` owns (a copy whose
    // bytes were replaced keeps its new ones).
    void releaseMappedPages() const;
};

} // namespace cwb
