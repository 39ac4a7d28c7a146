// SPDX-License-Identifier: MIT
// The storage choices of the quantize slot: "keep" (leave the tensor as stored) and plain float
// types f32, f16, bf16.
#include "methods/method_support.h"
#include "methods/recipe_forms.h"
#include "methods/registry.h"
#include "methods/stored_types.h"

#include <vector>

namespace cwb {

namespace {

MethodSpec floatMethod(const char *name, DType type, const char *summary)
{
    MethodSpec m = methoddetail::quantizeMethod(name, {}, summary);
    m.storage = StorageKind::Float;
    m.rowMultiple = [](const ParamReader &) { return int64_t{1}; };
    m.storedSize = [type](const ParamReader &, const StoredShape &s) {
        return typeBytes(type, s.rows, s.cols);
    };
    m.exactZeros = [](const ParamReader &, DType) { return true; };
    const std::string label(dtypeName(type));
    m.label = [label](const ParamReader &, const std::string &) {
        return methoddetail::plainLabel(label);
    };
    m.exportForms = [type](const ParamReader &, DType) { return typeExportForms(type); };
    m.recipeForms = [type](const ParamReader &, DType) {
        return methoddetail::storedTypeRecipeForms(type, false);
    };
    m.quantize = [type](const ParamReader &, const QuantizeInput &in) {
        return storeInType(type, in);
    };
    return m;
}

} // namespace

std::vector<MethodSpec> floatMethods()
{
    MethodSpec keep =
        methoddetail::quantizeMethod(std::string(kKeepMethod), {}, "leave the tensor as stored");
    keep.keepsAsStored = true;
    keep.storage = StorageKind::AsStored;
    keep.rowMultiple = [](const ParamReader &) { return int64_t{1}; };
    // Unchanged values are not stored again (the archive reads them from the source model);
    // changed ones are written in keepStorageType().
    keep.storedSize = [](const ParamReader &, const StoredShape &s) {
        if (s.keptBytes > 0) {
            ByteEstimate e;
            e.codes = s.keptBytes;
            return e;
        }
        return typeBytes(s.keepType, s.rows, s.cols);
    };
    keep.exactZeros = [](const ParamReader &, DType keepType) {
        return typeDecodesZeroExactly(keepType);
    };
    keep.label = [](const ParamReader &, const std::string &kept) {
        return MethodLabel{CWB_TRANSLATE_NOOP("cwb::methods", "%1 (kept)"), {{kept, false}}};
    };
    keep.exportForms = [](const ParamReader &, DType keepType) {
        return typeExportForms(keepType);
    };
    keep.recipeForms = [](const ParamReader &, DType keepType) {
        return methoddetail::storedTypeRecipeForms(keepType, true);
    };
    keep.quantize = [](const ParamReader &, const QuantizeInput &in) {
        return storeInType(in.keepType, in);
    };
    return {std::move(keep), floatMethod("f32", DType::F32, "store as float32"),
            floatMethod("f16", DType::F16, "store as float16"),
            floatMethod("bf16", DType::BF16, "store as bfloat16")};
}

} // namespace cwb
